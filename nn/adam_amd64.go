//go:build !purego

package nn

import "github.com/nidim/nidim/simd"

// adamAVX2 is adamGeneric on 8 elements at a time, with fused multiply-adds;
// len(p) must be a multiple of 8.
//
//go:noescape
func adamAVX2(p, g, m, v []float32, c *adamConstants)

// adamUpdate runs the AVX2 loop when the active SIMD level has AVX2 and FMA,
// and adamGeneric on the remaining elements.
func adamUpdate(p, g, m, v []float32, c *adamConstants) {
	if simd.Active().Level < simd.AVX2 {
		adamGeneric(p, g, m, v, c)
		return
	}
	n := len(p) &^ 7
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if n > 0 {
		adamAVX2(p[:n], g[:n], m[:n], v[:n], c)
	}
	adamGeneric(p[n:], g[n:], m[n:], v[n:], c)
}
