package tensor

import (
	"bytes"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The np_*.npy fixtures come from testdata/gen_npy.py. Element (i, j, k) of
// each 2x3x4 array is a function of v = 12i + 4j + k, its row-major index.
var npyFixtures = []struct {
	file  string
	shape []int
	value func(v int) float64
}{
	{"np_f4_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_f8_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_f8_be_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_i8_fortran_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v - 10) }},
	{"np_f4_fortran_be_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_u1_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v * 10) }},
	{"np_i4_be_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v*1000 - 7000) }},
	{"np_f2_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_b1_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return b2f(v%3 == 0) }},
	{"np_f4_v2_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_f4_v3_2x3x4.npy", []int{2, 3, 4}, func(v int) float64 { return float64(v)/4 - 2.5 }},
	{"np_f4_scalar.npy", []int{}, func(int) float64 { return 3.25 }},
	{"np_f8_empty_0x3.npy", []int{0, 3}, nil},
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestReadNPYNumPyFixtures(t *testing.T) {
	for _, fx := range npyFixtures {
		t.Run(fx.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", fx.file))
			require.NoError(t, err)
			n := 1
			for _, d := range fx.shape {
				n *= d
			}

			got, err := ReadNPY(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, fx.shape, got.Shape)
			require.Len(t, got.Data, n)
			for v := range n {
				assert.Equal(t, float32(fx.value(v)), got.Data[v], "element %d", v)
			}

			data, shape, err := ReadNPY64(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, fx.shape, shape)
			require.Len(t, data, n)
			for v := range n {
				assert.Equal(t, fx.value(v), data[v], "element %d", v)
			}
		})
	}
}

func TestReadNPYComplexUnsupported(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "np_c8_complex.npy"))
	require.NoError(t, err)
	_, err = ReadNPY(bytes.NewReader(raw))
	var unsupported *UnsupportedError
	require.ErrorAs(t, err, &unsupported)
	assert.Contains(t, err.Error(), "tensor: npy: unsupported: dtype \"<c8\"")
}

func TestWriteNPYMatchesNumPy(t *testing.T) {
	want32, err := os.ReadFile(filepath.Join("testdata", "np_f4_2x3x4.npy"))
	require.NoError(t, err)
	want64, err := os.ReadFile(filepath.Join("testdata", "np_f8_2x3x4.npy"))
	require.NoError(t, err)

	x := New(2, 3, 4)
	x64 := make([]float64, 24)
	for v := range x.Data {
		x.Data[v] = float32(v)/4 - 2.5
		x64[v] = float64(v)/4 - 2.5
	}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY(&buf, x))
	assert.Equal(t, want32, buf.Bytes())

	buf.Reset()
	require.NoError(t, WriteNPY64(&buf, x64, []int{2, 3, 4}))
	assert.Equal(t, want64, buf.Bytes())
}

// npyTestFile builds an NPY file the way NumPy lays it out: preamble for
// the version, the header padded with spaces to a multiple of 64 bytes and
// ending in a newline, then payload.
func npyTestFile(major byte, header string, payload []byte) []byte {
	lenBytes := 2
	if major > 1 {
		lenBytes = 4
	}
	padded := header
	for (6+2+lenBytes+len(padded)+1)%64 != 0 {
		padded += " "
	}
	padded += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if lenBytes == 2 {
		endian.Write(&b, endian.LittleEndian, uint16(len(padded)))
	} else {
		endian.Write(&b, endian.LittleEndian, uint32(len(padded)))
	}
	b.WriteString(padded)
	b.Write(payload)
	return b.Bytes()
}

// npyTestEncode encodes values as the dtype descr, independently of
// decodeElems.
func npyTestEncode(t *testing.T, descr string, values []float64) []byte {
	var order endian.ByteOrder = endian.LittleEndian
	if descr[0] == '>' {
		order = endian.BigEndian
	}
	var b bytes.Buffer
	for _, v := range values {
		var x any
		switch descr[1:] {
		case "f4":
			x = float32(v)
		case "f8":
			x = v
		case "i1":
			x = int8(v)
		case "i2":
			x = int16(v)
		case "i4":
			x = int32(v)
		case "i8":
			x = int64(v)
		case "u1", "b1":
			x = uint8(v)
		case "u2":
			x = uint16(v)
		case "u4":
			x = uint32(v)
		case "u8":
			x = uint64(v)
		case "f2":
			x = npyTestHalf(t, v)
		default:
			t.Fatalf("npyTestEncode: no encoder for %q", descr)
		}
		require.NoError(t, endian.Write(&b, order, x))
	}
	return b.Bytes()
}

// npyTestHalf encodes the few float16 values the tests use, all of them
// exact in binary16, by the definition sign, 5-bit exponent biased by 15,
// 10-bit fraction.
func npyTestHalf(t *testing.T, v float64) uint16 {
	if v == 0 {
		return 0
	}
	var sign uint16
	if v < 0 {
		sign, v = 0x8000, -v
	}
	frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
	e := exp - 1 + 15
	require.True(t, e > 0 && e < 31, "npyTestHalf: %v is not a normal float16", v)
	m := (frac*2 - 1) * 1024
	require.Equal(t, math.Trunc(m), m, "npyTestHalf: %v is not exact in float16", v)
	return sign | uint16(e)<<10 | uint16(m)
}

func TestReadNPYEveryDtypeAndVersion(t *testing.T) {
	floats := []float64{-2.5, 0, 1.25, 1024, -0.0078125, 3}
	signed := []float64{-128, -3, 0, 1, 100, 127}
	unsigned := []float64{0, 1, 7, 100, 200, 255}
	cases := []struct {
		dtype  string
		values []float64
	}{
		{"f2", floats}, {"f4", floats}, {"f8", floats},
		{"i1", signed}, {"i2", signed}, {"i4", signed}, {"i8", signed},
		{"u1", unsigned}, {"u2", unsigned}, {"u4", unsigned}, {"u8", unsigned},
		{"b1", []float64{0, 1, 1, 0, 0, 1}},
	}
	for _, c := range cases {
		for _, order := range []string{"<", ">"} {
			for _, major := range []byte{1, 2, 3} {
				descr := order + c.dtype
				t.Run(fmt.Sprintf("%s/v%d", descr, major), func(t *testing.T) {
					header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }", descr)
					file := npyTestFile(major, header, npyTestEncode(t, descr, c.values))

					data, shape, err := ReadNPY64(bytes.NewReader(file))
					require.NoError(t, err)
					assert.Equal(t, []int{2, 3}, shape)
					assert.Equal(t, c.values, data)

					x, err := ReadNPY(bytes.NewReader(file))
					require.NoError(t, err)
					for i, v := range c.values {
						assert.Equal(t, float32(v), x.Data[i], "element %d", i)
					}

					var out bytes.Buffer
					require.NoError(t, WriteNPY64(&out, data, shape))
					again, againShape, err := ReadNPY64(&out)
					require.NoError(t, err)
					assert.Equal(t, shape, againShape)
					assert.Equal(t, data, again)
				})
			}
		}
	}
}

func TestReadNPY64KeepsFloat64(t *testing.T) {
	values := []float64{0.1, math.Pi, -1e300, math.SmallestNonzeroFloat64, math.Inf(-1), 1 << 53}
	file := npyTestFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", npyTestEncode(t, "<f8", values))
	data, shape, err := ReadNPY64(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, []int{6}, shape)
	assert.Equal(t, values, data)

	x, err := ReadNPY(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, float32(0.1), x.Data[0])
	assert.Equal(t, float32(math.Pi), x.Data[1])
	assert.Equal(t, float32(math.Inf(-1)), x.Data[2], "-1e300 overflows float32")
	assert.Equal(t, float32(0), x.Data[3], "the smallest float64 underflows float32")
	assert.Equal(t, float32(math.Inf(-1)), x.Data[4])
}

func TestReadNPYNaNPayloadAndInt64Extremes(t *testing.T) {
	values := []float64{math.MinInt64, math.MaxInt64, -1}
	file := npyTestFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", nil)
	for _, v := range []int64{math.MinInt64, math.MaxInt64, -1} {
		file = endian.LittleEndian.AppendUint64(file, uint64(v))
	}
	data, _, err := ReadNPY64(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, values, data)

	nan := npyTestFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", endian.LittleEndian.AppendUint32(nil, 0x7fc00001))
	x, err := ReadNPY(bytes.NewReader(nan))
	require.NoError(t, err)
	assert.Equal(t, uint32(0x7fc00001), math.Float32bits(x.Data[0]))
}

func TestReadNPYFortranOrder(t *testing.T) {
	// A 2x3 array [[1, 2, 3], [4, 5, 6]] stored column by column.
	payload := npyTestEncode(t, "<f8", []float64{1, 4, 2, 5, 3, 6})
	file := npyTestFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", payload)
	data, shape, err := ReadNPY64(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, shape)
	assert.Equal(t, []float64{1, 2, 3, 4, 5, 6}, data)

	x, err := ReadNPY(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, x.Data)
}

func TestFortranToCMatchesIndexFormula(t *testing.T) {
	shape := []int{3, 1, 4, 2}
	n := 3 * 1 * 4 * 2
	src := make([]float64, n)
	for i := range src {
		src[i] = float64(i)
	}
	got := fortranToC(src, shape)
	for a := range 3 {
		for c := range 4 {
			for d := range 2 {
				cIndex := ((a*1)*4+c)*2 + d
				fIndex := a + 3*(0+1*(c+4*d))
				assert.Equal(t, float64(fIndex), got[cIndex], "element (%d, 0, %d, %d)", a, c, d)
			}
		}
	}
}

func TestWriteNPYScalarAndEmpty(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {0, 5}, {4, 0, 2}, {7}} {
		t.Run(formatShape(shape), func(t *testing.T) {
			x := New(shape...)
			for i := range x.Data {
				x.Data[i] = float32(i) + 0.5
			}
			var buf bytes.Buffer
			require.NoError(t, WriteNPY(&buf, x))
			assert.Contains(t, buf.String(), "'shape': "+formatShape(shape)+", }")
			assert.Zero(t, (buf.Len()-4*len(x.Data))%64, "header is not padded to 64 bytes")

			got, err := ReadNPY(&buf)
			require.NoError(t, err)
			assert.Equal(t, shape, got.Shape)
			assert.Equal(t, x.Data, got.Data)
		})
	}
}

func TestWriteNPYLongHeaderUsesVersion2(t *testing.T) {
	shape := make([]int, 25000) // "1, " per dimension puts the header past 65535 bytes
	for i := range shape {
		shape[i] = 1
	}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY64(&buf, []float64{2.5}, shape))
	assert.Equal(t, byte(2), buf.Bytes()[6], "major version")

	data, gotShape, err := ReadNPY64(&buf)
	require.NoError(t, err)
	assert.Equal(t, shape, gotShape)
	assert.Equal(t, []float64{2.5}, data)
}

func TestWriteNPYRejectsBadTensor(t *testing.T) {
	var buf bytes.Buffer
	assert.ErrorContains(t, WriteNPY(&buf, nil), "nil tensor")
	assert.ErrorContains(t, WriteNPY(&buf, &Tensor{Shape: []int{2, 2}, Data: make([]float32, 3)}), "needs 4 values, but Data has 3")
	assert.ErrorContains(t, WriteNPY64(&buf, make([]float64, 3), []int{-1, 3}), "negative dimension")
	assert.Zero(t, buf.Len(), "nothing is written on error")
}

func TestWriteNPYReportsWriteError(t *testing.T) {
	err := WriteNPY(npyFailingWriter{}, New(100, 100))
	assert.ErrorContains(t, err, "tensor: npy: write: disk full")
}

type npyFailingWriter struct{}

func (npyFailingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReadNPYLeavesTrailingBytes(t *testing.T) {
	file := npyTestFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", npyTestEncode(t, "<f4", []float64{1, 2}))
	r := bytes.NewReader(append(file, "tail"...))
	x, err := ReadNPY(r)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2}, x.Data)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "tail", string(rest))
}

func TestReadNPYHeaderSyntax(t *testing.T) {
	cases := []struct {
		name   string
		header string
		shape  []int
	}{
		{"double quotes", `{"descr": "<f4", "fortran_order": False, "shape": (2,)}`, []int{2}},
		{"key order", "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}", []int{2}},
		{"python 2 long", "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", []int{2}},
		{"list shape", "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", []int{2}},
		{"no padding", "{'descr':'<f4','fortran_order':False,'shape':(2,)}", []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := npyTestFile(1, c.header, npyTestEncode(t, "<f4", []float64{1, 2}))
			x, err := ReadNPY(bytes.NewReader(file))
			require.NoError(t, err)
			assert.Equal(t, c.shape, x.Shape)
			assert.Equal(t, []float32{1, 2}, x.Data)
		})
	}
}

func TestReadNPYRejectsBadInput(t *testing.T) {
	valid := npyTestFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))
	withHeader := func(header string) []byte { return npyTestFile(1, header, make([]byte, 64)) }
	header := func(descr, fortran, shape string) []byte {
		return withHeader(fmt.Sprintf("{'descr': %s, 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape))
	}
	longHeader := []byte("\x93NUMPY\x01\x00\xff\xff{'descr'")
	hugeV2 := append([]byte("\x93NUMPY\x02\x00"), endian.LittleEndian.AppendUint32(nil, 1<<31)...)

	cases := []struct {
		name        string
		input       []byte
		unsupported bool
		message     string
	}{
		{"empty", nil, false, "input ends inside the 8-byte magic and version"},
		{"wrong magic", []byte("GIF89a image"), false, `magic bytes "GIF89a", expected "\x93NUMPY"`},
		{"npz archive", []byte("PK\x03\x04 zip file"), false, "input is a zip archive, as numpy.savez writes (.npz)"},
		{"version 4", append([]byte("\x93NUMPY\x04\x00"), valid[8:]...), true, "version 4.0; supported are 1.0, 2.0 and 3.0"},
		{"version 1.1", append([]byte("\x93NUMPY\x01\x01"), valid[8:]...), true, "version 1.1"},
		{"no header length", []byte("\x93NUMPY\x01\x00\x10"), false, "input ends inside the header length"},
		{"header longer than file", longHeader, false, "header length 65535 is longer than the 8 bytes left"},
		{"header over limit", hugeV2, true, "header length 2147483648 bytes is over the limit"},
		{"header not a dict", withHeader("['descr', '<f4']"), false, `found '[' at byte 0 where '{' was expected`},
		{"unclosed dict", withHeader("{'descr': '<f4', 'fortran_order': False"), false, "header ends where ',' or '}' was expected"},
		{"unclosed string", withHeader("{'descr: '<f4'}"), false, "expected"},
		{"text after dict", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x"), false, `unexpected 'x' after the closing brace`},
		{"non-string key", withHeader("{1: '<f4'}"), false, `dict key "1" is not a string`},
		{"unknown name", header("'<f4'", "false", "(2,)"), false, `unknown name "false"`},
		{"missing shape", withHeader("{'descr': '<f4', 'fortran_order': False}"), false, `has no key "shape"`},
		{"missing descr", withHeader("{'fortran_order': False, 'shape': (2,)}"), false, `has no key "descr"`},
		{"unknown key", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), false, `unknown key "x"`},
		{"duplicate key", withHeader("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"), false, `key "descr" twice`},
		{"fortran not bool", header("'<f4'", "0", "(2,)"), false, "fortran_order is 0, expected True or False"},
		{"shape not tuple", header("'<f4'", "False", "2"), false, `shape is "2", expected a tuple`},
		{"shape of strings", header("'<f4'", "False", "('a',)"), false, `has "'a'" at index 0`},
		{"negative dimension", header("'<f4'", "False", "(2, -3)"), false, "negative dimension -3"},
		{"dimension too big", header("'<f4'", "False", "(99999999999999999999,)"), false, "does not fit in an int"},
		{"shape overflows" + only64, header("'<f4'", "False", "(4294967296, 4294967296)"), false, "more elements than fit in an int"},
		{"zero hides overflow" + only64, header("'<f4'", "False", "(0, 4294967296, 4294967296)"), false, "more elements than fit in an int"},
		{"bytes overflow" + only64, header("'<f8'", "False", "(2305843009213693952,)"), false, "needs more than 2^63 bytes"},
		{"deep nesting", header("'<f4'", "False", strings.Repeat("(", 100)), false, "nested deeper than 32"},
		{"structured dtype", header("[('a', '<f4')]", "False", "(2,)"), true, "structured dtype"},
		{"descr not string", header("4", "False", "(2,)"), false, `descr is "4", expected a dtype string`},
		{"descr too short", header("'f'", "False", "(2,)"), false, `descr "f" is too short`},
		{"descr bad size", header("'<fx'", "False", "(2,)"), false, `has size "x"`},
		{"descr unknown kind", header("'<z4'", "False", "(2,)"), false, "unknown type kind 'z'"},
		{"descr no order", header("'xf4'", "False", "(2,)"), false, "expected a byte order character"},
		{"pipe on multibyte", header("'|f4'", "False", "(2,)"), false, "only valid for 1-byte types"},
		{"native order", header("'=f4'", "False", "(2,)"), true, "native byte order"},
		// Its advice was astype('<f4'), which fails on class names.
		{"unicode dtype", header("'<U3'", "False", "(2,)"), true, `dtype "<U3", an array of strings; convert it to numbers first, with arr.astype('<f4') when the strings are numbers, ` +
			`or np.unique(arr, return_inverse=True)[1] when they are names, such as class names, to number them from 0`},
		{"bytes dtype", header("'|S5'", "False", "(2,)"), true, `dtype "|S5", an array of strings; convert it to numbers first`},
		// np.save of an object array writes descr '|O'; it used to be
		// reported as "too short for a dtype".
		// pandas' Series.values of class names is an object array, and
		// its advice was astype('<f4') alone, which fails on names.
		{"object dtype", header("'|O'", "False", "(2,)"), true, `dtype "|O", an array of Python objects; convert it to a numeric dtype first, with arr.astype('<f4') when they are numbers, ` +
			`or np.unique(arr, return_inverse=True)[1] when they are names, such as class names, to number them from 0`},
		{"long double", header("'<f16'", "False", "(2,)"), true, `dtype "<f16"`},
		{"v3 invalid utf8", npyTestFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), '\xff': 1}", nil), false, "not valid UTF-8"},
		{"data truncated", valid[:len(valid)-1], false, "data truncated: shape (2,) of <f4 needs 8 bytes, but only 7 remain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			skipOn32Bit(t)
			_, err := ReadNPY(bytes.NewReader(c.input))
			require.Error(t, err)
			if c.unsupported {
				var unsupported *UnsupportedError
				require.ErrorAs(t, err, &unsupported)
				assert.True(t, strings.HasPrefix(err.Error(), "tensor: npy: unsupported: "), err.Error())
			} else {
				var invalid *FormatError
				require.ErrorAs(t, err, &invalid)
				assert.True(t, strings.HasPrefix(err.Error(), "tensor: npy: invalid format: "), err.Error())
			}
			assert.Contains(t, err.Error(), c.message)

			_, _, err64 := ReadNPY64(bytes.NewReader(c.input))
			assert.Equal(t, err.Error(), err64.Error())
		})
	}
}

// only64 marks test cases whose shapes overflow int only on 64-bit
// platforms. On 32-bit ones a dimension fails earlier, with another message.
const only64 = " (64-bit int)"

func skipOn32Bit(t *testing.T) {
	if strconv.IntSize == 32 && strings.HasSuffix(t.Name(), strings.ReplaceAll(only64, " ", "_")) {
		t.Skip("the shape overflows int earlier on 32-bit platforms")
	}
}

// npyStream hides the concrete reader type, so the readers cannot learn the
// input size and must grow their buffers as data arrives.
type npyStream struct{ r io.Reader }

func (s npyStream) Read(p []byte) (int, error) { return s.r.Read(p) }

func TestReadNPYHugeShapeAllocatesLittle(t *testing.T) {
	// The header claims 2^40 float32 values (4 TiB), the file holds 4 KiB.
	file := npyTestFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }", make([]byte, 4096))
	for _, c := range []struct {
		name string
		r    func() io.Reader
		msg  string
	}{
		{"sized reader", func() io.Reader { return bytes.NewReader(file) }, "but only 4096 remain"},
		{"stream", func() io.Reader { return npyStream{bytes.NewReader(file)} }, "but the input ends after 4096"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadNPY(c.r())
			runtime.ReadMemStats(&after)
			var invalid *FormatError
			require.ErrorAs(t, err, &invalid)
			if strconv.IntSize == 32 {
				assert.Contains(t, err.Error(), "more elements than fit in an int")
			} else {
				assert.Contains(t, err.Error(), "needs 4398046511104 bytes")
				assert.Contains(t, err.Error(), c.msg)
			}
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")
		})
	}
}

func TestReadNPYStreamGrowsToFullSize(t *testing.T) {
	// Larger than one read chunk, so the output slice grows several times.
	values := make([]float64, 50000)
	for i := range values {
		values[i] = float64(i%1000) - 499.5
	}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY64(&buf, values, []int{50, 1000}))
	data, shape, err := ReadNPY64(npyStream{&buf})
	require.NoError(t, err)
	assert.Equal(t, []int{50, 1000}, shape)
	assert.Equal(t, values, data)
}

func TestReadNPYFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	x := New(3, 2)
	for i := range x.Data {
		x.Data[i] = float32(i) * 1.5
	}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY(&buf, x))
	require.NoError(t, os.WriteFile(path, buf.Bytes()[:buf.Len()-4], 0o644))

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = ReadNPY(f)
	assert.ErrorContains(t, err, "needs 24 bytes, but only 20 remain")
}

func TestHalfToFloat32SpecialValues(t *testing.T) {
	cases := []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1},
		{0xc000, -2},
		{0x7bff, 65504},                 // largest finite float16
		{0x0400, 1.0 / (1 << 14)},       // smallest normal
		{0x0001, 1.0 / (1 << 24)},       // smallest subnormal
		{0x03ff, 1023.0 / (1 << 24)},    // largest subnormal
		{0x8001, -1.0 / (1 << 24)},      // negative subnormal
		{0x7c00, float32(math.Inf(1))},  // +Inf
		{0xfc00, float32(math.Inf(-1))}, // -Inf
		{0x0000, 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, halfToFloat32(c.bits), "bits %#04x", c.bits)
	}
	assert.Equal(t, uint32(0x80000000), math.Float32bits(halfToFloat32(0x8000)), "negative zero")
	nan := halfToFloat32(0x7e01)
	assert.True(t, math.IsNaN(float64(nan)))
	assert.Equal(t, uint32(0x7fc02000), math.Float32bits(nan), "NaN payload moves to the top fraction bits")
}
