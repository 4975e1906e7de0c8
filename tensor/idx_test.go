package tensor

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadIDXFixtures(t *testing.T) {
	// Written by testdata/gen_idx.py; v = 12i + 4j + k is the row-major index.
	cases := []struct {
		file  string
		value func(v int) float32
	}{
		{"idx_u8_2x3x4.idx", func(v int) float32 { return float32(v * 10) }},
		{"idx_i16_2x3x4.idx", func(v int) float32 { return float32(v*1000 - 7000) }},
		{"idx_f64_2x3x4.idx", func(v int) float32 { return float32(v)/4 - 2.5 }},
		{"idx_f32_2x3x4.idx.gz", func(v int) float32 { return float32(v)/4 - 2.5 }},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", c.file))
			require.NoError(t, err)
			defer f.Close()
			x, err := ReadIDX(f)
			require.NoError(t, err)
			assert.Equal(t, []int{2, 3, 4}, x.Shape)
			require.Len(t, x.Data, 24)
			for v := range 24 {
				assert.Equal(t, c.value(v), x.Data[v], "element %d", v)
			}
		})
	}
}

func TestReadIDXMNISTLabels(t *testing.T) {
	// The real gzipped MNIST test labels that internal/mnist embeds.
	path := filepath.Join("..", "internal", "mnist", "data", "t10k-labels-idx1-ubyte.gz")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is not in this tree", path)
	}
	require.NoError(t, err)
	defer f.Close()
	x, err := ReadIDX(f)
	require.NoError(t, err)
	assert.Equal(t, []int{10000}, x.Shape)
	var counts [10]int
	for i, v := range x.Data {
		require.True(t, v >= 0 && v <= 9 && v == float32(int(v)), "label %d is %v", i, v)
		counts[int(v)]++
	}
	// The first test labels of MNIST are 7, 2, 1, 0, 4, and every digit
	// occurs between 892 and 1135 times in the test set.
	assert.Equal(t, []float32{7, 2, 1, 0, 4}, x.Data[:5])
	for d, n := range counts {
		assert.True(t, n >= 892 && n <= 1135, "digit %d occurs %d times", d, n)
	}
}

func TestWriteIDXRoundTripEveryType(t *testing.T) {
	cases := []struct {
		dtype  byte
		values []float32
	}{
		{IDXUint8, []float32{0, 1, 128, 255, 7, 200}},
		{IDXInt8, []float32{-128, -1, 0, 1, 127, 5}},
		{IDXInt16, []float32{-32768, -1, 0, 1, 32767, 300}},
		{IDXInt32, []float32{-2147483648, -1, 0, 1, 2147483520, 1 << 24}},
		{IDXFloat32, []float32{-2.5, 0, float32(math.Inf(1)), 1e-40, math.MaxFloat32, float32(math.NaN())}},
		{IDXFloat64, []float32{-2.5, 0, float32(math.Inf(-1)), 1e-40, math.MaxFloat32, 0.1}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("0x%02x", c.dtype), func(t *testing.T) {
			x, err := FromSlice(c.values, 2, 3)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, WriteIDX(&buf, x, c.dtype))
			assert.Equal(t, []byte{0, 0, c.dtype, 2, 0, 0, 0, 2, 0, 0, 0, 3}, buf.Bytes()[:12])

			plain := bytes.Clone(buf.Bytes())
			got, err := ReadIDX(&buf)
			require.NoError(t, err)
			assert.Equal(t, []int{2, 3}, got.Shape)
			idxAssertSameBits(t, c.values, got.Data)

			var zipped bytes.Buffer
			zw := gzip.NewWriter(&zipped)
			_, err = zw.Write(plain)
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			got, err = ReadIDX(&zipped)
			require.NoError(t, err)
			assert.Equal(t, []int{2, 3}, got.Shape)
			idxAssertSameBits(t, c.values, got.Data)
		})
	}
}

func idxAssertSameBits(t *testing.T, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "element %d: want %v, got %v", i, want[i], got[i])
	}
}

func TestWriteIDXBigEndianLayout(t *testing.T) {
	x, err := FromSlice([]float32{1, -2}, 2)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, x, IDXInt16))
	assert.Equal(t, []byte{0, 0, 0x0B, 1, 0, 0, 0, 2, 0x00, 0x01, 0xff, 0xfe}, buf.Bytes())

	buf.Reset()
	require.NoError(t, WriteIDX(&buf, x, IDXFloat32))
	assert.Equal(t, []byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}, buf.Bytes()[8:])
}

func TestWriteIDXScalarAndEmpty(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {3, 0}} {
		x := New(shape...)
		for i := range x.Data {
			x.Data[i] = 9
		}
		var buf bytes.Buffer
		require.NoError(t, WriteIDX(&buf, x, IDXUint8))
		got, err := ReadIDX(&buf)
		require.NoError(t, err)
		assert.Equal(t, shape, got.Shape)
		assert.Equal(t, x.Data, got.Data)
	}
}

func TestWriteIDXRejectsUnrepresentableValues(t *testing.T) {
	cases := []struct {
		dtype byte
		value float32
		msg   string
	}{
		{IDXUint8, 256, "value 256 at index 1 is not an integer in 0..255, the range of type u8"},
		{IDXUint8, -1, "value -1 at index 1"},
		{IDXUint8, 0.5, "value 0.5 at index 1"},
		{IDXUint8, float32(math.NaN()), "value NaN at index 1"},
		{IDXInt8, -129, "in -128..127"},
		{IDXInt16, 32768, "in -32768..32767"},
		{IDXInt32, 2147483648, "in -2147483648..2147483647"},
		{IDXInt32, float32(math.Inf(1)), "value +Inf"},
	}
	for _, c := range cases {
		x, err := FromSlice([]float32{0, c.value}, 2)
		require.NoError(t, err)
		var buf bytes.Buffer
		err = WriteIDX(&buf, x, c.dtype)
		assert.ErrorContains(t, err, c.msg)
		assert.Zero(t, buf.Len(), "nothing is written on error")
	}

	var buf bytes.Buffer
	assert.ErrorContains(t, WriteIDX(&buf, New(2), 0x0A), "type code 0x0a is not an IDX type")
	assert.ErrorContains(t, WriteIDX(&buf, nil, IDXUint8), "nil tensor")
	assert.ErrorContains(t, WriteIDX(&buf, New(make([]int, 256)...), IDXUint8), "at most 255")
	if strconv.IntSize == 64 {
		shift := 32
		tooBig := 1 << shift
		assert.ErrorContains(t, WriteIDX(&buf, &Tensor{Shape: []int{tooBig, 0}}, IDXUint8), "at most 2^32-1")
	}
}

func TestReadIDXRejectsBadInput(t *testing.T) {
	valid := []byte{0, 0, IDXFloat32, 1, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	badChecksum := gz(valid)
	badChecksum[len(badChecksum)-8] ^= 0xff
	corrupt := gz(bytes.Repeat(valid, 50))
	for i := 12; i < len(corrupt)-8; i++ {
		corrupt[i] ^= 0x55
	}
	badGzipHeader := append([]byte{0x1f, 0x8b, 0x09}, make([]byte, 20)...)

	cases := []struct {
		name        string
		input       []byte
		unsupported bool
		message     string
	}{
		{"empty", nil, false, "input has 0 bytes, fewer than the 4-byte magic number"},
		{"short", []byte{0, 0, 8}, false, "input has 3 bytes"},
		{"wrong magic", []byte("\x89PNG\r\n"), false, "magic number 89 50 4e 47 does not start with 00 00"},
		{"bad type", []byte{0, 0, 0x0A, 1, 0, 0, 0, 1, 0}, false, "type code 0x0a in magic number 00 00 0a 01 is not an IDX type"},
		{"dims truncated", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, false, "input ends inside the 3 dimension sizes"},
		{"data truncated", valid[:len(valid)-1], false, "data truncated: shape (2,) of f32 needs 8 bytes, but only 7 remain"},
		{"shape overflows" + only64, []byte{0, 0, 0x0E, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false, "more elements than fit in an int"},
		{"gzip checksum", badChecksum, false, "gzip stream: gzip: invalid checksum"},
		{"gzip corrupt", corrupt, false, "tensor: idx: invalid format: "},
		{"gzip bad header", badGzipHeader, false, "gzip stream: gzip: invalid header"},
		{"gzip truncated", gz(valid)[:15], false, "tensor: idx: invalid format: "},
		{"gzip empty content", gz(nil), false, "gzip data has 0 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			skipOn32Bit(t)
			_, err := ReadIDX(bytes.NewReader(c.input))
			require.Error(t, err)
			if c.unsupported {
				var unsupported *UnsupportedError
				require.ErrorAs(t, err, &unsupported)
			} else {
				var invalid *FormatError
				require.ErrorAs(t, err, &invalid, err.Error())
				assert.True(t, strings.HasPrefix(err.Error(), "tensor: idx: invalid format: "), err.Error())
			}
			assert.Contains(t, err.Error(), c.message)
		})
	}
}

// A damaged dimension count makes the reader take values for dimension
// sizes. The message used to say only that the shape has more elements
// than fit in an int, without saying that the file is corrupt.
func TestReadIDXCorruptDimensionCount(t *testing.T) {
	skipOn32Bit(t)
	// A 50 x 4 float32 file whose values are all 1.0, 0x3f800000 big-endian.
	file := []byte{0, 0, IDXFloat32, 2, 0, 0, 0, 50, 0, 0, 0, 4}
	for range 50 * 4 {
		file = append(file, 0x3f, 0x80, 0, 0)
	}
	const oneBits = "1065353216"
	for _, c := range []struct {
		ndim  byte
		shape string
	}{
		{5, "(50, 4, " + oneBits + ", " + oneBits + ", " + oneBits + ")"},
		{200, "(50, 4, " + strings.Repeat(oneBits+", ", 6) + "... 192 more)"},
	} {
		corrupt := slices.Clone(file)
		corrupt[3] = c.ndim
		_, err := ReadIDX(bytes.NewReader(corrupt))
		var invalid *FormatError
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, "tensor: idx: invalid format: the header's "+strconv.Itoa(int(c.ndim))+" dimension sizes "+c.shape+
			" give more elements than fit in an int, so the header is corrupt, with a damaged dimension count (the 4th byte) or size; replace the file with an intact copy", err.Error())
	}
}

func TestReadIDXHugeShapeAllocatesLittle(t *testing.T) {
	// The header claims 2^40 bytes of u8 pixels; the input holds 4 KiB.
	header := []byte{0, 0, IDXUint8, 2, 0, 0x10, 0, 0, 0, 0x10, 0, 0}
	file := append(header, make([]byte, 4096)...)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(file)
	zw.Close()

	for _, c := range []struct {
		name string
		r    io.Reader
		msg  string
	}{
		{"sized reader", bytes.NewReader(file), "but only 4096 remain"},
		{"stream", npyStream{bytes.NewReader(file)}, "but the input ends after 4096"},
		{"gzip", &zipped, "but the input ends after 4096"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDX(c.r)
			runtime.ReadMemStats(&after)
			var invalid *FormatError
			require.ErrorAs(t, err, &invalid)
			if strconv.IntSize == 32 {
				assert.Contains(t, err.Error(), "more elements than fit in an int")
			} else {
				assert.Contains(t, err.Error(), "shape (1048576, 1048576) of u8 needs 1099511627776 bytes")
				assert.Contains(t, err.Error(), c.msg)
			}
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(2<<20), "bytes allocated")
		})
	}
}

func TestReadIDXLeavesTrailingBytes(t *testing.T) {
	file := []byte{0, 0, IDXUint8, 1, 0, 0, 0, 2, 5, 6, 'x', 'y'}
	r := bytes.NewReader(file)
	x, err := ReadIDX(r)
	require.NoError(t, err)
	assert.Equal(t, []float32{5, 6}, x.Data)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "xy", string(rest))
}
