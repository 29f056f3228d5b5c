-- The desktop app's cache of one account on one server: everything needed to
-- show the Chat tab with no network, the outbox of messages not yet
-- confirmed, and where the event stream left off.

CREATE TABLE state (
    key   TEXT PRIMARY KEY, -- 'me', 'last_event_id'
    value TEXT NOT NULL
) STRICT;

CREATE TABLE conversations (
    id       INTEGER PRIMARY KEY,
    data     TEXT NOT NULL,    -- backend.Conversation as JSON, without last_message
    activity TEXT NOT NULL,    -- time of the last message (or creation), for ordering
    last_seq INTEGER NOT NULL,
    read_seq INTEGER NOT NULL,
    unread   INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_activity ON conversations (activity DESC);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY, -- the server's id
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    sender_kind     TEXT NOT NULL,
    sender_id       INTEGER NOT NULL,
    sender_name     TEXT NOT NULL,
    text            TEXT NOT NULL,
    files           TEXT NOT NULL DEFAULT '[]', -- JSON
    key             TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
) STRICT;

-- Full-text search over every cached message.
CREATE VIRTUAL TABLE messages_fts USING fts5 (text, content = 'messages', content_rowid = 'id');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Messages written here and not yet confirmed by the server, in order.
CREATE TABLE outbox (
    local_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL,
    key             TEXT NOT NULL UNIQUE, -- the idempotency key sent with every try
    text            TEXT NOT NULL,
    file_ids        TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    error_code      TEXT NOT NULL DEFAULT '',
    error_message   TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE directory (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    data       TEXT NOT NULL, -- backend.Directory as JSON
    fetched_at TEXT NOT NULL
) STRICT;

CREATE TABLE tenant_records (
    id         INTEGER PRIMARY KEY,
    data       TEXT NOT NULL, -- backend.TenantRecord as JSON
    fetched_at TEXT NOT NULL
) STRICT;

CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY,
    text            TEXT NOT NULL
) STRICT;
