package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/nidim/nidim/tensor"
)

// writeImageFolder writes 20 gray 8 x 8 PNG files into each of the class
// directories a and b under a new directory, and returns it with the
// pixels of every file, scaled to [0, 1], keyed by path.
func writeImageFolder(t *testing.T) (string, map[string][]float32) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "photos")
	pixels := map[string][]float32{}
	for c, class := range []string{"a", "b"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, class), 0o755))
		for i := range 20 {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			values := make([]float32, 64)
			for y := range 8 {
				for x := range 8 {
					v := uint8((x*17+y*5+i*13)%128 + 127*c)
					img.SetGray(x, y, color.Gray{Y: v})
					values[y*8+x] = float32(v) / 255
				}
			}
			path := filepath.Join(dir, class, fmt.Sprintf("%03d.png", i))
			var b bytes.Buffer
			require.NoError(t, png.Encode(&b, img))
			require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			pixels[path] = values
		}
	}
	return dir, pixels
}

func TestImageFolderTrainEmbed(t *testing.T) {
	dir, pixels := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--encoder", "cnn", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "36 training and 4 test samples of shape [1 8 8]")

	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 8, 8}, m.Config.Input)
	assert.Equal(t, 0.1, m.Config.TestFraction)

	out := t.TempDir()
	emb, rows, paths := filepath.Join(out, "e.npy"), filepath.Join(out, "r.csv"), filepath.Join(out, "p.txt")
	for _, split := range []string{"", "test", "train"} {
		args := []string{"embed", model, "--data", dir, "--out", emb, "--row-numbers", rows, "--paths", paths}
		if split != "" {
			args = append(args, "--split", split)
		}
		code, _, stderr = runCmd(args...)
		require.Equal(t, exitOK, code, stderr)

		names := strings.Split(strings.TrimSuffix(string(readFile(t, paths)), "\n"), "\n")
		numbers, n, _, err := tensor.ReadMatrixFile(rows)
		require.NoError(t, err)
		require.Equal(t, len(names), n, split)
		want := map[string]int{"": 40, "test": 4, "train": 36}[split]
		require.Len(t, names, want, split)

		// The rows of the output are the embeddings of the pixels that
		// were written to the files named in --paths, and the row numbers
		// count the files in sorted order: a/000.png to b/019.png.
		x := tensor.New(len(names), 64)
		for i, name := range names {
			require.Contains(t, pixels, name)
			copy(x.Data[i*64:], pixels[name])
			class, file := filepath.Base(filepath.Dir(name)), filepath.Base(name)
			var k int
			_, err := fmt.Sscanf(file, "%03d.png", &k)
			require.NoError(t, err)
			if class == "b" {
				k += 20
			}
			assert.Equal(t, float64(k), numbers[i], "row number of %s", name)
		}
		z, err := m.Embed(x, 100)
		require.NoError(t, err)
		got, r, c, err := tensor.ReadMatrixFile(emb)
		require.NoError(t, err)
		require.Equal(t, [2]int{len(names), 2}, [2]int{r, c})
		for i, v := range z.Data {
			assert.Equal(t, float64(v), got[i], "embedding value %d of --split %q", i, split)
		}
	}

	// eval finds the same split through the stored fingerprint.
	code, _, stderr = runCmd("eval", model, "--data", dir)
	require.Equal(t, exitOK, code, stderr)
}

func TestImageFolderResizeStored(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--image-size", "4x4", "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 4}, m.Config.Input)

	// embed without flags resizes the 8 x 8 files to the model's 4 x 4.
	emb := filepath.Join(t.TempDir(), "e.npy")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--split", "test", "--out", emb)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "resized 40 of the 40 images to 4x4, the input size of the model "+model)

	// eval reads the directory in the model's size too, so the
	// fingerprint matches; another --image-size is an error.
	code, _, stderr = runCmd("eval", model, "--data", dir)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("eval", model, "--data", dir, "--image-size", "8x8")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim eval: --image-size 8x8 differs from the 4x4 images that the model "+model+" was trained on; drop --image-size, which the model fixes.\n", stderr)

	// --ood reads a directory of images in the model's size too, and
	// prints the note on it, which eval used to drop.
	code, _, stderr = runCmd("eval", model, "--data", dir, "--ood", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: note: --ood "+dir+": resized 40 of the 40 images to 4x4")
}

func TestImageFolderErrors(t *testing.T) {
	dir, _ := writeImageFolder(t)
	bad := filepath.Join(dir, "a", "005.png")
	require.NoError(t, os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\n truncated"), 0o644))
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim train: --data "+dir+": "+bad+" cannot be decoded (")

	empty := t.TempDir()
	code, _, stderr = runCmd("train", "--data", empty, "--epochs", "1", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--data "+empty+" contains neither the MNIST-style IDX files (train-images-idx3-ubyte,")
	assert.Contains(t, stderr, "nor image files (.png, .jpg, .jpeg, .jpe, .jfif or .gif), directly or in one subdirectory per class; pass a directory with one of the two.\n")

	// Photos in formats that nidim does not read are counted and named.
	phone := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(phone, "cats"), 0o755))
	for _, name := range []string{"cats/IMG_0001.HEIC", "cats/IMG_0002.HEIC", "x.webp", ".DS_Store"} {
		require.NoError(t, os.WriteFile(filepath.Join(phone, name), []byte("data"), 0o644))
	}
	code, _, stderr = runCmd("train", "--data", phone, "--epochs", "1", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "; pass a directory with one of the two. It contains 3 files of other types, such as "+filepath.Join(phone, "x.webp")+", which nidim does not read; convert images to PNG or JPEG.\n")

	both := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(both, "train-images-idx3-ubyte"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(both, "x.png"), nil, 0o644))
	code, _, stderr = runCmd("train", "--data", both, "--epochs", "1", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "contains both the MNIST-style IDX files")

	odd := filepath.Join(t.TempDir(), "odd")
	require.NoError(t, os.MkdirAll(odd, 0o755))
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))))
	require.NoError(t, os.WriteFile(filepath.Join(odd, "1.png"), b.Bytes(), 0o644))
	b.Reset()
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 6, 8))))
	require.NoError(t, os.WriteFile(filepath.Join(odd, "2.png"), b.Bytes(), 0o644))
	code, _, stderr = runCmd("train", "--data", odd, "--epochs", "1", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, filepath.Join(odd, "2.png")+" is 8x6 (height x width), but the first image, "+filepath.Join(odd, "1.png")+", is 8x8")
	assert.Contains(t, stderr, "pass --image-size 8x8 to resize every image")
}

func TestImageFolderFlagConflicts(t *testing.T) {
	dir, _ := writeImageFolder(t)
	code, _, stderr := runCmd("train", "--data", dir, "--image-shape", "1,8,8", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--image-shape 1,8,8 applies to a matrix file --data, but --data "+dir+" is a directory of images")

	code, _, stderr = runCmd("train", "--data", dir, "--labels", "l.csv", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "which takes its labels from its class subdirectories")

	matrix := filepath.Join(t.TempDir(), "x.npy")
	require.NoError(t, tensor.WriteMatrixFile(matrix, make([]float64, 64*10), 10, 64))
	code, _, stderr = runCmd("train", "--data", matrix, "--image-size", "8x8", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --image-size 8x8 applies to a directory of images, but --data "+matrix+" is not one; drop --image-size.\n", stderr)

	// The error on an --image-size out of range names the range.
	code, _, stderr = runCmd("train", "--data", dir, "--image-size", "20000x20000", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: invalid --image-size \"20000x20000\"; use HEIGHTxWIDTH with each side from 1 to 16384, such as 28x28.\n", stderr)

	code, _, stderr = runCmd("train", "--data", dir, "--standardize", "--no-eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--standardize applies to feature vectors only, but --data "+dir+" is a directory of image files (shape [1 8 8])")

	code, _, stderr = runCmd("score", "m.safetensors", "--data", dir, "--labels", "l.csv", "--out", "s.csv")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim score: --labels l.csv applies to a matrix file --data, but --data "+dir+" is a directory of images")

	code, _, stderr = runCmd("embed", "m.safetensors", "--out", "e.npy", "--paths", "p.txt")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--paths p.txt writes the image file of each output row, but --data (the built-in MNIST) is not a directory of images")
}

func TestImageFolderColourNote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mixed")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i := range 10 {
		var img image.Image = image.NewGray(image.Rect(0, 0, 8, 8))
		if i == 0 {
			rgba := image.NewNRGBA(image.Rect(0, 0, 8, 8))
			rgba.SetNRGBA(1, 1, color.NRGBA{R: 200, A: 255})
			img = rgba
		}
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, img))
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644))
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "4", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: --data "+dir+": skipped 1 entry that nidim does not read: files other than .png, .jpg, .jpeg, .jpe, .jfif or .gif, hidden entries (names that start with a dot, such as .DS_Store) and directories inside class directories. "+
		"1 of the 10 images have colour, so every image has 3 channels (red, green, blue; alpha is dropped), and the 9 grayscale ones have three equal channels\n")
	assert.Contains(t, stderr, "samples of shape [3 8 8]")

	// Each note after the first starts a sentence: the resize note began
	// with a lowercase letter after the period.
	other := filepath.Join(t.TempDir(), "gray")
	require.NoError(t, os.MkdirAll(other, 0o755))
	for i := range 2 {
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 6, 6))))
		require.NoError(t, os.WriteFile(filepath.Join(other, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644))
	}
	code, _, stderr = runCmd("embed", model, "--data", other, "--out", filepath.Join(t.TempDir(), "e.npy"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim embed: note: --data "+other+": the model "+model+" takes 3 channels, so the 2 grayscale images of the 2 have three equal channels. "+
		"Resized 2 of the 2 images to 8x8, the input size of the model "+model+", with the area-averaging filter of nidim train --image-size\n")

	// A note that names the model after the first note starts with a
	// word, not with the model file name in capitals.
	t.Chdir(filepath.Dir(model))
	code, _, stderr = runCmd("embed", "m.safetensors", "--data", dir, "--out", "e.npy")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "directories inside class directories. The model m.safetensors takes 3 channels, so the 9 grayscale images of the 10 have three equal channels\n")
	assert.NotContains(t, stderr, "M.safetensors")
}

func TestImageFolderPathsLineBreak(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	odd := filepath.Join(dir, "a", "x\ny.png")
	require.NoError(t, os.Rename(filepath.Join(dir, "a", "000.png"), odd))

	out := t.TempDir()
	emb := filepath.Join(out, "e.npy")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", emb, "--paths", filepath.Join(out, "p.txt"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "the image file \""+filepath.Join(dir, "a", "x\\ny.png")+"\" has a line break in its name")
	assert.NoFileExists(t, emb, "the embeddings were written before the error")
}

func TestImageFolderSplitNeedsRecordedSplit(t *testing.T) {
	dir, _ := writeImageFolder(t)
	matrix := filepath.Join(t.TempDir(), "x.npy")
	values := make([]float64, 64*20)
	for i := range values {
		values[i] = float64(i%64) / 64
	}
	require.NoError(t, tensor.WriteMatrixFile(matrix, values, 20, 64))
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", matrix, "--image-shape", "1,8,8", "--epochs", "1", "--batch", "8", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	// A model of an older nidim records no test fraction.
	m.Config.TestFraction = 0
	require.NoError(t, m.Save(model))

	code, _, stderr = runCmd("embed", model, "--data", dir, "--split", "test", "--out", filepath.Join(t.TempDir(), "e.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim embed: --split test on the directory of images --data "+dir+" needs the split that nidim train records in the checkpoint")
}

// The fingerprint error on a changed directory of images calls it a
// directory, not a file, and names what must stay the same.
func TestImageFolderSplitChangedFiles(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, os.Rename(filepath.Join(dir, "a", "000.png"), filepath.Join(dir, "a", "100.png")))

	code, _, stderr = runCmd("embed", model, "--data", dir, "--split", "test", "--out", filepath.Join(t.TempDir(), "e.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim embed: --data "+dir+" is not the directory of images "+model+" was trained on, or its rows are in another order")
	assert.Contains(t, stderr, "pass the --data it was trained on, with the same image files under the same names.\n")
}

// A directory of images splits into the rows and labels that splitRows
// gives a matrix file of its samples, and the two splits share the
// samples that were read, with no copy of them.
func TestImageFolderSplitInPlace(t *testing.T) {
	dir, _ := writeImageFolder(t)
	for _, fraction := range []float64{0.1, 0.25, 0.5} {
		df := dataFlags{data: dir, testFraction: fraction}
		train, test, _, err := loadImageData(df, 11)
		require.NoError(t, err)

		set, err := imagedir.Load(dir, imagedir.Options{})
		require.NoError(t, err)
		wantTrain, wantTest, err := splitRows(df, 11, set.N, 64, []int{1, 8, 8}, set.Labels, func(i int) float32 { return set.X[i] })
		require.NoError(t, err)
		assert.Equal(t, wantTrain.X, train.X, "training rows, fraction %v", fraction)
		assert.Equal(t, wantTest.X, test.X, "test rows, fraction %v", fraction)
		assert.Equal(t, wantTrain.Labels, train.Labels, "training labels, fraction %v", fraction)
		assert.Equal(t, wantTest.Labels, test.Labels, "test labels, fraction %v", fraction)
		assert.Equal(t, []int{1, 8, 8}, train.Shape)

		trainEnd := unsafe.Add(unsafe.Pointer(unsafe.SliceData(train.X.Data)), 4*len(train.X.Data))
		assert.Equal(t, trainEnd, unsafe.Pointer(unsafe.SliceData(test.X.Data)), "the test rows follow the training rows in one array")
		assert.Equal(t, len(train.X.Data), cap(train.X.Data), "an append to the training rows would write over the test rows")
	}
}

// --threads sets the goroutines that decode a directory of images, and
// the samples are the same for every count.
func TestImageFolderThreads(t *testing.T) {
	dir, _ := writeImageFolder(t)
	single, _, err := readImageDir("--data", dir, "4x4", "", 1, nil, "", nil)
	require.NoError(t, err)
	assert.Equal(t, 1, single.Threads)
	for _, threads := range []int{2, 3} {
		set, _, err := readImageDir("--data", dir, "4x4", "", threads, nil, "", nil)
		require.NoError(t, err)
		assert.Equal(t, threads, set.Threads)
		assert.Equal(t, single.X, set.X, "threads %d", threads)
	}
	all, _, err := readImageDir("--data", dir, "4x4", "", 0, nil, "", nil)
	require.NoError(t, err)
	assert.Equal(t, min(runtime.GOMAXPROCS(0), all.N), all.Threads)
}

// One image file as --data gets the advice to pass its directory, not
// the list of matrix file extensions.
func TestImageFileAsData(t *testing.T) {
	dir, _ := writeImageFolder(t)
	file := filepath.Join(dir, "a", "000.png")
	want := "--data " + file + " is one image file, but nidim reads images only as a directory of them; pass the directory that holds it, " + filepath.Join(dir, "a") + ", or put the file in a directory of its own.\n"

	code, _, stderr := runCmd("train", "--data", file, "--epochs", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: "+want, stderr)

	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr = runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("embed", model, "--data", file, "--out", filepath.Join(t.TempDir(), "e.npy"))
	assert.NotEqual(t, exitOK, code)
	assert.Equal(t, "nidim embed: "+want, stderr)
}

// --paths with the name of an image file is rejected before any output,
// because it could be an image of --data, which the text would replace.
func TestImageFolderPathsImageName(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	image := filepath.Join(dir, "a", "001.png")
	before, err := os.ReadFile(image)
	require.NoError(t, err)

	emb := filepath.Join(t.TempDir(), "e.npy")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", emb, "--paths", image)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: --paths "+image+" has the name of an image file, but it receives text, one path per line, and could replace an image of --data; name it as a text file, such as paths.txt.\n", stderr)
	after, err := os.ReadFile(image)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the image was replaced")
	assert.NoFileExists(t, emb)

	// A link with a text name to an image is rejected too.
	link := filepath.Join(t.TempDir(), "paths.txt")
	require.NoError(t, os.Symlink(image, link))
	code, _, stderr = runCmd("score", model, "--data", dir, "--out", filepath.Join(t.TempDir(), "s.csv"), "--paths", link)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim score: --paths "+link+" has the name of an image file")
}

// A directory of fewer than 3 images is too small to split, and the
// error counts images, not rows of a file.
func TestImageFolderTooFewToSplit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "two")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i := range 2 {
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))))
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644))
	}
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --data "+dir+" has 2 images, too few to hold out one for testing and keep 2 for training; use a directory with at least 3 images.\n", stderr)
}

// A model stores the class directories it was trained on, and embed and
// score label another directory by them. b keeps its label 1 in a
// directory without a, and a class the model never saw gets the next
// number, with a note.
func TestImageFolderClassNames(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, stdout, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--json", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"classes":["a","b"]`)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, m.Classes)

	other := filepath.Join(t.TempDir(), "other")
	for _, class := range []string{"b", "zebra"} {
		require.NoError(t, os.MkdirAll(filepath.Join(other, class), 0o755))
		for _, name := range []string{"000.png", "001.png"} {
			data := readFile(t, filepath.Join(dir, "b", name))
			require.NoError(t, os.WriteFile(filepath.Join(other, class, name), data, 0o644))
		}
	}
	out := t.TempDir()
	labels, scores := filepath.Join(out, "labels.txt"), filepath.Join(out, "scores.csv")
	code, _, stderr = runCmd("embed", model, "--data", other, "--out", filepath.Join(out, "e.npy"), "--labels-out", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "1\n1\n2\n2\n", string(readFile(t, labels)))
	assert.Contains(t, stderr, "was trained on 2 classes (a, b), and class directories of the same names get their labels; the ones it was not trained on get the next labels: zebra (label 2)\n")

	code, _, stderr = runCmd("score", model, "--data", other, "--out", scores)
	require.Equal(t, exitOK, code, stderr)
	rows := strings.Split(strings.TrimSpace(string(readFile(t, scores))), "\n")
	require.Len(t, rows, 4)
	for i, want := range []string{"1", "1", "2", "2"} {
		fields := strings.Split(rows[i], ",")
		require.Len(t, fields, 3, rows[i])
		assert.Equal(t, want, fields[2], "label of score row %d", i)
	}
	assert.Contains(t, stderr, "zebra (label 2)")

	// The directory the model was trained on keeps its numbers, without
	// a note.
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", filepath.Join(out, "e.npy"), "--labels-out", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, strings.Repeat("0\n", 20)+strings.Repeat("1\n", 20), string(readFile(t, labels)))
	assert.NotContains(t, stderr, "next labels")

	code, stdout, stderr = runCmd("eval", model, "--data", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"classes":["a","b"]`)
}

// The note on the labels of another directory names the model's classes,
// a name that differs from one of them only in letter case, a directory
// without any of them, and the numbering under a model without class
// names.
func TestModelLabelsNotes(t *testing.T) {
	set := func(classes ...string) *imagedir.Set {
		s := &imagedir.Set{Classes: classes}
		for label := range classes {
			s.Labels = append(s.Labels, label, label)
		}
		return s
	}

	labels, note := modelLabels(set("b", "zebra"), []string{"a", "b"}, "m.ckpt")
	assert.Equal(t, []int{1, 1, 2, 2}, labels)
	assert.Equal(t, "the model m.ckpt was trained on 2 classes (a, b), and class directories of the same names get their labels; the ones it was not trained on get the next labels: zebra (label 2)", note)

	labels, note = modelLabels(set("B", "zebra"), []string{"a", "b"}, "m.ckpt")
	assert.Equal(t, []int{2, 2, 3, 3}, labels)
	assert.Contains(t, note, "next labels: B (label 2; the model's class b differs only in letter case), zebra (label 3). ")
	assert.Contains(t, note, "No class directory of --data has the name of a class of the model, so every label is a new one")

	labels, note = modelLabels(set("a", "b"), []string{"a", "b"}, "m.ckpt")
	assert.Equal(t, []int{0, 0, 1, 1}, labels)
	assert.Empty(t, note)

	many := []string{"c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c11"}
	_, note = modelLabels(set("new"), many, "m.ckpt")
	assert.Contains(t, note, "trained on 12 classes (c00, c01, c02, c03, c04, c05, c06, c07, c08, c09 and 2 more)")

	// A model trained on MNIST stores no class names, so 3 and 5 are
	// numbered 0 and 1, and the note lists those numbers.
	labels, note = modelLabels(set("3", "5"), nil, "mnist.ckpt")
	assert.Equal(t, []int{0, 0, 1, 1}, labels)
	assert.Equal(t, "the model mnist.ckpt stores no class names (it was trained on an MNIST-style data set or a matrix file, or by an older nidim), so the labels number the class directories of --data in their own order: 3 (label 0), 5 (label 1)", note)

	labels, note = modelLabels(&imagedir.Set{}, []string{"a"}, "m.ckpt")
	assert.Nil(t, labels)
	assert.Empty(t, note)
}

// A training folder whose class directory a was renamed to a1, which
// keeps the sorted order and so passes the data fingerprint, gets a note
// in eval and --resume that names both sets of names.
func TestImageFolderRenamedClassNote(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	code, _, stderr = runCmd("eval", model, "--data", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "trained on classes named")

	require.NoError(t, os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "a1")))
	code, stdout, stderr := runCmd("eval", model, "--data", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: note: the class directories of --data are a1, b, but the model "+model+" was trained on classes named a, b; the labels follow the directories in their sorted order, and the classes of --json are the model's names\n")
	assert.Contains(t, stdout, `"classes":["a","b"]`)

	resumed := filepath.Join(t.TempDir(), "r.safetensors")
	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "2", "--data", dir, "--no-eval", "--out", resumed)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "and the resumed model stores the names of --data\n")
	m, err := dim.LoadModel(resumed)
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "b"}, m.Classes)
}

// The note on a folder counts the JPEGs turned upright by their EXIF
// orientation: here one stored 6 wide and 4 high with orientation 6,
// beside one stored 4 wide and 6 high without EXIF.
func TestImageFolderOrientedNote(t *testing.T) {
	dir := t.TempDir()
	encode := func(width, height int) []byte {
		var b bytes.Buffer
		require.NoError(t, jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, width, height)), nil))
		return b.Bytes()
	}
	// An APP1 segment with a big-endian TIFF header whose first directory
	// holds one entry: orientation (0x0112), type SHORT, count 1, value 6.
	exif := []byte{0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8,
		0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0,
		0, 0, 0, 0}
	sideways := encode(6, 4)
	sideways = append(append(append([]byte{}, sideways[:2]...), exif...), sideways[2:]...)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.jpg"), sideways, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.jpg"), encode(4, 6), 0o644))

	set, note, err := readImageDir("--data", dir, "", "", 1, nil, "", nil)
	require.NoError(t, err)
	assert.Equal(t, [3]int{2, 6, 4}, [3]int{set.N, set.Height, set.Width})
	assert.Equal(t, "--data "+dir+": turned 1 of the 2 images upright by the EXIF orientation of their JPEG or PNG files, as image viewers show them", note)
}

// A folder of PNG files stored turned, each with an eXIf chunk whose
// EXIF orientation turns it back, embeds and scores as the folder of the
// same images stored upright, and the note counts them.
func TestImageFolderPNGOrientation(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--hidden", "8", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	// The stored image that orientation o shows as img: o = 3 turns it
	// 180 degrees, 6 clockwise and 8 counterclockwise.
	stored := func(img *image.Gray, o int) *image.Gray {
		out := image.NewGray(img.Rect)
		for y := range 8 {
			for x := range 8 {
				var v uint8
				switch o {
				case 3:
					v = img.GrayAt(7-x, 7-y).Y
				case 6: // the shown point (7-y, x) is the stored (x, y)
					v = img.GrayAt(7-y, x).Y
				case 8: // the shown point (y, 7-x) is the stored (x, y)
					v = img.GrayAt(y, 7-x).Y
				}
				out.SetGray(x, y, color.Gray{Y: v})
			}
		}
		return out
	}
	upright, turned := filepath.Join(t.TempDir(), "upright"), filepath.Join(t.TempDir(), "turned")
	require.NoError(t, os.MkdirAll(upright, 0o755))
	require.NoError(t, os.MkdirAll(turned, 0o755))
	for i, o := range []int{3, 6, 8} {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		for k := range img.Pix {
			img.Pix[k] = uint8(k*29 + i*71)
		}
		name := fmt.Sprintf("%d.png", i)
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, img))
		require.NoError(t, os.WriteFile(filepath.Join(upright, name), b.Bytes(), 0o644))
		b.Reset()
		require.NoError(t, png.Encode(&b, stored(img, o)))
		require.NoError(t, os.WriteFile(filepath.Join(turned, name), withEXIfChunk(b.Bytes(), o), 0o644))
	}

	out := t.TempDir()
	for command, ext := range map[string]string{"embed": ".npy", "score": ".csv"} {
		var files [][]byte
		for _, data := range []string{upright, turned} {
			file := filepath.Join(out, command+"-"+filepath.Base(data)+ext)
			code, _, stderr := runCmd(command, model, "--data", data, "--out", file)
			require.Equal(t, exitOK, code, stderr)
			if data == turned {
				assert.Contains(t, stderr, "turned 3 of the 3 images upright by the EXIF orientation of their JPEG or PNG files")
			}
			files = append(files, readFile(t, file))
		}
		assert.Equal(t, files[0], files[1], command)
	}
}

// withEXIfChunk returns the PNG file data with an eXIf chunk after its
// IHDR chunk, which is first and ends at byte 33. Its big-endian TIFF
// structure has one directory with one entry: orientation (0x0112), type
// SHORT, count 1, value o.
func withEXIfChunk(data []byte, o int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8,
		0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0,
		0, 0, 0, 0}
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(append(chunk, "eXIf"...), tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return slices.Concat(data[:33], chunk, data[33:])
}

// Reading a directory of images shows its progress in a log file once it
// has taken 5 seconds, as nidim test does, and the embeddings stay the
// same.
func TestImageFolderProgressLog(t *testing.T) {
	dir, _ := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	out := t.TempDir()
	plain, logged := filepath.Join(out, "plain.npy"), filepath.Join(out, "logged.npy")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", plain)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "decoding images", "a buffer gets no progress")

	code, _, stderr = runLogged(t, 3*time.Second, "embed", model, "--data", dir, "--out", logged)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim embed: reading image headers: ")
	assert.Contains(t, stderr, "nidim embed: decoding images: ")
	assert.Regexp(t, `nidim embed: read the images after \d+m\d+s\n`, stderr)
	assert.Equal(t, readFile(t, plain), readFile(t, logged))
}

// A class directory whose name is not valid UTF-8 keeps its label when
// embed reads the directory the model was trained on, although the
// checkpoint stores the name as JSON, which replaces the invalid byte.
func TestImageFolderClassNameNotUTF8(t *testing.T) {
	dir, _ := writeImageFolder(t)
	require.NoError(t, os.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "b\xff")))
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	labels := filepath.Join(t.TempDir(), "labels.txt")
	code, _, stderr = runCmd("embed", model, "--data", dir, "--out", filepath.Join(t.TempDir(), "e.npy"), "--labels-out", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, strings.Repeat("0\n", 20)+strings.Repeat("1\n", 20), string(readFile(t, labels)))
	assert.NotContains(t, stderr, "next labels")

	code, _, stderr = runCmd("eval", model, "--data", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "trained on classes named", "the directories are those the model was trained on")
}
