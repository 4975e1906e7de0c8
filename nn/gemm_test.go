package nn

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSplitGemmMatchesSerial requires the split product to equal one
// single-goroutine tensor.Gemm bit for bit, for row and column splits and
// every transpose pair, with beta 0 and 1. The sizes with n above
// tensor.RowsInPlaceMaxN cut the columns into blocks of at most that width
// when A is not transposed, and with 8 goroutines the rows as well.
func TestSplitGemmMatchesSerial(t *testing.T) {
	defer SetThreads(0)
	rng := newTestRNG(51)
	var g splitGemm
	for _, threads := range []int{3, 8} {
		SetThreads(threads)
		testSplitGemmSizes(t, rng, &g, threads)
	}
}

// A product with an empty C, as of an empty batch, computes nothing. On
// more than one goroutine it used to slice C past its end.
func TestSplitGemmEmpty(t *testing.T) {
	defer SetThreads(0)
	SetThreads(4)
	var g splitGemm
	b := make([]float32, 7*300)
	for _, size := range [][2]int{{0, 300}, {300, 0}, {0, 0}} {
		m, n := size[0], size[1]
		for _, opA := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
			for _, opB := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
				lda, ldb := 7, max(n, 1)
				if opA == tensor.Trans {
					lda = max(m, 1)
				}
				if opB == tensor.Trans {
					ldb = 7
				}
				assert.NotPanics(t, func() {
					g.gemmThen(opA, opB, m, n, 7, make([]float32, m*7), lda, b[:7*n], ldb, 0, nil, func(r0, r1, c0, c1 int) {
						t.Errorf("%dx%d %v %v: epilogue called on rows %d-%d, columns %d-%d", m, n, opA, opB, r0, r1, c0, c1)
					})
				}, "%dx%d %v %v", m, n, opA, opB)
			}
		}
	}
}

func testSplitGemmSizes(t *testing.T, rng *rand.Rand, g *splitGemm, threads int) {
	for _, size := range [][3]int{{150, 70, 33}, {70, 150, 33}, {200, 200, 5}, {1, 130, 7}, {40, 520, 19}, {13, 300, 400}, {101, 300, 17}} {
		m, n, k := size[0], size[1], size[2]
		for _, opA := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
			for _, opB := range []tensor.Op{tensor.NoTrans, tensor.Trans} {
				for _, beta := range []float32{0, 1} {
					name := fmt.Sprintf("%d threads, %dx%dx%d %v %v beta %v", threads, m, n, k, opA, opB, beta)
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

// TestSplitGemmInPlaceUsesEveryThread requires a product that reads A in
// place to give each of 8 goroutines a block of C: 512 columns make only 4
// column blocks, so the rows must be cut too. It counts the blocks that the
// epilogue gets, and checks that they tile C exactly once and that none is
// wider than tensor.Gemm reads A in place for.
func TestSplitGemmInPlaceUsesEveryThread(t *testing.T) {
	if simd.GemmRows(simd.Active()) == nil {
		t.Skipf("level %v has no kernel that reads A in place", simd.Active().Level)
	}
	defer SetThreads(0)
	SetThreads(8)
	const m, n, k = 512, 512, 3
	rng := newTestRNG(52)
	a, b := randomTensor(rng, m*k).Data, randomTensor(rng, n*k).Data
	c := make([]float32, m*n)
	var mu sync.Mutex
	blocks, widest := 0, 0
	covered := make([]int, m*n)
	var g splitGemm
	g.gemmThen(tensor.NoTrans, tensor.Trans, m, n, k, a, k, b, k, 0, c, func(r0, r1, c0, c1 int) {
		mu.Lock()
		defer mu.Unlock()
		blocks++
		widest = max(widest, c1-c0)
		for i := r0; i < r1; i++ {
			for j := c0; j < c1; j++ {
				covered[i*n+j]++
			}
		}
	})
	require.GreaterOrEqual(t, blocks, 8, "blocks of C for 8 goroutines")
	require.LessOrEqual(t, widest, tensor.RowsInPlaceMaxN, "columns of the widest block")
	for i, v := range covered {
		require.Equal(t, 1, v, "times element %d of C was in a block", i)
	}
}

// TestLinearMatchesSerialSteps requires a Linear layer with a fused ReLU,
// run on three goroutines, to give bit for bit the values of its steps
// done one after the other on one goroutine. Forward, those are the
// product, the bias added to each row and ReLU. Backward, they are the
// masked output gradient, its rows added to the bias gradient in order,
// and the weight and input gradients. Outputs of 300 and 600 columns are cut into blocks
// of the width at which tensor.Gemm reads A in place, 37 and 8 rows into
// row blocks. CI runs it at every SIMD level through NIDIM_SIMD.
func TestLinearMatchesSerialSteps(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	k := simd.Active()
	for _, size := range [][3]int{{37, 70, 300}, {8, 33, 600}, {150, 40, 20}} {
		n, in, out := size[0], size[1], size[2]
		name := fmt.Sprintf("%d rows, Linear(%d, %d)", n, in, out)
		rng := newTestRNG(uint64(n))
		l, err := NewLinear(in, out, rng)
		require.NoError(t, err)
		for i := range l.Bias.Value.Data {
			l.Bias.Value.Data[i] = float32(rng.NormFloat64())
		}
		x := randomTensor(rng, n, in)
		dy := randomTensor(rng, n, out)

		y, err := l.forwardReLU(x, true)
		require.NoError(t, err)
		want := make([]float32, n*out)
		serialGemm.Gemm(tensor.NoTrans, tensor.Trans, n, out, in, 1, x.Data, in, l.Weight.Value.Data, in, 0, want, out)
		for i := range n {
			row := want[i*out : (i+1)*out]
			k.Add(row, row, l.Bias.Value.Data)
			k.ReLU(row, row)
		}
		require.Equal(t, want, y.Data, "%s: output", name)

		dx, err := l.Backward(dy)
		require.NoError(t, err)
		masked := make([]float32, n*out)
		k.ReLUBackward(masked, dy.Data, want)
		biasGrad := make([]float32, out)
		for i := range n {
			k.Add(biasGrad, biasGrad, masked[i*out:(i+1)*out])
		}
		weightGrad := make([]float32, out*in)
		serialGemm.Gemm(tensor.Trans, tensor.NoTrans, out, in, n, 1, masked, out, x.Data, in, 1, weightGrad, in)
		wantDx := make([]float32, n*in)
		serialGemm.Gemm(tensor.NoTrans, tensor.NoTrans, n, in, out, 1, masked, out, l.Weight.Value.Data, in, 0, wantDx, in)
		require.Equal(t, biasGrad, l.Bias.Grad.Data, "%s: bias gradient", name)
		require.Equal(t, weightGrad, l.Weight.Grad.Data, "%s: weight gradient", name)
		require.Equal(t, wantDx, dx.Data, "%s: input gradient", name)
	}
}
