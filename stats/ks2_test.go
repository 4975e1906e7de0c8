package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fractionalSequence returns n values frac(i a + c) * scale + shift, a
// deterministic sample spread over [shift, shift + scale).
func fractionalSequence(n int, a, c, scale, shift float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		_, f := math.Modf(float64(i)*a + c)
		x[i] = f*scale + shift
	}
	return x
}

// The statistics and exact p-values are scipy 1.10.1's
// stats.ks_2samp(x, y, method="exact") on the same samples.
func TestKolmogorovSmirnov2MatchesScipy(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		d, p float64
		pTol float64
	}{
		{"5 vs 7", fractionalSequence(5, 0.6180339887, 0.1, 1, 0), fractionalSequence(7, 0.4142135623, 0.05, 1, 0),
			0.3142857142857143, 0.8383838383838382, 1e-12},
		{"20 vs 30", fractionalSequence(20, 0.6180339887, 0, 1, 0), fractionalSequence(30, 0.7320508075, 0.3, 1, 0.2),
			0.26666666666666666, 0.32377010436582404, 1e-10},
		{"60 vs 45", fractionalSequence(60, 0.6180339887, 0, 1, 0), fractionalSequence(45, 0.7320508075, 0.3, 1.5, 0),
			0.3388888888888889, 0.004185361256442244, 1e-12},
		{"200 vs 150 shifted", fractionalSequence(200, 0.6180339887, 0, 1, 0), fractionalSequence(150, 0.7320508075, 0.3, 1, 0.1),
			0.11, 0.23559555858896164, 1e-10},
	}
	for _, c := range cases {
		r, err := KolmogorovSmirnov2(c.x, c.y)
		require.NoError(t, err, c.name)
		assert.InDelta(t, c.d, r.Statistic, 1e-12, c.name)
		assert.InDelta(t, c.p, r.PValue, c.pTol, c.name)
		swapped, err := KolmogorovSmirnov2(c.y, c.x)
		require.NoError(t, err, c.name)
		assert.InDelta(t, r.PValue, swapped.PValue, 1e-12, "%s: the test is symmetric", c.name)
	}
}

// Ties within and across the samples are counted together: with x = (1,
// 1, 2) and y = (1, 2, 2) the cdfs differ by 1/3 after 1 and agree after
// 2, and the identical samples give D = 0 and p = 1.
func TestKolmogorovSmirnov2Ties(t *testing.T) {
	r, err := KolmogorovSmirnov2([]float64{1, 1, 2}, []float64{2, 1, 2})
	require.NoError(t, err)
	assert.InDelta(t, 1.0/3, r.Statistic, 1e-15)
	r, err = KolmogorovSmirnov2([]float64{3, 3, 3}, []float64{3, 3})
	require.NoError(t, err)
	assert.Equal(t, Result{Statistic: 0, PValue: 1}, r)
}

// Separated samples reach the largest D, whose p-value is the chance
// that one sample comes first in the ordering, 2 / C(n + m, n).
func TestKolmogorovSmirnov2Separated(t *testing.T) {
	x := fractionalSequence(8, 0.6180339887, 0, 1, 0)
	y := fractionalSequence(6, 0.6180339887, 0, 1, 5)
	r, err := KolmogorovSmirnov2(x, y)
	require.NoError(t, err)
	assert.Equal(t, 1.0, r.Statistic)
	assert.InDelta(t, 2.0/3003, r.PValue, 1e-15) // C(14, 6) = 3003
}

// The large-sample approximation agrees with the exact p-value where both
// can be computed.
func TestKolmogorovSmirnov2Asymptotic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float64, 2000), make([]float64, 1500)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64() + 0.08
	}
	a, b := sortedCopy(x), sortedCopy(y)
	gap := ks2Gap(a, b)
	d := float64(gap) / (2000 * 1500)
	exact := ks2Exact(2000, 1500, gap)
	e := 2000.0 * 1500 / 3500
	approx := KolmogorovSurvival((math.Sqrt(e) + 0.12 + 0.11/math.Sqrt(e)) * d)
	t.Logf("D %.4f, exact p %.5g, approximate p %.5g", d, exact, approx)
	assert.InDelta(t, exact, approx, 0.005)
	assert.Greater(t, exact, 1e-4)
	assert.Less(t, exact, 0.5)
}

func TestKolmogorovSmirnov2Errors(t *testing.T) {
	_, err := KolmogorovSmirnov2(nil, []float64{1})
	assert.ErrorContains(t, err, "ks-2samp (first sample): need at least 1 values, got 0")
	_, err = KolmogorovSmirnov2([]float64{1}, []float64{0, math.NaN()})
	assert.ErrorContains(t, err, "ks-2samp (second sample): value NaN at index 1")
}

// BenchmarkKolmogorovSmirnov2Exact5000 times the exact p-value of two
// samples of 5,000, the halves of a 10,000-row test split in nidim eval.
func BenchmarkKolmogorovSmirnov2Exact5000(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, 5000), make([]float64, 5000)
	for i := range x {
		x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for b.Loop() {
		if _, err := KolmogorovSmirnov2(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/test")
}

// The exact p-value walks along the larger sample, so its two rows have
// the length of the smaller one. One value against a million allocates
// the sorted copy of the larger sample (8 MB) and the radix sort's keys
// (16 MB at most), and rows along the larger sample would add 16 MB.
func TestKolmogorovSmirnov2MemorySmallSample(t *testing.T) {
	y := fractionalSequence(1_000_000, 0.6180339887, 0, 1, 0)
	x := []float64{0.5}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := KolmogorovSmirnov2(x, y)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	// One value splits the other sample near its median, so D is about
	// 1/2, and almost every ordering reaches at least as much.
	assert.InDelta(t, 0.5, r.Statistic, 1e-5)
	assert.InDelta(t, 1, r.PValue, 1e-5)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32e6))
}
