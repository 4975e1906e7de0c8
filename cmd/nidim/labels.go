package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/nidim/nidim/tensor"
)

// maxLabel is the maximum class number that --labels accepts. The probe
// and the kNN vote index the distinct labels, so a large class number
// costs no memory, and the limit only rejects values that are unlikely to
// be class numbers, such as sample IDs.
const maxLabel = 1_000_000

// readLabelColumn reads the --labels file of a matrix --data: one class
// number per row of its rows rows.
func readLabelColumn(labelsPath string, rows int) ([]int, error) {
	values, lr, lc, err := tensor.ReadMatrixFile(labelsPath)
	if err != nil {
		return nil, labelsFileError(labelsPath, err)
	}
	if lc != 1 {
		return nil, fmt.Errorf("--labels %s has %d columns; it needs one column of class numbers, with one label per row of --data", labelsPath, lc)
	}
	if lr != rows {
		msg := fmt.Sprintf("--labels %s has %d labels, but --data has %d rows; it needs one label per row", labelsPath, lr, rows)
		if blank := blankLinesInside(labelsPath); lr < rows && len(blank) > 0 {
			// The reader skips blank lines, as it does in --data, so a label
			// deleted without its line leaves the count short and shifts
			// every later label by one row.
			fix := "write the missing label on that line, or remove the line if no label belongs there"
			if len(blank) > 1 {
				fix = "write each missing label on its blank line, and remove the blank lines where no label belongs"
			}
			msg += fmt.Sprintf(", and %s. Blank lines are skipped, as in --data, so %s", blankLinesText(blank), fix)
		}
		return nil, errors.New(msg)
	}
	labels := make([]int, rows)
	for i, v := range values {
		if v != math.Trunc(v) || v < 0 {
			return nil, fmt.Errorf("--labels %s: row %d contains %s; labels must be class numbers 0, 1, 2, ...", labelsPath, i+1, labelText(v))
		}
		if v > maxLabel {
			return nil, fmt.Errorf("--labels %s: row %d contains %s, above the maximum class number of %d; number the classes 0, 1, 2, ..., one number per class",
				labelsPath, i+1, labelText(v), maxLabel)
		}
		labels[i] = int(v)
	}
	return labels, nil
}

// blankLinesInside returns the 1-based numbers of the blank lines of the
// text file path that come before its last non-blank line. It returns nil
// for a file that is not .csv, .tsv or .txt (optionally gzipped), and when
// the file cannot be read, because the result only adds a hint to another
// error.
func blankLinesInside(path string) []int {
	r, closeText, ok := openTextMatrix(path)
	if !ok {
		return nil
	}
	defer closeText()

	var inside, pending []int
	scanner := bufio.NewScanner(r)
	scanner.Buffer(nil, 1<<20)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimPrefix(scanner.Text(), "\ufeff")
		if strings.TrimSpace(text) == "" {
			pending = append(pending, line)
			continue
		}
		inside = append(inside, pending...)
		pending = pending[:0]
	}
	if scanner.Err() != nil {
		return nil
	}
	return inside
}

// blankLinesText names the blank lines for a message, such as "line 7 is
// blank" or "lines 7, 9, 12 and 2 others are blank".
func blankLinesText(lines []int) string {
	const maxListed = 3
	if len(lines) == 1 {
		return fmt.Sprintf("line %d is blank", lines[0])
	}
	var parts []string
	for _, line := range lines[:min(len(lines), maxListed)] {
		parts = append(parts, strconv.Itoa(line))
	}
	if rest := len(lines) - maxListed; rest > 0 {
		return fmt.Sprintf("lines %s and %s are blank", strings.Join(parts, ", "), plural(rest, "other", "others"))
	}
	return fmt.Sprintf("lines %s and %s are blank", strings.Join(parts[:len(parts)-1], ", "), parts[len(parts)-1])
}

// labelText formats the label value v for a message: an integer in
// digits, as a labels file writes it, instead of %v's "2e+06".
func labelText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// labelsFileError names --labels and its path in err, an error of
// tensor.ReadMatrixFile. A line of text, typically a class name such as
// "dog", gets its own message explaining that labels must be numbers.
// Without it the reader would skip the first class name as a header and
// report only an invalid number on line 2.
func labelsFileError(labelsPath string, err error) error {
	var invalid *tensor.FormatError
	if errors.As(err, &invalid) && invalid.Value != "" {
		return fmt.Errorf("--labels %s: line %d contains %s, which is not a number. Labels must be integer class numbers such as 0, 1, 2, one per row (a first line of text is skipped as a header), so replace each class name by its number",
			labelsPath, invalid.Line, quoteValue(invalid.Value))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fileFlagError("--labels", labelsPath, err)
	}
	msg := strings.TrimPrefix(err.Error(), "tensor: ")
	if strings.HasPrefix(msg, labelsPath+": ") {
		// The message of an invalid file starts with its path.
		return fmt.Errorf("--labels %s", msg)
	}
	return fmt.Errorf("--labels: %s", msg)
}

// quoteValue quotes s for a message, cut to 60 bytes so that a long line
// does not flood it.
func quoteValue(s string) string {
	const maxLen = 60
	if len(s) > maxLen {
		return strconv.Quote(s[:maxLen]) + "..."
	}
	return strconv.Quote(s)
}
