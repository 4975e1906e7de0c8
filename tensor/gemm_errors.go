package tensor

// Panic messages of Gemm. Each names the argument and the rule it breaks;
// they are programmer errors, so Gemm panics instead of returning them.
const (
	errGemmOp       = "tensor: Gemm: op is neither NoTrans nor Trans"
	errGemmNegative = "tensor: Gemm: m, n and k must not be negative"
	errGemmLda      = "tensor: Gemm: lda is smaller than the row width of A (k for NoTrans, m for Trans)"
	errGemmLdb      = "tensor: Gemm: ldb is smaller than the row width of B (n for NoTrans, k for Trans)"
	errGemmLdc      = "tensor: Gemm: ldc is smaller than n"
	errGemmShortA   = "tensor: Gemm: a is shorter than its dimensions and lda require"
	errGemmShortB   = "tensor: Gemm: b is shorter than its dimensions and ldb require"
	errGemmShortC   = "tensor: Gemm: c is shorter than m, n and ldc require"
)

// checkGemmArgs panics with one of the messages above when the arguments
// of Gemm do not describe valid matrices.
func checkGemmArgs(opA, opB Op, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if opA > Trans || opB > Trans {
		panic(errGemmOp)
	}
	if m < 0 || n < 0 || k < 0 {
		panic(errGemmNegative)
	}
	rowsA, colsA := m, k
	if opA == Trans {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if opB == Trans {
		rowsB, colsB = n, k
	}
	switch {
	case lda < max(1, colsA):
		panic(errGemmLda)
	case ldb < max(1, colsB):
		panic(errGemmLdb)
	case ldc < max(1, n):
		panic(errGemmLdc)
	case len(a) < matrixLen(rowsA, colsA, lda):
		panic(errGemmShortA)
	case len(b) < matrixLen(rowsB, colsB, ldb):
		panic(errGemmShortB)
	case len(c) < matrixLen(m, n, ldc):
		panic(errGemmShortC)
	}
}

// matrixLen returns the number of values a rows x cols matrix with leading
// dimension ld spans: the last row needs only cols values.
func matrixLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}
