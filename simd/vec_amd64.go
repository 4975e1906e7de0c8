//go:build !purego

package simd

// The assembly kernels below follow the generic versions in generic.go, with
// two differences. Dot and Sum add in a different order, and Dot and Axpy
// fuse the multiply and add, so their results differ from the generic ones
// by rounding only. Max returns the quiet NaN 0x7fc00000 when any element is
// NaN, where the generic version returns the last NaN in x. The assembly
// trusts slice lengths, which vecAsm.install checks before each call.

// Implemented in vec_avx2_amd64.s.

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

//go:noescape
func scaleAVX2(alpha float32, x []float32)

//go:noescape
func addAVX2(dst, x, y []float32)

//go:noescape
func subAVX2(dst, x, y []float32)

//go:noescape
func mulAVX2(dst, x, y []float32)

//go:noescape
func sumAVX2(x []float32) float32

//go:noescape
func maxAVX2(x []float32) float32

//go:noescape
func reluAVX2(dst, x []float32)

//go:noescape
func reluBackwardAVX2(dx, dy, x []float32)

// Implemented in vec_avx512_amd64.s.

//go:noescape
func dotAVX512(x, y []float32) float32

//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

//go:noescape
func scaleAVX512(alpha float32, x []float32)

//go:noescape
func addAVX512(dst, x, y []float32)

//go:noescape
func subAVX512(dst, x, y []float32)

//go:noescape
func mulAVX512(dst, x, y []float32)

//go:noescape
func sumAVX512(x []float32) float32

//go:noescape
func maxAVX512(x []float32) float32

//go:noescape
func reluAVX512(dst, x []float32)

//go:noescape
func reluBackwardAVX512(dx, dy, x []float32)

func init() {
	avx2 := vecAsm{
		dot: dotAVX2, axpy: axpyAVX2, scale: scaleAVX2,
		add: addAVX2, sub: subAVX2, mul: mulAVX2,
		sum: sumAVX2, max: maxAVX2,
		relu: reluAVX2, reluBackward: reluBackwardAVX2,
	}
	avx512 := vecAsm{
		dot: dotAVX512, axpy: axpyAVX512, scale: scaleAVX512,
		add: addAVX512, sub: subAVX512, mul: mulAVX512,
		sum: sumAVX512, max: maxAVX512,
		relu: reluAVX512, reluBackward: reluBackwardAVX512,
	}
	overrides[AVX2] = append(overrides[AVX2], avx2.install)
	overrides[AVX512] = append(overrides[AVX512], avx512.install)
}
