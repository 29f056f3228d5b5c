package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"doorstep/backend"
)

// Writes. Every write is one transaction (READ COMMITTED, PostgreSQL's
// default) on a connection of its own; PostgreSQL runs them side by side
// and groups their commits itself. What SQLite's single writer gave for
// free is done with locks:
//
//   - A write that reads something and decides on it locks the row it
//     decides about first (a conversation FOR NO KEY UPDATE before its next
//     seq, a read position, a user's settings), so two writes never decide
//     on the same old value.
//   - Events. Ids come from a sequence, and a transaction that took id 104
//     may commit after one that took 105: a client told of 105 would resume
//     after it and never see 104. So the events of a write are stored last,
//     just before COMMIT, under a lock per recipient (a session-level
//     advisory lock, taken in key order so two writes cannot deadlock on
//     them) that is held until the events are committed and published to
//     the sink: each recipient's events become visible, and reach the live
//     connections, in the order of their ids, across every server sharing
//     the database. The cost is that one recipient's writes commit one
//     after the other (an organisation's main user hears of every message
//     of the organisation), which bounds one landlord's rate, not the
//     server's.

// writeTimeout bounds a write once it has begun: the caller's context no
// longer ends it (see Update), so this is what keeps a stuck database from
// holding a request forever.
const writeTimeout = 30 * time.Second

// maxAttempts bounds how often a write is tried when PostgreSQL gives up on
// it for a reason that passes (a deadlock, a race on a unique key).
const maxAttempts = 5

// errRetry makes Update run a write again from the start: it lost a race
// that a new transaction, seeing the winner's rows, decides differently.
var errRetry = errors.New("postgres: write lost a race; trying again")

// Tx is a write transaction handed to an Update function. Its statements
// run on the transaction's own context, not the caller's (see Update).
type Tx struct {
	tx          pgx.Tx
	ctx         context.Context
	now         time.Time
	events      []backend.Delivery
	afterCommit []func()
}

// Exec runs a statement in the transaction. ctx is not used: the
// transaction's own context is (see Update).
func (tx *Tx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := tx.tx.Exec(tx.ctx, sql, args...)
	return tag, storageError(err)
}

// Query runs a query in the transaction, on the transaction's context.
func (tx *Tx) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := tx.tx.Query(tx.ctx, sql, args...)
	if err != nil {
		return nil, storageError(err)
	}
	return mappedRows{rows}, nil
}

// QueryRow runs a query expected to return at most one row, on the
// transaction's context.
func (tx *Tx) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{tx.tx.QueryRow(tx.ctx, sql, args...)}
}

// Now is the time of the transaction, as stored (see stored).
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit runs f once the transaction is committed (not if it fails):
// the place to tell the live parts what was written.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// emit stores events for their recipients at the end of the transaction
// and publishes them once it is committed (see the top of this file).
func (tx *Tx) emit(pubs ...backend.Delivery) { tx.events = append(tx.events, pubs...) }

// Update runs fn in a write transaction and returns once what fn wrote is
// committed, or an error (then nothing fn wrote is kept): fn's own, or a
// *backend.StorageError (unavailable) when the database failed.
//
// Once fn has begun, ctx ending does not stop the write (it runs on a
// context of its own, bounded by writeTimeout): a caller that gives up still
// gets the true outcome, rather than a cancelled COMMIT whose outcome no one
// knows. Before that, ctx ending (while waiting for a connection) ends it.
//
// fn may run more than once when PostgreSQL gives up on a transaction for a
// reason that passes (a deadlock, or a race it lost): each run must set its
// results afresh, not add to those of a run before.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: connect: %w", storageError(err))
	}
	defer conn.Release()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := db.attempt(wctx, conn, fn)
		code := sqlState(err)
		if attempt < maxAttempts && (errors.Is(err, errRetry) || code == "40001" || code == "40P01") {
			// A pause, a little longer each time and never the same for
			// two writes: a write run again at once would often take back
			// the lock it just gave up before the one it deadlocked with
			// got it, and deadlock with it again.
			select {
			case <-time.After(time.Duration(attempt) * (5*time.Millisecond + rand.N(10*time.Millisecond))):
			case <-wctx.Done():
			}
			continue
		}
		if errors.Is(err, errRetry) {
			err = &backend.StorageError{Trouble: backend.StorageBusy, Err: err}
		}
		return err
	}
}

// attempt runs fn once in a transaction on conn, stores its events and
// commits, then runs its after-commit hooks.
func (db *DB) attempt(ctx context.Context, conn *pgxpool.Conn, fn func(*Tx) error) (err error) {
	pgtx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", storageError(err))
	}
	tx := &Tx{tx: pgtx, ctx: ctx, now: stored(db.now())}
	locked := false
	defer func() {
		if err != nil {
			pgtx.Rollback(ctx)
		}
		if locked {
			unlockRecipients(ctx, conn)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if len(tx.events) > 0 {
		locked = true
		if err := tx.storeEvents(); err != nil {
			return err
		}
	}
	if err := pgtx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", storageError(err))
	}
	if len(tx.events) > 0 {
		db.publish(tx.events)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// recipientKey is a recipient's advisory lock key (the one-key form):
// users even, tenants odd.
func recipientKey(r backend.Recipient) int64 {
	if r.Kind == backend.KindTenant {
		return r.ID<<1 | 1
	}
	return r.ID << 1
}

// storeEvents locks the recipients of tx's events, in key order, and
// inserts the events, in one round trip; each event gets its id.
func (tx *Tx) storeEvents() error {
	keys := make([]int64, 0, len(tx.events))
	for _, d := range tx.events {
		keys = append(keys, recipientKey(d.To))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	b := &pgx.Batch{}
	for _, k := range keys {
		b.Queue("SELECT pg_advisory_lock($1)", k)
	}
	// Under the locks, each recipient's newest event so far: every event
	// says which event came before it for its recipient (Event.Prev), so
	// a live stream can tell it missed one.
	prev := make(map[int64]int64, len(keys))
	asked := map[int64]bool{}
	for _, d := range tx.events {
		k := recipientKey(d.To)
		if asked[k] {
			continue
		}
		asked[k] = true
		column := "user_id"
		if d.To.Kind == backend.KindTenant {
			column = "tenant_id"
		}
		b.Queue("SELECT coalesce(max(id), 0) FROM events WHERE "+column+" = $1", d.To.ID).QueryRow(func(row pgx.Row) error {
			var id int64
			err := row.Scan(&id)
			prev[k] = id
			return err
		})
	}
	for i := range tx.events {
		d := &tx.events[i]
		d.Event.CreatedAt = tx.now
		payload, err := json.Marshal(d.Event)
		if err != nil {
			return fmt.Errorf("event payload: %w", err)
		}
		var userID, tenantID any
		if d.To.Kind == backend.KindUser {
			userID = d.To.ID
		} else {
			tenantID = d.To.ID
		}
		b.Queue(`INSERT INTO events (user_id, tenant_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			userID, tenantID, d.Event.Type, payload, tx.now).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&d.Event.ID); err != nil {
				return err
			}
			k := recipientKey(d.To)
			d.Event.Prev, prev[k] = prev[k], d.Event.ID
			return nil
		})
	}
	if err := tx.tx.SendBatch(tx.ctx, b).Close(); err != nil {
		return fmt.Errorf("write events: %w", storageError(err))
	}
	return nil
}

// unlockRecipients gives back the recipient locks of a write that is over.
// A connection that cannot is closed, which gives them back too.
func unlockRecipients(ctx context.Context, conn *pgxpool.Conn) {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
		conn.Conn().Close(ctx)
	}
}

// SetEventSink registers f to receive every event once it is committed
// (the websocket hub). For one recipient, f is called in the order of the
// events' ids, never at once. It must not block.
func (db *DB) SetEventSink(f func([]backend.Delivery)) {
	db.sinkMu.Lock()
	defer db.sinkMu.Unlock()
	db.sink = f
}

func (db *DB) publish(p []backend.Delivery) {
	db.sinkMu.RLock()
	f := db.sink
	db.sinkMu.RUnlock()
	if f != nil && len(p) > 0 {
		f(p) // in the order of their ids, the order they were inserted in
	}
}

// queryer is what both the pool and a write transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// reader is the pool with storage errors mapped: reads run on the caller's
// context (a connection of the pool serves that caller alone).
type reader struct{ pool *pgxpool.Pool }

func (r reader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, storageError(err)
	}
	return mappedRows{rows}, nil
}

func (r reader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{r.pool.QueryRow(ctx, sql, args...)}
}

func (r reader) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := r.pool.Exec(ctx, sql, args...)
	return tag, storageError(err)
}

// mappedRow and mappedRows map the errors that come back late (at Scan,
// at the end of the rows) as well.
type mappedRow struct{ pgx.Row }

func (r mappedRow) Scan(dest ...any) error { return storageError(r.Row.Scan(dest...)) }

type mappedRows struct{ pgx.Rows }

func (r mappedRows) Scan(dest ...any) error { return storageError(r.Rows.Scan(dest...)) }
func (r mappedRows) Err() error             { return storageError(r.Rows.Err()) }
