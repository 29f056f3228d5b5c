package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"doorstep/backend"
)

// The background fill loads every conversation's whole history into the
// cache, so search finds what was never opened. These are its records:
// how far down each conversation is loaded, and what is still missing. A
// server's seqs have no gaps (1 … last_seq; messages are never deleted),
// so a conversation is complete when it holds last_seq messages. A message
// held without its hash (cached before the server sent one, or stored by a
// fill that dropped it) counts as missing: it is fetched again and
// completed, so an export made offline can carry the whole chain.

// HistoryTarget is a conversation the fill looks at.
type HistoryTarget struct {
	ConversationID int64
	LastSeq        int64
}

// HistoryTargets lists the cached conversations with their last seq, the
// most recently active first (their history is the likeliest searched).
func (c *Cache) HistoryTargets(ctx context.Context) ([]HistoryTarget, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id, last_seq FROM conversations ORDER BY activity DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("cache history: %w", err)
	}
	defer rows.Close()
	var out []HistoryTarget
	for rows.Next() {
		var t HistoryTarget
		if err := rows.Scan(&t.ConversationID, &t.LastSeq); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// HistoryProgress counts the messages cached and those the conversations
// hold on the server (by their last seq), for "45% loaded".
func (c *Cache) HistoryProgress(ctx context.Context) (have, total int64, err error) {
	err = c.db.QueryRowContext(ctx, `SELECT coalesce(sum(min(last_seq, (SELECT count(*) FROM messages WHERE conversation_id = c.id AND hash <> ''))), 0),
		coalesce(sum(last_seq), 0) FROM conversations c`).Scan(&have, &total)
	if err != nil {
		err = fmt.Errorf("cache history: %w", err)
	}
	return have, total, err
}

// HistoryStart is where the fill starts looking for missing messages in a
// conversation whose last seq is top: below its recorded position when
// every message from there up to top is held (what the last pass loaded,
// and all that came live since), else top itself (a resync may have left
// a gap above it).
func (c *Cache) HistoryStart(ctx context.Context, convID, top int64) (int64, error) {
	var below int64
	err := c.db.QueryRowContext(ctx, "SELECT below FROM history_fill WHERE conversation_id = ?", convID).Scan(&below)
	if errors.Is(err, sql.ErrNoRows) || err == nil && below > top {
		return top, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cache history: %w", err)
	}
	below = max(below, 1)
	var held int64
	if err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq BETWEEN ? AND ? AND hash <> ''",
		convID, below, top).Scan(&held); err != nil {
		return 0, fmt.Errorf("cache history: %w", err)
	}
	if held == top-below+1 {
		return below - 1, nil
	}
	return top, nil
}

// MissingBelow returns the highest seq at or below top that the cache does
// not hold for a conversation (0: it holds every one from 1 to top).
func (c *Cache) MissingBelow(ctx context.Context, convID, top int64) (int64, error) {
	if top <= 0 {
		return 0, nil
	}
	var held bool
	if err := c.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND seq = ? AND hash <> '')", convID, top).Scan(&held); err != nil {
		return 0, fmt.Errorf("cache history: %w", err)
	}
	if !held {
		return top, nil
	}
	// The bottom of the run of held seqs that ends at top: the seq below it
	// is the one missing.
	var bottom int64
	err := c.db.QueryRowContext(ctx, `SELECT seq FROM messages m WHERE conversation_id = ?1 AND seq <= ?2 AND seq > 1 AND hash <> ''
		AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND seq = m.seq - 1 AND hash <> '') ORDER BY seq DESC LIMIT 1`, convID, top).Scan(&bottom)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cache history: %w", err)
	}
	return bottom - 1, nil
}

// PutHistory stores a page of older messages loaded by the fill and moves
// the conversation's fill position down to below, in one transaction, so
// a restart goes on from where the last stored page ended. It returns how
// many of the messages were new to the cache, or held without their hash
// and now complete.
func (c *Cache) PutHistory(ctx context.Context, convID, below int64, msgs []backend.Message) (added int, err error) {
	err = c.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, m := range msgs {
			if m.ConversationID != convID {
				return fmt.Errorf("cache history: message %d is not of conversation %d", m.ID, convID)
			}
			isNew, completed, err := putMessageAdded(ctx, tx, m)
			if err != nil {
				return fmt.Errorf("cache message %d: %w", m.ID, err)
			}
			if isNew || completed {
				added++
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO history_fill (conversation_id, below) VALUES (?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET below = excluded.below`, convID, below)
		return err
	})
	return added, err
}
