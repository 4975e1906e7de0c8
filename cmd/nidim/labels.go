package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/nidim/nidim/tensor"
)

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
		return nil, fmt.Errorf("--labels %s has %d labels, but --data has %d rows; it needs one label per row", labelsPath, lr, rows)
	}
	labels := make([]int, rows)
	for i, v := range values {
		if v != math.Trunc(v) || v < 0 || v > 1e6 {
			return nil, fmt.Errorf("--labels %s: row %d contains %v; labels must be class numbers 0, 1, 2, ...", labelsPath, i+1, v)
		}
		labels[i] = int(v)
	}
	return labels, nil
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
	return fmt.Errorf("--labels: %s", strings.TrimPrefix(err.Error(), "tensor: "))
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
