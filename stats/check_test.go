package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRadixSortMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{512, 513, 1000, 5001} {
		x := make([]float64, n)
		for i := range x {
			switch i % 5 {
			case 0:
				x[i] = rng.NormFloat64() * 1e-300
			case 1:
				x[i] = -rng.ExpFloat64() * 1e200
			case 2:
				x[i] = math.Round(rng.NormFloat64()) // ties and zeros
			default:
				x[i] = rng.NormFloat64()
			}
		}
		x[3] = math.Copysign(0, -1)
		x[4] = math.Inf(1)
		x[5] = math.Inf(-1)
		x[6] = math.SmallestNonzeroFloat64
		x[7] = -math.MaxFloat64
		orig := slices.Clone(x)
		got := radixSortFloats(x)
		require.Equal(t, orig, x, "input modified")
		want := slices.Clone(x)
		slices.Sort(want)
		require.Len(t, got, n)
		for i := range got {
			// -0 and +0 compare equal; everything else must match bit for bit.
			if got[i] != want[i] {
				t.Fatalf("n=%d: index %d: got %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

func TestRadixSortConstantInput(t *testing.T) {
	x := make([]float64, 600)
	for i := range x {
		x[i] = 4.25
	}
	got := radixSortFloats(x)
	assert.Equal(t, x, got)
}

func TestCheckSampleMessages(t *testing.T) {
	x := normalSample(30, 11)
	x[17] = math.NaN()
	err := checkSample(x, 2, 0, "ks")
	require.EqualError(t, err, "stats: ks: value NaN at index 17: remove or impute missing values first")

	x[17] = math.Inf(-1)
	err = checkSample(x, 2, 0, "ks")
	require.EqualError(t, err, "stats: ks: value -Inf at index 17: remove or clip infinite values first")

	err = checkSample([]float64{1, 2}, 3, 5000, "shapiro-wilk")
	require.EqualError(t, err, "stats: shapiro-wilk: need 3 to 5000 values, got 2")

	err = checkSample(make([]float64, 5001), 3, 5000, "shapiro-wilk")
	require.EqualError(t, err, "stats: shapiro-wilk: need 3 to 5000 values, got 5001")

	err = checkSample([]float64{1, 2, 3}, 8, 0, "anderson-darling")
	require.EqualError(t, err, "stats: anderson-darling: need at least 8 values, got 3")

	constant := make([]float64, 30)
	for i := range constant {
		constant[i] = 4.2
	}
	err = checkSample(constant, 8, 0, "anderson-darling")
	require.EqualError(t, err, "stats: anderson-darling: all 30 values are equal (4.2): the test needs spread")

	require.NoError(t, checkSample([]float64{1, 1, 2}, 3, 5000, "shapiro-wilk"))
}

func TestClampProbability(t *testing.T) {
	assert.Equal(t, 0.0, clampProbability(-1e-12))
	assert.Equal(t, 1.0, clampProbability(1.0000001))
	assert.Equal(t, 0.25, clampProbability(0.25))
	assert.True(t, math.IsNaN(clampProbability(math.NaN())))
}
