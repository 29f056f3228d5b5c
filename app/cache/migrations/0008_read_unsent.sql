-- The landlord's read position as this computer moved it and the server has
-- not confirmed yet (0: none). A conversation list from the server is taken
-- as it is (a Mark as unread made on another device sets the position back)
-- unless a read made here is still on its way; the engine sends those when
-- it reconnects.
ALTER TABLE conversations ADD COLUMN read_unsent INTEGER NOT NULL DEFAULT 0;
