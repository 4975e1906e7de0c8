package tensor

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteMatrixFileRoundTrip(t *testing.T) {
	data := []float64{0.1, -2.5, 3, math.Inf(1), 1e-3, 7.25}
	as32 := make([]float64, len(data))
	for i, v := range data {
		as32[i] = float64(float32(v))
	}
	dir := t.TempDir()
	cases := []struct {
		name string
		opts []WriteOption
		want []float64
	}{
		{"m.npy", nil, as32},
		{"m.npy", []WriteOption{NPYFloat64()}, data},
		{"M.NPY.GZ", []WriteOption{NPYFloat64()}, data},
		{"m.csv", nil, data},
		{"m.tsv", nil, data},
		{"m.txt", nil, data},
		{"m.csv.gz", nil, data},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			require.NoError(t, WriteMatrixFile(path, data, 2, 3, c.opts...))
			got, rows, cols, err := ReadMatrixFile(path)
			require.NoError(t, err)
			assert.Equal(t, 2, rows)
			assert.Equal(t, 3, cols)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestWriteMatrixFileFormats(t *testing.T) {
	dir := t.TempDir()
	data := []float64{1, 2.5, -3, 4}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	for _, name := range []string{"a.csv", "a.tsv", "a.txt", "a.npy", "b.npy", "a.csv.gz"} {
		var opts []WriteOption
		if name == "b.npy" {
			opts = append(opts, NPYFloat64())
		}
		require.NoError(t, WriteMatrixFile(filepath.Join(dir, name), data, 2, 2, opts...))
	}
	assert.Equal(t, "1,2.5\n-3,4\n", string(read("a.csv")))
	assert.Equal(t, "1\t2.5\n-3\t4\n", string(read("a.tsv")))
	assert.Equal(t, "1 2.5\n-3 4\n", string(read("a.txt")))
	assert.Contains(t, string(read("a.npy")), "'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)")
	assert.Contains(t, string(read("b.npy")), "'descr': '<f8'")

	zr, err := gzip.NewReader(bytes.NewReader(read("a.csv.gz")))
	require.NoError(t, err)
	var unzipped bytes.Buffer
	_, err = unzipped.ReadFrom(zr)
	require.NoError(t, err)
	assert.Equal(t, "1,2.5\n-3,4\n", unzipped.String())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 6, "no temporary files are left behind")
}

func TestWriteMatrixFileErrorsKeepOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))

	err := WriteMatrixFile(path, make([]float64, 5), 2, 3)
	assert.ErrorContains(t, err, "matrix size 2 x 3 does not match the 5 values")
	err = WriteMatrixFile(path, nil, 2, 0)
	assert.ErrorContains(t, err, "has rows without values")

	old, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old\n", string(old))

	dir := filepath.Dir(path)
	assert.ErrorContains(t, WriteMatrixFile(filepath.Join(dir, "m.bin"), nil, 0, 0), "unknown matrix file extension; use .npy, .csv, .tsv or .txt")
	assert.ErrorContains(t, WriteMatrixFile(filepath.Join(dir, "m.idx"), nil, 0, 0), "use .npy, .csv, .tsv or .txt, or WriteIDX")
	assert.ErrorContains(t, WriteMatrixFile(filepath.Join(dir, "missing", "m.npy"), nil, 0, 0), "tensor: write ")
}

func TestReadMatrixFileShapes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape ...int) {
		x := New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(i)
		}
		var buf bytes.Buffer
		if strings.Contains(name, "idx") {
			require.NoError(t, WriteIDX(&buf, x, IDXUint8))
		} else {
			require.NoError(t, WriteNPY(&buf, x))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644))
	}
	write("scalar.npy")
	write("vector.npy", 5)
	write("cube.npy", 2, 3, 4)
	write("empty.npy", 0, 3, 2)
	write("train-images-idx3-ubyte", 3, 2, 2)
	write("labels.idx", 4)

	cases := []struct {
		name       string
		rows, cols int
	}{
		{"scalar.npy", 1, 1},
		{"vector.npy", 5, 1},
		{"cube.npy", 2, 12},
		{"empty.npy", 0, 6},
		{"train-images-idx3-ubyte", 3, 4},
		{"labels.idx", 4, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, rows, cols, err := ReadMatrixFile(filepath.Join(dir, c.name))
			require.NoError(t, err)
			assert.Equal(t, c.rows, rows, "rows")
			assert.Equal(t, c.cols, cols, "cols")
			require.Len(t, data, rows*cols)
			for i, v := range data {
				assert.Equal(t, float64(i), v, "element %d", i)
			}
		})
	}
}

func TestReadMatrixFileTestdata(t *testing.T) {
	// A gzipped IDX file named .idx.gz and a big-endian Fortran-order NPY.
	data, rows, cols, err := ReadMatrixFile(filepath.Join("testdata", "idx_f32_2x3x4.idx.gz"))
	require.NoError(t, err)
	assert.Equal(t, 2, rows)
	assert.Equal(t, 12, cols)
	assert.Equal(t, 3.25, data[23])

	data, rows, cols, err = ReadMatrixFile(filepath.Join("testdata", "np_f4_fortran_be_2x3x4.npy"))
	require.NoError(t, err)
	assert.Equal(t, 2, rows)
	assert.Equal(t, 12, cols)
	for v, x := range data {
		assert.Equal(t, float64(v)/4-2.5, x, "element %d", v)
	}
}

func TestReadMatrixFileCSVHeaderAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emb.tsv")
	require.NoError(t, os.WriteFile(path, []byte("z1\tz2\n0.5\t-1\n2\t3\n"), 0o644))
	data, rows, cols, err := ReadMatrixFile(path)
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, -1, 2, 3}, data)
	assert.Equal(t, 2, rows)
	assert.Equal(t, 2, cols)

	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("1,2\n3\n"), 0o644))
	_, _, _, err = ReadMatrixFile(bad)
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	assert.True(t, strings.HasPrefix(err.Error(), "tensor: "+bad+": invalid CSV file: line 2 (data row 2) has 1 field,"), err.Error())
	assert.Equal(t, bad, invalid.Path)

	parquet := filepath.Join(dir, "m.parquet")
	require.NoError(t, os.WriteFile(parquet, []byte("PAR1"), 0o644))
	_, _, _, err = ReadMatrixFile(parquet)
	assert.ErrorContains(t, err, "unknown matrix file extension; use .npy, .csv, .tsv, .txt, .idx or -idxN-ubyte")
	_, _, _, err = ReadMatrixFile(filepath.Join(dir, "missing.npy"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.EqualError(t, err, "tensor: "+filepath.Join(dir, "missing.npy")+" does not exist; check the path")

	// A missing path or a directory is reported as such, not by its
	// extension: "--data /nonexistent" used to get "unknown matrix file
	// extension".
	_, _, _, err = ReadMatrixFile(filepath.Join(dir, "nonexistent"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "nonexistent does not exist; check the path")
	_, _, _, err = ReadMatrixFile(dir)
	assert.EqualError(t, err, "tensor: "+dir+" is a directory; pass a matrix file (.npy, .csv, .tsv, .txt, .idx or -idxN-ubyte, each optionally followed by .gz)")

	notGzip := filepath.Join(dir, "plain.csv.gz")
	require.NoError(t, os.WriteFile(notGzip, []byte("1,2\n"), 0o644))
	_, _, _, err = ReadMatrixFile(notGzip)
	assert.ErrorContains(t, err, "gzip stream")
}

func TestCheckMatrixOutputName(t *testing.T) {
	for _, ok := range []string{"z.npy", "z.csv", "dir/z.TSV", "z.txt.gz", "z.npy.gz"} {
		assert.NoError(t, CheckMatrixOutputName(ok), ok)
	}
	assert.EqualError(t, CheckMatrixOutputName("m.safetensors"), "tensor: m.safetensors: unknown matrix file extension; use .npy, .csv, .tsv or .txt, optionally followed by .gz")
	assert.ErrorContains(t, CheckMatrixOutputName("z.idx"), "does not write IDX")
	// It agrees with what WriteMatrixFile refuses.
	path := filepath.Join(t.TempDir(), "z.parquet")
	assert.EqualError(t, WriteMatrixFile(path, []float64{1}, 1, 1), CheckMatrixOutputName(path).Error())
}

func TestReadArrayFromContent(t *testing.T) {
	data, shape, err := ReadArray(strings.NewReader("a,b\n1,2\n3,4\n"), "standard input")
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2}, shape)
	assert.Equal(t, []float64{1, 2, 3, 4}, data)

	// A gzip header with a broken stream after it.
	_, _, err = ReadArray(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}), "standard input")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "standard input: gzip stream")

	_, _, err = ReadArray(strings.NewReader("\x93NUMPY\x01\x00"), "standard input")
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	assert.EqualError(t, err, "tensor: standard input: invalid NPY file: input ends inside the header length; the file is empty or truncated")
}

// The errors of an invalid or unsupported file used to put the format
// and the path on either side of the reader's message, as in "tensor:
// idx: invalid format: ... (file x.idx)". They now start with the path.
func TestReadMatrixFileErrorNamesPath(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "t10k-images-idx3-ubyte")
	require.NoError(t, os.WriteFile(truncated, []byte{0, 0, 8, 3, 0, 0, 0, 1}, 0o644))
	_, _, _, err := ReadMatrixFile(truncated)
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "idx", invalid.Format)
	assert.EqualError(t, err, "tensor: "+truncated+": invalid IDX file: input ends inside the 3 dimension sizes the header announces; the file is truncated, so replace it with a complete copy")

	empty := filepath.Join(dir, "empty.idx.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(empty, gz.Bytes(), 0o644))
	_, _, _, err = ReadMatrixFile(empty)
	assert.EqualError(t, err, "tensor: "+empty+": invalid IDX file: gzip data has 0 bytes, fewer than the 4-byte magic number; the file is empty or truncated, so replace it with a complete copy")

	complex := filepath.Join("testdata", "np_c8_complex.npy")
	_, _, _, err = ReadMatrixFile(complex)
	var unsupported *UnsupportedError
	require.ErrorAs(t, err, &unsupported)
	assert.True(t, strings.HasPrefix(err.Error(), "tensor: "+complex+": unsupported NPY file: dtype \"<c8\""), err.Error())
}

func TestSameMatrixFormat(t *testing.T) {
	assert.True(t, SameMatrixFormat("a.npy", "dir/B.NPY"))
	assert.True(t, SameMatrixFormat("a.csv.gz", "b.csv.gz"))
	assert.False(t, SameMatrixFormat("a.npy", "a.csv"))
	assert.False(t, SameMatrixFormat("a.csv", "a.csv.gz"))
	assert.False(t, SameMatrixFormat("a.csv", "a.tsv"))
}

// MatrixSize gives the size that ReadMatrixFile returns for each rank, so
// that callers holding only a shape, such as a request body's, agree with
// it.
func TestMatrixSize(t *testing.T) {
	cases := []struct {
		shape      []int
		rows, cols int
	}{
		{nil, 1, 1},
		{[]int{5}, 5, 1},
		{[]int{5, 3}, 5, 3},
		{[]int{2, 3, 4}, 2, 12},
		{[]int{7, 1, 28, 28}, 7, 784},
		{[]int{0, 3, 2}, 0, 6},
	}
	for _, c := range cases {
		rows, cols := MatrixSize(c.shape)
		assert.Equal(t, c.rows, rows, "rows of %v", c.shape)
		assert.Equal(t, c.cols, cols, "cols of %v", c.shape)
	}
}

func TestIsIDXName(t *testing.T) {
	for path, want := range map[string]bool{
		"t10k-images-idx3-ubyte":         true,
		"dir/train-labels.idx1-ubyte.gz": true,
		"DATA.IDX":                       true,
		"x.npy":                          false,
		"x.csv.gz":                       false,
		"idx3-ubyte.txt":                 false,
		"images":                         false,
	} {
		assert.Equal(t, want, IsIDXName(path), path)
	}
}

// WriteIntsFile writes row numbers that NumPy indexes with as they are:
// a 1-D <i8 array in .npy, and one integer per line in the text formats.
func TestWriteIntsFile(t *testing.T) {
	values := []int{0, 7, 2, 1 << 40}
	dir := t.TempDir()
	for _, name := range []string{"rows.npy", "rows.npy.gz", "rows.csv", "rows.txt.gz"} {
		path := filepath.Join(dir, name)
		require.NoError(t, WriteIntsFile(path, values), name)
		data, shape, err := ReadArrayFile(path)
		require.NoError(t, err, name)
		assert.Equal(t, []float64{0, 7, 2, 1 << 40}, data, name)
		if strings.Contains(name, ".npy") {
			assert.Equal(t, []int{4}, shape, name)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "rows.csv"))
	require.NoError(t, err)
	assert.Equal(t, "0\n7\n2\n1099511627776\n", string(b))
	b, err = os.ReadFile(filepath.Join(dir, "rows.npy"))
	require.NoError(t, err)
	assert.Contains(t, string(b[:128]), "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }")
	assert.Equal(t, 128+4*8, len(b))

	assert.ErrorContains(t, WriteIntsFile(filepath.Join(dir, "rows.bin"), values), "unknown matrix file extension")
}
