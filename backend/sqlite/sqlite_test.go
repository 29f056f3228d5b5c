package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"path/filepath"
	"regexp"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend/sqlite"
)

// MustOpenDB opens a fresh database in a temporary directory, with a
// signing key of its own, and closes it when the test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost), sqlite.WithSigningKey(key))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// rawQuery reads one value from the database file with a separate connection,
// to check what is really on disk.
func rawQuery(t *testing.T, path, query string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v string
	if err := raw.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("CreatesDurableWALDatabase", func(t *testing.T) {
		db := MustOpenDB(t)
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rawQuery(t, db.Path(), "PRAGMA journal_mode"); got != "wal" {
			t.Errorf("journal_mode = %q, want wal", got)
		}
		if got := rawQuery(t, db.Path(), "SELECT count(*) FROM schema_migrations"); got == "0" {
			t.Error("no migration recorded")
		}
	})

	t.Run("ServerIDIsStableAcrossReopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "doorstep.db")
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		first, err := db.ServerID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(first) {
			t.Fatalf("server id %q is not 32 hex digits", first)
		}
		db, err = sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		second, _ := db.ServerID(ctx)
		if first != second {
			t.Errorf("server id changed on reopen: %q then %q", first, second)
		}
		other := MustOpenDB(t)
		if id, _ := other.ServerID(ctx); id == first {
			t.Error("two databases got the same server id")
		}
		renewed, err := db.RenewServerID(ctx)
		if err != nil || renewed == first || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(renewed) {
			t.Fatalf("RenewServerID = %q, %v (was %q)", renewed, err, first)
		}
		if now, _ := db.ServerID(ctx); now != renewed {
			t.Errorf("after RenewServerID the server id is %q, want %q", now, renewed)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		db := MustOpenDB(t)
		path := db.Path()
		db.Close()
		raw, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')"); err != nil {
			t.Fatal(err)
		}
		raw.Close()

		_, err = sqlite.Open(ctx, path)
		if !errors.Is(err, sqlite.ErrNewerSchema) {
			t.Fatalf("Open of a newer database: err = %v, want ErrNewerSchema", err)
		}
		if got := rawQuery(t, path, "SELECT max(version) FROM schema_migrations"); got != "9999" {
			t.Errorf("refused open changed the schema record to %s", got)
		}
	})

	t.Run("ErrEmptyPath", func(t *testing.T) {
		if _, err := sqlite.Open(ctx, ""); err == nil {
			t.Fatal("Open(\"\") succeeded")
		}
	})

	t.Run("ErrUnwritableDirectory", func(t *testing.T) {
		_, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "missing", "dir", "doorstep.db"))
		if err == nil {
			t.Fatal("Open in a missing directory succeeded")
		}
	})
}
