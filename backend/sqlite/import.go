package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"doorstep/backend"
)

// ImportDirectory adds properties, units, tenants and leases to an
// organisation. It trims the rows' fields in place and checks them all first
// (backend.CheckDirectoryRows), then writes them in one transaction: a file
// with any bad row imports nothing, and the error lists every bad row.
// Existing properties (by name), units (by name within the property), tenants
// (by e-mail, or by name and phone without one) and identical leases are
// reused, so importing the same file twice adds nothing.
func (db *DB) ImportDirectory(ctx context.Context, orgID int64, rows []backend.DirectoryRow) (backend.ImportResult, error) {
	for i := range rows {
		rows[i].TrimSpace()
	}
	if err := backend.CheckDirectoryRows(rows); err != nil {
		return backend.ImportResult{}, err
	}
	im := &directoryImport{org: orgID}
	err := db.Update(ctx, func(tx *Tx) error { return im.run(ctx, tx, rows) })
	return im.res, err
}

// directoryImport is one import under way in a write transaction.
type directoryImport struct {
	tx         *Tx
	org        int64
	leaseByRef map[string]int64 // the lease made or found for each lease_ref so far
	res        backend.ImportResult
}

// run writes rows into the organisation in tx.
func (im *directoryImport) run(ctx context.Context, tx *Tx, rows []backend.DirectoryRow) error {
	im.tx, im.leaseByRef, im.res = tx, map[string]int64{}, backend.ImportResult{}
	if err := im.requireOrg(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		if err := im.add(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// requireOrg refuses an organisation that does not exist.
func (im *directoryImport) requireOrg(ctx context.Context) error {
	var exists bool
	if err := im.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?)", im.org).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return backend.Errorf(backend.ENOTFOUND, "There is no organisation %d.", im.org)
	}
	return nil
}

// add finds or creates the row's property, unit, tenant and lease, and puts
// the tenant on the lease.
func (im *directoryImport) add(ctx context.Context, r backend.DirectoryRow) error {
	propID, err := im.property(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: property: %w", r.Line, err)
	}
	unitID, err := im.unit(ctx, propID, r)
	if err != nil {
		return fmt.Errorf("%s: unit: %w", r.Line, err)
	}
	tenantID, err := im.tenant(ctx, r)
	if err != nil {
		return fmt.Errorf("%s: tenant: %w", r.Line, err)
	}
	leaseID, err := im.lease(ctx, unitID, tenantID, r)
	if err != nil {
		return fmt.Errorf("%s: lease: %w", r.Line, err)
	}
	if _, err := im.tx.ExecContext(ctx, "INSERT OR IGNORE INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", leaseID, tenantID); err != nil {
		return fmt.Errorf("%s: lease tenant: %w", r.Line, err)
	}
	return nil
}

// property finds the organisation's property by name (any case) or creates it.
func (im *directoryImport) property(ctx context.Context, r backend.DirectoryRow) (int64, error) {
	id, created, err := findOrCreate(ctx, im.tx,
		"SELECT id FROM properties WHERE org_id = ? AND name = ? COLLATE NOCASE", []any{im.org, r.Property},
		"INSERT INTO properties (org_id, name, address) VALUES (?, ?, ?) RETURNING id", []any{im.org, r.Property, r.Address})
	im.res.Properties += created
	return id, err
}

// unit finds the property's unit by name (any case) or creates it.
func (im *directoryImport) unit(ctx context.Context, propID int64, r backend.DirectoryRow) (int64, error) {
	id, created, err := findOrCreate(ctx, im.tx,
		"SELECT id FROM units WHERE property_id = ? AND name = ? COLLATE NOCASE", []any{propID, r.Unit},
		"INSERT INTO units (property_id, name) VALUES (?, ?) RETURNING id", []any{propID, r.Unit})
	im.res.Units += created
	return id, err
}

// tenant finds the organisation's tenant by e-mail (any case), or, for a
// row without one, a tenant without e-mail by name and phone; or creates it.
// A row with a language sets it; one without leaves it as it was.
func (im *directoryImport) tenant(ctx context.Context, r backend.DirectoryRow) (int64, error) {
	find, findArgs := "SELECT id FROM tenants WHERE org_id = ? AND email = ? COLLATE NOCASE", []any{im.org, r.TenantEmail}
	if r.TenantEmail == "" {
		find, findArgs = "SELECT id FROM tenants WHERE org_id = ? AND email = '' AND name = ? AND phone = ?", []any{im.org, r.TenantName, r.TenantPhone}
	}
	id, created, err := findOrCreate(ctx, im.tx, find, findArgs,
		"INSERT INTO tenants (org_id, name, email, phone, language, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		[]any{im.org, r.TenantName, r.TenantEmail, r.TenantPhone, r.TenantLanguage, formatTime(im.tx.Now())})
	im.res.Tenants += created
	if err == nil && created == 0 && r.TenantLanguage != "" {
		_, err = im.tx.ExecContext(ctx, "UPDATE tenants SET language = ? WHERE id = ?", r.TenantLanguage, id)
	}
	return id, err
}

// lease returns the lease of the row: the one an earlier row with the same
// lease_ref got, else an identical lease of this tenant on the unit (a
// re-import), else a new one.
func (im *directoryImport) lease(ctx context.Context, unitID, tenantID int64, r backend.DirectoryRow) (int64, error) {
	if id, ok := im.leaseByRef[r.LeaseRef]; ok && r.LeaseRef != "" {
		return id, nil
	}
	var end any
	if r.LeaseEnd != "" {
		end = r.LeaseEnd
	}
	var id int64
	err := im.tx.QueryRowContext(ctx, `SELECT l.id FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id
		WHERE l.unit_id = ? AND l.start_date = ? AND l.end_date IS ? AND lt.tenant_id = ?`,
		unitID, r.LeaseStart, end, tenantID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if err := im.tx.QueryRowContext(ctx, `INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, unitID, r.LeaseStart, end, r.RentCents, r.DepositCents).Scan(&id); err != nil {
			return 0, err
		}
		im.res.Leases++
	} else if err != nil {
		return 0, err
	}
	if r.LeaseRef != "" {
		im.leaseByRef[r.LeaseRef] = id
	}
	return id, nil
}

// findOrCreate returns the id the find query gives, or inserts a row; created
// is 1 when it inserted.
func findOrCreate(ctx context.Context, tx *Tx, find string, findArgs []any, insert string, insertArgs []any) (id int64, created int, err error) {
	err = tx.QueryRowContext(ctx, find, findArgs...).Scan(&id)
	if err == nil {
		return id, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, insert, insertArgs...).Scan(&id); err != nil {
		return 0, 0, err
	}
	return id, 1, nil
}

// OrgOfMainUser returns the organisation whose main user has this e-mail.
func (db *DB) OrgOfMainUser(ctx context.Context, email string) (int64, error) {
	var org int64
	err := db.db.QueryRowContext(ctx, "SELECT org_id FROM users WHERE email = ? AND is_main = 1", strings.TrimSpace(email)).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, backend.ErrNoMainAccount(email)
	}
	return org, err
}

// HasOrgs reports whether the database holds any organisation yet.
func (db *DB) HasOrgs(ctx context.Context) (bool, error) {
	var ok bool
	err := db.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs)").Scan(&ok)
	return ok, err
}
