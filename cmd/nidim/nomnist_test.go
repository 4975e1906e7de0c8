//go:build nomnist

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command that reads the built-in MNIST when no --data is given
// rejects the command line in a build with the tag nomnist, before it
// writes anything.
func TestNoMNISTCommandsWithoutData(t *testing.T) {
	_, _, model := trainTinyModel(t)
	dir := t.TempDir()
	const prefix = ": no --data was given, and this nidim was built without the embedded MNIST (build tag nomnist); pass --data DIR, a directory with "
	const suffix = ", or --data FILE, a matrix file (.npy, .csv, .tsv or .txt, optionally gzipped) with one sample per row.\n"
	const four = "the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or gzipped)"
	const testSplit = "the images of the test split, t10k-images-idx3-ubyte (plain or gzipped; its labels file t10k-labels-idx1-ubyte is optional)"
	const trainSplit = "the images of the training split, train-images-idx3-ubyte (plain or gzipped; its labels file train-labels-idx1-ubyte is optional)"

	checkpoint, emb, scores := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "z.npy"), filepath.Join(dir, "s.csv")
	for _, c := range []struct {
		args  []string
		files string
	}{
		{[]string{"train", "--epochs", "1", "--out", checkpoint}, four},
		{[]string{"train", "--labels", filepath.Join(dir, "labels.csv"), "--out", checkpoint}, four},
		{[]string{"train", "--resume", model, "--epochs", "2", "--out", checkpoint}, four},
		{[]string{"sweep", "--epochs", "1", "--out", filepath.Join(dir, "sweep")}, four},
		{[]string{"eval", model}, four},
		{[]string{"eval", model, "--json"}, four},
		{[]string{"embed", model, "--out", emb}, testSplit},
		{[]string{"embed", model, "--split", "train", "--out", emb}, trainSplit},
		{[]string{"score", model, "--out", scores}, testSplit},
		{[]string{"score", model, "--split", "train", "--out", scores}, trainSplit},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, c.args)
		assert.Empty(t, stdout, c.args)
		assert.Equal(t, "nidim "+c.args[0]+prefix+c.files+suffix, stderr, c.args)
	}

	written, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, written, "a command wrote to %s", dir)
}

// The commands that do not read MNIST work as in a default build.
func TestNoMNISTCommandsWithData(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	emb := filepath.Join(dir, "z.npy")
	for _, args := range [][]string{
		{"embed", model, "--data", data, "--out", emb},
		{"test", "--replicates", "19", emb},
		{"score", model, "--data", data, "--out", filepath.Join(dir, "s.csv")},
		{"eval", model, "--data", data, "--labels", labels},
		{"export", model, "--out", filepath.Join(dir, "x.safetensors")},
		{"plot", "qq", emb, "--out", filepath.Join(dir, "qq.svg")},
		{"bench", "step", "--model", "mlp", "--batch", "4", "--steps", "1", "--threads", "1"},
	} {
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitOK, code, "%v: %s", args, stderr)
	}
}

func TestNoMNISTVersion(t *testing.T) {
	code, stdout, stderr := runCmd("version")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasSuffix(stdout, "\nbuilt without the embedded MNIST (build tag nomnist); pass --data, and --train-data to serve --method knn\n"), stdout)
}

// The help of a command whose --data defaults to the built-in MNIST ends
// with a note that this build has none, and other help is unchanged.
func TestNoMNISTHelpNote(t *testing.T) {
	for _, name := range []string{"train", "sweep", "eval", "embed", "score"} {
		code, stdout, stderr := runCmd("help", name)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, "built-in MNIST", name)
		assert.True(t, strings.HasSuffix(stdout, "\n\n"+noMNISTHelp), "help %s ends with:\n%s", name, stdout[max(0, len(stdout)-300):])
	}
	// serve reads the built-in MNIST only for --method knn.
	code, stdout, stderr := runCmd("help", "serve")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasSuffix(stdout, "\n\n"+noMNISTServeHelp), "help serve ends with:\n%s", stdout[max(0, len(stdout)-300):])
	assert.NotContains(t, stdout, "--data is required")
	for _, name := range []string{"test", "plot", "export", "version"} {
		code, stdout, stderr := runCmd("help", name)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stdout, "nomnist", name)
	}
}

// serve --method knn reads the built-in MNIST without --train-data, so
// for a model of MNIST's shape a build without it requires the flag.
func TestNoMNISTServeKNNNeedsTrainData(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 2, 8
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	require.NoError(t, err)
	require.Zero(t, m.Config.TestFraction, "a model of MNIST-style data records no split")
	m.Epoch = cfg.Epochs // a finished run, which serve starts without a note
	model := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(model))

	code, stdout, stderr := runCmd("serve", model, "--addr", "127.0.0.1:0", "--method", "knn")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim serve: missing --train-data: --method knn reads the built-in MNIST by default, but this nidim was built without it (build tag nomnist); pass the data "+model+" was trained on as --train-data.\n", stderr)
}
