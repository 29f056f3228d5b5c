package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "doorstep.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()

	t.Run("ConcurrentWritesAllCommitted", func(t *testing.T) {
		db := openTestDB(t)
		const n = 500
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Update(ctx, func(tx *Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, 'x')", "k"+strconv.Itoa(i))
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var count int
		db.db.QueryRow("SELECT count(*) FROM meta WHERE value = 'x'").Scan(&count)
		if count != n {
			t.Errorf("%d rows committed, want %d", count, n)
		}
	})

	t.Run("AFailingWriteIsRolledBackAlone", func(t *testing.T) {
		db := openTestDB(t)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		var failed, ok atomic.Int32
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Update(ctx, func(tx *Tx) error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", "w"+strconv.Itoa(i), "y"); err != nil {
						return err
					}
					if i%3 == 0 {
						return boom // after writing: the savepoint must undo it
					}
					return nil
				})
				switch {
				case errors.Is(err, boom):
					failed.Add(1)
				case err == nil:
					ok.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var count int
		db.db.QueryRow("SELECT count(*) FROM meta WHERE value = 'y'").Scan(&count)
		if int32(count) != ok.Load() || failed.Load() != 67 {
			t.Errorf("%d rows for %d successes (%d failures)", count, ok.Load(), failed.Load())
		}
	})

	t.Run("AfterCommitOnlyOnSuccess", func(t *testing.T) {
		db := openTestDB(t)
		var ran atomic.Int32
		db.Update(ctx, func(tx *Tx) error { tx.AfterCommit(func() { ran.Add(1) }); return nil })
		db.Update(ctx, func(tx *Tx) error { tx.AfterCommit(func() { ran.Add(100) }); return errors.New("no") })
		if ran.Load() != 1 {
			t.Errorf("after-commit hooks ran %d, want only the successful one", ran.Load())
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		db := openTestDB(t)
		db.Close()
		if err := db.Update(ctx, func(tx *Tx) error { return nil }); !errors.Is(err, errClosed) {
			t.Errorf("Update after Close: %v", err)
		}
	})

	t.Run("ErrCancelledBeforeRunning", func(t *testing.T) {
		db := openTestDB(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		err := db.Update(cctx, func(tx *Tx) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("err = %v, called = %v", err, called)
		}
	})
}
