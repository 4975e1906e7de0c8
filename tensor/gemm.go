package tensor

// Op says whether a matrix operand is used as stored or transposed.
type Op uint8

const (
	NoTrans Op = iota
	Trans
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C where op(A) is m x k, op(B)
// is k x n and C is m x n, all row-major with leading dimensions lda, ldb
// and ldc. When beta is 0, C is not read.
//
// NOTE: this is a plain triple loop that fixes the signature for the layers
// above; the blocked, packed and parallel version replaces it.
func Gemm(opA, opB Op, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if opA == NoTrans {
					av = a[i*lda+p]
				} else {
					av = a[p*lda+i]
				}
				if opB == NoTrans {
					bv = b[p*ldb+j]
				} else {
					bv = b[j*ldb+p]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
