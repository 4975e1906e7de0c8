package tensor

import (
	"errors"
	"io"
)

// IDXRowReader reads an uncompressed IDX array a few rows at a time, so
// that a caller can process an array larger than it wants to hold as
// float32. A row is one index of the first dimension, and a
// 0-dimensional array is one row of one value. Its errors are those of
// ReadIDX on the same bytes.
type IDXRowReader struct {
	// Shape is the shape that the header announces.
	Shape []int

	r         io.Reader
	header    idxHeader
	rows      int
	rowValues int
	done      int // rows decoded so far
	buf       []byte
}

// NewIDXRowReader reads and checks the header of the uncompressed IDX
// array in r. Unlike ReadIDX it does not gunzip, so a gzipped file needs
// gzip.NewReader first. When r reports its size, as a *bytes.Reader or a
// regular *os.File does, data shorter than the header announces is an
// error at once, as it is for ReadIDX.
func NewIDXRowReader(r io.Reader) (*IDXRowReader, error) {
	magic, err := readIDXMagic(r)
	if err != nil {
		return nil, err
	}
	if isGzip(magic[:]) {
		return nil, formatErrorf("idx", "input is gzipped (it starts with 1f 8b), but NewIDXRowReader reads uncompressed IDX; decompress it first with gzip.NewReader")
	}
	h, err := readIDXHeader(r, magic)
	if err != nil {
		return nil, err
	}
	need := int64(h.count) * int64(h.elem.size)
	if remaining, ok := remainingBytes(r); ok && remaining < need {
		return nil, formatErrorf("idx", "data truncated: %s needs %d bytes, but only %d remain; the file is incomplete or its header is wrong", h.desc, need, remaining)
	}
	x := &IDXRowReader{Shape: h.shape, r: r, header: h, rows: 1, rowValues: h.count}
	if len(h.shape) > 0 {
		x.rows = h.shape[0]
		x.rowValues = 1
		for _, d := range h.shape[1:] {
			x.rowValues *= d
		}
	}
	return x, nil
}

// Rows returns the number of rows of the array.
func (x *IDXRowReader) Rows() int { return x.rows }

// RowValues returns the number of values in a row.
func (x *IDXRowReader) RowValues() int { return x.rowValues }

// ReadRows decodes the next rows into dst, as many as fit in it but at
// least one, and returns their number. The values are raw, as ReadIDX
// returns them. After the last row it returns 0 and io.EOF, and it reads
// nothing past the array. A dst too short for one row of values returns
// an error.
func (x *IDXRowReader) ReadRows(dst []float32) (int, error) {
	left := x.rows - x.done
	if left == 0 {
		return 0, io.EOF
	}
	k := left
	if x.rowValues > 0 {
		k = min(left, len(dst)/x.rowValues)
		if k == 0 {
			return 0, errors.New("tensor: idx: ReadRows needs room for at least one row of values; pass a longer slice")
		}
	}
	size := x.header.elem.size
	values := dst[:k*x.rowValues]
	if x.buf == nil {
		x.buf = make([]byte, min(int64(x.header.count)*int64(size), readChunkBytes/int64(size)*int64(size)))
	}
	for start := 0; start < len(values); {
		n := min(len(values)-start, len(x.buf)/size)
		got, err := io.ReadFull(x.r, x.buf[:n*size])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				read := (int64(x.done)*int64(x.rowValues) + int64(start)) * int64(size)
				return 0, formatErrorf("idx", "data truncated: %s needs %d bytes, but the input ends after %d; the file is incomplete or its header is wrong",
					x.header.desc, int64(x.header.count)*int64(size), read+int64(got))
			}
			return 0, readError("idx", "data", err)
		}
		decodeElems(values[start:start+n], x.buf[:n*size], x.header.elem)
		start += n
	}
	x.done += k
	return k, nil
}

// Discard reads the remaining rows without decoding them, so that the
// caller can check the rest of the input for truncation with no buffer
// of a row's size, which a corrupt header can make arbitrarily large. A
// short input gives the error that ReadRows gives for it. Later calls of
// ReadRows return io.EOF.
func (x *IDXRowReader) Discard() error {
	size := int64(x.header.elem.size)
	start := int64(x.done) * int64(x.rowValues) * size
	left := int64(x.header.count)*size - start
	copied, err := io.CopyN(io.Discard, x.r, left)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return formatErrorf("idx", "data truncated: %s needs %d bytes, but the input ends after %d; the file is incomplete or its header is wrong",
				x.header.desc, int64(x.header.count)*size, start+copied)
		}
		return readError("idx", "data", err)
	}
	x.done = x.rows
	return nil
}
