package mnist

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected values below were computed from the raw bytes of the same
// files with Python's gzip module: the pixel byte sums, the first labels
// and the per-class label counts.
// The four gzipped files in data/: 9,912,422 + 28,881 + 1,648,877 +
// 4,542 bytes.
func TestEmbeddedBytes(t *testing.T) {
	if !Embedded {
		t.Skip("the build tag nomnist leaves out the embedded MNIST")
	}
	assert.Equal(t, int64(11594722), EmbeddedBytes())
}

func TestLoadEmbedded(t *testing.T) {
	if !Embedded {
		t.Skip("the build tag nomnist leaves out the embedded MNIST")
	}
	train, test, err := Load()
	require.NoError(t, err)

	require.Equal(t, []int{60000, 784}, train.Images.Shape)
	require.Equal(t, []int{10000, 784}, test.Images.Shape)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, 28, train.Height)
	assert.Equal(t, 28, train.Width)

	assert.Equal(t, []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Labels[:10])
	assert.Equal(t, []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, test.Labels[:10])
	assert.Equal(t, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, classCounts(t, train.Labels))
	assert.Equal(t, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, classCounts(t, test.Labels))

	assert.Equal(t, 27525, byteSum(train.Images.Data[:784]))
	assert.Equal(t, 18454, byteSum(test.Images.Data[:784]))
	assert.Equal(t, 1567298545, byteSum(train.Images.Data))
	assert.Equal(t, 264923200, byteSum(test.Images.Data))
	for _, v := range train.Images.Data {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
	}
}

// LoadSplit gives the same set as the matching half of Load.
func TestLoadSplitEmbedded(t *testing.T) {
	if !Embedded {
		t.Skip("the build tag nomnist leaves out the embedded MNIST")
	}
	test, err := LoadSplit("test")
	require.NoError(t, err)
	require.Equal(t, []int{10000, 784}, test.Images.Shape)
	assert.Equal(t, 28, test.Height)
	assert.Equal(t, 28, test.Width)
	assert.Equal(t, []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, test.Labels[:10])
	assert.Equal(t, 264923200, byteSum(test.Images.Data))

	train, err := LoadSplit("train")
	require.NoError(t, err)
	require.Equal(t, []int{60000, 784}, train.Images.Shape)
	assert.Equal(t, []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Labels[:10])
	assert.Equal(t, 1567298545, byteSum(train.Images.Data))

	_, err = LoadSplit("validation")
	assert.EqualError(t, err, `mnist: invalid split "validation"; use train or test`)
}

func classCounts(t *testing.T, labels []int) [10]int {
	var c [10]int
	for _, l := range labels {
		require.True(t, l >= 0 && l <= 9, "label %d outside 0..9", l)
		c[l]++
	}
	return c
}

// byteSum maps each pixel back to its byte value and sums the bytes, so the
// comparison with the file's byte sum is exact.
func byteSum(x []float32) int {
	s := 0
	for _, v := range x {
		s += int(math.Round(float64(v) * 255))
	}
	return s
}

func TestLoadDirPlainAndGzip(t *testing.T) {
	dir := t.TempDir()
	// Two 2x3 training images and one test image; the test files are
	// gzipped, the training files plain.
	trainImg := append([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3}, 0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0)
	trainLab := []byte{0, 0, 8, 1, 0, 0, 0, 2, 3, 7}
	testImg := append([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, 1, 2, 3, 4, 5, 6)
	testLab := []byte{0, 0, 8, 1, 0, 0, 0, 1, 9}
	require.NoError(t, os.WriteFile(filepath.Join(dir, TrainImages), trainImg, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, TrainLabels), trainLab, 0o644))
	writeGzip(t, filepath.Join(dir, TestImages+".gz"), testImg)
	writeGzip(t, filepath.Join(dir, TestLabels+".gz"), testLab)

	train, test, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 6}, train.Images.Shape)
	assert.Equal(t, []int{3, 7}, train.Labels)
	assert.Equal(t, 2, train.Height)
	assert.Equal(t, 3, train.Width)
	assert.InDelta(t, 0.2, train.Images.Data[1], 1e-7)
	assert.InDelta(t, 1.0, train.Images.Data[6], 1e-7)
	assert.Equal(t, []int{9}, test.Labels)
	assert.InDelta(t, 6.0/255, test.Images.Data[5], 1e-7)
}

// A directory with only the test files, such as the held-out set of
// another data set, loads its test split, and a missing file of the
// requested split is named with both files that the split needs.
func TestLoadDirSplitTestFilesOnly(t *testing.T) {
	dir := t.TempDir()
	testImg := append([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2}, 0, 51, 255, 102)
	testLab := []byte{0, 0, 8, 1, 0, 0, 0, 2, 9, 4}
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestImages), testImg, 0o644))
	writeGzip(t, filepath.Join(dir, TestLabels+".gz"), testLab)

	test, err := LoadDirSplit(dir, "test")
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2}, test.Images.Shape)
	assert.Equal(t, []int{9, 4}, test.Labels)
	assert.Equal(t, 1, test.Height)
	assert.Equal(t, 2, test.Width)
	assert.InDelta(t, 0.2, test.Images.Data[1], 1e-7)
	assert.InDelta(t, 0.4, test.Images.Data[3], 1e-7)

	_, err = LoadDirSplit(dir, "train")
	require.Error(t, err)
	assert.Equal(t, "mnist: "+TrainImages+" and "+TrainImages+".gz not found in "+dir+
		"; the directory must contain the images of the training split, "+TrainImages+" (its labels file "+TrainLabels+" is optional)", err.Error())

	_, _, err = LoadDir(dir)
	require.Error(t, err, "LoadDir still needs all four files")
	assert.Contains(t, err.Error(), "the directory must contain the four MNIST IDX files")

	_, err = LoadDirSplit(dir, "validation")
	require.Error(t, err)
	assert.Equal(t, `mnist: invalid split "validation"; use train or test`, err.Error())
}

// Without a labels file LoadDirSplit reads the images alone, and a
// labels file that does not match the images is still an error.
func TestLoadDirSplitImagesOnly(t *testing.T) {
	dir := t.TempDir()
	img := append([]byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 255, 51)
	writeGzip(t, filepath.Join(dir, TestImages+".gz"), img)

	test, err := LoadDirSplit(dir, "test")
	require.NoError(t, err)
	assert.Nil(t, test.Labels)
	assert.Equal(t, 3, test.Len())
	assert.Equal(t, []int{3, 1}, test.Images.Shape)
	assert.Equal(t, []float32{0, 1, 0.2}, test.Images.Data)

	require.NoError(t, os.WriteFile(filepath.Join(dir, TestLabels), []byte{0, 0, 8, 1, 0, 0, 0, 2, 1, 2}, 0o644))
	_, err = LoadDirSplit(dir, "test")
	require.Error(t, err)
	assert.Equal(t, "mnist: "+filepath.Join(dir, TestLabels)+" has 2 labels for 3 images in "+filepath.Join(dir, TestImages)+".gz", err.Error())
}

// A file of the requested split present both plain and gzipped is an
// error, as in LoadDir.
func TestLoadDirSplitDuplicate(t *testing.T) {
	dir := writeSet(t, []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}, false)
	writeGzip(t, filepath.Join(dir, TestImages+".gz"), []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20})
	_, err := LoadDirSplit(dir, "test")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mnist: both "+filepath.Join(dir, TestImages)+" and "+filepath.Join(dir, TestImages)+".gz exist")

	train, err := LoadDirSplit(dir, "train")
	require.NoError(t, err, "the duplicate belongs to the other split")
	assert.Equal(t, []int{4}, train.Labels)
}

func TestLoadDirMissing(t *testing.T) {
	_, _, err := LoadDir(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), TrainImages)
}

func writeGzip(t *testing.T, path string, data []byte) {
	require.NoError(t, os.WriteFile(path, gzipped(t, data), 0o644))
}

func gzipped(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// writeSet writes the four files of a one-image 1x2 data set to a new
// directory, with trainImg as the training images, gzipped when zip is set.
func writeSet(t *testing.T, trainImg []byte, zip bool) string {
	dir := t.TempDir()
	name := filepath.Join(dir, TrainImages)
	if zip {
		writeGzip(t, name+".gz", trainImg)
	} else {
		require.NoError(t, os.WriteFile(name, trainImg, 0o644))
	}
	img := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}
	lab := []byte{0, 0, 8, 1, 0, 0, 0, 1, 4}
	require.NoError(t, os.WriteFile(filepath.Join(dir, TrainLabels), lab, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestImages), img, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, TestLabels), lab, 0o644))
	return dir
}

func TestLoadDirBadFiles(t *testing.T) {
	good := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}
	_, _, err := LoadDir(writeSet(t, good, false))
	require.NoError(t, err, "the fixture itself is valid")

	cases := []struct {
		name string
		buf  []byte
		want string
	}{
		{"short", []byte{0, 0}, "fewer than the 4-byte magic"},
		{"bad magic", []byte{1, 0, 8, 3, 0, 0, 0, 1}, "magic number"},
		{"float type", append([]byte{0, 0, 0x0d, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2}, make([]byte, 8)...), "unsupported IDX element type 0x0d"},
		{"short header", []byte{0, 0, 8, 3, 0, 0, 0, 1}, "dimension sizes"},
		{"too few bytes", good[:len(good)-1], "shape (1, 1, 2) of u8 needs 2 bytes"},
		{"too many bytes", append(append([]byte(nil), good...), 30), "1 byte follows the array of shape (1, 1, 2)"},
		{"vectors", []byte{0, 0, 8, 1, 0, 0, 0, 2, 10, 20}, "has 1 dimensions, want 3"},
		{"gzipped twice", gzipped(t, gzipped(t, good)), "gzipped twice"},
		{"two images", []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40}, "has 1 labels for 2 images"},
	}
	for _, c := range cases {
		for _, zip := range []bool{false, true} {
			_, _, err := LoadDir(writeSet(t, c.buf, zip))
			require.Error(t, err, "%s, gzip %v", c.name, zip)
			assert.Contains(t, err.Error(), c.want, "%s, gzip %v", c.name, zip)
			assert.Contains(t, err.Error(), TrainImages, "%s, gzip %v: the error names the file", c.name, zip)
		}
	}
}

// An invalid IDX file in the directory used to give "mnist: PATH: tensor:
// idx: invalid format: ...", two package prefixes around the path.
func TestLoadDirInvalidFileMessage(t *testing.T) {
	dir := writeSet(t, []byte{0, 0, 8, 3, 0, 0, 0, 1}, false)
	_, _, err := LoadDir(dir)
	var invalid *tensor.FormatError
	require.ErrorAs(t, err, &invalid)
	assert.EqualError(t, err, "tensor: "+filepath.Join(dir, TrainImages)+": invalid IDX file: input ends inside the 3 dimension sizes the header announces; the file is truncated, so replace it with a complete copy")
}

// gzip keeps a CRC-32 of the data in its trailer; a flipped bit in the
// data must be caught even though the IDX layout stays valid.
func TestLoadDirGzipChecksum(t *testing.T) {
	good := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}
	dir := writeSet(t, good, true)
	path := filepath.Join(dir, TrainImages+".gz")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-8] ^= 1 // the first byte of the CRC-32
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, _, err = LoadDir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "checksum")
}

// Errors used to name a file in the directory by its base name without
// .gz, so they named neither the directory nor the file that was read.
func TestLoadDirErrorsNameThePath(t *testing.T) {
	good := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}
	images := func(dir string, zip bool) string {
		if zip {
			return filepath.Join(dir, TrainImages+".gz")
		}
		return filepath.Join(dir, TrainImages)
	}
	for _, zip := range []bool{false, true} {
		dir := writeSet(t, good[:len(good)-1], zip)
		_, _, err := LoadDir(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "tensor: "+images(dir, zip)+": invalid IDX file: ", "gzip %v", zip)

		dir = writeSet(t, good, zip)
		path := images(dir, zip)
		labels := filepath.Join(dir, TrainLabels)
		require.NoError(t, os.WriteFile(labels, []byte{0, 0, 8, 1, 0, 0, 0, 2, 4, 5}, 0o644))
		_, _, err = LoadDir(dir)
		require.Error(t, err)
		assert.Equal(t, "mnist: "+labels+" has 2 labels for 1 images in "+path, err.Error(), "gzip %v", zip)
	}
}

// A directory with a file both plain and gzipped used to load the .gz
// copy without a word, although the two may differ.
func TestLoadDirPlainAndGzipCopies(t *testing.T) {
	good := []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20}
	dir := writeSet(t, good, false)
	images := filepath.Join(dir, TrainImages)
	writeGzip(t, images+".gz", good)
	_, _, err := LoadDir(dir)
	require.Error(t, err)
	assert.Equal(t, "mnist: both "+images+" and "+images+".gz exist, and they may differ; remove or move one of them", err.Error())

	labels := filepath.Join(dir, TestLabels)
	writeGzip(t, labels+".gz", []byte{0, 0, 8, 1, 0, 0, 0, 1, 4})
	_, _, err = LoadDir(dir)
	require.Error(t, err)
	assert.Equal(t, "mnist: 2 files exist both plain and gzipped ("+images+" and "+images+".gz, "+labels+" and "+labels+".gz), and the two forms may differ; remove or move one form of each", err.Error())

	require.NoError(t, os.Remove(images))
	require.NoError(t, os.Remove(labels+".gz"))
	_, _, err = LoadDir(dir)
	require.NoError(t, err, "one form of each file loads")
}

// allocatedBytes returns the bytes that load allocates on the heap.
func allocatedBytes(load func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	load()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Reading the images allocates their float32 array once, plain or gzipped,
// where growing it as the data arrives allocates about twice its size.
func TestLoadDirSplitAllocatesImagesOnce(t *testing.T) {
	const count = 3000
	const arrayBytes = count * 28 * 28 * 4
	images := []byte{0, 0, 8, 3, 0, 0, 0x0b, 0xb8, 0, 0, 0, 28, 0, 0, 0, 28}
	for i := range count * 28 * 28 {
		images = append(images, byte(i%256))
	}
	for _, zip := range []bool{false, true} {
		dir := t.TempDir()
		if zip {
			writeGzip(t, filepath.Join(dir, TestImages+".gz"), images)
		} else {
			require.NoError(t, os.WriteFile(filepath.Join(dir, TestImages), images, 0o644))
		}
		var set *Set
		var err error
		allocated := allocatedBytes(func() { set, err = LoadDirSplit(dir, "test") })
		require.NoError(t, err, "gzipped: %v", zip)
		assert.Equal(t, []int{count, 784}, set.Images.Shape, "gzipped: %v", zip)
		assert.InDelta(t, 255.0/255, set.Images.Data[255], 1e-7, "gzipped: %v", zip)
		assert.Less(t, allocated, uint64(arrayBytes)*5/4, "bytes allocated for a %d-byte array, gzipped: %v", arrayBytes, zip)
	}
}

func TestLoadEmbeddedAllocatesImagesOnce(t *testing.T) {
	if !Embedded {
		t.Skip("the build tag nomnist leaves out the embedded MNIST")
	}
	// 70000 images of 784 float32 pixels are 219,520,000 bytes, and the
	// labels as float32 and as int another 840,000.
	const dataBytes = 70000*784*4 + 70000*(4+8)
	var err error
	allocated := allocatedBytes(func() { _, _, err = Load() })
	require.NoError(t, err)
	assert.Less(t, allocated, uint64(dataBytes)*11/10, "bytes allocated for %d bytes of data", dataBytes)
}
