-- A third kind of notification: a new portal link the tenant asked for
-- (backend.NotifySignInLink). SQLite cannot change a CHECK constraint in
-- place, so the table is copied into one that allows it. Nothing refers
-- to notifications, so nothing else changes.
CREATE TABLE notifications_new (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    kind            TEXT NOT NULL CHECK (kind IN ('new_chat', 'new_messages', 'sign_in_link')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL, -- the address or number when queued; '' when skipped
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),
    reason          TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,          -- while queued
    created_at      TEXT NOT NULL,
    sent_at         TEXT
) STRICT;
INSERT INTO notifications_new SELECT id, org_id, conversation_id, tenant_id, kind, channel, recipient, state, reason, attempts,
    next_attempt_at, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'queued';
CREATE INDEX notifications_conversation ON notifications (conversation_id, id);
