-- Files picked for a conversation (paper-clip, drop, paste) and not sent
-- yet. They wait beside the draft text, which becomes their optional
-- caption, until the landlord presses Send; then they move to the outbox in
-- one transaction with the text.
CREATE TABLE draft_files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL,
    path            TEXT NOT NULL,
    name            TEXT NOT NULL,  -- already sanitised
    size            INTEGER NOT NULL,
    content_type    TEXT NOT NULL,  -- sniffed from the first bytes
    added_at        TEXT NOT NULL
) STRICT;
CREATE INDEX draft_files_conversation ON draft_files (conversation_id, id);
