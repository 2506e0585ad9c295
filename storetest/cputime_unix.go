//go:build unix

package storetest

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user and system),
// which, unlike the wall clock, other programs on the machine do not
// inflate.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
