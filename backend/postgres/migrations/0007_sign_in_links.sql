-- A third kind of notification: a new portal link the tenant asked for
-- (backend.NotifySignInLink).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('new_chat', 'new_messages', 'sign_in_link'));
