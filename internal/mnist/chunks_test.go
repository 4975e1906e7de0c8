package mnist

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readChunks reads the split of dir with a SplitReader, maxRows rows per
// call of Next, and returns the images joined and the labels.
func readChunks(t *testing.T, dir, split string, maxRows int) ([]float32, []int, int, error) {
	t.Helper()
	r, err := OpenDirSplit(dir, split)
	if err != nil {
		return nil, nil, 0, err
	}
	defer r.Close()
	var all []float32
	for {
		x, err := r.Next(maxRows)
		if errors.Is(err, io.EOF) {
			return all, r.Labels(), r.Height * r.Width, nil
		}
		if err != nil {
			return nil, nil, 0, err
		}
		require.LessOrEqual(t, x.Shape[0], maxRows)
		require.Equal(t, r.Height*r.Width, x.Shape[1])
		all = append(all, x.Data...)
	}
}

// idxImages returns an IDX file of n random images of h x w bytes and
// one of their labels.
func idxImages(rng *rand.Rand, n, h, w int) (images, labels []byte) {
	images = []byte{0, 0, 8, 3, 0, 0, byte(n >> 8), byte(n), 0, 0, 0, byte(h), 0, 0, 0, byte(w)}
	for range n * h * w {
		images = append(images, byte(rng.IntN(256)))
	}
	labels = []byte{0, 0, 8, 1, 0, 0, byte(n >> 8), byte(n)}
	for range n {
		labels = append(labels, byte(rng.IntN(10)))
	}
	return images, labels
}

func TestSplitReaderMatchesLoadDirSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	images, labels := idxImages(rng, 257, 5, 3)
	for _, zip := range []bool{false, true} {
		dir := t.TempDir()
		name := filepath.Join(dir, TestImages)
		if zip {
			writeGzip(t, name+".gz", images)
			writeGzip(t, filepath.Join(dir, TestLabels+".gz"), labels)
		} else {
			require.NoError(t, os.WriteFile(name, images, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, TestLabels), labels, 0o644))
		}
		want, err := LoadDirSplit(dir, "test")
		require.NoError(t, err)
		for _, maxRows := range []int{1, 2, 7, 64, 100, 256, 257, 1000} {
			got, gotLabels, size, err := readChunks(t, dir, "test", maxRows)
			require.NoError(t, err, "%d rows a chunk, gzip %v", maxRows, zip)
			assert.Equal(t, 15, size, "%d rows a chunk, gzip %v", maxRows, zip)
			assert.Equal(t, want.Images.Data, got, "%d rows a chunk, gzip %v", maxRows, zip)
			assert.Equal(t, want.Labels, gotLabels, "%d rows a chunk, gzip %v", maxRows, zip)
		}
	}
}

func TestSplitReaderWithoutLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	images, _ := idxImages(rng, 20, 2, 2)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, TrainImages), images, 0o644))
	want, err := LoadDirSplit(dir, "train")
	require.NoError(t, err)
	got, labels, _, err := readChunks(t, dir, "train", 6)
	require.NoError(t, err)
	assert.Equal(t, want.Images.Data, got)
	assert.Nil(t, labels)
}

// Every invalid file gives the error of the whole-file reader, whether
// the reader finds the fault at the header or after some chunks.
func TestSplitReaderErrorsMatchLoadDir(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	good, goodLabels := idxImages(rng, 10, 2, 3)
	cases := []struct {
		name           string
		images, labels []byte
	}{
		{"short", []byte{0, 0}, goodLabels},
		{"bad magic", []byte{1, 0, 8, 3, 0, 0, 0, 1}, goodLabels},
		{"float type", append([]byte{0, 0, 0x0d, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2}, make([]byte, 8)...), goodLabels},
		{"short header", []byte{0, 0, 8, 3, 0, 0, 0, 1}, goodLabels},
		{"truncated by one byte", good[:len(good)-1], goodLabels},
		{"truncated in the 4th image", good[:16+3*6+2], goodLabels},
		{"no data", good[:16], goodLabels},
		{"one byte too many", append(append([]byte(nil), good...), 30), goodLabels},
		{"vectors", []byte{0, 0, 8, 1, 0, 0, 0, 2, 10, 20}, goodLabels},
		{"truncated vectors", []byte{0, 0, 8, 1, 0, 0, 0, 3, 10, 20}, goodLabels},
		{"gzipped twice", gzipped(t, gzipped(t, good)), goodLabels},
		{"too few labels", good, goodLabels[:len(goodLabels)-1]},
		{"labels of another count", good, []byte{0, 0, 8, 1, 0, 0, 0, 1, 4}},
		{"labels as a matrix", good, []byte{0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 4}},
	}
	for _, c := range cases {
		for _, zip := range []bool{false, true} {
			dir := t.TempDir()
			name := filepath.Join(dir, TrainImages)
			if zip {
				writeGzip(t, name+".gz", c.images)
			} else {
				require.NoError(t, os.WriteFile(name, c.images, 0o644))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, TrainLabels), c.labels, 0o644))
			_, wantErr := LoadDirSplit(dir, "train")
			require.Error(t, wantErr, "%s, gzip %v", c.name, zip)
			for _, maxRows := range []int{1, 3, 4, 100} {
				_, _, _, err := readChunks(t, dir, "train", maxRows)
				require.Error(t, err, "%s, gzip %v, %d rows a chunk", c.name, zip, maxRows)
				assert.Equal(t, wantErr.Error(), err.Error(), "%s, gzip %v, %d rows a chunk", c.name, zip, maxRows)
			}
		}
	}
}

// A flipped bit in gzipped data fails its CRC-32 at the end of the
// stream, after the reader has returned every image.
func TestSplitReaderGzipChecksum(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	images, labels := idxImages(rng, 30, 4, 4)
	dir := t.TempDir()
	zipped := gzipped(t, images)
	zipped[len(zipped)-8] ^= 1 // the CRC-32 in the trailer
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestImages+".gz"), zipped, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestLabels), labels, 0o644))
	_, wantErr := LoadDirSplit(dir, "test")
	require.Error(t, wantErr)
	_, _, _, err := readChunks(t, dir, "test", 7)
	require.Error(t, err)
	assert.Equal(t, wantErr.Error(), err.Error())
}

func TestSplitReaderEmbedded(t *testing.T) {
	if !Embedded {
		t.Skip("built with the tag nomnist")
	}
	want, err := LoadSplit("test")
	require.NoError(t, err)
	r, err := OpenSplit("test")
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, 10000, r.Len())
	done := 0
	for {
		x, err := r.Next(999)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		rows := x.Shape[0]
		require.Equal(t, want.Images.Data[done*784:(done+rows)*784], x.Data, "rows %d to %d", done, done+rows)
		done += rows
	}
	assert.Equal(t, 10000, done)
	assert.Equal(t, want.Labels, r.Labels())
	_, err = r.Next(10)
	assert.ErrorIs(t, err, io.EOF, "Next after the end")
}

func TestSplitReaderInvalidSplit(t *testing.T) {
	_, err := OpenSplit("validation")
	require.Error(t, err)
	assert.Equal(t, `mnist: invalid split "validation"; use train or test`, err.Error())
}
