package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAUROCHandComputedTies(t *testing.T) {
	// Positive 2 beats negative 1, ties negative 2 and loses to 3: 1.5.
	// Positive 4 beats all three: 3. The area is 4.5 of 6 pairs.
	a, err := AUROC([]float64{1, 2, 3}, []float64{2, 4})
	require.NoError(t, err)
	assert.Equal(t, 0.75, a)

	a, err = AUROC([]float64{5, 5}, []float64{5})
	require.NoError(t, err)
	assert.Equal(t, 0.5, a, "all tied")

	a, err = AUROC([]float64{3, 4}, []float64{1, 2})
	require.NoError(t, err)
	assert.Equal(t, 0.0, a, "positives all below")
}

func TestAUROCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	neg := make([]float64, 57)
	pos := make([]float64, 31)
	// Integer scores give many ties.
	for i := range neg {
		neg[i] = float64(rng.IntN(10))
	}
	for i := range pos {
		pos[i] = float64(rng.IntN(12))
	}
	want := 0.0
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				want++
			case p == n:
				want += 0.5
			}
		}
	}
	want /= float64(len(neg) * len(pos))
	got, err := AUROC(neg, pos)
	require.NoError(t, err)
	assert.InDelta(t, want, got, 1e-15)
}

func TestAUROCInvalid(t *testing.T) {
	_, err := AUROC(nil, []float64{1})
	assert.ErrorContains(t, err, "got 0 and 1")
	_, err = AUROC([]float64{1, math.NaN()}, []float64{1})
	assert.ErrorContains(t, err, "negative score 1 is NaN")
}
