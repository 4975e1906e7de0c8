package stats

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// progressSteps builds the report of m with opts and returns the steps
// that Progress received.
func progressSteps(t *testing.T, m Matrix, opts ReportOptions) []string {
	t.Helper()
	var steps []string
	opts.Progress = func(step string) { steps = append(steps, step) }
	withProgress, err := BuildReport(m, opts)
	require.NoError(t, err)

	// Progress does not change the report.
	opts.Progress = nil
	without, err := BuildReport(m, opts)
	require.NoError(t, err)
	got, err := json.Marshal(withProgress)
	require.NoError(t, err)
	want, err := json.Marshal(without)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	return steps
}

func TestReportProgressGaussian(t *testing.T) {
	steps := progressSteps(t, normalMatrix(50, 3, 4), ReportOptions{
		Tests:      []string{"ks-prior", "mardia-skewness", "mardia-kurtosis", "henze-zirkler", "energy"},
		Replicates: 9, Workers: 2,
	})
	assert.Equal(t, []string{
		"step 1 of 4: per-component tests, 0 of 3 components done",
		"step 1 of 4: per-component tests, 1 of 3 components done",
		"step 1 of 4: per-component tests, 2 of 3 components done",
		"step 1 of 4: per-component tests, 3 of 3 components done",
		"step 2 of 4: mardia-skewness and mardia-kurtosis",
		"step 3 of 4: henze-zirkler",
		"step 4 of 4: energy",
	}, steps)
}

func TestReportProgressUniform(t *testing.T) {
	steps := progressSteps(t, uniformMatrix(40, 2, 5), ReportOptions{Prior: "uniform", Replicates: 9})
	assert.Equal(t, []string{
		"step 1 of 4: per-component tests, 0 of 2 components done",
		"step 1 of 4: per-component tests, 1 of 2 components done",
		"step 1 of 4: per-component tests, 2 of 2 components done",
		"step 2 of 4: energy-prior on each component",
		"step 3 of 4: energy-prior",
		"step 4 of 4: sphericity",
	}, steps)
}

// A value outside the exponential prior's support stops the multivariate
// tests before they start, so they are not steps.
func TestReportProgressUnmappedValues(t *testing.T) {
	m := uniformMatrix(40, 2, 6)
	m.Data[1] = -1
	steps := progressSteps(t, m, ReportOptions{Prior: "exponential", Tests: []string{"ks-prior", "mardia-skewness", "energy"}, Replicates: 9})
	assert.Equal(t, []string{
		"step 1 of 1: per-component tests, 0 of 2 components done",
		"step 1 of 1: per-component tests, 1 of 2 components done",
		"step 1 of 1: per-component tests, 2 of 2 components done",
	}, steps)

	// Without per-component tests, the whole-sample tests are all steps.
	steps = progressSteps(t, uniformMatrix(40, 2, 6), ReportOptions{Prior: "exponential", Tests: []string{"sphericity", "mardia-kurtosis"}})
	assert.Equal(t, []string{"step 1 of 2: mardia-kurtosis", "step 2 of 2: sphericity"}, steps)
}

// A Monte Carlo step adds the replicates drawn so far to its status, so
// that a rejecting sequential test, which draws every replicate, shows
// that it is still working. A fixed count is drawn in blocks only for
// the progress, which leaves its result unchanged (progressSteps checks).
func TestReportProgressCountsReplicates(t *testing.T) {
	shifted := normalMatrix(60, 2, 7)
	for k := range shifted.Data {
		shifted.Data[k] += 1
	}
	steps := progressSteps(t, shifted, ReportOptions{Tests: []string{"energy-prior"}, MaxReplicates: 300, Workers: 2})
	require.NotEmpty(t, steps)
	assert.Equal(t, "step 1 of 1: energy-prior", steps[0])
	assert.Equal(t, "step 1 of 1: energy-prior, 10 of at most 300 replicates", steps[1])
	assert.Equal(t, "step 1 of 1: energy-prior, 20 of at most 300 replicates", steps[2])
	assert.Equal(t, "step 1 of 1: energy-prior, 291 of at most 300 replicates", steps[len(steps)-1])

	steps = progressSteps(t, shifted, ReportOptions{Tests: []string{"sliced-epps-pulley"}, Replicates: 199, Workers: 2})
	assert.Equal(t, []string{
		"step 1 of 1: sliced-epps-pulley",
		"step 1 of 1: sliced-epps-pulley, 64 of 199 replicates",
		"step 1 of 1: sliced-epps-pulley, 128 of 199 replicates",
		"step 1 of 1: sliced-epps-pulley, 192 of 199 replicates",
	}, steps)

	// The per-component energy tests of the uniform prior share one
	// sequence of replicates, whose count their step shows.
	steps = progressSteps(t, uniformMatrix(40, 2, 5), ReportOptions{Prior: "uniform", Tests: []string{"energy-prior"}, MaxReplicates: 200, Workers: 2})
	assert.Contains(t, steps, "step 1 of 2: energy-prior on each component, 10 of at most 200 replicates")
}

// The replicates of jarque-bera and dagostino-k2 are a step of their own,
// named after the tests that draw them, with the count drawn so far. The
// step named both tests when only one of them ran.
func TestReportProgressMomentReplicates(t *testing.T) {
	m := normalMatrix(60, 2, 8)
	for j := 0; j < m.N; j++ {
		m.Data[j*m.D] = math.Exp(m.Data[j*m.D]) // column 0 beats every replicate
	}
	steps := progressSteps(t, m, ReportOptions{Tests: []string{"jarque-bera", "sphericity"}, Replicates: 300, Workers: 2})
	assert.Equal(t, []string{
		"step 1 of 3: per-component tests, 0 of 2 components done",
		"step 1 of 3: per-component tests, 1 of 2 components done",
		"step 1 of 3: per-component tests, 2 of 2 components done",
		"step 2 of 3: jarque-bera replicates",
		"step 2 of 3: jarque-bera replicates, 64 of 300 replicates",
		"step 2 of 3: jarque-bera replicates, 128 of 300 replicates",
		"step 2 of 3: jarque-bera replicates, 192 of 300 replicates",
		"step 2 of 3: jarque-bera replicates, 256 of 300 replicates",
		"step 3 of 3: sphericity",
	}, steps)

	steps = progressSteps(t, m, ReportOptions{Tests: []string{"dagostino-k2"}, MaxReplicates: 999, Workers: 1})
	assert.Contains(t, steps, "step 2 of 2: dagostino-k2 replicates")
	steps = progressSteps(t, m, ReportOptions{Tests: []string{"jarque-bera", "dagostino-k2"}, MaxReplicates: 999, Workers: 1})
	assert.Contains(t, steps, "step 2 of 2: jarque-bera and dagostino-k2 replicates")
}
