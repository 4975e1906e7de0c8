//go:build !purego

package simd

// cpuSupports reports whether this CPU can run level l. Advanced SIMD is a
// mandatory part of ARMv8-A, so every arm64 CPU that Go runs on has NEON.
func cpuSupports(l Level) bool {
	return l == Generic || l == NEON
}
