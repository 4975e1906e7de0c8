package dim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func uniformRows(rng *rand.Rand, n, size int) *tensor.Tensor {
	x := tensor.New(n, size)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	return x
}

// TestEncoderBatchSizeChanges takes a training step at one batch size and
// then embeds and recalibrates with others, as nidim train does before its
// evaluation, for both presets.
func TestEncoderBatchSizeChanges(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Arch: "cnn", Dim: 4, Input: []int{1, 28, 28}},
		{Arch: "mlp", Dim: 4, Hidden: 32, Input: []int{1, 28, 28}},
	} {
		t.Run(cfg.Arch, func(t *testing.T) {
			e, err := NewEncoder(cfg, rand.New(rand.NewPCG(3, 4)))
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(5, 6))
			size := e.InputSize()

			// A training step on two stacked views of batch 8.
			e.Norm.Groups = 2
			y, err := e.Forward(uniformRows(rng, 16, size), true)
			require.NoError(t, err)
			dy := tensor.New(y.Shape...)
			for i := range dy.Data {
				dy.Data[i] = float32(rng.NormFloat64())
			}
			require.NoError(t, e.Backward(dy))
			e.Norm.Groups = 1

			// Recalibration gives the statistics of the body outputs, here
			// computed by the layers one by one, unfused.
			const n = 30
			x := uniformRows(rng, n, size)
			require.NoError(t, e.Recalibrate(x, 1000))
			h := x
			if cfg.Arch == "cnn" {
				h = &tensor.Tensor{Shape: []int{n, 1, 28, 28}, Data: x.Data}
			}
			layers := e.Net.Layers
			for _, l := range layers[:len(layers)-1] {
				h, err = l.Forward(h, false)
				require.NoError(t, err)
			}
			require.Equal(t, []int{n, cfg.Dim}, h.Shape)
			mean := make([]float64, cfg.Dim)
			variance := make([]float64, cfg.Dim)
			meanVar(h.Data, n, cfg.Dim, mean, variance)
			for k := range mean {
				assert.InDelta(t, mean[k], e.Norm.RunningMean.Value.Data[k], 1e-6*(1+math.Abs(mean[k])), "mean %d", k)
				assert.InDelta(t, variance[k], e.Norm.RunningVar.Value.Data[k], 1e-6*(1+variance[k]), "variance %d", k)
				assert.Greater(t, variance[k], 0.0, "component %d varies over the samples", k)
			}
			runningMean := append([]float32(nil), e.Norm.RunningMean.Value.Data...)
			require.NoError(t, e.Recalibrate(x, 7))
			assert.Equal(t, runningMean, e.Norm.RunningMean.Value.Data, "the chunk size does not change the statistics")

			// Embeddings do not depend on the chunk size, and after
			// recalibration they are standardized, up to the variance
			// v/(v+eps) that Eps leaves.
			z, err := e.Embed(x, 1000)
			require.NoError(t, err)
			require.Equal(t, []int{n, cfg.Dim}, z.Shape)
			for _, batch := range []int{5, 13, 1} {
				zb, err := e.Embed(x, batch)
				require.NoError(t, err, "batch %d", batch)
				assert.Equal(t, z.Data, zb.Data, "batch %d", batch)
			}
			meanVar(z.Data, n, cfg.Dim, mean, variance)
			for k := range mean {
				assert.InDelta(t, 0, mean[k], 1e-4, "component %d mean", k)
				assert.InDelta(t, standardizedVariance(e.Norm, k), variance[k], 1e-4, "component %d variance", k)
			}

			// Training resumes at yet another batch size.
			e.Norm.Groups = 2
			defer func() { e.Norm.Groups = 1 }()
			y, err = e.Forward(uniformRows(rng, 10, size), true)
			require.NoError(t, err)
			require.NoError(t, e.Backward(tensor.New(y.Shape...)))
		})
	}
}

// TestTrainCNNThenEmbed trains the cnn preset on a few MNIST-shaped images
// and embeds them, the path of nidim train --encoder cnn.
func TestTrainCNNThenEmbed(t *testing.T) {
	const n = 48
	rng := rand.New(rand.NewPCG(7, 8))
	data := &Dataset{X: uniformRows(rng, n, 784), Shape: []int{1, 28, 28}}
	cfg := tinyConfig()
	cfg.Encoder = "cnn"
	cfg.Dim = 4
	cfg.Sigma = 1
	cfg.Batch = 16
	cfg.Epochs = 1
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	require.True(t, m.Calibrated)
	z, err := m.Embed(data.X, 1000)
	require.NoError(t, err)
	require.Equal(t, []int{n, 4}, z.Shape)
	mean := make([]float64, 4)
	variance := make([]float64, 4)
	meanVar(z.Data, n, 4, mean, variance)
	for k := range mean {
		assert.InDelta(t, 0, mean[k], 1e-4, "component %d mean", k)
		assert.InDelta(t, standardizedVariance(m.Encoder.Norm, k), variance[k], 1e-4, "component %d variance", k)
	}
}

// standardizedVariance returns v/(v+Eps), the variance of component k
// after normalization with running variance v, when v is the exact
// variance of the input. It is 1 for v much larger than Eps, but the
// presets start with outputs that vary by 1e-3 or less on these inputs.
func standardizedVariance(l *Normalize, k int) float64 {
	v := float64(l.RunningVar.Value.Data[k])
	return v / (v + l.Eps)
}
