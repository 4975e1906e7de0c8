//go:build unix

package nn

import "syscall"

// processCPUTime returns the user and system CPU time of the process in
// nanoseconds, or 0 when getrusage fails.
func processCPUTime() int64 {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return r.Utime.Nano() + r.Stime.Nano()
}
