-- Attention: the tenant's urgent mark on cached messages, and the messages
-- whose notifications quiet hours hold back until they end (kept here so
-- the summary survives a restart). The settings themselves are kept in
-- state, under 'attention', as the server last sent them.
ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE held_notifications (
    message_id      INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL
) STRICT;
