package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embed, score and eval share the checks of modelCommand: each must give
// the same message, in its own name, for the same mistake.
func TestModelCommandSharedChecks(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "o.csv")
	for _, c := range []struct {
		args []string
		want string
		cmds []string // the commands the case applies to
	}{
		{[]string{"--model", model, model}, "the model is given twice, as --model " + model + " and as the argument " + model + "; pass it once.", []string{"embed", "score", "eval"}},
		{nil, "missing --model; pass the checkpoint written by nidim train, as in nidim CMD MODEL", []string{"embed", "score", "eval"}},
		{[]string{model, "--threads", "-2"}, "invalid --threads -2; use 0 for all cores or a positive count.", []string{"embed", "score", "eval"}},
		{[]string{model, "--split", "val"}, `invalid --split "val"; use test or train.`, []string{"embed", "score"}},
		{[]string{model, "--batch", "0"}, "invalid --batch 0; use 1 or more samples.", []string{"embed", "score"}},
		{[]string{model, "--out", filepath.Join(dir, "o.bin")}, "o.bin: unknown matrix file extension; use .npy, .csv, .tsv or .txt", []string{"embed", "score"}},
		{[]string{model, "--out", filepath.Join(dir, "missing", "o.csv")}, "missing of --out " + filepath.Join(dir, "missing", "o.csv") + " does not exist", []string{"embed", "score"}},
		{[]string{"-"}, `CHECKPOINT - would read a checkpoint file named "-", but there is none; nidim reads a checkpoint only from a file, not from standard input, so pass its path.`, []string{"embed", "score", "eval"}},
		{[]string{"--model", "-"}, `--model - would read a checkpoint file named "-"`, []string{"embed", "score", "eval"}},
		{[]string{filepath.Join(dir, "absent.safetensors")}, "absent.safetensors", []string{"eval"}},
		{[]string{filepath.Join(dir, "absent.safetensors"), "--out", out}, "absent.safetensors", []string{"embed", "score"}},
	} {
		for _, cmd := range c.cmds {
			args := append([]string{cmd}, c.args...)
			if cmd != "eval" && !slices.Contains(c.args, "--out") {
				args = append(args, "--out", out)
			}
			code, _, stderr := runCmd(args...)
			assert.Equal(t, exitUsage, code, "%v", args)
			assert.Contains(t, stderr, "nidim "+cmd+": ", "%v", args)
			want := c.want
			if c.args == nil {
				want = "missing --model; pass the checkpoint written by nidim train, as in nidim " + cmd + " MODEL"
			}
			assert.Contains(t, stderr, want, "%v", args)
		}
	}
	for cmd, file := range map[string]string{"embed": "embedding file to write, such as embeddings.npy.", "score": "score file to write, such as scores.csv."} {
		code, _, stderr := runCmd(cmd, model, "--data", data)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, "nidim "+cmd+": missing --out; pass the "+file)
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no command wrote %s", out)
}

// A checkpoint is read only from a file, so "-" in place of one gets an
// error that says so instead of "does not exist", in every command that
// loads a checkpoint.
func TestCheckpointFromStdinRejected(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--resume", "-"},
		{"export", "-", "--out", filepath.Join(t.TempDir(), "e.safetensors")},
		{"serve", "--model", "-"},
	} {
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, stderr, `- would read a checkpoint file named "-", but there is none; nidim reads a checkpoint only from a file, not from standard input`, "%v", args)
	}
}

// modelInput reads a matrix file whole and MNIST-style data by split,
// with the labels of that split, and refuses samples of the wrong size.
func TestModelInput(t *testing.T) {
	data, _, modelPath := trainTinyModel(t)
	m, st := (&modelCommand{name: "embed", model: &modelPath, threads: new(int)}).loadModel()
	require.Equal(t, -1, st)

	x, labels, err := modelInput("--data", data, "", m)
	require.NoError(t, err)
	assert.Nil(t, labels, "a matrix file has no labels of its own")
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	require.Equal(t, []int{rows, cols}, x.Shape)
	for i, v := range values {
		require.Equal(t, float32(v), x.Data[i], "value %d", i)
	}

	// An MNIST-style directory: two 2x3 training images, one test image.
	dir := t.TempDir()
	img := func(n byte, pixels ...byte) []byte {
		return append([]byte{0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 3}, pixels...)
	}
	files := map[string][]byte{
		"train-images-idx3-ubyte": img(2, 0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0),
		"train-labels-idx1-ubyte": {0, 0, 8, 1, 0, 0, 0, 2, 3, 7},
		"t10k-images-idx3-ubyte":  img(1, 1, 2, 3, 4, 5, 6),
		"t10k-labels-idx1-ubyte":  {0, 0, 8, 1, 0, 0, 0, 1, 9},
	}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	// The tiny model takes 6 values per sample, as these images have.
	x, labels, err = modelInput("--data", dir, "train", m)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 6}, x.Shape)
	assert.Equal(t, []int{3, 7}, labels)
	assert.InDelta(t, 0.2, x.Data[1], 1e-7)
	x, labels, err = modelInput("--data", dir, "test", m)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 6}, x.Shape)
	assert.Equal(t, []int{9}, labels)

	// Without --split, MNIST-style data gives its test split.
	x, labels, err = modelInput("--data", dir, "", m)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 6}, x.Shape)
	assert.Equal(t, []int{9}, labels)

	// modelInput reads a matrix file whole whatever the split, because
	// input selects the rows of --split once it has printed the notes on
	// the whole file (see split_test.go).
	for _, split := range []string{"train", "test"} {
		x, _, err = modelInput("--data", data, split, m)
		require.NoError(t, err, split)
		assert.Equal(t, []int{rows, cols}, x.Shape, split)
	}
	// Without --split both commands read every row of it.
	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(t.TempDir(), "out.csv")
		code, _, stderr := runCmd(command, modelPath, "--data", data, "--out", out)
		require.Equal(t, exitOK, code, "%s: %s", command, stderr)
		_, outRows, _, err := tensor.ReadMatrixFile(out)
		require.NoError(t, err, command)
		assert.Equal(t, rows, outRows, command)
	}

	// Samples of another size are refused with both sizes named.
	wide := filepath.Join(t.TempDir(), "wide.csv")
	require.NoError(t, tensor.WriteMatrixFile(wide, make([]float64, 14), 2, 7))
	_, _, err = modelInput("--data", wide, "", m)
	require.Error(t, err)
	assert.EqualError(t, err, "the data has 7 values per sample but the model was trained on samples of shape [6] (6 values); pass --data with samples of 6 values")
}

// embed and score of the built-in MNIST decode only the split they read.
// They used to decode both, which took 188 MB more for the training
// pixels when they read the test split: nidim embed of a model of the
// digits peaked at 249 MB resident, and now at 51 MB.
func TestModelInputBuiltinDecodesOneSplit(t *testing.T) {
	skipWithoutMNIST(t)
	_, _, modelPath := trainTinyModel(t)
	m, st := (&modelCommand{name: "embed", model: &modelPath, threads: new(int)}).loadModel()
	require.Equal(t, -1, st)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	x, _, err := modelInput("--data", "", "test", m)
	runtime.ReadMemStats(&after)
	// The tiny model takes 6 values per sample, so the 784 pixels of a
	// digit are an error, which comes after the split was decoded.
	require.Error(t, err)
	require.Equal(t, []int{10000, 784}, x.Shape)
	allocated := after.TotalAlloc - before.TotalAlloc
	// The test pixels take 31 MB as float32 and the training pixels 188 MB.
	assert.Less(t, allocated, uint64(100<<20), "modelInput allocated %d bytes for the test split", allocated)
}

// An invalid IDX file used to show the library's prefixes after the
// command's: "nidim train: DIR/FILE: tensor: idx: invalid format: ..." for
// an MNIST-style directory, and "nidim embed: idx: invalid format: ...
// (file FILE)" for a single file. Each message now names the command, the
// path, the problem and the fix once.
func TestInvalidIDXMessages(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "32",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	idxDir := filepath.Join(dir, "mnist")
	require.NoError(t, os.Mkdir(idxDir, 0o755))
	truncated := filepath.Join(idxDir, "train-images-idx3-ubyte")
	require.NoError(t, os.WriteFile(truncated, []byte{0, 0, 8, 3, 0, 0, 0, 1}, 0o644))
	notIDX := filepath.Join(dir, "labels.idx")
	require.NoError(t, os.WriteFile(notIDX, []byte("0\n1\n2\n"), 0o644))
	const cut = ": invalid IDX file: input ends inside the 3 dimension sizes the header announces; the file is truncated, so replace it with a complete copy.\n"
	const magic = ": invalid IDX file: magic number 30 0a 31 0a does not start with 00 00; the input is not an IDX file (gzipped IDX, starting 1f 8b, is also accepted).\n"

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", idxDir, "--out", filepath.Join(dir, "n.safetensors")}, "nidim train: " + truncated + cut},
		{[]string{"eval", model, "--data", idxDir}, "nidim eval: " + truncated + cut},
		{[]string{"embed", model, "--data", truncated, "--out", filepath.Join(dir, "e.npy")}, "nidim embed: " + truncated + cut},
		{[]string{"test", truncated}, "nidim test: " + truncated + cut},
		{[]string{"score", model, "--data", data, "--labels", notIDX, "--out", filepath.Join(dir, "s.csv")}, "nidim score: --labels " + notIDX + magic},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, c.args)
		assert.Empty(t, stdout, c.args)
		assert.Equal(t, c.want, stderr, c.args)
	}
}

// A header of integer column names, as pandas writes "0,1,...,9", reads
// as a data row and silently added one sample. The commands that read a
// text matrix now print a note on it, and an NPY file or other first rows
// get none.
func TestColumnNumbersHeaderNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("0,1,2,3,4,5\n")
	require.NoError(t, tensor.WriteCSV(&b, values, rows, cols, nil, ','))
	headed := filepath.Join(dir, "headed.csv")
	require.NoError(t, os.WriteFile(headed, []byte(b.String()), 0o644))
	note := func(command, source string, start, end int) string {
		return fmt.Sprintf("nidim %s: note: the first row of %s is the numbers %d to %d in order, which looks like a header of column numbers. A line of unquoted numbers is read as data, so it became the first sample, one more than the file's data rows; remove that line, quote the names (\"%d\",\"%d\",...), or write the file without a header (pandas: to_csv(header=False))\n",
			command, source, start, end, start, start+1)
	}
	trainNote := note("train", "--data "+headed, 0, 5)

	// The note comes before the error that the extra row causes.
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", headed, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, trainNote+"nidim train: --labels "+labels+" has 240 labels, but --data has 241 rows; it needs one label per row.\n", stderr)

	code, _, stderr = runCmd("train", "--data", headed, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stderr, trainNote), stderr)

	code, _, stderr = runCmd("embed", model, "--data", headed, "--out", filepath.Join(dir, "e.npy"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, note("embed", "--data "+headed, 0, 5))

	code, _, stderr = runCmd("eval", model, "--data", headed)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, note("eval", "--data "+headed, 0, 5))

	// Embeddings with columns named 1 to 4, from a file and from stdin,
	// as text and gzipped text.
	b.Reset()
	b.WriteString("1 2 3 4\n")
	require.NoError(t, tensor.WriteCSV(&b, values[:rows*4], rows, 4, nil, ' '))
	embeddings := filepath.Join(dir, "embeddings.txt")
	require.NoError(t, os.WriteFile(embeddings, []byte(b.String()), 0o644))
	code, _, stderr = runCmd("test", "--tests", "ks-prior", embeddings)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, note("test", embeddings, 1, 4), stderr)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write([]byte(b.String()))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	defer func() { stdin = os.Stdin }()
	for name, input := range map[string][]byte{"text": []byte(b.String()), "gzipped text": gz.Bytes()} {
		stdin = bytes.NewReader(input)
		code, _, stderr = runCmd("test", "--tests", "ks-prior", "-")
		require.Equal(t, exitOK, code, "%s: %s", name, stderr)
		assert.Equal(t, note("test", "standard input", 1, 4), stderr, name)
	}

	// The same values in NPY have no header, so they get no note.
	withRow := append([]float64{1, 2, 3, 4}, values[:rows*4]...)
	npy := filepath.Join(dir, "embeddings.npy")
	require.NoError(t, tensor.WriteMatrixFile(npy, withRow, rows+1, 4))
	code, _, stderr = runCmd("test", "--tests", "ks-prior", npy)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)
	raw, err := os.ReadFile(npy)
	require.NoError(t, err)
	stdin = bytes.NewReader(raw)
	code, _, stderr = runCmd("test", "--tests", "ks-prior", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr, "NPY on standard input")

	// Other first rows, numbered rows of two columns and numbered rows
	// after a header line get no note.
	for _, text := range []string{"0 1 3\n", "2 3 4\n", "0 1\n5 6\n", "# c\na b c\n0 1 2\n"} {
		path := filepath.Join(dir, "other.txt")
		rest := "5 6 7\n4 6 9\n8 1 2\n"
		if strings.HasPrefix(text, "0 1\n") {
			rest = "5 6\n4 6\n"
		}
		require.NoError(t, os.WriteFile(path, []byte(text+rest), 0o644))
		code, _, stderr = runCmd("test", "--tests", "ks-prior", path)
		require.Equal(t, exitOK, code, "%q: %s", text, stderr)
		assert.NotContains(t, stderr, "header of column numbers", text)
	}
}
