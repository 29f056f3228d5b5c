package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"doorstep/backend"
	"doorstep/backend/postgres"
)

func row(line int, prop, unit, name, email, start, end, ref string) backend.DirectoryRow {
	return backend.DirectoryRow{Line: fmt.Sprint("line ", line), Property: prop, Address: "1 Main St", Unit: unit,
		TenantName: name, TenantEmail: email, LeaseStart: start, LeaseEnd: end, LeaseRef: ref, RentCents: 100000}
}

// counts reads how many rows each directory table holds.
func counts(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var out string
	err := db.Update(context.Background(), func(tx *postgres.Tx) error {
		out = ""
		for _, table := range []string{"properties", "units", "tenants", "leases", "lease_tenants"} {
			var n int
			if err := tx.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				return err
			}
			out += fmt.Sprintf("%s=%d ", table, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportDirectory(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	org, err := db.CreateOrg(ctx, "Org", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	rows := []backend.DirectoryRow{
		row(2, "Elm", "1A", "Alice", "alice@example.com", "2025-01-01", "2026-12-31", "L1"),
		row(3, "Elm", "1A", "Bob", "bob@example.com", "2025-01-01", "2026-12-31", "L1"),
		row(4, "Elm", "2B", "Carol", "", "2024-05-01", "", ""),
		row(5, "Oak", "A", "Alice", "ALICE@example.com", "2023-01-01", "2023-12-31", ""),
	}

	t.Run("Creates", func(t *testing.T) {
		res, err := db.ImportDirectory(ctx, org, append([]backend.DirectoryRow(nil), rows...))
		if err != nil {
			t.Fatal(err)
		}
		if res != (backend.ImportResult{Properties: 2, Units: 3, Tenants: 3, Leases: 3}) {
			t.Errorf("result = %+v", res)
		}
		if got := counts(t, db); got != "properties=2 units=3 tenants=3 leases=3 lease_tenants=4 " {
			t.Errorf("tables: %s (co-tenants share one lease; Alice is one tenant)", got)
		}
	})

	t.Run("ReimportAddsNothing", func(t *testing.T) {
		before := counts(t, db)
		res, err := db.ImportDirectory(ctx, org, append([]backend.DirectoryRow(nil), rows...))
		if err != nil {
			t.Fatal(err)
		}
		if res != (backend.ImportResult{}) || counts(t, db) != before {
			t.Errorf("re-import created %+v; tables %s → %s", res, before, counts(t, db))
		}
	})

	t.Run("ErrBadRowsImportNothing", func(t *testing.T) {
		before := counts(t, db)
		bad := []backend.DirectoryRow{
			row(2, "New", "9Z", "Dan", "dan@example.com", "2025-01-01", "", ""),
			row(3, "New", "9Z", "Erin", "erin@example.com", "2024-02-30", "", ""),
			row(4, "New", "", "Finn", "not-an-email", "2025-01-01", "", ""),
			row(5, "New", "9Y", "Gus", "", "2025-06-01", "2025-01-01", ""),
			row(6, "New", "9X", "Hal\x07", "", "2025-06-01", "", ""),
		}
		_, err := db.ImportDirectory(ctx, org, bad)
		var list backend.ImportErrors
		if !errors.As(err, &list) {
			t.Fatalf("err = %v, want ImportErrors", err)
		}
		want := []string{"line 3: lease_start", "line 4: unit is empty", "line 4: tenant_email", "line 5: lease_end", "line 6: tenant_name holds control"}
		if len(list) != len(want) {
			t.Fatalf("problems = %q, want %d", list, len(want))
		}
		for i, w := range want {
			if len(list[i]) < len(w) || list[i][:len(w)] != w {
				t.Errorf("problem %d = %q, want it to start %q", i, list[i], w)
			}
		}
		if after := counts(t, db); after != before {
			t.Errorf("a refused import changed the tables: %s → %s", before, after)
		}
	})

	t.Run("ErrConflictingLeaseRef", func(t *testing.T) {
		_, err := db.ImportDirectory(ctx, org, []backend.DirectoryRow{
			row(2, "Elm", "1A", "Ivy", "", "2025-01-01", "", "X"),
			row(3, "Elm", "2B", "Jon", "", "2025-01-01", "", "X"),
		})
		if err == nil {
			t.Error("one lease_ref for two units was accepted")
		}
	})

	t.Run("ErrNoSuchOrg", func(t *testing.T) {
		if _, err := db.ImportDirectory(ctx, 999, rows[:1]); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("import into a missing organisation: %v, want not_found", err)
		}
	})
}
