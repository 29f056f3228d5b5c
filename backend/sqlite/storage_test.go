package sqlite

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"

	"doorstep/backend"
)

func TestStorageTrouble(t *testing.T) {
	for _, c := range []struct {
		err  error
		want backend.StorageTrouble // "" for not storage trouble
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.EDQUOT}, backend.StorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync, SystemErrno: syscall.EIO}, backend.StorageIOError},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrShortRead}, backend.StorageIOError},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EROFS}, backend.StorageReadOnly},
		{sqlite3.Error{Code: sqlite3.ErrReadonly, ExtendedCode: sqlite3.ErrReadonlyDbMoved}, backend.StorageReadOnly},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, backend.StorageBusy},
		{sqlite3.Error{Code: sqlite3.ErrLocked}, backend.StorageBusy},
		{sqlite3.Error{Code: sqlite3.ErrCantOpen}, backend.StorageCannotOpen},
		{sqlite3.Error{Code: sqlite3.ErrCorrupt}, backend.StorageCorrupt},
		{sqlite3.Error{Code: sqlite3.ErrNotADB}, backend.StorageCorrupt},
		{fmt.Errorf("insert message: %w", sqlite3.Error{Code: sqlite3.ErrFull}), backend.StorageFull},
		{syscall.ENOSPC, backend.StorageFull},
		// Not storage trouble: a bug or the caller's doing.
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, ""},
		{sqlite3.Error{Code: sqlite3.ErrError}, ""},
		{sqlite3.Error{Code: sqlite3.ErrInterrupt}, ""},
		{context.Canceled, ""},
		{errors.New("boom"), ""},
	} {
		err := storageError(c.err)
		var se *backend.StorageError
		got := backend.StorageTrouble("")
		if errors.As(err, &se) {
			got = se.Trouble
		}
		if got != c.want {
			t.Errorf("%v: trouble %q, want %q", c.err, got, c.want)
			continue
		}
		if c.want == "" {
			if err != c.err {
				t.Errorf("%v: changed to %v", c.err, err)
			}
			continue
		}
		if backend.ErrorCode(err) != backend.EUNAVAILABLE || backend.RetryAfter(err) < 1 || backend.ErrorMessage(err) == "" {
			t.Errorf("%v: answered %q %q after %ds; want unavailable with a sentence and a wait", c.err,
				backend.ErrorCode(err), backend.ErrorMessage(err), backend.RetryAfter(err))
		}
		if !errors.Is(err, c.err) {
			t.Errorf("%v: the cause is no longer in the chain", c.err)
		}
	}
}
