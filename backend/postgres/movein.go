package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Moving a SQLite server's database in (doorstep-server move-to-postgres):
// every table of the SQLite store's schema that has a counterpart here,
// row for row with the same ids, and every uploaded file into the file
// store of blobs.go, in one transaction, so that the nodes started on this
// database continue the same server: the same server id (desktop apps
// resume with `since` instead of starting over), sessions, histories with
// their chain hashes and signatures, and event ids.
//
// The two schemas are compared column by column when the move runs, not
// trusted to match: each column here takes the SQLite column of its name,
// converted by this column's type in one place (fromSQLite), unless
// columnRules says otherwise, and a table or column on either side that
// nothing here accounts for stops the move before it writes anything. A
// migration that adds a table or a column to either store therefore makes
// the move refuse (and its test fail) until the move is taught what it
// means.

// MoveSource is a database being moved in, as its tables hold it: the
// SQLite store's (backend/sqlite's MoveSource).
type MoveSource interface {
	// Tables lists the tables, each with its columns.
	Tables(ctx context.Context) (map[string][]string, error)
	// Rows reads the columns of every row of table; its values are
	// int64, float64, string, []byte or nil.
	Rows(ctx context.Context, table string, columns []string) (MoveRows, error)
	// Sequences are the newest ids each table's ids were given from, which
	// may be above every id it still holds (the event log's, after pruning).
	Sequences(ctx context.Context) (map[string]int64, error)
}

// MoveRows are the rows of one table of a MoveSource.
type MoveRows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
	Close() error
}

// OpenMovedFile opens the bytes of an uploaded file of the database being
// moved in, by its storage name.
type OpenMovedFile func(storageName string) (io.ReadCloser, error)

// movedTables are the tables filled from the SQLite tables of the same
// names, in an order in which whatever a row refers to is in before it.
var movedTables = []string{
	"orgs", "users", "properties", "units", "tenants", "leases", "lease_tenants",
	"sessions", "tenant_invites",
	"conversations", "conversation_tenants", "files", "messages", "message_files",
	"events", "notifications", "attention_settings", "conversation_mutes", "chain_signatures", "templates",
}

// The tables that are not filled row for row from a table of their name.
const (
	metaTable   = "meta"        // key by key, over what the schema put there (moveMeta)
	blobsTable  = "file_blobs"  // from the uploaded files, with their chunks (moveFiles)
	chunksTable = "file_chunks" //
)

// notMoved are the tables of either schema that the move leaves as they
// are, and why.
var notMoved = map[string]string{
	"schema_migrations": "each database's record of the migrations of its own schema; this one's are PostgreSQL's, made when it was opened",
	"upload_partials":   "unfinished resumable uploads (files/partial beside SQLite) are dropped: no message refers to one, they expire within two days anyway, and a client asking to go on with one is told there is no such upload and starts it again",
	"job_rounds":        "when the nodes' periodic jobs last ran: none has run on this database yet",
	"presence":          "who has the portal open on which node: no node serves this database yet",
}

// TableNotMoved says why the move leaves a table alone ("" for one it
// fills).
func TableNotMoved(table string) string { return notMoved[table] }

// columnRule is how a column is filled that does not simply take the
// SQLite column of its name.
type columnRule struct {
	from   string                 // the SQLite column it is derived from
	derive func(any) (any, error) // how, from that column's value
	// later says why the column is left to its default by the copy: it is
	// set afterwards (afterCopy) or needs nothing.
	later string
}

// columnRules are the columns where the two schemas differ in meaning,
// not only in type, keyed "table.column".
var columnRules = map[string]columnRule{
	// SQLite keeps times to the nanosecond, timestamptz to the
	// microsecond. Two times are covered by a hash or a signature and must
	// come back exactly: the rest of each is kept here (migration 0006).
	// Other times are kept to the microsecond, which changes no meaning.
	"messages.created_ns":        {from: "created_at", derive: nanosBeyondMicrosecond},
	"chain_signatures.signed_ns": {from: "signed_at", derive: nanosBeyondMicrosecond},
	// Kept on PostgreSQL only: the time of the conversation's newest
	// message, below which no new one is dated (SQLite's single writer
	// keeps that over all conversations in memory instead).
	"conversations.last_message_at": {later: "set from the conversation's newest message once the messages are in"},
	// Kept on PostgreSQL only: which node is sending a queued
	// notification. None is yet: every queued one is free for any node.
	"notifications.claimed_by": {later: "no node has claimed a notification yet"},
}

// afterCopy sets what columnRules leave for later, once every table is
// in. last_message_at is rounded up to the microsecond: the message's
// nanoseconds are kept apart, and a new message dated at the rounded-down
// microsecond would come before it.
var afterCopy = []string{
	`UPDATE conversations c SET last_message_at = m.created_at + CASE WHEN m.created_ns > 0 THEN interval '1 microsecond' ELSE interval '0' END
		FROM messages m WHERE m.conversation_id = c.id AND m.seq = c.last_seq`,
}

// metaNotMoved are the SQLite store's meta keys that do not come along;
// every other key (the server id above all, and the event log's floor)
// replaces this database's.
var metaNotMoved = map[string]string{
	"chain_filled": "the SQLite store's mark that messages from before its hash chain have their hashes (the move requires it); here every message has its hash from the start",
	"write_probe":  "the storage probe's scratch value",
}

// MoveTargetNotEmptyError is a database that already holds Doorstep data:
// the move fills only an empty one, so it overwrites nothing.
type MoveTargetNotEmptyError struct{ Table string }

func (e *MoveTargetNotEmptyError) Error() string {
	return fmt.Sprintf("postgres: move: the database already holds Doorstep data (table %s has rows)", e.Table)
}

// MovedFilesDamagedError lists the uploaded files whose bytes no longer are
// what the database being moved recorded of them (or are gone): the move
// refuses them rather than carry a damaged history into the new store.
type MovedFilesDamagedError struct{ Files []string }

func (e *MovedFilesDamagedError) Error() string {
	return fmt.Sprintf("postgres: move: %d uploaded files are missing or damaged", len(e.Files))
}

// MoveReport is what a move copied.
type MoveReport struct {
	// Rows are the rows written per table (meta: the keys taken over;
	// file_blobs and file_chunks: the files and their chunks).
	Rows map[string]int64
	// Order lists the tables of Rows in the order they were filled.
	Order []string
	// Files and Bytes are the uploaded files moved and their total size.
	Files, Bytes int64
	// NotMoved are the tables left as they are, with why.
	NotMoved map[string]string
}

// MoveIn copies everything src holds, and the uploaded files open reads,
// into this database, which must hold no Doorstep data yet (its schema is
// made when it is opened). It is one transaction: when it fails, or is
// interrupted, nothing of it stays and it can be run again. Every file's
// bytes are checked against the SHA-256 and size recorded of it on the way;
// any that do not match (or are missing) fail the move with
// *MovedFilesDamagedError naming them all.
func (db *DB) MoveIn(ctx context.Context, src MoveSource, open OpenMovedFile) (MoveReport, error) {
	report := MoveReport{Rows: map[string]int64{}, NotMoved: maps.Clone(notMoved)}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return report, fmt.Errorf("postgres: move: %w", storageError(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	m := &mover{tx: tx, src: src, report: &report}
	if err := m.run(ctx, open); err != nil {
		var notEmpty *MoveTargetNotEmptyError
		var damaged *MovedFilesDamagedError
		if errors.As(err, &notEmpty) || errors.As(err, &damaged) {
			return report, err
		}
		return report, fmt.Errorf("postgres: move: %w", storageError(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return report, fmt.Errorf("postgres: move: commit: %w", storageError(err))
	}
	return report, nil
}

// mover is a move under way in its transaction.
type mover struct {
	tx     pgx.Tx
	src    MoveSource
	report *MoveReport
}

func (m *mover) run(ctx context.Context, open OpenMovedFile) error {
	// Two moves at once, or a node adding an organisation meanwhile, wait
	// for this one and then find the database not empty.
	if _, err := m.tx.Exec(ctx, "LOCK TABLE orgs IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if err := m.requireEmpty(ctx); err != nil {
		return err
	}
	plans, err := m.plan(ctx)
	if err != nil {
		return err
	}
	for _, p := range plans {
		if err := m.copyTable(ctx, p); err != nil {
			return err
		}
	}
	if err := m.moveMeta(ctx); err != nil {
		return err
	}
	for _, sql := range afterCopy {
		if _, err := m.tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("after the copy: %w", err)
		}
	}
	if err := m.setSequences(ctx); err != nil {
		return err
	}
	return m.moveFiles(ctx, open)
}

// requireEmpty refuses a database holding any row the move would write
// (meta aside, which the schema itself fills).
func (m *mover) requireEmpty(ctx context.Context) error {
	for _, table := range append(slices.Clone(movedTables), blobsTable, chunksTable, "upload_partials") {
		var found bool
		if err := m.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{table}.Sanitize()+")").Scan(&found); err != nil {
			return fmt.Errorf("is %s empty: %w", table, err)
		}
		if found {
			return &MoveTargetNotEmptyError{Table: table}
		}
	}
	return nil
}

// targetColumn is a column of this database's schema.
type targetColumn struct {
	name, dataType string
}

// schemaHere lists this database's tables with their columns, in order.
func (m *mover) schemaHere(ctx context.Context) (map[string][]targetColumn, error) {
	rows, err := m.tx.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]targetColumn{}
	for rows.Next() {
		var table string
		var c targetColumn
		if err := rows.Scan(&table, &c.name, &c.dataType); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		out[table] = append(out[table], c)
	}
	return out, rows.Err()
}

// tablePlan is how one table is copied: the SQLite columns read, and for
// each column written here, how its value comes from them.
type tablePlan struct {
	table   string
	read    []string       // SQLite's columns, as read
	columns []string       // this table's columns, as written
	fill    []columnFiller // one per column written
}

type columnFiller struct {
	from    int // index into read
	convert func(any) (any, error)
}

// plan compares the two schemas and says how each table is copied, or
// why it cannot be: every table on either side must be moved or listed in
// notMoved, and every column of a moved table must be accounted for.
func (m *mover) plan(ctx context.Context) ([]tablePlan, error) {
	here, err := m.schemaHere(ctx)
	if err != nil {
		return nil, err
	}
	there, err := m.src.Tables(ctx)
	if err != nil {
		return nil, err
	}
	special := map[string]bool{metaTable: true, blobsTable: true, chunksTable: true}
	for table := range here {
		if !slices.Contains(movedTables, table) && !special[table] && notMoved[table] == "" {
			return nil, fmt.Errorf("table %s of PostgreSQL's schema is one the move does not know: this doorstep-server cannot move into it", table)
		}
	}
	for table := range there {
		if _, ok := here[table]; !ok && notMoved[table] == "" {
			return nil, fmt.Errorf("table %s of SQLite's schema has no counterpart in PostgreSQL's and is one the move does not know: this doorstep-server cannot move it", table)
		}
	}
	var plans []tablePlan
	for _, table := range movedTables {
		p, err := planTable(table, here[table], there[table])
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// planTable matches one table's columns: each column here takes the
// SQLite column of its name, converted by its type, or follows its rule;
// every SQLite column must be taken by one of them.
func planTable(table string, here []targetColumn, there []string) (tablePlan, error) {
	p := tablePlan{table: table}
	if len(here) == 0 || len(there) == 0 {
		return p, fmt.Errorf("table %s is missing from one of the two schemas", table)
	}
	readIndex := func(column string) int {
		if i := slices.Index(p.read, column); i >= 0 {
			return i
		}
		p.read = append(p.read, column)
		return len(p.read) - 1
	}
	for _, c := range here {
		key := table + "." + c.name
		if rule, ok := columnRules[key]; ok {
			if rule.later != "" {
				continue
			}
			if !slices.Contains(there, rule.from) {
				return p, fmt.Errorf("column %s is derived from SQLite's %s.%s, which is not there", key, table, rule.from)
			}
			p.columns = append(p.columns, c.name)
			p.fill = append(p.fill, columnFiller{from: readIndex(rule.from), convert: rule.derive})
			continue
		}
		if !slices.Contains(there, c.name) {
			return p, fmt.Errorf("column %s of PostgreSQL's schema has no counterpart in SQLite's and no rule: the move does not know how to fill it", key)
		}
		convert, err := fromSQLite(c.dataType)
		if err != nil {
			return p, fmt.Errorf("column %s: %w", key, err)
		}
		p.columns = append(p.columns, c.name)
		p.fill = append(p.fill, columnFiller{from: readIndex(c.name), convert: convert})
	}
	for _, c := range there {
		if !slices.Contains(p.read, c) {
			return p, fmt.Errorf("column %s.%s of SQLite's schema has no counterpart in PostgreSQL's: the move does not know where it goes", table, c)
		}
	}
	return p, nil
}

// fromSQLite converts a value as the SQLite store keeps it into what a
// column of PostgreSQL's type takes. The meaning is the same on both
// sides (where it is not, columnRules says so); only the form differs:
// SQLite keeps times as RFC 3339 text with nanoseconds, dates as
// 'YYYY-MM-DD' text, booleans as 0 or 1, and JSON as text.
func fromSQLite(pgType string) (func(any) (any, error), error) {
	switch pgType {
	case "bigint", "integer", "smallint":
		return sqliteValue(func(v int64) (any, error) { return v, nil }), nil
	case "text":
		return sqliteValue(func(v string) (any, error) { return v, nil }), nil
	case "bytea":
		return sqliteValue(func(v []byte) (any, error) { return v, nil }), nil
	case "boolean":
		return sqliteValue(func(v int64) (any, error) {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("%d is not a boolean (0 or 1)", v)
			}
			return v == 1, nil
		}), nil
	case "timestamp with time zone":
		return sqliteValue(func(v string) (any, error) {
			t, err := parseSQLiteTime(v)
			// To the microsecond, as this store keeps every time it
			// makes: what is stored is what is read back.
			return t.Truncate(time.Microsecond), err
		}), nil
	case "date":
		return sqliteValue(func(v string) (any, error) {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", v)
			}
			return d, nil
		}), nil
	case "jsonb":
		return sqliteValue(func(v string) (any, error) {
			if !json.Valid([]byte(v)) {
				return nil, errors.New("not valid JSON")
			}
			return json.RawMessage(v), nil
		}), nil
	}
	return nil, fmt.Errorf("the move does not know PostgreSQL's type %s", pgType)
}

// sqliteValue makes a converter of values of SQLite's type T: NULL stays
// NULL (a NOT NULL column refuses it itself), any other type is refused.
func sqliteValue[T any](convert func(T) (any, error)) func(any) (any, error) {
	return func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		t, ok := v.(T)
		if !ok {
			var want T
			return nil, fmt.Errorf("SQLite holds a %T where a %T was expected", v, want)
		}
		return convert(t)
	}
}

// parseSQLiteTime reads a time as the SQLite store writes it.
func parseSQLiteTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339)", v)
	}
	return t.UTC(), nil
}

// nanosBeyondMicrosecond is what a SQLite time has below the microsecond
// that timestamptz keeps (see migration 0006).
var nanosBeyondMicrosecond = sqliteValue(func(v string) (any, error) {
	t, err := parseSQLiteTime(v)
	return int16(t.Nanosecond() % 1000), err
})

// copyTable streams one table from SQLite into this database (COPY).
func (m *mover) copyTable(ctx context.Context, p tablePlan) error {
	rows, err := m.src.Rows(ctx, p.table, p.read)
	if err != nil {
		return err
	}
	defer rows.Close()
	conv := &convertedRows{rows: rows, plan: p, out: make([]any, len(p.columns))}
	n, err := m.tx.CopyFrom(ctx, pgx.Identifier{p.table}, p.columns, conv)
	if err != nil {
		return fmt.Errorf("%s: %w", p.table, err)
	}
	m.report.Rows[p.table] = n
	m.report.Order = append(m.report.Order, p.table)
	return nil
}

// convertedRows are a SQLite table's rows converted as its plan says, for
// COPY.
type convertedRows struct {
	rows MoveRows
	plan tablePlan
	out  []any
	n    int64
}

func (c *convertedRows) Next() bool { return c.rows.Next() }

func (c *convertedRows) Values() ([]any, error) {
	c.n++
	in, err := c.rows.Values()
	if err != nil {
		return nil, fmt.Errorf("row %d: %w", c.n, err)
	}
	for i, f := range c.plan.fill {
		if c.out[i], err = f.convert(in[f.from]); err != nil {
			return nil, fmt.Errorf("row %d, column %s: %w", c.n, c.plan.columns[i], err)
		}
	}
	return c.out, nil
}

func (c *convertedRows) Err() error { return c.rows.Err() }

// moveMeta takes over the SQLite store's facts about itself, key by key,
// over those the schema made here: above all the server id, which makes
// this the same server to the clients, and the event log's floor.
func (m *mover) moveMeta(ctx context.Context) error {
	rows, err := m.src.Rows(ctx, metaTable, []string{"key", "value"})
	if err != nil {
		return err
	}
	defer rows.Close()
	type kv struct{ key, value string }
	var keep []kv
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		key, kok := v[0].(string)
		value, vok := v[1].(string)
		if !kok || !vok {
			return fmt.Errorf("meta: a key or value that is not text")
		}
		if metaNotMoved[key] == "" {
			keep = append(keep, kv{key, value})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	for _, e := range keep {
		if _, err := m.tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, e.key, e.value); err != nil {
			return fmt.Errorf("meta %s: %w", e.key, err)
		}
	}
	m.report.Rows[metaTable] = int64(len(keep))
	m.report.Order = append(m.report.Order, metaTable)
	return nil
}

// setSequences moves every id sequence of a moved table past the highest
// id copied (and past the newest id SQLite ever gave from it, for the
// event log: an id a client was told of is never given again), so the ids
// of new rows follow on and never meet a moved one.
func (m *mover) setSequences(ctx context.Context) error {
	given, err := m.src.Sequences(ctx)
	if err != nil {
		return err
	}
	rows, err := m.tx.Query(ctx, `SELECT table_name, column_name, seq FROM (
		SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq
		FROM information_schema.columns WHERE table_schema = current_schema()) c
		WHERE seq IS NOT NULL AND table_name = ANY($1)`, movedTables)
	if err != nil {
		return fmt.Errorf("sequences: %w", err)
	}
	type sequence struct{ table, column, name string }
	seqs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sequence, error) {
		var s sequence
		return s, row.Scan(&s.table, &s.column, &s.name)
	})
	if err != nil {
		return fmt.Errorf("sequences: %w", err)
	}
	for _, s := range seqs {
		var highest int64
		if err := m.tx.QueryRow(ctx, "SELECT coalesce(max("+pgx.Identifier{s.column}.Sanitize()+"), 0) FROM "+pgx.Identifier{s.table}.Sanitize()).Scan(&highest); err != nil {
			return fmt.Errorf("highest %s of %s: %w", s.column, s.table, err)
		}
		highest = max(highest, given[s.table])
		if highest == 0 {
			continue // nothing given yet: the sequence starts at 1
		}
		if _, err := m.tx.Exec(ctx, "SELECT setval($1, $2)", s.name, highest); err != nil {
			return fmt.Errorf("sequence of %s: %w", s.table, err)
		}
	}
	return nil
}

// movedFile is an uploaded file as the moved database recorded it.
type movedFile struct {
	id                  int64
	storageName, name   string
	size                int64
	sha256, contentType string
	createdAt           time.Time
}

// moveFiles copies the bytes of every file the moved database records
// into file_chunks (one COPY for them all, a chunk at a time in memory),
// checking each against its recorded size and SHA-256, then records the
// good ones in file_blobs. Any that do not match fail the move.
func (m *mover) moveFiles(ctx context.Context, open OpenMovedFile) error {
	rows, err := m.tx.Query(ctx, "SELECT id, storage_name, name, size, sha256, content_type, created_at FROM files ORDER BY id")
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	files, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*movedFile, error) {
		f := &movedFile{}
		return f, row.Scan(&f.id, &f.storageName, &f.name, &f.size, &f.sha256, &f.contentType, &f.createdAt)
	})
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	chunks := &chunkSource{files: files, open: open, buf: make([]byte, chunkSize), hash: sha256.New()}
	defer chunks.close()
	n, err := m.tx.CopyFrom(ctx, pgx.Identifier{chunksTable}, []string{"name", "n", "data"}, chunks)
	if err != nil {
		return fmt.Errorf("file chunks: %w", err)
	}
	if len(chunks.problems) > 0 {
		return &MovedFilesDamagedError{Files: chunks.problems}
	}
	m.report.Rows[chunksTable] = n
	blobs := make([][]any, len(files))
	for i, f := range files {
		blobs[i] = []any{f.storageName, f.size, f.sha256, f.contentType, f.createdAt}
		m.report.Bytes += f.size
	}
	if _, err := m.tx.CopyFrom(ctx, pgx.Identifier{blobsTable}, []string{"storage_name", "size", "sha256", "content_type", "created_at"},
		pgx.CopyFromRows(blobs)); err != nil {
		return fmt.Errorf("file blobs: %w", err)
	}
	m.report.Rows[blobsTable] = int64(len(files))
	m.report.Files = int64(len(files))
	m.report.Order = append(m.report.Order, blobsTable, chunksTable)
	return nil
}

// chunkSource reads the files one after another in chunks of chunkSize,
// the rows of file_chunks, hashing each file on the way and noting those
// that are missing or differ from their record.
type chunkSource struct {
	files []*movedFile
	open  OpenMovedFile
	buf   []byte
	hash  hash.Hash

	i     int           // the file being read
	cur   io.ReadCloser // nil: the next file is still to open
	n     int           // its next chunk's number
	read  int64         // its bytes so far
	ended bool          // its last chunk is out
	row   []any
	err   error

	problems []string
}

func (c *chunkSource) Next() bool {
	for c.err == nil && c.i < len(c.files) {
		f := c.files[c.i]
		if c.cur == nil {
			r, err := c.open(f.storageName)
			if err != nil {
				c.problems = append(c.problems, fmt.Sprintf("%s (file %d, %q): cannot be read: %v", f.storageName, f.id, f.name, err))
				c.i++
				continue
			}
			c.cur, c.n, c.read, c.ended = r, 0, 0, false
			c.hash.Reset()
		}
		if !c.ended {
			k, err := io.ReadFull(c.cur, c.buf)
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				c.ended = true
			case err != nil:
				c.err = fmt.Errorf("%s: %w", f.storageName, err)
				return false
			}
			if k > 0 {
				c.hash.Write(c.buf[:k])
				c.read += int64(k)
				// COPY encodes the row before asking for the next, so
				// the one buffer serves every chunk.
				c.row = []any{f.storageName, c.n, c.buf[:k]}
				c.n++
				return true
			}
		}
		c.cur.Close()
		c.cur = nil
		if sum := hex.EncodeToString(c.hash.Sum(nil)); c.read != f.size || sum != f.sha256 {
			c.problems = append(c.problems, fmt.Sprintf("%s (file %d, %q): its bytes are not those recorded (%d bytes, SHA-256 %s; recorded: %d bytes, %s)",
				f.storageName, f.id, f.name, c.read, sum, f.size, f.sha256))
		}
		c.i++
	}
	return false
}

func (c *chunkSource) Values() ([]any, error) { return c.row, nil }

func (c *chunkSource) Err() error { return c.err }

// close closes the file being read, when COPY stopped in its middle.
func (c *chunkSource) close() {
	if c.cur != nil {
		c.cur.Close()
		c.cur = nil
	}
}
