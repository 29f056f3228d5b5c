// Package sqlite is the server's store on SQLite (mattn/go-sqlite3). All of
// the server's SQL lives in this package so another store (PostgreSQL) can be
// added later without touching the HTTP handlers. It keeps the store
// contracts of package backend (see contracts.go) and decides nothing
// itself: it answers questions (the leases of a tenant, the members of a
// conversation) and persists what backend's rules decide.
package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrNewerSchema reports a database written by a newer server: it is refused
// rather than guessed at (a server restored from a newer backup, say).
var ErrNewerSchema = migrate.ErrNewerSchema

// Parameters the planner must not see. In a query that runs on every
// request or message, a parameter is written +? rather than ?. When SQLite's
// query planner looks at a bound parameter's value while preparing a
// statement (it does for some joins), it marks the statement to be prepared
// again once that parameter is bound anew, and mattn/go-sqlite3 clears every
// binding before each run: such a statement was parsed and planned again on
// every run, the statement cache gained nothing, and the session look-up and
// the members' leases cost four to five times what they cost prepared. The
// unary plus changes no value and no affinity (a parameter has none), keeps
// the index in use, and hides the parameter from the planner.

// readerIdleConns is how many reading connections stay open between
// reads. database/sql keeps two by default, so under a hundred concurrent
// requests most reads opened a connection (SQLite then reads the schema
// again) and closed it after one query, losing its prepared statements.
const readerIdleConns = 8

// DB is an open server database. Reads use a pool of connections (WAL lets
// them run beside the writer); every write goes through Update, on the one
// writer connection (see writer.go).
type DB struct {
	db        *sql.DB   // readers
	writer    *sql.DB   // one connection, used only by the writer goroutine
	writeConn *sql.Conn // that connection, held by the writer from Open to Close
	control   txControl // the writer's own statements, prepared on writeConn
	path      string

	writes     chan writeRequest
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	sinkMu       sync.RWMutex
	sink         func([]backend.Delivery)
	notifyQueued func()              // see SetNotificationsQueued
	sessionSink  func(ids ...string) // see SetSessionEndSink

	// now is the clock; tests may replace it.
	now func() time.Time
	// bcryptCost is the work factor of new password hashes (WithBcryptCost).
	bcryptCost int
	// observeCommit is told about each group commit (WithCommitObserver).
	observeCommit func(writes int, took time.Duration)
	// signingKey signs conversation heads (WithSigningKey); nil: none.
	signingKey ed25519.PrivateKey
	// newestMessage is the time of the newest message stored, which no new
	// message goes below (messageTime); the writer's alone once open.
	newestMessage time.Time
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A database written by a newer server version is refused.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so the WAL
// is fsynced at every commit. A transaction that returned from Commit is on
// disk and survives a crash or power loss; this is what lets the server
// acknowledge a message only after it is stored. (synchronous=NORMAL would be
// faster but may lose the last commits on power loss.)
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")    // writers take the lock up front instead of failing on upgrade
	q.Set("_stmt_cache_size", "128") // reuse prepared statements: preparing costs more than running most of them
	dsn := "file:" + filepath.ToSlash(path) + "?" + q.Encode()

	writer, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	db := &DB{writer: writer, path: path, now: time.Now, bcryptCost: bcrypt.DefaultCost,
		writes: make(chan writeRequest), closing: make(chan struct{}), writerDone: make(chan struct{})}
	for _, o := range opts {
		o(db)
	}
	if err := db.migrate(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := errors.Join(db.fillChains(ctx), db.loadNewestMessage(ctx)); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, storageError(err))
	}
	q.Set("mode", "ro")
	q.Del("_txlock")
	if db.db, err = sql.Open(driverName, "file:"+filepath.ToSlash(path)+"?"+q.Encode()); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	db.db.SetMaxIdleConns(readerIdleConns)
	if err := db.startWriter(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return db, nil
}

// startWriter gives the writer goroutine the writer's one connection and
// starts it; on failure it closes both pools.
func (db *DB) startWriter(ctx context.Context) error {
	conn, err := db.writer.Conn(ctx)
	if err == nil {
		db.writeConn = conn
		db.control, err = prepareTxControl(ctx, conn)
	}
	if err != nil {
		db.control.close()
		if conn != nil {
			conn.Close()
		}
		db.db.Close()
		db.writer.Close()
		return storageError(err)
	}
	go db.runWriter()
	return nil
}

// Close stops the writer (after the batch under way, if any) and closes the
// database. Writes submitted afterwards fail.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		close(db.closing)
		<-db.writerDone
		db.control.close()
		err = errors.Join(db.writeConn.Close(), db.db.Close(), db.writer.Close())
	})
	return err
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// ProbeWrite shows that the database can still write: a tiny write through
// the writer, made durable like any other. On a full or read-only disk it
// fails with a *backend.StorageError saying why.
func (db *DB) ProbeWrite(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('write_probe', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, formatTime(tx.Now()))
		return err
	})
}

// ServerID returns the random identifier made when the database was created.
func (db *DB) ServerID(ctx context.Context) (string, error) {
	var id string
	err := db.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'server_id'").Scan(&id)
	if err != nil {
		return "", fmt.Errorf("sqlite: server id: %w", err)
	}
	return id, nil
}

// RenewServerID gives the database a new random identifier and returns it.
// A restore from a backup does so: clients that synced the history after
// the backup was taken must not take the restored one for it, and clients
// key what they keep by this identifier.
func (db *DB) RenewServerID(ctx context.Context) (string, error) {
	var id string
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE meta SET value = lower(hex(randomblob(16)))
			WHERE key = 'server_id' RETURNING value`).Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: new server id: %w", err)
	}
	return id, nil
}

// migrate brings the server database's schema up to date.
func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return err
	}
	return migrate.Run(ctx, db.writer, sub, "doorstep-server "+backend.Version, db.now)
}
