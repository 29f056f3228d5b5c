package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
)

func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "doorstep.db"), WithBcryptCost(bcrypt.MinCost))
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

	// A caller whose context ends while its write runs must not take the
	// batch down with it: mattn/go-sqlite3 interrupts the connection when a
	// context given to a statement ends, and inside a shared transaction
	// that used to fail every other write of the batch.
	t.Run("ImpatientCallersDoNotFailOthers", func(t *testing.T) {
		db := openTestDB(t)
		const patient, perPatient, impatient = 8, 60, 24
		stop := make(chan struct{})
		var impatientDone sync.WaitGroup
		var impatientCalls, impatientOK atomic.Int64
		for i := range impatient {
			impatientDone.Add(1)
			go func() {
				defer impatientDone.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					// Timeouts from nothing to a few hundred microseconds end
					// before, during and after the write.
					cctx, cancel := context.WithTimeout(ctx, time.Duration(n%32)*50*time.Microsecond)
					// A write long enough to be interrupted midway.
					err := db.Update(cctx, func(tx *Tx) error {
						_, err := tx.ExecContext(cctx, `INSERT INTO meta (key, value)
							WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500)
							SELECT ?1 || '-' || x, 'impatient ' || ?1 FROM c`, fmt.Sprintf("i%d-%d", i, n))
						return err
					})
					cancel()
					impatientCalls.Add(1)
					if err == nil {
						impatientOK.Add(1)
					}
				}
			}()
		}
		var wg sync.WaitGroup
		var failures atomic.Int64
		for i := range patient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range perPatient {
					err := db.Update(ctx, func(tx *Tx) error {
						_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, 'patient')", fmt.Sprintf("p%d-%d", i, n))
						return err
					})
					if err != nil {
						if failures.Add(1) <= 3 {
							t.Errorf("a patient write failed: %v", err)
						}
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		impatientDone.Wait()
		var stored, impatientStored int64
		db.db.QueryRow("SELECT count(*) FROM meta WHERE value = 'patient'").Scan(&stored)
		db.db.QueryRow("SELECT count(DISTINCT value) FROM meta WHERE value LIKE 'impatient %'").Scan(&impatientStored)
		t.Logf("%d impatient calls (%d answered ok, %d stored); %d of %d patient writes failed",
			impatientCalls.Load(), impatientOK.Load(), impatientStored, failures.Load(), patient*perPatient)
		if stored != patient*perPatient {
			t.Errorf("%d patient rows stored, want %d", stored, patient*perPatient)
		}
		if impatientStored != impatientOK.Load() {
			t.Errorf("%d impatient rows stored but %d impatient callers were told ok", impatientStored, impatientOK.Load())
		}
	})

	// When the transaction itself dies midway (here a write ends it, as
	// SQLite does after a full disk or an I/O error), the writes that ran
	// before are lost and must not be reported as stored, and the writes
	// after it, which had not run, must still be stored.
	t.Run("ADeadTransactionFailsNoWriteAfterIt", func(t *testing.T) {
		db := openTestDB(t)
		insert := func(key string) func(*Tx) error {
			return func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, 'z')", key)
				return err
			}
		}
		runs := map[string]int{}
		counted := func(key string, fn func(*Tx) error) func(*Tx) error {
			return func(tx *Tx) error { runs[key]++; return fn(tx) }
		}
		keys := []string{"before", "killer", "after1", "after2"}
		fns := []func(*Tx) error{insert("before"), func(tx *Tx) error {
			if err := insert("killer")(tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "ROLLBACK")
			return err
		}, insert("after1"), insert("after2")}
		batch := make([]writeRequest, len(keys))
		for i, k := range keys {
			batch[i] = writeRequest{ctx: ctx, fn: counted(k, fns[i]), done: make(chan error, 1)}
		}
		// The writer goroutine is idle, so the batch has the one writer
		// connection to itself.
		db.commitBatch(batch)
		for i, k := range keys {
			err := <-batch[i].done
			var stored int
			db.db.QueryRow("SELECT count(*) FROM meta WHERE key = ?", k).Scan(&stored)
			if runs[k] != 1 {
				t.Errorf("%s ran %d times, want once", k, runs[k])
			}
			switch k {
			case "before", "killer":
				// Not the caller's fault, and not a bug of theirs: unavailable.
				if backend.ErrorCode(err) != backend.EUNAVAILABLE || stored != 0 {
					t.Errorf("%s: err = %v, %d rows stored; want unavailable and nothing stored", k, err, stored)
				}
			default:
				if err != nil || stored != 1 {
					t.Errorf("%s: err = %v, %d rows stored; want it stored", k, err, stored)
				}
			}
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

// The commit observer hears of every write that ran, once, in the commit
// that made it durable, and of no commit that made nothing durable.
func TestCommitObserver(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var commits, writes int
	var slowest time.Duration
	db, err := Open(ctx, filepath.Join(t.TempDir(), "doorstep.db"), WithBcryptCost(bcrypt.MinCost),
		WithCommitObserver(func(n int, took time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			commits, writes, slowest = commits+1, writes+n, max(slowest, took)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mu.Lock()
	commits, writes = 0, 0 // what opening the database wrote is not this test's
	mu.Unlock()

	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := db.Update(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, 'x')", "k"+strconv.Itoa(i))
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A write that gave up before its turn ran nothing and is not counted.
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	db.Update(gaveUp, func(*Tx) error { t.Error("a write whose caller gave up ran"); return nil })

	mu.Lock()
	defer mu.Unlock()
	if writes != n {
		t.Errorf("observer counted %d writes, want %d", writes, n)
	}
	if commits < 1 || commits > n {
		t.Errorf("observer saw %d commits for %d writes", commits, n)
	}
	if slowest <= 0 {
		t.Errorf("longest commit took %v", slowest)
	}
}
