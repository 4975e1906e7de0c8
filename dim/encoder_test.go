package dim

import (
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncoderPresetShapes(t *testing.T) {
	for _, c := range []struct {
		cfg    EncoderConfig
		params int
	}{
		// 784*512+512 + 512*512+512 + 512*4+4
		{EncoderConfig{Arch: "mlp", Dim: 4, Input: []int{1, 28, 28}}, 784*512 + 512 + 512*512 + 512 + 512*4 + 4},
		{EncoderConfig{Arch: "mlp", Dim: 2, Hidden: 16, Input: []int{10}}, 10*16 + 16 + 16*16 + 16 + 16*2 + 2},
		// conv 1->32: 288+32, conv 32->64: 18432+64, linear 3136->256, 256->8
		{EncoderConfig{Arch: "cnn", Dim: 8, Input: []int{1, 28, 28}}, 288 + 32 + 18432 + 64 + 3136*256 + 256 + 256*8 + 8},
		// 3 x 10 x 13 images pool to 2 x 3, so the linear layer takes 64*6.
		{EncoderConfig{Arch: "cnn", Dim: 2, Input: []int{3, 10, 13}, Squash: true}, 864 + 32 + 18432 + 64 + 384*256 + 256 + 256*2 + 2},
	} {
		e, err := NewEncoder(c.cfg, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err, "%+v", c.cfg)
		total := 0
		for _, p := range e.Net.Params() {
			total += p.Value.Len()
		}
		assert.Equal(t, c.params, total, "%+v", c.cfg)

		const n = 6
		x := tensor.New(n, e.InputSize())
		rng := rand.New(rand.NewPCG(2, 2))
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		e.Norm.Groups = 2
		y, err := e.Forward(x, true)
		require.NoError(t, err)
		require.Equal(t, []int{n, c.cfg.Dim}, y.Shape)
		if c.cfg.Squash {
			for _, v := range y.Data {
				require.True(t, v > 0 && v < 1)
			}
		}
		dy := tensor.New(n, c.cfg.Dim)
		dy.Fill(0.5)
		dy.Data[0] = -1
		require.NoError(t, e.Backward(dy))
		nonzero := false
		for _, v := range e.Net.Params()[0].Grad.Data {
			if v != 0 {
				nonzero = true
				break
			}
		}
		assert.True(t, nonzero, "the first layer receives a gradient")
	}
}

func TestEncoderInvalid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		cfg  EncoderConfig
		want string
	}{
		{EncoderConfig{Arch: "resnet", Dim: 2, Input: []int{4}}, "unknown encoder"},
		{EncoderConfig{Arch: "cnn", Dim: 2, Input: []int{784}}, "needs image input"},
		{EncoderConfig{Arch: "cnn", Dim: 2, Input: []int{1, 3, 3}}, "too small"},
		{EncoderConfig{Arch: "mlp", Dim: 0, Input: []int{4}}, "dimension 0"},
		{EncoderConfig{Arch: "mlp", Dim: 2, Input: []int{4, 4}}, "input shape"},
	} {
		_, err := NewEncoder(c.cfg, rng)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
	e, err := NewEncoder(EncoderConfig{Arch: "mlp", Dim: 2, Hidden: 4, Input: []int{3}}, rng)
	require.NoError(t, err)
	_, err = e.Forward(tensor.New(2, 4), false)
	assert.ErrorContains(t, err, "want [N 3]")
}

// minWeights is a lower bound of the weights that NewEncoder allocates,
// for both presets and for the default hidden width.
func TestMinWeightsBound(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Arch: "mlp", Dim: 4, Hidden: 8, Input: []int{6}},
		{Arch: "mlp", Dim: 3, Input: []int{1, 5, 5}},
		{Arch: "cnn", Dim: 2, Input: []int{1, 28, 28}},
		{Arch: "cnn", Dim: 8, Input: []int{3, 9, 7}},
	} {
		enc, err := NewEncoder(cfg, rand.New(rand.NewPCG(1, 2)))
		require.NoError(t, err)
		weights := 0
		for _, p := range enc.Net.Params() {
			weights += len(p.Value.Data)
		}
		bound := minWeights(cfg)
		assert.Positive(t, bound, "%+v", cfg)
		assert.LessOrEqual(t, bound, float64(weights), "%+v", cfg)
		assert.Greater(t, bound, 0.5*float64(weights), "%+v: the bound should be of the right size", cfg)
	}
}
