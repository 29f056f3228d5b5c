package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"doorstep/backend/sqlite"
)

// TestMoveSource: the database is read for a move only when no one else
// has it open, only as it is (nothing created, nothing to bring up to
// date), and with the store's own tables.
func TestMoveSource(t *testing.T) {
	ctx := context.Background()

	t.Run("ErrInUseWhileOpen", func(t *testing.T) {
		db := MustOpenDB(t)
		if _, err := sqlite.OpenMoveSource(ctx, db.Path()); !errors.Is(err, sqlite.ErrInUse) {
			t.Errorf("with the store open: %v; want ErrInUse", err)
		}
		db.Close()
		src, err := sqlite.OpenMoveSource(ctx, db.Path())
		if err != nil {
			t.Fatalf("once closed: %v", err)
		}
		// While the move reads, nothing else gets the database either.
		if again, err := sqlite.OpenMoveSource(ctx, db.Path()); !errors.Is(err, sqlite.ErrInUse) {
			t.Errorf("a second move beside the first: %v; want ErrInUse", err)
			if again != nil {
				again.Close()
			}
		}
		tables, err := src.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tables["meta"], []string{"key", "value"}) || tables["messages"] == nil {
			t.Errorf("tables: %v", tables)
		}
		for name := range tables {
			if strings.HasPrefix(name, "sqlite_") {
				t.Errorf("SQLite's own table %s listed", name)
			}
		}
		rows, err := src.Rows(ctx, "meta", []string{"key", "value"})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]any{}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			keys[v[0].(string)] = v[1]
		}
		rows.Close()
		if id, ok := keys["server_id"].(string); !ok || len(id) != 32 {
			t.Errorf("meta read: %v", keys)
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if reopened, err := sqlite.Open(ctx, db.Path()); err != nil {
			t.Errorf("the store after the move let go: %v", err)
		} else {
			reopened.Close()
		}
	})

	t.Run("ErrMissingIsNotMade", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "doorstep.db")
		if _, err := sqlite.OpenMoveSource(ctx, path); err == nil {
			t.Error("a missing database was opened")
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("a missing database was made")
		}
	})

	t.Run("ErrNotCurrent", func(t *testing.T) {
		db := MustOpenDB(t)
		db.Close()
		raw, err := sql.Open("sqlite3", "file:"+db.Path())
		if err != nil {
			t.Fatal(err)
		}
		_, err = raw.Exec("UPDATE meta SET value = '0' WHERE key = 'chain_filled'")
		raw.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sqlite.OpenMoveSource(ctx, db.Path()); !errors.Is(err, sqlite.ErrNotCurrent) {
			t.Errorf("with old messages' hashes still to fill: %v; want ErrNotCurrent", err)
		}
	})
}
