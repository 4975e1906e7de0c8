package tensor

// IDX is the file format of the MNIST database (LeCun, Cortes and Burges,
// "THE MNIST DATABASE of handwritten digits"). A file is a 4-byte magic
// number, 0x00 0x00, a type code and the number of dimensions, followed by
// each dimension as a big-endian uint32 and then the values, big-endian, in
// row-major order. MNIST distributes its files gzipped.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// IDX type codes, the third byte of the magic number.
const (
	IDXUint8   byte = 0x08
	IDXInt8    byte = 0x09
	IDXInt16   byte = 0x0B
	IDXInt32   byte = 0x0C
	IDXFloat32 byte = 0x0D
	IDXFloat64 byte = 0x0E
)

// idxElemType returns the element type of an IDX type code.
func idxElemType(code byte) (elemType, string, bool) {
	switch code {
	case IDXUint8:
		return elemType{kind: 'u', size: 1, bigEndian: true}, "u8", true
	case IDXInt8:
		return elemType{kind: 'i', size: 1, bigEndian: true}, "i8", true
	case IDXInt16:
		return elemType{kind: 'i', size: 2, bigEndian: true}, "i16", true
	case IDXInt32:
		return elemType{kind: 'i', size: 4, bigEndian: true}, "i32", true
	case IDXFloat32:
		return elemType{kind: 'f', size: 4, bigEndian: true}, "f32", true
	case IDXFloat64:
		return elemType{kind: 'f', size: 8, bigEndian: true}, "f64", true
	}
	return elemType{}, "", false
}

const idxTypeList = "0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64"

// ReadIDX reads an IDX array, gzipped or not, and returns its raw values as
// float32 with the shape from the header: u8 pixels stay in 0..255. A gzip
// stream is recognized by its first two bytes, 1f 8b, and decompressed as
// it is read. Reading stops after the array data, so bytes that follow it
// are left unread. A 0-dimensional header gives a scalar tensor of one value.
func ReadIDX(r io.Reader) (*Tensor, error) {
	magic, err := readIDXMagic(r)
	if err != nil {
		return nil, err
	}
	if isGzip(magic[:]) {
		size, sized := gzipSizeAfterMagic(r, magic[:])
		return readGzipIDX(io.MultiReader(bytes.NewReader(magic[:]), r), size, sized)
	}
	return readIDXBody(r, magic)
}

// isGzip reports whether b starts with the two magic bytes of a gzip
// stream.
// readIDXMagic reads the 4-byte magic number that starts an IDX file.
func readIDXMagic(r io.Reader) ([4]byte, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return magic, formatErrorf("idx", "input has %d bytes, fewer than the 4-byte magic number; the file is empty or truncated, so replace it with a complete copy", n)
		}
		return magic, readError("idx", "magic number", err)
	}
	return magic, nil
}

func isGzip(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// readGzipIDX reads a gzipped IDX file from r. When sized is true, size is
// the expected uncompressed size, which lets the array be allocated at once.
func readGzipIDX(r io.Reader, size int64, sized bool) (*Tensor, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, gzipError(err)
	}
	defer zr.Close()
	br := bufio.NewReader(zr)
	var body io.Reader = br
	if sized {
		body = WithSizeHint(br, size)
	}

	var magic [4]byte
	if n, err := io.ReadFull(body, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErrorf("idx", "gzip data has %d bytes, fewer than the 4-byte magic number; the file is empty or truncated, so replace it with a complete copy", n)
		}
		return nil, gzipError(err)
	}
	t, err := readIDXBody(body, magic)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) && errors.Unwrap(err) != nil {
			return nil, gzipError(errors.Unwrap(err))
		}
		return nil, err
	}
	// gzip verifies its CRC-32 and length only at the end of the stream.
	// Peeking one byte past the array reaches that end when the array is the
	// whole content, and leaves any trailing data unread.
	if _, err := br.Peek(1); err != nil && !errors.Is(err, io.EOF) {
		return nil, gzipError(err)
	}
	return t, nil
}

// gzipError classifies an error from compress/gzip: corrupt compressed data
// is a FormatError, anything else an I/O error.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return formatErrorf("idx", "gzip stream: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return formatErrorf("idx", "gzip stream is truncated")
	}
	return readError("idx", "gzip stream", err)
}

func readIDXBody(r io.Reader, magic [4]byte) (*Tensor, error) {
	h, err := readIDXHeader(r, magic)
	if err != nil {
		return nil, err
	}
	data, err := readElements[float32](r, h.count, h.elem, "idx", h.desc)
	if err != nil {
		return nil, err
	}
	return &Tensor{Shape: h.shape, Data: data}, nil
}

// idxHeader is the header of an IDX array: its shape, element type and
// element count, and desc, the array in the errors of readElements.
type idxHeader struct {
	shape []int
	elem  elemType
	count int
	desc  string
}

// readIDXHeader reads the dimension sizes that follow magic and checks
// the header.
func readIDXHeader(r io.Reader, magic [4]byte) (idxHeader, error) {
	if magic[0] != 0 || magic[1] != 0 {
		return idxHeader{}, formatErrorf("idx", "magic number % x does not start with 00 00; the input is not an IDX file (gzipped IDX, starting 1f 8b, is also accepted)", magic[:])
	}
	et, typeName, ok := idxElemType(magic[2])
	if !ok {
		return idxHeader{}, formatErrorf("idx", "type code 0x%02x in magic number % x is not an IDX type; the types are %s", magic[2], magic[:], idxTypeList)
	}

	ndim := int(magic[3])
	dims := make([]byte, 4*ndim)
	if _, err := io.ReadFull(r, dims); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return idxHeader{}, formatErrorf("idx", "input ends inside the %d dimension sizes the header announces; the file is truncated, so replace it with a complete copy", ndim)
		}
		return idxHeader{}, readError("idx", "dimensions", err)
	}
	shape := make([]int, ndim)
	for i := range shape {
		d := endian.BigEndian.Uint32(dims[4*i:])
		if uint64(d) > math.MaxInt {
			return idxHeader{}, unsupportedErrorf("idx", "dimension %d is %d, which does not fit in an int on this platform", i, d)
		}
		shape[i] = int(d)
	}
	n, err := countElements("idx", shape, et.size)
	if err != nil {
		return idxHeader{}, corruptIDXHeader(err, shape)
	}
	return idxHeader{shape: shape, elem: et, count: n, desc: "shape " + formatShape(shape) + " of " + typeName}, nil
}

// corruptIDXHeader turns err, the error of countElements on shape, into a
// message saying that the header is corrupt. IDX dimensions are uint32
// values, so on a 64-bit platform no real file has more elements than fit
// in an int: such a shape comes from a damaged dimension count or size. On
// a 32-bit platform a large valid file can overflow, so err stays as it is.
func corruptIDXHeader(err error, shape []int) error {
	var invalid *FormatError
	if strconv.IntSize < 64 || !errors.As(err, &invalid) {
		return err
	}
	return formatErrorf("idx", "the header's %d dimension sizes %s give more elements than fit in an int, so the header is corrupt, with a damaged dimension count (the 4th byte) or size; replace the file with an intact copy",
		len(shape), shapeForMessage(shape))
}

// shapeForMessage formats shape like formatShape, but lists at most 8
// dimensions, so that a corrupt count of up to 255 dimensions does not
// flood the message.
func shapeForMessage(shape []int) string {
	const maxDims = 8
	if len(shape) <= maxDims {
		return formatShape(shape)
	}
	head := formatShape(shape[:maxDims])
	return fmt.Sprintf("%s, ... %d more)", strings.TrimSuffix(head, ")"), len(shape)-maxDims)
}

// WriteIDX writes t as an uncompressed IDX file with the given type code
// (IDXUint8, IDXInt8, IDXInt16, IDXInt32, IDXFloat32 or IDXFloat64). For
// the integer types every value must be an integer in the type's range, so
// a pixel tensor scaled to [0, 1] has to be scaled back to 0..255 and
// rounded before it is written as IDXUint8.
func WriteIDX(w io.Writer, t *Tensor, dtype byte) error {
	n, err := checkTensor("idx", t)
	if err != nil {
		return err
	}
	et, typeName, ok := idxElemType(dtype)
	if !ok {
		return fmt.Errorf("tensor: idx: type code 0x%02x is not an IDX type; use %s", dtype, idxTypeList)
	}
	if len(t.Shape) > math.MaxUint8 {
		return fmt.Errorf("tensor: idx: shape has %d dimensions, but IDX allows at most 255", len(t.Shape))
	}
	for i, d := range t.Shape {
		if uint64(d) > math.MaxUint32 {
			return fmt.Errorf("tensor: idx: dimension %d is %d, but IDX sizes are at most 2^32-1", i, d)
		}
	}
	if et.kind == 'u' || et.kind == 'i' {
		lo, hi := idxIntRange(et)
		for i, v := range t.Data {
			if v != float32(math.Trunc(float64(v))) || float64(v) < lo || float64(v) > hi {
				return fmt.Errorf("tensor: idx: value %v at index %d is not an integer in %.0f..%.0f, the range of type %s; round or rescale the data, or write IDXFloat32", v, i, lo, hi, typeName)
			}
		}
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write([]byte{0, 0, dtype, byte(len(t.Shape))})
	for _, d := range t.Shape {
		bw.Write(endian.BigEndian.AppendUint32(nil, uint32(d)))
	}
	var buf [4096]byte
	per := len(buf) / et.size
	for start := 0; start < n; start += per {
		chunk := t.Data[start:min(start+per, n)]
		encodeIDXValues(buf[:len(chunk)*et.size], chunk, dtype)
		// bufio.Writer keeps the first error, so checking at Flush suffices.
		bw.Write(buf[:len(chunk)*et.size])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tensor: idx: write: %w", err)
	}
	return nil
}

// idxIntRange returns the smallest and largest value of an integer type.
func idxIntRange(et elemType) (lo, hi float64) {
	bits := 8 * et.size
	if et.kind == 'u' {
		return 0, math.Ldexp(1, bits) - 1
	}
	return -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1) - 1
}

// encodeIDXValues writes values big-endian as dtype. Integer values have
// been range-checked by the caller.
func encodeIDXValues(dst []byte, values []float32, dtype byte) {
	switch dtype {
	case IDXUint8:
		for i, v := range values {
			dst[i] = uint8(v)
		}
	case IDXInt8:
		for i, v := range values {
			dst[i] = uint8(int8(v))
		}
	case IDXInt16:
		for i, v := range values {
			endian.BigEndian.PutUint16(dst[2*i:], uint16(int16(v)))
		}
	case IDXInt32:
		for i, v := range values {
			endian.BigEndian.PutUint32(dst[4*i:], uint32(int32(v)))
		}
	case IDXFloat32:
		for i, v := range values {
			endian.BigEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case IDXFloat64:
		for i, v := range values {
			endian.BigEndian.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
}
