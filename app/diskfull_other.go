//go:build !windows

package app

import "syscall"

// diskFullErrnos are the system's answers for a full disk or quota.
var diskFullErrnos = []error{syscall.ENOSPC, syscall.EDQUOT}
