-- Reserved for the search index (another change brings it).
SELECT 1;
