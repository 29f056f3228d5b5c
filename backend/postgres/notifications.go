package postgres

import (
	"context"
	"fmt"
	"time"

	"doorstep/backend"
)

// SetNotificationsQueued registers f to be called once notifications were
// queued and are committed (to wake the sender). It must not block.
func (db *DB) SetNotificationsQueued(f func()) {
	db.sinkMu.Lock()
	defer db.sinkMu.Unlock()
	db.notifyQueued = f
}

func (db *DB) wakeNotifier() {
	db.sinkMu.RLock()
	f := db.notifyQueued
	db.sinkMu.RUnlock()
	if f != nil {
		f()
	}
}

// queueNotifications writes, in tx, the notifications of kind each tenant
// is sent (backend.PlanNotifications: an e-mail and a text message, queued
// or skipped with the reason), so the delivery log shows every tenant.
func (db *DB) queueNotifications(ctx context.Context, tx *Tx, orgID, convID int64, tenants []int64, kind string) error {
	queued := false
	for _, id := range tenants {
		var email, phone string
		if err := tx.QueryRow(ctx, "SELECT email, phone FROM tenants WHERE id = $1 AND org_id = $2", id, orgID).Scan(&email, &phone); err != nil {
			return fmt.Errorf("notify tenant %d: %w", id, err)
		}
		for _, n := range backend.PlanNotifications(email, phone) {
			var next *time.Time
			if n.State == backend.NotificationQueued {
				now := tx.Now()
				next, queued = &now, true
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (org_id, conversation_id, tenant_id, kind, channel, recipient, state, reason, next_attempt_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, orgID, convID, id, kind, n.Channel, n.Recipient, n.State, n.Reason, next, tx.Now()); err != nil {
				return fmt.Errorf("queue notification: %w", err)
			}
		}
	}
	if queued {
		tx.AfterCommit(db.wakeNotifier)
	}
	return nil
}

const notificationColumns = `
	SELECT n.id, n.conversation_id, n.tenant_id, t.name, n.kind, n.channel, n.recipient, n.state, n.reason, n.attempts,
	       n.created_at, n.sent_at, n.next_attempt_at`

const notificationSelect = notificationColumns + `
	FROM notifications n JOIN tenants t ON t.id = n.tenant_id`

func scanNotification(sc interface{ Scan(...any) error }, extra ...any) (backend.Notification, error) {
	var n backend.Notification
	var next *time.Time
	dest := append([]any{&n.ID, &n.ConversationID, &n.Tenant.ID, &n.Tenant.Name, &n.Kind, &n.Channel, &n.Recipient, &n.State,
		&n.Reason, &n.Attempts, &n.CreatedAt, &n.SentAt, &next}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return n, err
	}
	if n.State == backend.NotificationQueued {
		n.NextAttemptAt = next
	}
	return n, nil
}

// ConversationNotifications is a conversation's delivery log, newest first:
// every e-mail and text message sent, waiting, failed or skipped. Only the
// main landlord user may read it.
func (db *DB) ConversationNotifications(ctx context.Context, p backend.Principal, convID int64) ([]backend.Notification, error) {
	if err := p.MayReadDeliveryLog(); err != nil {
		return nil, err
	}
	if _, err := openChat(ctx, db.r, p, convID); err != nil {
		return nil, err
	}
	rows, err := db.r.Query(ctx, notificationSelect+` WHERE n.conversation_id = $1 AND n.org_id = $2 ORDER BY n.id DESC`, convID, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	defer rows.Close()
	out := []backend.Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DueNotifications claims and returns up to limit queued notifications
// whose time has come, oldest due first, with what a sender needs to write
// them. What another live server node has claimed is not returned; what
// this one claimed is, until its outcome is recorded (see claims.go).
func (db *DB) DueNotifications(ctx context.Context, now time.Time, limit int) ([]backend.PendingNotification, error) {
	me, err := db.claimerID(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := db.claimDue(ctx, me, stored(now), limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	rows, err := db.r.Query(ctx, notificationColumns+`, n.org_id, o.name,
		       coalesce((SELECT name FROM users WHERE org_id = n.org_id AND is_main LIMIT 1), ''),
		       c.unit_id IS NOT NULL, coalesce(p.name, ''), coalesce(u.name, ''), t.language, o.time_zone
		FROM notifications n JOIN tenants t ON t.id = n.tenant_id JOIN orgs o ON o.id = n.org_id
		JOIN conversations c ON c.id = n.conversation_id
		LEFT JOIN units u ON u.id = c.unit_id LEFT JOIN properties p ON p.id = u.property_id
		WHERE n.id = ANY($1) AND n.state = 'queued' ORDER BY n.next_attempt_at, n.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	defer rows.Close()
	var out []backend.PendingNotification
	for rows.Next() {
		var p backend.PendingNotification
		var mainUser, property, unit string
		var group bool
		n, err := scanNotification(rows, &p.OrgID, &p.OrgName, &mainUser, &group, &property, &unit, &p.TenantLanguage, &p.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("due notifications: %w", err)
		}
		p.Notification = n
		p.LandlordName = backend.LandlordName(mainUser, p.OrgName)
		p.ConversationTitle = backend.NotificationTitle(property, unit, group)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	return out, nil
}

// NextNotificationDue is when the next queued notification is due (ok is
// false when none is queued).
func (db *DB) NextNotificationDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var next *time.Time
	// What another live node claimed is its to send: waiting for it here
	// would wake this node's sender over and over for nothing.
	if err := db.r.QueryRow(ctx, `SELECT min(next_attempt_at) FROM notifications WHERE state = 'queued'
		AND (claimed_by IS NULL OR claimed_by = $1 OR claimed_by NOT IN (`+liveClaimers+`))`, db.currentClaimerID()).Scan(&next); err != nil {
		return t, false, fmt.Errorf("next notification: %w", err)
	}
	if next == nil {
		return t, false, nil
	}
	return *next, true, nil
}

// QueuedNotifications counts the notifications waiting to be sent or
// tried again: the depth of the outbox, for metrics.
func (db *DB) QueuedNotifications(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRow(ctx, "SELECT count(*) FROM notifications WHERE state = 'queued'").Scan(&n); err != nil {
		return 0, fmt.Errorf("queued notifications: %w", err)
	}
	return n, nil
}

// NotificationSent records that a notification was handed over; note (may
// be empty) says anything the landlord should know, such as that it went to
// the dev mailbox rather than to the tenant.
func (db *DB) NotificationSent(ctx context.Context, id int64, note string) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET state = 'sent', sent_at = $1, attempts = attempts + 1, reason = $2, next_attempt_at = NULL, claimed_by = NULL
			WHERE id = $3 AND state = 'queued'`, tx.Now(), note, id)
		return err
	})
}

// NotificationRetry records a failed try and when to try again.
func (db *DB) NotificationRetry(ctx context.Context, id int64, reason string, next time.Time) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET attempts = attempts + 1, reason = $1, next_attempt_at = $2, claimed_by = NULL
			WHERE id = $3 AND state = 'queued'`, reason, stored(next), id)
		return err
	})
}

// NotificationFailed gives a notification up, with the reason.
func (db *DB) NotificationFailed(ctx context.Context, id int64, reason string) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET state = 'failed', attempts = attempts + 1, reason = $1, next_attempt_at = NULL, claimed_by = NULL
			WHERE id = $2 AND state = 'queued'`, reason, id)
		return err
	})
}

// QueueNewMessageEmails queues a "new messages" e-mail for each tenant who
// is due one (backend.NewMessageEmailDue: unread messages from others that
// settled, at most one e-mail per tenant and conversation per interval, the
// new-chat e-mail included), who is not online and whose lease lets them
// take part in the conversation. It returns how many it queued.
func (db *DB) QueueNewMessageEmails(ctx context.Context, now time.Time, interval, grace time.Duration, online func(tenantID int64) bool) (int, error) {
	cands, err := newMessageCandidates(ctx, db.r)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, c := range cands {
		if !backend.NewMessageEmailDue(c.firstUnread, c.lastEmail, now, interval, grace) || online != nil && online(c.tenant) {
			continue
		}
		ok, err := db.queueNewMessageEmail(ctx, c, now, interval, grace)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	return queued, nil
}

// newMessageCandidate is a tenant with an e-mail address and unread
// messages from others in a conversation, written after the last e-mail
// about it.
type newMessageCandidate struct {
	conv, tenant, org int64
	firstUnread       time.Time // the first of those messages
	lastEmail         time.Time // the last e-mail about it not skipped (zero: none)
}

// newMessageCandidates lists the tenants with an e-mail address who have
// unread messages from others written after the last e-mail about that
// conversation, with when the first of them was written and when the last
// e-mail was queued.
func newMessageCandidates(ctx context.Context, q queryer) ([]newMessageCandidate, error) {
	rows, err := q.Query(ctx, `SELECT * FROM (
		SELECT ct.conversation_id, ct.tenant_id, c.org_id,
		       (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = ct.conversation_id AND m.seq > ct.read_seq
		           AND (m.sender_tenant_id IS NULL OR m.sender_tenant_id <> ct.tenant_id)
		           AND m.created_at > coalesce((SELECT max(n.created_at) FROM notifications n WHERE n.conversation_id = ct.conversation_id
		               AND n.tenant_id = ct.tenant_id AND n.channel = 'email'), '-infinity')) AS first_unread,
		       (SELECT max(n.created_at) FROM notifications n WHERE n.conversation_id = ct.conversation_id AND n.tenant_id = ct.tenant_id
		           AND n.channel = 'email' AND n.state <> 'skipped') AS last_email
		FROM conversation_tenants ct JOIN conversations c ON c.id = ct.conversation_id JOIN tenants t ON t.id = ct.tenant_id
		WHERE t.email <> '') candidates WHERE first_unread IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("new-message e-mails: %w", err)
	}
	defer rows.Close()
	var out []newMessageCandidate
	for rows.Next() {
		var c newMessageCandidate
		var last *time.Time
		if err := rows.Scan(&c.conv, &c.tenant, &c.org, &c.firstUnread, &last); err != nil {
			return nil, fmt.Errorf("new-message e-mails: %w", err)
		}
		if last != nil {
			c.lastEmail = *last
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("new-message e-mails: %w", err)
	}
	return out, nil
}

// queueNewMessageEmail queues candidate c's e-mail if their lease lets them
// take part in the conversation, and if it is still due: checked again
// inside the write, under the lock of the tenant's membership row, so two
// sweeps (on two servers, say) never queue twice.
func (db *DB) queueNewMessageEmail(ctx context.Context, c newMessageCandidate, now time.Time, interval, grace time.Duration) (queued bool, err error) {
	err = db.Update(ctx, func(tx *Tx) error {
		queued = false
		var member int64
		err := tx.QueryRow(ctx, "SELECT tenant_id FROM conversation_tenants WHERE conversation_id = $1 AND tenant_id = $2 FOR NO KEY UPDATE",
			c.conv, c.tenant).Scan(&member)
		if err != nil {
			return fmt.Errorf("new-message e-mail: %w", err)
		}
		conv, err := loadConv(ctx, tx, c.org, c.conv)
		if err != nil {
			return err
		}
		if conv.Leases, err = orgTenantLeases(ctx, tx, c.org, c.tenant); err != nil {
			return err
		}
		today, _, err := orgToday(ctx, tx, c.org, tx.Now())
		if err != nil {
			return err
		}
		if !conv.TenantActive(c.tenant, today) {
			return nil
		}
		var email string
		var last *time.Time
		if err := tx.QueryRow(ctx, `SELECT t.email, (SELECT max(n.created_at) FROM notifications n WHERE n.conversation_id = $1
			AND n.tenant_id = t.id AND n.channel = 'email' AND n.state <> 'skipped') FROM tenants t WHERE t.id = $2`,
			c.conv, c.tenant).Scan(&email, &last); err != nil {
			return fmt.Errorf("new-message e-mail: %w", err)
		}
		lastEmail := c.lastEmail
		if last != nil {
			lastEmail = *last
		}
		if !backend.NewMessageEmailDue(c.firstUnread, lastEmail, now, interval, grace) {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (org_id, conversation_id, tenant_id, kind, channel, recipient, state, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.org, c.conv, c.tenant, backend.NotifyNewMessages, backend.ChannelEmail, email,
			backend.NotificationQueued, tx.Now(), tx.Now()); err != nil {
			return fmt.Errorf("queue new-message e-mail: %w", err)
		}
		queued = true
		tx.AfterCommit(db.wakeNotifier)
		return nil
	})
	return queued, err
}

// QueueSignInLinks queues a new portal link, asked for with the "new link"
// form, for each tenant with contact on file whose lease lets them take
// part in one of their chats today (backend.SignInLinkConversation).
func (db *DB) QueueSignInLinks(ctx context.Context, contact string) (int, error) {
	channel, addr, ok := backend.SignInContact(contact)
	if !ok {
		return 0, nil
	}
	queued := 0
	err := db.Update(ctx, func(tx *Tx) error {
		queued = 0
		found, err := tenantsWithContact(ctx, tx, channel, addr)
		if err != nil {
			return err
		}
		for _, t := range found {
			convID, ok, err := signInLinkConversation(ctx, tx, t.org, t.id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (org_id, conversation_id, tenant_id, kind, channel, recipient, state, next_attempt_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, t.org, convID, t.id, backend.NotifySignInLink, channel, t.recipient,
				backend.NotificationQueued, tx.Now(), tx.Now()); err != nil {
				return fmt.Errorf("queue sign-in link: %w", err)
			}
			if queued++; queued == backend.MaxSignInLinks {
				break
			}
		}
		if queued > 0 {
			tx.AfterCommit(db.wakeNotifier)
		}
		return nil
	})
	return queued, err
}

// contactTenant is a tenant with an e-mail address or phone number asked
// for, and that address as it is on file.
type contactTenant struct {
	org, id   int64
	recipient string
}

// tenantsWithContact lists the tenants with this e-mail address (any case)
// or this phone number (backend.SamePhone), oldest first.
func tenantsWithContact(ctx context.Context, q queryer, channel, addr string) ([]contactTenant, error) {
	query, args := "SELECT org_id, id, email FROM tenants WHERE lower(email) = lower($1) ORDER BY id", []any{addr}
	if channel == backend.ChannelSMS {
		// Numbers are kept as landlords typed them, so they are compared
		// digit by digit here rather than by the database.
		query, args = "SELECT org_id, id, phone FROM tenants WHERE phone <> '' ORDER BY id", nil
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("tenants by contact: %w", err)
	}
	defer rows.Close()
	var out []contactTenant
	for rows.Next() {
		var t contactTenant
		if err := rows.Scan(&t.org, &t.id, &t.recipient); err != nil {
			return nil, fmt.Errorf("tenants by contact: %w", err)
		}
		if channel == backend.ChannelEmail || backend.SamePhone(backend.PhoneDigits(t.recipient), addr) {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// signInLinkConversation loads a tenant's chats with their leases and asks
// backend.SignInLinkConversation which one a new link is filed under.
func signInLinkConversation(ctx context.Context, tx *Tx, orgID, tenantID int64) (int64, bool, error) {
	rows, err := tx.Query(ctx, "SELECT conversation_id FROM conversation_tenants WHERE tenant_id = $1 ORDER BY conversation_id", tenantID)
	if err != nil {
		return 0, false, fmt.Errorf("sign-in link: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("sign-in link: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, false, err
	}
	leases, err := orgTenantLeases(ctx, tx, orgID, tenantID)
	if err != nil {
		return 0, false, err
	}
	today, _, err := orgToday(ctx, tx, orgID, tx.Now())
	if err != nil {
		return 0, false, err
	}
	chats := make([]backend.Chat, 0, len(ids))
	for _, id := range ids {
		c, err := loadConv(ctx, tx, orgID, id)
		if err != nil {
			return 0, false, err
		}
		c.Leases = leases
		chats = append(chats, c.Chat)
	}
	id, ok := backend.SignInLinkConversation(chats, tenantID, today)
	return id, ok, nil
}
