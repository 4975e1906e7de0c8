package main

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeIDXDir writes an MNIST-style directory of random 2x3 images, 48
// for training and 16 for testing, with labels 0-3.
func writeIDXDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	// Black and white pixels, whose percentiles are 0 and 255.
	pixel := func() byte { return byte(255 * rng.IntN(2)) }
	writeIDXSplit(t, dir, mnist.TrainImages, mnist.TrainLabels, 48, rng, pixel, false)
	writeIDXSplit(t, dir, mnist.TestImages, mnist.TestLabels, 16, rng, pixel, false)
	return dir
}

// writeIDXSplit writes n 2x3 images, whose pixels pixel draws, and n
// labels from 0 to 3 drawn from rng to dir under the names images and
// labels. With zip the images file is gzipped and gets the suffix .gz.
func writeIDXSplit(t *testing.T, dir, images, labels string, n int, rng *rand.Rand, pixel func() byte, zip bool) {
	t.Helper()
	img := []byte{0, 0, 8, 3, 0, 0, byte(n >> 8), byte(n), 0, 0, 0, 2, 0, 0, 0, 3}
	for range n * 6 {
		img = append(img, pixel())
	}
	lab := []byte{0, 0, 8, 1, 0, 0, byte(n >> 8), byte(n)}
	for range n {
		lab = append(lab, byte(rng.IntN(4)))
	}
	if zip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(img)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		img, images = buf.Bytes(), images+".gz"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, images), img, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, labels), lab, 0o644))
}

// trainIDXModel trains a one-epoch model on the directory of writeIDXDir
// and returns the directory and the checkpoint's path.
func trainIDXModel(t *testing.T) (dir, model string) {
	t.Helper()
	dir = writeIDXDir(t)
	return dir, trainOnIDXDir(t, dir, "--dim", "2", "--batch", "16")
}

// trainOnIDXDir trains a one-epoch model of hidden width 8 on the
// MNIST-style directory dir with the flags args, such as --dim and
// --batch, and returns the checkpoint's path.
func trainOnIDXDir(t *testing.T, dir string, args ...string) string {
	t.Helper()
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd(append([]string{"train", "--data", dir, "--hidden", "8", "--epochs", "1", "--threads", "1",
		"--no-eval", "--out", model}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	return model
}

// A model trained on an IDX directory, whose pixels nidim scales to
// [0, 1], used to embed a single IDX file of the same images, read as raw
// values 0-255, without a word. Embed and score now print a note, and none
// for the data the model was trained on.
func TestEmbedScoreNoteOtherScale(t *testing.T) {
	dir, model := trainIDXModel(t)

	single := filepath.Join(dir, "t10k-images-idx3-ubyte")
	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(t.TempDir(), "out.csv")
		code, _, stderr := runCmd(command, model, "--data", single, "--out", out)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stderr, "nidim "+command+": note: the values of --data "+single+" lie mostly in [0, 255], but "+model+
			" was trained on values mostly in [0, 1], and inputs on another scale or that far off give embeddings that mean nothing; rescale the data to the training range. "+
			"A factor of 255 is the difference between an IDX directory, whose pixels nidim scales to [0, 1], and a single IDX file, read as raw values 0-255: pass --data in the form the model was trained on. "+
			"A directory that contains only the images, named t10k-images-idx3-ubyte, is enough for embed and score\n")
		assert.FileExists(t, out, "the note does not stop the command")

		code, _, stderr = runCmd(command, model, "--data", dir, "--out", out)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "note", command)
	}

	// An .npy file of raw pixel values gets the factor of 255, but the
	// directory is advice for IDX files only.
	rawNPY := filepath.Join(t.TempDir(), "raw.npy")
	raw := make([]float64, 32*6)
	for i := range raw {
		raw[i] = float64(255 * (i % 2))
	}
	require.NoError(t, tensor.WriteMatrixFile(rawNPY, raw, 32, 6))
	code, _, stderr := runCmd("score", model, "--data", rawNPY, "--out", filepath.Join(t.TempDir(), "s.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "A factor of 255 is the difference")
	assert.NotContains(t, stderr, "A directory that contains only the images")

	// The reverse, a model trained on raw values, gets the factor of 255
	// but no advice to put the images in a directory.
	rawModel := filepath.Join(t.TempDir(), "raw.safetensors")
	code, _, stderr = runCmd("train", "--data", filepath.Join(dir, "train-images-idx3-ubyte"), "--dim", "2", "--hidden", "8", "--batch", "16",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", rawModel)
	require.Equal(t, exitOK, code, stderr)
	// The 16 test images have too few values for a note on a narrow span.
	code, _, stderr = runCmd("score", rawModel, "--data", dir, "--split", "train", "--out", filepath.Join(t.TempDir(), "s.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "A factor of 255 is the difference")
	assert.NotContains(t, stderr, "A directory that contains only the images")
}

// One row of six values near the training mean spans a small part of the
// training range, which the note used to call another scale.
func TestEmbedOneRowNoScaleNote(t *testing.T) {
	_, _, model := trainTinyModel(t)
	row := filepath.Join(t.TempDir(), "row.csv")
	require.NoError(t, os.WriteFile(row, []byte("0.1,0.15,0.2,0.1,0.12,0.13\n"), 0o644))
	code, _, stderr := runCmd("embed", model, "--data", row, "--out", filepath.Join(t.TempDir(), "e.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "another scale")
}

// Scoring the held-out test files of a data set, without its training
// files, used to fail because embed and score read all four IDX files.
// Now they read only the files of --split, and the rows and labels are
// those of the full directory.
func TestEmbedScoreTestFilesOnly(t *testing.T) {
	dir, model := trainIDXModel(t)

	testOnly := t.TempDir()
	for _, name := range []string{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(testOnly, name), b, 0o644))
	}

	for _, command := range []string{"embed", "score"} {
		full := filepath.Join(t.TempDir(), "full.csv")
		code, _, stderr := runCmd(command, model, "--data", dir, "--out", full)
		require.Equal(t, exitOK, code, stderr)
		part := filepath.Join(t.TempDir(), "part.csv")
		code, _, stderr = runCmd(command, model, "--data", testOnly, "--out", part)
		require.Equal(t, exitOK, code, "%s: %s", command, stderr)

		want, err := os.ReadFile(full)
		require.NoError(t, err)
		got, err := os.ReadFile(part)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), command)
		assert.Equal(t, 16, strings.Count(string(got), "\n"), command)

		code, _, stderr = runCmd(command, model, "--data", testOnly, "--split", "train", "--out", part)
		assert.Equal(t, exitUsage, code, command)
		assert.Equal(t, "nidim "+command+": train-images-idx3-ubyte and train-images-idx3-ubyte.gz not found in "+testOnly+
			"; the directory must contain the images of the training split, train-images-idx3-ubyte (its labels file train-labels-idx1-ubyte is optional).\n", stderr, command)
	}

	// Without the labels file, score writes the score and p-value columns
	// alone, with the values of the full directory.
	require.NoError(t, os.Remove(filepath.Join(testOnly, "t10k-labels-idx1-ubyte")))
	full := filepath.Join(t.TempDir(), "full.csv")
	code, _, stderr := runCmd("score", model, "--data", dir, "--out", full)
	require.Equal(t, exitOK, code, stderr)
	part := filepath.Join(t.TempDir(), "part.csv")
	code, _, stderr = runCmd("score", model, "--data", testOnly, "--out", part)
	require.Equal(t, exitOK, code, stderr)
	want, _, wantCols, err := tensor.ReadMatrixFile(full)
	require.NoError(t, err)
	got, rows, cols, err := tensor.ReadMatrixFile(part)
	require.NoError(t, err)
	require.Equal(t, 3, wantCols)
	require.Equal(t, 16, rows)
	require.Equal(t, 2, cols, "no label column")
	for i := range rows {
		assert.Equal(t, want[3*i], got[2*i], "row %d score", i)
		assert.Equal(t, want[3*i+1], got[2*i+1], "row %d p-value", i)
	}
}

// An MNIST-style directory whose test images file holds no images was
// embedded and scored as 0 rows, with "p-values <= 0.01: 0 of 0 (NaN%",
// and as an --ood set it failed eval only after the whole evaluation,
// with "AUROC: needs at least one negative and one positive score".
func TestEmptyIDXSplitRejected(t *testing.T) {
	dir, model := trainIDXModel(t)
	empty := t.TempDir()
	header := []byte{0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3}
	require.NoError(t, os.WriteFile(filepath.Join(empty, "t10k-images-idx3-ubyte"), header, 0o644))

	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(t.TempDir(), "out.csv")
		code, stdout, stderr := runCmd(command, model, "--data", empty, "--out", out)
		assert.Equal(t, exitUsage, code, command)
		assert.Empty(t, stdout, command)
		assert.Equal(t, "nidim "+command+": --data "+empty+" contains no images in its test split; pass a directory whose test images file contains at least one image.\n", stderr, command)
		assert.NoFileExists(t, out, command)
	}

	code, stdout, stderr := runCmd("eval", model, "--data", dir, "--threads", "1", "--ood", empty)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim eval: --ood "+empty+" contains no images in its test split; pass a directory whose test images file contains at least one image.\n", stderr)
}
