package postgres

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"doorstep/backend"
)

// Storage trouble is told apart from bugs in one place, as in the SQLite
// store: every error from PostgreSQL or the way to it that means the
// database cannot serve (a full disk, a server shutting down or out of
// reach, too many connections, a lock waited on too long, a standby that
// only reads, damaged data) becomes a *backend.StorageError, answered as
// unavailable with a sentence and a Retry-After. The driver's error stays
// in the chain for the log (and for constraint checks).

// storageTrouble classifies an error from pgx.
func storageTrouble(err error) (backend.StorageTrouble, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return sqlStateTrouble(pgErr.Code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr):
		return backend.StorageUnreachable, true
	case pgconn.Timeout(err) && !errors.Is(err, context.Canceled):
		return backend.StorageBusy, true
	case errors.Is(err, context.DeadlineExceeded):
		return backend.StorageBusy, true
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, pgconn.ErrConnClosed):
		return backend.StorageUnreachable, true
	}
	return backend.StorageTroubleOf(err)
}

// sqlStateTrouble classifies PostgreSQL's error codes (SQLSTATE, see the
// manual's appendix "PostgreSQL Error Codes"): the classes of resources,
// system errors, operator intervention, connection exceptions and
// internal errors, and the few others that are the database's trouble
// rather than the request's.
func sqlStateTrouble(code string) (backend.StorageTrouble, bool) {
	switch code {
	case "53100": // disk_full
		return backend.StorageFull, true
	case "25006": // read_only_sql_transaction: a standby, or a database set to read only
		return backend.StorageReadOnly, true
	case "42501": // insufficient_privilege
		return backend.StorageDenied, true
	case "40001", "40P01", "55P03", "55006", "57014", "53300":
		// serialization_failure, deadlock_detected, lock_not_available,
		// object_in_use, query_canceled (a timeout), too_many_connections
		return backend.StorageBusy, true
	case "XX001", "XX002": // data_corrupted, index_corrupted
		return backend.StorageCorrupt, true
	case "3D000", "28000", "28P01": // no such database; the server refuses our role or password
		return backend.StorageCannotOpen, true
	}
	switch code[:2] {
	case "08", "57": // connection exception; operator intervention (shutdown, cannot connect now)
		return backend.StorageUnreachable, true
	case "58": // system error (I/O) outside PostgreSQL
		return backend.StorageIOError, true
	case "53": // insufficient resources (out of memory, a configured limit)
		return backend.StorageFailed, true
	}
	return "", false
}

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

// sqlState is the SQLSTATE of a server error in err's chain, "" for none.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// constraint is the name of the constraint a server error in err's chain
// broke, "" for none.
func constraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)
