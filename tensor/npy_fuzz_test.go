package tensor

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMaxInput caps fuzz inputs. The readers bound their allocations by the
// input size, and a few tens of kilobytes reach every code path.
const fuzzMaxInput = 64 << 10

func FuzzReadNPY(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.npy"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(npyTestFile(1, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 1, 3), }", make([]byte, 12)))
	f.Add(npyTestFile(2, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 1, 2}))
	f.Add(npyTestFile(3, "{'descr': '<u8', 'fortran_order': False, 'shape': (1L,), }", make([]byte, 8)))

	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > fuzzMaxInput {
			t.Skip()
		}
		x, err32 := ReadNPY(bytes.NewReader(input))
		data, shape, err64 := ReadNPY64(bytes.NewReader(input))
		if (err32 == nil) != (err64 == nil) {
			t.Fatalf("ReadNPY error %v, but ReadNPY64 error %v", err32, err64)
		}
		if err32 != nil {
			return
		}
		if !equalInts(x.Shape, shape) {
			t.Fatalf("ReadNPY shape %v, ReadNPY64 shape %v", x.Shape, shape)
		}
		if n, err := numElements(shape); err != nil || n != len(data) || n != len(x.Data) {
			t.Fatalf("shape %v with %d and %d values (%v)", shape, len(x.Data), len(data), err)
		}

		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatalf("WriteNPY: %v", err)
		}
		again, err := ReadNPY(&buf)
		if err != nil {
			t.Fatalf("reading what WriteNPY wrote: %v", err)
		}
		if !equalInts(x.Shape, again.Shape) {
			t.Fatalf("shape %v became %v", x.Shape, again.Shape)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(again.Data[i]) {
				t.Fatalf("element %d: %v became %v", i, x.Data[i], again.Data[i])
			}
		}

		buf.Reset()
		if err := WriteNPY64(&buf, data, shape); err != nil {
			t.Fatalf("WriteNPY64: %v", err)
		}
		data2, shape2, err := ReadNPY64(&buf)
		if err != nil {
			t.Fatalf("reading what WriteNPY64 wrote: %v", err)
		}
		if !equalInts(shape, shape2) {
			t.Fatalf("shape %v became %v", shape, shape2)
		}
		for i := range data {
			if math.Float64bits(data[i]) != math.Float64bits(data2[i]) {
				t.Fatalf("element %d: %v became %v", i, data[i], data2[i])
			}
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
