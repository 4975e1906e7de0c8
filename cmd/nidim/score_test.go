package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLaplacePriorEmbedScoreAndTest(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--prior", "laplace")
	dir := t.TempDir()
	lapPath, gaussPath := filepath.Join(dir, "lap.npy"), filepath.Join(dir, "gauss.npy")

	code, _, stderr := runCmd("embed", model, "--data", data, "--out", lapPath)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("embed", model, "--data", data, "--prior", "gaussian", "--out", gaussPath)
	require.Equal(t, exitOK, code, stderr)
	lap, n, d, err := tensor.ReadMatrixFile(lapPath)
	require.NoError(t, err)
	gauss, _, _, err := tensor.ReadMatrixFile(gaussPath)
	require.NoError(t, err)
	require.Equal(t, 240*2, n*d)
	for i, g := range gauss {
		want := float32(stats.FromGaussian(stats.Laplace{Mu: 0, B: 1}, g))
		require.Equal(t, want, float32(lap[i]), "element %d", i)
	}

	// The scores of the inputs equal the scores of the written embeddings.
	scorePath := filepath.Join(dir, "scores.csv")
	code, _, stderr = runCmd("score", model, "--data", data, "--labels", labels, "--out", scorePath)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "wrote the scores and p-values of 240 inputs under the laplace prior (d = 2)")
	assert.Contains(t, stderr, "Kolmogorov-Smirnov against U(0, 1): D = ")
	table, rows, cols, err := tensor.ReadMatrixFile(scorePath)
	require.NoError(t, err)
	require.Equal(t, 240, rows)
	require.Equal(t, 3, cols)
	emb := make([]float32, len(lap))
	for i, v := range lap {
		emb[i] = float32(v)
	}
	scores, pValues, err := dim.OutlierScores("laplace", emb, n, d)
	require.NoError(t, err)
	labelValues, _, _, err := tensor.ReadMatrixFile(labels)
	require.NoError(t, err)
	for i := range scores {
		assert.InDelta(t, scores[i], table[3*i], 1e-12*max(1, scores[i]), "row %d score", i)
		assert.InDelta(t, pValues[i], table[3*i+1], 1e-12, "row %d p-value", i)
		assert.Equal(t, labelValues[i], table[3*i+2], "row %d label", i)
	}

	// nidim test --prior laplace tests against Laplace(0, 1).
	code, stdout, stderr := runCmd("test", "--prior", "laplace", "--json", "--replicates", "19", "--tests", "ks-prior,epps-pulley,sliced-epps-pulley", lapPath)
	require.Equal(t, exitOK, code, stderr)
	var rep struct {
		Prior string `json:"prior"`
		Tests []struct {
			Name      string   `json:"name"`
			Statistic *float64 `json:"statistic"`
		} `json:"tests"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Equal(t, "laplace", rep.Prior)
	require.Len(t, rep.Tests, 5)
	ks, err := stats.KolmogorovSmirnov(columnOf(lap, d, 0), stats.Laplace{Mu: 0, B: 1}, stats.TwoSided)
	require.NoError(t, err)
	assert.Equal(t, "ks-prior", rep.Tests[0].Name)
	assert.Equal(t, ks.Statistic, *rep.Tests[0].Statistic)
	assert.Equal(t, "sliced-epps-pulley", rep.Tests[4].Name)
}

func columnOf(x []float64, d, j int) []float64 {
	out := make([]float64, 0, len(x)/d)
	for i := j; i < len(x); i += d {
		out = append(out, x[i])
	}
	return out
}

func TestEvalReportsOutlierAUROC(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json", "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Outliers *dim.OutlierEvaluation `json:"outliers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.NotNil(t, res.Outliers)
	o := res.Outliers
	assert.Equal(t, 24, o.N, "the held-out rows")
	require.Len(t, o.OutOfDist, 2)
	assert.Equal(t, "inverted", o.OutOfDist[0].Name)
	assert.Equal(t, "uniform-noise", o.OutOfDist[1].Name)
	for _, r := range o.OutOfDist {
		assert.True(t, r.AUROC >= 0 && r.AUROC <= 1, "%s: AUROC %v", r.Name, r.AUROC)
		assert.Equal(t, 24, r.N)
	}
	assert.True(t, o.CalibrationP > 0 && o.CalibrationP <= 1)
	assert.Greater(t, o.Threshold01, 0.0)
	assert.InDelta(t, stats.ChiSquareSurvival(o.Threshold01, 2), o.ThresholdP01, 1e-15)
	assert.Contains(t, stdout, `"threshold_at_0_01":`)
	assert.Contains(t, stdout, `"threshold_p_value_at_0_01":`)

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "calibration: Kolmogorov-Smirnov of the test p-values against U(0, 1)")
	assert.Regexp(t, `(?m)^inverted\s+24\s+\d\.\d{4}\s+\d+\.\d\d%\s+\d+\.\d\d%$`, stdout)
}

// eval built its out-of-distribution sets from the test split only, so
// a held-out class or another data set needed nidim score and a script.
// --ood adds such sets to the table and to the JSON.
func TestEvalOODFlag(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, rows, cols int, value func(i int) float64) string {
		t.Helper()
		x := tensor.New(rows, cols)
		for i := range x.Data {
			x.Data[i] = float32(value(i))
		}
		path := filepath.Join(dir, name)
		writeNPYFile(t, path, x)
		return path
	}
	// The data moved far from every training row, and the data itself.
	far := write("far.npy", rows, cols, func(i int) float64 { return values[i] + 1000 })
	same := write("same.npy", rows, cols, func(i int) float64 { return values[i] })

	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json", "--threads", "1", "--ood", far, "--ood", same)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: note: the values of --ood "+far+" lie mostly in")
	assert.NotContains(t, stderr, "--ood "+same)
	var res struct {
		Outliers *dim.OutlierEvaluation `json:"outliers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.NotNil(t, res.Outliers)
	sets := res.Outliers.OutOfDist
	require.Len(t, sets, 4, "two built-in sets and two of --ood")
	assert.Equal(t, far, sets[2].Name)
	assert.Equal(t, rows, sets[2].N)
	assert.Equal(t, 1.0, sets[2].AUROC)
	assert.Equal(t, 1.0, sets[2].AboveThreshold01)
	assert.Equal(t, same, sets[3].Name)
	assert.Equal(t, rows, sets[3].N)
	// The test split's rows are among the data's, so the two score
	// alike.
	assert.InDelta(t, 0.5, sets[3].AUROC, 0.3)

	for _, c := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing.npy"), "nidim eval: --ood " + filepath.Join(dir, "missing.npy") + " does not exist; check the path.\n"},
		{write("narrow.npy", 3, cols+1, func(int) float64 { return 0 }), fmt.Sprintf("nidim eval: --ood %s has %d values per sample, but the model takes samples of shape [%d] (%d values); pass a set of that size.\n",
			filepath.Join(dir, "narrow.npy"), cols+1, cols, cols)},
		{write("nan.npy", 3, cols, func(i int) float64 { return math.Log(float64(i) - 1) }), "nidim eval: --ood " + filepath.Join(dir, "nan.npy") +
			": 2 values are not finite float32 numbers, in row 1 (counting from 1); the first is NaN, in column 1 of row 1; remove or replace them, or drop those rows.\n"},
	} {
		code, _, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--threads", "1", "--ood", c.path)
		assert.Equal(t, exitUsage, code, c.path)
		assert.Equal(t, c.want, stderr, c.path)
	}

	// A set given twice was scored twice, with two rows of one name.
	dotted := dir + string(filepath.Separator) + "." + string(filepath.Separator) + "far.npy"
	for _, c := range []struct {
		second, want string
	}{
		{far, "nidim eval: --ood " + far + " is given twice; pass each set once.\n"},
		{dotted, "nidim eval: --ood " + far + " and --ood " + dotted + " name the same set; pass each set once.\n"},
	} {
		code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--threads", "1", "--ood", far, "--ood", same, "--ood", c.second)
		assert.Equal(t, exitUsage, code, c.second)
		assert.Empty(t, stdout, c.second)
		assert.Equal(t, c.want, stderr, c.second)
	}
}

func TestUniformPriorReportChecksGrid(t *testing.T) {
	data, _, model := trainTinyModel(t, "--prior", "uniform", "--eps", "0.05")
	dir := t.TempDir()
	emb := filepath.Join(dir, "u.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--out", emb)
	require.Equal(t, exitOK, code, stderr)

	code, stdout, stderr := runCmd("test", "--prior", "uniform", "--eps", "0.05", "--tests", "grid", emb)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Grid check:\n  component 0: ")
	assert.Contains(t, stdout, "component 1: ")

	// Without --eps the grid test is skipped: one line in the report, no
	// warning, and no test counted as one that could not run.
	code, stdout, stderr = runCmd("test", "--prior", "uniform", "--tests", "grid,ks-prior", emb)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)
	assert.NotContains(t, stdout, "Grid check:")
	assert.Equal(t, 1, strings.Count(stdout, "Skipped: grid, because the noise half-width eps of the uniform channel is unknown"), stdout)
	assert.NotContains(t, stdout, "could not run")

	code, _, stderr = runCmd("test", "--prior", "uniform", "--tests", "grid", emb)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim test: no test ran on "+emb+": grid was skipped, because the noise half-width eps of the uniform channel is unknown; pass it with nidim test --eps E")

	// eval takes eps from the checkpoint, so its report runs the grid test.
	code, stdout, stderr = runCmd("eval", model, "--data", data, "--threads", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Report struct {
			Tests   []struct{ Name string } `json:"tests"`
			Failed  int                     `json:"tests_failed"`
			Skipped []any                   `json:"skipped"`
		} `json:"report"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	grid := 0
	for _, e := range res.Report.Tests {
		if e.Name == "grid" {
			grid++
		}
	}
	assert.Equal(t, 2, grid, "grid entries in the eval report")
	assert.Empty(t, res.Report.Skipped)
	assert.Equal(t, 0, res.Report.Failed)

	// A model without channel noise has no lattice: eval leaves the grid
	// test out rather than running it at the configured eps.
	data, _, model = trainTinyModel(t, "--prior", "uniform", "--eps", "0")
	code, stdout, stderr = runCmd("eval", model, "--data", data, "--threads", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	res.Report.Tests, res.Report.Skipped = nil, nil
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.NotEmpty(t, res.Report.Tests)
	for _, e := range res.Report.Tests {
		assert.NotEqual(t, "grid", e.Name)
	}
	assert.Empty(t, res.Report.Skipped)
}

func TestScoreCommandErrors(t *testing.T) {
	_, _, model := trainTinyModel(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"score", model}, "missing --out"},
		{[]string{"score", "--out", filepath.Join(dir, "s.csv")}, "missing --model"},
		{[]string{"score", model, "--labels", "l.csv", "--out", filepath.Join(dir, "s.csv")}, "--labels l.csv applies to a matrix file --data"},
		{[]string{"score", model, "--out", filepath.Join(dir, "s.xyz")}, "--out"},
		{[]string{"embed", model, "--prior", "cauchy", "--out", filepath.Join(dir, "e.npy")}, `invalid --prior "cauchy"`},
	} {
		code, _, stderr := runCmd(tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

// Extreme logistic and Laplace values, whose tail probability underflows,
// used to map to ±Inf and fail scoring with a row error. They now score
// with the z of the log tail probability: logistic 800 and Laplace -800
// map to |z| = 39.8847 and 39.9021 (mpmath), so the score is their sum of
// squares and the p-value underflows to 0.
func TestScoreExtremeValues(t *testing.T) {
	for _, c := range []struct {
		prior string
		emb   []float32
		z     float64
	}{
		{"logistic", []float32{800, -800}, 39.884694838256677568},
		{"laplace", []float32{-800, 800}, 39.902058935188113019},
	} {
		scores, pValues, err := dim.OutlierScores(c.prior, c.emb, 1, 2)
		require.NoError(t, err, c.prior)
		assert.InDelta(t, 2*c.z*c.z, scores[0], 1e-12*scores[0], c.prior)
		assert.Equal(t, 0.0, pValues[0], c.prior)
	}
}

// eval used to print the calibration test without saying what to do when
// it rejects. It now prints an empirical 1 % threshold, and a note when
// the p-values are off.
func TestWriteOutliersThreshold(t *testing.T) {
	ev := &dim.OutlierEvaluation{N: 8991, CalibrationKS: 0.0789, CalibrationP: 3.58e-49, RejectedAt01: 0.0037,
		MeanScore: 4.071, Threshold01: 11.4786, ThresholdP01: 0.02166,
		OutOfDist: []dim.OODResult{{Name: "inverted", N: 8991, AUROC: 1, RejectedAt01: 0.9992, AboveThreshold01: 0.9995}}}
	var out strings.Builder
	writeOutliers(&out, ev, 4)
	assert.Contains(t, out.String(), "\nOOD set              n    AUROC  p <= 0.01  above the threshold\n"+
		"inverted          8991   1.0000     99.92%  99.95%\n")
	assert.Contains(t, out.String(), "\nthreshold for at most 1% false alarms, from the test scores: score > 11.4786, which is p-value < 0.02166\n")
	assert.Contains(t, out.String(), "\nnote: the test p-values do not follow U(0, 1), so p <= 0.01 need not flag 1% of in-distribution inputs (here it flags 0.37% of the test inputs); "+
		"take thresholds from the scores of in-distribution inputs, as the line above does\n")

	ev.CalibrationP = 0.284
	out.Reset()
	writeOutliers(&out, ev, 4)
	assert.Contains(t, out.String(), "score > 11.4786, which is p-value < 0.02166\n")
	assert.NotContains(t, out.String(), "note:", "calibrated p-values need no note")
}

// The note on uncalibrated p-values read "flags 1.00% of the test inputs
// instead of 1%" when the share rounded to 1 %, as it did on a model
// trained for one epoch on 3000 MNIST digits (KS p = 0.0059).
func TestWriteOutliersNoteAtOnePercent(t *testing.T) {
	ev := &dim.OutlierEvaluation{N: 300, CalibrationKS: 0.098, CalibrationP: 0.00587, RejectedAt01: 0.01,
		MeanScore: 3.982, Threshold01: 13.11, ThresholdP01: 0.0108}
	var out strings.Builder
	writeOutliers(&out, ev, 4)
	assert.Contains(t, out.String(), "\nnote: the test p-values do not follow U(0, 1), so p <= 0.01 need not flag 1% of in-distribution inputs (here it flags 1.00% of the test inputs); ")
	assert.NotContains(t, out.String(), "instead of 1%")
}

// The OOD table had a fixed column of 14 characters for the set names,
// so the path of an --ood set longer than that pushed its row out of
// line with the header.
func TestWriteOutliersLongOODName(t *testing.T) {
	long := "/data/held-out/nines-test.npy"
	ev := &dim.OutlierEvaluation{N: 8991, CalibrationKS: 0.01, CalibrationP: 0.28, RejectedAt01: 0.0068,
		MeanScore: 4.0, Threshold01: 12.61, ThresholdP01: 0.0134,
		OutOfDist: []dim.OODResult{
			{Name: "inverted", N: 8991, AUROC: 0.998, RejectedAt01: 0.9, AboveThreshold01: 0.91},
			{Name: long, N: 1009, AUROC: 0.41, RejectedAt01: 0.0089, AboveThreshold01: 0.0099},
		}}
	var out strings.Builder
	writeOutliers(&out, ev, 4)
	pad := strings.Repeat(" ", len(long)-len("inverted"))
	assert.Contains(t, out.String(), "\nOOD set"+strings.Repeat(" ", len(long)-len("OOD set"))+"       n    AUROC  p <= 0.01  above the threshold\n"+
		"inverted"+pad+"    8991   0.9980     90.00%  91.00%\n"+
		long+"    1009   0.4100      0.89%  0.99%\n")
}

// With fewer than 99 test inputs the 1 % threshold is the largest test
// score, which a new input exceeds far more often than 1 % of the time.
// The 18 test rows of the wine data at --test-fraction 0.1 give 1/19.
func TestWriteOutliersSmallTestSplit(t *testing.T) {
	ev := &dim.OutlierEvaluation{N: 18, CalibrationKS: 0.2027, CalibrationP: 0.397, RejectedAt01: 0,
		MeanScore: 4.423, Threshold01: 9.10643, ThresholdP01: 0.0584937,
		OutOfDist: []dim.OODResult{{Name: "inverted", N: 18, AUROC: 0.7037, AboveThreshold01: 0.2222}}}
	var out strings.Builder
	writeOutliers(&out, ev, 4)
	assert.Contains(t, out.String(), "score > 9.10643, which is p-value < 0.0584937\n"+
		"note: the 18 test inputs are fewer than the 99 that a 1% threshold needs, so the threshold is their largest score, "+
		"which a new in-distribution input exceeds with probability 1/19 (5.3%), and the last column below counts detections at that false-alarm rate; "+
		"for a 1% threshold, train with a larger --test-fraction or on more data\n")

	// From 99 inputs on, k of which exceed the threshold, a new input
	// exceeds it with probability (k+1)/(n+1), which is below 2 %.
	for _, n := range []int{99, 100, 8991} {
		ev.N = n
		out.Reset()
		writeOutliers(&out, ev, 4)
		assert.NotContains(t, out.String(), "note:", "n = %d", n)
	}
}
