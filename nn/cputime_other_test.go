//go:build !unix

package nn

// processCPUTime returns 0: the CPU time metric needs getrusage.
func processCPUTime() int64 { return 0 }
