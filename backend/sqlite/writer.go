package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Group commit. SQLite allows one writer at a time and every commit costs an
// fsync (~0.7 ms here), so one transaction per request caps near 1,400 writes
// per second and concurrent writers meet "database is locked". Instead, all
// writes go through one goroutine that gathers the writes waiting at that
// moment into a single transaction: each runs inside its own savepoint (a
// failing one is rolled back alone), then one commit and one fsync make them
// all durable, and only then is each caller answered.

// maxBatch bounds one group commit, so a burst cannot make one transaction
// (and the wait of its first caller) grow without end.
const maxBatch = 512

// Tx is a write transaction handed to an Update function.
type Tx struct {
	*sql.Tx
	now         time.Time
	afterCommit []func()
}

// Now is the time of the batch, the same for every write in it.
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit runs f once the transaction is durable (not if it fails):
// the place to publish events about what was written.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

type writeRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// errClosed answers writes submitted after Close.
var errClosed = errors.New("sqlite: database is closed")

// Update runs fn in a write transaction and returns once what fn wrote is
// durable on disk, or fn's error (then nothing fn wrote is kept). fn may run
// in the same transaction as other callers' writes but never sees their
// failures. It must not block on anything but the database.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	req := writeRequest{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-db.closing:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once submitted, wait for the answer even if ctx ends: the write may be
	// committed, and the caller must not be told otherwise.
	return <-req.done
}

// runWriter is the single writer goroutine.
func (db *DB) runWriter() {
	defer close(db.writerDone)
	for {
		var first writeRequest
		select {
		case first = <-db.writes:
		case <-db.closing:
			return
		}
		batch := []writeRequest{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-db.writes:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		db.commitBatch(batch)
	}
}

func (db *DB) commitBatch(batch []writeRequest) {
	fail := func(err error) {
		for _, r := range batch {
			r.done <- err
		}
	}
	ctx := context.Background()
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	tx := &Tx{Tx: sqlTx, now: db.now().UTC()}
	results := make([]error, len(batch))
	var after [][]func()
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("sqlite: savepoint: %w", err))
			return
		}
		tx.afterCommit = nil
		if err := r.fn(tx); err != nil {
			results[i] = err
			if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO w; RELEASE w"); rbErr != nil {
				sqlTx.Rollback()
				fail(fmt.Errorf("sqlite: rollback to savepoint: %w", rbErr))
				return
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("sqlite: release savepoint: %w", err))
			return
		}
		after = append(after, tx.afterCommit)
	}
	if err := sqlTx.Commit(); err != nil {
		fail(fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	for _, fns := range after {
		for _, f := range fns {
			f()
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}
