package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"

	"github.com/mattn/go-sqlite3"

	"doorstep/backend"
	"doorstep/internal/sqlitetrouble"
)

// Storage trouble is told apart from bugs in one place: the database/sql
// driver the store opens is mattn/go-sqlite3 wrapped so that every error it
// returns meaning storage trouble (a full disk, a read-only or failing disk,
// a database locked or damaged) becomes a *backend.StorageError, answered as
// unavailable with a sentence and a Retry-After. Reads, writes, savepoints,
// commits and opening all pass through it, so no store function has to
// think about it, and no handler answers a full disk with 500. The driver's
// own error stays in the chain (errors.As still finds a sqlite3.Error, e.g.
// for constraint checks) and in the log.

// driverName is the driver the store opens: go-sqlite3 with storage errors
// mapped.
const driverName = "doorstep-sqlite3"

func init() { sql.Register(driverName, storageDriver{&sqlite3.SQLiteDriver{}}) }

// storageTrouble classifies a driver error.
func storageTrouble(err error) (backend.StorageTrouble, bool) { return sqlitetrouble.Of(err) }

// storageError returns err as a *backend.StorageError when it means storage
// trouble, else err unchanged.
func storageError(err error) error {
	if err == nil {
		return nil
	}
	var already *backend.StorageError
	if errors.As(err, &already) {
		return err
	}
	if t, ok := storageTrouble(err); ok {
		return &backend.StorageError{Trouble: t, Err: err}
	}
	return err
}

// storageDriver and the types below pass every call to go-sqlite3 and map
// the errors that come back. They offer what database/sql uses of the
// driver: context-aware preparing, querying, executing and transactions.
type storageDriver struct{ d *sqlite3.SQLiteDriver }

func (d storageDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.d.Open(dsn)
	if err != nil {
		return nil, storageError(err)
	}
	return &storageConn{c.(*sqlite3.SQLiteConn)}, nil
}

type storageConn struct{ c *sqlite3.SQLiteConn }

var (
	_ driver.ConnBeginTx        = (*storageConn)(nil)
	_ driver.ConnPrepareContext = (*storageConn)(nil)
	_ driver.ExecerContext      = (*storageConn)(nil)
	_ driver.QueryerContext     = (*storageConn)(nil)
	_ driver.Pinger             = (*storageConn)(nil)
)

func (c *storageConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *storageConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, storageError(err)
	}
	return storageStmt{s}, nil
}

func (c *storageConn) Close() error { return storageError(c.c.Close()) }

func (c *storageConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *storageConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, storageError(err)
	}
	return storageTx{tx}, nil
}

func (c *storageConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.c.ExecContext(ctx, query, args)
	return r, storageError(err)
}

func (c *storageConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.c.QueryContext(ctx, query, args)
	if err != nil {
		return nil, storageError(err)
	}
	return storageRows{rows}, nil
}

func (c *storageConn) Ping(ctx context.Context) error { return storageError(c.c.Ping(ctx)) }

type storageTx struct{ tx driver.Tx }

func (t storageTx) Commit() error   { return storageError(t.tx.Commit()) }
func (t storageTx) Rollback() error { return storageError(t.tx.Rollback()) }

// storageStmt embeds the driver's statement for Close, NumInput and the
// old context-free calls, which database/sql does not use when the
// context-aware ones exist.
type storageStmt struct{ driver.Stmt }

func (s storageStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	return r, storageError(err)
}

func (s storageStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, storageError(err)
	}
	return storageRows{rows}, nil
}

type storageRows struct{ driver.Rows }

func (r storageRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err == io.EOF { // database/sql compares it with ==
		return err
	}
	return storageError(err)
}
