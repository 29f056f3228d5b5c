//go:build unix

package backend

import (
	"errors"
	"syscall"
)

// errnoTrouble maps the errors of Unix file systems that mean storage
// trouble rather than a bug.
var errnoTrouble = map[syscall.Errno]StorageTrouble{
	syscall.ENOSPC: StorageFull,
	syscall.EDQUOT: StorageFull,
	syscall.EROFS:  StorageReadOnly,
	syscall.EIO:    StorageIOError,
	syscall.EACCES: StorageDenied,
	syscall.EPERM:  StorageDenied,
}

// StorageTroubleOf tells whether err is an operating system error that
// means storage trouble (no space, quota, read-only file system, I/O error,
// permission), and which.
func StorageTroubleOf(err error) (StorageTrouble, bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "", false
	}
	t, ok := errnoTrouble[errno]
	return t, ok
}
