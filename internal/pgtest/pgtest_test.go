package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"doorstep/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestDatabasesAreFreshAndApart: each test's database is empty, writable,
// and its own.
func TestDatabasesAreFreshAndApart(t *testing.T) {
	ctx := context.Background()
	connect := func(dsn string) *pgx.Conn {
		t.Helper()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	a, b := connect(pgtest.NewDatabase(t)), connect(pgtest.NewDatabase(t))
	if _, err := a.Exec(ctx, "CREATE TABLE notes (text text); INSERT INTO notes VALUES ('only in a')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'notes'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the second database has the first's table: %d, %v", n, err)
	}
	var version int
	if err := a.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil || version < 130000 {
		t.Errorf("server version %d, %v; want 13 or newer (DROP DATABASE ... WITH (FORCE))", version, err)
	}
	t.Logf("the cluster started in %v", pgtest.StartTime())
}
