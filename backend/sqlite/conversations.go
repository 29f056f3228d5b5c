package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"doorstep/backend"
)

// convRow is a conversation as stored, before it is shaped for a viewer.
type convRow struct {
	id, orgID, tenantID, unitID int64
	createdAt                   time.Time
	lastSeq, landlordReadSeq    int64
	title                       string // the landlord's view: tenant name, or "Property · Unit"
	unitTitle                   string
}

const convSelect = `
	SELECT c.id, c.org_id, coalesce(c.tenant_id, 0), coalesce(c.unit_id, 0), c.created_at, c.last_seq, c.landlord_read_seq,
	       coalesce(t.name, p.name || ' · ' || u.name), coalesce(p.name || ' · ' || u.name, '')
	FROM conversations c
	LEFT JOIN tenants t ON t.id = c.tenant_id
	LEFT JOIN units u ON u.id = c.unit_id
	LEFT JOIN properties p ON p.id = u.property_id`

// convSelectBare reads the same columns without the joins for titles, for
// the write paths that only need ids and positions.
const convSelectBare = `
	SELECT c.id, c.org_id, coalesce(c.tenant_id, 0), coalesce(c.unit_id, 0), c.created_at, c.last_seq, c.landlord_read_seq, '', ''
	FROM conversations c`

func scanConv(sc interface{ Scan(...any) error }) (convRow, error) {
	var c convRow
	var created string
	err := sc.Scan(&c.id, &c.orgID, &c.tenantID, &c.unitID, &created, &c.lastSeq, &c.landlordReadSeq, &c.title, &c.unitTitle)
	c.createdAt = parseTime(created)
	return c, err
}

// loadConv reads a conversation of orgID, or errNoConversation; bare skips
// the titles.
func loadConv(ctx context.Context, q queryer, orgID, id int64, bare bool) (convRow, error) {
	sel := convSelect
	if bare {
		sel = convSelectBare
	}
	c, err := scanConv(q.QueryRowContext(ctx, sel+" WHERE c.id = ? AND c.org_id = ?", id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoConversation
	}
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, nil
}

// members lists a conversation's tenants.
func members(ctx context.Context, q queryer, convID int64) ([]backend.TenantRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name FROM conversation_tenants ct JOIN tenants t ON t.id = ct.tenant_id
		WHERE ct.conversation_id = ? ORDER BY t.name COLLATE NOCASE, t.id`, convID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	out := []backend.TenantRef{}
	for rows.Next() {
		var m backend.TenantRef
		if err := rows.Scan(&m.ID, &m.Name); err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// tenantActiveFor reports whether a tenant may send and receive in c today:
// an Active lease on the unit (group chats) or any Active lease with the
// organisation (one-to-one chats).
func tenantActiveFor(ctx context.Context, q queryer, c convRow, tenantID int64, today string) (bool, error) {
	cond := "u.property_id IN (SELECT id FROM properties WHERE org_id = :org)"
	if c.unitID != 0 {
		cond = "l.unit_id = :unit"
	}
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM lease_tenants lt JOIN leases l ON l.id = lt.lease_id
		JOIN units u ON u.id = l.unit_id WHERE lt.tenant_id = :tenant AND `+cond+` AND `+activeLeaseSQL+`)`,
		sql.Named("tenant", tenantID), sql.Named("org", c.orgID), sql.Named("unit", c.unitID), sql.Named("today", today)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("lease check: %w", err)
	}
	return ok, nil
}

// activeMembers returns the ids of c's tenants who may receive new messages
// today (see tenantActiveFor), in one query.
func activeMembers(ctx context.Context, q queryer, c convRow, today string) ([]int64, error) {
	cond := "u.property_id IN (SELECT id FROM properties WHERE org_id = :org)"
	if c.unitID != 0 {
		cond = "l.unit_id = :unit"
	}
	rows, err := q.QueryContext(ctx, `SELECT ct.tenant_id FROM conversation_tenants ct WHERE ct.conversation_id = :conv
		AND EXISTS (SELECT 1 FROM lease_tenants lt JOIN leases l ON l.id = lt.lease_id JOIN units u ON u.id = l.unit_id
		            WHERE lt.tenant_id = ct.tenant_id AND `+cond+` AND `+activeLeaseSQL+`)`,
		sql.Named("conv", c.id), sql.Named("org", c.orgID), sql.Named("unit", c.unitID), sql.Named("today", today))
	if err != nil {
		return nil, fmt.Errorf("active members: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("active members: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// closedReason says, for the landlord, why no member of c can receive new
// messages any more (every member's lease ended). c must be loaded with its
// titles (not bare): a direct chat's title is its tenant's name.
func closedReason(ctx context.Context, q queryer, c convRow, today string) (string, error) {
	const after = " New messages would reach no one, so this conversation is read-only."
	if c.unitID != 0 {
		return "No tenant of " + c.unitTitle + " is on an active lease any more." + after, nil
	}
	leases, err := leasesWhere(ctx, q, today, "l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = ?)", c.tenantID)
	if err != nil {
		return "", err
	}
	return notActiveReason(c.title, leases) + after, nil
}

func mainUserID(ctx context.Context, q queryer, orgID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM users WHERE org_id = ? AND is_main = 1", orgID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("main user of org %d: %w", orgID, err)
	}
	return id, nil
}

// view shapes a conversation for one viewer.
func (db *DB) view(ctx context.Context, q queryer, c convRow, viewer backend.Principal, orgName string) (backend.Conversation, error) {
	conv := backend.Conversation{ID: c.id, Kind: backend.ConversationDirect, Title: c.title, TenantID: c.tenantID,
		UnitID: c.unitID, CreatedAt: c.createdAt, LastSeq: c.lastSeq, ReadSeq: c.landlordReadSeq}
	if c.unitID != 0 {
		conv.Kind = backend.ConversationGroup
	}
	var err error
	if conv.Members, err = members(ctx, q, c.id); err != nil {
		return conv, err
	}
	today, _, err := orgToday(ctx, q, c.orgID, db.now()) // the landlord's date, for lease status
	if err != nil {
		return conv, err
	}
	if viewer.Kind == backend.KindUser {
		// A chat where no tenant can read new messages any more is closed
		// for the landlord too: what they wrote would reach no one.
		active, err := activeMembers(ctx, q, c, today)
		if err != nil {
			return conv, err
		}
		if len(active) == 0 {
			if conv.ReadOnlyReason, err = closedReason(ctx, q, c, today); err != nil {
				return conv, err
			}
			conv.ReadOnly = true
		}
	}
	if c.tenantID != 0 {
		err = q.QueryRowContext(ctx, `SELECT p.name || ' · ' || u.name FROM lease_tenants lt JOIN leases l ON l.id = lt.lease_id
			JOIN units u ON u.id = l.unit_id JOIN properties p ON p.id = u.property_id
			WHERE lt.tenant_id = :tenant AND `+activeLeaseSQL+` ORDER BY l.start_date DESC LIMIT 1`,
			sql.Named("tenant", c.tenantID), sql.Named("today", today)).Scan(&conv.Place)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return conv, fmt.Errorf("tenant's unit: %w", err)
		}
	}
	if viewer.Kind == backend.KindTenant {
		if c.unitID == 0 {
			conv.Title = orgName
		} else {
			conv.Title = c.unitTitle
		}
		if err := q.QueryRowContext(ctx, "SELECT read_seq FROM conversation_tenants WHERE conversation_id = ? AND tenant_id = ?",
			c.id, viewer.ID).Scan(&conv.ReadSeq); err != nil {
			return conv, fmt.Errorf("read position: %w", err)
		}
		active, err := tenantActiveFor(ctx, q, c, viewer.ID, today)
		if err != nil {
			return conv, err
		}
		if !active {
			conv.ReadOnly = true
			conv.ReadOnlyReason = "Your lease is no longer active, so you can read this conversation but not write in it."
		}
	}
	senderCol := "sender_user_id"
	if viewer.Kind == backend.KindTenant {
		senderCol = "sender_tenant_id"
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ?
		AND (`+senderCol+` IS NULL OR `+senderCol+` <> ?)`, c.id, conv.ReadSeq, viewer.ID).Scan(&conv.Unread); err != nil {
		return conv, fmt.Errorf("unread: %w", err)
	}
	return conv, nil
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
	err := db.Update(ctx, func(tx *Tx) error {
		today, _, err := orgToday(ctx, tx, p.OrgID, tx.Now())
		if err != nil {
			return err
		}
		var want []int64 // tenants who should be members
		if req.TenantID != 0 {
			var name string
			if err := tx.QueryRowContext(ctx, "SELECT name FROM tenants WHERE id = ? AND org_id = ?", req.TenantID, p.OrgID).Scan(&name); errors.Is(err, sql.ErrNoRows) {
				return errNoTenant
			} else if err != nil {
				return err
			}
			leases, err := leasesWhere(ctx, tx, today, "l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = ?)", req.TenantID)
			if err != nil {
				return err
			}
			if !hasActive(leases) {
				return backend.Errorf(backend.ETENANTNOTACTIVE, "%s", notActiveReason(name, leases))
			}
			want = []int64{req.TenantID}
			err = tx.QueryRowContext(ctx, "SELECT id FROM conversations WHERE org_id = ? AND tenant_id = ?", p.OrgID, req.TenantID).Scan(&convID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		} else {
			var label string
			err := tx.QueryRowContext(ctx, `SELECT p.name || ' ' || u.name FROM units u JOIN properties p ON p.id = u.property_id
				WHERE u.id = ? AND p.org_id = ?`, req.UnitID, p.OrgID).Scan(&label)
			if errors.Is(err, sql.ErrNoRows) {
				return errNoUnit
			} else if err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT DISTINCT lt.tenant_id FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id
				WHERE l.unit_id = :unit AND `+activeLeaseSQL, sql.Named("unit", req.UnitID), sql.Named("today", today))
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				want = append(want, id)
			}
			rows.Close()
			if len(want) == 0 {
				return backend.Errorf(backend.ETENANTNOTACTIVE, "No tenant of %s is on an active lease.", label)
			}
			err = tx.QueryRowContext(ctx, "SELECT id FROM conversations WHERE org_id = ? AND unit_id = ?", p.OrgID, req.UnitID).Scan(&convID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if convID == 0 {
			created = true
			var tenantID, unitID any
			if req.TenantID != 0 {
				tenantID = req.TenantID
			} else {
				unitID = req.UnitID
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO conversations (org_id, tenant_id, unit_id, created_by, created_at)
				VALUES (?, ?, ?, ?, ?) RETURNING id`, p.OrgID, tenantID, unitID, p.ID, formatTime(tx.Now())).Scan(&convID); err != nil {
				return fmt.Errorf("create conversation: %w", err)
			}
		}
		var added []int64
		for _, id := range want {
			res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO conversation_tenants (conversation_id, tenant_id) VALUES (?, ?)", convID, id)
			if err != nil {
				return fmt.Errorf("add member: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added = append(added, id)
			}
		}
		if len(added) == 0 {
			return nil
		}
		// Each new member learns of the chat by e-mail and text message.
		if err := db.queueNotifications(ctx, tx, p.OrgID, convID, added, backend.NotifyNewChat); err != nil {
			return err
		}
		// Tell the landlord and every active member (new ones learn of the chat).
		c, err := loadConv(ctx, tx, p.OrgID, convID, false)
		if err != nil {
			return err
		}
		recipients, err := activeMembers(ctx, tx, c, today)
		if err != nil {
			return err
		}
		return db.emitConversation(ctx, tx, c, recipients)
	})
	if err != nil {
		return backend.Conversation{}, false, err
	}
	conv, err := db.Conversation(ctx, p, convID)
	return conv, created, err
}

// emitConversation writes a conversation event for the landlord and tenants.
func (db *DB) emitConversation(ctx context.Context, tx *Tx, c convRow, tenants []int64) error {
	var orgName string
	if err := tx.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = ?", c.orgID).Scan(&orgName); err != nil {
		return err
	}
	mainID, err := mainUserID(ctx, tx, c.orgID)
	if err != nil {
		return err
	}
	landlord := backend.Principal{Kind: backend.KindUser, ID: mainID, OrgID: c.orgID, IsMain: true}
	v, err := db.view(ctx, tx, c, landlord, orgName)
	if err != nil {
		return err
	}
	pubs := []backend.Delivery{{To: backend.Recipient{Kind: backend.KindUser, ID: mainID}, Event: backend.Event{Type: backend.EventConversation, Conversation: &v}}}
	for _, id := range tenants {
		tv, err := db.view(ctx, tx, c, backend.Principal{Kind: backend.KindTenant, ID: id, OrgID: c.orgID}, orgName)
		if err != nil {
			return err
		}
		pubs = append(pubs, backend.Delivery{To: backend.Recipient{Kind: backend.KindTenant, ID: id}, Event: backend.Event{Type: backend.EventConversation, Conversation: &tv}})
	}
	return db.writeEvents(ctx, tx, pubs)
}

// writeEvents stores events for their recipients and publishes them once the
// transaction is durable.
func (db *DB) writeEvents(ctx context.Context, tx *Tx, pubs []backend.Delivery) error {
	for i := range pubs {
		pubs[i].Event.CreatedAt = tx.Now()
		payload, err := json.Marshal(pubs[i].Event)
		if err != nil {
			return fmt.Errorf("event payload: %w", err)
		}
		var userID, tenantID any
		if pubs[i].To.Kind == backend.KindUser {
			userID = pubs[i].To.ID
		} else {
			tenantID = pubs[i].To.ID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO events (user_id, tenant_id, type, payload, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, userID, tenantID, pubs[i].Event.Type, string(payload), formatTime(tx.Now())).Scan(&pubs[i].Event.ID); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
	}
	tx.AfterCommit(func() { db.publish(pubs) })
	return nil
}

// checkAccess loads conversation id for p: the main landlord user of its
// organisation, or a tenant member. bare skips loading titles.
func (db *DB) checkAccess(ctx context.Context, q queryer, p backend.Principal, id int64, bare bool) (convRow, error) {
	if p.Kind == backend.KindUser {
		if err := requireLandlord(p); err != nil {
			return convRow{}, err
		}
	}
	c, err := loadConv(ctx, q, p.OrgID, id, bare)
	if err != nil {
		return c, err
	}
	if p.Kind == backend.KindTenant {
		var member bool
		if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM conversation_tenants WHERE conversation_id = ? AND tenant_id = ?)",
			id, p.ID).Scan(&member); err != nil {
			return c, err
		}
		if !member {
			return c, backend.Errorf(backend.ENOTAMEMBER, "You are not part of this conversation.")
		}
	}
	return c, nil
}

// Conversation returns one conversation as p sees it.
func (db *DB) Conversation(ctx context.Context, p backend.Principal, id int64) (backend.Conversation, error) {
	c, err := db.checkAccess(ctx, db.db, p, id, false)
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
	var rows *sql.Rows
	var err error
	switch p.Kind {
	case backend.KindUser:
		if err := requireLandlord(p); err != nil {
			return nil, err
		}
		rows, err = db.db.QueryContext(ctx, convSelect+" WHERE c.org_id = ?", p.OrgID)
	default:
		rows, err = db.db.QueryContext(ctx, convSelect+` WHERE c.org_id = ? AND c.id IN
			(SELECT conversation_id FROM conversation_tenants WHERE tenant_id = ?)`, p.OrgID, p.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	var list []convRow
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("conversations: %w", err)
		}
		list = append(list, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out, err := db.shape(ctx, p, list)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return activity(out[i]).After(activity(out[j])) })
	return out, nil
}

func activity(c backend.Conversation) time.Time {
	if c.LastMessage != nil {
		return c.LastMessage.CreatedAt
	}
	return c.CreatedAt
}

// shape turns stored conversations into p's view, with the last message p may see.
func (db *DB) shape(ctx context.Context, p backend.Principal, list []convRow) ([]backend.Conversation, error) {
	var orgName string
	if err := db.db.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = ?", p.OrgID).Scan(&orgName); err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	out := make([]backend.Conversation, 0, len(list))
	for _, c := range list {
		v, err := db.view(ctx, db.db, c, p, orgName)
		if err != nil {
			return nil, err
		}
		cutoff, err := db.visibleUntil(ctx, db.db, p, c)
		if err != nil {
			return nil, err
		}
		msgs, err := db.messagesWhere(ctx, db.db, c.id, cutoff, "ORDER BY m.seq DESC LIMIT 1")
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
