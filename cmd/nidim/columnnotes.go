package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
)

// minFloat32StepsPerSD is the number of float32 steps per standard
// deviation of a column below which float32StepNote returns a note. At
// 10 steps the rounding error has a standard deviation of about 3% of
// the column's, since a uniform error over one step q has q/sqrt(12).
const minFloat32StepsPerSD = 10

// float32Step returns the distance from float32(v) to the next float32
// away from 0: the step between the float32 values near v.
func float32Step(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// float32StepNote returns a note when a column of values, a matrix of
// rows x cols read from source, such as "--data x.csv", varies by little
// against its size, and "" otherwise. nidim stores and computes the
// inputs in float32, and the note is for a column of which float32 keeps
// fewer than minFloat32StepsPerSD steps per standard deviation, computed
// in float64 from the values as read. Unix times near 1.7e9 that span
// 1000 seconds are such a column: float32 keeps steps of 128 seconds
// there, about 2 per standard deviation. A
// spread below 1e-9 of the column's largest magnitude is taken for
// decimal rounding of a constant, which float32 rounds away harmlessly.
// columns lists the columns of the note, counting from 0.
func float32StepNote(source string, values []float64, rows, cols int) (note string, columns []int) {
	if rows < 2 {
		return "", nil
	}
	var flagged []int
	var first struct{ mean, sd, step float64 }
	for k := range cols {
		sum, largest := 0.0, 0.0
		for i := range rows {
			v := values[i*cols+k]
			sum += v
			largest = math.Max(largest, math.Abs(v))
		}
		mean := sum / float64(rows)
		squares := 0.0
		for i := range rows {
			d := values[i*cols+k] - mean
			squares += d * d
		}
		sd := math.Sqrt(squares / float64(rows))
		if sd == 0 || sd < 1e-9*largest || math.IsInf(largest, 0) {
			continue
		}
		step := float32Step(largest)
		if step*minFloat32StepsPerSD <= sd {
			continue
		}
		if len(flagged) == 0 {
			first.mean, first.sd, first.step = mean, sd, step
		}
		flagged = append(flagged, k)
	}
	if len(flagged) == 0 {
		return "", nil
	}
	others := ""
	if n := len(flagged) - 1; n > 0 {
		numbers := make([]string, 0, n)
		for _, k := range flagged[1:min(len(flagged), 6)] {
			numbers = append(numbers, fmt.Sprint(k+1))
		}
		if n > 5 {
			numbers = append(numbers, fmt.Sprintf("%d more", n-5))
		}
		others = fmt.Sprintf(" Columns %s lose their detail the same way.", strings.Join(numbers, ", "))
		if n == 1 {
			others = fmt.Sprintf(" Column %s loses its detail the same way.", numbers[0])
		}
	}
	note = fmt.Sprintf("column %d (counting from 1) of %s has a standard deviation of %.3g around %.6g, but nidim stores its inputs as float32, whose values there lie %.3g apart, so the column keeps about %.2g steps per standard deviation and loses most of its detail.%s Subtract an offset such as %.3g from such a column, in this file and in every input of embed, score and serve",
		flagged[0]+1, source, first.sd, first.mean, first.step, first.sd/first.step, others, first.mean)
	return note, flagged
}

// labelColumnNames are the column names that usually contain the class
// or the anomaly flag of each row rather than a feature.
var labelColumnNames = []string{"label", "labels", "target", "class", "y", "outcome", "anomaly", "is_anomaly", "outlier", "is_outlier"}

// labelColumnNote returns a note when a column of the matrix --data
// contains the labels: a header name of labelColumnNames, or, when labels
// is not nil and has two classes or more, the same value as labels in
// every row. header is the header of a text file, nil without one, and
// values the rows x cols matrix read from source, such as
// "--data x.csv". nidim takes every column of --data
// as a feature, so the encoder would learn from the label, and embed,
// score and serve would need the label of every new input.
func labelColumnNote(source string, header []string, values []float64, rows, cols int, labels []int) string {
	const fix = "move that column to a file of its own, pass that file as --labels, and drop the column from --data"
	// A single class equals every constant column of its value.
	if labels != nil && cols > 1 && slices.ContainsFunc(labels, func(l int) bool { return l != labels[0] }) {
		for k := range cols {
			same := true
			for i := range rows {
				if values[i*cols+k] != float64(labels[i]) {
					same = false
					break
				}
			}
			if same {
				return fmt.Sprintf("column %d (counting from 1) of %s equals --labels in every row, but nidim reads every column of --data as a feature, so the encoder learns from the labels, and new inputs would need them too; drop that column from --data",
					k+1, source)
			}
		}
	}
	for k, name := range header {
		if !slices.Contains(labelColumnNames, strings.ToLower(strings.TrimSpace(name))) {
			continue
		}
		return fmt.Sprintf("column %d (counting from 1) of %s is named %s, which usually contains the class of each row, but nidim reads every column of --data as a feature, so the encoder would learn from it, and new inputs would need it too; if it contains labels, %s",
			k+1, source, quoteValue(strings.TrimSpace(name)), fix)
	}
	return ""
}

// textHeader returns the header fields of a text matrix whose first
// bytes are text, as tensor.ReadCSV reads them, or nil when text is nil
// or its first line that ReadCSV does not skip is a data row.
func textHeader(text []byte) []string {
	header, _, err := firstLineHeader(text)
	if err != nil {
		return nil
	}
	return header
}

// firstLineHeader reads the first line of text that tensor.ReadCSV does
// not skip (blank lines and # comments) as ReadCSV reads it, and returns
// its header fields, or nil when it is a data row. found is false when
// text has no such line.
func firstLineHeader(text []byte) (header []string, found bool, err error) {
	text = bytes.TrimPrefix(text, []byte("\uFEFF"))
	for line := range bytes.Lines(text) {
		content := bytes.TrimSpace(line)
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		_, _, _, header, err := tensor.ReadCSV(bytes.NewReader(line), 0)
		return header, true, err
	}
	return nil, false, nil
}

// maxStandardizedShift is the mean, and the standard deviation, of a
// column of inputs in a standardized model's units above which
// standardizedShiftNote names it. The training rows have 0 and 1 there,
// so only another unit or column order, or inputs that are outliers in
// that column nearly all together, reach it.
const maxStandardizedShift = 10

// standardizedShiftNote returns a note when a column of x, the raw inputs
// read from the --data data, lies far from the training rows of the
// model m, read from path, and "" otherwise. Only a model trained on
// standardized features stores the mean and standard deviation of each
// feature, so only its inputs are checked, in the model's standardized
// units: a column whose mean or standard deviation there exceeds
// maxStandardizedShift is named. Fewer than 10 rows are too few to tell.
// A column that was constant in training gets no check of its spread,
// because its scale is not a standard deviation.
func standardizedShiftNote(data, path string, m *dim.Model, x *tensor.Tensor) string {
	s := m.Standardization
	if s == nil || len(x.Shape) != 2 || x.Shape[1] != len(s.Mean) || x.Shape[0] < 10 {
		return ""
	}
	rows, cols := x.Shape[0], x.Shape[1]
	var flagged []int
	var firstMean, firstSD float64
	for k := range cols {
		sum := 0.0
		for i := range rows {
			sum += (float64(x.Data[i*cols+k]) - float64(s.Mean[k])) / float64(s.Scale[k])
		}
		mean := sum / float64(rows)
		squares := 0.0
		for i := range rows {
			d := (float64(x.Data[i*cols+k])-float64(s.Mean[k]))/float64(s.Scale[k]) - mean
			squares += d * d
		}
		sd := math.Sqrt(squares / float64(rows))
		if math.Abs(mean) <= maxStandardizedShift && (sd <= maxStandardizedShift || s.Scale[k] == 1) {
			continue
		}
		if len(flagged) == 0 {
			firstMean, firstSD = mean, sd
		}
		flagged = append(flagged, k)
	}
	if len(flagged) == 0 {
		return ""
	}
	subject := fmt.Sprintf("column %d (counting from 1) of --data %s lies far from the training rows of %s", flagged[0]+1, shellQuote(data), shellQuote(path))
	if len(flagged) > 1 {
		subject = fmt.Sprintf("%d of the %d columns of --data %s lie far from the training rows of %s, the first column %d (counting from 1)",
			len(flagged), cols, shellQuote(data), shellQuote(path), flagged[0]+1)
	}
	return fmt.Sprintf("%s: in the model's standardized units, where the training rows have mean 0 and standard deviation 1, its values have mean %.3g and standard deviation %.3g. Other units or another order of the columns than in training give such values, and the embeddings and scores of such inputs mean little; check the columns against the training file",
		subject, firstMean, firstSD)
}

// emptyFieldLines returns the number of lines of the text matrix at path
// (.csv, .tsv or .txt, optionally .gz) that have an empty field, or 0
// when the file cannot be read. The separator is a tab when the first
// line that is not blank or a comment has one, else a comma, as
// tensor.ReadCSV detects it, ignoring quotes. Whitespace-separated lines
// have no empty fields. A field in double quotes is never empty, and a
// separator inside one does not count.
func emptyFieldLines(path string) int {
	r, closeText, ok := openTextMatrix(path)
	if !ok {
		return 0
	}
	defer closeText()

	scanner := bufio.NewScanner(r)
	scanner.Buffer(nil, 1<<30)
	var sep byte
	count := 0
	for scanner.Scan() {
		line := bytes.TrimSuffix(bytes.TrimPrefix(scanner.Bytes(), []byte("\uFEFF")), []byte("\r"))
		content := bytes.TrimSpace(line)
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		if sep == 0 {
			switch {
			case bytes.IndexByte(line, '\t') >= 0:
				sep = '\t'
			case bytes.IndexByte(line, ',') >= 0:
				sep = ','
			default:
				return 0
			}
		}
		if hasEmptyField(line, sep) {
			count++
		}
	}
	if scanner.Err() != nil {
		return 0
	}
	return count
}

// hasEmptyField reports whether line, split at sep outside double quotes,
// has a field that is empty or only spaces and tabs.
func hasEmptyField(line []byte, sep byte) bool {
	quoted, filled, inQuotes := false, false, false
	for _, c := range line {
		switch {
		case inQuotes:
			if c == '"' {
				inQuotes = false
			}
		case c == '"':
			inQuotes, quoted = true, true
		case c == sep:
			if !quoted && !filled {
				return true
			}
			quoted, filled = false, false
		case c != ' ' && c != '\t':
			filled = true
		}
	}
	return !quoted && !filled
}

// dataRowLine returns the line of the text matrix at path (.csv, .tsv or
// .txt, optionally .gz) that contains data row row, counting both from 1, or
// 0 when path is not such a file or has fewer rows. Blank lines, comments
// and a header line are not rows, as tensor.ReadCSV reads the file, so a
// row's line differs from its number in most files with a header.
func dataRowLine(path string, row int) int {
	r, closeText, ok := openTextMatrix(path)
	if !ok {
		return 0
	}
	defer closeText()

	scanner := bufio.NewScanner(r)
	scanner.Buffer(nil, 1<<30)
	// The first two rows decide whether the first is a header, as a
	// quoted first row is data when the second is quoted too.
	var first []byte
	firstLine, rows := 0, 0
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := scanner.Bytes()
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		content := bytes.TrimSpace(line)
		if len(content) == 0 || content[0] == '#' {
			continue
		}
		if firstLine == 0 {
			first, firstLine = bytes.Clone(line), lineNo
			continue
		}
		if rows == 0 {
			two := append(append(bytes.Clone(first), '\n'), line...)
			if _, n, _, _, err := tensor.ReadCSV(bytes.NewReader(two), 0); err == nil && n == 2 {
				if row == 1 {
					return firstLine
				}
				rows = 1
			}
		}
		rows++
		if rows == row {
			return lineNo
		}
	}
	return 0
}
