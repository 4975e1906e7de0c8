package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trainSmallModel trains one epoch on writeClusters data and returns the
// checkpoint, the data and the labels.
func trainSmallModel(t *testing.T, dir string) (model, data, labels string) {
	data, labels = writeClusters(t, dir)
	model = filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "32",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	return model, data, labels
}

// embed --out - used to be rejected for its missing extension, while
// test - reads standard input. Its stdout now carries the NPY file alone,
// which the reader of "nidim test -" takes.
func TestEmbedOutToStdout(t *testing.T) {
	dir := t.TempDir()
	model, data, _ := trainSmallModel(t, dir)
	file := filepath.Join(dir, "emb.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--threads", "1", "--out", file)
	require.Equal(t, exitOK, code, stderr)
	want, err := os.ReadFile(file)
	require.NoError(t, err)

	code, stdout, stderr := runCmd("embed", model, "--data", data, "--threads", "1", "--out", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "wrote 240 embeddings of dimension 4 to standard output\n", stderr)
	assert.Equal(t, want, []byte(stdout), "stdout is the .npy file's bytes")
	_, err = os.Stat("-")
	assert.ErrorIs(t, err, os.ErrNotExist, "no file named -")

	defer func() { stdin = os.Stdin }()
	stdin = strings.NewReader(stdout)
	values, rows, cols, _, err := readEmbeddingFile("-")
	require.NoError(t, err)
	assert.Equal(t, 240, rows)
	assert.Equal(t, 4, cols)
	fromFile, _, _, err := tensor.ReadMatrixFile(file)
	require.NoError(t, err)
	assert.Equal(t, fromFile, values)

	stdin = strings.NewReader(stdout)
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, run([]string{"test", "-"}, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "240")
}

// score --out - writes CSV, the same rows as a .csv --out, and keeps its
// summary on stderr.
func TestScoreOutToStdout(t *testing.T) {
	dir := t.TempDir()
	model, data, labels := trainSmallModel(t, dir)
	file := filepath.Join(dir, "scores.csv")
	code, _, stderr := runCmd("score", model, "--data", data, "--labels", labels, "--threads", "1", "--out", file)
	require.Equal(t, exitOK, code, stderr)
	want, err := os.ReadFile(file)
	require.NoError(t, err)

	code, stdout, stderr := runCmd("score", model, "--data", data, "--labels", labels, "--threads", "1", "--out", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, string(want), stdout)
	assert.Contains(t, stderr, "of 240 inputs under the gaussian prior (d = 4) to standard output\n")
	assert.Contains(t, stderr, "p-values <= 0.01:")

	_, rows, cols, _, err := tensor.ReadCSV(strings.NewReader(stdout), 0)
	require.NoError(t, err)
	assert.Equal(t, 240, rows)
	assert.Equal(t, 3, cols, "score, p-value and label")
}

// embed --out - used to write binary NPY even to a terminal. It now
// rejects a terminal before loading the model, while score --out -,
// which writes CSV, still prints to one.
func TestOutToTerminalStdout(t *testing.T) {
	dir := t.TempDir()
	model, data, labels := trainSmallModel(t, dir)
	defer func(saved func(io.Writer) bool) { isTerminal = saved }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }

	code, stdout, stderr := runCmd("embed", model, "--data", data, "--threads", "1", "--out", "-")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout, "no NPY bytes on the terminal")
	assert.Equal(t, "nidim embed: standard output is a terminal, and --out - would write binary NPY to it; redirect it to a file (> embeddings.npy) or pipe it to a command (| nidim test -), or pass --out embeddings.csv to write CSV.\n", stderr)

	code, stdout, stderr = runCmd("score", model, "--data", data, "--labels", labels, "--threads", "1", "--out", "-")
	require.Equal(t, exitOK, code, stderr)
	_, rows, cols, _, err := tensor.ReadCSV(strings.NewReader(stdout), 0)
	require.NoError(t, err)
	assert.Equal(t, 240, rows)
	assert.Equal(t, 3, cols)
}

// isTerminal returns false for a file, a pipe, /dev/null and a buffer.
func TestIsTerminalOnNonTerminals(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "out.npy"))
	require.NoError(t, err)
	defer file.Close()
	assert.False(t, isTerminal(file), "regular file")

	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, isTerminal(w), "pipe")

	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer devNull.Close()
	assert.False(t, isTerminal(devNull), "a character device that is no terminal")

	assert.False(t, isTerminal(&bytes.Buffer{}), "buffer")
}

// fullWriter is a standard output that rejects every write, as a full
// disk or a closed pipe does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// train --json, eval --json, bench and version exited with status 0 when
// their result could not be written to standard output, so a script took
// a missing or cut JSON object for a success. nidim test already failed.
func TestStdoutWriteFailureExitsOne(t *testing.T) {
	dir := t.TempDir()
	model, data, labels := trainSmallModel(t, dir)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "32", "--epochs", "1", "--threads", "1",
			"--no-eval", "--json", "--out", filepath.Join(dir, "json.safetensors")},
			"nidim train: writing the JSON result failed: no space left on device.\n"},
		{[]string{"eval", model, "--data", data, "--labels", labels, "--threads", "1", "--json"},
			"nidim eval: writing the JSON result failed: no space left on device.\n"},
		{[]string{"bench", "gemm", "--sizes", "8", "--json"},
			"nidim bench gemm: writing the JSON results failed: no space left on device.\n"},
		{[]string{"bench", "gemm", "--sizes", "8"},
			"nidim bench gemm: writing the results failed: no space left on device.\n"},
		{[]string{"bench", "step", "--model", "mlp", "--batch", "4", "--steps", "1", "--threads", "1", "--json"},
			"nidim bench step: writing the JSON results failed: no space left on device.\n"},
		{[]string{"bench", "step", "--model", "mlp", "--batch", "4", "--steps", "1", "--threads", "1"},
			"nidim bench step: writing the results failed: no space left on device.\n"},
		{[]string{"version"}, "nidim version: writing the version failed: no space left on device.\n"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		code := run(c.args, fullWriter{}, &stderr)
		assert.Equal(t, exitFail, code, "%v", c.args)
		assert.True(t, strings.HasSuffix(stderr.String(), c.want), "%v: stderr %q", c.args, stderr.String())
	}
}

// sweep and every help exited with status 0 when standard output rejected
// their writes ("nidim help > /dev/full"), unlike train, eval, bench and
// version. They now say so on stderr and exit with status 1.
func TestHelpAndSweepStdoutWriteFailureExitsOne(t *testing.T) {
	const full = "writing the help failed: no space left on device.\n"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "nidim help: " + full},
		{[]string{"--help"}, "nidim help: " + full},
		{[]string{"help", "help"}, "nidim help: " + full},
		{[]string{"help", "sweep"}, "nidim sweep: " + full},
		{[]string{"sweep", "--help"}, "nidim sweep: " + full},
		{[]string{"train", "-h"}, "nidim train: " + full},
		{[]string{"help", "bench"}, "nidim bench: " + full},
		{[]string{"bench", "gemm", "--help"}, "nidim bench gemm: " + full},
		{[]string{"help", "plot"}, "nidim plot: " + full},
		{[]string{"plot", "qq", "--help"}, "nidim plot qq: " + full},
		{[]string{"help", "serve"}, "nidim serve: " + full},
		{[]string{"help", "test"}, "nidim test: " + full},
		{[]string{"help", "version"}, "nidim version: " + full},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		code := run(c.args, fullWriter{}, &stderr)
		assert.Equal(t, exitFail, code, "%v", c.args)
		assert.Equal(t, c.want, stderr.String(), "%v", c.args)
	}

	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	var stderr bytes.Buffer
	code := run([]string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2", "--epochs", "1",
		"--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}, fullWriter{}, &stderr)
	assert.Equal(t, exitFail, code)
	csvPath, mdPath := filepath.Join(out, "sweep.csv"), filepath.Join(out, "sweep.md")
	assert.True(t, strings.HasSuffix(stderr.String(), "nidim sweep: writing the paths of the tables failed: no space left on device; the tables are "+csvPath+" and "+mdPath+".\n"), stderr.String())
	assert.FileExists(t, csvPath)
	assert.FileExists(t, mdPath)
}
