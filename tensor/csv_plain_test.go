package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// csvPlainSeparators are the separators the parsePlainCSVRow tests use: the
// whitespace mode, single-byte separators including whitespace ones, and a
// multi-byte separator, which parsePlainCSVRow leaves to splitCSVLine.
var csvPlainSeparators = []rune{csvWhitespace, ',', '\t', ';', '\v', '|', '，'}

// checkPlainRowMatchesSplit checks that when parsePlainCSVRow accepts line,
// splitCSVLine and parseCSVNumber read the same number of fields and the
// same bits from it. It reports whether parsePlainCSVRow accepted the line.
func checkPlainRowMatchesSplit(t *testing.T, line string, sep rune, cols int) bool {
	t.Helper()
	values := make([]float64, cols)
	if !parsePlainCSVRow(values, []byte(line), sep) {
		return false
	}

	fields, field, msg := splitCSVLine(line, sep, nil)
	if msg != "" {
		t.Fatalf("separator %q, line %q: parsePlainCSVRow accepted it, but splitCSVLine rejected field %d: %s", sep, line, field, msg)
	}
	if len(fields) != cols {
		t.Fatalf("separator %q, line %q: parsePlainCSVRow read %d fields, but splitCSVLine read %d", sep, line, cols, len(fields))
	}
	for i, f := range fields {
		want, err := parseCSVNumber(f.text)
		if err != nil {
			t.Fatalf("separator %q, line %q: parsePlainCSVRow accepted field %d, but parseCSVNumber rejected it: %v", sep, line, i+1, err)
		}
		if math.Float64bits(want) != math.Float64bits(values[i]) && !(math.IsNaN(want) && math.IsNaN(values[i])) {
			t.Fatalf("separator %q, line %q: field %d is %v from parsePlainCSVRow, but %v from parseCSVNumber", sep, line, i+1, values[i], want)
		}
	}
	return true
}

// randomCSVLine joins numbers, separators, spaces and characters that the
// plain path must leave to splitCSVLine, such as quotes, non-ASCII spaces
// and invalid UTF-8.
func randomCSVLine(rng *rand.Rand, sep rune) string {
	numbers := []string{"1", "-2.5", "3e-7", "+4E+2", ".5", "5.", "0x1p-2", "1_0", "NaN", "-Inf", "infinity", "1e400", "1e-400", "0", "-0", "1e", "-", "123456.7890123"}
	spaces := []string{" ", "  ", "\t", "\v", "\f", "\r", "\u00a0", "\u0085", "\u2003"}
	others := []string{"\"", "\"1\"", "#", ",", ";", "|", "x", "\xff", "，", ""}

	var b strings.Builder
	for i := range 1 + rng.IntN(6) {
		if i > 0 {
			b.WriteRune(sep)
		}
		if rng.IntN(4) == 0 {
			b.WriteString(spaces[rng.IntN(len(spaces))])
		}
		b.WriteString(numbers[rng.IntN(len(numbers))])
		if rng.IntN(10) == 0 {
			b.WriteString(others[rng.IntN(len(others))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString(spaces[rng.IntN(len(spaces))])
		}
	}
	return b.String()
}

func TestParsePlainCSVRowMatchesSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	accepted := 0
	for range 200000 {
		sep := csvPlainSeparators[rng.IntN(len(csvPlainSeparators))]
		line := randomCSVLine(rng, sep)
		cols := 1 + rng.IntN(6)
		if fields, _, msg := splitCSVLine(line, sep, nil); msg == "" && rng.IntN(4) > 0 {
			cols = len(fields)
		}
		if checkPlainRowMatchesSplit(t, line, sep, cols) {
			accepted++
		}
	}
	// Without this check the test would pass if parsePlainCSVRow accepted
	// nothing.
	if accepted < 10000 {
		t.Errorf("parsePlainCSVRow accepted %d of 200000 lines; the generated lines no longer test it", accepted)
	}
}

func TestParsePlainCSVRowRejectsOtherLines(t *testing.T) {
	cases := []struct {
		name string
		line string
		sep  rune
		cols int
	}{
		{"quoted field", `1,"2"`, ',', 2},
		{"empty field", "1,,3", ',', 3},
		{"trailing separator", "1,2,", ',', 2},
		{"too few fields", "1,2", ',', 3},
		{"too many whitespace fields", "1 2 3", csvWhitespace, 2},
		{"no-break space", "1,\u00a02", ',', 2},
		{"multi-byte separator", "1，2", '，', 2},
		{"out of range", "1,1e400", ',', 2},
		{"text", "1\tx", '\t', 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if parsePlainCSVRow(make([]float64, c.cols), []byte(c.line), c.sep) {
				t.Errorf("parsePlainCSVRow accepted %q with separator %q and %d columns", c.line, c.sep, c.cols)
			}
		})
	}
}

// FuzzParsePlainCSVRow checks parsePlainCSVRow against splitCSVLine on
// arbitrary lines.
func FuzzParsePlainCSVRow(f *testing.F) {
	f.Add("1,2,3", byte(1), byte(3))
	f.Add("  1 \t-2e5  3\r", byte(0), byte(3))
	f.Add("1\t\t2", byte(2), byte(3))
	f.Add("NaN ; +Inf;0x1p-2", byte(3), byte(3))
	f.Add("1\v 2", byte(4), byte(2))
	f.Add("1\u00a0,2", byte(1), byte(2))

	f.Fuzz(func(t *testing.T, line string, sepChoice, cols byte) {
		if strings.ContainsRune(line, '\n') || cols == 0 || cols > 64 {
			t.Skip()
		}
		sep := csvPlainSeparators[int(sepChoice)%len(csvPlainSeparators)]
		checkPlainRowMatchesSplit(t, line, sep, int(cols))
	})
}

func TestChunkedFloatsKeepsOrder(t *testing.T) {
	var c chunkedFloats
	row := make([]float64, 1000)
	want := make([]float64, 0, 3*csvChunkLen)
	for len(want) < 3*csvChunkLen {
		for i := range row {
			row[i] = float64(len(want) + i)
		}
		c.append(row)
		want = append(want, row...)
	}
	if len(c.full) < 2 {
		t.Fatalf("%d values filled %d chunks; the test needs at least 2", len(want), len(c.full))
	}
	csvAssertSameValues(t, want, c.slice())
}

func TestChunkedFloatsEmpty(t *testing.T) {
	var c chunkedFloats
	got := c.slice()
	if got == nil || len(got) != 0 {
		t.Errorf("slice() of no values is %#v, want an empty non-nil slice", got)
	}
}
