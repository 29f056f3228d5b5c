// Package cache is the desktop app's local SQLite database for one account
// on one server: conversations, messages (with full-text search), the
// directory and tenant records, drafts, the outbox of unconfirmed messages,
// and the position in the server's event stream. The UI paints from it
// before any network call, and it is what makes the app work offline.
package cache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"doorstep/backend"
	"doorstep/backend/migrate"
	"doorstep/internal/sqlitetrouble"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNewerSchema: the cache was written by a newer Doorstep.
var ErrNewerSchema = migrate.ErrNewerSchema

// Cache is an open cache database.
type Cache struct {
	db  *sql.DB
	now func() time.Time
}

// PathFor is where the cache of an account on a server lives: one file per
// server id and e-mail, so accounts and servers never mix.
func PathFor(dataDir, serverID, email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return filepath.Join(dataDir, "cache", serverID+"-"+hex.EncodeToString(sum[:8])+".db")
}

// Open opens (creating if needed) the cache at path. A cache from a newer
// version of Doorstep is refused with ErrNewerSchema rather than guessed at.
func Open(ctx context.Context, path string, version string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL") // the outbox must survive a power cut
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "64")
	db, err := sql.Open("sqlite3", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	if err := migrate.Run(ctx, db, sub, "Doorstep "+version, time.Now); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	return &Cache{db: db, now: time.Now}, nil
}

// Close closes the cache.
func (c *Cache) Close() error { return c.db.Close() }

func (c *Cache) state(ctx context.Context, key string) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, "SELECT value FROM state WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setState(ctx context.Context, q execer, key, value string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Me is the signed-in account as last seen (empty before the first sign-in).
func (c *Cache) Me(ctx context.Context) (backend.Me, error) {
	var me backend.Me
	v, err := c.state(ctx, "me")
	if err != nil || v == "" {
		return me, err
	}
	return me, json.Unmarshal([]byte(v), &me)
}

// SetMe records the signed-in account.
func (c *Cache) SetMe(ctx context.Context, me backend.Me) error {
	b, _ := json.Marshal(me)
	return setState(ctx, c.db, "me", string(b))
}

// Limits are the server's limits as it last said them (zero: never said).
func (c *Cache) Limits(ctx context.Context) (backend.Limits, error) {
	var l backend.Limits
	v, err := c.state(ctx, "limits")
	if err != nil || v == "" {
		return l, err
	}
	return l, json.Unmarshal([]byte(v), &l)
}

// SetLimits keeps the server's limits, for checks made offline.
func (c *Cache) SetLimits(ctx context.Context, l backend.Limits) error {
	b, _ := json.Marshal(l)
	return setState(ctx, c.db, "limits", string(b))
}

// LastEventID is where the event stream left off (0: never synced).
func (c *Cache) LastEventID(ctx context.Context) (int64, error) {
	v, err := c.state(ctx, "last_event_id")
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

func (c *Cache) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// ---------------------------------------------------------------- conversations

func putConversation(ctx context.Context, q execer, conv backend.Conversation) error {
	last := conv.LastMessage
	conv.LastMessage = nil
	// Read positions have their table, moved by events; the stored JSON
	// would go stale.
	for _, r := range conv.Reads {
		if err := putReadPosition(ctx, q, r); err != nil {
			return err
		}
	}
	conv.Reads = nil
	data, _ := json.Marshal(conv)
	activity := conv.CreatedAt
	if last != nil {
		activity = last.CreatedAt
		if err := putMessage(ctx, q, *last); err != nil {
			return err
		}
	}
	var stored string
	err := q.QueryRowContext(ctx, "SELECT activity FROM conversations WHERE id = ?", conv.ID).Scan(&stored)
	if err == nil && stored > formatTime(activity) {
		activity, _ = time.Parse(timeLayout, stored)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO conversations (id, data, activity, last_seq, read_seq, unread) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, activity = excluded.activity, last_seq = max(last_seq, excluded.last_seq),
		read_seq = max(excluded.read_seq, read_unsent),
		unread = CASE WHEN read_unsent > excluded.read_seq
			THEN (SELECT count(*) FROM messages m WHERE m.conversation_id = excluded.id AND m.seq > read_unsent AND m.sender_kind = 'tenant')
			ELSE excluded.unread END`,
		conv.ID, string(data), formatTime(activity), conv.LastSeq, conv.ReadSeq, conv.Unread)
	return err
}

// putReadPosition moves a member's cached read position forward (a
// tenant's position never goes back, so an older answer changes nothing).
func putReadPosition(ctx context.Context, q execer, r backend.ReadPosition) error {
	_, err := q.ExecContext(ctx, `INSERT INTO read_positions (conversation_id, reader_kind, reader_id, reader_name, seq)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, reader_kind, reader_id)
		DO UPDATE SET reader_name = excluded.reader_name, seq = max(seq, excluded.seq)`,
		r.ConversationID, string(r.Reader.Kind), r.Reader.ID, r.Reader.Name, r.Seq)
	if err != nil {
		return fmt.Errorf("cache read position: %w", err)
	}
	return nil
}

// readPositions returns the cached read positions by conversation id.
func (c *Cache) readPositions(ctx context.Context) (map[int64][]backend.ReadPosition, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT conversation_id, reader_kind, reader_id, reader_name, seq FROM read_positions
		ORDER BY conversation_id, reader_name COLLATE NOCASE, reader_id`)
	if err != nil {
		return nil, fmt.Errorf("cache read positions: %w", err)
	}
	defer rows.Close()
	out := map[int64][]backend.ReadPosition{}
	for rows.Next() {
		var r backend.ReadPosition
		var kind string
		if err := rows.Scan(&r.ConversationID, &kind, &r.Reader.ID, &r.Reader.Name, &r.Seq); err != nil {
			return nil, fmt.Errorf("cache read positions: %w", err)
		}
		r.Reader.Kind = backend.PrincipalKind(kind)
		out[r.ConversationID] = append(out[r.ConversationID], r)
	}
	return out, rows.Err()
}

// PutConversations stores conversations as the server listed them.
func (c *Cache) PutConversations(ctx context.Context, list []backend.Conversation) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, conv := range list {
			if err := putConversation(ctx, tx, conv); err != nil {
				return fmt.Errorf("cache conversation %d: %w", conv.ID, err)
			}
		}
		return nil
	})
}

// Conversations lists the cached conversations, most recent activity first,
// each with its newest cached message.
func (c *Cache) Conversations(ctx context.Context) ([]backend.Conversation, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT c.data, c.last_seq, c.read_seq, c.unread, m.id FROM conversations c
		LEFT JOIN messages m ON m.id = (SELECT id FROM messages WHERE conversation_id = c.id ORDER BY seq DESC LIMIT 1)
		ORDER BY c.activity DESC, c.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("cache conversations: %w", err)
	}
	out := []backend.Conversation{}
	var lastIDs []sql.NullInt64
	for rows.Next() {
		var data string
		var conv backend.Conversation
		var last sql.NullInt64
		var lastSeq, readSeq, unread int64
		if err := rows.Scan(&data, &lastSeq, &readSeq, &unread, &last); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &conv); err != nil {
			rows.Close()
			return nil, err
		}
		conv.LastSeq, conv.ReadSeq, conv.Unread = lastSeq, readSeq, unread
		out = append(out, conv)
		lastIDs = append(lastIDs, last)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	reads, err := c.readPositions(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Reads = reads[out[i].ID]
	}
	for i, id := range lastIDs {
		if !id.Valid {
			continue
		}
		msgs, err := c.messagesWhere(ctx, "WHERE id = ?", id.Int64)
		if err != nil {
			return nil, err
		}
		if len(msgs) == 1 {
			out[i].LastMessage = &msgs[0]
		}
	}
	return out, rows.Err()
}

// Conversation returns one cached conversation (ok false if unknown).
func (c *Cache) Conversation(ctx context.Context, id int64) (backend.Conversation, bool, error) {
	list, err := c.Conversations(ctx)
	for _, conv := range list {
		if conv.ID == id {
			return conv, true, err
		}
	}
	return backend.Conversation{}, false, err
}

// ---------------------------------------------------------------- messages

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func putMessage(ctx context.Context, q execer, m backend.Message) error {
	_, _, err := putMessageAdded(ctx, q, m)
	return err
}

// putMessageAdded stores m unless the cache holds it, and says whether it
// was new, or known and now completed. A message is kept as it first came,
// but what the server adds to it and never takes back is filled in when it
// comes again: its hash (missing from messages cached before the server
// sent hashes, and from those an earlier fill stored) and the tenant's
// urgent mark.
func putMessageAdded(ctx context.Context, q execer, m backend.Message) (added, completed bool, err error) {
	files, _ := json.Marshal(m.Files)
	if m.Files == nil {
		files = []byte("[]")
	}
	res, err := q.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, seq, sender_kind, sender_id, sender_name, text, files, key, created_at, urgent, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, m.ConversationID, m.Seq, string(m.Sender.Kind), m.Sender.ID, m.Sender.Name, m.Text, string(files), m.Key, formatTime(m.CreatedAt), m.Urgent, m.Hash)
	if err != nil {
		return false, false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, false, nil
	}
	res, err = q.ExecContext(ctx, `UPDATE messages SET hash = CASE WHEN hash = '' THEN ?2 ELSE hash END, urgent = urgent OR ?3
		WHERE id = ?1 AND (hash = '' AND ?2 <> '' OR ?3 AND NOT urgent)`, m.ID, m.Hash, m.Urgent)
	if err != nil {
		return false, false, err
	}
	n, _ := res.RowsAffected()
	return false, n > 0, nil
}

// PutMessages stores messages (a page from the server); known ones are kept.
func (c *Cache) PutMessages(ctx context.Context, msgs []backend.Message) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, m := range msgs {
			if err := putMessage(ctx, tx, m); err != nil {
				return fmt.Errorf("cache message %d: %w", m.ID, err)
			}
		}
		return nil
	})
}

func (c *Cache) messagesWhere(ctx context.Context, where string, args ...any) ([]backend.Message, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id, conversation_id, seq, sender_kind, sender_id, sender_name, text, files, key, created_at, urgent, hash
		FROM messages `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("cache messages: %w", err)
	}
	defer rows.Close()
	out := []backend.Message{}
	for rows.Next() {
		var m backend.Message
		var kind, files, created string
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Seq, &kind, &m.Sender.ID, &m.Sender.Name, &m.Text, &files, &m.Key, &created, &m.Urgent, &m.Hash); err != nil {
			return nil, err
		}
		m.Sender.Kind = backend.PrincipalKind(kind)
		m.CreatedAt, _ = time.Parse(timeLayout, created)
		json.Unmarshal([]byte(files), &m.Files)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns up to limit cached messages of a conversation before seq
// (0: the newest), in sequence order.
func (c *Cache) Messages(ctx context.Context, convID, before int64, limit int) ([]backend.Message, error) {
	if before <= 0 {
		before = 1 << 62
	}
	msgs, err := c.messagesWhere(ctx, "WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", convID, before, limit)
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	return msgs, err
}

// ---------------------------------------------------------------- events

// ApplyEvents stores a batch of events from the stream and the new stream
// position in one transaction: after a crash the cache is either before or
// after the whole batch. Events at or below the stored position are skipped,
// so applying twice changes nothing. me says whose unread counts these are.
func (c *Cache) ApplyEvents(ctx context.Context, me backend.Principal, events []backend.Event) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var last int64
		var v string
		if err := tx.QueryRowContext(ctx, "SELECT value FROM state WHERE key = 'last_event_id'").Scan(&v); err == nil {
			last, _ = strconv.ParseInt(v, 10, 64)
		}
		for _, ev := range events {
			if ev.ID <= last {
				continue
			}
			if err := applyEvent(ctx, tx, me, ev); err != nil {
				return fmt.Errorf("apply event %d: %w", ev.ID, err)
			}
			last = ev.ID
		}
		return setState(ctx, tx, "last_event_id", strconv.FormatInt(last, 10))
	})
}

// ServerID is the server id of the history this cache holds ("" for a
// cache from before it was recorded).
func (c *Cache) ServerID(ctx context.Context) (string, error) { return c.state(ctx, "server_id") }

// AdoptServer records the server id of the history this cache holds, unless
// one is recorded already: a cache made before the id was recorded was made
// for the server whose id names its file.
func (c *Cache) AdoptServer(ctx context.Context, serverID string) error {
	_, err := c.db.ExecContext(ctx, "INSERT INTO state (key, value) VALUES ('server_id', ?) ON CONFLICT (key) DO NOTHING", serverID)
	return err
}

// ForgetServer empties what the cache holds of the server's history, for a
// server whose history is no longer the one synced (restored from a
// backup: its id changed), and records the new id, in one transaction.
// What only the landlord has is kept: drafts, their files, and the outbox;
// but the outbox waits for the landlord, each entry marked failed with
// message (its conversation may be gone, or be another one now) and its
// files to be uploaded again.
func (c *Cache) ForgetServer(ctx context.Context, serverID, code, message string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{"DELETE FROM messages", "DELETE FROM conversations", "DELETE FROM directory",
			"DELETE FROM tenant_records", "DELETE FROM delivery_logs", "DELETE FROM read_positions", "DELETE FROM state WHERE key = 'last_event_id'",
			"DELETE FROM history_fill", "DELETE FROM signed_heads", "DELETE FROM state WHERE key = 'server_key'"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := forgetUploads(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET state = 'failed', error_code = ?, error_message = ?", code, message); err != nil {
			return err
		}
		return setState(ctx, tx, "server_id", serverID)
	})
}

// forgetUploads clears the server's file ids (and resumable upload ids)
// from every outbox entry: the files go up again from their local copies.
func forgetUploads(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT local_id, attachments FROM outbox")
	if err != nil {
		return err
	}
	kept := map[int64]string{}
	for rows.Next() {
		var id int64
		var atts string
		if err := rows.Scan(&id, &atts); err != nil {
			rows.Close()
			return err
		}
		kept[id] = atts
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, atts := range kept {
		var list []Attachment
		if err := json.Unmarshal([]byte(atts), &list); err != nil {
			return fmt.Errorf("outbox %d attachments: %w", id, err)
		}
		for i := range list {
			list[i].FileID, list[i].UploadID = 0, ""
		}
		b, _ := json.Marshal(list)
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET attachments = ?, file_ids = '[]' WHERE local_id = ?", string(b), id); err != nil {
			return err
		}
	}
	return nil
}

// SetLastEventID moves the stream position (after a resync reload).
func (c *Cache) SetLastEventID(ctx context.Context, id int64) error {
	return setState(ctx, c.db, "last_event_id", strconv.FormatInt(id, 10))
}

func applyEvent(ctx context.Context, tx *sql.Tx, me backend.Principal, ev backend.Event) error {
	switch ev.Type {
	case backend.EventConversation:
		if ev.Conversation != nil {
			return putConversation(ctx, tx, *ev.Conversation)
		}
	case backend.EventMessage:
		m := ev.Message
		if m == nil {
			return nil
		}
		added, _, err := putMessageAdded(ctx, tx, *m)
		if err != nil || !added {
			return err
		}
		mine := m.Sender.Kind == me.Kind && m.Sender.ID == me.ID
		unread := 1
		if mine {
			unread = 0
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET last_seq = max(last_seq, ?), activity = max(activity, ?),
			unread = CASE WHEN ? THEN 0 ELSE unread + ? END, read_seq = CASE WHEN ? THEN max(read_seq, ?) ELSE read_seq END WHERE id = ?`,
			m.Seq, formatTime(m.CreatedAt), mine, unread, mine, m.Seq, m.ConversationID)
		return err
	case backend.EventRead:
		r := ev.Read
		if r == nil {
			return nil
		}
		if r.Reader.Kind != me.Kind || r.Reader.ID != me.ID {
			return putReadPosition(ctx, tx, *r) // a member's: the receipts under my messages
		}
		if r.MarkedUnread {
			// Set back on purpose (Mark as unread, maybe on another device):
			// taken as it is, and what follows shows unread, at least one.
			_, err := tx.ExecContext(ctx, `UPDATE conversations SET read_seq = ?,
				unread = max(1, (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.seq > ?
				          AND NOT (m.sender_kind = ? AND m.sender_id = ?))) WHERE id = ?`,
				r.Seq, r.Seq, string(me.Kind), me.ID, r.ConversationID)
			return err
		}
		// My own read (from here, or another device of mine): the server
		// has it, so a read sent from here up to it is confirmed.
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET read_seq = max(read_seq, ?1),
			unread = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.seq > max(conversations.read_seq, ?1)
			          AND NOT (m.sender_kind = ?2 AND m.sender_id = ?3)),
			read_unsent = CASE WHEN read_unsent <= ?1 THEN 0 ELSE read_unsent END WHERE id = ?4`,
			r.Seq, string(me.Kind), me.ID, r.ConversationID)
		return err
	}
	return nil
}

// MarkReadLocally clears a conversation's unread count at once and keeps
// the position as unsent until the server confirms it (ReadSent).
func (c *Cache) MarkReadLocally(ctx context.Context, convID, seq int64) error {
	_, err := c.db.ExecContext(ctx, `UPDATE conversations SET read_seq = max(read_seq, ?1), unread = 0,
		read_unsent = max(read_unsent, ?1) WHERE id = ?2`, seq, convID)
	return err
}

// ReadSent records that the server has the landlord's read position seq:
// from now on its lists are taken as they are.
func (c *Cache) ReadSent(ctx context.Context, convID, seq int64) error {
	_, err := c.db.ExecContext(ctx, "UPDATE conversations SET read_unsent = 0 WHERE id = ? AND read_unsent <= ?", convID, seq)
	return err
}

// UnsentReads are the read positions moved here that the server has not
// confirmed, by conversation id.
func (c *Cache) UnsentReads(ctx context.Context) (map[int64]int64, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT id, read_unsent FROM conversations WHERE read_unsent > 0")
	if err != nil {
		return nil, fmt.Errorf("cache unsent reads: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("cache unsent reads: %w", err)
		}
		out[id] = seq
	}
	return out, rows.Err()
}

// SetReadPosition puts the landlord's read position and unread count as
// the server answered Mark as unread: the one time they go back.
func (c *Cache) SetReadPosition(ctx context.Context, convID, readSeq, unread int64) error {
	_, err := c.db.ExecContext(ctx, "UPDATE conversations SET read_seq = ?, unread = ?, read_unsent = 0 WHERE id = ?", readSeq, unread, convID)
	return err
}

// ---------------------------------------------------------------- outbox

// Attachment is a local file waiting to be uploaded with an outbox message.
type Attachment struct {
	Path string `json:"path"`
	Name string `json:"name"`
	// UploadID is the server's resumable upload of this file, recorded
	// before its first byte is sent, so a later try goes on from there.
	UploadID string `json:"upload_id,omitempty"`
	FileID   int64  `json:"file_id"` // set once uploaded
}

// Outgoing is a message in the outbox.
type Outgoing struct {
	LocalID        int64        `json:"localId"`
	ConversationID int64        `json:"conversationId"`
	Key            string       `json:"key"`
	Text           string       `json:"text"`
	FileIDs        []int64      `json:"fileIds"`
	CreatedAt      time.Time    `json:"createdAt"`
	State          string       `json:"state"` // "pending" (sending) or "failed"
	ErrorCode      string       `json:"errorCode,omitempty"`
	ErrorMessage   string       `json:"errorMessage,omitempty"`
	Attempts       int          `json:"attempts"`
	Attachments    []Attachment `json:"attachments"`
}

// NewKey makes an idempotency key for a message.
func NewKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "d-" + hex.EncodeToString(b)
}

// enqueue puts a message in the outbox, durably, before any network call;
// its files get their server ids as they are uploaded (Uploaded).
func enqueue(ctx context.Context, q execer, now time.Time, convID int64, text string, files []Attachment) (Outgoing, error) {
	fileIDs := []int64{}
	if files == nil {
		files = []Attachment{}
	}
	o := Outgoing{ConversationID: convID, Key: NewKey(), Text: text, FileIDs: fileIDs, CreatedAt: now.UTC(), State: "pending", Attachments: files}
	ids, _ := json.Marshal(fileIDs)
	atts, _ := json.Marshal(files)
	err := q.QueryRowContext(ctx, `INSERT INTO outbox (conversation_id, key, text, file_ids, created_at, attachments) VALUES (?, ?, ?, ?, ?, ?) RETURNING local_id`,
		convID, o.Key, text, string(ids), formatTime(o.CreatedAt), string(atts)).Scan(&o.LocalID)
	if err != nil {
		return o, fmt.Errorf("outbox: %w", err)
	}
	return o, nil
}

// Outbox lists the outbox in the order messages were written; convID 0 means all.
func (c *Cache) Outbox(ctx context.Context, convID int64) ([]Outgoing, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT local_id, conversation_id, key, text, file_ids, created_at, state, error_code, error_message, attempts, attachments
		FROM outbox WHERE ? = 0 OR conversation_id = ? ORDER BY local_id`, convID, convID)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	out := []Outgoing{}
	for rows.Next() {
		var o Outgoing
		var ids, created, atts string
		if err := rows.Scan(&o.LocalID, &o.ConversationID, &o.Key, &o.Text, &ids, &created, &o.State, &o.ErrorCode, &o.ErrorMessage, &o.Attempts, &atts); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(ids), &o.FileIDs)
		json.Unmarshal([]byte(atts), &o.Attachments)
		o.CreatedAt, _ = time.Parse(timeLayout, created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// Uploaded records that attachment i of an outbox entry is on the server as
// fileID (and adds it to the message's files), so it is never uploaded twice.
func (c *Cache) Uploaded(ctx context.Context, localID int64, i int, fileID int64) error {
	return c.editAttachment(ctx, localID, i, func(a *Attachment, fileIDs *[]int64) bool {
		if a.FileID != 0 {
			return false
		}
		a.FileID = fileID
		*fileIDs = append(*fileIDs, fileID)
		return true
	})
}

// UploadBegun records the server's upload of attachment i of an outbox
// entry ("" forgets it, to begin again).
func (c *Cache) UploadBegun(ctx context.Context, localID int64, i int, uploadID string) error {
	return c.editAttachment(ctx, localID, i, func(a *Attachment, _ *[]int64) bool {
		a.UploadID = uploadID
		return true
	})
}

// editAttachment changes attachment i of an outbox entry (and the entry's
// file ids) in one transaction; edit returns false to leave them as they are.
func (c *Cache) editAttachment(ctx context.Context, localID int64, i int, edit func(a *Attachment, fileIDs *[]int64) bool) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var atts, ids string
		if err := tx.QueryRowContext(ctx, "SELECT attachments, file_ids FROM outbox WHERE local_id = ?", localID).Scan(&atts, &ids); err != nil {
			return err
		}
		var list []Attachment
		var fileIDs []int64
		json.Unmarshal([]byte(atts), &list)
		json.Unmarshal([]byte(ids), &fileIDs)
		if i < 0 || i >= len(list) || !edit(&list[i], &fileIDs) {
			return nil
		}
		a, _ := json.Marshal(list)
		f, _ := json.Marshal(fileIDs)
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET attachments = ?, file_ids = ? WHERE local_id = ?", string(a), string(f), localID)
		return err
	})
}

// Sent replaces an outbox entry by the message the server stored, in one
// transaction.
func (c *Cache) Sent(ctx context.Context, localID int64, m backend.Message) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE local_id = ?", localID); err != nil {
			return err
		}
		if err := putMessage(ctx, tx, m); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET last_seq = max(last_seq, ?), read_seq = max(read_seq, ?),
			activity = max(activity, ?) WHERE id = ?`, m.Seq, m.Seq, formatTime(m.CreatedAt), m.ConversationID)
		return err
	})
}

// Attempted counts a try that failed for a passing reason (offline).
func (c *Cache) Attempted(ctx context.Context, localID int64) error {
	_, err := c.db.ExecContext(ctx, "UPDATE outbox SET attempts = attempts + 1 WHERE local_id = ?", localID)
	return err
}

// Failed marks an outbox entry as refused for good, with the server's reason.
func (c *Cache) Failed(ctx context.Context, localID int64, code, message string) error {
	_, err := c.db.ExecContext(ctx, "UPDATE outbox SET state = 'failed', error_code = ?, error_message = ?, attempts = attempts + 1 WHERE local_id = ?",
		code, message, localID)
	return err
}

// Retry puts a failed entry back in line (same key: it still cannot double).
func (c *Cache) Retry(ctx context.Context, localID int64) error {
	_, err := c.db.ExecContext(ctx, "UPDATE outbox SET state = 'pending', error_code = '', error_message = '' WHERE local_id = ?", localID)
	return err
}

// Remove takes an entry out of the outbox, sent or not (a cancel).
func (c *Cache) Remove(ctx context.Context, localID int64) error {
	_, err := c.db.ExecContext(ctx, "DELETE FROM outbox WHERE local_id = ?", localID)
	return err
}

// InOutbox reports whether an entry is still in the outbox.
func (c *Cache) InOutbox(ctx context.Context, localID int64) (bool, error) {
	var ok bool
	err := c.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM outbox WHERE local_id = ?)", localID).Scan(&ok)
	return ok, err
}

// Discard removes an outbox entry the landlord gave up on.
func (c *Cache) Discard(ctx context.Context, localID int64) error {
	_, err := c.db.ExecContext(ctx, "DELETE FROM outbox WHERE local_id = ? AND state = 'failed'", localID)
	return err
}

// ---------------------------------------------------------------- drafts

// Draft returns the unsent text of a conversation's compose box.
func (c *Cache) Draft(ctx context.Context, convID int64) (string, error) {
	var t string
	err := c.db.QueryRowContext(ctx, "SELECT text FROM drafts WHERE conversation_id = ?", convID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return t, err
}

// SetDraft keeps the compose box's text (empty removes it).
func (c *Cache) SetDraft(ctx context.Context, convID int64, text string) error {
	if text == "" {
		_, err := c.db.ExecContext(ctx, "DELETE FROM drafts WHERE conversation_id = ?", convID)
		return err
	}
	_, err := c.db.ExecContext(ctx, "INSERT INTO drafts (conversation_id, text) VALUES (?, ?) ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text", convID, text)
	return err
}

// ---------------------------------------------------------------- draft files

// DraftFile is a file picked for a conversation and not sent yet.
type DraftFile struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversationId"`
	Path           string    `json:"-"` // the page never sees or names local paths
	Name           string    `json:"name"`
	Size           int64     `json:"size"`
	ContentType    string    `json:"contentType"`
	AddedAt        time.Time `json:"addedAt"`
}

// AddDraftFiles adds files to a conversation's draft, all or none: a
// message carries at most maxFiles files (the server's limit).
func (c *Cache) AddDraftFiles(ctx context.Context, convID int64, files []DraftFile, maxFiles int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM draft_files WHERE conversation_id = ?", convID).Scan(&n); err != nil {
			return err
		}
		if n+len(files) > maxFiles {
			return backend.Errorf(backend.ETOOLARGE, "A message can carry at most %d files; send these, then attach the rest.", maxFiles)
		}
		now := formatTime(c.now())
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO draft_files (conversation_id, path, name, size, content_type, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
				convID, f.Path, f.Name, f.Size, f.ContentType, now); err != nil {
				return fmt.Errorf("draft files: %w", err)
			}
		}
		return nil
	})
}

func draftFiles(ctx context.Context, q execer, convID int64) ([]DraftFile, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, conversation_id, path, name, size, content_type, added_at FROM draft_files
		WHERE conversation_id = ? ORDER BY id`, convID)
	if err != nil {
		return nil, fmt.Errorf("draft files: %w", err)
	}
	defer rows.Close()
	out := []DraftFile{}
	for rows.Next() {
		var f DraftFile
		var added string
		if err := rows.Scan(&f.ID, &f.ConversationID, &f.Path, &f.Name, &f.Size, &f.ContentType, &added); err != nil {
			return nil, err
		}
		f.AddedAt, _ = time.Parse(timeLayout, added)
		out = append(out, f)
	}
	return out, rows.Err()
}

// DraftFiles lists the files waiting in a conversation's draft, in the
// order they were added.
func (c *Cache) DraftFiles(ctx context.Context, convID int64) ([]DraftFile, error) {
	return draftFiles(ctx, c.db, convID)
}

// RemoveDraftFile takes a file out of a conversation's draft and returns
// it (ok is false when there was no such file).
func (c *Cache) RemoveDraftFile(ctx context.Context, convID, id int64) (f DraftFile, ok bool, err error) {
	var added string
	err = c.db.QueryRowContext(ctx, `DELETE FROM draft_files WHERE conversation_id = ? AND id = ?
		RETURNING id, conversation_id, path, name, size, content_type, added_at`, convID, id).
		Scan(&f.ID, &f.ConversationID, &f.Path, &f.Name, &f.Size, &f.ContentType, &added)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("draft files: %w", err)
	}
	f.AddedAt, _ = time.Parse(timeLayout, added)
	return f, true, nil
}

// SendDraft moves a conversation's draft files, with text as their
// caption, into the outbox as one message and clears the draft, in one
// transaction: a crash leaves either the draft or the queued message,
// never both and never neither. With no draft files it queues the text alone.
func (c *Cache) SendDraft(ctx context.Context, convID int64, text string) (Outgoing, error) {
	var o Outgoing
	err := c.tx(ctx, func(tx *sql.Tx) error {
		files, err := draftFiles(ctx, tx, convID)
		if err != nil {
			return err
		}
		atts := make([]Attachment, len(files))
		for i, f := range files {
			atts[i] = Attachment{Path: f.Path, Name: f.Name}
		}
		if o, err = enqueue(ctx, tx, c.now(), convID, text, atts); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM draft_files WHERE conversation_id = ?", convID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM drafts WHERE conversation_id = ?", convID)
		return err
	})
	return o, err
}

// ---------------------------------------------------------------- directory

// PutDirectory keeps the latest directory for offline type-ahead.
func (c *Cache) PutDirectory(ctx context.Context, d backend.Directory) error {
	b, _ := json.Marshal(d)
	_, err := c.db.ExecContext(ctx, `INSERT INTO directory (id, data, fetched_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at`, string(b), formatTime(c.now()))
	return err
}

// Directory returns the cached directory (ok false if never fetched).
func (c *Cache) Directory(ctx context.Context) (backend.Directory, bool, error) {
	var d backend.Directory
	var data string
	err := c.db.QueryRowContext(ctx, "SELECT data FROM directory WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	return d, true, json.Unmarshal([]byte(data), &d)
}

// ---------------------------------------------------------------- tenant records

// PutTenantRecord keeps a tenant's record for offline Tenant Info.
func (c *Cache) PutTenantRecord(ctx context.Context, r backend.TenantRecord) error {
	b, _ := json.Marshal(r)
	_, err := c.db.ExecContext(ctx, `INSERT INTO tenant_records (id, data, fetched_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at`, r.ID, string(b), formatTime(c.now()))
	return err
}

// TenantRecord returns a cached tenant record (ok false if never fetched).
func (c *Cache) TenantRecord(ctx context.Context, id int64) (backend.TenantRecord, bool, error) {
	var r backend.TenantRecord
	var data string
	err := c.db.QueryRowContext(ctx, "SELECT data FROM tenant_records WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	return r, true, json.Unmarshal([]byte(data), &r)
}

// PutDeliveryLog keeps a conversation's delivery log for offline Tenant Info.
func (c *Cache) PutDeliveryLog(ctx context.Context, convID int64, log []backend.Notification) error {
	b, _ := json.Marshal(log)
	_, err := c.db.ExecContext(ctx, `INSERT INTO delivery_logs (conversation_id, data, fetched_at) VALUES (?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at`, convID, string(b), formatTime(c.now()))
	return err
}

// DeliveryLog returns a kept delivery log (ok false if never fetched).
func (c *Cache) DeliveryLog(ctx context.Context, convID int64) (log []backend.Notification, ok bool, err error) {
	var data string
	err = c.db.QueryRowContext(ctx, "SELECT data FROM delivery_logs WHERE conversation_id = ?", convID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return log, true, json.Unmarshal([]byte(data), &log)
}

// StorageTrouble tells whether err, from the cache, means trouble with the
// storage under it (a full disk, a read-only or failing one, a database
// locked or damaged) rather than a bug, and which.
func StorageTrouble(err error) (backend.StorageTrouble, bool) { return sqlitetrouble.Of(err) }
