package postgres

import (
	"context"
	"fmt"

	"doorstep/backend"
)

// ImportDirectory adds properties, units, tenants and leases to an
// organisation. It trims the rows' fields in place and checks them all first
// (backend.CheckDirectoryRows), then writes them in one transaction: a file
// with any bad row imports nothing, and the error lists every bad row.
// Existing properties (by name, any case), units (by name within the
// property), tenants (by e-mail, or by name and phone without one) and
// identical leases are reused, so importing the same file twice adds
// nothing. The organisation's row is locked meanwhile, so two imports into
// one organisation take turns rather than both creating what neither found.
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
	var locked int64
	err := tx.QueryRow(ctx, "SELECT id FROM orgs WHERE id = $1 FOR NO KEY UPDATE", im.org).Scan(&locked)
	if isNoRows(err) {
		return backend.ErrNoOrg(im.org)
	}
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := im.add(ctx, r); err != nil {
			return err
		}
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
	if _, err := im.tx.Exec(ctx, "INSERT INTO lease_tenants (lease_id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", leaseID, tenantID); err != nil {
		return fmt.Errorf("%s: lease tenant: %w", r.Line, err)
	}
	return nil
}

// property finds the organisation's property by name (any case) or creates it.
func (im *directoryImport) property(ctx context.Context, r backend.DirectoryRow) (int64, error) {
	id, created, err := findOrCreate(ctx, im.tx,
		"SELECT id FROM properties WHERE org_id = $1 AND lower(name) = lower($2) ORDER BY id LIMIT 1", []any{im.org, r.Property},
		"INSERT INTO properties (org_id, name, address) VALUES ($1, $2, $3) RETURNING id", []any{im.org, r.Property, r.Address})
	im.res.Properties += created
	return id, err
}

// unit finds the property's unit by name (any case) or creates it.
func (im *directoryImport) unit(ctx context.Context, propID int64, r backend.DirectoryRow) (int64, error) {
	id, created, err := findOrCreate(ctx, im.tx,
		"SELECT id FROM units WHERE property_id = $1 AND lower(name) = lower($2) ORDER BY id LIMIT 1", []any{propID, r.Unit},
		"INSERT INTO units (property_id, name) VALUES ($1, $2) RETURNING id", []any{propID, r.Unit})
	im.res.Units += created
	return id, err
}

// tenant finds the organisation's tenant by e-mail (any case), or, for a
// row without one, a tenant without e-mail by name and phone; or creates it.
// A row with a language sets it; one without leaves it as it was.
func (im *directoryImport) tenant(ctx context.Context, r backend.DirectoryRow) (int64, error) {
	find, findArgs := "SELECT id FROM tenants WHERE org_id = $1 AND lower(email) = lower($2) ORDER BY id LIMIT 1", []any{im.org, r.TenantEmail}
	if r.TenantEmail == "" {
		find, findArgs = "SELECT id FROM tenants WHERE org_id = $1 AND email = '' AND name = $2 AND phone = $3 ORDER BY id LIMIT 1",
			[]any{im.org, r.TenantName, r.TenantPhone}
	}
	id, created, err := findOrCreate(ctx, im.tx, find, findArgs,
		"INSERT INTO tenants (org_id, name, email, phone, language, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
		[]any{im.org, r.TenantName, r.TenantEmail, r.TenantPhone, r.TenantLanguage, im.tx.Now()})
	im.res.Tenants += created
	if err == nil && created == 0 && r.TenantLanguage != "" {
		_, err = im.tx.Exec(ctx, "UPDATE tenants SET language = $1 WHERE id = $2", r.TenantLanguage, id)
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
	err := im.tx.QueryRow(ctx, `SELECT l.id FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id
		WHERE l.unit_id = $1 AND l.start_date = $2::date AND l.end_date IS NOT DISTINCT FROM $3::date AND lt.tenant_id = $4
		ORDER BY l.id LIMIT 1`, unitID, r.LeaseStart, end, tenantID).Scan(&id)
	if isNoRows(err) {
		if err := im.tx.QueryRow(ctx, `INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents)
			VALUES ($1, $2::date, $3::date, $4, $5) RETURNING id`, unitID, r.LeaseStart, end, r.RentCents, r.DepositCents).Scan(&id); err != nil {
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
	err = tx.QueryRow(ctx, find, findArgs...).Scan(&id)
	if err == nil {
		return id, 0, nil
	}
	if !isNoRows(err) {
		return 0, 0, err
	}
	if err := tx.QueryRow(ctx, insert, insertArgs...).Scan(&id); err != nil {
		return 0, 0, err
	}
	return id, 1, nil
}

// HasOrgs reports whether the database holds any organisation yet.
func (db *DB) HasOrgs(ctx context.Context) (bool, error) {
	var ok bool
	err := db.r.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM orgs)").Scan(&ok)
	return ok, err
}
