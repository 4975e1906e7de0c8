//go:build !purego

package simd

// The assembly kernels below follow the generic versions in generic.go,
// except that Dot and Sum add in a different order and Dot and Axpy fuse
// the multiply and add, so their results differ from the generic ones by
// rounding only. Max returns a NaN when any element is NaN, as the generic
// version does, but not always the same NaN. Callers must pass slices of
// the lengths that the Kernels fields require, and vecAsm.install checks them.

// Implemented in vec_neon_arm64.s.

//go:noescape
func dotNEON(x, y []float32) float32

//go:noescape
func axpyNEON(alpha float32, x, y []float32)

//go:noescape
func scaleNEON(alpha float32, x []float32)

//go:noescape
func addNEON(dst, x, y []float32)

//go:noescape
func subNEON(dst, x, y []float32)

//go:noescape
func mulNEON(dst, x, y []float32)

//go:noescape
func sumNEON(x []float32) float32

//go:noescape
func maxNEON(x []float32) float32

//go:noescape
func reluNEON(dst, x []float32)

//go:noescape
func reluBackwardNEON(dx, dy, x []float32)

func init() {
	neon := vecAsm{
		dot: dotNEON, axpy: axpyNEON, scale: scaleNEON,
		add: addNEON, sub: subNEON, mul: mulNEON,
		sum: sumNEON, max: maxNEON,
		relu: reluNEON, reluBackward: reluBackwardNEON,
	}
	overrides[NEON] = append(overrides[NEON], neon.install)
}
