package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeConstantColumns replaces the columns of the matrix file path
// listed in constant, counted from 0, by the value 2.5 in every row.
func writeConstantColumns(t *testing.T, path string, constant ...int) {
	t.Helper()
	values, rows, cols, err := tensor.ReadMatrixFile(path)
	require.NoError(t, err)
	for i := range rows {
		for _, k := range constant {
			values[i*cols+k] = 2.5
		}
	}
	require.NoError(t, tensor.WriteMatrixFile(path, values, rows, cols))
}

// Feature vectors without any spread used to train without a warning,
// although the encoder has nothing to learn from them.
func TestConstantDataRejected(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	writeConstantColumns(t, data, 0, 1, 2, 3, 4, 5)
	model := filepath.Join(dir, "m.safetensors")
	want := "all 6 columns of --data " + data + " are constant over the 216 training rows, so the encoder has nothing to learn; pass data whose features vary across samples.\n"

	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim train: "+want, stderr)
	_, err := os.Stat(model)
	assert.ErrorIs(t, err, os.ErrNotExist, "no checkpoint is written")

	code, _, stderr = runCmd("train", "--data", data, "--standardize", "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: "+want, stderr, "with --standardize")

	sweepDir := filepath.Join(dir, "sweep")
	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--dims", "2", "--sigmas", "0.5",
		"--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--out", sweepDir)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: "+want, stderr)
	_, err = os.Stat(sweepDir)
	assert.ErrorIs(t, err, os.ErrNotExist, "no sweep directory is created")
}

func TestConstantSingleColumnRejected(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "one.csv")
	values := make([]float64, 40)
	for i := range values {
		values[i] = 7
	}
	require.NoError(t, tensor.WriteMatrixFile(data, values, 40, 1))

	code, _, stderr := runCmd("train", "--data", data, "--dim", "1", "--hidden", "8", "--batch", "8",
		"--epochs", "1", "--threads", "1", "--out", filepath.Join(dir, "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: the one column of --data "+data+" is constant over the 36 training rows, so the encoder has nothing to learn; pass data whose features vary across samples.\n", stderr)
}

// Some constant features get a note, with standardization (the default for
// feature vectors) and with --standardize=false, and training goes on.
func TestConstantFeaturesNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	writeConstantColumns(t, data, 1, 4)
	note := "note: columns 2, 5 (counting from 1) are constant over the 216 training rows, so they carry no information for the encoder; check that --data contains the intended features\n"
	standardized := "note: columns 2, 5 (counting from 1) are constant over the 216 training rows, so standardization centres them and does not scale them to standard deviation 1\n"

	args := []string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: "+standardized)
	code, _, stderr = runCmd(append(args, "--standardize=false")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: "+note)

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--dims", "2", "--sigmas", "0.5",
		"--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--eval-samples", "24", "--out", filepath.Join(dir, "sweep"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: "+standardized)
}

func TestConstantFeaturesNoteWithoutStandardize(t *testing.T) {
	assert.Equal(t, "", constantFeaturesNote(nil, 10, false))
	assert.Equal(t, "column 4 (counting from 1) is constant over the 10 training rows, so it carries no information for the encoder; check that --data contains the intended features",
		constantFeaturesNote([]int{3}, 10, false))
	assert.Equal(t, "columns 1, 2, 3, 4, 5 and 2 more (counting from 1) are constant over the 10 training rows, so they carry no information for the encoder; check that --data contains the intended features",
		constantFeaturesNote([]int{0, 1, 2, 3, 4, 5, 6}, 10, false))
}

// Images are not checked: MNIST's border pixels are constant.
func TestConstantPixelsNotNoted(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	writeConstantColumns(t, data, 0)
	code, _, stderr := runCmd("train", "--data", data, "--image-shape", "2,3", "--encoder", "mlp", "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "constant")
}
