package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"doorstep/backend/sqlite"
	"doorstep/backend/storetest"
)

// TestContract runs the store contract suite against the SQLite store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return contractStore{MustOpenDB(t)} })
}

// contractStore is the SQLite store with the suite's setup: a directory
// written with plain SQL (the store itself only imports one).
type contractStore struct{ *sqlite.DB }

func (s contractStore) AddLease(ctx context.Context, orgID int64, l storetest.Lease) (unitID int64, tenantIDs []int64, err error) {
	err = s.Update(ctx, func(tx *sqlite.Tx) error {
		tenantIDs = nil
		propID, err := findOrInsert(ctx, tx, "SELECT id FROM properties WHERE org_id = ? AND name = ?", []any{orgID, l.Property},
			"INSERT INTO properties (org_id, name, address) VALUES (?, ?, ?) RETURNING id", []any{orgID, l.Property, l.Address})
		if err != nil {
			return err
		}
		if unitID, err = findOrInsert(ctx, tx, "SELECT id FROM units WHERE property_id = ? AND name = ?", []any{propID, l.Unit},
			"INSERT INTO units (property_id, name) VALUES (?, ?) RETURNING id", []any{propID, l.Unit}); err != nil {
			return err
		}
		var end any
		if l.End != "" {
			end = l.End
		}
		var leaseID int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents) VALUES (?, ?, ?, 125000, 125000) RETURNING id",
			unitID, l.Start, end).Scan(&leaseID); err != nil {
			return err
		}
		for _, te := range l.Tenants {
			id, err := findOrInsert(ctx, tx, "SELECT id FROM tenants WHERE org_id = ? AND name = ? AND email = ?", []any{orgID, te.Name, te.Email},
				"INSERT INTO tenants (org_id, name, email, phone, created_at) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z') RETURNING id",
				[]any{orgID, te.Name, te.Email, te.Phone})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", leaseID, id); err != nil {
				return err
			}
			tenantIDs = append(tenantIDs, id)
		}
		return nil
	})
	return unitID, tenantIDs, err
}

func findOrInsert(ctx context.Context, tx *sqlite.Tx, find string, findArgs []any, insert string, insertArgs []any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, find, findArgs...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, insert, insertArgs...).Scan(&id)
	}
	return id, err
}
