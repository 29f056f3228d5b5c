package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// MoveSource is a server database opened to be moved into another store
// (doorstep-server move-to-postgres): its tables read as they are stored,
// in one transaction, on one connection that holds the database
// exclusively until Close.
//
// Exclusively, because the move copies a database that must not change
// under it, and because that is how a server still running on it shows: a
// running server keeps its connections open, and in WAL mode every open
// connection holds a shared lock on the database file for as long as it is
// open, so the exclusive lock is refused (SQLITE_BUSY) while one runs, in
// this process or another, even when it is idle. And while the move holds
// the lock, a server started on the database cannot open it (it gives up
// after its busy timeout) instead of writing what the move would not see.
type MoveSource struct {
	db *sql.DB
	tx *sql.Tx
}

// ErrInUse is a database another connection has open: a server running on
// it, or another command.
var ErrInUse = errors.New("sqlite: the database is in use (a doorstep-server running on it?)")

// ErrNotCurrent is a database this program would bring up to date before
// serving it (an older schema, or hashes of old messages still to fill
// in): starting this version of the server on it once does that.
var ErrNotCurrent = errors.New("sqlite: the database is not at this doorstep-server's schema")

// OpenMoveSource opens the server database at path to be moved: an
// existing one (nothing is created), that no one else has open, at the
// schema this program's migrations reach, with every message's hash filled
// in. It changes nothing in it.
func OpenMoveSource(ctx context.Context, path string) (*MoveSource, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "rw") // never create
	q.Set("_locking_mode", "EXCLUSIVE")
	q.Set("_busy_timeout", "0") // a lock that is taken is an answer, not a wait
	q.Set("_txlock", "immediate")
	db, err := sql.Open(driverName, "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	s := &MoveSource{db: db}
	if err := s.begin(ctx, path); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// begin takes the lock and checks the database is one to move as it is.
func (s *MoveSource) begin(ctx context.Context, path string) error {
	inUse := func(err error) error {
		var e sqlite3.Error
		if errors.As(err, &e) && (e.Code == sqlite3.ErrBusy || e.Code == sqlite3.ErrLocked) {
			return ErrInUse
		}
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return inUse(err)
	}
	s.tx = tx
	var tables int
	// The first read takes the exclusive lock.
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return inUse(err)
	}
	if tables == 0 {
		return fmt.Errorf("sqlite: %s is not a doorstep-server database", path)
	}
	var current int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("sqlite: %s: schema version: %w", path, err)
	}
	switch latest := SchemaVersion(); {
	case current > latest:
		return fmt.Errorf("sqlite: %s: %w", path, newerSchemaError(current))
	case current < latest:
		return fmt.Errorf("%w: %s is at schema %d, this program's is %d", ErrNotCurrent, path, current, latest)
	}
	var filled string
	if err := tx.QueryRowContext(ctx, "SELECT coalesce((SELECT value FROM meta WHERE key = 'chain_filled'), '')").Scan(&filled); err != nil {
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if filled != "1" {
		return fmt.Errorf("%w: the hashes of %s's older messages are not filled in yet", ErrNotCurrent, path)
	}
	return nil
}

// Close gives the database back, unchanged.
func (s *MoveSource) Close() error {
	var err error
	if s.tx != nil {
		err = s.tx.Rollback()
	}
	return errors.Join(err, s.db.Close())
}

// Tables lists the store's tables, each with its columns in order.
// SQLite's own tables (sqlite_sequence, sqlite_stat1, …) are not the
// store's and are left out; what sqlite_sequence holds comes from
// Sequences.
func (s *MoveSource) Tables(ctx context.Context) (map[string][]string, error) {
	rows, err := s.tx.QueryContext(ctx, `SELECT t.name, c.name FROM sqlite_schema t, pragma_table_info(t.name) c
		WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY t.name, c.cid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tables: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, fmt.Errorf("sqlite: tables: %w", err)
		}
		out[table] = append(out[table], column)
	}
	return out, rows.Err()
}

// Sequences are the newest ids AUTOINCREMENT ever gave, by table (the
// event log's: ids never reused after pruning), which may be above every
// id still stored.
func (s *MoveSource) Sequences(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	var exists int
	if err := s.tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'").Scan(&exists); err != nil || exists == 0 {
		return out, err
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence")
	if err != nil {
		return nil, fmt.Errorf("sqlite: sequences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("sqlite: sequences: %w", err)
		}
		out[name] = seq
	}
	return out, rows.Err()
}

// Rows reads columns of every row of table, in the order of the rows'
// ids, as SQLite stores them: int64, float64, string, []byte or nil.
// Table and columns must be ones Tables lists.
func (s *MoveSource) Rows(ctx context.Context, table string, columns []string) (*MoveRows, error) {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = quoteIdent(c)
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM "+quoteIdent(table)+" ORDER BY rowid")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", table, err)
	}
	return &MoveRows{rows: rows, values: make([]any, len(columns))}, nil
}

// quoteIdent quotes a table's or a column's name for SQL.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// MoveRows are the rows of one table being moved, one at a time.
type MoveRows struct {
	rows   *sql.Rows
	values []any
}

// Next moves to the next row; false at the end or on an error (Err).
func (r *MoveRows) Next() bool { return r.rows.Next() }

// Values are the current row's values, valid until Next.
func (r *MoveRows) Values() ([]any, error) {
	ptrs := make([]any, len(r.values))
	for i := range r.values {
		ptrs[i] = &r.values[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return r.values, nil
}

// Err is what stopped Next, if not the end.
func (r *MoveRows) Err() error { return r.rows.Err() }

// Close ends the reading of the rows.
func (r *MoveRows) Close() error { return r.rows.Close() }
