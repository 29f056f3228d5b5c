-- The sender's claim on a queued notification (see claims.go): the store
-- instance that took it, alive for as long as that instance holds its
-- advisory lock. NULL: free for any.
ALTER TABLE notifications ADD COLUMN claimed_by bigint;
