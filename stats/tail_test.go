package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The p-values of testdata/tail_pvalues.json lie between 0.36 and 1e-301,
// most of them far below 1e-16, where a p-value formed as 1 - cdf is 0.
func TestFixtureTailPValues(t *testing.T) {
	cases := loadFixture(t, "tail_pvalues.json")
	require.Len(t, cases, 52)
	for _, c := range cases {
		param := func(key string) float64 {
			v, ok := c.Params[key].(float64)
			require.True(t, ok, "%s: params.%s", c.ID, key)
			return v
		}
		var got float64
		switch c.Test {
		case "anderson_darling_limit":
			got = adLimitSurvival(param("z"))
		case "cramer_von_mises_limit":
			got = cvmLimitSurvival(param("t"))
		case "ks_two_sided":
			var exact bool
			got, exact = ksTwoSidedSurvival(int(param("n")), param("d"))
			assert.True(t, exact, c.ID)
		case "ks2_exact":
			got = ks2Exact(int(param("n")), int(param("m")), int64(param("gap")))
		case "chi_square_survival":
			got = ChiSquareSurvival(param("x"), param("df"))
		default:
			t.Fatalf("%s: unknown test %q", c.ID, c.Test)
		}
		checkKey(t, c, "pvalue", "pvalue", got)
		checkAllKeysCovered(t, c, "pvalue")
	}
}

// adLimitSurvival switches from 1 - adInfSeries to the branch-cut integral
// at z = 1; both are exact, so they must agree on either side.
func TestAndersonDarlingLimitSwitch(t *testing.T) {
	for _, z := range []float64{1, 1.5, 2, 4, 8} {
		series := 1 - adInfSeries(z)
		assert.InDelta(t, series, adLimitSurvival(z), 1e-13, "z = %v", z)
	}
	below := adLimitSurvival(math.Nextafter(1, 0))
	assert.InEpsilon(t, adLimitSurvival(1), below, 1e-13)
}

// The p-value of AndersonDarling is the limiting tail, positive up to
// A^2 of about 700 and decreasing.
func TestAndersonDarlingPValueTail(t *testing.T) {
	x := normalSample(200, 3)
	for i := range x {
		x[i] += 1.5
	}
	r, err := AndersonDarling(x, StdNormal)
	require.NoError(t, err)
	require.Greater(t, r.Statistic, 40.0)
	assert.Equal(t, adLimitSurvival(r.Statistic), r.PValue)
	assert.Greater(t, r.PValue, 0.0)

	prev := 1.0
	for z := 0.5; z <= 700; z *= 1.1 {
		p := adLimitSurvival(z)
		assert.Greater(t, p, 0.0, "z = %v", z)
		assert.Less(t, p, prev, "z = %v", z)
		prev = p
	}
}

// cvmSurvival follows Csörgő and Faraway's value down to cvmTailSwitch and
// the scaled limiting tail beyond: positive below T = n/3, decreasing, and
// without a jump at the switch.
func TestCramerVonMisesTailContinuous(t *testing.T) {
	for _, n := range []int{10, 30, 100, 1000, 10000} {
		t0 := cvmTailStart(n)
		assert.InEpsilon(t, cvmTailSwitch, 1-cvmCDF(t0, n), 1e-8, "n = %d", n)
		before, after := cvmSurvival(t0*(1-1e-9), n), cvmSurvival(t0*(1+1e-9), n)
		assert.InEpsilon(t, before, after, 1e-6, "n = %d: jump at the switch, T = %v", n, t0)
		assert.Less(t, after, cvmTailSwitch, "n = %d", n)

		prev := 1.0
		for x := 0.5; x < min(float64(n)/3, 12); x += 0.05 {
			p := cvmSurvival(x, n)
			require.Greater(t, p, 0.0, "n = %d, T = %v", n, x)
			require.Less(t, p, prev, "n = %d, T = %v", n, x)
			prev = p
		}
	}

	// At n = 10000 the finite-n correction is small: the p-value stays
	// within 1 % of the limiting tail far beyond the switch.
	for _, x := range []float64{3, 5, 7, 10, 20} {
		assert.InEpsilon(t, cvmLimitSurvival(x), cvmSurvival(x, 10000), 0.01, "T = %v", x)
	}
	assert.Equal(t, 0.0, cvmSurvival(10.0/3, 10), "T = n/3, the largest value")
}
