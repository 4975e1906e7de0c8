package nn

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/require"
)

// TestSplitGemmMatchesSerial requires the split product to equal one
// single-goroutine tensor.Gemm bit for bit, for row and column splits and
// every transpose pair, with beta 0 and 1. The sizes with n above
// tensor.RowsInPlaceMaxN cut the columns into blocks of at most that width
// when A is not transposed.
func TestSplitGemmMatchesSerial(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	rng := newTestRNG(51)
	var g splitGemm
	for _, size := range [][3]int{{150, 70, 33}, {70, 150, 33}, {200, 200, 5}, {1, 130, 7}, {40, 520, 19}, {13, 300, 400}} {
		m, n, k := size[0], size[1], size[2]
		for _, opA := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
			for _, opB := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
				for _, beta := range []float32{0, 1} {
					name := fmt.Sprintf("%dx%dx%d %v %v beta %v", m, n, k, opA, opB, beta)
					lda, ldb := k, n
					if opA == tensor.Trans {
						lda = m
					}
					if opB == tensor.Trans {
						ldb = k
					}
					a := randomTensor(rng, m*k).Data
					b := randomTensor(rng, k*n).Data
					c0 := randomTensor(rng, m*n).Data
					want := append([]float32(nil), c0...)
					serialGemm.Gemm(opA, opB, m, n, k, 1, a, lda, b, ldb, beta, want, n)
					got := append([]float32(nil), c0...)
					g.gemm(opA, opB, m, n, k, a, lda, b, ldb, beta, got)
					require.Equal(t, want, got, name)
				}
			}
		}
	}
}
