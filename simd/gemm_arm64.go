//go:build !purego

package simd

func init() {
	overrides[NEON] = append(overrides[NEON], func(k *Kernels) {
		k.Gemm = GemmKernel{MR: 8, NR: 12, Func: gemm8x12NEONChecked}
	})
}

// gemm8x12NEON is gemmGeneric with an 8 x 12 tile: it sets
// c[i*ldc+j] = alpha*sum(a[p*8+i]*b[p*12+j] for p < k) + beta*c[i*ldc+j]
// for i < 8 and j < 12, and does not read c when beta is 0. The caller
// checks the slice lengths.
//
//go:noescape
func gemm8x12NEON(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)

func gemm8x12NEONChecked(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int) {
	checkGemmArgs(8, 12, k, a, b, c, ldc)
	gemm8x12NEON(k, alpha, a, b, beta, c, ldc)
}
