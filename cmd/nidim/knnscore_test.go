package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readMatrix reads a matrix file that a command wrote.
func readMatrix(t *testing.T, path string) (values []float64, rows, cols int) {
	t.Helper()
	values, rows, cols, err := tensor.ReadMatrixFile(path)
	require.NoError(t, err)
	return values, rows, cols
}

// embedSplit writes the embeddings of a split of data ("" for all rows)
// with nidim embed and returns them as a matrix.
func embedSplit(t *testing.T, model, data, split string) *tensor.Tensor {
	t.Helper()
	out := filepath.Join(t.TempDir(), "e.npy")
	args := []string{"embed", model, "--data", data, "--out", out}
	if split != "" {
		args = append(args, "--split", split)
	}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	values, rows, cols := readMatrix(t, out)
	x := tensor.New(rows, cols)
	for i, v := range values {
		x.Data[i] = float32(v)
	}
	return x
}

// writeMappedMatrix writes f of every value of the matrix file data to a
// new NPY file, as inputs that lie away from the training data, and
// returns its path and values.
func writeMappedMatrix(t *testing.T, data string, f func(float64) float64) (path string, x *tensor.Tensor) {
	t.Helper()
	values, rows, cols := readMatrix(t, data)
	x = tensor.New(rows, cols)
	for i, v := range values {
		x.Data[i] = float32(f(v))
	}
	path = filepath.Join(t.TempDir(), "far.npy")
	writeNPYFile(t, path, x)
	return path, x
}

// The kNN score of nidim score must be the distance to the k-th nearest
// embedding of the training split, with p-values calibrated on the test
// split, as dim.NewKNNScorer computes them from the files nidim embed
// writes.
func TestScoreKNNMatchesEmbeddings(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	farPath, _ := writeMappedMatrix(t, data, func(v float64) float64 { return v + 3 })

	out := filepath.Join(t.TempDir(), "s.csv")
	code, _, stderr := runCmd("score", model, "--data", farPath, "--train-data", data, "--method", "knn", "--knn", "3", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "wrote the kNN scores (euclidean distance to the 3rd nearest of 180 reference embeddings) and conformal p-values (from 60 calibration embeddings) of 240 inputs to "+out)
	assert.NotContains(t, stderr, "note:")

	s, err := dim.NewKNNScorer(embedSplit(t, model, data, "train"), embedSplit(t, model, data, "test"), 3, dim.MetricEuclidean)
	require.NoError(t, err)
	zFar := embedSplit(t, model, farPath, "")
	wantScores, wantP, err := s.Score(zFar)
	require.NoError(t, err)
	got, n, c := readMatrix(t, out)
	require.Equal(t, 240, n)
	require.Equal(t, 2, c)
	for i := range n {
		assert.InDelta(t, wantScores[i], got[2*i], 1e-9, "score of row %d", i)
		assert.InDelta(t, wantP[i], got[2*i+1], 1e-15, "p-value of row %d", i)
	}

	// The summary tests the scores against the calibration scores, and
	// no p-value can reach 0.01 with 60 calibration inputs.
	ks, err := stats.KolmogorovSmirnov2(wantScores, s.Calibration)
	require.NoError(t, err)
	assert.Contains(t, stderr, "p-values <= 0.01: 0 of 240 (0.00%, 0.00% expected for in-distribution inputs with 60 calibration inputs)")
	assert.Contains(t, stderr, fmt.Sprintf("; two-sample Kolmogorov-Smirnov of the scores against the calibration scores: D = %.4f, p = %.3g\n", ks.Statistic, ks.PValue))
}

func TestScoreKNNInputNotes(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	out := filepath.Join(t.TempDir(), "s.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--split", "test"}, "the inputs are the test split, the calibration set of the kNN score, so their p-values are uniform by construction"},
		{[]string{"--split", "train"}, "the inputs are the training split, the reference set of the kNN score, so each finds itself among its neighbors"},
		{nil, "the inputs are the whole file, which contains the reference set (the training split) and the calibration set (the test split)"},
		// The same file spelled another way is still the training data.
		{[]string{"--split", "test", "--train-data", filepath.Dir(data) + "/./" + filepath.Base(data)}, "the inputs are the test split, the calibration set"},
	} {
		args := append([]string{"score", model, "--data", data, "--method", "knn", "--out", out}, c.args...)
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stderr, "nidim score: note: "+c.want, "%v", c.args)
	}
}

func TestScoreKNNErrors(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	otherPath, _ := writeMappedMatrix(t, data, func(v float64) float64 { return -v })
	idxDir, idxModel := trainIDXModel(t)
	testOnly := t.TempDir()
	out := filepath.Join(t.TempDir(), "s.csv")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{model, "--method", "mahalanobis"}, `nidim score: invalid --method "mahalanobis"; use norm or knn.`},
		{[]string{model, "--knn", "3"}, "nidim score: --knn applies only to --method knn; add --method knn or drop it."},
		{[]string{model, "--knn-metric", "cosine", "--train-data", data}, "nidim score: --knn-metric and --train-data apply only to --method knn"},
		{[]string{model, "--method", "knn", "--knn", "0"}, "nidim score: invalid --knn 0; use 1 or more neighbors."},
		{[]string{model, "--method", "knn", "--knn-metric", "manhattan"}, `nidim score: invalid --knn-metric "manhattan"; use euclidean or cosine.`},
		// A matrix --data other than the training data, without
		// --train-data, is taken as the training data and fails the
		// fingerprint.
		{[]string{model, "--method", "knn", "--data", otherPath}, "nidim score: --method knn reads its reference and calibration inputs from the training and test splits of --data " + otherPath +
			": --data " + otherPath + " is not the file " + model + " was trained on"},
		{[]string{model, "--method", "knn", "--data", otherPath}, "original order; to score --data " + otherPath + ", pass the data " + model + " was trained on as --train-data."},
		// The fingerprint error of --train-data names that flag.
		{[]string{model, "--method", "knn", "--data", data, "--train-data", otherPath}, "nidim score: --method knn reads its reference and calibration inputs from the training and test splits of --train-data " + otherPath +
			": --train-data " + otherPath + " is not the file " + model + " was trained on, or its rows are in another order: its training split is "},
		{[]string{model, "--method", "knn", "--data", data, "--train-data", otherPath}, ", so --method knn would take other reference and calibration rows than training did; pass the --train-data it was trained on, with its rows in their original order.\n"},
		{[]string{model, "--method", "knn", "--data", otherPath, "--train-data", data, "--knn", "200"},
			"nidim score: --knn 200 is larger than the 180 rows of the training split of --train-data " + data + ", the reference set of --method knn; use --knn 180 or less."},
		// A model trained on an IDX directory records no split of a
		// matrix file.
		{[]string{idxModel, "--method", "knn", "--data", otherPath, "--train-data", data}, "nidim score: --method knn needs the training and test splits of the data " + idxModel +
			" was trained on, but it records no split of --train-data " + data},
		{[]string{idxModel, "--method", "knn", "--data", idxDir, "--train-data", testOnly}, "nidim score: --method knn reads its reference and calibration inputs from the training and test splits of --train-data " + testOnly + ": "},
		// The default for a matrix --data of a model trained on
		// MNIST-style data is the built-in MNIST, which the fingerprint
		// rejects for this model (or which a nomnist build lacks).
		{[]string{idxModel, "--method", "knn", "--data", otherPath}, "nidim score: --method knn needs the training and test splits of the data " + idxModel +
			" was trained on, but it records no split of --data " + otherPath + ", because it was trained on an MNIST-style data set, and the built-in MNIST, which --method knn reads then, is not its data ("},
	} {
		args := append([]string{"score", "--out", out}, c.args...)
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}

func TestEvalKNNScore(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--test-fraction", "0.25")
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json", "--threads", "1", "--knn", "4")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Outliers *dim.OutlierEvaluation `json:"outliers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	o := res.Outliers
	require.NotNil(t, o.KNN)
	assert.Equal(t, dim.KNNEvaluation{K: 4, Metric: dim.MetricEuclidean, Reference: 180, Calibration: 30, Evaluated: 30,
		CalibrationKS: o.KNN.CalibrationKS, CalibrationP: o.KNN.CalibrationP, RejectedAt01: o.KNN.RejectedAt01, RejectedAt05: o.KNN.RejectedAt05}, *o.KNN)
	assert.True(t, o.KNN.CalibrationP > 0 && o.KNN.CalibrationP <= 1)
	require.Len(t, o.OutOfDist, 2)
	for _, r := range o.OutOfDist {
		require.NotNil(t, r.AUROCKNN, r.Name)
		require.NotNil(t, r.KNNRejectedAt01, r.Name)
		assert.True(t, *r.AUROCKNN >= 0 && *r.AUROCKNN <= 1, "%s: kNN AUROC %v", r.Name, *r.AUROCKNN)
	}
	assert.Contains(t, stdout, `"auroc_knn":`)
	assert.Contains(t, stdout, `"calibration_n":30`)

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--threads", "1", "--knn", "4")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "kNN score (nidim score --method knn): euclidean distance to the 4th nearest of the 180 training embeddings, with conformal p-values calibrated on 30 test inputs; on the other 30, ")
	// With 30 calibration inputs the smallest p-value is 1/31, so the
	// expected shares at 0.01 and 0.05 are 0 and 1/31.
	assert.Contains(t, stdout, "(0.00% and 3.23% expected), two-sample Kolmogorov-Smirnov of their scores against the calibration scores: D = ")
	assert.Regexp(t, `(?m)^inverted\s+60\s+\d\.\d{4}\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d\.\d{4}\s+\d+\.\d\d%$`, stdout)
}

// The halves of the test split and the kNN figures do not depend on the
// thread count.
func TestEvalKNNScoreThreads(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--test-fraction", "0.25")
	var outliers []string
	for _, threads := range []string{"1", "2", "3"} {
		code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json", "--threads", threads)
		require.Equal(t, exitOK, code, stderr)
		var res struct {
			Outliers json.RawMessage `json:"outliers"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
		require.Contains(t, string(res.Outliers), `"knn":`)
		outliers = append(outliers, string(res.Outliers))
	}
	assert.Equal(t, outliers[0], outliers[1])
	assert.Equal(t, outliers[0], outliers[2])
}

// Without labels the classifier does not run, but the kNN outlier score
// does, and a k above the training rows is an input error before any
// work.
func TestEvalKNNScoreLargeK(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--knn", "181")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim eval: --knn 181 is larger than the 180 training rows that the kNN outlier score searches; use --knn 180 or less.\n", stderr)

	code, _, stderr = runCmd("eval", model, "--data", data, "--knn", "180")
	assert.Equal(t, exitOK, code, stderr)
}

// A test split too small to halve into a calibration set leaves the kNN
// score out of eval, with a note, and the table as before.
func TestEvalKNNScoreSmallTestSplit(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json", "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: note: the kNN outlier score is left out, because it calibrates on half of the test split and needs at least 38 test inputs, but the test split has 24")
	assert.NotContains(t, stdout, `"knn":`)
	assert.NotContains(t, stdout, `"auroc_knn"`)
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th"} {
		assert.Equal(t, want, ordinal(n))
	}
}

// The kNN score reads a matrix file of training data once, for both
// splits, so its notes appear once, and not at all again when the file
// is also --data.
func TestScoreKNNReadsTrainingDataOnce(t *testing.T) {
	data, _, _ := trainTinyModel(t)
	values, rows, cols := readMatrix(t, data)
	// A first column of row numbers gets the note on index columns.
	indexed := make([]float64, 0, rows*(cols+1))
	for i := range rows {
		indexed = append(indexed, float64(i))
		indexed = append(indexed, values[i*cols:(i+1)*cols]...)
	}
	dir := t.TempDir()
	withIndex := filepath.Join(dir, "indexed.csv")
	require.NoError(t, tensor.WriteMatrixFile(withIndex, indexed, rows, cols+1))
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", withIndex, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1",
		"--threads", "1", "--no-eval", "--test-fraction", "0.25", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	const note = "holds the row numbers 0 to 239 in order"
	require.Contains(t, stderr, note)

	other := filepath.Join(dir, "other.npy")
	writeNPYFile(t, other, tensor.New(5, cols+1))
	out := filepath.Join(dir, "s.csv")
	for _, c := range []struct {
		args  []string
		notes int
	}{
		{[]string{"--data", withIndex}, 1},
		{[]string{"--data", withIndex, "--split", "test"}, 1},
		{[]string{"--data", other, "--train-data", withIndex}, 1},
	} {
		args := append([]string{"score", model, "--method", "knn", "--out", out}, c.args...)
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, c.notes, strings.Count(stderr, note), "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, "of 180 reference embeddings) and conformal p-values (from 60 calibration embeddings)", "%v", c.args)
	}

	// A checkpoint without a data fingerprint gets that note once too.
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	m.Data = ""
	require.NoError(t, m.Save(model))
	for _, args := range [][]string{
		{"--data", withIndex},
		{"--data", withIndex, "--split", "test"},
		{"--data", other, "--train-data", withIndex},
	} {
		code, _, stderr := runCmd(append([]string{"score", model, "--method", "knn", "--out", out}, args...)...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, 1, strings.Count(stderr, "nidim score: note: "+noFingerprintText(model)), "%v: %s", args, stderr)
	}
}
