-- Files attached to an outbox message, uploaded one by one before the
-- message is sent: [{"path": "...", "name": "...", "file_id": 0}, ...].
-- file_id is set once a file is uploaded, so a retry never uploads it again.
ALTER TABLE outbox ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
