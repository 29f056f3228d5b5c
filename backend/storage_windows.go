//go:build windows

package backend

import (
	"errors"
	"syscall"
)

// errnoTrouble maps the Windows errors that mean storage trouble rather than
// a bug (syscall has no names for most of them).
var errnoTrouble = map[syscall.Errno]StorageTrouble{
	112:                         StorageFull,     // ERROR_DISK_FULL
	39:                          StorageFull,     // ERROR_HANDLE_DISK_FULL
	1295:                        StorageFull,     // ERROR_DISK_QUOTA_EXCEEDED
	19:                          StorageReadOnly, // ERROR_WRITE_PROTECT
	1117:                        StorageIOError,  // ERROR_IO_DEVICE
	23:                          StorageIOError,  // ERROR_CRC
	syscall.ERROR_ACCESS_DENIED: StorageDenied,
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
