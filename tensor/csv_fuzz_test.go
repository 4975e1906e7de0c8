package tensor

import (
	"bytes"
	"math"
	"testing"
)

func FuzzReadCSV(f *testing.F) {
	seeds := []string{
		"1,2,3\n4,5,6\n",
		"x\ty\n0.5\t-1\n",
		"# comment\n\n  1 2\n3   4\n",
		"\uFEFF\"a,b\",\"c\"\"d\"\r\nNaN,-Inf\r\n",
		",a,b\n0,1e-300,0x1p-2\n",
		"\"0\" \"1\"\n5 6\n",
		"1;2\n3;4\n",
	}
	for _, s := range seeds {
		for sep := range byte(5) {
			f.Add([]byte(s), sep)
		}
	}

	f.Fuzz(func(t *testing.T, input []byte, sepChoice byte) {
		if len(input) > fuzzMaxInput {
			t.Skip()
		}
		sep := []rune{0, ',', '\t', ' ', ';'}[int(sepChoice)%5]
		data, rows, cols, header, err := ReadCSV(bytes.NewReader(input), sep)
		if err != nil {
			return
		}
		if rows < 0 || cols < 0 || len(data) != rows*cols || (header != nil && len(header) != cols) {
			t.Fatalf("%d x %d matrix with %d values and %d header names", rows, cols, len(data), len(header))
		}

		for _, out := range []rune{',', '\t', ' ', ';'} {
			var buf bytes.Buffer
			if err := WriteCSV(&buf, data, rows, cols, header, out); err != nil {
				t.Fatalf("WriteCSV with separator %q: %v", out, err)
			}
			data2, rows2, cols2, header2, err := ReadCSV(bytes.NewReader(buf.Bytes()), out)
			if err != nil {
				t.Fatalf("reading what WriteCSV wrote with separator %q: %v\n%q", out, err, buf.String())
			}
			if rows2 != rows || cols2 != cols {
				t.Fatalf("separator %q: %d x %d became %d x %d\n%q", out, rows, cols, rows2, cols2, buf.String())
			}
			if !equalStrings(header, header2) {
				t.Fatalf("separator %q: header %q became %q\n%q", out, header, header2, buf.String())
			}
			for i := range data {
				same := math.Float64bits(data[i]) == math.Float64bits(data2[i]) ||
					math.IsNaN(data[i]) && math.IsNaN(data2[i])
				if !same {
					t.Fatalf("separator %q: element %d: %v became %v", out, i, data[i], data2[i])
				}
			}
		}
	})
}

// equalStrings compares two string slices, telling nil from empty.
func equalStrings(a, b []string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
