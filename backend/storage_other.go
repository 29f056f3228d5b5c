//go:build !unix && !windows

package backend

// StorageTroubleOf tells whether err is an operating system error that
// means storage trouble; where the system's error numbers are not known, it
// never does.
func StorageTroubleOf(err error) (StorageTrouble, bool) { return "", false }
