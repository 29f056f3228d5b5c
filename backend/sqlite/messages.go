package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"doorstep/backend"
)

// SetClock replaces the clock used for lease status, timestamps and
// expiries. For tests and demos; call it while nothing else uses the
// database.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Clock returns the clock in use, so a caller that sets another for a while
// (see SetClock) can put it back.
func (db *DB) Clock() func() time.Time { return db.now }

const messageSelect = `
	SELECT m.id, m.conversation_id, m.seq, coalesce(m.sender_user_id, 0), coalesce(m.sender_tenant_id, 0),
	       coalesce(u.name, t.name), m.text, m.idem_key, m.created_at, m.urgent, m.chain_hash,
	       (SELECT json_group_array(json_object('id', f.id, 'name', f.name, 'size', f.size, 'sha256', f.sha256,
	                 'content_type', f.content_type, 'created_at', f.created_at,
	                 'uploader', json_object('kind', iif(f.uploader_user_id IS NULL, 'tenant', 'user'),
	                                         'id', coalesce(f.uploader_user_id, f.uploader_tenant_id),
	                                         'name', coalesce(fu.name, ft.name))) ORDER BY mf.position)
	          FROM message_files mf JOIN files f ON f.id = mf.file_id
	          LEFT JOIN users fu ON fu.id = f.uploader_user_id LEFT JOIN tenants ft ON ft.id = f.uploader_tenant_id
	          WHERE mf.message_id = m.id)
	FROM messages m
	LEFT JOIN users u ON u.id = m.sender_user_id
	LEFT JOIN tenants t ON t.id = m.sender_tenant_id`

// messagesWhere reads messages of a conversation created before cutoff (zero:
// any), with extra SQL (conditions on m, then ORDER/LIMIT) appended.
func (db *DB) messagesWhere(ctx context.Context, q queryer, convID int64, cutoff time.Time, tail string, args ...any) ([]backend.Message, error) {
	cond := " WHERE m.conversation_id = ?"
	all := []any{convID}
	if !cutoff.IsZero() {
		cond += " AND m.created_at < ?"
		all = append(all, formatTime(cutoff))
	}
	rows, err := q.QueryContext(ctx, messageSelect+cond+" "+tail, append(all, args...)...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	out := []backend.Message{}
	for rows.Next() {
		var m backend.Message
		var userID, tenantID int64
		var created, files string
		var hash []byte
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Seq, &userID, &tenantID, &m.Sender.Name, &m.Text, &m.Key, &created, &m.Urgent, &hash, &files); err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		if userID != 0 {
			m.Sender.Kind, m.Sender.ID = backend.KindUser, userID
		} else {
			m.Sender.Kind, m.Sender.ID = backend.KindTenant, tenantID
		}
		m.CreatedAt = parseTime(created)
		m.Hash = hex.EncodeToString(hash)
		if err := json.Unmarshal([]byte(files), &m.Files); err != nil {
			return nil, fmt.Errorf("message files: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns a page of a conversation's messages in sequence order.
func (db *DB) Messages(ctx context.Context, p backend.Principal, convID int64, page backend.MessagePage) ([]backend.Message, error) {
	if err := page.Validate(); err != nil {
		return nil, err
	}
	if page.Limit == 0 {
		page.Limit = backend.MaxPageSize
	}
	c, err := openChat(ctx, db.db, p, convID)
	if err != nil {
		return nil, err
	}
	cutoff, err := db.visibleUntil(ctx, db.db, p, c)
	if err != nil {
		return nil, err
	}
	switch {
	case page.After != nil: // 0 included: from the start
		return db.messagesWhere(ctx, db.db, convID, cutoff, "AND m.seq > ? ORDER BY m.seq LIMIT ?", *page.After, page.Limit)
	case page.Before != 0:
		msgs, err := db.messagesWhere(ctx, db.db, convID, cutoff, "AND m.seq < ? ORDER BY m.seq DESC LIMIT ?", page.Before, page.Limit)
		reverse(msgs)
		return msgs, err
	default:
		msgs, err := db.messagesWhere(ctx, db.db, convID, cutoff, "ORDER BY m.seq DESC LIMIT ?", page.Limit)
		reverse(msgs)
		return msgs, err
	}
}

// visibleUntil is the instant after which p may not see messages of c (see
// backend.Chat.VisibleUntil), by the landlord's date now.
func (db *DB) visibleUntil(ctx context.Context, q queryer, p backend.Principal, c convRow) (time.Time, error) {
	today, loc, err := orgToday(ctx, q, c.OrgID, db.now())
	if err != nil {
		return time.Time{}, err
	}
	return c.VisibleUntil(p, today, loc)
}

func reverse(m []backend.Message) {
	for i, j := 0, len(m)-1; i < j; i, j = i+1, j-1 {
		m[i], m[j] = m[j], m[i]
	}
}

func senderColumn(p backend.Principal) string {
	if p.Kind == backend.KindTenant {
		return "sender_tenant_id"
	}
	return "sender_user_id"
}

func uploaderColumn(p backend.Principal) string {
	if p.Kind == backend.KindTenant {
		return "uploader_tenant_id"
	}
	return "uploader_user_id"
}

// SendMessage stores a message and returns it once it is durable. Sending
// again with the same key returns the first message instead of a second one.
func (db *DB) SendMessage(ctx context.Context, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, error) {
	if err := req.Validate(); err != nil {
		return backend.Message{}, err
	}
	if err := req.MayMarkUrgent(p); err != nil {
		return backend.Message{}, err
	}
	var msg backend.Message
	err := db.Update(ctx, func(tx *Tx) (err error) {
		msg, err = db.storeMessage(ctx, tx, p, convID, req)
		return err
	})
	var trouble *backend.StorageError
	if errors.As(err, &trouble) {
		if stored, found, readErr := db.resentMessage(ctx, p, convID, req); found {
			return stored, readErr
		}
	}
	if err != nil {
		return backend.Message{}, err
	}
	return msg, nil
}

// resentMessage answers a resend of a stored message by reading, when the
// write failed for storage trouble: a resend needs no room on disk, so it
// succeeds on a full or failing disk too, beside new messages that cannot.
// found is false for a new message. (The writer finds resends itself, by
// the unique index on the sender's keys; a read before every write, to
// answer resends without it, cost every send a read transaction.)
func (db *DB) resentMessage(ctx context.Context, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, bool, error) {
	stored, found, err := db.storedMessage(ctx, db.db, p, convID, req)
	if !found {
		return stored, false, nil
	}
	if _, accessErr := openChat(ctx, db.db, p, convID); accessErr != nil {
		return backend.Message{}, true, accessErr
	}
	return stored, true, err
}

// storeMessage is SendMessage's write: the rules, the attached files, the
// message and its seq, the sender's read position, and the events.
//
// It runs on the writer, one message after another, so it reads and writes
// as little as the rules allow (see openChatToSend). A resend that raced
// the first send (both queued before either was stored) is found by the
// unique index on the sender's keys instead of a look-up before every
// insert: the insert fails, and the stored message is the answer. A refusal
// by the rules is checked against a stored message too, so that a resend
// is answered with what was stored whatever the rules say now.
func (db *DB) storeMessage(ctx context.Context, tx *Tx, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, error) {
	c, org, err := openChatToSend(ctx, tx, p, convID)
	if err != nil {
		return backend.Message{}, err
	}
	msg, err := db.storeNewMessage(ctx, tx, p, c, org, req)
	var refused *backend.Error
	if err == nil || !(isUniqueViolation(err) || errors.As(err, &refused)) {
		return msg, err
	}
	if stored, found, checkErr := db.storedMessage(ctx, tx, p, convID, req); found || checkErr != nil {
		return stored, checkErr
	}
	return backend.Message{}, err
}

// storeNewMessage stores req in c as a new message, or fails: when the
// rules refuse it, or p already sent a message with req's key (the unique
// index refuses it).
func (db *DB) storeNewMessage(ctx context.Context, tx *Tx, p backend.Principal, c convRow, org sendingOrg, req backend.SendMessage) (backend.Message, error) {
	if err := c.MaySend(p, org.today); err != nil {
		return backend.Message{}, err
	}
	files, err := attachedFiles(ctx, tx, p, c.OrgID, req.FileIDs)
	if err != nil {
		return backend.Message{}, err
	}
	msg, err := db.insertMessage(ctx, tx, p, c, req, files)
	if err != nil {
		return backend.Message{}, err
	}
	ev := msg
	return msg, db.emit(ctx, tx, org.mainUserID, c.ActiveMembers(org.today), backend.Event{Type: backend.EventMessage, Message: &ev})
}

// sendingOrg is what storing a message needs of the conversation's
// organisation.
type sendingOrg struct {
	today      string // the landlord's date at the batch's time
	mainUserID int64  // the landlord, who is told of every message
}

// convToSendSelect reads a conversation with its organisation's time zone
// and main user: three look-ups of every send in one statement.
const convToSendSelect = convColumns + `,
	       (SELECT time_zone FROM orgs WHERE id = c.org_id),
	       coalesce((SELECT id FROM users WHERE org_id = c.org_id AND is_main = 1), 0)
	FROM conversations c WHERE c.id = ? AND c.org_id = ?`

// openChatToSend is openChat for storing a message: the conversation with
// what the rules need of its members (withMemberLeases), and of its
// organisation what sending needs, refused to p as openChat would.
func openChatToSend(ctx context.Context, tx *Tx, p backend.Principal, id int64) (convRow, sendingOrg, error) {
	var org sendingOrg
	if err := p.MayChat(); err != nil {
		return convRow{}, org, err
	}
	var tz string
	c, err := scanConv(tx.QueryRowContext(ctx, convToSendSelect, id, p.OrgID), &tz, &org.mainUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, org, backend.ErrNoConversation
	}
	if err != nil {
		return c, org, fmt.Errorf("conversation %d: %w", id, err)
	}
	if org.mainUserID == 0 {
		return c, org, fmt.Errorf("main user of org %d: %w", c.OrgID, sql.ErrNoRows)
	}
	if err := withMemberLeases(ctx, tx, &c); err != nil {
		return c, org, err
	}
	org.today = backend.Today(tx.Now(), location(tz))
	return c, org, c.MayOpen(p)
}

// attachedFiles reads the files p attaches to a message: only files p
// uploaded, in p's organisation.
func attachedFiles(ctx context.Context, tx *Tx, p backend.Principal, orgID int64, ids []int64) ([]backend.File, error) {
	files := []backend.File{}
	for _, id := range ids {
		f := backend.File{ID: id, Uploader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}}
		var created string
		err := tx.QueryRowContext(ctx, "SELECT name, size, sha256, content_type, created_at FROM files WHERE id = ? AND org_id = ? AND "+uploaderColumn(p)+" = ?",
			id, orgID, p.ID).Scan(&f.Name, &f.Size, &f.SHA256, &f.ContentType, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, backend.ErrNotYourFile(id)
		}
		if err != nil {
			return nil, fmt.Errorf("attached file: %w", err)
		}
		f.CreatedAt = parseTime(created)
		files = append(files, f)
	}
	return files, nil
}

// insertMessage stores p's message in c with the next seq, its files and
// its chain hash (chained to c's head), and moves the conversation's last
// seq, head and p's read position to it (the sender has read their own
// message). Its time is the batch's, or the newest message's when the
// clock stepped back (see messageTime).
func (db *DB) insertMessage(ctx context.Context, tx *Tx, p backend.Principal, c convRow, req backend.SendMessage, files []backend.File) (backend.Message, error) {
	at := formatTime(db.messageTime(tx.Now()))
	msg := backend.Message{ConversationID: c.ID, Seq: c.LastSeq + 1, Sender: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name},
		Text: req.Text, Files: files, Key: req.Key, Urgent: req.Urgent,
		// The stored text form, so the answer equals what a later read returns.
		CreatedAt: parseTime(at)}
	hash := backend.ChainHash(c.chainHead, msg)
	msg.Hash = hex.EncodeToString(hash)
	var userID, tenantID any
	if p.Kind == backend.KindTenant {
		tenantID = p.ID
	} else {
		userID = p.ID
	}
	// Exec and the last rowid, not RETURNING, which costs SQLite a
	// temporary table per statement.
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, seq, sender_user_id, sender_tenant_id, text, idem_key, created_at, urgent, chain_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, msg.Seq, userID, tenantID, req.Text, req.Key, at, req.Urgent, hash)
	if err != nil {
		return msg, fmt.Errorf("insert message: %w", err)
	}
	if msg.ID, err = res.LastInsertId(); err != nil {
		return msg, fmt.Errorf("insert message: %w", err)
	}
	for i, f := range files {
		if _, err := tx.ExecContext(ctx, "INSERT INTO message_files (message_id, file_id, position) VALUES (?, ?, ?)", msg.ID, f.ID, i); err != nil {
			return msg, fmt.Errorf("attach file: %w", err)
		}
	}
	if p.Kind == backend.KindTenant {
		if _, err := tx.ExecContext(ctx, "UPDATE conversations SET last_seq = ?, chain_head = ? WHERE id = ?", msg.Seq, hash, c.ID); err != nil {
			return msg, fmt.Errorf("advance conversation: %w", err)
		}
		return msg, setReadSeq(ctx, tx, p, c.ID, msg.Seq)
	}
	// The landlord's read position is a column of the conversation: one statement.
	if _, err := tx.ExecContext(ctx, "UPDATE conversations SET last_seq = ?, chain_head = ?, landlord_read_seq = ? WHERE id = ?", msg.Seq, hash, msg.Seq, c.ID); err != nil {
		return msg, fmt.Errorf("advance conversation: %w", err)
	}
	return msg, nil
}

// messageTime is the time of a message stored now: the clock's, but never
// before the newest message already stored. Seq and ids follow the order
// messages were stored in, and so must their times, or a clock stepped back
// (by hand, or by a time server's correction) would date a reply before
// the question it answers. It runs on the writer goroutine only, which is
// what keeps newestMessage (loaded at open) without a lock. A batch rolled
// back after moving it forward leaves it ahead of what is stored, which
// only ever dates a later message a little later.
func (db *DB) messageTime(now time.Time) time.Time {
	now = parseTime(formatTime(now)) // as stored
	if now.Before(db.newestMessage) {
		return db.newestMessage
	}
	db.newestMessage = now
	return now
}

// setReadSeq records how far p has read a conversation.
func setReadSeq(ctx context.Context, tx *Tx, p backend.Principal, convID, seq int64) error {
	var err error
	if p.Kind == backend.KindTenant {
		_, err = tx.ExecContext(ctx, "UPDATE conversation_tenants SET read_seq = ? WHERE conversation_id = ? AND tenant_id = ?", seq, convID, p.ID)
	} else {
		_, err = tx.ExecContext(ctx, "UPDATE conversations SET landlord_read_seq = ? WHERE id = ?", seq, convID)
	}
	if err != nil {
		return fmt.Errorf("read position: %w", err)
	}
	return nil
}

// storedMessage finds the message p already sent with req's key: found is
// false when there is none, and the same key with another text or
// conversation is a conflict.
func (db *DB) storedMessage(ctx context.Context, q queryer, p backend.Principal, convID int64, req backend.SendMessage) (msg backend.Message, found bool, err error) {
	var id, conv int64
	var text string
	err = q.QueryRowContext(ctx, "SELECT id, conversation_id, text FROM messages WHERE "+senderColumn(p)+" = ? AND idem_key = ?",
		p.ID, req.Key).Scan(&id, &conv, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return msg, false, nil
	}
	if err != nil {
		return msg, false, fmt.Errorf("idempotency check: %w", err)
	}
	if err := req.Resends(conv, text, convID); err != nil {
		return msg, true, err
	}
	msgs, err := db.messagesWhere(ctx, q, convID, time.Time{}, "AND m.id = ?", id)
	if err != nil {
		return msg, true, fmt.Errorf("read back message %d: %w", id, err)
	}
	if len(msgs) != 1 {
		return msg, true, fmt.Errorf("read back message %d: found %d", id, len(msgs))
	}
	return msgs[0], true, nil
}

// emitTo writes ev for the organisation's main user and the given tenants.
func (db *DB) emitTo(ctx context.Context, tx *Tx, orgID int64, tenants []int64, ev backend.Event) error {
	mainID, err := mainUserID(ctx, tx, orgID)
	if err != nil {
		return err
	}
	return db.emit(ctx, tx, mainID, tenants, ev)
}

// emit writes ev for the main user mainID and the given tenants.
func (db *DB) emit(ctx context.Context, tx *Tx, mainID int64, tenants []int64, ev backend.Event) error {
	to := make([]backend.Recipient, 0, 1+len(tenants))
	to = append(to, backend.Recipient{Kind: backend.KindUser, ID: mainID})
	for _, id := range tenants {
		to = append(to, backend.Recipient{Kind: backend.KindTenant, ID: id})
	}
	return db.writeEvent(ctx, tx, ev, to)
}

// MarkRead moves p's read position in a conversation forward to seq (never
// back, never past the last message; see backend.NextReadSeq).
func (db *DB) MarkRead(ctx context.Context, p backend.Principal, convID, seq int64) error {
	if err := backend.ValidateReadSeq(seq); err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error {
		c, err := openChat(ctx, tx, p, convID)
		if err != nil {
			return err
		}
		current, err := readSeq(ctx, tx, c, p)
		if err != nil {
			return err
		}
		next, moved := backend.NextReadSeq(current, seq, c.LastSeq)
		if !moved {
			return nil
		}
		if err := setReadSeq(ctx, tx, p, convID, next); err != nil {
			return err
		}
		return db.emitTo(ctx, tx, c.OrgID, c.ReadAudience(p), backend.Event{Type: backend.EventRead, Read: &backend.ReadPosition{
			ConversationID: convID, Reader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}, Seq: next}})
	})
}

// MarkUnread moves p's read position back to just before the newest
// message from someone else (backend.UnreadSeq), tells p's other devices,
// and returns the conversation as p sees it then.
func (db *DB) MarkUnread(ctx context.Context, p backend.Principal, convID int64) (backend.Conversation, error) {
	if err := p.MayMarkUnread(); err != nil {
		return backend.Conversation{}, err
	}
	err := db.Update(ctx, func(tx *Tx) error {
		c, err := openChat(ctx, tx, p, convID)
		if err != nil {
			return err
		}
		current, err := readSeq(ctx, tx, c, p)
		if err != nil {
			return err
		}
		col := senderColumn(p)
		var lastFromOthers int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = ?
			AND (`+col+` IS NULL OR `+col+` <> ?)`, convID, p.ID).Scan(&lastFromOthers); err != nil {
			return fmt.Errorf("last message from others: %w", err)
		}
		next, moved, err := backend.UnreadSeq(current, lastFromOthers)
		if err != nil || !moved {
			return err
		}
		if err := setReadSeq(ctx, tx, p, convID, next); err != nil {
			return err
		}
		return db.emitTo(ctx, tx, c.OrgID, c.ReadAudience(p), backend.Event{Type: backend.EventRead, Read: &backend.ReadPosition{
			ConversationID: convID, Reader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}, Seq: next, MarkedUnread: true}})
	})
	if err != nil {
		return backend.Conversation{}, err
	}
	return db.Conversation(ctx, p, convID)
}

// ErrResync means the events asked for were pruned, or the log went back
// (a restore from a backup): the client must reload its state and continue
// from LatestEventID.
var ErrResync = backend.ErrResync

// Events returns up to limit of p's events with ids above since, oldest
// first, or ErrResync when some of them were pruned or since is beyond the
// newest id this log ever gave.
func (db *DB) Events(ctx context.Context, p backend.Principal, since int64, limit int) ([]backend.Event, error) {
	col, err := eventColumn(p)
	if err != nil {
		return nil, err
	}
	// The floor is the newest id pruned; sqlite_sequence holds the newest
	// id ever given (AUTOINCREMENT), which pruning never lowers.
	var floor, newest int64
	if err := db.db.QueryRowContext(ctx, `SELECT
		coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'events_floor'), 0),
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`).Scan(&floor, &newest); err != nil {
		return nil, fmt.Errorf("events floor: %w", err)
	}
	if since < floor || since > newest {
		return nil, ErrResync
	}
	rows, err := db.db.QueryContext(ctx, "SELECT id, payload FROM events WHERE "+col+" = ? AND id > ? ORDER BY id LIMIT ?", p.ID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []backend.Event
	for rows.Next() {
		var id int64
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		var ev backend.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("event %d: %w", id, err)
		}
		ev.ID = id
		out = append(out, ev)
	}
	return out, rows.Err()
}

// LatestEventID is the id of p's newest event (0 if none): where a client
// that just loaded its state starts listening.
func (db *DB) LatestEventID(ctx context.Context, p backend.Principal) (int64, error) {
	col, err := eventColumn(p)
	if err != nil {
		return 0, err
	}
	// Never below the pruning floor: a recipient whose events were all
	// pruned must get an id from which `since` needs no resync.
	var id int64
	if err := db.db.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(id) FROM events WHERE `+col+` = ?), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'events_floor'), 0))`, p.ID).Scan(&id); err != nil {
		return 0, fmt.Errorf("latest event: %w", err)
	}
	return id, nil
}

func eventColumn(p backend.Principal) (string, error) {
	if p.Kind == backend.KindTenant {
		return "tenant_id", nil
	}
	if err := p.CanChatAsLandlord(); err != nil {
		return "", err
	}
	return "user_id", nil
}

// PruneEvents deletes events older than before; clients asking for them
// afterwards are told to resync.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.Update(ctx, func(tx *Tx) error {
		var maxID sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT max(id) FROM events WHERE created_at < ?", formatTime(before)).Scan(&maxID); err != nil {
			return err
		}
		if !maxID.Valid {
			return nil
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM events WHERE id <= ?", maxID.Int64)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'events_floor'", strconv.FormatInt(maxID.Int64, 10))
		return err
	})
	return n, err
}
