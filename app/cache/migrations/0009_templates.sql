-- The organisation's message templates as the server last sent them, so
-- that the compose box can fill one offline.
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY, -- the server's id
    name       TEXT NOT NULL,
    text       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
