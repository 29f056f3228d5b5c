-- How far each tenant of a conversation has read it, for the read receipts
-- under the landlord's messages ("Seen", "Seen by 2 of 3"), so they show
-- offline too. Filled from the conversation list and moved forward by
-- `read` events; the landlord's own position stays in conversations.read_seq.
CREATE TABLE read_positions (
    conversation_id INTEGER NOT NULL,
    reader_kind     TEXT NOT NULL,
    reader_id       INTEGER NOT NULL,
    reader_name     TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, reader_kind, reader_id)
) STRICT;
