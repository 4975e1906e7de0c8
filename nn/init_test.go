package nn

import (
	"math"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UniformFanIn draws weights and biases from U(-1/sqrt(fanIn),
// 1/sqrt(fanIn)), PyTorch's default for Linear and Conv2d.
func TestUniformFanIn(t *testing.T) {
	const fanIn = 400
	w := tensor.New(50, fanIn)
	b := tensor.New(200)
	UniformFanIn(w, b, fanIn, newTestRNG(3))
	bound := 1 / math.Sqrt(fanIn)
	for _, x := range [][]float32{w.Data, b.Data} {
		var sq, top float64
		for _, v := range x {
			a := math.Abs(float64(v))
			require.LessOrEqual(t, a, bound)
			top = max(top, a)
			sq += float64(v) * float64(v)
		}
		// The variance of U(-b, b) is b^2/3. The relative standard error
		// of the mean square is about 0.6% for the 20,000 weights and 6%
		// for the 200 biases.
		assert.InEpsilon(t, bound*bound/3, sq/float64(len(x)), 0.2)
		assert.Greater(t, top, 0.95*bound, "the draws reach out to the bound")
	}

	// Weight first, then bias, from the same stream.
	w2 := tensor.New(50, fanIn)
	b2 := tensor.New(200)
	rng := newTestRNG(3)
	fillUniform(w2.Data, bound, rng)
	fillUniform(b2.Data, bound, rng)
	assert.Equal(t, w.Data, w2.Data)
	assert.Equal(t, b.Data, b2.Data)

	// Without a bias only the weight is drawn.
	w3 := tensor.New(50, fanIn)
	UniformFanIn(w3, nil, fanIn, newTestRNG(3))
	assert.Equal(t, w.Data, w3.Data)
}

// UniformFanIn's weights are sqrt(6) times smaller than KaimingUniform's
// with the ReLU gain: the same draws, scaled.
func TestUniformFanInAgainstKaiming(t *testing.T) {
	w := tensor.New(8, 10)
	UniformFanIn(w, nil, 10, newTestRNG(5))
	k := tensor.New(8, 10)
	KaimingUniform(k, 10, GainReLU, newTestRNG(5))
	for i := range w.Data {
		assert.InDelta(t, float64(k.Data[i])/math.Sqrt(6), float64(w.Data[i]), 1e-7)
	}
}
