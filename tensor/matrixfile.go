package tensor

// Reading and writing whole matrix files, choosing the format from the file
// name, for the command line.

import (
	"bufio"
	"compress/gzip"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/nidim/nidim/internal/atomicfile"
)

// matrixFormat is a file format chosen by extension.
type matrixFormat int

const (
	formatUnknown matrixFormat = iota
	formatNPY
	formatIDX
	formatCSV // .csv, separator detected
	formatTSV // .tsv, separator detected
	formatTXT // .txt, separator detected
)

// idxNamePattern matches MNIST-style IDX names such as
// "train-images-idx3-ubyte" and "t10k-labels.idx1-ubyte".
var idxNamePattern = regexp.MustCompile(`[-.]idx[0-9]*-ubyte$`)

// matrixFileFormat returns the format of path and whether its name ends in
// .gz. Extensions are matched without regard to case.
func matrixFileFormat(path string) (matrixFormat, bool) {
	name := strings.ToLower(filepath.Base(path))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(name, ".npy"):
		return formatNPY, gz
	case strings.HasSuffix(name, ".csv"):
		return formatCSV, gz
	case strings.HasSuffix(name, ".tsv"):
		return formatTSV, gz
	case strings.HasSuffix(name, ".txt"):
		return formatTXT, gz
	case strings.HasSuffix(name, ".idx"), idxNamePattern.MatchString(name):
		return formatIDX, gz
	}
	return formatUnknown, gz
}

// IsIDXName reports whether ReadMatrixFile reads path as an IDX file,
// from its name: a .idx extension or an MNIST-style name such as
// t10k-images-idx3-ubyte, optionally followed by .gz.
func IsIDXName(path string) bool {
	format, _ := matrixFileFormat(path)
	return format == formatIDX
}

const matrixExtensions = ".npy, .csv, .tsv, .txt, .idx or -idxN-ubyte, each optionally followed by .gz"

// ReadMatrixFile reads a matrix from path, choosing the format from the
// extension: .npy (any dtype ReadNPY64 accepts), .csv, .tsv and .txt
// (ReadCSV with the separator detected and the header discarded), and .idx
// or MNIST names such as train-images-idx3-ubyte (ReadIDX). A further .gz
// suffix means the file is gzipped; IDX files are also recognized as gzipped
// by their content.
//
// Arrays of other ranks are viewed as matrices. A 0-d array is 1 x 1, and a
// 1-d array of n values is n x 1, one value per row. An array of shape
// (n, d1, d2, ...) is n x (d1*d2*...): each row contains one sample with its
// trailing dimensions flattened in row-major order. ReadArrayFile returns
// the shape instead, for callers that accept only some ranks.
func ReadMatrixFile(path string) (data []float64, rows, cols int, err error) {
	data, shape, err := ReadArrayFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	rows, cols = MatrixSize(shape)
	return data, rows, cols, nil
}

// ReadArrayFile reads an array from path in the formats of ReadMatrixFile
// and returns its values in row-major order with its shape. A text file
// gives a shape of two dimensions, and .npy and IDX files give the shape
// they store.
func ReadArrayFile(path string) (data []float64, shape []int, err error) {
	// A missing path or a directory would otherwise be reported by its
	// extension, which is not what is wrong with it.
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &notExistError{path: path, err: err}
	} else if err == nil && fi.IsDir() {
		return nil, nil, fmt.Errorf("tensor: %s is a directory; pass a matrix file (%s)", path, matrixExtensions)
	}
	format, gz := matrixFileFormat(path)
	if format == formatUnknown {
		return nil, nil, fmt.Errorf("tensor: %s: unknown matrix file extension; use %s", path, matrixExtensions)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("tensor: %w", err)
	}
	defer f.Close()

	var r io.Reader = f
	if gz && format != formatIDX {
		size, sized := DecompressedSize(f)
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor: %s: gzip stream: %w", path, err)
		}
		defer zr.Close()
		r = zr
		if sized && format == formatNPY {
			r = WithSizeHint(zr, size)
		}
	}

	data, shape, err = readArrayAs(r, format)
	if err != nil {
		if withPath(err, path) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return data, shape, nil
}

// readArrayAs reads an array in format from r: NPY, IDX, or text with the
// separator detected and a header discarded, which gives two dimensions.
func readArrayAs(r io.Reader, format matrixFormat) (data []float64, shape []int, err error) {
	switch format {
	case formatNPY:
		return ReadNPY64(r)
	case formatIDX:
		t, err := ReadIDX(r)
		if err != nil {
			return nil, nil, err
		}
		data = make([]float64, len(t.Data))
		for i, v := range t.Data {
			data[i] = float64(v)
		}
		return data, t.Shape, nil
	}
	data, rows, cols, _, err := ReadCSV(r, 0)
	return data, []int{rows, cols}, err
}

// ReadArray reads an array from r, which has no file name to tell its
// format, so the format comes from the content. Gzip-compressed data is
// decompressed first. Data that starts with the NPY magic string is read
// as .npy, and anything else as text (ReadCSV, with the separator
// detected and a header discarded). name describes r in errors, such as
// "standard input".
func ReadArray(r io.Reader, name string) (data []float64, shape []int, err error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); isGzip(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor: %s: gzip stream: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	format := formatTXT
	if magic, _ := br.Peek(len(npyMagic)); string(magic) == npyMagic {
		format = formatNPY
	}
	data, shape, err = readArrayAs(br, format)
	if err != nil {
		if withPath(err, name) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w (%s)", err, name)
	}
	return data, shape, nil
}

// notExistError reports a missing input file in one sentence while still
// matching fs.ErrNotExist with errors.Is.
type notExistError struct {
	path string
	err  error
}

func (e *notExistError) Error() string {
	return fmt.Sprintf("tensor: %s does not exist; check the path", e.path)
}

func (e *notExistError) Unwrap() error { return e.err }

// MatrixSize returns the rows and columns of the matrix that
// ReadMatrixFile makes of an array of the given shape. A 0-d array is
// 1 x 1, a 1-d array of n values n x 1, and any other the first dimension
// by the product of the others. The product must fit in an int, which
// the readers of this package check for the shapes they return.
func MatrixSize(shape []int) (rows, cols int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], 1
	}
	cols = 1
	for _, d := range shape[1:] {
		cols *= d
	}
	return shape[0], cols
}

// WriteOption changes how WriteMatrixFile encodes a matrix.
type WriteOption func(*writeConfig)

type writeConfig struct {
	npyFloat64 bool
}

// NPYFloat64 makes WriteMatrixFile store .npy files as <f8 (float64), which
// keeps every value exactly. Without it .npy files are <f4 (float32), half
// the size, which is what the rest of nidim computes in.
func NPYFloat64() WriteOption {
	return func(c *writeConfig) { c.npyFloat64 = true }
}

// CheckMatrixOutputName returns the error WriteMatrixFile would give for
// the extension of path, or nil, so that a command can refuse an output
// name before it computes what to write.
func CheckMatrixOutputName(path string) error {
	_, _, _, err := matrixOutputFormat(path)
	return err
}

// SameMatrixFormat reports whether the names a and b call for the same
// matrix file format, with or without gzip.
func SameMatrixFormat(a, b string) bool {
	fa, gza := matrixFileFormat(a)
	fb, gzb := matrixFileFormat(b)
	return fa == fb && gza == gzb
}

// matrixOutputFormat returns the format WriteMatrixFile uses for path,
// whether it gzips, and the separator of the text formats.
func matrixOutputFormat(path string) (format matrixFormat, gz bool, sep rune, err error) {
	format, gz = matrixFileFormat(path)
	switch format {
	case formatNPY:
	case formatCSV:
		sep = ','
	case formatTSV:
		sep = '\t'
	case formatTXT:
		sep = csvWhitespace
	case formatIDX:
		err = fmt.Errorf("tensor: %s: WriteMatrixFile does not write IDX; use .npy, .csv, .tsv or .txt, or WriteIDX for an IDX file", path)
	default:
		err = fmt.Errorf("tensor: %s: unknown matrix file extension; use .npy, .csv, .tsv or .txt, optionally followed by .gz", path)
	}
	return format, gz, sep, err
}

// WriteMatrixFile writes a rows x cols matrix, stored row-major in data, to
// path in the format its extension names: .npy (2-D, dtype <f4 unless the
// NPYFloat64 option is given), .csv (comma-separated), .tsv (tab-separated)
// or .txt (space-separated), each optionally followed by .gz to gzip the
// file. The text formats have no header and hold the shortest decimal form
// of each float64, so they read back exactly. The file is replaced
// atomically: readers see the old or the complete new contents.
func WriteMatrixFile(path string, data []float64, rows, cols int, opts ...WriteOption) error {
	var cfg writeConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	format, gz, sep, err := matrixOutputFormat(path)
	if err != nil {
		return err
	}
	if rows < 0 || cols < 0 || (cols > 0 && rows > len(data)/cols) || rows*cols != len(data) {
		return fmt.Errorf("tensor: %s: matrix size %d x %d does not match the %d values in data", path, rows, cols, len(data))
	}

	encode := func(w io.Writer) error {
		switch {
		case format != formatNPY:
			return WriteCSV(w, data, rows, cols, nil, sep)
		case cfg.npyFloat64:
			return WriteNPY64(w, data, []int{rows, cols})
		default:
			t := &Tensor{Shape: []int{rows, cols}, Data: make([]float32, len(data))}
			for i, v := range data {
				t.Data[i] = float32(v)
			}
			return WriteNPY(w, t)
		}
	}
	return writeFileAtomically(path, gz, encode)
}

// WriteIntsFile writes values to path in the format its extension names,
// as WriteMatrixFile does: .npy as a 1-D array of dtype <i8 (int64), which
// NumPy can index with as it is, and .csv, .tsv or .txt as one decimal
// integer per line. A .gz suffix gzips the file, and the file is replaced
// atomically.
func WriteIntsFile(path string, values []int) error {
	format, gz, _, err := matrixOutputFormat(path)
	if err != nil {
		return err
	}
	encode := func(w io.Writer) error {
		if format == formatNPY {
			data := make([]int64, len(values))
			for i, v := range values {
				data[i] = int64(v)
			}
			return writeNPY(w, "<i8", []int{len(values)}, data, 8, func(b []byte, v int64) {
				endian.LittleEndian.PutUint64(b, uint64(v))
			})
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		var line []byte
		for _, v := range values {
			line = strconv.AppendInt(line[:0], int64(v), 10)
			line = append(line, '\n')
			// bufio.Writer keeps the first error, so checking at Flush
			// suffices.
			bw.Write(line)
		}
		return bw.Flush()
	}
	return writeFileAtomically(path, gz, encode)
}

// writeFileAtomically replaces path with what encode writes, gzipped when
// gz is set.
func writeFileAtomically(path string, gz bool, encode func(io.Writer) error) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if !gz {
			return encode(w)
		}
		zw := gzip.NewWriter(w)
		if err := encode(zw); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("tensor: write %s: %w", path, err)
	}
	return nil
}
