package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldOutRows returns the row numbers, in file order, of the training and
// the test split that nidim train draws from a matrix file of rows rows.
// As its help describes, the rows are shuffled with seed, and the last
// f x rows, rounded, are held out.
func heldOutRows(rows int, seed uint64, f float64) (train, test []int) {
	order := make([]int, rows)
	for i := range order {
		order[i] = i
	}
	rng := tensor.NewRNG(seed)
	rng.Shuffle(rows, func(i, j int) { order[i], order[j] = order[j], order[i] })
	nTest := int(math.Round(float64(rows) * f))
	train, test = slices.Clone(order[:rows-nTest]), slices.Clone(order[rows-nTest:])
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// readInts reads a file of row numbers written by --row-numbers.
func readInts(t *testing.T, path string) []int {
	t.Helper()
	values, _, err := tensor.ReadArrayFile(path)
	require.NoError(t, err)
	ints := make([]int, len(values))
	for i, v := range values {
		ints[i] = int(v)
	}
	return ints
}

// embed and score rejected --split on a matrix file, so the held-out rows
// that train and eval use were out of reach. --split now selects the rows
// of the split the checkpoint records, in file order, and --row-numbers
// writes their numbers. The embeddings are those of a whole-file embed,
// bit for bit.
func TestEmbedSplitOfMatrixFile(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--test-fraction", "0.2", "--seed", "5")
	wantTrain, wantTest := heldOutRows(240, 5, 0.2)
	require.Len(t, wantTest, 48)
	dir := t.TempDir()

	whole := filepath.Join(dir, "whole.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--out", whole)
	require.Equal(t, exitOK, code, stderr)
	allValues, allRows, d, err := tensor.ReadMatrixFile(whole)
	require.NoError(t, err)
	require.Equal(t, 240, allRows, "without --split every row is embedded")

	for _, c := range []struct {
		split, numbers string
		want           []int
	}{
		{"test", "test-rows.npy", wantTest},
		{"train", "train-rows.csv", wantTrain},
	} {
		out := filepath.Join(dir, c.split+".npy")
		numbers := filepath.Join(dir, c.numbers)
		code, _, stderr := runCmd("embed", model, "--data", data, "--split", c.split, "--out", out, "--row-numbers", numbers)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stderr, " and their row numbers in the input (counting from 0) to "+numbers+"\n")
		assert.Equal(t, c.want, readInts(t, numbers), c.split)

		values, rows, cols, err := tensor.ReadMatrixFile(out)
		require.NoError(t, err)
		require.Equal(t, len(c.want), rows, c.split)
		require.Equal(t, d, cols, c.split)
		for i, r := range c.want {
			for k := range d {
				got, want := math.Float64bits(values[i*d+k]), math.Float64bits(allValues[r*d+k])
				require.Equal(t, want, got, "%s row %d (file row %d), component %d", c.split, i, r, k)
			}
		}
	}

	// score takes the labels of the selected rows, and its scores are the
	// test split's that eval summarizes.
	scores := filepath.Join(dir, "scores.csv")
	code, _, stderr = runCmd("score", model, "--data", data, "--labels", labels, "--split", "test", "--out", scores)
	require.Equal(t, exitOK, code, stderr)
	table, rows, cols, err := tensor.ReadMatrixFile(scores)
	require.NoError(t, err)
	require.Equal(t, 48, rows)
	require.Equal(t, 3, cols)
	allLabels, _, _, err := tensor.ReadMatrixFile(labels)
	require.NoError(t, err)
	sum := 0.0
	for i, r := range wantTest {
		assert.Equal(t, allLabels[r], table[i*3+2], "label of test row %d (file row %d)", i, r)
		sum += table[i*3]
	}
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	var ev struct {
		Outliers struct {
			N         int     `json:"n"`
			MeanScore float64 `json:"mean_score"`
		} `json:"outliers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev))
	assert.Equal(t, 48, ev.Outliers.N)
	assert.InDelta(t, ev.Outliers.MeanScore, sum/48, 1e-12)
}

// The split of an image model is checked against the fingerprint of its
// training split, whose sample shape is that of --image-shape.
func TestEmbedSplitOfImageMatrix(t *testing.T) {
	data, _, model := trainTinyModel(t, "--image-shape", "1,2,3")
	_, wantTest := heldOutRows(240, 0, 0.1)
	numbers := filepath.Join(t.TempDir(), "rows.txt")
	code, _, stderr := runCmd("embed", model, "--data", data, "--split", "test", "--out", filepath.Join(t.TempDir(), "e.npy"), "--row-numbers", numbers)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, wantTest, readInts(t, numbers))
}

// Rows that are not the training file's, such as the same rows in another
// order, would give other rows than training held out, so the fingerprint
// of the training split rejects them. A checkpoint without a recorded
// split rejects --split on a matrix file with the reason.
func TestEmbedSplitErrors(t *testing.T) {
	data, _, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	reversed := make([]float64, 0, len(values))
	for r := rows - 1; r >= 0; r-- {
		reversed = append(reversed, values[r*cols:(r+1)*cols]...)
	}
	dir := t.TempDir()
	other := filepath.Join(dir, "reversed.npy")
	require.NoError(t, tensor.WriteMatrixFile(other, reversed, rows, cols))
	short := filepath.Join(dir, "short.npy")
	require.NoError(t, tensor.WriteMatrixFile(short, values[:2*cols], 2, cols))

	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(dir, command+".csv")
		code, stdout, stderr := runCmd(command, model, "--data", other, "--split", "test", "--out", out)
		assert.Equal(t, exitUsage, code, command)
		assert.Empty(t, stdout, command)
		assert.Regexp(t, `^nidim `+command+`: --data \S+reversed.npy is not the file \S+m.safetensors was trained on, or its rows are in another order: its training split is 216 x \[6\] sha256:[0-9a-f]{16}, but the model was trained on 216 x \[6\] sha256:[0-9a-f]{16}, so --split test would select other rows than training did; pass the --data it was trained on, with its rows in their original order.\n$`, stderr)
		assert.NoFileExists(t, out, command)

		code, _, stderr = runCmd(command, model, "--data", short, "--split", "train", "--out", out)
		assert.Equal(t, exitUsage, code, command)
		assert.Equal(t, "nidim "+command+": --data "+short+" has 2 rows, too few for the split of "+model+", which holds out 0.1 of the rows for testing, so it is not the file the model was trained on; pass the --data it was trained on.\n", stderr)
	}

	// testdata/prestandardize.safetensors was written before nidim
	// recorded the test fraction.
	old := filepath.Join("testdata", "prestandardize.safetensors")
	oldData := filepath.Join("testdata", "prestandardize.csv")
	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(dir, command+".csv")
		code, _, stderr := runCmd(command, old, "--data", oldData, "--split", "test", "--out", out)
		assert.Equal(t, exitUsage, code, command)
		assert.Equal(t, "nidim "+command+": --split test on the matrix file --data "+oldData+" needs the split that nidim train records in the checkpoint, but "+old+
			" records none, because it was trained on an MNIST-style data set or by an older nidim; drop --split to "+command+" every row, or train the model again with this nidim to record its split.\n", stderr)
		assert.NoFileExists(t, out, command)
	}

	// --row-numbers is an output like --out.
	code, _, stderr := runCmd("embed", model, "--data", data, "--out", filepath.Join(dir, "e.npy"), "--row-numbers", filepath.Join(dir, "e.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "is the --out file too, and writing the output would replace it; choose another --row-numbers.\n")
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", filepath.Join(dir, "e.npy"), "--row-numbers", "-")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: --row-numbers - would create a file named \"-\", because only --out writes to standard output; pass a file path, such as rows.npy.\n", stderr)
	_, err = os.Stat(filepath.Join(dir, "e.npy"))
	assert.True(t, os.IsNotExist(err), "a rejected command wrote --out")
}

// An IDX directory has its splits in separate files, so its checkpoint
// records no test fraction, and --split on a matrix file of its images
// gets the same error, while --split on the directory works as before.
func TestEmbedSplitIDXModel(t *testing.T) {
	dir, model := trainIDXModel(t)

	single := filepath.Join(dir, "t10k-images-idx3-ubyte")
	out := filepath.Join(t.TempDir(), "e.npy")
	code, _, stderr := runCmd("embed", model, "--data", single, "--split", "train", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim embed: --split train on the matrix file --data "+single+" needs the split that nidim train records in the checkpoint, but "+model+" records none")

	numbers := filepath.Join(t.TempDir(), "rows.npy")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--split", "train", "--out", out, "--row-numbers", numbers)
	require.Equal(t, exitOK, code, stderr)
	want := make([]int, 48)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, readInts(t, numbers), "the rows of the training images file, in order")
}

// --row-numbers took the name checks of --out but not the check that a
// symbolic link names the format of its target, so a link rows.npy to
// rows.csv got NPY bytes in rows.csv. An IDX name got a message that
// named Go functions, for --out too.
func TestRowNumbersOutputNameChecks(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "rows.csv")
	require.NoError(t, os.WriteFile(target, []byte("7\n"), 0o644))
	link := filepath.Join(dir, "rows.npy")
	symlink(t, "rows.csv", link)
	out := filepath.Join(dir, "e.npy")
	for _, command := range []string{"embed", "score"} {
		code, _, stderr := runCmd(command, model, "--data", data, "--split", "test", "--out", out, "--row-numbers", link)
		assert.Equal(t, exitUsage, code, command)
		assert.Equal(t, "nidim "+command+": --row-numbers "+link+" is a symbolic link to "+target+", whose name calls for another format than the link's; pass the target's path, or a link whose name ends like the target's.\n", stderr, command)
	}
	assert.Equal(t, "7\n", string(readFile(t, target)), "the target is kept")
	assert.NoFileExists(t, out)

	idx := filepath.Join(dir, "rows.idx")
	for _, flagName := range []string{"--out", "--row-numbers"} {
		args := []string{"embed", model, "--data", data, "--out", out, "--row-numbers", filepath.Join(dir, "r.npy")}
		if flagName == "--out" {
			args[5] = idx
		} else {
			args[7] = idx
		}
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, flagName)
		assert.Equal(t, "nidim embed: "+flagName+" "+idx+" names an IDX file, which nidim reads but does not write; use .npy, .csv, .tsv or .txt, optionally followed by .gz.\n", stderr, flagName)
	}
	assert.NoFileExists(t, out)
	assert.NoFileExists(t, idx)
}
