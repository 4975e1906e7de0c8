package simd

// checkGemmArgs panics unless the packed panels and the C tile are long
// enough for an mr x nr micro-kernel call with k steps, so that assembly
// kernels never touch memory outside the slices.
func checkGemmArgs(mr, nr, k int, a, b, c []float32, ldc int) {
	switch {
	case k < 0:
		panic("simd: gemm kernel called with negative k")
	case ldc < nr:
		panic("simd: gemm kernel called with ldc smaller than the tile width")
	case len(a) < k*mr:
		panic("simd: gemm kernel called with a packed A panel shorter than k*MR")
	case len(b) < k*nr:
		panic("simd: gemm kernel called with a packed B panel shorter than k*NR")
	case len(c) < (mr-1)*ldc+nr:
		panic("simd: gemm kernel called with a C tile shorter than (MR-1)*ldc+NR")
	}
}
