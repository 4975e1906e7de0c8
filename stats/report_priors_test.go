package stats

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// priorMatrix draws n x d values of dist by the inverse CDF of seeded
// uniform draws.
func priorMatrix(dist Continuous, n, d int, seed uint64) Matrix {
	rng := newRand(seed, 7)
	m := Matrix{N: n, D: d, Data: make([]float64, n*d)}
	for i := range m.Data {
		m.Data[i] = FromGaussian(dist, rng.NormFloat64())
	}
	return m
}

func entriesNamed(r *Report, name string) []TestEntry {
	var out []TestEntry
	for _, e := range r.Tests {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func TestReportLaplacePriorPassesLaplaceSample(t *testing.T) {
	m := priorMatrix(Laplace{0, 1}, 300, 3, 11)
	r, err := BuildReport(m, ReportOptions{Prior: "laplace", Replicates: 49, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 0, r.Failed)
	assert.False(t, r.Reject, r.Verdict())
	assert.Contains(t, r.Verdict(), "Laplace(0, 1)^d")
	// Every test runs: the normality tests on the mapped values.
	assert.Equal(t, ReportTestNames("laplace"), reportTestNamesIn(r))
	assert.Len(t, entriesNamed(r, "epps-pulley"), 3)
	assert.Len(t, entriesNamed(r, "sliced-epps-pulley"), 1)
	assert.Empty(t, entriesNamed(r, "grid"))
}

// reportTestNamesIn lists the distinct test names of r in order.
func reportTestNamesIn(r *Report) []string {
	var out []string
	for _, e := range r.Tests {
		if !slices.Contains(out, e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}

func TestReportLaplacePriorRejectsGaussianSample(t *testing.T) {
	// N(0, 1) has the Laplace(0, 1) median but a different shape and
	// variance (1 against 2): the specified tests must see it.
	m := normalMatrix(2000, 2, 5)
	r, err := BuildReport(m, ReportOptions{Prior: "laplace", Tests: []string{"ks-prior", "anderson-darling-prior"}, Seed: 1})
	require.NoError(t, err)
	require.True(t, r.Reject)
	for _, e := range r.Tests {
		assert.Less(t, e.PValue, 1e-3, e.label())
	}
}

func TestReportExponentialOutsideSupport(t *testing.T) {
	m := priorMatrix(Exponential{1}, 100, 2, 3)
	m.Data[2*10+1] = -0.5 // the 11th row, component 1
	r, err := BuildReport(m, ReportOptions{Prior: "exponential", Tests: []string{"ks-prior", "shapiro-wilk", "sphericity"}, Seed: 1})
	require.NoError(t, err)

	sw := entriesNamed(r, "shapiro-wilk")
	require.Len(t, sw, 2)
	assert.Empty(t, sw[0].Err, "component 0 maps to finite values")
	assert.Contains(t, sw[1].Err, "the value -0.5 of component 1 in row 11 (counting rows from 1)")
	sph := entriesNamed(r, "sphericity")
	require.Len(t, sph, 1)
	assert.Contains(t, sph[0].Err, "outside its support")
	ks := entriesNamed(r, "ks-prior")
	require.Len(t, ks, 2)
	assert.Empty(t, ks[1].Err)
	assert.Equal(t, 2, r.Failed, "shapiro-wilk on component 1 and sphericity")
}

func TestReportPriorTestLists(t *testing.T) {
	uniform := ReportTestNames("uniform")
	assert.Contains(t, uniform, "grid")
	assert.NotContains(t, uniform, "epps-pulley")
	assert.NotContains(t, uniform, "sliced-epps-pulley")
	gaussian := ReportTestNames("gaussian")
	assert.Contains(t, gaussian, "epps-pulley")
	assert.Contains(t, gaussian, "sliced-epps-pulley")
	assert.NotContains(t, gaussian, "grid")
	for _, name := range TestNames {
		assert.NotEmpty(t, TestSummary(name), name)
	}

	m := normalMatrix(50, 2, 1)
	_, err := BuildReport(m, ReportOptions{Prior: "gaussian", Tests: []string{"grid"}})
	assert.ErrorContains(t, err, `test "grid" checks the lattice of the uniform prior's channel`)
	_, err = BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"sliced-epps-pulley"}})
	assert.ErrorContains(t, err, "does not apply to prior uniform")
	_, err = BuildReport(m, ReportOptions{Eps: -1})
	assert.ErrorContains(t, err, "eps -1 is invalid")
}

func TestReportGridFindsLattice(t *testing.T) {
	const eps = 0.05
	n := 2000
	rng := newRand(4, 9)
	m := Matrix{N: n, D: 2, Data: make([]float64, 2*n)}
	for i := 0; i < n; i++ {
		// Component 0 on the lattice k·2eps + eps plus small jitter,
		// component 1 uniform.
		k := float64(rng.IntN(10))
		m.Data[2*i] = k*2*eps + eps + 0.005*(rng.Float64()-0.5)
		m.Data[2*i+1] = rng.Float64()
	}
	r, err := BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"grid"}, Eps: eps, Seed: 1})
	require.NoError(t, err)
	g := entriesNamed(r, "grid")
	require.Len(t, g, 2)
	assert.Less(t, g[0].PValue, 1e-10)
	assert.Greater(t, g[1].PValue, 0.01)
	assert.Equal(t, true, g[0].Extra["resolved"])
	assert.InDelta(t, eps, g[0].Extra["offset"].(float64), 0.01)

	var buf bytes.Buffer
	require.NoError(t, r.WriteText(&buf))
	assert.Contains(t, buf.String(), "Grid check:\n  component 0: The values cluster on a lattice of spacing 0.1")
	assert.Contains(t, buf.String(), "component 1: No grid artefact")
}

func TestReportGridSkippedWithoutEps(t *testing.T) {
	m := Matrix{N: 20, D: 2, Data: make([]float64, 40)}
	for i := range m.Data {
		m.Data[i] = (float64(i/2) + 0.5) / 20
	}
	r, err := BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"grid", "ks-prior"}})
	require.NoError(t, err)
	assert.Empty(t, entriesNamed(r, "grid"))
	require.Len(t, r.Skipped, 1)
	assert.Equal(t, "grid", r.Skipped[0].Name)
	assert.Contains(t, r.Skipped[0].Reason, "eps of the uniform channel is unknown")
	assert.Equal(t, 0, r.Failed)
	assert.Equal(t, 2, r.Ran())
	assert.NotContains(t, r.Verdict(), "could not run")

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	assert.Equal(t, 1, strings.Count(text.String(), "grid"), text.String())
	assert.Contains(t, text.String(), "\nSkipped: grid, because the noise half-width eps of the uniform channel is unknown; pass it with nidim test --eps E")
	assert.NotContains(t, text.String(), "could not run")

	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var j struct {
		Tests   []map[string]any    `json:"tests"`
		Failed  int                 `json:"tests_failed"`
		Skipped []map[string]string `json:"skipped"`
	}
	require.NoError(t, json.Unmarshal(raw, &j))
	assert.Len(t, j.Tests, 2, "ks-prior on two components")
	assert.Equal(t, 0, j.Failed)
	require.Len(t, j.Skipped, 1)
	assert.Equal(t, "grid", j.Skipped[0]["name"])
	assert.Equal(t, r.Skipped[0].Reason, j.Skipped[0]["reason"])

	// With eps the grid test runs and nothing is skipped.
	r, err = BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"grid", "ks-prior"}, Eps: 0.05})
	require.NoError(t, err)
	assert.Len(t, entriesNamed(r, "grid"), 2)
	assert.Empty(t, r.Skipped)
	raw, err = json.Marshal(r)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), `"skipped"`)
}

func TestReportOnlySkippedTests(t *testing.T) {
	m := Matrix{N: 20, D: 1, Data: make([]float64, 20)}
	for i := range m.Data {
		m.Data[i] = (float64(i) + 0.5) / 20
	}
	r, err := BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"grid"}})
	require.NoError(t, err)
	assert.Empty(t, r.Tests)
	assert.Len(t, r.Skipped, 1)
	assert.Equal(t, "NO VERDICT: no test ran, because every requested test was skipped", r.Verdict())
}

func TestReportEppsPulleySubsampled(t *testing.T) {
	m := normalMatrix(400, 1, 8)
	r, err := BuildReport(m, ReportOptions{Tests: []string{"epps-pulley"}, MaxSamples: 100, Seed: 2})
	require.NoError(t, err)
	e := entriesNamed(r, "epps-pulley")
	require.Len(t, e, 1)
	assert.Equal(t, true, e[0].Extra["subsampled"])
	assert.Equal(t, 100, e[0].Extra["used_n"])
	x, _ := subsampleSlice(m.Col(0), 100, 2, streamEppsPulley)
	want, err := EppsPulley(x)
	require.NoError(t, err)
	assert.Equal(t, want.Statistic, e[0].Statistic)
}

// The help listed jarque-bera and dagostino-k2 without saying that their
// χ²(2) p-values are too small far in the tail, where Holm compares the
// p-values of a whole report. Their p-values now come from replicates,
// and the help states it.
func TestSummaryNamesMomentMonteCarlo(t *testing.T) {
	assert.Contains(t, TestSummary("dagostino-k2"), "Monte Carlo p from normal samples of n rows (O(B n); a seeded subsample of max-samples rows), exact where the χ²(2) p-value is too small far in the tail")
	assert.Contains(t, TestSummary("jarque-bera"), "Monte Carlo p like dagostino-k2")
}
