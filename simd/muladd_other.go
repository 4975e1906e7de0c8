//go:build !amd64

package simd

// mulAdd64 returns s + x*y as the Go compiler compiles it for this
// architecture: fused into one rounding on arm64, like the NEON kernels.
func mulAdd64(s, x, y float64) float64 {
	return s + x*y
}
