//go:build (!amd64 && !arm64) || purego

package simd

// cpuSupports reports whether this build can run level l: without assembly
// only the generic kernels exist.
func cpuSupports(l Level) bool {
	return l == Generic
}
