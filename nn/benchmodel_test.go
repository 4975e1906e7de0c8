package nn

import (
	"testing"

	"github.com/nidim/nidim/tensor"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrainStepAllocatesNothing(t *testing.T) {
	for _, model := range []string{"mlp", "cnn"} {
		t.Run(model, func(t *testing.T) {
			b, err := NewTrainStepBenchmark(model, 4, 1)
			require.NoError(t, err)
			require.NoError(t, b.Step()) // allocates the buffers
			allocs := testing.AllocsPerRun(3, func() {
				if err := b.Step(); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "allocations per steady-state step")
		})
	}
}

func TestTrainStepLowersLoss(t *testing.T) {
	for _, model := range []string{"mlp", "cnn"} {
		t.Run(model, func(t *testing.T) {
			b, err := NewTrainStepBenchmark(model, 4, 1)
			require.NoError(t, err)
			require.NoError(t, b.Step())
			first := b.Loss
			for range 5 {
				require.NoError(t, b.Step())
			}
			assert.Less(t, b.Loss, first, "Adam on sum(y^2) shrinks the output")
		})
	}
}

func BenchmarkTrainStep(b *testing.B) {
	const batch = 256
	for _, model := range []string{"mlp", "cnn"} {
		b.Run(model, func(b *testing.B) {
			s, err := NewTrainStepBenchmark(model, batch, 1)
			if err != nil {
				b.Fatal(err)
			}
			// The first steps allocate the layer buffers and grow the
			// packing buffers of tensor.Gemm.
			for range 6 {
				if err := s.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestTrainStepSameForAnyThreadCount runs two steps with one and with three
// goroutines and requires bit-identical parameters.
func TestTrainStepSameForAnyThreadCount(t *testing.T) {
	defer SetThreads(0)
	defer tensor.SetThreads(0)
	for _, model := range []string{"mlp", "cnn"} {
		t.Run(model, func(t *testing.T) {
			var runs [2][]*Param
			for i, threads := range []int{1, 3} {
				SetThreads(threads)
				tensor.SetThreads(threads)
				b, err := NewTrainStepBenchmark(model, 2*convGroups+3, 5)
				require.NoError(t, err)
				for range 2 {
					require.NoError(t, b.Step())
				}
				runs[i] = b.Model.Params()
			}
			for i, p := range runs[0] {
				require.Equal(t, p.Value.Data, runs[1][i].Value.Data, "parameter %s", p.Name)
			}
		})
	}
}

// BenchmarkMLPStepGemmOnly runs only the matrix products of the MLP step
// (forward, weight gradients, and input gradients except for the first
// layer), with the same shapes and the same split over goroutines as
// Linear, so that the time of BenchmarkTrainStep/mlp above it is what the
// layers, the loss and Adam add.
func BenchmarkMLPStepGemmOnly(b *testing.B) {
	const batch = 256
	type product struct {
		opA, opB tensor.Op
		m, n, k  int
	}
	var products []product
	widths := []int{784, 512, 512, 64}
	for i := range 3 {
		in, out := widths[i], widths[i+1]
		products = append(products,
			product{tensor.NoTrans, tensor.Trans, batch, out, in},
			product{tensor.Trans, tensor.NoTrans, out, in, batch})
		if i > 0 {
			products = append(products, product{tensor.NoTrans, tensor.NoTrans, batch, in, out})
		}
	}
	rng := newTestRNG(1)
	a := randomTensor(rng, 1<<20).Data
	c := make([]float32, 1<<20)
	var g splitGemm
	run := func() {
		for _, p := range products {
			lda, ldb := p.k, p.n
			if p.opA == tensor.Trans {
				lda = p.m
			}
			if p.opB == tensor.Trans {
				ldb = p.k
			}
			g.gemm(p.opA, p.opB, p.m, p.n, p.k, a, lda, a, ldb, 0, c)
		}
	}
	for range 6 {
		run()
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
