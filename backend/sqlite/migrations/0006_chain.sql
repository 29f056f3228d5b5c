-- The tamper-evident history (backend/chain.go): each message's link in its
-- conversation's hash chain, the newest link of each conversation (what the
-- next message is chained to, so sending needs no look-up of the message
-- before), and every signature the server made over a conversation's head.
--
-- Messages stored before this schema have no hash yet: the server fills
-- theirs, in seq order per conversation, when it opens the database.

ALTER TABLE messages ADD COLUMN chain_hash BLOB; -- SHA-256, 32 bytes
ALTER TABLE conversations ADD COLUMN chain_head BLOB; -- chain_hash of the message at last_seq; NULL before the first
ALTER TABLE conversations ADD COLUMN signed_seq INTEGER NOT NULL DEFAULT 0; -- seq of the newest signed head

-- Every head the server signed, kept all: when a history is found changed,
-- the newest signature that still holds and the oldest that does not
-- narrow down where. The columns are the fields of backend.SignedHead.
CREATE TABLE chain_signatures (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    head            TEXT NOT NULL,  -- lowercase hex; '' for a conversation with no message yet
    signed_at       TEXT NOT NULL,  -- UTC, nine fraction digits (backend.ChainTimeLayout)
    server_id       TEXT NOT NULL,
    key_id          TEXT NOT NULL,  -- the key's fingerprint (backend.KeyFingerprint)
    public_key      TEXT NOT NULL,  -- standard base64
    signature       TEXT NOT NULL   -- standard base64
) STRICT;
CREATE INDEX chain_signatures_conversation ON chain_signatures (conversation_id, seq);

-- '1' once every message stored before this schema has its hash.
INSERT INTO meta (key, value) VALUES ('chain_filled', '0');
