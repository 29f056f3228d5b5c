-- The User-Agent a session signed in with (at most backend.MaxUserAgent
-- bytes), so its holder can tell their devices apart in the list of where
-- they are signed in; '' for sessions from before.
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
