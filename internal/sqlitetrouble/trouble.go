// Package sqlitetrouble tells, in an error of mattn/go-sqlite3, storage
// trouble (a full disk, a read-only or failing disk, a database locked or
// damaged) from a bug, in the domain's terms. The server's store and the
// desktop's cache both ask it, so a full disk is unavailable on both sides
// and never internal.
package sqlitetrouble

import (
	"errors"

	"github.com/mattn/go-sqlite3"

	"doorstep/backend"
)

// Of tells whether err (or an error it wraps) means storage trouble, and
// which; an operating system error (ENOSPC, EROFS, ...) counts too.
func Of(err error) (backend.StorageTrouble, bool) {
	var e sqlite3.Error
	if !errors.As(err, &e) {
		return backend.StorageTroubleOf(err)
	}
	switch e.Code {
	case sqlite3.ErrFull:
		return backend.StorageFull, true
	case sqlite3.ErrIoErr:
		// An I/O error may carry the system's reason: ENOSPC while
		// growing a file is a full disk, not a failing one.
		if t, ok := backend.StorageTroubleOf(e.SystemErrno); ok {
			return t, true
		}
		return backend.StorageIOError, true
	case sqlite3.ErrReadonly:
		return backend.StorageReadOnly, true
	case sqlite3.ErrPerm:
		return backend.StorageDenied, true
	case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrProtocol:
		return backend.StorageBusy, true
	case sqlite3.ErrCantOpen:
		return backend.StorageCannotOpen, true
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		// Not a bug, and not something a caller can fix: the file has to
		// be restored or rebuilt.
		return backend.StorageCorrupt, true
	}
	return "", false
}
