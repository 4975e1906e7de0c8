//go:build !purego

package simd

// Implemented in vec64_amd64.s; each handles whole blocks of 8 elements.

//go:noescape
func axpy64AVX2(alpha float64, x, y []float64)

//go:noescape
func axpy64AVX512(alpha float64, x, y []float64)

//go:noescape
func addMul4AVX2(dst, x, m []float64, stride int)

//go:noescape
func addMul4AVX512(dst, x, m []float64, stride int)

//go:noescape
func subFrom64AVX2(dst []float64, c float64, h []float64)

//go:noescape
func subFrom64AVX512(dst []float64, c float64, h []float64)

//go:noescape
func scale64AVX2(alpha float64, x []float64)

//go:noescape
func scale64AVX512(alpha float64, x []float64)

func init() {
	overrides[AVX2] = append(overrides[AVX2], func(k *Kernels) {
		k.Axpy64 = axpy64Blocks(axpy64AVX2)
		k.AddMul4 = addMul4Blocks(addMul4AVX2)
		k.SubFrom64 = subFrom64Blocks(subFrom64AVX2)
		k.Scale64 = scale64Blocks(scale64AVX2)
	})
	overrides[AVX512] = append(overrides[AVX512], func(k *Kernels) {
		k.Axpy64 = axpy64Blocks(axpy64AVX512)
		k.AddMul4 = addMul4Blocks(addMul4AVX512)
		k.SubFrom64 = subFrom64Blocks(subFrom64AVX512)
		k.Scale64 = scale64Blocks(scale64AVX512)
	})
}
