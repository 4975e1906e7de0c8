package nn

import (
	"testing"

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
			for range 3 {
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
