-- Reserved for read receipts (another change brings them).
SELECT 1;
