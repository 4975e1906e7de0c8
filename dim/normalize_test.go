package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNormalizeGradient checks Backward against central differences of
// the scalar sum(w * y) with random weights w, in training mode with two
// groups and in inference mode, with and without the squashing.
func TestNormalizeGradient(t *testing.T) {
	const n, d = 8, 3
	for _, squash := range []bool{false, true} {
		for _, train := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(11, 12))
			l, err := NewNormalize(d, squash)
			require.NoError(t, err)
			l.Groups = 2
			for k := 0; k < d; k++ {
				l.RunningMean.Value.Data[k] = float32(rng.NormFloat64())
				l.RunningVar.Value.Data[k] = float32(0.5 + rng.Float64())
			}
			x := tensor.New(n, d)
			w := tensor.New(n, d)
			for i := range x.Data {
				x.Data[i] = float32(2*rng.NormFloat64() + 1)
				w.Data[i] = float32(rng.NormFloat64())
			}
			mean0 := append([]float32(nil), l.RunningMean.Value.Data...)
			var0 := append([]float32(nil), l.RunningVar.Value.Data...)
			objective := func() float64 {
				y, err := l.Forward(x, train)
				require.NoError(t, err)
				s := 0.0
				for i, v := range y.Data {
					s += float64(v) * float64(w.Data[i])
				}
				// Keep the running statistics fixed across evaluations.
				copy(l.RunningMean.Value.Data, mean0)
				copy(l.RunningVar.Value.Data, var0)
				return s
			}
			objective()
			dx, err := l.Backward(w)
			require.NoError(t, err)
			grad := append([]float32(nil), dx.Data...)
			for i := range x.Data {
				orig := x.Data[i]
				x.Data[i] = orig + 1e-2
				hi, up := objective(), float64(x.Data[i])
				x.Data[i] = orig - 1e-2
				lo, down := objective(), float64(x.Data[i])
				x.Data[i] = orig
				numeric := (hi - lo) / (up - down)
				assert.InDelta(t, numeric, float64(grad[i]), 2e-3+2e-3*math.Abs(numeric), "squash %v train %v element %d", squash, train, i)
			}
		}
	}
}

func TestNormalizeGroupsAndStatistics(t *testing.T) {
	l, err := NewNormalize(2, false)
	require.NoError(t, err)
	l.Groups = 2
	// Group 0 has column means (2, 10), group 1 has (-4, 0); each group is
	// standardized by its own statistics.
	x, _ := tensor.FromSlice([]float32{1, 9, 3, 11, -5, -1, -3, 1}, 4, 2)
	y, err := l.Forward(x, true)
	require.NoError(t, err)
	for i, want := range []float32{-1, -1, 1, 1, -1, -1, 1, 1} {
		assert.InDelta(t, want, y.Data[i], 1e-4)
	}
	// The running mean moved by Momentum times the average group mean,
	// (2 - 4)/2 = -1 and (10 + 0)/2 = 5; the unbiased variance is 2 in
	// every group and column.
	assert.InDelta(t, 0.1*-1, l.RunningMean.Value.Data[0], 1e-6)
	assert.InDelta(t, 0.1*5, l.RunningMean.Value.Data[1], 1e-6)
	assert.InDelta(t, 0.9+0.1*2, l.RunningVar.Value.Data[0], 1e-6)

	_, err = l.Forward(tensor.New(3, 2), true)
	assert.ErrorContains(t, err, "do not split into 2")

	require.NoError(t, l.SetStatistics(x))
	assert.InDelta(t, -1, l.RunningMean.Value.Data[0], 1e-6)
	assert.InDelta(t, 10, l.RunningVar.Value.Data[0], 1e-5) // biased variance of 1, 3, -5, -3

	sq, err := NewNormalize(2, true)
	require.NoError(t, err)
	sq.Groups = 2
	y, err = sq.Forward(x, true)
	require.NoError(t, err)
	assert.InDelta(t, 0.5*math.Erfc(1/math.Sqrt2), y.Data[0], 1e-3) // Phi of the standardized value -1
}
