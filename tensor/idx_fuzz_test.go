package tensor

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzReadIDX(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "idx_*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, IDXInt8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0x7f})
	f.Add([]byte{0, 0, IDXInt32, 0, 0x80, 0, 0, 0})
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte{0, 0, IDXUint8, 1, 0, 0, 0, 3, 1, 2, 3})
	zw.Close()
	f.Add(zipped.Bytes())

	f.Fuzz(func(t *testing.T, input []byte) {
		// A gzip stream can expand about a thousandfold, so gzipped inputs
		// are capped lower than plain ones.
		if len(input) > fuzzMaxInput || len(input) > 4<<10 && len(input) >= 2 && input[0] == 0x1f && input[1] == 0x8b {
			t.Skip()
		}
		x, err := ReadIDX(bytes.NewReader(input))
		if err != nil {
			return
		}
		if n, err := numElements(x.Shape); err != nil || n != len(x.Data) {
			t.Fatalf("shape %v with %d values (%v)", x.Shape, len(x.Data), err)
		}

		var buf bytes.Buffer
		if err := WriteIDX(&buf, x, IDXFloat32); err != nil {
			t.Fatalf("WriteIDX: %v", err)
		}
		again, err := ReadIDX(&buf)
		if err != nil {
			t.Fatalf("reading what WriteIDX wrote: %v", err)
		}
		if !equalInts(x.Shape, again.Shape) {
			t.Fatalf("shape %v became %v", x.Shape, again.Shape)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(again.Data[i]) {
				t.Fatalf("element %d: %v became %v", i, x.Data[i], again.Data[i])
			}
		}

		// For plain input of a type that float32 holds exactly, writing the
		// same type reproduces the input bytes.
		if input[0] != 0 {
			return
		}
		switch code := input[2]; code {
		case IDXUint8, IDXInt8, IDXInt16, IDXFloat32:
			buf.Reset()
			if err := WriteIDX(&buf, x, code); err != nil {
				t.Fatalf("WriteIDX as type 0x%02x: %v", code, err)
			}
			if !bytes.HasPrefix(input, buf.Bytes()) {
				t.Fatalf("WriteIDX as type 0x%02x wrote % x, not a prefix of the input % x", code, buf.Bytes(), input)
			}
		}
	})
}

// FuzzIDXRowReader checks the row reader against ReadIDX on the same
// uncompressed input. Both accept it or both reject it, and what they
// accept has the same shape and bits when read two rows at a time from
// a reader that does not report its size. A header whose rows are too
// large for a buffer is checked through Discard, which needs none. Its
// first find was such a header, which also made the kNN startup of
// nidim score run out of memory on a gzipped file.
func FuzzIDXRowReader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "idx_*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, IDXInt8, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0x80, 0x7f, 1, 2, 3})
	f.Add([]byte{0, 0, IDXFloat32, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0})
	f.Add([]byte{0, 0, IDXUint8, 2, 0, 0, 0, 5, 0, 0, 0, 0})

	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > fuzzMaxInput || isGzip(input) {
			t.Skip()
		}
		want, wantErr := ReadIDX(bytes.NewReader(input))
		if x, err := NewIDXRowReader(io.MultiReader(bytes.NewReader(input))); err == nil && x.RowValues() > 1<<16 {
			if err := x.Discard(); (wantErr == nil) != (err == nil) {
				t.Fatalf("ReadIDX error %v, Discard error %v", wantErr, err)
			}
			return
		}
		got, shape, err := readAllRows(io.MultiReader(bytes.NewReader(input)), 2)
		if (wantErr == nil) != (err == nil) {
			t.Fatalf("ReadIDX error %v, row reader error %v", wantErr, err)
		}
		if err != nil {
			return
		}
		if !slices.Equal(want.Shape, shape) {
			t.Fatalf("shape %v, row reader %v", want.Shape, shape)
		}
		if len(want.Data) != len(got) {
			t.Fatalf("%d values, row reader %d", len(want.Data), len(got))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("value %d: %v, row reader %v", i, want.Data[i], got[i])
			}
		}
	})
}
