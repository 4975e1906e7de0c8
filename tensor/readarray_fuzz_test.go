package tensor

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzReadArray feeds ReadArray text, NPY and gzipped content. It must not
// panic, and whatever it reads must have as many values as its shape gives.
func FuzzReadArray(f *testing.F) {
	f.Add([]byte("1,2\n3,4\n"))
	f.Add([]byte("x y\n1 2\n"))
	f.Add(npyTestFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", make([]byte, 16)))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("1\t2\n"))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte("\x93NUMPY"))

	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > fuzzMaxInput {
			t.Skip()
		}
		data, shape, err := ReadArray(bytes.NewReader(input), "fuzz input")
		if err != nil {
			return
		}
		n := 1
		for _, s := range shape {
			if s < 0 {
				t.Fatalf("negative dimension in shape %v", shape)
			}
			n *= s
		}
		if n != len(data) {
			t.Fatalf("shape %v holds %d values, but %d were read", shape, n, len(data))
		}
	})
}
