package tensor

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadCSVCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name   string
		input  string
		sep    rune
		data   []float64
		rows   int
		cols   int
		header []string
	}{
		{"comma", "1,2,3\n4,5,6\n", 0, []float64{1, 2, 3, 4, 5, 6}, 2, 3, nil},
		{"no final newline", "1,2\n3,4", 0, []float64{1, 2, 3, 4}, 2, 2, nil},
		{"tab", "1\t2\n3\t4\n", 0, []float64{1, 2, 3, 4}, 2, 2, nil},
		{"whitespace runs", "  1   2  3  \n4 5 6\n", 0, []float64{1, 2, 3, 4, 5, 6}, 2, 3, nil},
		{"explicit semicolon", "1;2\n3 ; 4\n", ';', []float64{1, 2, 3, 4}, 2, 2, nil},
		{"explicit whitespace", "1 2\n3\t4\n", ' ', []float64{1, 2, 3, 4}, 2, 2, nil},
		{"single column", "1.5\n-2\n", 0, []float64{1.5, -2}, 2, 1, nil},
		{"spaces around fields", " 1 , 2 \n3,4\n", 0, []float64{1, 2, 3, 4}, 2, 2, nil},
		{"header", "x,y\n1,2\n", 0, []float64{1, 2}, 1, 2, []string{"x", "y"}},
		{"header with quoted numeric names", "id,\"1\",\"2\"\n7,8,9\n", 0, []float64{7, 8, 9}, 1, 3, []string{"id", "1", "2"}},
		{"pandas index column", ",a,b\n0,1.5,2.5\n", 0, []float64{0, 1.5, 2.5}, 1, 3, []string{"", "a", "b"}},
		{"quoted header", "\"a,b\",\"say \"\"hi\"\"\"\n1,2\n", 0, []float64{1, 2}, 1, 2, []string{"a,b", `say "hi"`}},
		{"quoted numeric header", "\"0\",\"1\"\n5,6\n", 0, []float64{5, 6}, 1, 2, []string{"0", "1"}},
		// Python's csv.QUOTE_ALL quotes every field, so a quoted first row
		// of numbers followed by quoted rows is data, unless it numbers 3
		// or more columns.
		{"every field quoted", "\"1.5\",\"2\"\n\"3\",\"4\"\n", 0, []float64{1.5, 2, 3, 4}, 2, 2, nil},
		{"every field quoted after a comment", "# export\n\"1.5\",\"2\"\n\n\"3\",\"4\"\n", 0, []float64{1.5, 2, 3, 4}, 2, 2, nil},
		{"every field quoted with column numbers", "\"0\",\"1\",\"2\"\n\"3\",\"4\",\"5\"\n", 0, []float64{3, 4, 5}, 1, 3, []string{"0", "1", "2"}},
		{"every field quoted in one column", "\"0\"\n\"1\"\n\"1\"\n", 0, []float64{0, 1, 1}, 3, 1, nil},
		{"every field quoted with names", "\"a\",\"b\"\n\"3\",\"4\"\n", 0, []float64{3, 4}, 1, 2, []string{"a", "b"}},
		{"quoted numbers alone", "\"1.5\",\"2\"\n", 0, []float64{}, 0, 2, []string{"1.5", "2"}},
		{"quoted values", "a,b\n\"1\",\" 2 \"\n", 0, []float64{1, 2}, 1, 2, []string{"a", "b"}},
		{"blank and comment lines", "# made by hand\n\n1,2\n   \n  # note\n3,4\n\n", 0, []float64{1, 2, 3, 4}, 2, 2, nil},
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", 0, []float64{1, 2, 3, 4}, 2, 2, []string{"a", "b"}},
		{"byte order mark", "\uFEFFa,b\n1,2\n", 0, []float64{1, 2}, 1, 2, []string{"a", "b"}},
		{"special values", "NaN,nan,Inf\n-Inf,+inf,Infinity\n", 0, []float64{nan, nan, inf, -inf, inf, inf}, 2, 3, nil},
		{"number forms", "1e3,-0,0x1p-2\n.5,5.,+7\n", 0, []float64{1000, math.Copysign(0, -1), 0.25, 0.5, 5, 7}, 2, 3, nil},
		{"header only", "a\tb\tc\n", 0, []float64{}, 0, 3, []string{"a", "b", "c"}},
		{"empty input", "", 0, []float64{}, 0, 0, nil},
		{"only comments", "# nothing\n\n", 0, []float64{}, 0, 0, nil},
		{"comma inside quotes ignored by detection", "\"a,b\" c\n1 2\n", 0, []float64{1, 2}, 1, 2, []string{"a,b", "c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, rows, cols, header, err := ReadCSV(strings.NewReader(c.input), c.sep)
			require.NoError(t, err)
			assert.Equal(t, c.rows, rows, "rows")
			assert.Equal(t, c.cols, cols, "cols")
			assert.Equal(t, c.header, header, "header")
			csvAssertSameValues(t, c.data, data)
		})
	}
}

// csvAssertSameValues compares float64 slices bit for bit, except that any
// NaN matches any NaN.
func csvAssertSameValues(t *testing.T, want, got []float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.IsNaN(want[i]) {
			assert.True(t, math.IsNaN(got[i]), "element %d: want NaN, got %v", i, got[i])
			continue
		}
		assert.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "element %d: want %v, got %v", i, want[i], got[i])
	}
}

func TestReadCSVTabSeparatedDecimalCommas(t *testing.T) {
	// Detection picks the tab, so "1,5" is one field and an invalid number.
	_, _, _, _, err := ReadCSV(strings.NewReader("x\ty\n1,5\t2,5\n"), 0)
	assert.EqualError(t, err, `tensor: csv: invalid format: line 2, field 1: invalid number "1,5"`)
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		name  string
		input string
		sep   rune
		msg   string
	}{
		{"short row", "a,b,c\n1,2,3\n\n4,5\n", 0, "line 4 (data row 2) has 2 fields, but line 1 has 3, so field 3 is missing"},
		{"long row", "1,2\n3,4,x\n", 0, `line 2 (data row 2) has 3 fields, but line 1 has 2, so field 3 "x" is extra`},
		// A row of one field read "has 1 fields".
		{"one field", "1,2\n3\n", 0, "line 2 (data row 2) has 1 field, but line 1 has 2, so field 2 is missing"},
		{"ragged whitespace", "1 2 3\n4 5\n", 0, "line 2 (data row 2) has 2 fields, but line 1 has 3"},
		{"invalid number", "a,b\n1,2\n3,abc\n", 0, `line 3, field 2: invalid number "abc"`},
		// A ';'-separated export used to get only "invalid number".
		{"semicolons", "0.5;1\n2;3\n", 0, `line 2, field 1: invalid number "2;3": fields seem to be separated by ';', which is not read; use commas, tabs or spaces`},
		{"empty field", "1,2,3\n1,,3\n", 0, "line 2, field 2: empty value; fill it in or remove the row"},
		{"trailing separator", "1,2,\n3,4,\n", 0, "line 1 ends with a separator, which makes an empty field 3 after the numbers; if every line ends so, remove the separator at the end of each line, for example with sed 's/,$//' for commas; otherwise fill in the missing value"},
		{"trailing separator after header", "a,b,\n1,2,\n", 0, "line 2 ends with a separator, which makes field 3 empty; if every line ends so, remove the separator at the end of each line"},
		{"trailing comma", "1,2\n3,4,\n", 0, "line 2 (data row 2) has 3 fields"},
		{"empty tab field", "1\t2\t3\n1\t\t3\n", 0, "line 2, field 2: empty value"},
		{"out of range", "1e400\n", 0, `line 1, field 1: value "1e400" is out of the float64 range`},
		{"unclosed quote", "\"a,b\n1\n", 0, "line 1, field 1: quoted field is not closed on this line"},
		{"text after quote", "\"a\"b,c\n", 0, `line 1, field 1: unexpected 'b' after the closing quote`},
		{"text after quote in whitespace mode", "\"a\"b c\n", ' ', `line 1, field 1: unexpected 'b' after the closing quote`},
		{"long value is cut", "1\n" + strings.Repeat("7", 100) + "x\n", 0, `invalid number "777777777777777777777777777777777777777777777777777777777777"...`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, _, err := ReadCSV(strings.NewReader(c.input), c.sep)
			var invalid *FormatError
			require.ErrorAs(t, err, &invalid)
			assert.True(t, strings.HasPrefix(err.Error(), "tensor: csv: invalid format: line "), err.Error())
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// Callers such as the --labels reader explain a field of text from Line
// and Value, which only such a field and an empty field set, and the
// --data reader names its column from Field and Column, the field's name
// in the header.
func TestReadCSVLocatesTextField(t *testing.T) {
	cases := []struct {
		name   string
		input  string
		line   int
		value  string
		field  int
		column string
	}{
		{"class names", "cat\ndog\ncat\n", 2, "dog", 1, "cat"},
		{"text after numbers", "# labels\n0\n1\n  bird \n", 4, "bird", 1, ""},
		{"second column", "a,b\n1,2\n3,abc\n", 3, "abc", 2, "b"},
		{"quoted name", "\"x\",\"y z\"\n1,NA\n", 2, "NA", 2, "y z"},
		{"empty field", "1,2,3\n1,,3\n", 2, "", 2, ""},
		{"empty field under a header", "a,b\n1,2\n\t, 3\n", 3, "", 1, "a"},
		{"separator at the end of a line", "1,2,3\n3,4,\n", 0, "", 0, ""},
		{"out of range", "1\n1e400\n", 0, "", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, _, err := ReadCSV(strings.NewReader(c.input), 0)
			var invalid *FormatError
			require.ErrorAs(t, err, &invalid)
			assert.Equal(t, c.line, invalid.Line)
			assert.Equal(t, c.value, invalid.Value)
			assert.Equal(t, c.field, invalid.Field)
			assert.Equal(t, c.column, invalid.Column)
		})
	}
}

// Skipping such a row as a header would silently drop a data row whose only
// fault is one bad value.
func TestReadCSVPartlyNumericFirstRow(t *testing.T) {
	cases := []struct {
		name  string
		input string
		sep   rune
		msg   string
	}{
		{"text after number", "1,x\n2,3\n", 0, `line 1: field 2 "x" is not a number, but field 1 "1" is a number, so the line is neither a header nor a data row; ` +
			`in a header, put the numeric names in double quotes, and in a data row, correct field 2`},
		{"numeric column names", "id,1,2\n7,8,9\n", 0, `line 1: field 1 "id" is not a number, but field 2 "1" is a number`},
		{"after comments", "# embeddings\n\n 0.5\t1e3\tabc\n", 0, `line 3: field 3 "abc" is not a number, but field 1 "0.5" is a number`},
		{"whitespace", "1 2 y\n", ' ', `line 1: field 3 "y" is not a number, but field 1 "1" is a number`},
		{"empty field", "1,,3\n4,5,6\n", 0, `line 1: field 2 is empty, but field 1 "1" is a number`},
		{"quoted and unquoted", "\"a\",2\n", 0, `line 1: field 1 "a" is quoted text, but field 2 "2" is a number`},
		// pandas' to_csv of a frame with numbered columns, index included.
		{"pandas index header", ",0,1,2\n0,0.5,1.5,2.5\n1,3,4,5\n", 0, `line 1: field 1 is empty and the other fields are numbers, as in the header line that pandas' to_csv writes for numbered columns after the empty name of the row index; ` +
			`write the file with to_csv(index=False, header=False), which leaves out both, or, if the line is a data row, fill in field 1`},
		{"empty first field of a data row", ",2,x\n", 0, `line 1: field 1 is empty, but field 2 "2" is a number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, _, err := ReadCSV(strings.NewReader(c.input), c.sep)
			var invalid *FormatError
			require.ErrorAs(t, err, &invalid)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// A file without a header whose rows end in a class name, as the UCI
// iris.data does, was reported as a first row that is "neither a header
// nor a data row". The second row shows that the text is a column, and
// the error now locates the first row's value as it does for later rows.
func TestReadCSVTextColumnFromFirstRow(t *testing.T) {
	input := "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n"
	_, _, _, _, err := ReadCSV(strings.NewReader(input), 0)
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, `tensor: csv: invalid format: line 1, field 5: invalid number "Iris-setosa"; line 2 has text in that field too, so the file has a column of text`, err.Error())
	assert.Equal(t, 1, invalid.Line)
	assert.Equal(t, "Iris-setosa", invalid.Value)
	assert.Equal(t, 5, invalid.Field)
	assert.Equal(t, "", invalid.Column)

	// Comments and blank lines between the two rows change nothing.
	_, _, _, _, err = ReadCSV(strings.NewReader("# iris\n1,NA\n\n# more\n2,NA\n"), 0)
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, 2, invalid.Line)
	assert.Equal(t, "NA", invalid.Value)
	assert.Equal(t, 2, invalid.Field)
	assert.Contains(t, err.Error(), "line 5 has text in that field too")

	// A number, an empty or a quoted field in the second row leaves the
	// first row ambiguous, and so does a single row.
	for _, input := range []string{"1,x\n2,3\n", "1,x\n2,\n", "1,x\n2,\"y\"\n", "1,x\n", "id,1,2\n7,8,9\n"} {
		_, _, _, _, err := ReadCSV(strings.NewReader(input), 0)
		require.ErrorAs(t, err, &invalid, "%q", input)
		assert.Contains(t, err.Error(), "so the line is neither a header nor a data row", "%q", input)
		assert.Equal(t, "", invalid.Value, "%q", input)
	}
}

func TestReadCSVRejectsBadSeparator(t *testing.T) {
	for _, sep := range []rune{'"', '\n', '#', '.', '-', '+', '_', '5', 'e', 'x', utf8.RuneError} {
		_, _, _, _, err := ReadCSV(strings.NewReader("1\n"), sep)
		assert.ErrorContains(t, err, "cannot separate numbers", "separator %q", sep)
		assert.ErrorContains(t, WriteCSV(&bytes.Buffer{}, []float64{1}, 1, 1, nil, sep), "cannot separate numbers", "separator %q", sep)
	}
}

func TestReadCSVReportsReadError(t *testing.T) {
	r := iotest.TimeoutReader(strings.NewReader(strings.Repeat("1,2\n", 100000)))
	_, _, _, _, err := ReadCSV(r, 0)
	assert.ErrorContains(t, err, "tensor: csv: read line ")
	assert.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestReadCSVLongLine(t *testing.T) {
	// One row wider than the 64 KiB read buffer.
	var b strings.Builder
	for i := range 20000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("1.25")
	}
	b.WriteByte('\n')
	data, rows, cols, _, err := ReadCSV(strings.NewReader(b.String()+b.String()), 0)
	require.NoError(t, err)
	assert.Equal(t, 2, rows)
	assert.Equal(t, 20000, cols)
	assert.Equal(t, 1.25, data[39999])
}

func TestWriteCSVRoundTrip(t *testing.T) {
	data := []float64{
		0.1, -0, math.NaN(),
		math.Inf(1), math.Inf(-1), 1e300,
		math.SmallestNonzeroFloat64, -123456789.125, 1.0 / 3,
	}
	header := []string{"plain", "", "0"}
	for _, sep := range []rune{0, ',', '\t', ' ', ';'} {
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, data, 3, 3, header, sep))
		got, rows, cols, gotHeader, err := ReadCSV(bytes.NewReader(buf.Bytes()), sep)
		require.NoError(t, err, "separator %q", sep)
		assert.Equal(t, 3, rows)
		assert.Equal(t, 3, cols)
		assert.Equal(t, header, gotHeader)
		csvAssertSameValues(t, data, got)
	}
}

func TestWriteCSVText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, []float64{1, -0.5, math.NaN(), math.Inf(-1)}, 2, 2, []string{"a b", "#c"}, 0))
	assert.Equal(t, "a b,\"#c\"\n1,-0.5\nNaN,-Inf\n", buf.String())

	buf.Reset()
	require.NoError(t, WriteCSV(&buf, []float64{1e21, 2}, 1, 2, []string{"a b", `q"`}, ' '))
	assert.Equal(t, "\"a b\" \"q\"\"\"\n1e+21 2\n", buf.String())
}

func TestWriteCSVQuotesNamesThatNeedIt(t *testing.T) {
	names := []string{"", " lead", "trail\t", "#hash", "\uFEFFbom", "1e5", "NaN", `a"b`, "x,y", "tab\tinside", "\r"}
	data := make([]float64, len(names))
	for _, sep := range []rune{',', '\t', ' '} {
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, data, 1, len(names), names, sep))
		_, rows, cols, header, err := ReadCSV(bytes.NewReader(buf.Bytes()), sep)
		require.NoError(t, err, "separator %q: %q", sep, buf.String())
		assert.Equal(t, 1, rows)
		assert.Equal(t, len(names), cols)
		assert.Equal(t, names, header, "separator %q", sep)
	}
}

func TestWriteCSVRejectsBadArguments(t *testing.T) {
	var buf bytes.Buffer
	assert.ErrorContains(t, WriteCSV(&buf, make([]float64, 5), 2, 3, nil, 0), "matrix size 2 x 3 does not match the 5 values")
	assert.ErrorContains(t, WriteCSV(&buf, nil, -1, 3, nil, 0), "matrix size -1 x 3 is negative")
	assert.ErrorContains(t, WriteCSV(&buf, nil, 2, 0, nil, 0), "has rows without values")
	assert.ErrorContains(t, WriteCSV(&buf, make([]float64, 2), 1, 2, []string{"a"}, 0), "header has 1 names for 2 columns")
	assert.ErrorContains(t, WriteCSV(&buf, make([]float64, 1), 1, 1, []string{"a\nb"}, 0), "contains a newline")
	assert.ErrorContains(t, WriteCSV(&buf, nil, math.MaxInt, 2, nil, 0), "does not match the 0 values")
	assert.Zero(t, buf.Len(), "nothing is written on error")
}
