package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"doorstep/backend"
)

// The schema comes from numbered SQL files, applied in order, each in its
// own transaction with its record in schema_migrations, as backend/migrate
// does for SQLite. That package is not reused: it speaks SQLite's SQL
// (STRICT tables, sqlite_master, "?" placeholders) over database/sql, and
// here several servers may start at once on one database, so the run holds
// an advisory lock that makes the others wait for it instead of racing it.

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrNewerSchema reports a database written by a newer server: it is
// refused rather than guessed at.
var ErrNewerSchema = errors.New("database schema is newer than this program")

// migrationLock is the advisory lock (two-key form, so it cannot meet the
// per-recipient locks, which take the one-key form) held while migrating.
const migrationLock = "pg_advisory_lock(1685024626, 1)" // 1685024626 = "door"

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the .sql files of fsys in the order of their
// numbers, which must run 1, 2, 3... without gaps or repeats.
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

// migrate brings the database's schema up to date under the migration lock.
func migrate(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	migrations, err := loadMigrations(sub)
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT "+migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// A lock that cannot be given back goes with its connection.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(1685024626, 1)"); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	// Created only when missing, so that a database that only reads (a
	// standby, or one set read-only) but is up to date still opens.
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: the database is at schema %d but doorstep-server %s knows only up to %d; use a newer version or restore a backup",
			ErrNewerSchema, current, backend.Version, len(migrations))
	}
	for _, m := range migrations[current:] {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		_, err = tx.Exec(ctx, m.sql)
		if err == nil {
			_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.version, m.name, now)
		}
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}
