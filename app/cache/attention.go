package cache

import (
	"context"
	"encoding/json"
	"fmt"

	"doorstep/backend"
)

// AttentionSettings are the landlord's attention settings as the server
// last sent them; ok is false before it ever did.
func (c *Cache) AttentionSettings(ctx context.Context) (s backend.AttentionSettings, ok bool, err error) {
	v, err := c.state(ctx, "attention")
	if err != nil || v == "" {
		return backend.DefaultAttentionSettings(), false, err
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return backend.DefaultAttentionSettings(), false, fmt.Errorf("cache attention settings: %w", err)
	}
	return s, true, nil
}

// SetAttentionSettings keeps the settings the server sent.
func (c *Cache) SetAttentionSettings(ctx context.Context, s backend.AttentionSettings) error {
	b, _ := json.Marshal(s)
	return setState(ctx, c.db, "attention", string(b))
}

// Hold records that a message's notification waits for quiet hours to end.
func (c *Cache) Hold(ctx context.Context, m backend.Message) error {
	_, err := c.db.ExecContext(ctx, "INSERT INTO held_notifications (message_id, conversation_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
		m.ID, m.ConversationID)
	if err != nil {
		return fmt.Errorf("cache hold notification: %w", err)
	}
	return nil
}

// Held counts the messages whose notifications are held, and the
// conversations they are in.
func (c *Cache) Held(ctx context.Context) (messages, conversations int, err error) {
	err = c.db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT conversation_id) FROM held_notifications").Scan(&messages, &conversations)
	if err != nil {
		return 0, 0, fmt.Errorf("cache held notifications: %w", err)
	}
	return messages, conversations, nil
}

// ReleaseHeld forgets held notifications: of one conversation (the
// landlord read it meanwhile), or with convID 0 all of them.
func (c *Cache) ReleaseHeld(ctx context.Context, convID int64) error {
	_, err := c.db.ExecContext(ctx, "DELETE FROM held_notifications WHERE ? = 0 OR conversation_id = ?", convID, convID)
	if err != nil {
		return fmt.Errorf("cache release held notifications: %w", err)
	}
	return nil
}
