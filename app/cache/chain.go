package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"doorstep/backend"
)

// What the cache keeps of the chain (see backend/chain.go) for exports made
// offline: each message's recorded hash (the messages table's hash column,
// filled by putMessage), the newest signed head of each conversation, and
// the server's public key.

// PutSignedHead keeps a conversation's signed head unless a newer one (a
// later seq, or the same seq signed later) is kept already.
func (c *Cache) PutSignedHead(ctx context.Context, h backend.SignedHead) error {
	b, _ := json.Marshal(h)
	_, err := c.db.ExecContext(ctx, `INSERT INTO signed_heads (conversation_id, seq, data) VALUES (?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET seq = excluded.seq, data = excluded.data
		WHERE excluded.seq > signed_heads.seq
		   OR excluded.seq = signed_heads.seq AND json_extract(excluded.data, '$.signed_at') > json_extract(signed_heads.data, '$.signed_at')`,
		h.ConversationID, h.Seq, string(b))
	if err != nil {
		return fmt.Errorf("cache signed head: %w", err)
	}
	return nil
}

// SignedHead returns the newest signed head kept for a conversation (ok
// false when there is none).
func (c *Cache) SignedHead(ctx context.Context, convID int64) (h backend.SignedHead, ok bool, err error) {
	var data string
	err = c.db.QueryRowContext(ctx, "SELECT data FROM signed_heads WHERE conversation_id = ?", convID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("cache signed head: %w", err)
	}
	return h, true, json.Unmarshal([]byte(data), &h)
}

// ServerKey is the server's public signing key as it last said it (ok
// false when it never did).
func (c *Cache) ServerKey(ctx context.Context) (k backend.ServerKey, ok bool, err error) {
	v, err := c.state(ctx, "server_key")
	if err != nil || v == "" {
		return k, false, err
	}
	return k, true, json.Unmarshal([]byte(v), &k)
}

// SetServerKey keeps the server's public signing key.
func (c *Cache) SetServerKey(ctx context.Context, k backend.ServerKey) error {
	b, _ := json.Marshal(k)
	return setState(ctx, c.db, "server_key", string(b))
}

// MessageHashes returns the hash kept for each message of a conversation,
// by seq (those cached without one are left out).
func (c *Cache) MessageHashes(ctx context.Context, convID int64) (map[int64]string, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT seq, hash FROM messages WHERE conversation_id = ? AND hash <> ''", convID)
	if err != nil {
		return nil, fmt.Errorf("cache hashes: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var seq int64
		var h string
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, fmt.Errorf("cache hashes: %w", err)
		}
		out[seq] = h
	}
	return out, rows.Err()
}
