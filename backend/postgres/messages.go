package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"doorstep/backend"
)

// jsonTime formats a timestamptz column inside JSON the way Go's time
// parses it back to the same instant in UTC.
func jsonTime(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

var messageSelect = `
	SELECT m.id, m.conversation_id, m.seq, coalesce(m.sender_user_id, 0), coalesce(m.sender_tenant_id, 0),
	       coalesce(u.name, t.name), m.text, m.idem_key, m.created_at, m.created_ns, m.urgent, m.chain_hash,
	       (SELECT coalesce(json_agg(json_build_object('id', f.id, 'name', f.name, 'size', f.size, 'sha256', f.sha256,
	                 'content_type', f.content_type, 'created_at', ` + jsonTime("f.created_at") + `,
	                 'uploader', json_build_object('kind', CASE WHEN f.uploader_user_id IS NULL THEN 'tenant' ELSE 'user' END,
	                                               'id', coalesce(f.uploader_user_id, f.uploader_tenant_id),
	                                               'name', coalesce(fu.name, ft.name))) ORDER BY mf.position), '[]')
	          FROM message_files mf JOIN files f ON f.id = mf.file_id
	          LEFT JOIN users fu ON fu.id = f.uploader_user_id LEFT JOIN tenants ft ON ft.id = f.uploader_tenant_id
	          WHERE mf.message_id = m.id)
	FROM messages m
	LEFT JOIN users u ON u.id = m.sender_user_id
	LEFT JOIN tenants t ON t.id = m.sender_tenant_id`

// messagesWhere reads messages of a conversation created before cutoff
// (zero: any), with extra SQL (conditions on m, then ORDER/LIMIT) appended,
// whose named arguments (@name) are in args.
func messagesWhere(ctx context.Context, q queryer, convID int64, cutoff time.Time, tail string, args pgx.NamedArgs) ([]backend.Message, error) {
	all := pgx.NamedArgs{"conv": convID}
	maps.Copy(all, args)
	cond := " WHERE m.conversation_id = @conv"
	if !cutoff.IsZero() {
		cond += " AND m.created_at < @cutoff"
		all["cutoff"] = storedBefore(cutoff)
	}
	rows, err := q.Query(ctx, messageSelect+cond+" "+tail, all)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	out := []backend.Message{}
	for rows.Next() {
		var m backend.Message
		var userID, tenantID int64
		var ns int16
		var files, hash []byte
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Seq, &userID, &tenantID, &m.Sender.Name, &m.Text, &m.Key, &m.CreatedAt,
			&ns, &m.Urgent, &hash, &files); err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		m.CreatedAt = m.CreatedAt.Add(time.Duration(ns)) // see migration 0006
		if userID != 0 {
			m.Sender.Kind, m.Sender.ID = backend.KindUser, userID
		} else {
			m.Sender.Kind, m.Sender.ID = backend.KindTenant, tenantID
		}
		m.Hash = hex.EncodeToString(hash)
		if err := json.Unmarshal(files, &m.Files); err != nil {
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
	c, err := openChat(ctx, db.r, p, convID)
	if err != nil {
		return nil, err
	}
	cutoff, err := db.visibleUntil(ctx, db.r, p, c)
	if err != nil {
		return nil, err
	}
	switch {
	case page.After != nil: // 0 included: from the start
		return messagesWhere(ctx, db.r, convID, cutoff, "AND m.seq > @after ORDER BY m.seq LIMIT @limit",
			pgx.NamedArgs{"after": *page.After, "limit": page.Limit})
	case page.Before != 0:
		msgs, err := messagesWhere(ctx, db.r, convID, cutoff, "AND m.seq < @before ORDER BY m.seq DESC LIMIT @limit",
			pgx.NamedArgs{"before": page.Before, "limit": page.Limit})
		reverse(msgs)
		return msgs, err
	default:
		msgs, err := messagesWhere(ctx, db.r, convID, cutoff, "ORDER BY m.seq DESC LIMIT @limit", pgx.NamedArgs{"limit": page.Limit})
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

// SendMessage stores a message and returns it once it is committed. Sending
// again with the same key returns the first message instead of a second one.
func (db *DB) SendMessage(ctx context.Context, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, error) {
	if err := req.Validate(); err != nil {
		return backend.Message{}, err
	}
	if err := req.MayMarkUrgent(p); err != nil {
		return backend.Message{}, err
	}
	if stored, found, err := db.resentMessage(ctx, p, convID, req); found || err != nil {
		return stored, err
	}
	var msg backend.Message
	err := db.Update(ctx, func(tx *Tx) (err error) {
		msg, err = db.storeMessage(ctx, tx, p, convID, req)
		return err
	})
	if err != nil {
		return backend.Message{}, err
	}
	return msg, nil
}

// resentMessage answers a resend of a stored message by reading, before
// starting a write: it needs no room on disk and takes no lock. found is
// false for a new message.
func (db *DB) resentMessage(ctx context.Context, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, bool, error) {
	stored, found, err := storedMessage(ctx, db.r, p, convID, req)
	if !found && err == nil {
		return stored, false, nil
	}
	if _, accessErr := openChat(ctx, db.r, p, convID); accessErr != nil {
		return backend.Message{}, true, accessErr
	}
	return stored, true, err
}

// storeMessage is SendMessage's write: the rules, the attached files, the
// message and its seq, the sender's read position, and the events. It
// holds the conversation's row lock from the start, so the seq it takes is
// the next one and a resend racing the first send finds it.
func (db *DB) storeMessage(ctx context.Context, tx *Tx, p backend.Principal, convID int64, req backend.SendMessage) (backend.Message, error) {
	c, err := openChatLocked(ctx, tx, p, convID)
	if err != nil {
		return backend.Message{}, err
	}
	if stored, found, err := storedMessage(ctx, tx, p, convID, req); found || err != nil {
		return stored, err
	}
	today, _, err := orgToday(ctx, tx, c.OrgID, tx.Now())
	if err != nil {
		return backend.Message{}, err
	}
	if err := c.MaySend(p, today); err != nil {
		return backend.Message{}, err
	}
	files, err := attachedFiles(ctx, tx, p, c.OrgID, req.FileIDs)
	if err != nil {
		return backend.Message{}, err
	}
	msg, err := insertMessage(ctx, tx, p, c, req, files)
	if err != nil {
		return backend.Message{}, err
	}
	ev := msg
	return msg, emitTo(ctx, tx, c.OrgID, c.ActiveMembers(today), backend.Event{Type: backend.EventMessage, Message: &ev})
}

// attachedFiles reads the files p attaches to a message: only files p
// uploaded, in p's organisation.
func attachedFiles(ctx context.Context, tx *Tx, p backend.Principal, orgID int64, ids []int64) ([]backend.File, error) {
	files := []backend.File{}
	for _, id := range ids {
		f := backend.File{ID: id, Uploader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}}
		err := tx.QueryRow(ctx, "SELECT name, size, sha256, content_type, created_at FROM files WHERE id = $1 AND org_id = $2 AND "+uploaderColumn(p)+" = $3",
			id, orgID, p.ID).Scan(&f.Name, &f.Size, &f.SHA256, &f.ContentType, &f.CreatedAt)
		if isNoRows(err) {
			return nil, backend.ErrNotYourFile(id)
		}
		if err != nil {
			return nil, fmt.Errorf("attached file: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// insertMessage stores p's message in c (whose row lock tx holds) with the
// next seq, its files and its chain hash (chained to c's head), and moves
// the conversation's last seq, head and p's read position to it (the
// sender has read their own message). Its time is the transaction's, but
// never before the conversation's newest message: seq and times keep one
// order even when the clock steps back (by hand, or a time server's
// correction), so a reply is never dated before the question it answers.
// (The SQLite store keeps that order across all conversations, having one
// writer; here it is kept within each, where it is read.)
func insertMessage(ctx context.Context, tx *Tx, p backend.Principal, c convRow, req backend.SendMessage, files []backend.File) (backend.Message, error) {
	at := tx.Now()
	if at.Before(c.lastMessageAt) {
		at = c.lastMessageAt
	}
	msg := backend.Message{ConversationID: c.ID, Seq: c.LastSeq + 1, Sender: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name},
		Text: req.Text, Files: files, Key: req.Key, Urgent: req.Urgent, CreatedAt: at}
	hash := backend.ChainHash(c.chainHead, msg)
	msg.Hash = hex.EncodeToString(hash)
	var userID, tenantID any
	if p.Kind == backend.KindTenant {
		tenantID = p.ID
	} else {
		userID = p.ID
	}
	err := tx.QueryRow(ctx, `INSERT INTO messages (conversation_id, seq, sender_user_id, sender_tenant_id, text, idem_key, created_at, urgent, chain_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, c.ID, msg.Seq, userID, tenantID, req.Text, req.Key, at, req.Urgent, hash).Scan(&msg.ID)
	if sqlState(err) == uniqueViolation && (constraint(err) == "messages_user_key" || constraint(err) == "messages_tenant_key") {
		// The same key, sent at the same moment into another conversation:
		// run again, to find that message and refuse this one.
		return msg, errRetry
	}
	if err != nil {
		return msg, fmt.Errorf("insert message: %w", err)
	}
	for i, f := range files {
		if _, err := tx.Exec(ctx, "INSERT INTO message_files (message_id, file_id, position) VALUES ($1, $2, $3)", msg.ID, f.ID, i); err != nil {
			return msg, fmt.Errorf("attach file: %w", err)
		}
	}
	// The landlord's read position is a column of the conversation: one statement.
	landlordRead := "landlord_read_seq"
	if p.Kind != backend.KindTenant {
		landlordRead = "$1"
	}
	tag, err := tx.Exec(ctx, `UPDATE conversations SET last_seq = $1, chain_head = $2, last_message_at = $3, landlord_read_seq = `+landlordRead+`
		WHERE id = $4 AND last_seq = $5`, msg.Seq, hash, at, c.ID, c.LastSeq)
	if err != nil {
		return msg, fmt.Errorf("advance conversation: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return msg, fmt.Errorf("advance conversation %d: its last seq moved from %d under the row lock", c.ID, c.LastSeq)
	}
	if p.Kind == backend.KindTenant {
		return msg, setReadSeq(ctx, tx, p, c.ID, msg.Seq)
	}
	return msg, nil
}

// setReadSeq records how far p has read a conversation.
func setReadSeq(ctx context.Context, tx *Tx, p backend.Principal, convID, seq int64) error {
	var err error
	if p.Kind == backend.KindTenant {
		_, err = tx.Exec(ctx, "UPDATE conversation_tenants SET read_seq = $1 WHERE conversation_id = $2 AND tenant_id = $3", seq, convID, p.ID)
	} else {
		_, err = tx.Exec(ctx, "UPDATE conversations SET landlord_read_seq = $1 WHERE id = $2", seq, convID)
	}
	if err != nil {
		return fmt.Errorf("read position: %w", err)
	}
	return nil
}

// storedMessage finds the message p already sent with req's key: found is
// false when there is none, and the same key with another text or
// conversation is a conflict.
func storedMessage(ctx context.Context, q queryer, p backend.Principal, convID int64, req backend.SendMessage) (msg backend.Message, found bool, err error) {
	var id, conv int64
	var text string
	err = q.QueryRow(ctx, "SELECT id, conversation_id, text FROM messages WHERE "+senderColumn(p)+" = $1 AND idem_key = $2",
		p.ID, req.Key).Scan(&id, &conv, &text)
	if isNoRows(err) {
		return msg, false, nil
	}
	if err != nil {
		return msg, false, fmt.Errorf("idempotency check: %w", err)
	}
	if err := req.Resends(conv, text, convID); err != nil {
		return msg, true, err
	}
	msgs, err := messagesWhere(ctx, q, convID, time.Time{}, "AND m.id = @id", pgx.NamedArgs{"id": id})
	if err != nil {
		return msg, true, fmt.Errorf("read back message %d: %w", id, err)
	}
	if len(msgs) != 1 {
		return msg, true, fmt.Errorf("read back message %d: found %d", id, len(msgs))
	}
	return msgs[0], true, nil
}

// emitTo writes ev for the organisation's main user and the given tenants.
func emitTo(ctx context.Context, tx *Tx, orgID int64, tenants []int64, ev backend.Event) error {
	mainID, err := mainUserID(ctx, tx, orgID)
	if err != nil {
		return err
	}
	pubs := make([]backend.Delivery, 0, 1+len(tenants))
	pubs = append(pubs, backend.Delivery{To: backend.Recipient{Kind: backend.KindUser, ID: mainID}, Event: ev})
	for _, id := range tenants {
		pubs = append(pubs, backend.Delivery{To: backend.Recipient{Kind: backend.KindTenant, ID: id}, Event: ev})
	}
	tx.emit(pubs...)
	return nil
}

// MarkRead moves p's read position in a conversation forward to seq (never
// back, never past the last message; see backend.NextReadSeq).
func (db *DB) MarkRead(ctx context.Context, p backend.Principal, convID, seq int64) error {
	if err := backend.ValidateReadSeq(seq); err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error {
		c, err := openChatLocked(ctx, tx, p, convID)
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
		return emitTo(ctx, tx, c.OrgID, c.ReadAudience(p), backend.Event{Type: backend.EventRead, Read: &backend.ReadPosition{
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
		c, err := openChatLocked(ctx, tx, p, convID)
		if err != nil {
			return err
		}
		current, err := readSeq(ctx, tx, c, p)
		if err != nil {
			return err
		}
		col := senderColumn(p)
		var lastFromOthers int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1
			AND (`+col+` IS NULL OR `+col+` <> $2)`, convID, p.ID).Scan(&lastFromOthers); err != nil {
			return fmt.Errorf("last message from others: %w", err)
		}
		next, moved, err := backend.UnreadSeq(current, lastFromOthers)
		if err != nil || !moved {
			return err
		}
		if err := setReadSeq(ctx, tx, p, convID, next); err != nil {
			return err
		}
		return emitTo(ctx, tx, c.OrgID, c.ReadAudience(p), backend.Event{Type: backend.EventRead, Read: &backend.ReadPosition{
			ConversationID: convID, Reader: backend.Sender{Kind: p.Kind, ID: p.ID, Name: p.Name}, Seq: next, MarkedUnread: true}})
	})
	if err != nil {
		return backend.Conversation{}, err
	}
	return db.Conversation(ctx, p, convID)
}

// Events returns up to limit of p's events with ids above since, oldest
// first, or backend.ErrResync when some of them were pruned or since is
// beyond the newest id this log ever gave.
func (db *DB) Events(ctx context.Context, p backend.Principal, since int64, limit int) ([]backend.Event, error) {
	col, err := eventColumn(p)
	if err != nil {
		return nil, err
	}
	// The floor is the newest id pruned; the sequence's last value is the
	// newest id ever given, which pruning never lowers.
	var floor, newest int64
	if err := db.r.QueryRow(ctx, `SELECT
		coalesce((SELECT value::bigint FROM meta WHERE key = 'events_floor'), 0),
		(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_id_seq)`).Scan(&floor, &newest); err != nil {
		return nil, fmt.Errorf("events floor: %w", err)
	}
	if since < floor || since > newest {
		return nil, backend.ErrResync
	}
	rows, err := db.r.Query(ctx, "SELECT id, payload FROM events WHERE "+col+" = $1 AND id > $2 ORDER BY id LIMIT $3", p.ID, since, limit)
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
	if err := db.r.QueryRow(ctx, `SELECT greatest(coalesce((SELECT max(id) FROM events WHERE `+col+` = $1), 0),
		coalesce((SELECT value::bigint FROM meta WHERE key = 'events_floor'), 0))`, p.ID).Scan(&id); err != nil {
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
// afterwards are told to resync. The floor only ever rises, whichever
// server prunes.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.Update(ctx, func(tx *Tx) error {
		n = 0
		var maxID *int64
		if err := tx.QueryRow(ctx, "SELECT max(id) FROM events WHERE created_at < $1", storedBefore(before)).Scan(&maxID); err != nil {
			return err
		}
		if maxID == nil {
			return nil
		}
		tag, err := tx.Exec(ctx, "DELETE FROM events WHERE id <= $1", *maxID)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, "UPDATE meta SET value = greatest(value::bigint, $1::bigint)::text WHERE key = 'events_floor'", *maxID)
		return err
	})
	return n, err
}
