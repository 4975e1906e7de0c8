package stats

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type eppsPulleyFixture struct {
	Meta             map[string]any       `json:"meta"`
	LimitEigenvalues map[string][]float64 `json:"limit_eigenvalues"`
	Cases            []struct {
		ID        string    `json:"id"`
		X         []float64 `json:"x"`
		Composite float64   `json:"composite"`
		Specified float64   `json:"specified"`
	} `json:"cases"`
}

func loadEppsPulleyFixture(t *testing.T) eppsPulleyFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "epps_pulley.json"))
	require.NoError(t, err)
	var f eppsPulleyFixture
	require.NoError(t, json.Unmarshal(data, &f))
	require.Equal(t, "stats/testdata/gen_extra.py", f.Meta["generator"])
	require.Len(t, f.Cases, 7)
	return f
}

// The fixture statistics come from numpy's closed form, which the generator
// checked against quadrature of the defining integral. The closed form
// cancels terms of size n down to a result of order 1, so the absolute
// agreement is limited to a few times n·1e-16.
func TestEppsPulleyFixture(t *testing.T) {
	for _, c := range loadEppsPulleyFixture(t).Cases {
		r, err := EppsPulley(c.X)
		require.NoError(t, err, c.ID)
		checkClose(t, c.ID+" composite", r.Statistic, c.Composite, 1e-15*float64(len(c.X)), 1e-12)

		spec, err := EppsPulleySpecified(c.X, MonteCarlo{Replicates: 19})
		require.NoError(t, err, c.ID)
		checkClose(t, c.ID+" specified", spec.Statistic, c.Specified, 1e-15*float64(len(c.X)), 1e-12)
		checkClose(t, c.ID+" StatGrad", EppsPulleyStatGrad(c.X, nil), c.Specified, 1e-15*float64(len(c.X)), 1e-12)
		asym, err := EppsPulleySpecifiedAsymptotic(c.X)
		require.NoError(t, err, c.ID)
		checkClose(t, c.ID+" asymptotic", asym.Statistic, c.Specified, 1e-15*float64(len(c.X)), 1e-12)
	}
}

// The sorted, blocked sum stops at pairs more than 38.6 apart, whose terms
// underflow to 0; it must equal the plain double loop even on data spread
// over a wide range, for any worker count.
func TestEppsPulleyCutoffAndWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 301)
	for i := range x {
		x[i] = 200*rng.Float64() - 100
	}
	x[7] = x[8] + 38.7 // a pair just beyond the cut-off
	want := EppsPulleyStatGrad(x, nil)
	for _, workers := range []int{1, 2, 5} {
		got := eppsPulleyStatistic(x, workers)
		checkClose(t, "statistic", got, want, 0, 1e-13)
		assert.Equal(t, eppsPulleyStatistic(x, 1), got, "workers %d changed the result", workers)
	}
}

func TestEppsPulleyStatGradFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 7, 64} {
		x := make([]float64, n)
		for i := range x {
			x[i] = 1.3*rng.NormFloat64() + 0.4
		}
		grad := make([]float64, n)
		stat := EppsPulleyStatGrad(x, grad)
		assert.Equal(t, EppsPulleyStatGrad(x, nil), stat, "n = %d: the gradient path changed T", n)
		const h = 1e-5
		for j := range x {
			orig := x[j]
			x[j] = orig + h
			up := EppsPulleyStatGrad(x, nil)
			x[j] = orig - h
			down := EppsPulleyStatGrad(x, nil)
			x[j] = orig
			numeric := (up - down) / (2 * h)
			// Central differences have error h²·T'''/6 ≈ 1e-10 plus
			// rounding of about 1e-16·n/h.
			assert.InDelta(t, numeric, grad[j], 1e-8+1e-7*math.Abs(numeric), "n = %d, component %d", n, j)
		}
	}

	// The gradient is overwritten, not added to.
	x := []float64{0.1, -0.5, 2}
	g1 := make([]float64, 3)
	EppsPulleyStatGrad(x, g1)
	g2 := []float64{100, 100, 100}
	EppsPulleyStatGrad(x, g2)
	assert.Equal(t, g1, g2)

	assert.True(t, math.IsNaN(EppsPulleyStatGrad(nil, nil)))
	assert.Panics(t, func() { EppsPulleyStatGrad(x, make([]float64, 2)) })
}

// From epGradSeriesMinN values on, EppsPulleyStatGrad sums the pairs and
// their gradient by the series: it must agree with the pairwise sums, and
// fall back to them for a value beyond epSeriesMaxAbs.
func TestEppsPulleyStatGradSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := epGradSeriesMinN + 101
	for _, c := range []struct {
		name         string
		scale, shift float64
	}{{"normal", 1, 0}, {"wide", 2.2, 0}, {"shifted", 0.7, 1.5}} {
		x := make([]float64, n)
		for i := range x {
			x[i] = max(-8, min(8, c.scale*rng.NormFloat64()+c.shift))
		}
		grad, want := make([]float64, n), make([]float64, n)
		stat := EppsPulleyStatGrad(x, grad)
		assert.Equal(t, EppsPulleyStatGrad(x, nil), stat, "%s: the gradient path changed T", c.name)
		// T is about 1 while its terms are of order n, and each way of
		// summing the pairs rounds by about 1e-16 n of a sum near n².
		checkClose(t, c.name+" statistic", stat, epStatGradPairs(x, want), 1e-16*float64(n*n), 0)
		for j := range x {
			checkClose(t, c.name+" gradient", grad[j], want[j], 1e-12, 1e-9)
		}
	}

	x := epNormalSample(n, 3)
	x[5] = 8.5
	grad, want := make([]float64, n), make([]float64, n)
	assert.Equal(t, epStatGradPairs(x, want), EppsPulleyStatGrad(x, grad))
	assert.Equal(t, want, grad)
}

func TestSlicedStatGradFiniteDifference(t *testing.T) {
	m := epNormalMatrix(12, 3, 5)
	for k := range m.Data {
		m.Data[k] = 0.8*m.Data[k] + 0.2 // off N(0, I), so the gradient is not small
	}
	dirs := RandomDirections(3, 4, 6)
	grad := make([]float64, len(m.Data))
	stat := SlicedEppsPulleyStatGrad(m, dirs, grad)
	assert.Equal(t, SlicedEppsPulleyStatGrad(m, dirs, nil), stat)
	r, err := SlicedEppsPulley(m, 4, MonteCarlo{Replicates: 9, Seed: 6})
	require.NoError(t, err)
	checkClose(t, "statistic against SlicedEppsPulley", stat, r.Statistic, 0, 1e-13)

	const h = 1e-5
	for k := range m.Data {
		orig := m.Data[k]
		m.Data[k] = orig + h
		up := SlicedEppsPulleyStatGrad(m, dirs, nil)
		m.Data[k] = orig - h
		down := SlicedEppsPulleyStatGrad(m, dirs, nil)
		m.Data[k] = orig
		numeric := (up - down) / (2 * h)
		assert.InDelta(t, numeric, grad[k], 1e-8+1e-7*math.Abs(numeric), "element %d", k)
	}

	assert.Panics(t, func() { SlicedEppsPulleyStatGrad(m, RandomDirections(2, 4, 6), nil) })
	assert.Panics(t, func() { SlicedEppsPulleyStatGrad(m, dirs, make([]float64, 5)) })
}

func TestEppsPulleyLimitEigenvalues(t *testing.T) {
	sumAndSquares := func(l []float64) (sum, squares float64) {
		for _, v := range l {
			sum += v
			squares += v * v
		}
		return sum, squares
	}
	composite := compositeEPEigenvalues()
	sum, squares := sumAndSquares(composite)
	// The limit mean ∫ K(t, t) φ(t) dt = 1 - 3/(2√3), and the variance is
	// Henze and Zirkler's with β = 1 in one dimension.
	_, hzVariance := henzeZirklerMoments(1, 1)
	checkClose(t, "composite mean", sum, 1-math.Sqrt(3)/2, 0, 1e-13)
	checkClose(t, "composite variance", 2*squares, hzVariance, 0, 1e-12)

	specified := specifiedEPEigenvalues()
	sum, squares = sumAndSquares(specified)
	checkClose(t, "specified mean", sum, 1-1/math.Sqrt(3), 0, 1e-13)
	// 2 ∫∫ K² φ φ = 2(1/√5 - 2/√8 + 1/3).
	checkClose(t, "specified variance", 2*squares, 2/math.Sqrt(5)-math.Sqrt(2)+2.0/3, 0, 1e-12)
	// The largest eigenvalue belongs to an odd eigenfunction, which the
	// even rank-one term does not touch: the second eigenvalue of the
	// Gaussian kernel exp(-(s-t)²/2) under φ, ((√5-1)/2)·((3-√5)/2) = √5 - 2.
	checkClose(t, "specified largest", specified[0], math.Sqrt(5)-2, 0, 1e-13)

	// The generator's Gauss-Hermite Nyström values.
	f := loadEppsPulleyFixture(t)
	for name, got := range map[string][]float64{"composite": composite, "specified": specified} {
		want := f.LimitEigenvalues[name]
		require.Len(t, want, 12)
		for k, w := range want {
			checkClose(t, name+" eigenvalue", got[k], w, 1e-15, 1e-10)
		}
	}
}

func TestWeightedChiSquareSurvival(t *testing.T) {
	// One term is χ²_1 scaled and k equal terms are χ²_k: exact values
	// from the incomplete gamma function. The saddlepoint approximation's
	// relative error is largest for one degree of freedom.
	cases := []struct {
		lambda []float64
		rel    float64
	}{
		{[]float64{0.5}, 0.08},
		{[]float64{2, 2, 2, 2}, 0.02},
		{[]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0.01},
	}
	for _, c := range cases {
		k := float64(len(c.lambda))
		for _, q := range []float64{0.5, 0.1, 1e-2, 1e-4, 1e-8} {
			x := c.lambda[0] * chiSquareQuantileUpper(q, k)
			got := weightedChiSquareSurvival(x, c.lambda)
			want := ChiSquareSurvival(x/c.lambda[0], k)
			assert.InEpsilon(t, want, got, c.rel, "k = %g, x = %g", k, x)
		}
	}
	// Near the mean the Edgeworth branch and the saddlepoint branch agree.
	lambda := compositeEPEigenvalues()
	mean := 1 - math.Sqrt(3)/2
	inside := weightedChiSquareSurvival(mean*(1+1e-6), lambda)
	outside := weightedChiSquareSurvival(mean*(1+1e-2), lambda)
	assert.InDelta(t, inside, weightedChiSquareSurvival(mean*(1+2e-3), lambda), 2e-3)
	assert.Greater(t, inside, outside)
	assert.Equal(t, 1.0, weightedChiSquareSurvival(0, lambda))
	assert.Equal(t, 1.0, weightedChiSquareSurvival(-1e-17, lambda))
}

// chiSquareQuantileUpper returns the x with ChiSquareSurvival(x, k) = q by
// bisection.
func chiSquareQuantileUpper(q, k float64) float64 {
	lo, hi := 0.0, 1.0
	for ChiSquareSurvival(hi, k) > q {
		hi *= 2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if ChiSquareSurvival(mid, k) > q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// A direct simulation of the limit law Σ λ_k χ²_1 checks the saddlepoint
// p-values of the composite test where they are used.
func TestEppsPulleyLimitLawSimulation(t *testing.T) {
	lambda := compositeEPEigenvalues()
	rng := rand.New(rand.NewPCG(21, 22))
	const draws = 200000
	q := make([]float64, draws)
	for i := range q {
		s := 0.0
		for _, l := range lambda {
			z := rng.NormFloat64()
			s += l * z * z
		}
		q[i] = s
	}
	for _, x := range []float64{0.05, 0.134, 0.3, 0.6, 0.9} {
		count := 0
		for _, v := range q {
			if v > x {
				count++
			}
		}
		p := float64(count) / draws
		se := math.Sqrt(p * (1 - p) / draws)
		got := weightedChiSquareSurvival(x, lambda)
		// 4 % approximation error plus 4 standard errors of simulation.
		assert.InDelta(t, p, got, 0.04*p+4*se, "P(Q > %g)", x)
	}
}

// epNormalSample and epUniformSample draw from their own PCG streams so
// that these tests do not depend on helpers of other test files.
func epNormalSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xe99))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func epUniformSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xe9a))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.Float64()
	}
	return x
}

func epNormalMatrix(n, d int, seed uint64) Matrix {
	return Matrix{N: n, D: d, Data: epNormalSample(n*d, seed)}
}

// epNullUniformity returns the KS p-value of 200 null p-values against
// U(0, 1); a correct test fails 1e-4 once in 10^4 seed sets.
func epNullUniformity(t *testing.T, test func(seed uint64) float64) float64 {
	t.Helper()
	p := make([]float64, 200)
	for i := range p {
		p[i] = test(uint64(7000 + i))
	}
	r, err := KolmogorovSmirnov(p, Uniform{0, 1}, TwoSided)
	require.NoError(t, err)
	return r.PValue
}

func TestEppsPulleyNullPValuesUniform(t *testing.T) {
	cases := []struct {
		name string
		test func(seed uint64) float64
	}{
		{"composite n20", func(seed uint64) float64 {
			r, err := EppsPulley(epNormalSample(20, seed))
			require.NoError(t, err)
			return r.PValue
		}},
		{"composite n200", func(seed uint64) float64 {
			x := epNormalSample(200, seed)
			for i := range x {
				x[i] = 3 + 0.01*x[i] // any mean and scale
			}
			r, err := EppsPulley(x)
			require.NoError(t, err)
			return r.PValue
		}},
		{"specified asymptotic n100", func(seed uint64) float64 {
			r, err := EppsPulleySpecifiedAsymptotic(epNormalSample(100, seed))
			require.NoError(t, err)
			return r.PValue
		}},
		// The Monte Carlo p-values take values k/(B+1); with B = 199
		// their steps are fine enough for the KS check.
		{"specified Monte Carlo n30", func(seed uint64) float64 {
			r, err := EppsPulleySpecified(epNormalSample(30, seed), MonteCarlo{Replicates: 199, Seed: seed, Workers: 1})
			require.NoError(t, err)
			return r.PValue
		}},
		{"sliced n40 d3", func(seed uint64) float64 {
			r, err := SlicedEppsPulley(epNormalMatrix(40, 3, seed), 4, MonteCarlo{Replicates: 99, Seed: seed, Workers: 1})
			require.NoError(t, err)
			return r.PValue
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := epNullUniformity(t, c.test)
			t.Logf("uniformity p = %.3g", u)
			assert.Greater(t, u, 1e-4)
		})
	}
}

func TestEppsPulleyPower(t *testing.T) {
	// Each test must reject at 1 % on every one of 10 seeds: the
	// composite test on uniform samples of 200, the specified test on
	// standardized exponential ones. (Standardized uniform samples of 200
	// are a hard case for the specified test: p ranged from 0.01 to 0.18.)
	for seed := uint64(0); seed < 10; seed++ {
		u := epUniformSample(200, seed)
		r, err := EppsPulley(u)
		require.NoError(t, err)
		assert.Less(t, r.PValue, 0.01, "composite, seed %d", seed)

		// A standardized exponential sample has the right mean and
		// variance, so only its shape differs from N(0, 1).
		z := make([]float64, 200)
		rng := rand.New(rand.NewPCG(seed, 0xe9b))
		for i := range z {
			z[i] = rng.ExpFloat64() - 1
		}
		spec, err := EppsPulleySpecified(z, MonteCarlo{Replicates: 199, Seed: seed})
		require.NoError(t, err)
		assert.Less(t, spec.PValue, 0.01, "specified, seed %d", seed)
	}

	// Far in the tail the saddlepoint p-value stays a number in [0, 1e-10].
	rng := rand.New(rand.NewPCG(1, 0xe9c))
	skewed := make([]float64, 2000)
	for i := range skewed {
		skewed[i] = rng.ExpFloat64()
	}
	far, err := EppsPulley(skewed)
	require.NoError(t, err)
	assert.Greater(t, far.Statistic, 5.0)
	assert.False(t, math.IsNaN(far.PValue))
	assert.GreaterOrEqual(t, far.PValue, 0.0)
	assert.Less(t, far.PValue, 1e-10)

	// A shift of 0.5 is invisible to the composite test but not to the
	// specified one.
	x := epNormalSample(200, 1)
	for i := range x {
		x[i] += 0.5
	}
	spec, err := EppsPulleySpecified(x, MonteCarlo{Replicates: 199, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 1.0/200, spec.PValue, "no replicate should reach T of a shifted sample")

	// Uniform components scaled to variance 1: every projection is
	// closer to normal than a single uniform column, and the sliced test
	// must still see it.
	m := Matrix{N: 300, D: 4, Data: epUniformSample(1200, 5)}
	for k := range m.Data {
		m.Data[k] = (m.Data[k] - 0.5) * math.Sqrt(12)
	}
	r, err := SlicedEppsPulley(m, 8, MonteCarlo{Replicates: 99, Seed: 2})
	require.NoError(t, err)
	assert.Less(t, r.PValue, 0.05)
}

func TestSlicedEppsPulleyDeterminism(t *testing.T) {
	m := epNormalMatrix(60, 5, 9)
	one, err := SlicedEppsPulley(m, 6, MonteCarlo{Replicates: 49, Seed: 4, Workers: 1})
	require.NoError(t, err)
	for _, w := range []int{2, 3} {
		got, err := SlicedEppsPulley(m, 6, MonteCarlo{Replicates: 49, Seed: 4, Workers: w})
		require.NoError(t, err)
		assert.Equal(t, one, got, "workers %d", w)
	}
	assert.Equal(t, 49, one.Replicates)
	assert.Equal(t, 60, one.UsedN)
	assert.False(t, one.Subsampled)

	// The statistic is the mean of the per-direction statistics.
	dirs := RandomDirections(5, 6, 4)
	mean := 0.0
	for k := 0; k < dirs.N; k++ {
		proj := make([]float64, m.N)
		for i := range proj {
			for j := 0; j < m.D; j++ {
				proj[i] += dirs.Row(k)[j] * m.Row(i)[j]
			}
		}
		mean += EppsPulleyStatGrad(proj, nil) / 6
		assert.InDelta(t, 1, math.Sqrt(squaredNorm(dirs.Row(k))), 1e-15, "direction %d", k)
	}
	checkClose(t, "sliced statistic", one.Statistic, mean, 0, 1e-12)

	sub, err := SlicedEppsPulley(m, 6, MonteCarlo{Replicates: 19, Seed: 4, MaxSamples: 30})
	require.NoError(t, err)
	assert.True(t, sub.Subsampled)
	assert.Equal(t, 30, sub.UsedN)
}

func TestEppsPulleySpecifiedDeterminism(t *testing.T) {
	x := epNormalSample(80, 3)
	one, err := EppsPulleySpecified(x, MonteCarlo{Replicates: 99, Seed: 8, Workers: 1})
	require.NoError(t, err)
	got, err := EppsPulleySpecified(x, MonteCarlo{Replicates: 99, Seed: 8, Workers: 3})
	require.NoError(t, err)
	assert.Equal(t, one, got)
	assert.Equal(t, 99, one.Replicates)

	sub, err := EppsPulleySpecified(x, MonteCarlo{Replicates: 9, Seed: 8, MaxSamples: 50})
	require.NoError(t, err)
	assert.True(t, sub.Subsampled)
	assert.Equal(t, 50, sub.UsedN)
}

func TestEppsPulleyErrors(t *testing.T) {
	_, err := EppsPulley([]float64{1, 2, 3})
	assert.ErrorContains(t, err, "at least 8")
	_, err = EppsPulley([]float64{1, 1, 1, 1, 1, 1, 1, 1})
	assert.ErrorContains(t, err, "all 8 values are equal")
	_, err = EppsPulley([]float64{1, 2, 3, 4, 5, 6, 7, math.NaN()})
	assert.ErrorContains(t, err, "index 7")
	_, err = EppsPulleySpecified([]float64{1}, MonteCarlo{})
	assert.ErrorContains(t, err, "at least 2")
	_, err = EppsPulleySpecified([]float64{0, math.Inf(1)}, MonteCarlo{})
	assert.ErrorContains(t, err, "index 1")
	_, err = EppsPulleySpecifiedAsymptotic([]float64{0, math.NaN()})
	assert.ErrorContains(t, err, "index 1")
	_, err = SlicedEppsPulley(epNormalMatrix(10, 2, 1), 0, MonteCarlo{})
	assert.ErrorContains(t, err, "number of directions 0")
	_, err = SlicedEppsPulley(Matrix{N: 3, D: 2, Data: make([]float64, 5)}, 2, MonteCarlo{})
	assert.Error(t, err)

	// A constant sample is a valid input of the specified tests.
	r, err := EppsPulleySpecified([]float64{2, 2, 2, 2, 2}, MonteCarlo{Replicates: 19})
	require.NoError(t, err)
	assert.Equal(t, 0.05, r.PValue)
}

func BenchmarkEppsPulleyStatGrad256(b *testing.B) {
	x := epNormalSample(256, 1)
	grad := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		EppsPulleyStatGrad(x, grad)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}

// BenchmarkEppsPulleyStatGrad4096 times the penalty's statistic and
// gradient at the match recipe's batch, where the series replaces the
// pairwise sum.
func BenchmarkEppsPulleyStatGrad4096(b *testing.B) {
	x := epNormalSample(4096, 1)
	grad := make([]float64, len(x))
	for b.Loop() {
		EppsPulleyStatGrad(x, grad)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}

func BenchmarkEppsPulley5000(b *testing.B) {
	x := epNormalSample(5000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EppsPulley(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkSlicedEppsPulleyStatGrad256x64(b *testing.B) {
	m := epNormalMatrix(256, 64, 1)
	dirs := RandomDirections(64, 16, 2)
	grad := make([]float64, len(m.Data))
	b.ReportAllocs()
	for b.Loop() {
		SlicedEppsPulleyStatGrad(m, dirs, grad)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}

// The series sum of the pairs must match the plain double loop on samples
// that reach the series' bound of |y| <= 8, where it needs the most terms,
// and on small and constant samples.
func TestEppsPulleySeriesMatchesPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	samples := map[string][]float64{"two": {0.3, -1.2}, "constant": {2, 2, 2, 2, 2}}
	normal := make([]float64, 1000)
	for i := range normal {
		normal[i] = rng.NormFloat64()
	}
	samples["normal"] = normal
	wide := make([]float64, 400)
	for i := range wide {
		wide[i] = 16*rng.Float64() - 8
	}
	wide[0], wide[1] = 8, -8
	samples["wide"] = wide

	for name, x := range samples {
		t.Run(name, func(t *testing.T) {
			_, ok := epPairSeries(x)
			require.True(t, ok)
			// The reference adds the pairs with Neumaier's compensated
			// summation, so that its own rounding stays far below the
			// series' error bound of about 1e-16 n relative to n.
			var sum, comp float64
			add := func(v float64) {
				t := sum + v
				if math.Abs(sum) >= math.Abs(v) {
					comp += (sum - t) + v
				} else {
					comp += (v - t) + sum
				}
				sum = t
			}
			n := float64(len(x))

			for j := range x {
				for k := j + 1; k < len(x); k++ {
					d := x[j] - x[k]
					add(2 * math.Exp(-0.5*d*d) / n)
				}
				add(-math.Sqrt2*math.Exp(-0.25*x[j]*x[j]) + 1/math.Sqrt(3))
			}
			want := 1 + sum + comp

			checkClose(t, "statistic", eppsPulleyStatistic(x, 2), want, 1e-13*n, 0)
		})
	}
	_, ok := epPairSeries([]float64{0, 8.01})
	assert.False(t, ok, "a value beyond 8 must take the pairwise sum")
}

// A subsample of one row passed the check of the whole sample, so energy
// against the prior and sliced Epps-Pulley reported p-values of a
// single point while energy returned an error. All three now return
// its error.
func TestMonteCarloTestsRejectOneRowSubsample(t *testing.T) {
	m := normalMatrix(50, 3, 9)
	mc := MonteCarlo{Replicates: 19, Seed: 2, MaxSamples: 1}
	_, err := EnergyNormality(m, mc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 2 rows, got 1")
	_, err = EnergyPrior(m, "gaussian", mc)
	require.Error(t, err, "energy-prior")
	assert.Contains(t, err.Error(), "at least 2 rows, got 1", "energy-prior")
	_, err = SlicedEppsPulley(m, 4, mc)
	require.Error(t, err, "sliced-epps-pulley")
	assert.Contains(t, err.Error(), "at least 2 rows, got 1", "sliced-epps-pulley")

	mc.MaxSamples = 2
	_, err = EnergyPrior(m, "gaussian", mc)
	assert.NoError(t, err, "two rows suffice")
	_, err = SlicedEppsPulley(m, 4, mc)
	assert.NoError(t, err, "two rows suffice")
}
