//go:build !amd64

package stats

// mulAdd returns s + x*y as the Go compiler compiles it for this
// architecture: fused into one rounding on arm64, like simd.PanelDot64.
func mulAdd(s, x, y float64) float64 {
	return s + x*y
}
