package nn

import (
	"testing"

	"github.com/nidim/nidim/tensor"
)

// BenchmarkConvReLUPool times the forward and the backward pass of each
// convolution block of the CNN benchmark model, convolution, ReLU and 2 x 2
// max pooling fused as Sequential runs them, at batch 256. The first block
// skips its input gradient, as the first layer of a model does. It reports
// samples per second.
func BenchmarkConvReLUPool(b *testing.B) {
	const batch = 256
	for _, c := range []struct {
		name          string
		inC, outC, hw int
	}{{"conv1", 1, 32, 28}, {"conv2", 32, 64, 14}} {
		b.Run(c.name, func(b *testing.B) {
			rng := tensor.NewRNG(1)
			conv, err := NewConv2d(c.inC, c.outC, 3, 1, 1, rng)
			if err != nil {
				b.Fatal(err)
			}
			pool, err := NewMaxPool2d(2, 2)
			if err != nil {
				b.Fatal(err)
			}
			conv.SetSkipInputGrad(c.inC == 1)
			x := randomTensor(newTestRNG(2), batch, c.inC, c.hw, c.hw)
			y, err := conv.forwardReLUPool(x, pool)
			if err != nil {
				b.Fatal(err)
			}
			dy := randomTensor(newTestRNG(3), y.Shape...)
			b.Run("forward", func(b *testing.B) {
				for b.Loop() {
					if _, err := conv.forwardReLUPool(x, pool); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
			b.Run("backward", func(b *testing.B) {
				for b.Loop() {
					if _, err := conv.Backward(dy); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		})
	}
}
