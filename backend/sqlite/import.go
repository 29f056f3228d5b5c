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

	var res backend.ImportResult
	err := db.Update(ctx, func(tx *Tx) error {
		res = backend.ImportResult{}
		var exists bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?)", orgID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return backend.Errorf(backend.ENOTFOUND, "There is no organisation %d.", orgID)
		}
		leaseByRef := map[string]int64{}
		for _, r := range rows {
			propID, created, err := findOrCreate(ctx, tx,
				"SELECT id FROM properties WHERE org_id = ? AND name = ? COLLATE NOCASE", []any{orgID, r.Property},
				"INSERT INTO properties (org_id, name, address) VALUES (?, ?, ?) RETURNING id", []any{orgID, r.Property, r.Address})
			if err != nil {
				return fmt.Errorf("%s: property: %w", r.Line, err)
			}
			res.Properties += created
			unitID, created, err := findOrCreate(ctx, tx,
				"SELECT id FROM units WHERE property_id = ? AND name = ? COLLATE NOCASE", []any{propID, r.Unit},
				"INSERT INTO units (property_id, name) VALUES (?, ?) RETURNING id", []any{propID, r.Unit})
			if err != nil {
				return fmt.Errorf("%s: unit: %w", r.Line, err)
			}
			res.Units += created
			find, findArgs := "SELECT id FROM tenants WHERE org_id = ? AND email = ? COLLATE NOCASE", []any{orgID, r.TenantEmail}
			if r.TenantEmail == "" {
				find, findArgs = "SELECT id FROM tenants WHERE org_id = ? AND email = '' AND name = ? AND phone = ?", []any{orgID, r.TenantName, r.TenantPhone}
			}
			tenantID, created, err := findOrCreate(ctx, tx, find, findArgs,
				"INSERT INTO tenants (org_id, name, email, phone, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
				[]any{orgID, r.TenantName, r.TenantEmail, r.TenantPhone, formatTime(tx.Now())})
			if err != nil {
				return fmt.Errorf("%s: tenant: %w", r.Line, err)
			}
			res.Tenants += created

			leaseID, ok := leaseByRef[r.LeaseRef]
			if !ok || r.LeaseRef == "" {
				var end any
				if r.LeaseEnd != "" {
					end = r.LeaseEnd
				}
				// An identical lease of this tenant (a re-import) is reused.
				err := tx.QueryRowContext(ctx, `SELECT l.id FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id
					WHERE l.unit_id = ? AND l.start_date = ? AND l.end_date IS ? AND lt.tenant_id = ?`,
					unitID, r.LeaseStart, end, tenantID).Scan(&leaseID)
				if errors.Is(err, sql.ErrNoRows) {
					if err := tx.QueryRowContext(ctx, `INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents)
						VALUES (?, ?, ?, ?, ?) RETURNING id`, unitID, r.LeaseStart, end, r.RentCents, r.DepositCents).Scan(&leaseID); err != nil {
						return fmt.Errorf("%s: lease: %w", r.Line, err)
					}
					res.Leases++
				} else if err != nil {
					return fmt.Errorf("%s: lease: %w", r.Line, err)
				}
				if r.LeaseRef != "" {
					leaseByRef[r.LeaseRef] = leaseID
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", leaseID, tenantID); err != nil {
				return fmt.Errorf("%s: lease tenant: %w", r.Line, err)
			}
		}
		return nil
	})
	return res, err
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
		return 0, backend.Errorf(backend.ENOTFOUND, "No landlord's main account has the e-mail %s.", email)
	}
	return org, err
}

// HasOrgs reports whether the database holds any organisation yet.
func (db *DB) HasOrgs(ctx context.Context) (bool, error) {
	var ok bool
	err := db.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs)").Scan(&ok)
	return ok, err
}
