//go:build !purego

package simd

func init() {
	overrides[AVX2] = append(overrides[AVX2], func(k *Kernels) {
		k.Gemm = GemmKernel{MR: 6, NR: 16, Func: gemm6x16AVX2Checked}
	})
	rowsKernels[AVX2] = gemm6x16RowsAVX2Checked
	overrides[AVX512] = append(overrides[AVX512], func(k *Kernels) {
		k.Gemm = GemmKernel{MR: 12, NR: 32, Func: gemm12x32AVX512Checked}
	})
	rowsKernels[AVX512] = gemm12x32RowsAVX512Checked
	colsKernels[AVX512] = gemm12x32ColsAVX512Checked
}

// gemm6x16AVX2 is gemmGeneric with a 6 x 16 tile: it sets
// c[i*ldc+j] = alpha*sum(a[p*6+i]*b[p*16+j] for p < k) + beta*c[i*ldc+j]
// for i < 6 and j < 16, and does not read c when beta is 0. The caller
// checks the slice lengths.
//
//go:noescape
func gemm6x16AVX2(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)

// gemm12x32AVX512 is gemm6x16AVX2 with a 12 x 32 tile.
//
//go:noescape
func gemm12x32AVX512(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)

func gemm6x16AVX2Checked(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int) {
	checkGemmArgs(6, 16, k, a, b, c, ldc)
	gemm6x16AVX2(k, alpha, a, b, beta, c, ldc)
}

func gemm12x32AVX512Checked(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int) {
	checkGemmArgs(12, 32, k, a, b, c, ldc)
	gemm12x32AVX512(k, alpha, a, b, beta, c, ldc)
}

// gemm12x32RowsAVX512 is gemm12x32AVX512 as a GemmRowsFunc: it reads row i
// of A from a[i*lda:].
//
//go:noescape
func gemm12x32RowsAVX512(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int)

func gemm12x32RowsAVX512Checked(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int) {
	checkGemmRowsArgs(12, 32, k, a, lda, b, c, ldc)
	gemm12x32RowsAVX512(k, alpha, a, lda, b, beta, c, ldc)
}

// gemm6x16RowsAVX2 is gemm6x16AVX2 as a GemmRowsFunc: it reads row i of A
// from a[i*lda:].
//
//go:noescape
func gemm6x16RowsAVX2(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int)

func gemm6x16RowsAVX2Checked(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int) {
	checkGemmRowsArgs(6, 16, k, a, lda, b, c, ldc)
	gemm6x16RowsAVX2(k, alpha, a, lda, b, beta, c, ldc)
}

// gemm12x32ColsAVX512 is gemm12x32AVX512 as a GemmColsFunc: it reads row p
// of B from b[p*ldb:].
//
//go:noescape
func gemm12x32ColsAVX512(k int, alpha float32, a, b []float32, ldb int, beta float32, c []float32, ldc int)

func gemm12x32ColsAVX512Checked(k int, alpha float32, a, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemmColsArgs(12, 32, k, a, b, ldb, c, ldc)
	gemm12x32ColsAVX512(k, alpha, a, b, ldb, beta, c, ldc)
}
