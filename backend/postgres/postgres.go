// Package postgres is the server's store on PostgreSQL (jackc/pgx), for a
// server that outgrows one machine: several doorstep-server nodes can share
// one database. It keeps the same store contracts as backend/sqlite (see
// contracts.go; backend/storetest checks both), with the same meaning:
// idempotency keys, gapless per-conversation seq under concurrency, the
// per-recipient event log for `since`, read positions, files, the
// notifications outbox, attention settings and the hash chain. Like the
// SQLite store it decides nothing itself: it answers questions and
// persists what backend's rules decide.
//
// Where SQLite has one writer, PostgreSQL has many concurrent
// transactions, so what the single writer gave for free is done with locks
// here (see tx.go): the conversation's row lock orders its messages, and a
// lock per recipient orders their events.
package postgres

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
)

// DB is an open PostgreSQL store: a pool of connections, every write a
// transaction of its own through Update.
type DB struct {
	pool *pgxpool.Pool
	r    reader // the pool, with storage errors mapped

	sinkMu       sync.RWMutex
	sink         func([]backend.Delivery)
	notifyQueued func()              // see SetNotificationsQueued
	sessionSink  func(ids ...string) // see SetSessionEndSink

	// claims is this instance as a claimant of due notifications (claims.go).
	claims claimer
	// jobConns hold the advisory locks of the periodic jobs' rounds under
	// way here (jobs.go).
	jobsMu   sync.Mutex
	jobConns map[*pgx.Conn]bool

	// now is the clock; tests may replace it.
	now func() time.Time
	// bcryptCost is the work factor of new password hashes (WithBcryptCost).
	bcryptCost int
	// signingKey signs conversation heads (WithSigningKey); nil: none.
	signingKey ed25519.PrivateKey
	// maxConns overrides the pool's size (WithMaxConns); 0: pgx's default
	// or the connection string's pool_max_conns.
	maxConns int32
}

// Option configures a DB when it is opened.
type Option func(*DB)

// WithBcryptCost sets the work factor of new password hashes (default
// bcrypt.DefaultCost). Tests pass bcrypt.MinCost to keep their fixtures
// fast under the race detector; a server keeps the default.
func WithBcryptCost(cost int) Option { return func(db *DB) { db.bcryptCost = cost } }

// WithSigningKey gives the store the server's signing key: without one it
// signs nothing (backend.ErrNoSigningKey).
func WithSigningKey(key ed25519.PrivateKey) Option { return func(db *DB) { db.signingKey = key } }

// WithMaxConns sets how many connections the pool opens at most.
func WithMaxConns(n int32) Option { return func(db *DB) { db.maxConns = n } }

// Open connects to the database at connString (a postgres:// URL or
// key=value pairs, as libpq takes them) and brings its schema up to date;
// a database written by a newer server is refused (ErrNewerSchema).
//
// Durability is PostgreSQL's: a transaction that returned from COMMIT
// survives a crash with the server's default synchronous_commit = on, which
// is what lets the server acknowledge a message only once it is stored.
func Open(ctx context.Context, connString string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{now: time.Now, bcryptCost: bcrypt.DefaultCost}
	for _, o := range opts {
		o(db)
	}
	if db.maxConns > 0 {
		cfg.MaxConns = db.maxConns
	}
	// Times are compared and formatted in UTC, whatever the server's
	// default, and come back in UTC, as the SQLite store returns them.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", storageError(err))
	}
	db.r = reader{db.pool}
	if err := migrate(ctx, db.pool, db.now().UTC()); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: %w", storageError(err))
	}
	return db, nil
}

// Close closes the pool's connections, waiting for those in use.
func (db *DB) Close() error {
	db.closeClaims()
	db.closeJobs()
	db.pool.Close()
	return nil
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// ProbeWrite shows that the database can still write: a tiny committed
// write. When it cannot, it fails with a *backend.StorageError saying why.
func (db *DB) ProbeWrite(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('write_probe', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, tx.Now().Format(time.RFC3339Nano))
		return err
	})
}

// ServerID returns the random identifier made when the database was created.
func (db *DB) ServerID(ctx context.Context) (string, error) {
	var id string
	if err := db.r.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'server_id'").Scan(&id); err != nil {
		return "", fmt.Errorf("postgres: server id: %w", err)
	}
	return id, nil
}

// SetClock replaces the clock used for lease status, timestamps and
// expiries. For tests and demos; call it while nothing else uses the
// database.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Clock returns the clock in use, so a caller that sets another for a while
// (see SetClock) can put it back.
func (db *DB) Clock() func() time.Time { return db.now }

// Now is the store's clock, by which sessions expire (see SetClock).
func (db *DB) Now() time.Time { return db.now() }

// stored is t as the database keeps it: UTC, to the microsecond. What the
// store returns is what a later read returns, and what the chain hashes.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedBefore is the bound for "stored before t": every stored time is a
// whole microsecond, so one is before t exactly when it is before t rounded
// up to the microsecond (PostgreSQL would round a bound passed as it is
// down, and take in what is stored in t's own microsecond).
func storedBefore(t time.Time) time.Time {
	s := stored(t)
	if s.Before(t) {
		return s.Add(time.Microsecond)
	}
	return s
}

// isNoRows reports whether err says a query found no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsNoRows reports whether err says a query found no row (for code that
// uses a Tx's QueryRow outside this package).
func IsNoRows(err error) bool { return isNoRows(err) }
