-- Attention: a landlord user's notification settings (quiet hours, their
-- time zone, emergency words), the conversations they muted, and the
-- tenant's urgent mark on a message.

-- One row per landlord user who saved settings; the others have the
-- defaults (backend.DefaultAttentionSettings).
CREATE TABLE attention_settings (
    user_id         INTEGER PRIMARY KEY REFERENCES users (id),
    quiet_hours     TEXT NOT NULL, -- backend.QuietSchedule as JSON, with its IANA time zone
    emergency_words TEXT NOT NULL, -- JSON array of strings
    updated_at      TEXT NOT NULL
) STRICT;

-- A muted conversation, until a time (UTC RFC 3339) or, with until NULL,
-- until unmuted. A mute that ran out stays until replaced: it mutes nothing.
CREATE TABLE conversation_mutes (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    until           TEXT,
    PRIMARY KEY (user_id, conversation_id)
) STRICT;

ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1));
