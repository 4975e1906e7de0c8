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

	// A matrix file has no labels: the error comes before any output.
	x := filepath.Join(tmp, "x.csv")
	row := strings.Repeat("0.5,", 63) + "0.5\n"
	require.NoError(t, os.WriteFile(x, []byte(row+row), 0o644))
	out := filepath.Join(tmp, "x-emb.npy")
	code, _, stderr = runCmd("embed", model, "--data", x, "--out", out, "--labels-out", filepath.Join(tmp, "l2.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--labels-out "+filepath.Join(tmp, "l2.npy")+" writes the class label of each output row, but --data "+x+" has no labels")
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
