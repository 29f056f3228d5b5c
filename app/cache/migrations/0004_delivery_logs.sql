-- The last delivery log seen for each conversation (how its tenants were
-- told of it by e-mail and text message), for Tenant Info offline.
CREATE TABLE delivery_logs (
    conversation_id INTEGER PRIMARY KEY,
    data            TEXT NOT NULL, -- []backend.Notification as JSON
    fetched_at      TEXT NOT NULL
) STRICT;
