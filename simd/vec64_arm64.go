//go:build !purego

package simd

// Implemented in vec64_arm64.s; each handles whole blocks of 8 elements.

//go:noescape
func axpy64NEON(alpha float64, x, y []float64)

//go:noescape
func addMul4NEON(dst, x, m []float64, stride int)

//go:noescape
func subFrom64NEON(dst []float64, c float64, h []float64)

//go:noescape
func scale64NEON(alpha float64, x []float64)

func init() {
	overrides[NEON] = append(overrides[NEON], func(k *Kernels) {
		k.Axpy64 = axpy64Blocks(axpy64NEON)
		k.AddMul4 = addMul4Blocks(addMul4NEON)
		k.SubFrom64 = subFrom64Blocks(subFrom64NEON)
		k.Scale64 = scale64Blocks(scale64NEON)
	})
}
