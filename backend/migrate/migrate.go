// Package migrate brings a SQLite database's schema up to date from numbered
// SQL files embedded in the program. The server's store (backend/sqlite) and
// the desktop's cache (app/cache) both run it over database/sql; it knows no
// driver and no store, so neither links the other by using it. Its SQL is
// SQLite's (a STRICT table, "?" placeholders).
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNewerSchema reports a database written by a newer version of the
// program: it is refused rather than guessed at (a desktop cache meets
// downgrades; a server restored from a newer backup too).
var ErrNewerSchema = errors.New("database schema is newer than this program")

// timeLayout is how applied_at is written: RFC 3339 in UTC with nanoseconds,
// as the stores write their times.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the .sql files at the root of fsys in the order of
// their numbers, which must run 1, 2, 3... without gaps or repeats.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and '_'", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: expected number %d (no gaps or repeats)", m.name, i+1)
		}
	}
	return out, nil
}

// Run applies the numbered migrations in fsys (files NNNN_name.sql at its
// root) that conn has not recorded yet, each in its own transaction together
// with its record in the table schema_migrations, so a crash never leaves one
// half-done. A database recording a migration this program does not have is
// refused with ErrNewerSchema; program names the program in that message.
// Migrations are never edited once shipped: a change is a new file.
func Run(ctx context.Context, conn *sql.DB, fsys fs.FS, program string, now func() time.Time) error {
	migrations, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: the database is at schema %d but %s knows only up to %d; use a newer version or restore a backup",
			ErrNewerSchema, current, program, len(migrations))
	}
	for _, m := range migrations[current:] {
		if err := apply(ctx, conn, m, now()); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration and records it, in one transaction.
func apply(ctx context.Context, conn *sql.DB, m migration, now time.Time) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, now.UTC().Format(timeLayout)); err != nil {
		return fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}

// Latest is the schema version the migrations in fsys bring a database to:
// what a program carrying them knows.
func Latest(fsys fs.FS) (int, error) {
	migrations, err := loadMigrations(fsys)
	return len(migrations), err
}

// Current is the schema version recorded in conn, 0 for a database no
// migration has run on. It only reads, so it suits a read-only connection
// (a backup's copy, a database another process serves).
func Current(ctx context.Context, conn *sql.DB) (int, error) {
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	var current int
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return current, nil
}
