package postgres_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend/postgres"
	"doorstep/backend/storetest"
	"doorstep/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// MustOpenDB opens a store on a fresh database of the throwaway cluster,
// with a signing key, closed when the test ends.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	return mustOpenAt(tb, pgtest.NewDatabase(tb))
}

// mustOpenAt opens a store on the database at dsn, with a signing key,
// closed when the test ends.
func mustOpenAt(tb testing.TB, dsn string) *postgres.DB {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := postgres.Open(context.Background(), dsn, postgres.WithBcryptCost(bcrypt.MinCost), postgres.WithSigningKey(key))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestContract runs the store contract suite against the PostgreSQL store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return contractStore{MustOpenDB(t)} })
}

// contractStore is the PostgreSQL store with the suite's setup: a
// directory written with plain SQL (the store itself only imports one).
type contractStore struct{ *postgres.DB }

func (s contractStore) AddLease(ctx context.Context, orgID int64, l storetest.Lease) (unitID int64, tenantIDs []int64, err error) {
	err = s.Update(ctx, func(tx *postgres.Tx) error {
		tenantIDs = nil
		propID, err := findOrInsert(ctx, tx, "SELECT id FROM properties WHERE org_id = $1 AND name = $2", []any{orgID, l.Property},
			"INSERT INTO properties (org_id, name, address) VALUES ($1, $2, $3) RETURNING id", []any{orgID, l.Property, l.Address})
		if err != nil {
			return err
		}
		if unitID, err = findOrInsert(ctx, tx, "SELECT id FROM units WHERE property_id = $1 AND name = $2", []any{propID, l.Unit},
			"INSERT INTO units (property_id, name) VALUES ($1, $2) RETURNING id", []any{propID, l.Unit}); err != nil {
			return err
		}
		var end any
		if l.End != "" {
			end = l.End
		}
		var leaseID int64
		if err := tx.QueryRow(ctx, "INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents) VALUES ($1, $2::date, $3::date, 125000, 125000) RETURNING id",
			unitID, l.Start, end).Scan(&leaseID); err != nil {
			return err
		}
		for _, te := range l.Tenants {
			id, err := findOrInsert(ctx, tx, "SELECT id FROM tenants WHERE org_id = $1 AND name = $2 AND email = $3", []any{orgID, te.Name, te.Email},
				"INSERT INTO tenants (org_id, name, email, phone, created_at) VALUES ($1, $2, $3, $4, '2026-01-01T00:00:00Z') RETURNING id",
				[]any{orgID, te.Name, te.Email, te.Phone})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO lease_tenants (lease_id, tenant_id) VALUES ($1, $2)", leaseID, id); err != nil {
				return err
			}
			tenantIDs = append(tenantIDs, id)
		}
		return nil
	})
	return unitID, tenantIDs, err
}

func findOrInsert(ctx context.Context, tx *postgres.Tx, find string, findArgs []any, insert string, insertArgs []any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, find, findArgs...).Scan(&id)
	if postgres.IsNoRows(err) {
		err = tx.QueryRow(ctx, insert, insertArgs...).Scan(&id)
	}
	return id, err
}
