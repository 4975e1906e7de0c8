//go:build !purego

package simd

// Implemented in panel64_amd64.s; each computes len(g0)/8 groups.

//go:noescape
func panelDot64AVX2(g0, g1, a0, a1, panel []float64)

//go:noescape
func panelDot64AVX512(g0, g1, a0, a1, panel []float64)

func init() {
	overrides[AVX2] = append(overrides[AVX2], func(k *Kernels) {
		k.PanelDot64 = panelDot64Groups(panelDot64AVX2)
	})
	overrides[AVX512] = append(overrides[AVX512], func(k *Kernels) {
		k.PanelDot64 = panelDot64Groups(panelDot64AVX512)
	})
}
