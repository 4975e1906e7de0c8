package simd

// GemmRowsFunc is a micro-kernel like GemmKernel.Func that reads A in
// place instead of from a packed panel: value p of row i of the tile's A
// is a[i*lda+p], for i < MR and p < k, so a must hold (MR-1)*lda+k values.
// The packed B panel, C and the handling of alpha and beta are those of
// GemmKernel.Func.
type GemmRowsFunc func(k int, alpha float32, a []float32, lda int, b []float32, beta float32, c []float32, ldc int)

// rowsKernels holds the GemmRowsFunc of each level that has one. Its tile
// is the level's Gemm.MR x Gemm.NR.
var rowsKernels [numLevels]GemmRowsFunc

// GemmRows returns the kernel of k's level that reads A in place, with the
// tile of k.Gemm, or nil when the level has none. GEMM drivers use it to
// skip packing a row-major A.
func GemmRows(k *Kernels) GemmRowsFunc {
	if k == nil || k.Level >= numLevels {
		return nil
	}
	return rowsKernels[k.Level]
}

// checkGemmRowsArgs is checkGemmArgs for a GemmRowsFunc.
func checkGemmRowsArgs(mr, nr, k int, a []float32, lda int, b, c []float32, ldc int) {
	switch {
	case k < 0:
		panic("simd: gemm kernel called with negative k")
	case lda < k:
		panic("simd: gemm kernel called with lda smaller than k")
	case ldc < nr:
		panic("simd: gemm kernel called with ldc smaller than the tile width")
	case len(a) < (mr-1)*lda+k:
		panic("simd: gemm kernel called with an A block shorter than (MR-1)*lda+k")
	case len(b) < k*nr:
		panic("simd: gemm kernel called with a packed B panel shorter than k*NR")
	case len(c) < (mr-1)*ldc+nr:
		panic("simd: gemm kernel called with a C tile shorter than (MR-1)*ldc+NR")
	}
}

// GemmColsFunc is a micro-kernel like GemmKernel.Func that reads B in
// place instead of from a packed panel: value j of row p of the tile's B
// is b[p*ldb+j], for p < k and j < NR, so b must hold (k-1)*ldb+NR values
// (none when k is 0). The packed A panel, C and the handling of alpha and
// beta are those of GemmKernel.Func, and so is the arithmetic: each value
// of C is the same chain of operations on the same values.
type GemmColsFunc func(k int, alpha float32, a []float32, b []float32, ldb int, beta float32, c []float32, ldc int)

// colsKernels holds the GemmColsFunc of each level that has one. Its tile
// is the level's Gemm.MR x Gemm.NR.
var colsKernels [numLevels]GemmColsFunc

// GemmCols returns the kernel of k's level that reads B in place, with the
// tile of k.Gemm, or nil when the level has none. GEMM drivers use it to
// skip packing a row-major B.
func GemmCols(k *Kernels) GemmColsFunc {
	if k == nil || k.Level >= numLevels {
		return nil
	}
	return colsKernels[k.Level]
}

// checkGemmColsArgs is checkGemmArgs for a GemmColsFunc.
func checkGemmColsArgs(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int) {
	switch {
	case k < 0:
		panic("simd: gemm kernel called with negative k")
	case ldb < nr:
		panic("simd: gemm kernel called with ldb smaller than the tile width")
	case ldc < nr:
		panic("simd: gemm kernel called with ldc smaller than the tile width")
	case len(a) < k*mr:
		panic("simd: gemm kernel called with a packed A panel shorter than k*MR")
	case k > 0 && len(b) < (k-1)*ldb+nr:
		panic("simd: gemm kernel called with a B block shorter than (k-1)*ldb+NR")
	case len(c) < (mr-1)*ldc+nr:
		panic("simd: gemm kernel called with a C tile shorter than (MR-1)*ldc+NR")
	}
}
