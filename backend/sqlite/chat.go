package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"doorstep/backend"
)

// SetEventSink registers f to receive every event once it is durable (the
// websocket hub). f runs on the writer goroutine: it must not block.
func (db *DB) SetEventSink(f func([]backend.Delivery)) {
	db.sinkMu.Lock()
	defer db.sinkMu.Unlock()
	db.sink = f
}

func (db *DB) publish(p []backend.Delivery) {
	db.sinkMu.RLock()
	f := db.sink
	db.sinkMu.RUnlock()
	if f != nil && len(p) > 0 {
		f(p)
	}
}

// queryer is what both the read pool and a write transaction offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var locations sync.Map // time zone name → *time.Location

func location(tz string) *time.Location {
	if l, ok := locations.Load(tz); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		l = time.UTC
	}
	locations.Store(tz, l)
	return l
}

// orgToday is today's date in the organisation's time zone, and that zone.
func orgToday(ctx context.Context, q queryer, orgID int64, now time.Time) (string, *time.Location, error) {
	var tz string
	if err := q.QueryRowContext(ctx, "SELECT time_zone FROM orgs WHERE id = ?", orgID).Scan(&tz); err != nil {
		return "", nil, fmt.Errorf("org time zone: %w", err)
	}
	loc := location(tz)
	return backend.Today(now, loc), loc, nil
}

// activeLeaseSQL is true for a lease row `l` that is Active on the date bound to ?today.
const activeLeaseSQL = "(l.start_date <= :today AND (l.end_date IS NULL OR l.end_date >= :today))"

func requireLandlord(p backend.Principal) error { return p.CanChatAsLandlord() }

// ---------------------------------------------------------------- directory

// leasesWhere loads leases (with unit, property and co-tenants) matching a
// condition on l/u/p, newest first.
func leasesWhere(ctx context.Context, q queryer, today, cond string, args ...any) ([]backend.Lease, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT l.id, u.id, u.name, p.id, p.name, p.address, l.start_date, coalesce(l.end_date, ''), l.rent_cents, l.deposit_cents,
		       (SELECT json_group_array(json_object('id', t.id, 'name', t.name))
		          FROM lease_tenants lt2 JOIN tenants t ON t.id = lt2.tenant_id WHERE lt2.lease_id = l.id)
		FROM leases l JOIN units u ON u.id = l.unit_id JOIN properties p ON p.id = u.property_id
		WHERE `+cond+` ORDER BY l.start_date DESC, l.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	defer rows.Close()
	var out []backend.Lease
	for rows.Next() {
		var l backend.Lease
		var tenants string
		if err := rows.Scan(&l.ID, &l.UnitID, &l.UnitName, &l.PropertyID, &l.PropertyName, &l.Address,
			&l.Start, &l.End, &l.RentCents, &l.DepositCents, &tenants); err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		if err := json.Unmarshal([]byte(tenants), &l.Tenants); err != nil {
			return nil, fmt.Errorf("lease tenants: %w", err)
		}
		l.Status = backend.StatusOn(l.Start, l.End, today)
		out = append(out, l)
	}
	return out, rows.Err()
}

// notActiveReason explains why a tenant with these leases cannot chat.
func notActiveReason(name string, leases []backend.Lease) string {
	for _, l := range leases {
		if l.Status == backend.LeaseFuture {
			return fmt.Sprintf("%s's lease starts on %s; chat opens when it is active.", name, l.Start)
		}
	}
	for _, l := range leases {
		if l.Status == backend.LeaseExpired {
			return fmt.Sprintf("%s's lease ended on %s.", name, l.End)
		}
	}
	return fmt.Sprintf("%s has no lease.", name)
}

func hasActive(leases []backend.Lease) bool {
	for _, l := range leases {
		if l.Status == backend.LeaseActive {
			return true
		}
	}
	return false
}

// Directory lists the tenants and units of the landlord's organisation that
// match query (by tenant, unit or property name, e-mail or phone; empty
// matches all), each with whether a chat can be started and why not.
func (db *DB) Directory(ctx context.Context, p backend.Principal, query string) (backend.Directory, error) {
	if err := requireLandlord(p); err != nil {
		return backend.Directory{}, err
	}
	today, _, err := orgToday(ctx, db.db, p.OrgID, db.now())
	if err != nil {
		return backend.Directory{}, err
	}
	like := "%" + escapeLike(strings.TrimSpace(query)) + "%"
	dir := backend.Directory{Tenants: []backend.DirectoryTenant{}, Units: []backend.DirectoryUnit{}}

	rows, err := db.db.QueryContext(ctx, `
		SELECT t.id, t.name, t.email, t.phone FROM tenants t
		WHERE t.org_id = :org AND (t.name LIKE :q ESCAPE '\' OR t.email LIKE :q ESCAPE '\' OR t.phone LIKE :q ESCAPE '\'
		   OR EXISTS (SELECT 1 FROM lease_tenants lt JOIN leases l ON l.id = lt.lease_id JOIN units u ON u.id = l.unit_id
		              JOIN properties p ON p.id = u.property_id
		              WHERE lt.tenant_id = t.id AND (u.name LIKE :q ESCAPE '\' OR p.name LIKE :q ESCAPE '\' OR p.address LIKE :q ESCAPE '\')))
		ORDER BY t.name COLLATE NOCASE, t.id`, sql.Named("org", p.OrgID), sql.Named("q", like))
	if err != nil {
		return dir, fmt.Errorf("directory: %w", err)
	}
	for rows.Next() {
		var t backend.DirectoryTenant
		if err := rows.Scan(&t.ID, &t.Name, &t.Email, &t.Phone); err != nil {
			rows.Close()
			return dir, fmt.Errorf("directory: %w", err)
		}
		dir.Tenants = append(dir.Tenants, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dir, fmt.Errorf("directory: %w", err)
	}
	for i := range dir.Tenants {
		t := &dir.Tenants[i]
		if t.Leases, err = leasesWhere(ctx, db.db, today,
			"l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = ?)", t.ID); err != nil {
			return dir, err
		}
		if t.CanChat = hasActive(t.Leases); !t.CanChat {
			t.Reason = notActiveReason(t.Name, t.Leases)
		}
	}

	rows, err = db.db.QueryContext(ctx, `
		SELECT u.id, u.name, p.id, p.name, p.address,
		       (SELECT json_group_array(json_object('id', t.id, 'name', t.name)) FROM (
		          SELECT DISTINCT t.id, t.name FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id JOIN tenants t ON t.id = lt.tenant_id
		          WHERE l.unit_id = u.id AND `+activeLeaseSQL+` ORDER BY t.name) t)
		FROM units u JOIN properties p ON p.id = u.property_id
		WHERE p.org_id = :org AND (u.name LIKE :q ESCAPE '\' OR p.name LIKE :q ESCAPE '\' OR p.address LIKE :q ESCAPE '\'
		   OR (p.name || ' ' || u.name) LIKE :q ESCAPE '\')
		ORDER BY p.name COLLATE NOCASE, u.name COLLATE NOCASE, u.id`,
		sql.Named("org", p.OrgID), sql.Named("q", like), sql.Named("today", today))
	if err != nil {
		return dir, fmt.Errorf("directory units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u backend.DirectoryUnit
		var tenants string
		if err := rows.Scan(&u.ID, &u.Name, &u.PropertyID, &u.PropertyName, &u.Address, &tenants); err != nil {
			return dir, fmt.Errorf("directory units: %w", err)
		}
		if err := json.Unmarshal([]byte(tenants), &u.ActiveTenants); err != nil {
			return dir, fmt.Errorf("directory units: %w", err)
		}
		if u.CanChat = len(u.ActiveTenants) > 0; !u.CanChat {
			u.Reason = fmt.Sprintf("No tenant of %s %s is on an active lease.", u.PropertyName, u.Name)
		}
		dir.Units = append(dir.Units, u)
	}
	return dir, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// TenantRecord returns everything the landlord knows about one tenant.
func (db *DB) TenantRecord(ctx context.Context, p backend.Principal, tenantID int64) (backend.TenantRecord, error) {
	if err := requireLandlord(p); err != nil {
		return backend.TenantRecord{}, err
	}
	var r backend.TenantRecord
	err := db.db.QueryRowContext(ctx, "SELECT id, name, email, phone FROM tenants WHERE id = ? AND org_id = ?",
		tenantID, p.OrgID).Scan(&r.ID, &r.Name, &r.Email, &r.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoTenant
	}
	if err != nil {
		return r, fmt.Errorf("tenant record: %w", err)
	}
	today, _, err := orgToday(ctx, db.db, p.OrgID, db.now())
	if err != nil {
		return r, err
	}
	if r.Leases, err = leasesWhere(ctx, db.db, today, "l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = ?)", tenantID); err != nil {
		return r, err
	}
	for _, l := range r.Leases {
		if r.MoveIn == "" || l.Start < r.MoveIn {
			r.MoveIn = l.Start
		}
	}
	if r.Leases == nil {
		r.Leases = []backend.Lease{}
	}
	return r, nil
}

var (
	errNoTenant       = backend.Errorf(backend.ENOTFOUND, "There is no such tenant.")
	errNoUnit         = backend.Errorf(backend.ENOTFOUND, "There is no such unit.")
	errNoConversation = backend.Errorf(backend.ENOTFOUND, "There is no such conversation.")
)
