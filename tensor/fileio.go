package tensor

// Pieces shared by the NPY, IDX and CSV readers and writers: the error
// types, the element types of binary files, and a chunked reader that never
// allocates more than the input can deliver.

import (
	"bytes"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// FormatError reports input that is not a valid file of its format: wrong
// magic bytes, a malformed header, a truncated payload or a field that is
// not a number.
type FormatError struct {
	Format string // "npy", "idx" or "csv"
	Msg    string // what is wrong, naming the field and its value
	// Line and Value locate a text field that is not a number, such as a
	// class name in a file of labels, so that callers can explain what
	// the file should contain. Line is 1-based, and both are zero for
	// other errors. An empty field has its Line with an empty Value,
	// unless it is the last field after a separator at the end of a line.
	// Field is the 1-based field of that line, and Column its name in the
	// header line, or "" in a file without one.
	Line   int
	Value  string
	Field  int
	Column string
	// Path names the input, a file or "standard input", when the caller
	// set it, as ReadArrayFile, ReadArray and the MNIST loader do. The
	// message then reads "tensor: PATH: invalid IDX file: MSG".
	Path string
}

func (e *FormatError) Error() string {
	if e.Path != "" {
		return "tensor: " + e.Path + ": invalid " + formatTitle(e.Format) + " file: " + e.Msg
	}
	return "tensor: " + e.Format + ": invalid format: " + e.Msg
}

// UnsupportedError reports a valid file that uses a feature these readers
// do not implement, such as a structured NPY dtype or an unknown version.
type UnsupportedError struct {
	Format string // "npy", "idx" or "csv"
	Msg    string // the feature and its value, and how to convert the file
	Path   string // the input, as in FormatError
}

func (e *UnsupportedError) Error() string {
	if e.Path != "" {
		return "tensor: " + e.Path + ": unsupported " + formatTitle(e.Format) + " file: " + e.Msg
	}
	return "tensor: " + e.Format + ": unsupported: " + e.Msg
}

// formatTitle returns the name of format as messages write it: "IDX",
// "NPY" or "CSV".
func formatTitle(format string) string {
	return strings.ToUpper(format)
}

// withPath sets path as the input of err and returns true when err is a
// FormatError or an UnsupportedError. It returns false for other errors.
func withPath(err error, path string) bool {
	switch e := err.(type) {
	case *FormatError:
		e.Path = path
		return true
	case *UnsupportedError:
		e.Path = path
		return true
	}
	return false
}

func formatErrorf(format, msg string, args ...any) error {
	return &FormatError{Format: format, Msg: fmt.Sprintf(msg, args...)}
}

func unsupportedErrorf(format, msg string, args ...any) error {
	return &UnsupportedError{Format: format, Msg: fmt.Sprintf(msg, args...)}
}

// elemType is the binary encoding of one array element.
type elemType struct {
	kind      byte // 'f' float, 'i' signed integer, 'u' unsigned integer, 'b' bool
	size      int  // bytes per element
	bigEndian bool
}

// valid reports whether decodeElems handles the type.
func (et elemType) valid() bool {
	switch et.kind {
	case 'f':
		return et.size == 2 || et.size == 4 || et.size == 8
	case 'i', 'u':
		return et.size == 1 || et.size == 2 || et.size == 4 || et.size == 8
	case 'b':
		return et.size == 1
	}
	return false
}

func load16(b []byte, big bool) uint16 {
	if big {
		return endian.BigEndian.Uint16(b)
	}
	return endian.LittleEndian.Uint16(b)
}

func load32(b []byte, big bool) uint32 {
	if big {
		return endian.BigEndian.Uint32(b)
	}
	return endian.LittleEndian.Uint32(b)
}

func load64(b []byte, big bool) uint64 {
	if big {
		return endian.BigEndian.Uint64(b)
	}
	return endian.LittleEndian.Uint64(b)
}

// halfToFloat32 converts IEEE 754 binary16 bits to float32, exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN, keeping the payload
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	default: // zero or subnormal: frac * 2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}

// decodeElems converts len(dst) elements of type et from src, which holds
// exactly len(dst)*et.size bytes.
func decodeElems[T float32 | float64](dst []T, src []byte, et elemType) {
	big := et.bigEndian
	switch {
	case et.kind == 'b':
		for i := range dst {
			if src[i] != 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	case et.kind == 'u' && et.size == 1:
		for i := range dst {
			dst[i] = T(src[i])
		}
	case et.kind == 'i' && et.size == 1:
		for i := range dst {
			dst[i] = T(int8(src[i]))
		}
	case et.kind == 'u' && et.size == 2:
		for i := range dst {
			dst[i] = T(load16(src[2*i:], big))
		}
	case et.kind == 'i' && et.size == 2:
		for i := range dst {
			dst[i] = T(int16(load16(src[2*i:], big)))
		}
	case et.kind == 'u' && et.size == 4:
		for i := range dst {
			dst[i] = T(load32(src[4*i:], big))
		}
	case et.kind == 'i' && et.size == 4:
		for i := range dst {
			dst[i] = T(int32(load32(src[4*i:], big)))
		}
	case et.kind == 'u' && et.size == 8:
		for i := range dst {
			dst[i] = T(load64(src[8*i:], big))
		}
	case et.kind == 'i' && et.size == 8:
		for i := range dst {
			dst[i] = T(int64(load64(src[8*i:], big)))
		}
	case et.kind == 'f' && et.size == 2:
		for i := range dst {
			dst[i] = T(halfToFloat32(load16(src[2*i:], big)))
		}
	case et.kind == 'f' && et.size == 4:
		for i := range dst {
			dst[i] = T(math.Float32frombits(load32(src[4*i:], big)))
		}
	case et.kind == 'f' && et.size == 8:
		for i := range dst {
			dst[i] = T(math.Float64frombits(load64(src[8*i:], big)))
		}
	default:
		panic(fmt.Sprintf("tensor: decodeElems called with unchecked element type %+v", et))
	}
}

// remainingBytes returns how many bytes r can still deliver, for the reader
// types that know it: in-memory readers and regular files.
func remainingBytes(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case *bytes.Reader:
		return int64(v.Len()), true
	case *strings.Reader:
		return int64(v.Len()), true
	case *bytes.Buffer:
		return int64(v.Len()), true
	case *io.SectionReader:
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return max(v.Size()-off, 0), true
	case *os.File:
		info, err := v.Stat()
		if err != nil || !info.Mode().IsRegular() {
			return 0, false
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return max(info.Size()-off, 0), true
	}
	return 0, false
}

// readChunkBytes is the size of the raw buffer readElements decodes from.
const readChunkBytes = 64 << 10

// readElements reads n elements of type et from r. When r reports its size
// (see remainingBytes), a short input is rejected before anything is
// allocated. When r comes from WithSizeHint and the data fits in the bytes
// it expects, the output is allocated at once. Otherwise the output grows
// as data arrives, so a header that claims more data than the stream holds
// costs at most twice the bytes actually read. desc names the array in
// error messages, as in "shape (2, 3) of <f4". The caller has checked that
// n*et.size fits in an int64.
func readElements[T float32 | float64](r io.Reader, n int, et elemType, format, desc string) ([]T, error) {
	need := int64(n) * int64(et.size)
	var out []T
	if remaining, ok := remainingBytes(r); ok {
		if remaining < need {
			return nil, formatErrorf(format, "data truncated: %s needs %d bytes, but only %d remain; the file is incomplete or its header is wrong", desc, need, remaining)
		}
		out = make([]T, n)
	} else if expected, ok := expectedBytes(r); ok && need <= expected {
		out = make([]T, 0, n)
	} else {
		out = make([]T, 0, min(n, readChunkBytes/et.size))
	}

	buf := make([]byte, min(need, readChunkBytes/int64(et.size)*int64(et.size)))
	for done := 0; done < n; {
		k := min(n-done, len(buf)/et.size)
		got, err := io.ReadFull(r, buf[:k*et.size])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErrorf(format, "data truncated: %s needs %d bytes, but the input ends after %d; the file is incomplete or its header is wrong",
					desc, need, int64(done)*int64(et.size)+int64(got))
			}
			return nil, readError(format, "data", err)
		}
		if done+k > cap(out) {
			grown := make([]T, done, min(n, max(2*cap(out), done+k)))
			copy(grown, out)
			out = grown
		}
		out = out[:done+k]
		decodeElems(out[done:], buf[:k*et.size], et)
		done += k
	}
	return out, nil
}

// readError wraps an I/O error that is not the end of the input.
func readError(format, what string, err error) error {
	return fmt.Errorf("tensor: %s: read %s: %w", format, what, err)
}

// countElements returns the number of elements of shape and checks that
// their size at elemSize bytes each fits in an int64. Zero dimensions do
// not hide overflow: the product of the nonzero dimensions must fit in an
// int as well, so that Cols and similar products on the result cannot
// overflow.
func countElements(format string, shape []int, elemSize int) (int, error) {
	nonzero := 1
	zero := false
	for _, d := range shape {
		if d < 0 {
			return 0, formatErrorf(format, "shape %s has negative dimension %d", formatShape(shape), d)
		}
		if d == 0 {
			zero = true
			continue
		}
		if nonzero > math.MaxInt/d {
			return 0, formatErrorf(format, "shape %s has more elements than fit in an int", formatShape(shape))
		}
		nonzero *= d
	}
	if zero {
		return 0, nil
	}
	if int64(nonzero) > math.MaxInt64/int64(elemSize) {
		return 0, formatErrorf(format, "shape %s needs more than 2^63 bytes", formatShape(shape))
	}
	return nonzero, nil
}

// formatShape writes shape as a Python tuple, the form NPY headers and
// NumPy users know: "()", "(3,)", "(2, 3)".
func formatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// quoteForMessage quotes s for an error message, cut to a readable length.
func quoteForMessage(s string) string {
	const maxLen = 60
	if len(s) > maxLen {
		return strconv.Quote(s[:maxLen]) + "..."
	}
	return strconv.Quote(s)
}

// checkTensor checks that t is non-nil and that its data matches its shape.
func checkTensor(format string, t *Tensor) (int, error) {
	if t == nil {
		return 0, fmt.Errorf("tensor: %s: cannot write a nil tensor", format)
	}
	n, err := numElements(t.Shape)
	if err != nil {
		return 0, fmt.Errorf("tensor: %s: %w", format, err)
	}
	if n != len(t.Data) {
		return 0, fmt.Errorf("tensor: %s: shape %v needs %d values, but Data has %d", format, t.Shape, n, len(t.Data))
	}
	return n, nil
}
