package stats

import (
	"encoding/json"
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
