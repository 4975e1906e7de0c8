package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The values are scipy 1.10.1's special.digamma and polygamma(1, x).
func TestDigammaTrigamma(t *testing.T) {
	cases := []struct{ x, psi, psi1 float64 }{
		{0.5, -1.9635100260214235, 4.93480220054468},
		{1, -0.5772156649015329, 1.6449340668482266},
		{2.5, 0.7031566406452432, 0.4903577561002349},
		{9.99, 2.250700372831201, 0.10527695014824176},
		{10, 2.251752589066721, 0.10516633568168576},
		{55.5, 4.0073469585404435, 0.01818131736322176},
		{5000.25, 8.51714319183303, 0.00020000999983325836},
	}
	for _, c := range cases {
		assert.InEpsilon(t, c.psi, digamma(c.x), 1e-13, "digamma(%v)", c.x)
		assert.InEpsilon(t, c.psi1, trigamma(c.x), 1e-13, "trigamma(%v)", c.x)
	}
}

// exactLawPValues returns the exact-law and the χ² p-values that test
// gives on seeded N(0, I) matrices of n x d, and checks the exact ones:
// P(p <= a) lies within a binomial bound of a for a = 0.5, 0.05 and
// 0.01, and below 0.002 at a = 0.001, where 20 are expected.
func exactLawPValues(t *testing.T, n, d, samples int, seed uint64, test func(Matrix) (exact, chi2 float64, err error)) (exact, chi2 []float64) {
	t.Helper()
	exact = make([]float64, samples)
	chi2 = make([]float64, samples)
	for s := range samples {
		var err error
		exact[s], chi2[s], err = test(normalMatrix(n, d, seed+uint64(s)))
		require.NoError(t, err)
	}
	t.Logf("n %d, d %d: exact %.4f %.4f %.5f, chi2 %.4f %.4f %.5f", n, d,
		nullFraction(exact, 0.05), nullFraction(exact, 0.01), nullFraction(exact, 1e-3),
		nullFraction(chi2, 0.05), nullFraction(chi2, 0.01), nullFraction(chi2, 1e-3))
	for _, a := range []float64{0.5, 0.05, 0.01} {
		checkNullRate(t, "exact law", exact, a)
	}
	assert.Less(t, nullFraction(exact, 1e-3), 2e-3, "n %d, d %d", n, d)
	return exact, chi2
}

// On N(0, I) samples the exact-law p-value is valid where the χ² one is
// far from it: at 20 rows and d = 16 the χ² p-value is at most 0.05 for
// a quarter of the samples and at most 0.01 for a tenth.
func TestSphericityExactValidAtFewRows(t *testing.T) {
	sphericity := func(m Matrix) (float64, float64, error) {
		exact, err := SphericityExact(m)
		if err != nil {
			return 0, 0, err
		}
		chi2, err := Sphericity(m)
		return exact.PValue, chi2.PValue, err
	}
	_, chi2 := exactLawPValues(t, 20, 16, 20000, 90000, sphericity)
	assert.Greater(t, nullFraction(chi2, 0.01), 0.1)
	exactLawPValues(t, 12, 4, 20000, 90000, sphericity)
}

// With many rows the exact law approaches Bartlett's χ², and the two
// p-values agree.
func TestSphericityExactMatchesChiSquareAtManyRows(t *testing.T) {
	m := normalMatrix(5000, 4, 3)
	for i := 0; i < m.N; i++ {
		m.Data[i*4+1] += 0.05 * m.Data[i*4] // a weak correlation
	}
	exact, err := SphericityExact(m)
	require.NoError(t, err)
	chi2, err := Sphericity(m)
	require.NoError(t, err)
	assert.Equal(t, chi2.Statistic, exact.Statistic)
	require.Less(t, chi2.PValue, 0.05)
	assert.InEpsilon(t, chi2.PValue, exact.PValue, 0.02)

	assert.Equal(t, 1.0, sphericitySurvival(0, 20, 4))
	assert.True(t, math.IsNaN(sphericitySurvival(math.NaN(), 20, 4)))
}

// The report's sphericity entry gives the exact-law p-value and keeps the
// χ² one.
func TestReportSphericityExact(t *testing.T) {
	m := normalMatrix(30, 8, 4)
	r, err := BuildReport(m, ReportOptions{Tests: []string{"sphericity"}})
	require.NoError(t, err)
	require.Len(t, r.Tests, 1)
	exact, err := SphericityExact(m)
	require.NoError(t, err)
	chi2, err := Sphericity(m)
	require.NoError(t, err)
	assert.Equal(t, exact.PValue, r.Tests[0].PValue)
	assert.Equal(t, chi2.PValue, r.Tests[0].Extra["asymptotic_p_value"])
	assert.NotEqual(t, chi2.PValue, exact.PValue)
}

// The mean of the exact law of the mean-covariance statistic, K'(0) of
// its cumulant generating function, equals meanCovarianceNullMean, which
// comes from the Wishart law by another route.
func TestMeanCovarianceExactMean(t *testing.T) {
	for _, c := range []struct{ n, d int }{{20, 16}, {200, 16}, {12, 4}, {5000, 8}} {
		// A point near the mean falls back to the normal law, whose
		// p-value is 1/2 exactly at the mean.
		mean := meanCovarianceNullMean(c.n, c.d)
		assert.InDelta(t, 0.5, meanCovarianceSurvival(mean, c.n, c.d), 1e-6, "n %d, d %d", c.n, c.d)
	}
}

// On N(0, I) samples the exact-law p-value of mean-covariance is valid
// with few rows, where the Bartlett-corrected χ² is too small.
func TestMeanCovarianceExactValidAtFewRows(t *testing.T) {
	meanCovariance := func(m Matrix) (float64, float64, error) {
		exact, err := MeanCovarianceExact(m)
		if err != nil {
			return 0, 0, err
		}
		chi2, err := MeanCovariance(m)
		return exact.PValue, chi2.PValue, err
	}
	_, chi2 := exactLawPValues(t, 20, 16, 20000, 120000, meanCovariance)
	assert.Greater(t, nullFraction(chi2, 0.01), 0.015)
	exactLawPValues(t, 10, 4, 20000, 120000, meanCovariance)
}

// With many rows the exact law and the Bartlett-corrected χ² agree.
func TestMeanCovarianceExactMatchesChiSquareAtManyRows(t *testing.T) {
	m := normalMatrix(5000, 4, 6)
	for i := range m.Data {
		m.Data[i] *= 1.03 // a slightly wrong scale
	}
	exact, err := MeanCovarianceExact(m)
	require.NoError(t, err)
	chi2, err := MeanCovariance(m)
	require.NoError(t, err)
	assert.Equal(t, chi2.Statistic, exact.Statistic)
	require.Less(t, chi2.PValue, 0.05)
	assert.InEpsilon(t, chi2.PValue, exact.PValue, 0.05)

	r, err := BuildReport(m, ReportOptions{Tests: []string{"mean-covariance"}})
	require.NoError(t, err)
	assert.Equal(t, exact.PValue, r.Tests[0].PValue)
	assert.Equal(t, chi2.PValue, r.Tests[0].Extra["asymptotic_p_value"])
}
