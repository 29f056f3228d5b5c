package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"doorstep/backend/postgres"
)

// TestUpdate: a write's outcome is the truth whatever its caller does
// meanwhile, and a deadlock PostgreSQL breaks is a write run again, not an
// error.
func TestUpdate(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	meta := func(key string) string {
		t.Helper()
		var v string
		if err := db.Update(ctx, func(tx *postgres.Tx) error {
			v = ""
			err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
			if postgres.IsNoRows(err) {
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	set := func(tx *postgres.Tx, key, value string) error {
		_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	}

	t.Run("OutlivesItsCaller", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		err := db.Update(cctx, func(tx *postgres.Tx) error {
			cancel() // the caller gives up while the write runs
			return set(tx, "outlived", "yes")
		})
		if err != nil || meta("outlived") != "yes" {
			t.Errorf("Update = %v, stored %q; want the write committed and said so", err, meta("outlived"))
		}
	})

	t.Run("NotBegunForACallerGone", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		err := db.Update(cctx, func(tx *postgres.Tx) error { ran = true; return set(tx, "gone", "yes") })
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("Update = %v, ran %v; want context.Canceled before anything ran", err, ran)
		}
	})

	t.Run("DeadlockRunsAgain", func(t *testing.T) {
		for _, k := range []string{"left", "right"} {
			if err := db.Update(ctx, func(tx *postgres.Tx) error { return set(tx, k, "0") }); err != nil {
				t.Fatal(err)
			}
		}
		// Each write takes one row, waits until the other has taken the
		// other row, then wants it: a deadlock, which PostgreSQL breaks by
		// failing one of them. That one runs again (without waiting: its
		// partner is done) and succeeds.
		var runs atomic.Int32
		firstHeld, secondHeld := make(chan struct{}), make(chan struct{})
		var firstOnce, secondOnce sync.Once
		write := func(mine, theirs string, held chan struct{}, once *sync.Once, other chan struct{}) error {
			return db.Update(ctx, func(tx *postgres.Tx) error {
				runs.Add(1)
				if err := set(tx, mine, mine); err != nil {
					return err
				}
				waited := false
				once.Do(func() { close(held); waited = true })
				if waited {
					<-other
				}
				return set(tx, theirs, mine)
			})
		}
		errs := make(chan error, 2)
		go func() { errs <- write("left", "right", firstHeld, &firstOnce, secondHeld) }()
		go func() { errs <- write("right", "left", secondHeld, &secondOnce, firstHeld) }()
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("a write of the deadlock failed: %v", err)
			}
		}
		if n := runs.Load(); n < 3 {
			t.Errorf("the writes ran %d times, want at least 3 (the one PostgreSQL failed, again)", n)
		}
		if l, r := meta("left"), meta("right"); l != r {
			t.Errorf("left %q, right %q: the write that ran last must have set both", l, r)
		}
	})
}
