package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"doorstep/backend"
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

// Tx is a write transaction handed to an Update function. It is shared
// with the other writes of the batch, so no single caller may end it: the
// statements it offers run with the caller's context stripped of its
// cancellation and deadline (context.WithoutCancel). mattn/go-sqlite3
// interrupts the connection when a statement's context ends, and SQLite
// answers an interrupted write by rolling back the whole transaction, which
// used to fail every other write of the batch because one client hung up.
// It deliberately does not embed the connection: a method reached through
// the embedding (PrepareContext, BeginTx, Close) would take a cancellable
// context again, or end what other writes share. (Reads on the reader pool
// keep the caller's context: a connection there serves that caller alone,
// so cancelling ends only its own query.)
//
// The transaction is begun and ended with plain statements on the writer's
// own connection rather than as a *sql.Tx: database/sql watches every query
// of a *sql.Tx with a goroutine of its own (to close its rows should the
// transaction end first), which cost the writer, one statement after
// another, more than many of the statements themselves. On the connection,
// with a context that cannot end, a query starts no goroutine.
type Tx struct {
	conn        *sql.Conn
	now         time.Time
	afterCommit []func()
}

// ExecContext runs a statement in the transaction; ctx's values reach the
// driver, its cancellation does not.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.conn.ExecContext(context.WithoutCancel(ctx), query, args...)
}

// QueryContext runs a query in the transaction; ctx's values reach the
// driver, its cancellation does not.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.conn.QueryContext(context.WithoutCancel(ctx), query, args...)
}

// QueryRowContext runs a query expected to return at most one row; ctx's
// values reach the driver, its cancellation does not.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.conn.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// Now is the time of the batch, the same for every write in it.
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit runs f once the transaction is durable (not if it fails):
// the place to publish events about what was written.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// txControl holds the statements that begin, divide and end the writer's
// transactions, prepared once: run as plain text they were parsed anew
// every time, twice per write and twice per batch.
type txControl struct {
	begin, savepoint, release, commit *sql.Stmt
}

func prepareTxControl(ctx context.Context, conn *sql.Conn) (txControl, error) {
	var c txControl
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// IMMEDIATE: the write lock up front (another process may be
		// writing), rather than failing on the first write.
		{&c.begin, "BEGIN IMMEDIATE"},
		{&c.savepoint, "SAVEPOINT w"},
		{&c.release, "RELEASE w"},
		{&c.commit, "COMMIT"},
	} {
		var err error
		if *s.stmt, err = conn.PrepareContext(ctx, s.query); err != nil {
			c.close()
			return txControl{}, fmt.Errorf("prepare %s: %w", s.query, err)
		}
	}
	return c, nil
}

func (c txControl) close() {
	for _, s := range []*sql.Stmt{c.begin, c.savepoint, c.release, c.commit} {
		if s != nil {
			s.Close()
		}
	}
}

type writeRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// errClosed answers writes submitted after Close.
var errClosed = errors.New("sqlite: database is closed")

// Update runs fn in a write transaction and returns once what fn wrote is
// durable on disk, or an error (then nothing fn wrote is kept): fn's own,
// or a *backend.StorageError (unavailable) when the storage failed. fn may
// run in the same transaction as other callers' writes but never sees their
// failures, and ctx ending while fn runs does not stop it (see Tx): a caller
// that gives up still gets the true outcome. fn runs at most once. It must
// not block on anything but the database.
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

// commitBatch runs a batch of writes, each in its own savepoint, and
// answers every caller. When the transaction itself dies midway, the writes
// not yet run go on in a new transaction (see runBatch).
func (db *DB) commitBatch(batch []writeRequest) {
	for len(batch) > 0 {
		batch = db.runBatch(batch)
	}
}

// runBatch runs writes in one transaction and answers their callers; it
// returns the writes it did not get to, which have not run at all.
//
// A write that fails is rolled back to its savepoint and the others go on.
// But SQLite itself rolls a whole transaction back after some errors (disk
// full, I/O error, out of memory; an interrupt, before Tx kept callers'
// contexts out): then the savepoint is gone, the writes that ran before are
// lost with it, and their callers are told the storage trouble (never
// success). The writes after it have not run, so instead of failing with the
// others they are tried again in a new transaction: each caller is answered
// for its own write, and only once. No write runs twice: fn may have set
// results outside the database that a second run would not reset.
func (db *DB) runBatch(batch []writeRequest) (notRun []writeRequest) {
	ctx := context.Background()
	began := time.Now()
	conn, control := db.writeConn, db.control
	if _, err := control.begin.ExecContext(ctx); err != nil {
		answerAll(batch, lostWith("begin", err))
		return nil
	}
	tx := &Tx{conn: conn, now: db.now().UTC()}
	results := make([]error, len(batch))
	// abort ends a dead transaction: the callers of batch[:ran] are answered
	// (their own error if their write failed, else lost, why the
	// transaction died) and the rest is returned to run again.
	abort := func(ran int, lost error) []writeRequest {
		rollback(conn)
		for i, r := range batch[:ran] {
			if results[i] == nil {
				results[i] = lost
			}
			r.done <- results[i]
		}
		return batch[ran:]
	}
	var after []func()
	ran := 0 // writes whose fn ran in this transaction
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err // gave up before its turn: nothing ran
			continue
		}
		if _, err := control.savepoint.ExecContext(ctx); err != nil {
			// Nothing of r ran; it goes on in the next transaction unless
			// it is the first, which then carries the error (so a
			// transaction that cannot even take a savepoint is not tried
			// forever).
			return abort(max(i, 1), lostWith("savepoint", err))
		}
		tx.afterCommit = nil
		ran++
		if err := r.fn(tx); err != nil {
			results[i] = err
			if _, rbErr := conn.ExecContext(ctx, "ROLLBACK TO w; RELEASE w"); rbErr != nil {
				// The write's own failure (a full disk, say) is most
				// likely what ended the transaction.
				return abort(i+1, lostWith("rollback to savepoint after a failed write", err, rbErr))
			}
			continue
		}
		if _, err := control.release.ExecContext(ctx); err != nil {
			return abort(i+1, lostWith("release savepoint", err))
		}
		after = append(after, tx.afterCommit...)
	}
	if _, err := control.commit.ExecContext(ctx); err != nil {
		// SQLite may leave the transaction open after a failed commit;
		// the writes in it are lost either way, and the next batch must
		// begin afresh.
		rollback(conn)
		err = lostWith("commit", err)
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
		after = nil
	} else if db.observeCommit != nil && ran > 0 {
		db.observeCommit(ran, time.Since(began))
	}
	for _, f := range after {
		f()
	}
	for i, r := range batch {
		r.done <- results[i]
	}
	return nil
}

// rollback ends the transaction under way, if any, keeping nothing of it.
// Its error is not worth telling: the writes are answered as lost already,
// and a ROLLBACK with no transaction left (SQLite ended it itself) fails
// harmlessly.
func rollback(conn *sql.Conn) {
	conn.ExecContext(context.Background(), "ROLLBACK")
}

// lostWith is the answer for a write lost with its transaction when op
// failed, which its caller did nothing to cause: unavailable, with the
// storage trouble of the first of causes that is one (a full disk, say),
// else StorageFailed.
func lostWith(op string, causes ...error) error {
	for _, c := range causes {
		var se *backend.StorageError
		if errors.As(c, &se) {
			return &backend.StorageError{Trouble: se.Trouble, Err: fmt.Errorf("sqlite: %s: %w", op, se.Err)}
		}
	}
	return &backend.StorageError{Trouble: backend.StorageFailed, Err: fmt.Errorf("sqlite: %s: %w", op, errors.Join(causes...))}
}

// answerAll gives every caller of batch the same answer.
func answerAll(batch []writeRequest, err error) {
	for _, r := range batch {
		r.done <- err
	}
}
