package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"doorstep/backend"
)

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
	if err := q.QueryRow(ctx, "SELECT time_zone FROM orgs WHERE id = $1", orgID).Scan(&tz); err != nil {
		return "", nil, fmt.Errorf("org time zone: %w", err)
	}
	loc := location(tz)
	return backend.Today(now, loc), loc, nil
}

// ---------------------------------------------------------------- directory

// leaseColumns read a lease joined as l, u (unit) and p (property), with
// everyone on it as JSON.
const leaseColumns = `l.id, u.id, u.name, p.id, p.name, p.address, to_char(l.start_date, 'YYYY-MM-DD'),
	coalesce(to_char(l.end_date, 'YYYY-MM-DD'), ''), l.rent_cents, l.deposit_cents,
	(SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name) ORDER BY t.id), '[]')
	   FROM lease_tenants lt2 JOIN tenants t ON t.id = lt2.tenant_id WHERE lt2.lease_id = l.id)`

// leasesWhere loads leases (with unit, property and co-tenants) matching a
// condition on l/u/p, newest first. Their Status is not set: the domain
// decides it (backend.LeasesOn) for the date it asks about.
func leasesWhere(ctx context.Context, q queryer, cond string, args ...any) ([]backend.Lease, error) {
	rows, err := q.Query(ctx, `SELECT `+leaseColumns+`
		FROM leases l JOIN units u ON u.id = l.unit_id JOIN properties p ON p.id = u.property_id
		WHERE `+cond+` ORDER BY l.start_date DESC, l.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	defer rows.Close()
	var out []backend.Lease
	for rows.Next() {
		var l backend.Lease
		var tenants []byte
		if err := rows.Scan(&l.ID, &l.UnitID, &l.UnitName, &l.PropertyID, &l.PropertyName, &l.Address,
			&l.Start, &l.End, &l.RentCents, &l.DepositCents, &tenants); err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		if err := json.Unmarshal(tenants, &l.Tenants); err != nil {
			return nil, fmt.Errorf("lease tenants: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	return out, nil
}

// tenantLeases loads the leases a tenant is on, newest first.
func tenantLeases(ctx context.Context, q queryer, tenantID int64) ([]backend.Lease, error) {
	return leasesWhere(ctx, q, "l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = $1)", tenantID)
}

// orgTenantLeases loads the leases a tenant is on in orgID, newest first.
func orgTenantLeases(ctx context.Context, q queryer, orgID, tenantID int64) ([]backend.Lease, error) {
	return leasesWhere(ctx, q, "p.org_id = $1 AND l.id IN (SELECT lease_id FROM lease_tenants WHERE tenant_id = $2)", orgID, tenantID)
}

// Directory lists the tenants and units of the landlord's organisation that
// match query (by tenant, unit or property name, e-mail or phone; empty
// matches all), each with whether a chat can be started and why not.
func (db *DB) Directory(ctx context.Context, p backend.Principal, query string) (backend.Directory, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.Directory{}, err
	}
	today, _, err := orgToday(ctx, db.r, p.OrgID, db.now())
	if err != nil {
		return backend.Directory{}, err
	}
	like := "%" + escapeLike(strings.TrimSpace(query)) + "%"
	dir := backend.Directory{}
	if dir.Tenants, err = directoryTenants(ctx, db.r, p.OrgID, like); err != nil {
		return dir, err
	}
	if dir.Units, err = directoryUnits(ctx, db.r, p.OrgID, like); err != nil {
		return dir, err
	}
	leases, err := leasesWhere(ctx, db.r, "p.org_id = $1", p.OrgID)
	if err != nil {
		return dir, err
	}
	backend.LeasesOn(leases, today)
	for i := range dir.Tenants {
		t := &dir.Tenants[i]
		t.Leases = leasesOf(leases, func(l backend.Lease) bool { return l.Has(t.ID) })
		t.CanChat, t.Reason = backend.TenantAvailability(t.Name, t.Leases, today)
	}
	for i := range dir.Units {
		u := &dir.Units[i]
		u.ActiveTenants = backend.ActiveTenants(leasesOf(leases, func(l backend.Lease) bool { return l.UnitID == u.ID }), today)
		u.CanChat, u.Reason = backend.UnitAvailability(u.PropertyName, u.Name, u.ActiveTenants)
	}
	return dir, nil
}

// leasesOf returns the leases keep keeps, in their order (nil for none).
func leasesOf(leases []backend.Lease, keep func(backend.Lease) bool) []backend.Lease {
	var out []backend.Lease
	for _, l := range leases {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

// directoryTenants lists orgID's tenants whose name, e-mail, phone or a
// lease's unit, property or address is like like (ignoring case), by name.
func directoryTenants(ctx context.Context, q queryer, orgID int64, like string) ([]backend.DirectoryTenant, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id, t.name, t.email, t.phone, t.language FROM tenants t
		WHERE t.org_id = $1 AND (t.name ILIKE $2 OR t.email ILIKE $2 OR t.phone ILIKE $2
		   OR EXISTS (SELECT 1 FROM lease_tenants lt JOIN leases l ON l.id = lt.lease_id JOIN units u ON u.id = l.unit_id
		              JOIN properties p ON p.id = u.property_id
		              WHERE lt.tenant_id = t.id AND (u.name ILIKE $2 OR p.name ILIKE $2 OR p.address ILIKE $2)))
		ORDER BY lower(t.name), t.id`, orgID, like)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer rows.Close()
	out := []backend.DirectoryTenant{}
	for rows.Next() {
		var t backend.DirectoryTenant
		if err := rows.Scan(&t.ID, &t.Name, &t.Email, &t.Phone, &t.Language); err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return out, nil
}

// directoryUnits lists orgID's units whose name, property, address or
// "Property Unit" is like like (ignoring case), by property and unit.
func directoryUnits(ctx context.Context, q queryer, orgID int64, like string) ([]backend.DirectoryUnit, error) {
	rows, err := q.Query(ctx, `
		SELECT u.id, u.name, p.id, p.name, p.address
		FROM units u JOIN properties p ON p.id = u.property_id
		WHERE p.org_id = $1 AND (u.name ILIKE $2 OR p.name ILIKE $2 OR p.address ILIKE $2
		   OR (p.name || ' ' || u.name) ILIKE $2)
		ORDER BY lower(p.name), lower(u.name), u.id`, orgID, like)
	if err != nil {
		return nil, fmt.Errorf("directory units: %w", err)
	}
	defer rows.Close()
	out := []backend.DirectoryUnit{}
	for rows.Next() {
		var u backend.DirectoryUnit
		if err := rows.Scan(&u.ID, &u.Name, &u.PropertyID, &u.PropertyName, &u.Address); err != nil {
			return nil, fmt.Errorf("directory units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("directory units: %w", err)
	}
	return out, nil
}

// escapeLike makes s match itself in a LIKE pattern (backslash is
// PostgreSQL's default LIKE escape).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// TenantRecord returns everything the landlord knows about one tenant.
func (db *DB) TenantRecord(ctx context.Context, p backend.Principal, tenantID int64) (backend.TenantRecord, error) {
	if err := p.CanChatAsLandlord(); err != nil {
		return backend.TenantRecord{}, err
	}
	var r backend.TenantRecord
	err := db.r.QueryRow(ctx, "SELECT id, name, email, phone, language FROM tenants WHERE id = $1 AND org_id = $2",
		tenantID, p.OrgID).Scan(&r.ID, &r.Name, &r.Email, &r.Phone, &r.Language)
	if isNoRows(err) {
		return r, backend.ErrNoTenant
	}
	if err != nil {
		return r, fmt.Errorf("tenant record: %w", err)
	}
	today, _, err := orgToday(ctx, db.r, p.OrgID, db.now())
	if err != nil {
		return r, err
	}
	if r.Leases, err = tenantLeases(ctx, db.r, tenantID); err != nil {
		return r, err
	}
	backend.LeasesOn(r.Leases, today)
	r.MoveIn = backend.MoveIn(r.Leases)
	if r.Leases == nil {
		r.Leases = []backend.Lease{}
	}
	return r, nil
}
