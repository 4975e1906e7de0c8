package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The presets start from PyTorch's default initialization, as the
// reference recipe does: every weight and bias of a linear or convolution
// layer in U(-1/sqrt(fanIn), 1/sqrt(fanIn)), biases not zero.
func TestEncoderInitMatchesReference(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Arch: "mlp", Dim: 16, Hidden: 64, Input: []int{1, 12, 12}},
		{Arch: "cnn", Dim: 4, Input: []int{2, 8, 8}},
	} {
		e, err := NewEncoder(cfg, rand.New(rand.NewPCG(7, 7)))
		require.NoError(t, err)
		var fanIns []int
		for _, l := range e.Net.Layers {
			var w, b *nn.Param
			var fanIn int
			switch l := l.(type) {
			case *nn.Linear:
				w, b, fanIn = l.Weight, l.Bias, l.In
			case *nn.Conv2d:
				w, b, fanIn = l.Weight, l.Bias, l.InC*l.Kernel*l.Kernel
			default:
				continue
			}
			fanIns = append(fanIns, fanIn)
			bound := 1 / math.Sqrt(float64(fanIn))
			var sq float64
			for _, v := range w.Value.Data {
				require.LessOrEqual(t, math.Abs(float64(v)), bound, "%s weight", l.Name())
				sq += float64(v) * float64(v)
			}
			// Kaiming-uniform for ReLU would give a mean square 6 times
			// larger, 2/fanIn.
			assert.InEpsilon(t, 1/(3*float64(fanIn)), sq/float64(w.Value.Len()), 0.25, "%s weight", l.Name())
			zeros := 0
			for _, v := range b.Value.Data {
				require.LessOrEqual(t, math.Abs(float64(v)), bound, "%s bias", l.Name())
				if v == 0 {
					zeros++
				}
			}
			assert.Zero(t, zeros, "%s bias", l.Name())
		}
		if cfg.Arch == "mlp" {
			assert.Equal(t, []int{144, 64, 64}, fanIns)
		} else {
			// conv 2->32, conv 32->64 (3x3), linear 64*2*2->256, 256->4.
			assert.Equal(t, []int{18, 288, 256, 256}, fanIns)
		}
	}
}
