-- Each message's link in its conversation's hash chain (hex), as the server
-- recorded it: an export of the conversation carries it, so the history
-- can be checked without the server. Messages cached before the server
-- sent it have '' until they are fetched again.
ALTER TABLE messages ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- The newest head of each conversation the server signed for this app
-- (backend.SignedHead as JSON): an export made offline carries it, saying
-- which messages it covers.
CREATE TABLE signed_heads (
    conversation_id INTEGER PRIMARY KEY,
    seq             INTEGER NOT NULL,
    data            TEXT NOT NULL
) STRICT;
