package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// univariateTests lists every univariate test behind one signature, for the
// input-validation tests.
var univariateTests = map[string]func([]float64) (Result, error){
	"ShapiroWilk":           ShapiroWilk,
	"ShapiroFrancia":        ShapiroFrancia,
	"AndersonDarlingNormal": AndersonDarlingNormal,
	"AndersonDarling":       func(x []float64) (Result, error) { return AndersonDarling(x, StdNormal) },
	"KolmogorovSmirnov": func(x []float64) (Result, error) {
		r, err := KolmogorovSmirnov(x, StdNormal, TwoSided)
		return r.Result, err
	},
	"KolmogorovSmirnovLess": func(x []float64) (Result, error) {
		r, err := KolmogorovSmirnov(x, StdNormal, Less)
		return r.Result, err
	},
	"Lilliefors":             Lilliefors,
	"CramerVonMises":         func(x []float64) (Result, error) { return CramerVonMises(x, StdNormal) },
	"CramerVonMisesNormal":   CramerVonMisesNormal,
	"PearsonChiSquareNormal": PearsonChiSquareNormal,
	"SkewTest":               SkewTest,
	"KurtosisTest":           KurtosisTest,
	"DAgostinoK2":            DAgostinoK2,
	"JarqueBera":             JarqueBera,
}

func TestNonFiniteInputIsAnError(t *testing.T) {
	for name, test := range univariateTests {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			x := normalSample(40, 21)
			x[17] = bad
			orig := append([]float64(nil), x...)
			r, err := test(x)
			require.Errorf(t, err, "%s with %v returned %+v and no error", name, bad, r)
			assert.Containsf(t, err.Error(), "at index 17", "%s: %v", name, err)
			assert.Containsf(t, err.Error(), "remove", "%s: %v", name, err)
			assert.Equal(t, Result{}, r, name)
			for i := range x {
				assert.Truef(t, x[i] == orig[i] || (math.IsNaN(x[i]) && math.IsNaN(orig[i])), "%s modified x[%d]", name, i)
			}
		}
	}
}

// specifiedLawTests are the tests of univariateTests against a fully
// specified law, which accept constant data.
var specifiedLawTests = map[string]bool{
	"AndersonDarling": true, "KolmogorovSmirnov": true, "KolmogorovSmirnovLess": true, "CramerVonMises": true,
}

func TestConstantInputIsAnError(t *testing.T) {
	x := make([]float64, 30)
	for i := range x {
		x[i] = 4.2
	}
	for name, test := range univariateTests {
		if specifiedLawTests[name] {
			continue
		}
		_, err := test(x)
		require.Errorf(t, err, name)
		assert.Containsf(t, err.Error(), "all 30 values are equal (4.2): the test needs spread", "%s: %v", name, err)
	}
}

// A constant sample is impossible under a continuous law, so the tests
// against N(0, 1) or U(0, 1) must reject it instead of refusing to run: a
// collapsed embedding component used to drop out of the report and pass.
// Statistics from scipy 1.11 (kstest, cramervonmises, and the A^2 sum with
// norm.logcdf and norm.logsf).
func TestConstantInputAgainstAFixedLawIsRejected(t *testing.T) {
	constant := func(n int, c float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = c
		}
		return x
	}
	for _, tc := range []struct {
		c            float64
		n            int
		ks, cvm, ad2 float64
		ksP          float64
	}{
		{4.2, 30, 0.9999866542509841, 9.999599632872794, 306.7297798631744, 1.1516449016379298e-146},
		{0, 30, 0.5, 2.5000000000000004, 11.588830833596724, 1.8467310029604193e-07},
		{0.5, 200, 0.6914624612740131, 23.998241482087263, 108.97163537645508, 6.402189577087718e-96},
	} {
		x := constant(tc.n, tc.c)
		ks, err := KolmogorovSmirnov(x, StdNormal, TwoSided)
		require.NoError(t, err)
		assert.InDelta(t, tc.ks, ks.Statistic, 1e-15, "ks statistic, %v x %d", tc.c, tc.n)
		assert.InEpsilon(t, tc.ksP, ks.PValue, 1e-9, "ks p, %v x %d", tc.c, tc.n)

		cvm, err := CramerVonMises(x, StdNormal)
		require.NoError(t, err)
		assert.InDelta(t, tc.cvm, cvm.Statistic, 1e-12, "cvm statistic, %v x %d", tc.c, tc.n)
		assert.Less(t, cvm.PValue, 1e-6, "cvm p, %v x %d", tc.c, tc.n)

		ad, err := AndersonDarling(x, StdNormal)
		require.NoError(t, err)
		assert.InEpsilon(t, tc.ad2, ad.Statistic, 1e-12, "A^2, %v x %d", tc.c, tc.n)
		assert.Less(t, ad.PValue, 1e-4, "ad p, %v x %d", tc.c, tc.n)
	}

	// All zeros against U(0, 1): the sample cdf is 1 where F is 0.
	ks, err := KolmogorovSmirnov(constant(50, 0), Uniform{0, 1}, TwoSided)
	require.NoError(t, err)
	assert.Equal(t, 1.0, ks.Statistic)
	assert.Equal(t, 0.0, ks.PValue)
	cvm, err := CramerVonMises(constant(50, 0), Uniform{0, 1})
	require.NoError(t, err)
	assert.InDelta(t, 16.666666666666664, cvm.Statistic, 1e-12)
	assert.Less(t, cvm.PValue, 1e-6)
}

func TestTooFewValuesIsAnError(t *testing.T) {
	minimum := map[string]int{
		"ShapiroWilk": 3, "ShapiroFrancia": 5, "AndersonDarlingNormal": 8, "AndersonDarling": 2,
		"KolmogorovSmirnov": 2, "KolmogorovSmirnovLess": 2, "Lilliefors": 5, "CramerVonMises": 2,
		"CramerVonMisesNormal": 8, "PearsonChiSquareNormal": 8, "SkewTest": 8, "KurtosisTest": 5,
		"DAgostinoK2": 8, "JarqueBera": 2,
	}
	require.Len(t, minimum, len(univariateTests))
	for name, test := range univariateTests {
		minN := minimum[name]
		_, err := test(normalSample(minN-1, 3))
		require.Errorf(t, err, "%s accepted %d values", name, minN-1)
		assert.Truef(t, strings.Contains(err.Error(), "values, got"), "%s: %v", name, err)
		_, err = test(normalSample(minN, 3))
		require.NoErrorf(t, err, "%s rejected %d values", name, minN)
	}
	_, err := ShapiroWilk(normalSample(5001, 3))
	require.EqualError(t, err, "stats: shapiro-wilk: need 3 to 5000 values, got 5001")
	_, err = ShapiroWilk([]float64{1, 2})
	require.EqualError(t, err, "stats: shapiro-wilk: need 3 to 5000 values, got 2")
}

func TestShapiroWilkLargeOffset(t *testing.T) {
	// W is location invariant. The data 1e6 + z are stored with an ulp of
	// 1.2e-10, so compare with the same stored values shifted back exactly
	// (subtracting 1e6 is exact by Sterbenz's lemma).
	z := normalSample(200, 31)
	shifted := make([]float64, len(z))
	back := make([]float64, len(z))
	for i, v := range z {
		shifted[i] = 1e6 + v
		back[i] = shifted[i] - 1e6
	}
	r1, err := ShapiroWilk(shifted)
	require.NoError(t, err)
	r2, err := ShapiroWilk(back)
	require.NoError(t, err)
	assert.InDelta(t, r2.Statistic, r1.Statistic, 1e-13)
	assert.InDelta(t, r2.PValue, r1.PValue, 1e-11)
	assert.Greater(t, r1.PValue, 0.01, "normal data shifted by 1e6 must still look normal")
}

func TestShapiroWilkThreePoints(t *testing.T) {
	// n = 3 has the exact p = (6/pi)(asin(sqrt(W)) - pi/3), W in [3/4, 1].
	r, err := ShapiroWilk([]float64{0, 1, 2})
	require.NoError(t, err)
	assert.InDelta(t, 1, r.Statistic, 1e-15)
	assert.InDelta(t, 1, r.PValue, 1e-14)

	r, err = ShapiroWilk([]float64{0, 0, 1}) // W at its minimum 3/4
	require.NoError(t, err)
	assert.InDelta(t, 0.75, r.Statistic, 1e-15)
	assert.InDelta(t, 0, r.PValue, 1e-14)
	assert.GreaterOrEqual(t, r.PValue, 0.0)

	// x = (0, 1, 3): SS = 14/3, (a(x3 - x1))^2 = 9/2, W = 27/28.
	r, err = ShapiroWilk([]float64{3, 0, 1})
	require.NoError(t, err)
	w := 27.0 / 28
	assert.InDelta(t, w, r.Statistic, 1e-15)
	assert.InDelta(t, 6/math.Pi*(math.Asin(math.Sqrt(w))-math.Pi/3), r.PValue, 1e-14)
}

func TestAndersonDarlingFarTail(t *testing.T) {
	x := normalSample(50, 41)
	// log(1 - Phi(40)) = -804.6 while 1 - Phi(40) itself is 0 in float64.
	// As the largest point, x = 40 enters the sum with weight 1, adding
	// 804.6/n = 16.1 to A^2.
	x[10] = 40
	r, err := AndersonDarling(x, StdNormal)
	require.NoError(t, err)
	assert.False(t, math.IsInf(r.Statistic, 0) || math.IsNaN(r.Statistic), "statistic %v", r.Statistic)
	assert.Greater(t, r.Statistic, 804.6/50)
	// The limiting tail at A^2 > 16.1 is below 3e-8 but far above
	// underflow, so the p-value must not round to 0.
	assert.Greater(t, r.PValue, 0.0)
	assert.Less(t, r.PValue, 3e-8)

	x[10] = -40
	r, err = AndersonDarling(x, StdNormal)
	require.NoError(t, err)
	assert.False(t, math.IsInf(r.Statistic, 0) || math.IsNaN(r.Statistic))
	assert.Greater(t, r.Statistic, 804.6/50)

	// Outside the support of U(0, 1) the statistic is infinite: an error.
	_, err = AndersonDarling([]float64{0.2, 0.5, 1.5}, Uniform{0, 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "value 1.5 has probability 0")
}

func TestKolmogorovSmirnovUsesBothSides(t *testing.T) {
	// Data shifted up put the sample cdf below F, so D- carries the
	// statistic. Negating the data swaps D+ and D- and keeps the two-sided
	// result.
	x := normalSample(60, 51)
	for i := range x {
		x[i] += 0.6
	}
	r, err := KolmogorovSmirnov(x, StdNormal, TwoSided)
	require.NoError(t, err)
	assert.Greater(t, r.DMinus, r.DPlus)
	assert.Equal(t, r.DMinus, r.Statistic)

	neg := make([]float64, len(x))
	for i, v := range x {
		neg[i] = -v
	}
	rn, err := KolmogorovSmirnov(neg, StdNormal, TwoSided)
	require.NoError(t, err)
	assert.InDelta(t, r.DMinus, rn.DPlus, 1e-15)
	assert.InDelta(t, r.DPlus, rn.DMinus, 1e-15)
	assert.Equal(t, rn.DPlus, rn.Statistic)
	assert.InDelta(t, r.PValue, rn.PValue, 1e-15)

	less, err := KolmogorovSmirnov(x, StdNormal, Less)
	require.NoError(t, err)
	greater, err := KolmogorovSmirnov(x, StdNormal, Greater)
	require.NoError(t, err)
	assert.Equal(t, r.DMinus, less.Statistic)
	assert.Equal(t, r.DPlus, greater.Statistic)
	assert.Less(t, less.PValue, 0.05)
	assert.Greater(t, greater.PValue, 0.5)
	assert.Less(t, less.PValue, r.PValue, "one-sided p in the right direction is below the two-sided one")

	_, err = KolmogorovSmirnov(x, StdNormal, Alternative(7))
	require.Error(t, err)
}

func TestKolmogorovSmirnovSmallNIsExact(t *testing.T) {
	// The fixture case ks_exact_shifted_normal_vs_norm_n10: the exact p is
	// 0.02223, the limiting distribution would give 0.03394.
	x := []float64{0.3, 0.9, 1.2, 0.1, -0.4, 1.6, 0.75, 2.2, 0.5, 1.05}
	r, err := KolmogorovSmirnov(x, StdNormal, TwoSided)
	require.NoError(t, err)
	require.True(t, r.Exact)
	asymptotic := KolmogorovSurvival(math.Sqrt(10) * r.Statistic)
	exact, _ := ksTwoSidedSurvival(10, r.Statistic)
	assert.Equal(t, exact, r.PValue)
	assert.Greater(t, math.Abs(asymptotic-r.PValue), 0.005, "small-n p must not be the asymptotic one")
}

func TestPValuesClamped(t *testing.T) {
	// At n = 3 a W rounded just below its minimum 3/4 would give a negative
	// exact p.
	raw := 6 / math.Pi * (math.Asin(math.Sqrt(0.7499999999)) - math.Pi/3)
	require.Less(t, raw, 0.0, "the formula itself must go negative here for the test to mean anything")
	assert.Equal(t, 0.0, shapiroWilkPValue(0.7499999999, 3))

	// Csörgő-Faraway's cdf exceeds 1 for large T at small n; the p-value
	// must not be negative, nor 0 below T = n/3, but the scaled tail of the
	// limiting law, below the switch to it.
	require.Greater(t, cvmCDF(2.0, 12), 1.0)
	x := []float64{0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995}
	r, err := CramerVonMises(x, Uniform{0, 1})
	require.NoError(t, err)
	assert.Greater(t, r.Statistic, 2.0)
	assert.Less(t, r.Statistic, 12.0/3)
	assert.Greater(t, r.PValue, 0.0)
	assert.Less(t, r.PValue, cvmTailSwitch)

	for name, test := range univariateTests {
		for seed := uint64(0); seed < 5; seed++ {
			x := normalSample(30, 100+seed)
			for i := range x {
				x[i] = x[i]*x[i]*x[i] + 3 // strongly non-normal, far from N(0,1)
			}
			r, err := test(x)
			require.NoError(t, err, name)
			assert.Truef(t, r.PValue >= 0 && r.PValue <= 1, "%s: p = %v", name, r.PValue)
		}
	}
}

func TestKurtosisTestNegativeCubeRoot(t *testing.T) {
	// 20 zeros and 18 ones: b2 is so small that 1 + x sqrt(2/(A-4)) < 0, and
	// the cube root of the negative ratio must stay real (math.Cbrt, not
	// math.Pow). Reference: scipy 1.10.1 stats.kurtosistest.
	x := make([]float64, 38)
	for i := 20; i < 38; i++ {
		x[i] = 1
	}
	assert.True(t, math.IsNaN(math.Pow(-0.5, 1.0/3)), "math.Pow would give NaN here")
	r, err := KurtosisTest(x)
	require.NoError(t, err)
	assert.InDelta(t, 42.89003512514209, r.Statistic, 1e-10*42.89)
	assert.Equal(t, 0.0, r.PValue)
}

func TestMomentsUseFloat64Sums(t *testing.T) {
	// 1e8 + (0 or 1): float32 cannot even store 1e8 + 1, and a float32
	// running sum of 4096 such values would be off in the fourth digit.
	n := 4096
	x := make([]float64, n)
	for i := range x {
		x[i] = 1e8 + float64(i%2)
	}
	m := ComputeMoments(x)
	assert.Equal(t, n, m.N)
	assert.InDelta(t, 1e8+0.5, m.Mean, 1e-7)
	assert.InDelta(t, 0.25*float64(n)/float64(n-1), m.Variance, 1e-12)
	assert.InDelta(t, 0, m.Skewness, 1e-9)
	assert.InDelta(t, -2, m.ExcessKurtosis, 1e-9)

	empty := ComputeMoments(nil)
	assert.Equal(t, 0, empty.N)
	assert.True(t, math.IsNaN(empty.Mean))
	one := ComputeMoments([]float64{3})
	assert.Equal(t, 3.0, one.Mean)
	assert.True(t, math.IsNaN(one.Variance))
}

func TestScaleInvariantTestsAtExtremeScales(t *testing.T) {
	// Squares of values near 1e-300 underflow and fourth powers of values
	// near 1e100 overflow; the location-scale invariant tests must give the
	// same result at any scale. Multiplying by a power of two is exact, so
	// the results must agree to rounding.
	invariant := []string{"ShapiroWilk", "ShapiroFrancia", "AndersonDarlingNormal", "Lilliefors",
		"CramerVonMisesNormal", "PearsonChiSquareNormal", "SkewTest", "KurtosisTest", "DAgostinoK2", "JarqueBera"}
	x := normalSample(60, 61)
	for _, name := range invariant {
		test := univariateTests[name]
		ref, err := test(x)
		require.NoError(t, err, name)
		for _, scale := range []float64{0x1p-1000, 0x1p-600, 0x1p600, 0x1p1000} {
			y := make([]float64, len(x))
			for i, v := range x {
				y[i] = v * scale
			}
			r, err := test(y)
			require.NoErrorf(t, err, "%s at scale %g", name, scale)
			assert.InDeltaf(t, ref.Statistic, r.Statistic, 1e-12*math.Abs(ref.Statistic)+1e-15, "%s statistic at scale %g", name, scale)
			assert.InDeltaf(t, ref.PValue, r.PValue, 1e-12, "%s p at scale %g", name, scale)
		}
	}
}

func TestShapiroWilkCoefficientCache(t *testing.T) {
	// Alternating sizes must not return coefficients of the other size.
	a := normalSample(40, 71)
	b := normalSample(41, 72)
	ra1, err := ShapiroWilk(a)
	require.NoError(t, err)
	rb, err := ShapiroWilk(b)
	require.NoError(t, err)
	ra2, err := ShapiroWilk(a)
	require.NoError(t, err)
	assert.Equal(t, ra1, ra2)
	assert.NotEqual(t, ra1, rb)
	coef := shapiroWilkCoefficients(40)
	assert.Equal(t, computeShapiroWilkCoefficients(40), coef)
	var sum float64
	for _, v := range coef {
		sum += 2 * v * v
	}
	assert.InDelta(t, 1, sum, 1e-14)
}

// Beyond about 1e75 the fourth powers of ComputeMoments overflowed, and
// the report's summary showed an excess kurtosis of NaN for values near
// 1e100. Skewness and kurtosis do not depend on the scale.
func TestComputeMomentsHugeValues(t *testing.T) {
	x := normalSample(200, 81)
	ref := ComputeMoments(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v * 1e100
	}
	got := ComputeMoments(y)
	assert.InDelta(t, ref.Skewness, got.Skewness, 1e-12)
	assert.InDelta(t, ref.ExcessKurtosis, got.ExcessKurtosis, 1e-12)
	assert.InDelta(t, 1, got.Variance/(ref.Variance*1e200), 1e-12)
}

// Values beyond 1e150 made the covariance overflow, and the report called
// the components constant or linear combinations of each other. It now
// rejects them and names the first such value.
func TestReportRejectsHugeValues(t *testing.T) {
	x := normalSample(300, 82)
	x[7] = 3e160
	_, err := BuildReport(Matrix{N: 100, D: 3, Data: x}, ReportOptions{})
	require.Error(t, err)
	assert.Equal(t, "stats: report: value 3e+160 of component 1 in row 3 (counting components from 0 and rows from 1) is beyond 1e150 in magnitude, where the covariance of the multivariate tests overflows float64; such values are far from every prior the report tests, so check how the embeddings were made, or rescale them", err.Error())
}
