//go:build !purego

package simd

// Implemented in vec64_arm64.s; each handles whole blocks of 8 elements.

//go:noescape
func axpy64NEON(alpha float64, x, y []float64)

//go:noescape
func addMul4NEON(dst, x, m []float64, stride int)

func init() {
	overrides[NEON] = append(overrides[NEON], func(k *Kernels) {
		k.Axpy64 = axpy64Blocks(axpy64NEON)
		k.AddMul4 = addMul4Blocks(addMul4NEON)
	})
}
