//go:build !unix

package main

import "time"

// processCPU returns 0 where getrusage is not available, so the CPU time
// per input reads 0.
func processCPU() time.Duration { return 0 }
