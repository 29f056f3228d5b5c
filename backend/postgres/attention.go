package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"doorstep/backend"
)

// AttentionSettings are p's settings, the defaults until p saves any.
func (db *DB) AttentionSettings(ctx context.Context, p backend.Principal) (backend.AttentionSettings, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.AttentionSettings{}, err
	}
	return attentionSettings(ctx, db.r, p.ID)
}

func attentionSettings(ctx context.Context, q queryer, userID int64) (backend.AttentionSettings, error) {
	s := backend.DefaultAttentionSettings()
	var schedule, words []byte
	var updated time.Time
	err := q.QueryRow(ctx, "SELECT quiet_hours, emergency_words, updated_at FROM attention_settings WHERE user_id = $1", userID).
		Scan(&schedule, &words, &updated)
	switch {
	case isNoRows(err):
	case err != nil:
		return s, fmt.Errorf("attention settings: %w", err)
	default:
		if err := errors.Join(json.Unmarshal(schedule, &s.QuietHours), json.Unmarshal(words, &s.EmergencyWords)); err != nil {
			return s, fmt.Errorf("attention settings: %w", err)
		}
		s.UpdatedAt = updated
	}
	rows, err := q.Query(ctx, "SELECT conversation_id, until FROM conversation_mutes WHERE user_id = $1 ORDER BY conversation_id", userID)
	if err != nil {
		return s, fmt.Errorf("mutes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m backend.Mute
		if err := rows.Scan(&m.ConversationID, &m.Until); err != nil {
			return s, fmt.Errorf("mutes: %w", err)
		}
		s.Mutes = append(s.Mutes, m)
	}
	return s, rows.Err()
}

// SaveAttentionSettings replaces p's schedule and emergency words.
func (db *DB) SaveAttentionSettings(ctx context.Context, p backend.Principal, u backend.AttentionUpdate) (backend.AttentionSettings, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.AttentionSettings{}, err
	}
	u, err := u.Validate()
	if err != nil {
		return backend.AttentionSettings{}, err
	}
	schedule, _ := json.Marshal(u.QuietHours)
	words, _ := json.Marshal(u.EmergencyWords)
	return db.changeAttention(ctx, p, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO attention_settings (user_id, quiet_hours, emergency_words, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET quiet_hours = excluded.quiet_hours, emergency_words = excluded.emergency_words,
			updated_at = excluded.updated_at`, p.ID, schedule, words, tx.Now())
		return err
	})
}

// MuteConversation mutes one of p's conversations.
func (db *DB) MuteConversation(ctx context.Context, p backend.Principal, convID int64, req backend.MuteRequest) (backend.AttentionSettings, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.AttentionSettings{}, err
	}
	return db.changeAttention(ctx, p, func(tx *Tx) error {
		if _, err := openChat(ctx, tx, p, convID); err != nil {
			return err
		}
		if err := req.Validate(tx.Now()); err != nil {
			return err
		}
		var until *time.Time
		if req.Until != nil {
			t := stored(*req.Until)
			until = &t
		}
		_, err := tx.Exec(ctx, `INSERT INTO conversation_mutes (user_id, conversation_id, until) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, conversation_id) DO UPDATE SET until = excluded.until`, p.ID, convID, until)
		return err
	})
}

// UnmuteConversation ends a mute of one of p's conversations.
func (db *DB) UnmuteConversation(ctx context.Context, p backend.Principal, convID int64) (backend.AttentionSettings, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.AttentionSettings{}, err
	}
	return db.changeAttention(ctx, p, func(tx *Tx) error {
		if _, err := openChat(ctx, tx, p, convID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM conversation_mutes WHERE user_id = $1 AND conversation_id = $2", p.ID, convID)
		return err
	})
}

// changeAttention makes a change to p's settings and tells p's devices,
// with the settings as they are after it. The user's row is locked first:
// two changes at once (a mute on the phone, quiet hours on the desktop)
// take turns, so each event carries the other's change too.
func (db *DB) changeAttention(ctx context.Context, p backend.Principal, change func(tx *Tx) error) (backend.AttentionSettings, error) {
	var s backend.AttentionSettings
	err := db.Update(ctx, func(tx *Tx) error {
		var locked int64
		if err := tx.QueryRow(ctx, "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE", p.ID).Scan(&locked); err != nil {
			return fmt.Errorf("lock user %d: %w", p.ID, err)
		}
		if err := change(tx); err != nil {
			return err
		}
		var err error
		if s, err = attentionSettings(ctx, tx, p.ID); err != nil {
			return err
		}
		ev := s
		tx.emit(backend.Delivery{To: p.Recipient(), Event: backend.Event{Type: backend.EventSettings, Settings: &ev}})
		return nil
	})
	if err != nil {
		return backend.AttentionSettings{}, err
	}
	return s, nil
}
