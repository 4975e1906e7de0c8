package stats

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportLines builds the report of m with opts and returns its text lines.
func reportLines(t *testing.T, m Matrix, opts ReportOptions) (*Report, []string) {
	t.Helper()
	r, err := BuildReport(m, opts)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	return r, strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}

// A 3-row sample used to end with a plain PASS although 12 of the 19 tests
// could not run. Sphericity and mean-covariance now run on it in their
// forms for few rows, and 10 could not.
func TestReportWarnsWhenMostTestsCannotRun(t *testing.T) {
	r, lines := reportLines(t, normalMatrix(3, 4, 1), ReportOptions{Replicates: 19})
	require.False(t, r.Reject, r.Verdict())

	assert.Equal(t, "PASS: no test rejects N(0, I) at alpha 0.01 after Holm adjustment (24 tests); 28 could not run", r.Verdict())
	assert.Equal(t, r.Verdict(), lines[len(lines)-1])
	assert.Equal(t, "Warning: 10 of the 19 requested tests could not run on this 3 x 4 sample, so the verdict below rests on the other 9 alone. "+
		"Those that failed on this data (shapiro-francia, anderson-darling, lilliefors, cramer-von-mises, dagostino-k2, epps-pulley, "+
		"mardia-skewness, mardia-kurtosis, henze-zirkler, energy) need at least 8 rows, and the sample has 3.",
		lines[len(lines)-2])
	assert.Empty(t, lines[len(lines)-3])

	j := decodeReport(t, r)
	assert.Equal(t, r.Verdict(), j.Verdict)
	assert.Equal(t, 28, j.TestsFailed)
}

// With fewer rows than columns the per-component tests all run, but the
// multivariate tests that estimate or invert a covariance matrix cannot,
// which the report did not mention. Of the full battery 4 of the 8
// multivariate tests cannot run, half, which gives no warning, because
// sphericity and mean-covariance run in their forms for few rows.
func TestReportWarnsWhenMostMultivariateTestsCannotRun(t *testing.T) {
	r, lines := reportLines(t, normalMatrix(12, 16, 2), ReportOptions{Replicates: 19})
	assert.Equal(t, 4, r.Failed)
	assert.Empty(t, r.coverageWarning())
	assert.Equal(t, r.Verdict(), lines[len(lines)-1])
	assert.Empty(t, lines[len(lines)-2])

	tests := []string{"shapiro-wilk", "shapiro-francia", "anderson-darling", "ks-prior", "mardia-skewness", "mardia-kurtosis", "henze-zirkler", "energy", "sliced-epps-pulley", "sphericity"}
	_, lines = reportLines(t, normalMatrix(12, 16, 2), ReportOptions{Replicates: 19, Tests: tests})
	assert.Equal(t, "Warning: 4 of the 6 requested multivariate tests could not run on this 12 x 16 sample, so the verdict below checks the joint distribution, "+
		"such as the dependence between components, with the other 2 alone. "+
		"Those that failed on this data (mardia-skewness, mardia-kurtosis, henze-zirkler, energy) need at least 18 rows, and the sample has 12.",
		lines[len(lines)-2])

	// The energy test takes at most --energy-samples rows, so more rows in
	// the sample cannot give it the 17 it needs.
	_, lines = reportLines(t, normalMatrix(12, 16, 2), ReportOptions{Replicates: 19, EnergySamples: 10, Tests: tests})
	assert.Equal(t, "Warning: 4 of the 6 requested multivariate tests could not run on this 12 x 16 sample, so the verdict below checks the joint distribution, "+
		"such as the dependence between components, with the other 2 alone. "+
		"Those that failed on this data are mardia-skewness, mardia-kurtosis, henze-zirkler, energy, for the reasons in the table above.",
		lines[len(lines)-2])
}

// A skipped test counts as requested but not run, and half of the tests
// not running gives no warning.
func TestReportCoverageWarningThreshold(t *testing.T) {
	opts := ReportOptions{Prior: "uniform", Tests: []string{"ks-prior", "grid", "sphericity"}}
	m := uniformMatrix(2, 4, 3)
	r, lines := reportLines(t, m, opts)
	assert.Equal(t, "Warning: 2 of the 3 requested tests could not run on this 2 x 4 sample, so the verdict below rests on the other 1 alone. "+
		"Those that failed on this data (sphericity) need at least 3 rows, and the sample has 2.",
		lines[len(lines)-2])
	assert.Equal(t, r.Verdict(), lines[len(lines)-1])

	// The only multivariate test did not run.
	opts.Tests = []string{"ks-prior", "sphericity"}
	_, lines = reportLines(t, m, opts)
	assert.Equal(t, "Warning: the one requested multivariate test could not run on this 2 x 4 sample, so the verdict below does not check the joint distribution, "+
		"such as the dependence between components. Those that failed on this data (sphericity) need at least 3 rows, and the sample has 2.",
		lines[len(lines)-2])

	// One of the 3 tests, and one of the 2 multivariate tests, did not run.
	opts.Tests = []string{"ks-prior", "energy-prior", "sphericity"}
	opts.Replicates = 19
	r, lines = reportLines(t, m, opts)
	assert.Equal(t, 1, r.Failed)
	assert.Empty(t, r.coverageWarning())
	assert.Empty(t, lines[len(lines)-2])
}
