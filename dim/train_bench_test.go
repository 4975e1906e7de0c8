package dim

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
)

// BenchmarkTrainMLP times training steps of the default MLP encoder on
// random 28x28 images, 16 steps of batch 256 per iteration, and reports
// training samples per second.
func BenchmarkTrainMLP(b *testing.B) {
	const steps, batch = 16, 256
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(steps*batch, 784)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	data := &Dataset{X: x, Shape: []int{1, 28, 28}}
	cfg := DefaultConfig()
	cfg.Epochs = 1
	cfg.NoRecalibrate = true
	m, err := NewModel(cfg, data.Shape)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		m.Epoch = 0
		if _, _, err := Continue(context.Background(), m, data, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(steps*batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
