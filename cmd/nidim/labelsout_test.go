package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/tensor"
)

// embed wrote no class labels, so coloring a scatter plot of a directory
// of images by class took score's third column cut out by hand.
// --labels-out writes them, in the order of the output rows.
func TestEmbedLabelsOut(t *testing.T) {
	dir, _ := writeImageFolder(t)
	tmp := t.TempDir()
	model := filepath.Join(tmp, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	emb, labels, rows := filepath.Join(tmp, "e.npy"), filepath.Join(tmp, "labels.npy"), filepath.Join(tmp, "rows.csv")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--split", "test", "--out", emb, "--labels-out", labels, "--row-numbers", rows)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "to "+emb+", their row numbers in the input (counting from 0) to "+rows+" and their class labels to "+labels+"\n")

	// The folder holds 20 images of class a, then 20 of class b, so row
	// r of the input has label r / 20.
	got, _, err := tensor.ReadArrayFile(labels)
	require.NoError(t, err)
	numbers, n, _, err := tensor.ReadMatrixFile(rows)
	require.NoError(t, err)
	require.Equal(t, n, len(got))
	for i, r := range numbers {
		assert.Equal(t, float64(int(r)/20), got[i], "output row %d, input row %v", i, r)
	}

	// A matrix file keeps its labels in a file of their own, which
	// --labels passes: without it the error comes before any output.
	x := filepath.Join(tmp, "x.csv")
	row := strings.Repeat("0.5,", 63) + "0.5\n"
	require.NoError(t, os.WriteFile(x, []byte(row+row), 0o644))
	out := filepath.Join(tmp, "x-emb.npy")
	code, _, stderr = runCmd("embed", model, "--data", x, "--out", out, "--labels-out", filepath.Join(tmp, "l2.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--labels-out "+filepath.Join(tmp, "l2.npy")+" writes the class label of each output row, but --data "+x+" is a matrix file, whose labels are in a file of their own; pass it as --labels FILE")
	assert.NoFileExists(t, out)

	// Nor does one class directory passed alone, which reads as a folder
	// of unlabelled images.
	classB := filepath.Join(dir, "b")
	code, _, stderr = runCmd("embed", model, "--data", classB, "--out", out, "--labels-out", filepath.Join(tmp, "l3.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "but --data "+classB+" is a directory of images without class subdirectories, so its rows have no labels; drop --labels-out, or pass a directory with one subdirectory of images per class.\n")
	assert.NoFileExists(t, out)

	// The labels may not replace another output.
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", emb, "--row-numbers", rows, "--labels-out", rows)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--labels-out "+rows+" is the --row-numbers file too")
}

// A model trained on a matrix file with --labels had no way to label the
// rows that embed --split test writes, so nidim plot scatter --labels
// needed the labels picked out by the row numbers by hand.
func TestEmbedLabelsOutMatrixFile(t *testing.T) {
	dir := t.TempDir()
	data, labelsPath := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd(standardizeArgs(data, labelsPath, model)...)
	require.Equal(t, exitOK, code, stderr)

	emb, labelsOut, rows := filepath.Join(dir, "e.npy"), filepath.Join(dir, "out-labels.npy"), filepath.Join(dir, "rows.npy")
	code, _, stderr = runCmd("embed", model, "--data", data, "--labels", labelsPath, "--split", "test",
		"--out", emb, "--labels-out", labelsOut, "--row-numbers", rows)
	require.Equal(t, exitOK, code, stderr)

	all, _, _, err := tensor.ReadMatrixFile(labelsPath)
	require.NoError(t, err)
	got, _, err := tensor.ReadArrayFile(labelsOut)
	require.NoError(t, err)
	numbers, _, err := tensor.ReadArrayFile(rows)
	require.NoError(t, err)
	require.Len(t, got, 24, "the test split of 240 rows")
	require.Len(t, numbers, len(got))
	for i, r := range numbers {
		assert.Equal(t, all[int(r)], got[i], "output row %d, input row %v", i, r)
	}

	// --labels feeds only --labels-out.
	code, _, stderr = runCmd("embed", model, "--data", data, "--labels", labelsPath, "--out", emb)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: --labels "+labelsPath+" gives the labels that --labels-out writes, and embed uses them for nothing else; add --labels-out labels.npy, or drop --labels.\n", stderr)
}
