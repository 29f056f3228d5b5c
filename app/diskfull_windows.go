package app

import "syscall"

// diskFullErrnos are Windows' answers for a full disk: ERROR_HANDLE_DISK_FULL
// (39) and ERROR_DISK_FULL (112).
var diskFullErrnos = []error{syscall.Errno(39), syscall.Errno(112)}
