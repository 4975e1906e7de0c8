package tensor

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAllRows reads r through an IDXRowReader with room for rows rows a
// call and returns the values joined.
func readAllRows(r io.Reader, rows int) ([]float32, []int, error) {
	x, err := NewIDXRowReader(r)
	if err != nil {
		return nil, nil, err
	}
	buf := make([]float32, rows*x.RowValues())
	var all []float32
	for {
		n, err := x.ReadRows(buf)
		if errors.Is(err, io.EOF) {
			return all, x.Shape, nil
		}
		if err != nil {
			return nil, nil, err
		}
		all = append(all, buf[:n*x.RowValues()]...)
	}
}

func TestIDXRowReaderMatchesReadIDX(t *testing.T) {
	x := New(7, 3, 2)
	for i := range x.Data {
		x.Data[i] = float32(i*37%201) - 100
	}
	for _, code := range []byte{IDXInt8, IDXInt16, IDXInt32, IDXFloat32, IDXFloat64} {
		var buf bytes.Buffer
		require.NoError(t, WriteIDX(&buf, x, code))
		want, err := ReadIDX(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		for _, rows := range []int{1, 2, 3, 7, 10} {
			// A bufio-like reader that does not report its size, and a
			// bytes.Reader that does.
			for _, r := range []io.Reader{io.MultiReader(bytes.NewReader(buf.Bytes())), bytes.NewReader(buf.Bytes())} {
				got, shape, err := readAllRows(r, rows)
				require.NoError(t, err, "type 0x%02x, %d rows a call", code, rows)
				assert.Equal(t, want.Shape, shape, "type 0x%02x, %d rows a call", code, rows)
				assert.Equal(t, want.Data, got, "type 0x%02x, %d rows a call", code, rows)
			}
		}
	}
}

func TestIDXRowReaderErrorsMatchReadIDX(t *testing.T) {
	x := New(5, 4)
	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, x, IDXInt16))
	good := buf.Bytes()
	cases := map[string][]byte{
		"empty":                  {},
		"short magic":            good[:3],
		"bad magic":              append([]byte{1}, good[1:]...),
		"unknown type":           append([]byte{0, 0, 0x42}, good[3:]...),
		"short header":           good[:9],
		"no data":                good[:12],
		"truncated in a row":     good[:12+2*4*2+3],
		"truncated by one byte":  good[:len(good)-1],
		"dimension of 2^31 rows": {0, 0, IDXUint8, 2, 0x80, 0, 0, 0, 0, 0, 0, 1},
	}
	for name, input := range cases {
		_, wantErr := ReadIDX(io.MultiReader(bytes.NewReader(input)))
		require.Error(t, wantErr, name)
		for _, rows := range []int{1, 2, 5} {
			_, _, err := readAllRows(io.MultiReader(bytes.NewReader(input)), rows)
			require.Error(t, err, "%s, %d rows a call", name, rows)
			assert.Equal(t, wantErr.Error(), err.Error(), "%s, %d rows a call", name, rows)
		}
		// A reader that reports its size rejects short data at once.
		_, wantErr = ReadIDX(bytes.NewReader(input))
		_, err := NewIDXRowReader(bytes.NewReader(input))
		if err == nil {
			_, _, err = readAllRows(bytes.NewReader(input), 2)
		}
		require.Error(t, err, "%s, sized", name)
		assert.Equal(t, wantErr.Error(), err.Error(), "%s, sized", name)
	}
}

func TestIDXRowReaderRejectsGzipAndShortBuffer(t *testing.T) {
	_, err := NewIDXRowReader(bytes.NewReader([]byte{0x1f, 0x8b, 8, 0}))
	assert.EqualError(t, err, "tensor: idx: invalid format: input is gzipped (it starts with 1f 8b), but NewIDXRowReader reads uncompressed IDX; decompress it first with gzip.NewReader")

	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, New(2, 3), IDXUint8))
	x, err := NewIDXRowReader(&buf)
	require.NoError(t, err)
	assert.Equal(t, 2, x.Rows())
	assert.Equal(t, 3, x.RowValues())
	_, err = x.ReadRows(make([]float32, 2))
	assert.EqualError(t, err, "tensor: idx: ReadRows needs room for at least one row of values; pass a longer slice")
}

// Discard reads the rest of the rows without a buffer of their size and
// reports a truncated input with the error of ReadRows.
func TestIDXRowReaderDiscard(t *testing.T) {
	x := New(6, 5)
	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, x, IDXInt16))
	full := buf.Bytes()

	r, err := NewIDXRowReader(io.MultiReader(bytes.NewReader(full)))
	require.NoError(t, err)
	n, err := r.ReadRows(make([]float32, 2*5))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.NoError(t, r.Discard())
	n, err = r.ReadRows(make([]float32, 5))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)

	short := full[:len(full)-3]
	_, _, wantErr := readAllRows(io.MultiReader(bytes.NewReader(short)), 6)
	require.Error(t, wantErr)
	r, err = NewIDXRowReader(io.MultiReader(bytes.NewReader(short)))
	require.NoError(t, err)
	assert.Equal(t, wantErr.Error(), r.Discard().Error())
}
