package stats

import (
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fewRowsSample is 5 rows of 7 values, column 3 correlated with column 1.
var fewRowsSample = [][]float64{
	{0.034, 1.36, 1.225, 0.578, -0.298, -0.527, 0.57},
	{-0.056, 0.747, -1.847, 2.165, -0.096, 0.68, -0.137},
	{-0.379, 0.463, 0.825, 0.167, -0.153, 0.686, -0.87},
	{-1.514, 0.395, -0.671, -1.604, -0.814, -0.468, -1.193},
	{-1.492, 0.037, 0.897, -0.203, -0.744, 0.385, 0.717},
}

// transposed returns the d x n matrix of the n x d matrix m.
func transposed(m Matrix) Matrix {
	t := Matrix{N: m.D, D: m.N, Data: make([]float64, len(m.Data))}
	for i := 0; i < m.N; i++ {
		for j := 0; j < m.D; j++ {
			t.Data[j*m.N+i] = m.Data[i*m.D+j]
		}
	}
	return t
}

// The wanted values come from numpy: np.corrcoef for Schott's statistic,
// and np.cov(bias=True) with the sample mean for the quadratic
// mean-covariance parts. The 7 x 5 transpose checks the other orientation
// of gramFrobeniusSq.
func TestFewRowsStatisticsMatchNumpy(t *testing.T) {
	wide := rowsMatrix(fewRowsSample)
	tall := transposed(wide)
	mc := MonteCarlo{Replicates: 9, Seed: 1, Workers: 1}

	res, err := SphericitySchott(wide, mc)
	require.NoError(t, err)
	checkClose(t, "Schott statistic, 5 x 7", res.Statistic, -0.4889887899945681, 0, 1e-12)
	res, err = SphericitySchott(tall, mc)
	require.NoError(t, err)
	checkClose(t, "Schott statistic, 7 x 5", res.Statistic, -1.062210057842018, 0, 1e-12)

	quad, err := MeanCovarianceQuadratic(wide, mc)
	require.NoError(t, err)
	checkClose(t, "mean part, 5 x 7", quad.MeanPart, 5.5712866000000005, 0, 1e-12)
	checkClose(t, "covariance part, 5 x 7", quad.CovariancePart, 13.828141739723138, 0, 1e-12)
	checkClose(t, "statistic, 5 x 7", quad.Statistic, 5.5712866000000005+13.828141739723138, 0, 1e-12)
	// (d(2n-1) + d(d-1)(n-1)) / (2n) = (63 + 168) / 10.
	assert.InDelta(t, 23.1, quad.CovarianceNullMean, 1e-12)
	quad, err = MeanCovarianceQuadratic(tall, mc)
	require.NoError(t, err)
	checkClose(t, "mean part, 7 x 5", quad.MeanPart, 6.561284428571428, 0, 1e-12)
	checkClose(t, "covariance part, 7 x 5", quad.CovariancePart, 6.537687254406636, 0, 1e-12)
}

// The sample is left as it was, although the statistics centre their
// copies in place.
func TestFewRowsKeepSample(t *testing.T) {
	m := rowsMatrix(fewRowsSample)
	before := append([]float64(nil), m.Data...)
	_, err := SphericitySchott(m, MonteCarlo{Replicates: 9})
	require.NoError(t, err)
	_, err = MeanCovarianceQuadratic(m, MonteCarlo{Replicates: 9})
	require.NoError(t, err)
	assert.Equal(t, before, m.Data)
}

// Under the null the Monte Carlo p-values are exact at every n: over
// 2000 seeded samples of 6 rows and 8 columns, P(p <= a) stays within
// four binomial standard errors of a. Schott's test with U[0, 1]
// replicates is exact on U[0, 1] samples.
func TestFewRowsValidUnderNull(t *testing.T) {
	const samples, n, d = 2000, 6, 8
	schott := make([]float64, samples)
	schottUniform := make([]float64, samples)
	quad := make([]float64, samples)
	for s := range samples {
		mc := MonteCarlo{Replicates: 99, Seed: uint64(s), Workers: 1}
		m := normalMatrix(n, d, uint64(7000+s))
		r, err := SphericitySchott(m, mc)
		require.NoError(t, err)
		schott[s] = r.PValue
		q, err := MeanCovarianceQuadratic(m, mc)
		require.NoError(t, err)
		quad[s] = q.PValue
		r, err = schottMonteCarlo(uniformMatrix(n, d, uint64(7000+s)), mc, (*rand.Rand).Float64)
		require.NoError(t, err)
		schottUniform[s] = r.PValue
	}
	for _, a := range []float64{0.2, 0.1, 0.05} {
		checkNullRate(t, "Schott, normal", schott, a)
		checkNullRate(t, "Schott, uniform", schottUniform, a)
		checkNullRate(t, "quadratic mean-covariance", quad, a)
	}
}

// TestFewRowsCalibration prints the fractions of p-values at most 0.1,
// 0.05 and 0.01 over 20,000 null samples at 15 x 16 and 3 x 10, with 199
// replicates each, for docs/calibration.md. It takes about 40 CPU seconds,
// so it runs only when NIDIM_CALIBRATION is set.
func TestFewRowsCalibration(t *testing.T) {
	if os.Getenv("NIDIM_CALIBRATION") == "" {
		t.Skip("set NIDIM_CALIBRATION=1 to measure the few-rows p-values on 20,000 null samples")
	}
	const samples = 20000
	for _, shape := range []struct{ n, d int }{{15, 16}, {3, 10}} {
		var schott, schottUniform, quad []float64
		for s := range samples {
			mc := MonteCarlo{Replicates: 199, Seed: uint64(s)}
			m := normalMatrix(shape.n, shape.d, uint64(7000+s))
			r, err := SphericitySchott(m, mc)
			require.NoError(t, err)
			schott = append(schott, r.PValue)
			q, err := MeanCovarianceQuadratic(m, mc)
			require.NoError(t, err)
			quad = append(quad, q.PValue)
			r, err = schottMonteCarlo(uniformMatrix(shape.n, shape.d, uint64(7000+s)), mc, (*rand.Rand).Float64)
			require.NoError(t, err)
			schottUniform = append(schottUniform, r.PValue)
		}
		for _, a := range []float64{0.1, 0.05, 0.01} {
			t.Logf("%d x %d, %d samples, P(p <= %g): Schott %.4f, Schott on U[0, 1] %.4f, quadratic mean-covariance %.4f",
				shape.n, shape.d, samples, a, nullFraction(schott, a), nullFraction(schottUniform, a), nullFraction(quad, a))
		}
	}
}

// tinyCollapsed returns 15 rows of 16 components that are one N(0, 1)
// column plus noise of sd 0.01, so that every pair of components has a
// correlation of about 0.9999. The battery passed such a sample before
// the few-rows forms.
func tinyCollapsed() Matrix {
	m := normalMatrix(15, 16, 31)
	common := normalMatrix(15, 1, 32)
	for i := 0; i < m.N; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = common.Data[i] + 0.01*row[j]
		}
	}
	return m
}

// Every component of the collapsed sample is N(0, 1) on its own, so only
// the dependence between them is wrong. Schott's test rejects it in the
// default report and in the quick report of nidim train and eval, where
// the fixed QuickReplicates is raised to the count that lets Holm reject
// on it alone: 184 requested entries, so 18399.
func TestReportRejectsCollapsedFewRows(t *testing.T) {
	m := tinyCollapsed()
	for _, c := range []struct {
		name string
		opts ReportOptions
	}{
		{"sequential", ReportOptions{Seed: 1}},
		{"quick", ReportOptions{Seed: 1, Replicates: QuickReplicates, HolmMomentReplicates: true}},
		{"fixed", ReportOptions{Seed: 1, Replicates: QuickReplicates}},
	} {
		r, err := BuildReport(m, c.opts)
		require.NoError(t, err, c.name)
		assert.True(t, r.Reject, c.name)
		i := slices.IndexFunc(r.Tests, func(e TestEntry) bool { return e.Name == "sphericity" })
		require.GreaterOrEqual(t, i, 0, c.name)
		e := r.Tests[i]
		assert.Equal(t, "schott", e.Extra["statistic_form"], c.name)
		assert.Equal(t, 18399, e.Extra["replicates"], c.name)
		assert.Equal(t, 1.0/18400, e.PValue, c.name)
		assert.LessOrEqual(t, e.AdjustedP, r.Alpha, c.name)
		assert.Contains(t, e.notes(r.N, r.D), "Schott's standardized sum of squared correlations", c.name)
		// Correlations of 0.9999 put Σ r² near its largest value, 120.
		assert.InDelta(t, (120-16*15/28.0)/math.Sqrt(16*15*13/(14*14*16.0)), e.Statistic, 0.1, c.name)
	}
}

// The quadratic mean-covariance entry carries its parts, and its note
// names the form and the null means.
func TestReportMeanCovarianceFewRows(t *testing.T) {
	m := normalMatrix(10, 12, 5)
	for k := range m.Data {
		m.Data[k] *= 1.5
	}
	r, err := BuildReport(m, ReportOptions{Seed: 2, Tests: []string{"mean-covariance"}})
	require.NoError(t, err)
	require.Len(t, r.Tests, 1)
	e := r.Tests[0]
	require.Empty(t, e.Err)
	want, err := MeanCovarianceQuadratic(m, MonteCarlo{Seed: 2, Replicates: 999, StopAfter: DefaultStopAfter})
	require.NoError(t, err)
	assert.Equal(t, want.Statistic, e.Statistic)
	assert.Equal(t, want.PValue, e.PValue)
	assert.Equal(t, "quadratic", e.Extra["statistic_form"])
	assert.Equal(t, want.MeanPart, e.Extra["mean_part"])
	assert.Equal(t, want.CovariancePart, e.Extra["covariance_part"])
	assert.NotContains(t, e.Extra, "asymptotic_p_value")
	// A scale of 1.5 makes S about 2.25 I: far from I.
	assert.Less(t, e.PValue, 0.01)
	note := e.notes(r.N, r.D)
	assert.Contains(t, note, "n |mean|^2 + (n/2) |S - I|^2")
	assert.Contains(t, note, "(null mean 12)")
	// (12·19 + 12·11·9) / 20.
	assert.Contains(t, note, "(null mean 70.8)")
}

// With more rows than columns the report keeps Bartlett's statistic and
// the exact-law p-value, and from n = d down it switches to Schott's. The
// pinned values are those of the report before Schott's form existed.
func TestReportSphericityFormByRows(t *testing.T) {
	above := normalMatrix(17, 16, 8)
	r, err := BuildReport(above, ReportOptions{Tests: []string{"sphericity", "mean-covariance"}})
	require.NoError(t, err)
	require.Len(t, r.Tests, 2)
	sph, mcov := r.Tests[0], r.Tests[1]
	assert.Equal(t, []string{"asymptotic_p_value", "df"}, slices.Sorted(maps.Keys(sph.Extra)))
	checkClose(t, "Bartlett statistic", sph.Statistic, 152.32233268101476, 0, 1e-10)
	checkClose(t, "exact-law p", sph.PValue, 0.59444704039396723, 0, 1e-8)
	checkClose(t, "χ² p", sph.Extra["asymptotic_p_value"].(float64), 0.024644682199675597, 0, 1e-8)
	assert.NotContains(t, mcov.Extra, "statistic_form")
	checkClose(t, "likelihood-ratio statistic", mcov.Statistic, 303.02142059834574, 0, 1e-10)

	at := Matrix{N: 16, D: 16, Data: above.Data[:16*16]}
	r, err = BuildReport(at, ReportOptions{Tests: []string{"sphericity", "mean-covariance"}})
	require.NoError(t, err)
	assert.Equal(t, "schott", r.Tests[0].Extra["statistic_form"])
	assert.Equal(t, "quadratic", r.Tests[1].Extra["statistic_form"])
}

// A fixed Replicates is raised only where the raised count lets Holm
// reject on one p-value alone, and never lowered.
func TestFewRowsMonteCarloCount(t *testing.T) {
	opts, err := normalizeOptions(ReportOptions{Replicates: QuickReplicates})
	require.NoError(t, err)
	// 11 per-component tests on 16 columns and 8 multivariate tests.
	assert.Equal(t, 18399, opts.fewRowsMonteCarlo(16).Replicates)
	// 11·32 + 8 = 360 p-values would need 35999 replicates.
	assert.Equal(t, QuickReplicates, opts.fewRowsMonteCarlo(32).Replicates)
	opts.Replicates = 50000
	assert.Equal(t, 50000, opts.fewRowsMonteCarlo(16).Replicates)
	opts.Replicates = 0
	opts.MaxReplicates, opts.StopAfter = 999, DefaultStopAfter
	seq := opts.fewRowsMonteCarlo(16)
	assert.Equal(t, 999, seq.Replicates)
	assert.Equal(t, DefaultStopAfter, seq.StopAfter)
}

// Columns that are all multiples of one reach the largest value of
// Schott's statistic, which no replicate reaches, and a constant column
// is not an error for the quadratic form, which inverts nothing.
func TestFewRowsDegenerateColumns(t *testing.T) {
	m := normalMatrix(6, 9, 3)
	for i := 0; i < m.N; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = float64(j+1) * row[0]
		}
	}
	res, err := SphericitySchott(m, MonteCarlo{Replicates: 499, Seed: 4})
	require.NoError(t, err)
	// Σ r² = 36, its largest value.
	checkClose(t, "Schott statistic", res.Statistic, (36-72/10.0)/math.Sqrt(72*4/(25*7.0)), 0, 1e-12)
	assert.Equal(t, 1.0/500, res.PValue)

	for i := 0; i < m.N; i++ {
		m.Row(i)[7] = 0.5
	}
	_, err = SphericitySchott(m, MonteCarlo{Replicates: 9})
	assert.ErrorContains(t, err, "component 7 is constant")
	quad, err := MeanCovarianceQuadratic(m, MonteCarlo{Replicates: 9})
	require.NoError(t, err)
	assert.Greater(t, quad.CovariancePart, 0.0)
}

func TestFewRowsBadInput(t *testing.T) {
	_, err := SphericitySchott(normalMatrix(2, 5, 1), MonteCarlo{Replicates: 9})
	assert.ErrorContains(t, err, "needs at least 3 rows, got 2")
	_, err = SphericitySchott(normalMatrix(10, 1, 1), MonteCarlo{Replicates: 9})
	assert.ErrorContains(t, err, "needs at least 2 columns")
	_, err = MeanCovarianceQuadratic(normalMatrix(1, 5, 1), MonteCarlo{Replicates: 9})
	assert.ErrorContains(t, err, "needs at least 2 rows, got 1")
	m := normalMatrix(4, 5, 1)
	m.Data[7] = math.NaN()
	_, err = MeanCovarianceQuadratic(m, MonteCarlo{Replicates: 9})
	assert.ErrorContains(t, err, "non-finite value NaN of component 2 in row 2")
}

// The p-values depend neither on the worker count nor on whether the
// run is sequential up to the point where it stops.
func TestFewRowsWorkers(t *testing.T) {
	m := normalMatrix(8, 10, 12)
	oneWorker, err := SphericitySchott(m, MonteCarlo{Replicates: 300, Seed: 5, Workers: 1})
	require.NoError(t, err)
	twoWorkers, err := SphericitySchott(m, MonteCarlo{Replicates: 300, Seed: 5, Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, oneWorker, twoWorkers)
	q1, err := MeanCovarianceQuadratic(m, MonteCarlo{Replicates: 300, StopAfter: 10, Seed: 5, Workers: 1})
	require.NoError(t, err)
	q2, err := MeanCovarianceQuadratic(m, MonteCarlo{Replicates: 300, StopAfter: 10, Seed: 5, Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, q1, q2)
}
