package dim

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
)

// BenchmarkTrainMLP times training steps of the MLP encoder on random
// 28x28 images with the settings of each recipe: 16 steps of batch 256
// (reference) and 4 steps of batch 4096 (match) per iteration. It reports
// training samples per second.
func BenchmarkTrainMLP(b *testing.B) {
	for _, c := range []struct {
		name   string
		config func() Config
		steps  int
	}{{"reference", DefaultConfig, 16}, {"match", MatchingConfig, 4}} {
		b.Run(c.name, func(b *testing.B) { benchmarkTraining(b, c.config(), c.steps) })
	}
}

// BenchmarkTrainCNN is BenchmarkTrainMLP for the CNN encoder with the
// reference recipe: 4 steps of batch 256 on random 28x28 images per
// iteration, two views of each. It reports training samples per second.
func BenchmarkTrainCNN(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Encoder = "cnn"
	benchmarkTraining(b, cfg, 4)
}

// benchmarkTraining times one epoch of cfg per iteration on steps batches
// of random 28x28 images, without recalibration, and reports training
// samples per second.
func benchmarkTraining(b *testing.B, cfg Config, steps int) {
	n := steps * cfg.Batch
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(n, 784)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	data := &Dataset{X: x, Shape: []int{1, 28, 28}}
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
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkObjective times one evaluation with gradients of each loss at
// the batch and dimension of a recipe: the symmetric InfoNCE of the
// reference at B = 256 and the one-sided loss of the match recipe at
// B = 4096, both at d = 4. dv runs at both batches, and infonce at 4096
// too, which shows the cost of dv over the B x B work it shares with
// infonce. It reports scores per second.
func BenchmarkObjective(b *testing.B) {
	for _, c := range []struct {
		name  string
		bound Bound
		batch int
	}{
		{"infonce/B=256", BoundInfoNCE, 256}, {"infonce-rows/B=4096", BoundInfoNCERows, 4096},
		{"dv/B=256", BoundDV, 256}, {"infonce/B=4096", BoundInfoNCE, 4096}, {"dv/B=4096", BoundDV, 4096},
	} {
		b.Run(c.name, func(b *testing.B) {
			const d = 4
			rng := rand.New(rand.NewPCG(2, 2))
			y1 := make([]float32, c.batch*d)
			y2 := make([]float32, c.batch*d)
			for i := range y2 {
				y2[i] = float32(rng.NormFloat64())
				y1[i] = y2[i] + 0.5*float32(rng.NormFloat64())
			}
			dy1, dy2 := make([]float32, len(y1)), make([]float32, len(y2))
			o := &Objective{Critic: CriticEuclidean, Bound: c.bound, LogTau: -1.386, SelfWeight: 0.5}
			for b.Loop() {
				if _, err := o.Evaluate(y1, y2, c.batch, d, dy1, dy2); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch*c.batch)*float64(b.N)/b.Elapsed().Seconds(), "scores/s")
		})
	}
}
