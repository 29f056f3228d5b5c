-- The chat server's data: landlord organisations and their users, the rental
-- directory (properties, units, tenants, leases), sessions, conversations,
-- messages, files and the per-recipient event log.
--
-- Times are UTC RFC 3339 text; lease dates are 'YYYY-MM-DD' in the landlord's
-- time zone. Lease status (Active / Expired / Future) is never stored: it is
-- computed from the dates and today's date in the organisation's time zone.

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    time_zone  TEXT NOT NULL DEFAULT 'UTC', -- IANA name, e.g. America/Chicago
    created_at TEXT NOT NULL
) STRICT;

-- Landlord-side accounts. Exactly one main user per organisation may chat;
-- sub-users can sign in but chat endpoints refuse them.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_main       INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_one_main_per_org ON users (org_id) WHERE is_main = 1;

CREATE TABLE properties (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES orgs (id),
    name    TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, name)
) STRICT;

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties (id),
    name        TEXT NOT NULL,
    UNIQUE (property_id, name)
) STRICT;

CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX tenants_org ON tenants (org_id, name);

CREATE TABLE leases (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    start_date    TEXT NOT NULL CHECK (start_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    end_date      TEXT CHECK (end_date IS NULL OR end_date >= start_date),
    rent_cents    INTEGER NOT NULL DEFAULT 0 CHECK (rent_cents >= 0),
    deposit_cents INTEGER NOT NULL DEFAULT 0 CHECK (deposit_cents >= 0)
) STRICT;
CREATE INDEX leases_unit ON leases (unit_id);

CREATE TABLE lease_tenants (
    lease_id  INTEGER NOT NULL REFERENCES leases (id),
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (lease_id, tenant_id)
) STRICT;
CREATE INDEX lease_tenants_tenant ON lease_tenants (tenant_id);

-- Sessions of landlord users or tenants. Only the SHA-256 of the token is
-- kept, so a copy of the database does not hand out sessions.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id),
    tenant_id  INTEGER REFERENCES tenants (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK ((user_id IS NULL) <> (tenant_id IS NULL))
) STRICT;

-- Single-use links that let a tenant open a session (sent by e-mail / SMS).
CREATE TABLE tenant_invites (
    token_hash BLOB PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;

-- A one-to-one chat (tenant_id) or a unit group chat (unit_id), never both.
CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs (id),
    tenant_id         INTEGER REFERENCES tenants (id),
    unit_id           INTEGER REFERENCES units (id),
    created_by        INTEGER NOT NULL REFERENCES users (id),
    created_at        TEXT NOT NULL,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    landlord_read_seq INTEGER NOT NULL DEFAULT 0,
    CHECK ((tenant_id IS NULL) <> (unit_id IS NULL)),
    UNIQUE (org_id, tenant_id),
    UNIQUE (org_id, unit_id)
) STRICT;

-- Tenants taking part in a conversation, with how far each has read.
CREATE TABLE conversation_tenants (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    read_seq        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, tenant_id)
) STRICT;
CREATE INDEX conversation_tenants_tenant ON conversation_tenants (tenant_id);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    seq              INTEGER NOT NULL,
    sender_user_id   INTEGER REFERENCES users (id),
    sender_tenant_id INTEGER REFERENCES tenants (id),
    text             TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (conversation_id, seq),
    CHECK ((sender_user_id IS NULL) <> (sender_tenant_id IS NULL))
) STRICT;
-- A retried send (same sender, same key) finds the first one instead of doubling it.
CREATE UNIQUE INDEX messages_user_key ON messages (sender_user_id, idem_key) WHERE sender_user_id IS NOT NULL;
CREATE UNIQUE INDEX messages_tenant_key ON messages (sender_tenant_id, idem_key) WHERE sender_tenant_id IS NOT NULL;

-- Uploaded files. storage_name is made by the server; name is what the
-- uploader called it (checked, and only ever shown as text).
CREATE TABLE files (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES orgs (id),
    uploader_user_id   INTEGER REFERENCES users (id),
    uploader_tenant_id INTEGER REFERENCES tenants (id),
    name               TEXT NOT NULL,
    size               INTEGER NOT NULL CHECK (size >= 0),
    sha256             TEXT NOT NULL,
    content_type       TEXT NOT NULL,
    storage_name       TEXT NOT NULL UNIQUE,
    created_at         TEXT NOT NULL,
    CHECK ((uploader_user_id IS NULL) <> (uploader_tenant_id IS NULL))
) STRICT;

CREATE TABLE message_files (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    file_id    INTEGER NOT NULL REFERENCES files (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (message_id, file_id)
) STRICT;
CREATE INDEX message_files_file ON message_files (file_id);

-- What each user or tenant is told, in order. AUTOINCREMENT: ids are never
-- reused after old events are pruned, so `since` stays meaningful.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users (id),
    tenant_id  INTEGER REFERENCES tenants (id),
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL, -- JSON
    created_at TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (tenant_id IS NULL))
) STRICT;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_tenant ON events (tenant_id, id) WHERE tenant_id IS NOT NULL;

-- The lowest event id still kept (events below it were pruned).
INSERT INTO meta (key, value) VALUES ('events_floor', '0');
