package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latticeSample returns n values on the lattice offset + k·spacing inside
// [0, 1], each moved by uniform jitter of half-width jitter and clipped to
// [0, 1].
func latticeSample(n int, spacing, offset, jitter float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e1d))
	points := int(math.Floor((1-offset)/spacing)) + 1
	x := make([]float64, n)
	for i := range x {
		v := offset + float64(rng.IntN(points))*spacing + jitter*(2*rng.Float64()-1)
		x[i] = min(1, max(0, v))
	}
	return x
}

func TestGridArtefactsUniformPasses(t *testing.T) {
	// Each of the 15 samples runs two tests at the 1 % level of Finding,
	// so about one in four seed sets has a chance rejection. The p-values
	// are therefore held to 1e-3, and the wording to 12 clean findings of 15.
	clean := 0
	for _, eps := range []float64{0.05, 0.03, 0.0123} {
		for seed := uint64(0); seed < 5; seed++ {
			r, err := GridArtefacts(epUniformSample(5000, seed+100), eps)
			require.NoError(t, err)
			assert.Greater(t, r.ChiSquare.PValue, 1e-3, "eps %g seed %d chi-square", eps, seed)
			assert.Greater(t, r.Rayleigh.PValue, 1e-3, "eps %g seed %d periodicity", eps, seed)
			assert.NotContains(t, r.Finding, "cluster on a lattice")
			if r.ChiSquare.PValue >= gridAlpha && r.Rayleigh.PValue >= gridAlpha {
				assert.Contains(t, r.Finding, "No grid artefact")
				clean++
			}
			assert.True(t, r.Resolved, "eps %g: 5000 values allow bins of eps/2", eps)
			assert.LessOrEqual(t, r.BinWidth, eps/2)
			assert.Equal(t, 2*eps, r.Spacing)
		}
	}
	assert.GreaterOrEqual(t, clean, 12)
}

func TestGridArtefactsNullPValuesUniform(t *testing.T) {
	// 0.05 has 1/(2·eps) = 10 periods in [0, 1]; 0.0371 has 13.5, where
	// the phases of uniform data are not uniform and the exact moments
	// must correct for it.
	for _, eps := range []float64{0.05, 0.0371} {
		chi := make([]float64, 200)
		periodic := make([]float64, 200)
		for i := range chi {
			r, err := GridArtefacts(epUniformSample(100, uint64(300+i)), eps)
			require.NoError(t, err)
			chi[i] = r.ChiSquare.PValue
			periodic[i] = r.Rayleigh.PValue
		}
		// The chi-square p-values are discrete with 20 bins of 5
		// expected values, so only the periodicity p-values are checked
		// for uniformity. The chi-square ones must not pile up near 0.
		ks, err := KolmogorovSmirnov(periodic, Uniform{0, 1}, TwoSided)
		require.NoError(t, err)
		assert.Greater(t, ks.PValue, 1e-4, "eps %g periodicity p-values", eps)
		small := 0
		for _, p := range chi {
			if p < 0.05 {
				small++
			}
		}
		assert.LessOrEqual(t, small, 20, "eps %g: %d of 200 chi-square p-values below 0.05", eps, small)
	}
}

// Without the exact null moments, the plain Rayleigh statistic 2n R̄² would
// reject uniform data when the period does not divide [0, 1]; the
// corrected statistic must not.
func TestGridArtefactsNonDividingPeriod(t *testing.T) {
	eps := 0.3 // 1/(2·eps) = 1.67 periods: E cos θ and E sin θ are far from 0
	x := epUniformSample(20000, 1)
	r, err := GridArtefacts(x, eps)
	require.NoError(t, err)
	plain := 2 * float64(len(x)) * r.MeanResultant * r.MeanResultant
	assert.Greater(t, plain, 1000.0, "the plain Rayleigh statistic is biased here")
	assert.Greater(t, r.Rayleigh.PValue, 1e-3)
}

func TestGridArtefactsDetectsLattice(t *testing.T) {
	for _, c := range []struct {
		eps, offset, jitter float64
	}{
		{0.05, 0, 0.01},
		{0.05, 0.037, 0.02},
		{0.02, 0.011, 0.004},
	} {
		x := latticeSample(2000, 2*c.eps, c.offset, c.jitter, 7)
		r, err := GridArtefacts(x, c.eps)
		require.NoError(t, err)
		assert.Less(t, r.Rayleigh.PValue, 1e-10, "%+v periodicity", c)
		assert.Less(t, r.ChiSquare.PValue, 1e-10, "%+v chi-square", c)
		assert.Greater(t, r.MeanResultant, 0.5, "%+v", c)
		// The offset is found to within the jitter, modulo the spacing.
		d := math.Mod(r.Offset-c.offset+3*r.Spacing, r.Spacing)
		assert.Less(t, min(d, r.Spacing-d), c.jitter, "%+v offset %g", c, r.Offset)
		assert.Contains(t, r.Finding, "lattice of spacing")
	}
}

func TestGridArtefactsCoarseBins(t *testing.T) {
	// 60 values allow 12 bins, but eps = 0.02 wants 100.
	x := latticeSample(60, 0.04, 0.01, 0.003, 3)
	r, err := GridArtefacts(x, 0.02)
	require.NoError(t, err)
	assert.Equal(t, 12, r.Bins)
	assert.False(t, r.Resolved)
	assert.Contains(t, r.Finding, "bins are coarse")
	assert.Contains(t, r.Finding, "500 values would")
	// The periodicity test does not depend on bins and still sees the
	// lattice.
	assert.Less(t, r.Rayleigh.PValue, 1e-6)
}

func TestGridArtefactsColumns(t *testing.T) {
	m := Matrix{N: 500, D: 2, Data: make([]float64, 1000)}
	lattice := latticeSample(500, 0.1, 0, 0.005, 4)
	uniform := epUniformSample(500, 4)
	for i := 0; i < m.N; i++ {
		m.Data[2*i] = uniform[i]
		m.Data[2*i+1] = lattice[i]
	}
	rs, err := GridArtefactsColumns(m, 0.05)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Greater(t, rs[0].Rayleigh.PValue, 1e-3)
	assert.Less(t, rs[1].Rayleigh.PValue, 1e-10)

	m.Data[5] = 1.5
	_, err = GridArtefactsColumns(m, 0.05)
	assert.ErrorContains(t, err, "column 1")
}

func TestGridArtefactsErrors(t *testing.T) {
	x := epUniformSample(100, 1)
	for _, eps := range []float64{0, -0.1, 0.5, math.NaN(), math.Inf(1)} {
		_, err := GridArtefacts(x, eps)
		assert.ErrorContains(t, err, "invalid noise half-width", "eps %v", eps)
	}
	_, err := GridArtefacts(x[:9], 0.05)
	assert.ErrorContains(t, err, "at least 10 values")
	y := append([]float64(nil), x...)
	y[4] = -0.01
	_, err = GridArtefacts(y, 0.05)
	assert.ErrorContains(t, err, "index 4 is outside [0, 1]")
	y[4] = math.NaN()
	_, err = GridArtefacts(y, 0.05)
	assert.ErrorContains(t, err, "index 4")

	// The ends of [0, 1] are valid and x = 1 falls in the last bin.
	y[4], y[5] = 0, 1
	_, err = GridArtefacts(y, 0.05)
	assert.NoError(t, err)
}

// mixedLatticeSample returns n values of which a share frac lie on a
// lattice of spacing 2·eps with small jitter, the others uniform on [0, 1].
func mixedLatticeSample(n int, eps, frac float64, seed uint64) []float64 {
	lattice := latticeSample(n, 2*eps, 0, 0.1*eps, seed)
	uniform := epUniformSample(n, seed)
	rng := rand.New(rand.NewPCG(seed, 0x51))
	x := make([]float64, n)
	for i := range x {
		x[i] = uniform[i]
		if rng.Float64() < frac {
			x[i] = lattice[i]
		}
	}
	return x
}

// The wording follows the effect size, not only the p-value: a faint lean
// that a large sample makes significant is not called the discrete input.
func TestGridArtefactsFindingFollowsEffectSize(t *testing.T) {
	for _, c := range []struct {
		frac       float64
		minR, maxR float64
		want, not  string
	}{
		{0.04, 0.01, gridWeakResultant, "Weak lattice periodicity", "discrete input that is optimal for uniform noise, so"},
		{0.3, gridWeakResultant, gridStrongResultant, "Partial lattice periodicity", "cluster on a lattice"},
		{0.9, gridStrongResultant, 1, "The values cluster on a lattice of spacing 0.1", "periodicity ("},
	} {
		r, err := GridArtefacts(mixedLatticeSample(20000, 0.05, c.frac, 11), 0.05)
		require.NoError(t, err)
		assert.Less(t, r.Rayleigh.PValue, gridAlpha, "share %g", c.frac)
		assert.Greater(t, r.MeanResultant, c.minR, "share %g", c.frac)
		assert.Less(t, r.MeanResultant, c.maxR, "share %g", c.frac)
		assert.Contains(t, r.Finding, c.want, "share %g", c.frac)
		assert.NotContains(t, r.Finding, c.not, "share %g", c.frac)
		assert.Contains(t, r.Finding, "spacing 0.1", "share %g", c.frac)
	}
}
