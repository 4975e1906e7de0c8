//go:build !purego

package simd

// Implemented in panel64_arm64.s; computes len(g0)/8 groups with fused
// multiply-adds, as the Go compiler compiles s += x*y on arm64.
//
//go:noescape
func panelDot64NEON(g0, g1, a0, a1, panel []float64)

func init() {
	overrides[NEON] = append(overrides[NEON], func(k *Kernels) {
		k.PanelDot64 = panelDot64Groups(panelDot64NEON)
	})
}
