package mnist

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/nidim/nidim/tensor"
)

// SplitReader reads the images of one split of an MNIST-style data set a
// chunk of rows at a time, scaled to [0, 1] as in Set.Images. A caller
// then holds one chunk as float32 instead of the whole split. It checks the files as LoadSplit and LoadDirSplit
// do, with the same errors. Those of the header come from the Open
// function, and those that need the whole file from Next: a truncated
// array, a wrong gzip checksum, bytes after the array, and the errors of
// the labels file, which is read after the images.
type SplitReader struct {
	// Height and Width are the size of an image.
	Height, Width int

	open       func(name string) (io.ReadCloser, error)
	labelsName string
	name       string // the images file, as messages name it
	file       *idxFile
	in         *bufio.Reader
	rows       *tensor.IDXRowReader
	chunk      []float32
	labels     []int
	// err is returned by every Next after the last row or an error.
	err error
}

// OpenSplit opens one split of the embedded MNIST, "train" (60000
// images) or "test" (10000 images), for reading in chunks. It returns
// ErrNotEmbedded when Embedded is false.
func OpenSplit(split string) (*SplitReader, error) {
	images, labels, _, err := splitFiles(split)
	if err != nil {
		return nil, err
	}
	if !Embedded {
		return nil, ErrNotEmbedded
	}
	return openSplit(openEmbedded, images, labels)
}

// OpenDirSplit opens one split of the MNIST-style data set in dir, the
// files that LoadDirSplit reads, for reading in chunks.
func OpenDirSplit(dir, split string) (*SplitReader, error) {
	open, images, labels, err := dirSplit(dir, split)
	if err != nil {
		return nil, err
	}
	return openSplit(open, images, labels)
}

func openSplit(open func(name string) (io.ReadCloser, error), imagesName, labelsName string) (*SplitReader, error) {
	f, in, name, err := openIDX(open, imagesName)
	if err != nil {
		return nil, err
	}
	rows, err := tensor.NewIDXRowReader(in)
	if err != nil {
		f.Close()
		return nil, idxError(name, err)
	}
	r := &SplitReader{open: open, labelsName: labelsName, name: name, file: f, in: in, rows: rows}
	if len(rows.Shape) != 3 {
		// loadSet reads the whole file before it checks the dimensions,
		// so an error in the data comes first.
		if err := r.skipRest(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("mnist: %s has %d dimensions, want 3 (count, height, width)", name, len(rows.Shape))
	}
	r.Height, r.Width = rows.Shape[1], rows.Shape[2]
	return r, nil
}

// skipRest reads the rest of the images without returning them, checks
// the end of the file and closes it.
func (r *SplitReader) skipRest() error {
	defer r.Close()
	if err := r.rows.Discard(); err != nil {
		return idxError(r.name, err)
	}
	return checkEnd(r.in, r.name, r.rows.Shape)
}

// Discard reads the rest of the images without decoding them, then
// checks the end of the file and reads the labels, as Next does after
// the last image, and returns the error of those checks or nil. Unlike
// Next it needs no buffer of Height x Width values, which a corrupt
// header can make too large to allocate.
func (r *SplitReader) Discard() error {
	if r.err == nil {
		if err := r.rows.Discard(); err != nil {
			r.Close()
			r.err = idxError(r.name, err)
		} else {
			r.err = r.finish()
		}
	}
	if errors.Is(r.err, io.EOF) {
		return nil
	}
	return r.err
}

// Len returns the number of images, as the header of the file states.
func (r *SplitReader) Len() int { return r.rows.Rows() }

// Next returns the next images, at most maxRows of them, as a
// rows x (Height*Width) tensor. The tensor is overwritten by the next
// call. After the last image Next checks the end of the file and reads
// the labels, and it then returns io.EOF, or the error of those checks.
// Every later call returns the same error.
func (r *SplitReader) Next(maxRows int) (*tensor.Tensor, error) {
	if r.err != nil {
		return nil, r.err
	}
	if maxRows < 1 {
		return nil, fmt.Errorf("mnist: Next needs maxRows of 1 or more, not %d", maxRows)
	}
	size := r.Height * r.Width
	if len(r.chunk) < maxRows*size {
		r.chunk = make([]float32, maxRows*size)
	}
	n, err := r.rows.ReadRows(r.chunk[:maxRows*size])
	switch {
	case errors.Is(err, io.EOF):
		r.err = r.finish()
		return nil, r.err
	case err != nil:
		r.Close()
		r.err = idxError(r.name, err)
		return nil, r.err
	}
	x := &tensor.Tensor{Shape: []int{n, size}, Data: r.chunk[:n*size]}
	// The bytes 0..255 arrive as float32, scaled as loadSet scales them.
	for i, b := range x.Data {
		x.Data[i] = b / 255
	}
	return x, nil
}

// finish checks the end of the images file, closes it and reads the
// labels. It returns io.EOF when all is well.
func (r *SplitReader) finish() error {
	err := checkEnd(r.in, r.name, r.rows.Shape)
	r.Close()
	if err != nil {
		return err
	}
	if r.labels, err = readLabels(r.open, r.labelsName, r.name, r.Len()); err != nil {
		return err
	}
	return io.EOF
}

// Labels returns the class of each image once Next has returned io.EOF,
// and nil before that or when the split has no labels file.
func (r *SplitReader) Labels() []int { return r.labels }

// Close closes the images file. Next closes it itself at the end of the
// images and on an error.
func (r *SplitReader) Close() error {
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}
