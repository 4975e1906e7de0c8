package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configJSON returns the config metadata of the checkpoint at path as a
// map, to check which keys the file contains.
func configJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, json.Unmarshal([]byte(c.Metadata["nidim.config"]), &cfg))
	return cfg
}

// eval of a model trained with --test-fraction 0.2 used to fail with a
// data-fingerprint mismatch unless --test-fraction 0.2 was given again.
// The checkpoint now stores the fraction, and eval splits with it.
func TestEvalUsesStoredTestFraction(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--test-fraction", "0.2")
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, 0.2, m.Config.TestFraction)

	for _, extra := range [][]string{nil, {"--test-fraction", "0.2"}} {
		args := append([]string{"eval", model, "--data", data, "--labels", labels}, extra...)
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, "%v: %s", extra, stderr)
		assert.Contains(t, stderr, "embedding 192 training and 48 test samples\n", "%v", extra)
	}

	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--test-fraction", "0.1")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim eval: --test-fraction 0.1 differs from the 0.2 that "+model+" was trained with, and another fraction splits --data "+data+" into other training and test rows; drop --test-fraction, or pass --test-fraction 0.2.\n", stderr)
}

// A model trained with the default fraction stores 0.1, so that it keeps
// its split if the default changes.
func TestTrainStoresDefaultTestFraction(t *testing.T) {
	_, _, model := trainTinyModel(t)
	assert.Equal(t, 0.1, configJSON(t, model)["test_fraction"])
}

// train --resume takes the stored fraction too: the run interrupted and
// resumed without --test-fraction writes the bytes of the run in one go.
func TestResumeUsesStoredTestFraction(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	whole, parts := filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "parts.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--test-fraction", "0.2", "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "2", "--threads", "1", "--no-eval"}
	code, _, stderr := runCmd(append(args, "--out", whole)...)
	require.Equal(t, exitOK, code, stderr)

	trainStepHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == 2 && p.Step == 3 {
			interrupt()
		}
	}
	t.Cleanup(func() { trainStepHook = nil })
	code, _, stderr = runCmd(append(args, "--out", parts)...)
	require.Equal(t, exitFail, code, stderr)
	assert.Contains(t, stderr, "continue with:\n  nidim train --resume "+parts+" --epochs 2 --data "+data+" --labels "+labels+" --test-fraction 0.2\n")
	trainStepHook = nil

	code, _, stderr = runCmd("train", "--resume", parts, "--data", data, "--labels", labels, "--test-fraction", "0.3", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --test-fraction 0.3 differs from the 0.2 that "+parts+" was trained with, and another fraction splits --data "+data+" into other training and test rows; drop --test-fraction, or pass --test-fraction 0.2.\n", stderr)

	code, _, stderr = runCmd("train", "--resume", parts, "--data", data, "--labels", labels, "--no-eval")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "192 training and 48 test samples")
	assert.True(t, bytes.Equal(readFile(t, whole), readFile(t, parts)), "the resumed checkpoint differs from the uninterrupted one")
}

// With the stored fraction the split is the training run's, so a
// fingerprint mismatch comes from the data, which the advice names.
func TestDataMismatchAdviceNamesStoredFraction(t *testing.T) {
	_, labels, model := trainTinyModel(t, "--test-fraction", "0.2")
	other, _ := writeClusters(t, t.TempDir())
	values, rows, cols, err := tensor.ReadMatrixFile(other)
	require.NoError(t, err)
	values[0]++
	require.NoError(t, tensor.WriteMatrixFile(other, values, rows, cols))

	code, _, stderr := runCmd("eval", model, "--data", other, "--labels", labels)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim eval: "+model+": the model was trained on other data (192 x [6] sha256:")
	assert.Contains(t, stderr, "; pass the --data it was trained on; the split already uses the --test-fraction 0.2 that the model stores.\n")
}

// A model trained on an IDX directory, whose split is fixed, stores no
// fraction, so its checkpoint has the bytes it had before nidim stored
// one, and eval still rejects --test-fraction for the directory.
func TestIDXModelStoresNoTestFraction(t *testing.T) {
	dir, model := trainIDXModel(t)
	assert.NotContains(t, configJSON(t, model), "test_fraction")

	code, _, stderr := runCmd("eval", model, "--data", dir)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("eval", model, "--data", dir, "--test-fraction", "0.2")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim eval: --test-fraction applies to a matrix file --data; an MNIST-style data set has its own test split.\n", stderr)
}

// testdata/prestandardize.safetensors predates the stored fraction (see
// TestOldCheckpointEmbedsAsBefore). Its checksum still holds, eval splits
// with the default 0.1, and another fraction gets the advice to pass the
// one it was trained with.
func TestOldCheckpointWithoutTestFraction(t *testing.T) {
	model := filepath.Join("testdata", "prestandardize.safetensors")
	data := filepath.Join("testdata", "prestandardize.csv")
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.True(t, m.Verified)
	assert.Zero(t, m.Config.TestFraction)

	code, _, stderr := runCmd("eval", model, "--data", data)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "embedding 108 training and 12 test samples")

	code, _, stderr = runCmd("eval", model, "--data", data, "--test-fraction", "0.2")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "than the data given (96 x [5] sha256:")
	assert.Contains(t, stderr, "; pass the --data it was trained on, and for a matrix file the --test-fraction it was trained on.\n")
}

// A checkpoint from before nidim stored the test fraction gets it when it
// is resumed, so that the next eval or resume needs no --test-fraction.
func TestResumeStoresTestFractionInOldCheckpoint(t *testing.T) {
	old, err := dim.LoadModel(filepath.Join("testdata", "prestandardize.safetensors"))
	require.NoError(t, err)
	require.Zero(t, old.Config.TestFraction)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	body, err := os.ReadFile(filepath.Join("testdata", "prestandardize.safetensors"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(model, body, 0o644))

	code, _, stderr := runCmd("train", "--resume", model, "--data", filepath.Join("testdata", "prestandardize.csv"),
		"--epochs", fmt.Sprint(old.Config.Epochs+1), "--threads", "1", "--no-eval")
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, 0.1, m.Config.TestFraction)
}

// Resuming a checkpoint that stores no fraction on a split of other data
// gets the advice for a model without a stored fraction, not a claim that
// the model stores the default one.
func TestResumeOldCheckpointOtherSplitAdvice(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.safetensors")
	body, err := os.ReadFile(filepath.Join("testdata", "prestandardize.safetensors"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(model, body, 0o644))
	old, err := dim.LoadModel(model)
	require.NoError(t, err)

	code, _, stderr := runCmd("train", "--resume", model, "--data", filepath.Join("testdata", "prestandardize.csv"),
		"--test-fraction", "0.2", "--epochs", fmt.Sprint(old.Config.Epochs+1), "--threads", "1", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "than the data given (96 x [5] sha256:")
	assert.Contains(t, stderr, "; pass the --data it was trained on, and for a matrix file the --test-fraction it was trained on.\n")
	assert.NotContains(t, stderr, "that the model stores")
}

// The advice on a data mismatch used to ask for a --test-fraction for a
// model trained on an MNIST-style directory, although eval rejects that
// flag for such data. A model that stores its fraction, evaluated on a
// directory, was asked for the fraction it already stores.
func TestDataMismatchAdviceDirectory(t *testing.T) {
	dir, model := trainIDXModel(t)

	other := writeIDXDir(t)
	images := filepath.Join(other, "train-images-idx3-ubyte")
	body := readFile(t, images)
	body[len(body)-1] = 255 - body[len(body)-1]
	require.NoError(t, os.WriteFile(images, body, 0o644))
	code, _, stderr := runCmd("eval", model, "--data", other, "--threads", "1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim eval: "+model+": the model was trained on other data (48 x [1 2 3] sha256:")
	assert.Contains(t, stderr, "; pass the --data it was trained on, and for a matrix file the --test-fraction it was trained on.\n")

	// A matrix of the same images, with the default fraction stored.
	set, err := mnist.LoadDirSplit(dir, "train")
	require.NoError(t, err)
	values := make([]float64, len(set.Images.Data))
	for i, v := range set.Images.Data {
		values[i] = float64(v)
	}
	matrix := filepath.Join(t.TempDir(), "x.csv")
	require.NoError(t, tensor.WriteMatrixFile(matrix, values, 48, 6))
	matrixModel := filepath.Join(t.TempDir(), "mm.safetensors")
	code, _, stderr = runCmd("train", "--data", matrix, "--image-shape", "1,2,3", "--dim", "2", "--hidden", "8", "--batch", "16",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", matrixModel)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("eval", matrixModel, "--data", dir, "--threads", "1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "; pass the --data it was trained on; the split already uses the --test-fraction 0.1 that the model stores.\n")
}

// The help read only "share held out for testing", so a user could not
// tell which rows the test split takes. It now states the rule, and this
// checks the rule: the last round(F x rows) rows of the order that --seed
// shuffles, whatever their labels.
func TestMatrixSplitFollowsHelp(t *testing.T) {
	dir := t.TempDir()
	const rows, cols = 10, 2
	values := make([]float64, rows*cols)
	for i := range rows {
		values[i*cols] = float64(i)
		values[i*cols+1] = float64(i * i)
	}
	data := filepath.Join(dir, "x.csv")
	require.NoError(t, tensor.WriteMatrixFile(data, values, rows, cols))
	// One row of class 1 among nine of class 0.
	labels := filepath.Join(dir, "y.csv")
	require.NoError(t, os.WriteFile(labels, []byte("0\n0\n0\n0\n0\n0\n0\n1\n0\n0\n"), 0o644))

	const seed = 3
	order := make([]int, rows)
	for i := range order {
		order[i] = i
	}
	rng := tensor.NewRNG(seed)
	rng.Shuffle(rows, func(i, j int) { order[i], order[j] = order[j], order[i] })

	// 10 x 0.25 = 2.5 rounds to 3 test rows.
	train, test, _, err := loadMatrixData(dataFlags{data: data, labels: labels, testFraction: 0.25}, seed)
	require.NoError(t, err)
	require.Equal(t, []int{7, cols}, train.X.Shape)
	require.Equal(t, []int{3, cols}, test.X.Shape)
	for i, r := range order[:7] {
		assert.Equal(t, float32(r), train.X.Data[i*cols], "training row %d", i)
	}
	for i, r := range order[7:] {
		assert.Equal(t, float32(r), test.X.Data[i*cols], "test row %d", i)
		want := 0
		if r == 7 {
			want = 1
		}
		assert.Equal(t, want, test.Labels[i], "label of test row %d", i)
	}

	for _, command := range []string{"train", "sweep"} {
		_, help, _ := runCmd("help", command)
		assert.Contains(t, strings.Join(strings.Fields(help), " "), "rows are shuffled with --seed and the last F x rows, rounded, are held out, whatever their labels", command)
	}
	_, help, _ := runCmd("help", "train")
	assert.Contains(t, strings.Join(strings.Fields(help), " "), "the split is not stratified")
}

// A --test-fraction that held out no row, or left fewer than 2 training
// rows, was rejected as "too few to hold out 0.99 of them" without a
// fraction that works. The message now names one, and that one works.
func TestSplitSizeErrorNamesFraction(t *testing.T) {
	dir := t.TempDir()
	write := func(rows int) string {
		values := make([]float64, 2*rows)
		for i := range values {
			values[i] = float64(i * i % 7)
		}
		path := filepath.Join(dir, fmt.Sprintf("x%d.csv", rows))
		require.NoError(t, tensor.WriteMatrixFile(path, values, rows, 2))
		return path
	}
	three, four, five, twelve, many := write(3), write(4), write(5), write(12), write(150)
	threeRows := "; the MI estimate after training needs 2 test rows, which 3 rows cannot give while keeping 2 for training, so use more rows, or nidim train --no-eval to skip the evaluation"
	for _, c := range []struct {
		data     string
		fraction float64
		want     string
		works    float64
	}{
		{three, 0.1, "--test-fraction 0.1 holds out none of the 3 rows of --data " + three + "; use a larger --test-fraction, such as 0.17, which holds out 1 of the 3 rows" + threeRows, 0.17},
		// 0.13 held out 1 of 4 rows, and train then stopped on the MI
		// estimate's 2 test rows with the advice 0.38.
		{four, 0.1, "--test-fraction 0.1 holds out none of the 4 rows of --data " + four + "; use a larger --test-fraction, such as 0.38, which holds out 2 of the 4 rows", 0.38},
		{twelve, 0.01, "--test-fraction 0.01 holds out none of the 12 rows of --data " + twelve + "; use a larger --test-fraction, such as 0.13, which holds out 2 of the 12 rows", 0.13},
		{many, 0.001, "--test-fraction 0.001 holds out none of the 150 rows of --data " + many + "; use a larger --test-fraction, such as 0.01, which holds out 2 of the 150 rows", 0.01},
		{three, 0.5, "--test-fraction 0.5 holds out 2 of the 3 rows of --data " + three + ", which leaves fewer than the 2 that training needs; use a smaller --test-fraction, such as 0.49, which holds out 1 of the 3 rows" + threeRows, 0.49},
		{five, 0.7, "--test-fraction 0.7 holds out 4 of the 5 rows of --data " + five + ", which leaves fewer than the 2 that training needs; use a smaller --test-fraction, such as 0.69, which holds out 3 of the 5 rows", 0.69},
		{many, 0.99, "--test-fraction 0.99 holds out 149 of the 150 rows of --data " + many + ", which leaves fewer than the 2 that training needs; use a smaller --test-fraction, such as 0.98, which holds out 147 of the 150 rows", 0.98},
	} {
		_, _, _, err := loadMatrixData(dataFlags{data: c.data, testFraction: c.fraction}, 0)
		assert.EqualError(t, err, c.want)
		_, test, _, err := loadMatrixData(dataFlags{data: c.data, testFraction: c.works}, 0)
		require.NoError(t, err, "%s at %v", c.data, c.works)
		if c.data != three {
			assert.GreaterOrEqual(t, test.X.Shape[0], 2, "test rows of %s at %v", c.data, c.works)
		}
	}

	two := write(2)
	_, _, _, err := loadMatrixData(dataFlags{data: two, testFraction: 0.5}, 0)
	assert.EqualError(t, err, "--data "+two+" has 2 rows, too few to hold out one for testing and keep 2 for training; use a file with at least 3 rows")

	// The MI estimate needs 2 test rows; 3 rows cannot give them and 2
	// training rows. On 4 rows the advised fraction trains and evaluates.
	code, _, stderr := runCmd("train", "--data", four, "--test-fraction", "0.38", "--epochs", "1", "--hidden", "8", "--out", filepath.Join(dir, "m4.safetensors"))
	assert.Equal(t, exitOK, code, stderr)

	code, _, stderr = runCmd("train", "--data", three, "--test-fraction", "0.17", "--out", filepath.Join(dir, "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: the test split has 1 row, and the MI estimate needs at least 2; use more data, or --no-eval.\n", stderr)
}
