package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKSDurbinMatchesSmirnovAboveHalf(t *testing.T) {
	// For d >= 1/2 the two-sided p is exactly twice the one-sided one, so the
	// matrix method and the Smirnov sum must agree.
	for _, n := range []int{1, 2, 5, 13, 40} {
		for _, d := range []float64{0.5, 0.55, 0.7, 0.9} {
			durbin := 1 - ksDurbinCDF(n, d)
			smirnov := 2 * smirnovSurvival(n, d)
			assert.InDeltaf(t, smirnov, durbin, 1e-14, "n=%d d=%v", n, d)
		}
	}
	// n = 1: P(D_1 >= d) = 2(1 - d) for d >= 1/2.
	assert.InDelta(t, 0.6, 1-ksDurbinCDF(1, 0.7), 1e-15)
	assert.InDelta(t, 0.6, 2*smirnovSurvival(1, 0.7), 1e-15)
}

func TestKSDurbinLargeNoOverflow(t *testing.T) {
	// At n = 5000, H^n grows like n^n/n! ~ e^5000, far beyond float64:
	// the rescaling must keep it finite. Compare with Vrbik's approximation,
	// accurate to about 0.025/n = 5e-6 here.
	n := 5000
	d := 0.85 / math.Sqrt(float64(n))
	exact := 1 - ksDurbinCDF(n, d)
	require.False(t, math.IsNaN(exact))
	assert.InDelta(t, ksVrbik(n, d), exact, 5e-6)
	assert.InDelta(t, KolmogorovSurvival(0.85), exact, 0.01)
}

func TestKSTwoSidedDoubleOneSided(t *testing.T) {
	// Where ksTwoSidedSurvival returns 2 P(D+ >= d) for n > 140 (P(D+) <
	// 1e-3), it must agree with the matrix method to 1e-9 relative, well
	// above the matrix method's 1e-14 absolute floor.
	for _, n := range []int{150, 400} {
		for _, x := range []float64{1.9, 2.2, 2.6} {
			d := x / math.Sqrt(float64(n))
			p, exact := ksTwoSidedSurvival(n, d)
			require.True(t, exact)
			ref := 1 - ksDurbinCDF(n, d)
			assert.InDeltaf(t, ref, p, 1e-9*ref+1e-14, "n=%d x=%v", n, x)
		}
	}
}

func TestKSVrbikAccuracy(t *testing.T) {
	// The documented bound for the asymptotic branch: |error| < 0.025/n.
	for _, n := range []int{600, 2000, 5000} {
		for _, x := range []float64{0.4, 0.6, 0.8, 0.85, 0.9, 1.0, 1.2, 1.5, 1.9} {
			if n == 5000 && x > 1.2 {
				continue // keeps the matrix below 200 x 200 so the test stays fast
			}
			d := x / math.Sqrt(float64(n))
			exact := 1 - ksDurbinCDF(n, d)
			got := ksVrbik(n, d)
			assert.Lessf(t, math.Abs(got-exact), 0.025/float64(n), "n=%d x=%v: %v vs %v", n, x, got, exact)
		}
	}
}

func TestKSSwitchPoints(t *testing.T) {
	// n <= 140 is always exact.
	_, exact := ksTwoSidedSurvival(140, 0.2)
	assert.True(t, exact)
	// Large n near the median of D uses the asymptotic branch.
	n := 10000
	p, exact := ksTwoSidedSurvival(n, 0.9/math.Sqrt(float64(n)))
	assert.False(t, exact)
	assert.InDelta(t, KolmogorovSurvival(0.9), p, 0.005)
	// Trivial ranges.
	p, exact = ksTwoSidedSurvival(10, 0.04)
	assert.True(t, exact)
	assert.Equal(t, 1.0, p)
	p, _ = ksTwoSidedSurvival(10, 1)
	assert.Equal(t, 0.0, p)
}

func TestSmirnovSurvivalKnownValues(t *testing.T) {
	// n = 1: P(D+ >= d) = 1 - d.
	assert.InDelta(t, 0.3, smirnovSurvival(1, 0.7), 1e-15)
	// n = 2, d >= 1/2: P(D+ >= d) = (1 - d)^2.
	assert.InDelta(t, 0.09, smirnovSurvival(2, 0.7), 1e-15)
	// Large n: close to exp(-2 n d^2) (the Smirnov limit) with the usual
	// finite-n excess of a few percent.
	n := 10000
	d := 1.5 / math.Sqrt(float64(n))
	assert.InDelta(t, math.Exp(-2*1.5*1.5), smirnovSurvival(n, d), 0.002)
	assert.Equal(t, 1.0, smirnovSurvival(5, 0))
	assert.Equal(t, 0.0, smirnovSurvival(5, 1))
}
