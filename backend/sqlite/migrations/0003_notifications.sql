-- E-mails and text messages to tenants: the outbox the notification sender
-- works through (queued rows, oldest due first) and, kept afterwards, the
-- delivery log the landlord sees. Rows are written in the same transaction
-- as what they announce, so a chat is never started without them.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    kind            TEXT NOT NULL CHECK (kind IN ('new_chat', 'new_messages')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL, -- the address or number when queued; '' when skipped
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),
    reason          TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,          -- while queued
    created_at      TEXT NOT NULL,
    sent_at         TEXT
) STRICT;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'queued';
CREATE INDEX notifications_conversation ON notifications (conversation_id, id);
