package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"doorstep/backend"
)

// convRow is a conversation as stored: the chat the rules look at, and how
// far the landlord has read it.
type convRow struct {
	backend.Chat
	landlordReadSeq int64
	chainHead       []byte // the hash of the message at LastSeq, what the next is chained to; nil before the first
}

// convSelect reads a conversation with the names of whom it is with. The
// names come from scalar subqueries, not joins: SQLite answers them about
// three times faster here, and every message sent reads this row.
const convSelect = convColumns + `
	FROM conversations c`

// convColumns are convSelect's columns, for a query that adds some.
const convColumns = `
	SELECT c.id, c.org_id, coalesce(c.tenant_id, 0), coalesce((SELECT name FROM tenants WHERE id = c.tenant_id), ''),
	       coalesce(c.unit_id, 0),
	       coalesce((SELECT p.name FROM units u JOIN properties p ON p.id = u.property_id WHERE u.id = c.unit_id), ''),
	       coalesce((SELECT name FROM units WHERE id = c.unit_id), ''), c.created_at, c.last_seq, c.landlord_read_seq,
	       c.chain_head`

// scanConv reads a row of convSelect, and into extra the columns a caller
// added after convSelect's.
func scanConv(sc interface{ Scan(...any) error }, extra ...any) (convRow, error) {
	var c convRow
	var created string
	err := sc.Scan(append([]any{&c.ID, &c.OrgID, &c.TenantID, &c.TenantName, &c.UnitID, &c.Property, &c.Unit, &created, &c.LastSeq,
		&c.landlordReadSeq, &c.chainHead}, extra...)...)
	c.CreatedAt = parseTime(created)
	return c, err
}

// loadConv reads a conversation of orgID without its members, or
// backend.ErrNoConversation.
func loadConv(ctx context.Context, q queryer, orgID, id int64) (convRow, error) {
	c, err := scanConv(q.QueryRowContext(ctx, convSelect+" WHERE c.id = ? AND c.org_id = ?", id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, backend.ErrNoConversation
	}
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, nil
}

// loadChat reads a conversation of orgID with its members and their leases,
// or backend.ErrNoConversation.
func loadChat(ctx context.Context, q queryer, orgID, id int64) (convRow, error) {
	c, err := loadConv(ctx, q, orgID, id)
	if err != nil {
		return c, err
	}
	return c, withMembers(ctx, q, &c)
}

// withMembers loads c's members and their leases in c's organisation, in
// one query: on the write path of every message.
func withMembers(ctx context.Context, q queryer, c *convRow) error {
	rows, err := q.QueryContext(ctx, `
		SELECT t.id, t.name, ct.read_seq, coalesce(l.id, 0), coalesce(u.id, 0), coalesce(u.name, ''), coalesce(p.id, 0), coalesce(p.name, ''),
		       coalesce(p.address, ''), coalesce(l.start_date, ''), coalesce(l.end_date, ''), coalesce(l.rent_cents, 0), coalesce(l.deposit_cents, 0)
		FROM conversation_tenants ct JOIN tenants t ON t.id = ct.tenant_id
		LEFT JOIN lease_tenants lt ON lt.tenant_id = t.id
		LEFT JOIN leases l ON l.id = lt.lease_id
		LEFT JOIN units u ON u.id = l.unit_id
		LEFT JOIN properties p ON p.id = u.property_id AND p.org_id = ?
		WHERE ct.conversation_id = ?
		ORDER BY t.name COLLATE NOCASE, t.id`, c.OrgID, c.ID)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	c.Members, c.Leases, c.MemberReadSeq = []backend.TenantRef{}, nil, map[int64]int64{}
	leases := map[int64]int{} // lease id → index in c.Leases
	for rows.Next() {
		var m backend.TenantRef
		var l backend.Lease
		var read int64
		if err := rows.Scan(&m.ID, &m.Name, &read, &l.ID, &l.UnitID, &l.UnitName, &l.PropertyID, &l.PropertyName, &l.Address,
			&l.Start, &l.End, &l.RentCents, &l.DepositCents); err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if n := len(c.Members); n == 0 || c.Members[n-1].ID != m.ID {
			c.Members = append(c.Members, m)
			c.MemberReadSeq[m.ID] = read
		}
		if l.ID == 0 || l.PropertyID == 0 { // no lease, or one of another organisation
			continue
		}
		i, ok := leases[l.ID]
		if !ok {
			i = len(c.Leases)
			leases[l.ID] = i
			c.Leases = append(c.Leases, l)
		}
		c.Leases[i].Tenants = append(c.Leases[i].Tenants, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	slices.SortFunc(c.Leases, func(a, b backend.Lease) int { return cmp.Or(cmp.Compare(b.Start, a.Start), cmp.Compare(b.ID, a.ID)) })
	return nil
}

// withMemberLeases loads what the rules need of c's members: their ids, by
// id, and their leases in c's organisation (dates and unit), without names
// or read positions. It is withMembers for the write path of every
// message, which the writer runs one after another: the rules decide by
// ids and dates alone, and the members' order is the index's (no sort).
func withMemberLeases(ctx context.Context, q queryer, c *convRow) error {
	rows, err := q.QueryContext(ctx, `
		SELECT ct.tenant_id, coalesce(l.id, 0), coalesce(l.unit_id, 0), coalesce(l.start_date, ''), coalesce(l.end_date, ''), coalesce(p.org_id, 0)
		FROM conversation_tenants ct
		LEFT JOIN lease_tenants lt ON lt.tenant_id = ct.tenant_id
		LEFT JOIN leases l ON l.id = lt.lease_id
		LEFT JOIN units u ON u.id = l.unit_id
		LEFT JOIN properties p ON p.id = u.property_id
		WHERE ct.conversation_id = +?
		ORDER BY ct.tenant_id`, c.ID) // +?, and the organisation compared here: see "Parameters the planner must not see" (sqlite.go)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	c.Members, c.Leases = []backend.TenantRef{}, nil
	for rows.Next() {
		var m backend.TenantRef
		var l backend.Lease
		var leaseOrg int64
		if err := rows.Scan(&m.ID, &l.ID, &l.UnitID, &l.Start, &l.End, &leaseOrg); err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if n := len(c.Members); n == 0 || c.Members[n-1].ID != m.ID {
			c.Members = append(c.Members, m)
		}
		if l.ID == 0 || leaseOrg != c.OrgID { // no lease, or one of another organisation
			continue
		}
		i := slices.IndexFunc(c.Leases, func(have backend.Lease) bool { return have.ID == l.ID })
		if i < 0 {
			i = len(c.Leases)
			c.Leases = append(c.Leases, l)
		}
		c.Leases[i].Tenants = append(c.Leases[i].Tenants, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	slices.SortFunc(c.Leases, func(a, b backend.Lease) int { return cmp.Or(cmp.Compare(b.Start, a.Start), cmp.Compare(b.ID, a.ID)) })
	return nil
}

func mainUserID(ctx context.Context, q queryer, orgID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM users WHERE org_id = ? AND is_main = 1", orgID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("main user of org %d: %w", orgID, err)
	}
	return id, nil
}

func orgName(ctx context.Context, q queryer, orgID int64) (string, error) {
	var name string
	if err := q.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = ?", orgID).Scan(&name); err != nil {
		return "", fmt.Errorf("org: %w", err)
	}
	return name, nil
}

// readSeq is how far p has read c.
func readSeq(ctx context.Context, q queryer, c convRow, p backend.Principal) (int64, error) {
	if p.Kind != backend.KindTenant {
		return c.landlordReadSeq, nil
	}
	var seq int64
	if err := q.QueryRowContext(ctx, "SELECT read_seq FROM conversation_tenants WHERE conversation_id = ? AND tenant_id = ?",
		c.ID, p.ID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read position: %w", err)
	}
	return seq, nil
}

// unread counts the messages of c after seq that p did not write.
func unread(ctx context.Context, q queryer, c convRow, p backend.Principal, seq int64) (int64, error) {
	col := senderColumn(p)
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ?
		AND (`+col+` IS NULL OR `+col+` <> ?)`, c.ID, seq, p.ID).Scan(&n); err != nil {
		return 0, fmt.Errorf("unread: %w", err)
	}
	return n, nil
}

// view shapes a conversation, loaded with its members, for one viewer on
// the landlord's date today (see backend.Chat.View).
func view(ctx context.Context, q queryer, c convRow, viewer backend.Principal, orgName, today string) (backend.Conversation, error) {
	seq, err := readSeq(ctx, q, c, viewer)
	if err != nil {
		return backend.Conversation{}, err
	}
	n, err := unread(ctx, q, c, viewer, seq)
	if err != nil {
		return backend.Conversation{}, err
	}
	return c.View(viewer, orgName, today, seq, n), nil
}

// StartConversation opens a one-to-one chat with a tenant on an Active lease,
// or a group chat with every tenant on an Active lease of a unit. If the chat
// exists it is returned (created false); a unit's group gains tenants who
// became Active since.
func (db *DB) StartConversation(ctx context.Context, p backend.Principal, req backend.StartConversation) (backend.Conversation, bool, error) {
	if err := p.MayStartConversation(); err != nil {
		return backend.Conversation{}, false, err
	}
	if err := req.Validate(); err != nil {
		return backend.Conversation{}, false, err
	}
	var convID int64
	var created bool
	err := db.Update(ctx, func(tx *Tx) (err error) {
		convID, created, err = db.startConversation(ctx, tx, p, req)
		return err
	})
	if err != nil {
		return backend.Conversation{}, false, err
	}
	conv, err := db.Conversation(ctx, p, convID)
	return conv, created, err
}

// startConversation is StartConversation's write: who the chat is with,
// the chat itself, its new members, and telling them.
func (db *DB) startConversation(ctx context.Context, tx *Tx, p backend.Principal, req backend.StartConversation) (convID int64, created bool, err error) {
	today, _, err := orgToday(ctx, tx, p.OrgID, tx.Now())
	if err != nil {
		return 0, false, err
	}
	want, err := chatPartners(ctx, tx, p.OrgID, req, today)
	if err != nil {
		return 0, false, err
	}
	if convID, created, err = findOrCreateConversation(ctx, tx, p, req); err != nil {
		return 0, false, err
	}
	added, err := addMembers(ctx, tx, convID, want)
	if err != nil || len(added) == 0 {
		return convID, created, err
	}
	return convID, created, db.announceConversation(ctx, tx, p.OrgID, convID, added, today)
}

// chatPartners returns the tenants a chat asked for by req is with on
// today, or the rule's refusal.
func chatPartners(ctx context.Context, q queryer, orgID int64, req backend.StartConversation, today string) ([]int64, error) {
	if req.TenantID != 0 {
		return directPartner(ctx, q, orgID, req.TenantID, today)
	}
	return unitPartners(ctx, q, orgID, req.UnitID, today)
}

// directPartner is the tenant of a one-to-one chat, if their lease allows.
func directPartner(ctx context.Context, q queryer, orgID, tenantID int64, today string) ([]int64, error) {
	var name string
	err := q.QueryRowContext(ctx, "SELECT name FROM tenants WHERE id = ? AND org_id = ?", tenantID, orgID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.ErrNoTenant
	}
	if err != nil {
		return nil, fmt.Errorf("tenant %d: %w", tenantID, err)
	}
	leases, err := tenantLeases(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	if err := backend.MayChatWithTenant(name, leases, today); err != nil {
		return nil, err
	}
	return []int64{tenantID}, nil
}

// unitPartners are the tenants of a unit's group chat: those on an Active
// lease of the unit, by id.
func unitPartners(ctx context.Context, q queryer, orgID, unitID int64, today string) ([]int64, error) {
	var property, unit string
	err := q.QueryRowContext(ctx, `SELECT p.name, u.name FROM units u JOIN properties p ON p.id = u.property_id
		WHERE u.id = ? AND p.org_id = ?`, unitID, orgID).Scan(&property, &unit)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, backend.ErrNoUnit
	}
	if err != nil {
		return nil, fmt.Errorf("unit %d: %w", unitID, err)
	}
	leases, err := leasesWhere(ctx, q, "l.unit_id = ?", unitID)
	if err != nil {
		return nil, err
	}
	active := backend.ActiveTenants(leases, today)
	if err := backend.MayChatWithUnit(property, unit, active); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(active))
	for _, t := range active {
		ids = append(ids, t.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// findOrCreateConversation returns the chat req asks for, creating it
// (created true) when there is none yet.
func findOrCreateConversation(ctx context.Context, tx *Tx, p backend.Principal, req backend.StartConversation) (id int64, created bool, err error) {
	column, target := "tenant_id", req.TenantID
	var tenantID, unitID any = req.TenantID, nil
	if req.UnitID != 0 {
		column, target = "unit_id", req.UnitID
		tenantID, unitID = nil, req.UnitID
	}
	err = tx.QueryRowContext(ctx, "SELECT id FROM conversations WHERE org_id = ? AND "+column+" = ?", p.OrgID, target).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("find conversation: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO conversations (org_id, tenant_id, unit_id, created_by, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, p.OrgID, tenantID, unitID, p.ID, formatTime(tx.Now())).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("create conversation: %w", err)
	}
	return id, true, nil
}

// addMembers makes tenants members of a conversation and returns those who
// were not members yet.
func addMembers(ctx context.Context, tx *Tx, convID int64, tenants []int64) ([]int64, error) {
	var added []int64
	for _, id := range tenants {
		res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO conversation_tenants (conversation_id, tenant_id) VALUES (?, ?)", convID, id)
		if err != nil {
			return nil, fmt.Errorf("add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, id)
		}
	}
	return added, nil
}

// announceConversation tells of a chat that gained members: each new member
// by e-mail and text message, the landlord and every active member (new
// ones learn of the chat) by a conversation event.
func (db *DB) announceConversation(ctx context.Context, tx *Tx, orgID, convID int64, added []int64, today string) error {
	if err := db.queueNotifications(ctx, tx, orgID, convID, added, backend.NotifyNewChat); err != nil {
		return err
	}
	c, err := loadChat(ctx, tx, orgID, convID)
	if err != nil {
		return err
	}
	return db.emitConversation(ctx, tx, c, c.ActiveMembers(today), today)
}

// emitConversation writes a conversation event for the landlord and
// tenants, each with their own view of it.
func (db *DB) emitConversation(ctx context.Context, tx *Tx, c convRow, tenants []int64, today string) error {
	name, err := orgName(ctx, tx, c.OrgID)
	if err != nil {
		return err
	}
	mainID, err := mainUserID(ctx, tx, c.OrgID)
	if err != nil {
		return err
	}
	landlord := backend.Principal{Kind: backend.KindUser, ID: mainID, OrgID: c.OrgID, IsMain: true}
	viewers := []backend.Principal{landlord}
	for _, id := range tenants {
		viewers = append(viewers, backend.Principal{Kind: backend.KindTenant, ID: id, OrgID: c.OrgID})
	}
	pubs := make([]backend.Delivery, 0, len(viewers))
	for _, p := range viewers {
		v, err := view(ctx, tx, c, p, name, today)
		if err != nil {
			return err
		}
		pubs = append(pubs, backend.Delivery{To: p.Recipient(), Event: backend.Event{Type: backend.EventConversation, Conversation: &v}})
	}
	return db.writeEvents(ctx, tx, pubs)
}

// writeEvents stores events for their recipients and publishes them once the
// transaction is durable.
func (db *DB) writeEvents(ctx context.Context, tx *Tx, pubs []backend.Delivery) error {
	at := formatTime(tx.Now())
	for i := range pubs {
		pubs[i].Event.CreatedAt = tx.Now()
		payload, err := json.Marshal(pubs[i].Event)
		if err != nil {
			return fmt.Errorf("event payload: %w", err)
		}
		if pubs[i].Event.ID, err = insertEvent(ctx, tx, pubs[i].To, pubs[i].Event.Type, string(payload), at); err != nil {
			return err
		}
	}
	tx.AfterCommit(func() { db.publish(pubs) })
	return nil
}

// writeEvent is writeEvents for one event told to several recipients: its
// payload is encoded once (the id, which differs, is not in it; see Events).
func (db *DB) writeEvent(ctx context.Context, tx *Tx, ev backend.Event, to []backend.Recipient) error {
	ev.CreatedAt = tx.Now()
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("event payload: %w", err)
	}
	at, text := formatTime(tx.Now()), string(payload)
	pubs := make([]backend.Delivery, len(to))
	for i, r := range to {
		pubs[i] = backend.Delivery{To: r, Event: ev}
		if pubs[i].Event.ID, err = insertEvent(ctx, tx, r, ev.Type, text, at); err != nil {
			return err
		}
	}
	tx.AfterCommit(func() { db.publish(pubs) })
	return nil
}

// insertEvent stores one event for its recipient and returns its id.
func insertEvent(ctx context.Context, tx *Tx, to backend.Recipient, typ, payload, at string) (int64, error) {
	var userID, tenantID any
	if to.Kind == backend.KindUser {
		userID = to.ID
	} else {
		tenantID = to.ID
	}
	// Exec and the last rowid, not RETURNING (see insertMessage).
	res, err := tx.ExecContext(ctx, `INSERT INTO events (user_id, tenant_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, tenantID, typ, payload, at)
	if err != nil {
		return 0, fmt.Errorf("write event: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("write event: %w", err)
	}
	return id, nil
}

// openChat loads conversation id, with its members, for p if the rules let
// p open it (backend.Chat.MayOpen): a landlord sub-user is refused before
// anything is looked up.
func openChat(ctx context.Context, q queryer, p backend.Principal, id int64) (convRow, error) {
	if err := p.MayChat(); err != nil {
		return convRow{}, err
	}
	c, err := loadChat(ctx, q, p.OrgID, id)
	if err != nil {
		return c, err
	}
	return c, c.MayOpen(p)
}

// Conversation returns one conversation as p sees it.
func (db *DB) Conversation(ctx context.Context, p backend.Principal, id int64) (backend.Conversation, error) {
	c, err := openChat(ctx, db.db, p, id)
	if err != nil {
		return backend.Conversation{}, err
	}
	convs, err := db.shape(ctx, p, []convRow{c})
	if err != nil {
		return backend.Conversation{}, err
	}
	return convs[0], nil
}

// Conversations lists p's conversations, most recent activity first.
func (db *DB) Conversations(ctx context.Context, p backend.Principal) ([]backend.Conversation, error) {
	if err := p.MayChat(); err != nil {
		return nil, err
	}
	list, err := db.conversationsOf(ctx, p)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if err := withMembers(ctx, db.db, &list[i]); err != nil {
			return nil, err
		}
	}
	out, err := db.shape(ctx, p, list)
	if err != nil {
		return nil, err
	}
	backend.SortByActivity(out)
	return out, nil
}

// conversationsOf lists the conversations p takes part in, without their
// members: all of the organisation's for the landlord, a tenant's own.
func (db *DB) conversationsOf(ctx context.Context, p backend.Principal) ([]convRow, error) {
	var rows *sql.Rows
	var err error
	if p.Kind == backend.KindTenant {
		rows, err = db.db.QueryContext(ctx, convSelect+` WHERE c.org_id = ? AND c.id IN
			(SELECT conversation_id FROM conversation_tenants WHERE tenant_id = ?)`, p.OrgID, p.ID)
	} else {
		rows, err = db.db.QueryContext(ctx, convSelect+" WHERE c.org_id = ?", p.OrgID)
	}
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	defer rows.Close()
	var list []convRow
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations: %w", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return list, nil
}

// shape turns conversations, loaded with their members, into p's view, with
// the last message p may see.
func (db *DB) shape(ctx context.Context, p backend.Principal, list []convRow) ([]backend.Conversation, error) {
	name, err := orgName(ctx, db.db, p.OrgID)
	if err != nil {
		return nil, err
	}
	today, loc, err := orgToday(ctx, db.db, p.OrgID, db.now())
	if err != nil {
		return nil, err
	}
	out := make([]backend.Conversation, 0, len(list))
	for _, c := range list {
		v, err := view(ctx, db.db, c, p, name, today)
		if err != nil {
			return nil, err
		}
		cutoff, err := c.VisibleUntil(p, today, loc)
		if err != nil {
			return nil, err
		}
		msgs, err := db.messagesWhere(ctx, db.db, c.ID, cutoff, "ORDER BY m.seq DESC LIMIT 1")
		if err != nil {
			return nil, err
		}
		if len(msgs) > 0 {
			v.LastMessage = &msgs[0]
		}
		out = append(out, v)
	}
	return out, nil
}
