package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeLargeIDXDir writes an MNIST-style directory of random 2x3 images,
// 2500 for training, gzipped, and 1200 for testing, plain, so that both
// splits take more than one chunk of dim.EmbedChunkRows rows and end in
// a partial one.
func writeLargeIDXDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	pixel := func() byte { return byte(rng.IntN(256)) }
	writeIDXSplit(t, dir, mnist.TrainImages, mnist.TrainLabels, 2500, rng, pixel, true)
	writeIDXSplit(t, dir, mnist.TestImages, mnist.TestLabels, 1200, rng, pixel, false)
	return dir
}

// The kNN score on an IDX directory, read and embedded a chunk at a time,
// must be bit for bit that of dim.NewKNNScorer on the embeddings that
// nidim embed writes of the whole splits, in nidim score and in serve.
func TestScoreKNNChunkedMatchesWholeSplits(t *testing.T) {
	dir, model := trainLargeIDXModel(t)
	out := filepath.Join(t.TempDir(), "s.npy")
	code, _, stderr := runCmd("score", model, "--data", dir, "--method", "knn", "--knn", "4", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "of 2500 reference embeddings) and conformal p-values (from 1200 calibration embeddings) of 1200 inputs")

	s, err := dim.NewKNNScorer(embedSplit(t, model, dir, "train"), embedSplit(t, model, dir, "test"), 4, dim.MetricEuclidean)
	require.NoError(t, err)
	test := embedSplit(t, model, dir, "test")
	wantScores, wantP, err := s.Score(test)
	require.NoError(t, err)
	got, n, c := readMatrix(t, out)
	require.Equal(t, []int{1200, 3}, []int{n, c}, "score, p-value and label")
	for i := range n {
		assert.Equal(t, math.Float64bits(wantScores[i]), math.Float64bits(got[3*i]), "score of row %d", i)
		assert.Equal(t, math.Float64bits(wantP[i]), math.Float64bits(got[3*i+1]), "p-value of row %d", i)
	}

	url, _ := startServe(t, model, "--method", "knn", "--knn", "4", "--train-data", dir)
	x, err := mnist.LoadDirSplit(dir, "test")
	require.NoError(t, err)
	// A request holds at most --max-queue rows, 1024 by default.
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		served := postNPYScores(t, url, &tensor.Tensor{Shape: []int{hi - lo, 6}, Data: x.Images.Data[lo*6 : hi*6]})
		for i := lo; i < hi; i++ {
			assert.Equal(t, got[3*i:3*i+2], served[2*(i-lo):2*(i-lo)+2], "served score and p-value of row %d", i)
		}
	}
}

// trainLargeIDXModel trains a one-epoch model on the directory of
// writeLargeIDXDir and returns the directory and the checkpoint's path.
func trainLargeIDXModel(t *testing.T) (dir, model string) {
	t.Helper()
	dir = writeLargeIDXDir(t)
	return dir, trainOnIDXDir(t, dir, "--dim", "3", "--batch", "100")
}

// The chunked read checks the training split against the fingerprint
// of the model, as the whole-split read does.
func TestScoreKNNChunkedChecksFingerprint(t *testing.T) {
	dir, model := trainLargeIDXModel(t)
	other := t.TempDir()
	for _, name := range []string{mnist.TrainLabels, mnist.TestImages, mnist.TestLabels} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(other, name), b, 0o644))
	}
	zipped, err := os.Open(filepath.Join(dir, mnist.TrainImages+".gz"))
	require.NoError(t, err)
	defer zipped.Close()
	zr, err := gzip.NewReader(zipped)
	require.NoError(t, err)
	images, err := io.ReadAll(zr)
	require.NoError(t, err)
	images[len(images)-1] ^= 0xff // the last pixel of the last image
	require.NoError(t, os.WriteFile(filepath.Join(other, mnist.TrainImages), images, 0o644))

	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	changed, err := mnist.LoadDirSplit(other, "train")
	require.NoError(t, err)
	given := (&dim.Dataset{X: changed.Images, Shape: m.Config.Input}).Fingerprint()
	require.NotEqual(t, m.Data, given)
	code, _, stderr := runCmd("score", model, "--data", dir, "--method", "knn", "--train-data", other, "--out", filepath.Join(t.TempDir(), "s.csv"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim score: --method knn needs the training split of the data "+model+" was trained on, but that of --train-data "+other+
		" differs: the model was trained on other data ("+m.Data+") than the data given ("+given+"); pass the data "+model+" was trained on as --train-data, or use --method norm.\n", stderr)
}

// A gzipped training file announces images of 2^15 x 2^15 pixels, with
// no pixels after its header, and its size cannot be known before
// reading. The kNN startup read it through a buffer of 1000 such images
// to report the truncation before the size mismatch, and ran out of
// memory. The truncation is now reported.
func TestScoreKNNHugeImagesInGzippedHeader(t *testing.T) {
	dir, model := trainIDXModel(t)
	header := []byte{0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 1, 2, 3}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(header)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, mnist.TrainImages)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, mnist.TrainImages+".gz"), buf.Bytes(), 0o644))

	code, _, stderr := runCmd("score", model, "--data", filepath.Join(dir, mnist.TestImages), "--train-data", dir,
		"--method", "knn", "--knn", "2", "--out", filepath.Join(t.TempDir(), "s.csv"))
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "data truncated: ")
	assert.Contains(t, stderr, "but the input ends after 3")
}
