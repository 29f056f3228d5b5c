package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"doorstep/backend/migrate"
)

var t0 = time.Date(2026, 11, 24, 9, 30, 0, 0, time.FixedZone("CET", 3600))

func clock() time.Time { return t0 }

// openDB opens an empty SQLite database in a temporary directory.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.ToSlash(filepath.Join(t.TempDir(), "m.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// files makes a directory of migrations from name → SQL.
func files(sqls map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range sqls {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

// recorded lists the schema_migrations rows as "version name applied_at".
func recorded(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v, name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, v+" "+name+" "+at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first := map[string]string{
		"0001_people.sql": "CREATE TABLE people (id INTEGER PRIMARY KEY);",
		"README.md":       "not a migration",
	}
	both := map[string]string{
		"0001_people.sql": first["0001_people.sql"],
		"0002_pets.sql":   "CREATE TABLE pets (id INTEGER PRIMARY KEY); INSERT INTO pets (id) VALUES (1);",
	}

	t.Run("AppliesInOrderAndRecords", func(t *testing.T) {
		db := openDB(t)
		if err := migrate.Run(ctx, db, files(both), "test", clock); err != nil {
			t.Fatal(err)
		}
		want := []string{"1 0001_people.sql 2026-11-24T08:30:00.000000000Z", "2 0002_pets.sql 2026-11-24T08:30:00.000000000Z"}
		if got := recorded(t, db); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("schema_migrations = %q, want %q", got, want)
		}
		if !tableExists(t, db, "people") || !tableExists(t, db, "pets") {
			t.Error("a migration did not run")
		}
	})

	t.Run("AppliesOnlyWhatIsNew", func(t *testing.T) {
		db := openDB(t)
		if err := migrate.Run(ctx, db, files(first), "test", clock); err != nil {
			t.Fatal(err)
		}
		// 0001 again would fail: the table exists.
		if err := migrate.Run(ctx, db, files(both), "test", clock); err != nil {
			t.Fatal(err)
		}
		if err := migrate.Run(ctx, db, files(both), "test", clock); err != nil {
			t.Fatal(err)
		}
		if got := recorded(t, db); len(got) != 2 {
			t.Errorf("schema_migrations = %q", got)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		db := openDB(t)
		if err := migrate.Run(ctx, db, files(both), "test", clock); err != nil {
			t.Fatal(err)
		}
		err := migrate.Run(ctx, db, files(first), "Doorstep 0.9", clock)
		if !errors.Is(err, migrate.ErrNewerSchema) {
			t.Fatalf("err = %v, want ErrNewerSchema", err)
		}
		if !strings.Contains(err.Error(), "schema 2 but Doorstep 0.9 knows only up to 1") {
			t.Errorf("err = %q does not say which schema and program", err)
		}
		if got := recorded(t, db); len(got) != 2 {
			t.Errorf("a refused database changed: %q", got)
		}
	})

	t.Run("LatestAndCurrent", func(t *testing.T) {
		db := openDB(t)
		if v, err := migrate.Current(ctx, db); err != nil || v != 0 {
			t.Errorf("Current of a new database = %d, %v; want 0", v, err)
		}
		if err := migrate.Run(ctx, db, files(first), "test", clock); err != nil {
			t.Fatal(err)
		}
		if v, err := migrate.Current(ctx, db); err != nil || v != 1 {
			t.Errorf("Current after the first migration = %d, %v; want 1", v, err)
		}
		if v, err := migrate.Latest(files(both)); err != nil || v != 2 {
			t.Errorf("Latest of two migrations = %d, %v; want 2", v, err)
		}
	})

	t.Run("ErrFailingMigrationLeavesNothingOfIt", func(t *testing.T) {
		db := openDB(t)
		broken := map[string]string{
			"0001_people.sql": first["0001_people.sql"],
			"0002_half.sql":   "CREATE TABLE half (id INTEGER); INSERT INTO missing VALUES (1);",
		}
		err := migrate.Run(ctx, db, files(broken), "test", clock)
		if err == nil || !strings.Contains(err.Error(), "migration 0002_half.sql") {
			t.Fatalf("err = %v, want it to name 0002_half.sql", err)
		}
		if tableExists(t, db, "half") {
			t.Error("the failed migration's first statement stayed")
		}
		if got := recorded(t, db); len(got) != 1 {
			t.Errorf("schema_migrations = %q, want 0001 only", got)
		}
	})

	for name, sqls := range map[string]map[string]string{
		"ErrNoNumber": {"people.sql": "SELECT 1;"},
		"ErrZero":     {"0000_people.sql": "SELECT 1;"},
		"ErrGap":      {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"},
		"ErrRepeat":   {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"},
	} {
		t.Run(name, func(t *testing.T) {
			db := openDB(t)
			if err := migrate.Run(ctx, db, files(sqls), "test", clock); err == nil {
				t.Fatalf("migrations %v were accepted", sqls)
			}
			if tableExists(t, db, "schema_migrations") {
				t.Error("bad migration files changed the database")
			}
		})
	}
}
