package tensor

// Delimited text files of numbers: CSV, TSV and whitespace-separated
// columns, one row per line.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvWhitespace is the separator value that means "runs of whitespace".
const csvWhitespace = ' '

// ReadCSV reads a matrix of numbers, one row per line, and returns its
// values in row-major order.
//
// sep is the field separator. Zero detects it from the first line that is
// not blank or a comment: a tab if it has one outside quotes, else a comma
// if it has one, else whitespace. A space means runs of whitespace, with
// leading and trailing whitespace ignored. Any other rune separates fields
// exactly, so two adjacent separators make an empty field, which is an
// error, and whitespace around fields is trimmed.
//
// Blank lines and lines whose first non-space character is '#' are
// skipped. A UTF-8 byte order mark at the start and a carriage return at
// the end of each line are ignored. Fields may be quoted with double quotes,
// a doubled quote standing for one, but a quoted field cannot span lines.
//
// The first row is a header when none of its fields is an unquoted number,
// and a data row when all of them are. header then holds its fields, and is
// nil otherwise. A first row of quoted numbers is data, though, when the
// next row quotes every field too, as writers that quote all fields do,
// unless it numbers 3 or more columns 0, 1, ... or 1, 2, .... A first
// row with both kinds of field, such as "1,x" or "id,1,2", is an error,
// because skipping it as a header could drop a data
// row with a typo. When the next row has text in the same field, both are
// data rows with a column of text, and the error is a FormatError with the
// first row's Line, Value and Field, as for text in a later data row. A
// header of column names that are all unquoted numbers, such as "0,1,2",
// reads as a data row; WriteCSV quotes such names.
//
// Values are parsed by strconv.ParseFloat, so NaN, Inf, +Inf, -Inf and
// Infinity (in any case) are accepted; callers that cannot use them must
// check. A value beyond the float64 range is an error. Every row must have
// as many fields as the first one. Errors name the line and field. An input
// with no data rows returns rows 0 and cols the number of header fields
// (0 without a header) and no error.
func ReadCSV(r io.Reader, sep rune) (data []float64, rows, cols int, header []string, err error) {
	if sep != 0 {
		if err := checkCSVSeparator(sep); err != nil {
			return nil, 0, 0, nil, err
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		buf       []byte
		fields    []csvField
		firstLine int       // line number of the header or first data row, 0 before it
		rowValues []float64 // the values of the current row
		values    chunkedFloats
		// mixed is the error of a first row with both number and text
		// fields, held until the next row shows whether the text is a
		// column of the data. mixedField is its first text field, and
		// mixedText that field's value.
		mixed      error
		mixedField int
		mixedText  string
		// quotedFirst holds the values of a first row of quoted numbers,
		// a header unless the next row quotes every field too.
		quotedFirst []float64
	)
	for lineNo := 1; ; lineNo++ {
		var readErr error
		buf, readErr = readCSVLine(br, buf)
		if readErr != nil && readErr != io.EOF {
			return nil, 0, 0, nil, readError("csv", fmt.Sprintf("line %d", lineNo), readErr)
		}
		if readErr == io.EOF && len(buf) == 0 {
			break
		}
		line := buf
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		line = bytes.TrimSuffix(line, []byte("\r"))

		content := bytes.TrimLeftFunc(line, unicode.IsSpace)
		if quotedFirst != nil && len(content) > 0 && content[0] != '#' {
			fields, _, _ = splitCSVLine(string(line), sep, fields)
			if allQuoted(fields) {
				values.append(quotedFirst)
				rows++
				header = nil
			}
			quotedFirst = nil
		}
		switch {
		case len(content) == 0 || content[0] == '#':
			// A blank line or a comment.

		case mixed != nil:
			fields, _, _ = splitCSVLine(string(line), sep, fields)
			return nil, 0, 0, nil, textColumnError(mixed, fields, mixedField, mixedText, firstLine, lineNo)

		case firstLine != 0 && parsePlainCSVRow(rowValues, line, sep):
			// Most data rows need none of the rules of splitCSVLine, and
			// parsePlainCSVRow reads them without copying the line.
			values.append(rowValues)
			rows++

		default:
			line := string(line)
			if firstLine == 0 && sep == 0 {
				sep = detectCSVSeparator(line)
			}
			var field int
			var msg string
			fields, field, msg = splitCSVLine(line, sep, fields)
			if msg != "" {
				return nil, 0, 0, nil, formatErrorf("csv", "line %d, field %d: %s", lineNo, field, msg)
			}

			if firstLine == 0 {
				firstLine = lineNo
				cols = len(fields)
				rowValues = make([]float64, cols)
				isHeader, err := isCSVHeader(fields, lineNo)
				if err != nil {
					if k := firstTextField(fields); isTextValue(fields[k]) && !pandasIndexHeader(fields) {
						mixed, mixedField, mixedText = err, k, strings.TrimSpace(fields[k].text)
						continue
					}
					return nil, 0, 0, nil, err
				}
				if isHeader {
					header = make([]string, len(fields))
					for i, f := range fields {
						header[i] = f.text
					}
					quotedFirst = quotedNumbers(fields)
					continue
				}
			}

			if len(fields) != cols {
				return nil, 0, 0, nil, raggedRowError(lineNo, rows+1, fields, firstLine, cols)
			}
			for i, f := range fields {
				v, err := parseCSVNumber(f.text)
				if err != nil {
					msg := fmt.Sprintf("line %d, field %d: %v", lineNo, i+1, err)
					if trailingEmptyField(fields, i) {
						msg = fmt.Sprintf("line %d ends with a separator, which makes field %d empty; %s", lineNo, i+1, trailingSeparatorAdvice)
					}
					fe := &FormatError{Format: "csv", Msg: msg}
					// An empty last field after a separator gets the
					// advice of msg, so only another empty field is
					// located as a missing value.
					text := strings.TrimSpace(f.text)
					if (text == "" && !trailingEmptyField(fields, i)) || (text != "" && !looksLikeCSVNumber(text)) {
						fe.Line, fe.Value, fe.Field = lineNo, text, i+1
						if i < len(header) {
							fe.Column = header[i]
						}
					}
					return nil, 0, 0, nil, fe
				}
				rowValues[i] = v
			}
			values.append(rowValues)
			rows++
		}
		if readErr == io.EOF {
			break
		}
	}
	if mixed != nil {
		return nil, 0, 0, nil, mixed
	}
	return values.slice(), rows, cols, header, nil
}

// allQuoted reports whether every one of fields is quoted.
func allQuoted(fields []csvField) bool {
	for _, f := range fields {
		if !f.quoted {
			return false
		}
	}
	return len(fields) > 0
}

// quotedNumbers returns the values of fields, a first row, when every
// field is a quoted number and they are not the column numbers 0, 1, ...
// or 1, 2, ... of 3 or more columns, and nil otherwise. Such a row is
// data when the next row is quoted too. One or two columns start with
// such values too often by chance, as a column of labels 0 and 1 does.
func quotedNumbers(fields []csvField) []float64 {
	if !allQuoted(fields) {
		return nil
	}
	values := make([]float64, len(fields))
	for i, f := range fields {
		v, err := parseCSVNumber(f.text)
		if err != nil {
			return nil
		}
		values[i] = v
	}
	if len(values) < 3 {
		return values
	}
	for _, start := range []float64{0, 1} {
		numbered := true
		for i, v := range values {
			numbered = numbered && v == start+float64(i)
		}
		if numbered {
			return nil
		}
	}
	return values
}

// firstTextField returns the index of the first field that is not an
// unquoted number, or -1 when every field is one.
func firstTextField(fields []csvField) int {
	for i, f := range fields {
		if f.quoted || !looksLikeCSVNumber(f.text) {
			return i
		}
	}
	return -1
}

// isTextValue reports whether f is unquoted text that is not a number,
// such as a class name or NA in a data row.
func isTextValue(f csvField) bool {
	return !f.quoted && strings.TrimSpace(f.text) != "" && !looksLikeCSVNumber(f.text)
}

// textColumnError decides what a first row, on line firstLine, with both
// number and text fields is, from the fields of the next row, on line
// lineNo. When that row has text in field k too, both rows are data rows
// with a column of text, such as the class names at the end of each row
// of a UCI data file. The error then locates text, the value of field k
// in the first row, in FormatError's Line, Value and Field, as it does
// for text in any later data row. Otherwise it returns mixed, the error
// that names both readings of the first row.
func textColumnError(mixed error, next []csvField, k int, text string, firstLine, lineNo int) error {
	if k >= len(next) || !isTextValue(next[k]) {
		return mixed
	}
	return &FormatError{Format: "csv",
		Msg: fmt.Sprintf("line %d, field %d: invalid number %s; line %d has text in that field too, so the file has a column of text",
			firstLine, k+1, quoteForMessage(text), lineNo),
		Line: firstLine, Value: text, Field: k + 1}
}

func raggedRowError(lineNo, row int, fields []csvField, firstLine, cols int) error {
	var detail string
	if len(fields) < cols {
		detail = fmt.Sprintf("field %d is missing", len(fields)+1)
	} else {
		detail = fmt.Sprintf("field %d %s is extra", cols+1, quoteForMessage(fields[cols].text))
	}
	count := fmt.Sprintf("%d fields", len(fields))
	if len(fields) == 1 {
		count = "1 field"
	}
	return formatErrorf("csv", "line %d (data row %d) has %s, but line %d has %d, so %s; every row needs the same number of columns",
		lineNo, row, count, firstLine, cols, detail)
}

// parsePlainCSVRow parses a data line of len(values) unquoted numbers into
// values. sep must be a single byte. The fields are cut at the same bytes as
// splitCSVLine cuts them and go to the same strconv.ParseFloat, so the
// values are those of the general path. It returns false for any other
// line, such as one with a quoted or empty field, non-ASCII space or another
// number of fields, and leaves that line and its error to splitCSVLine.
func parsePlainCSVRow(values []float64, line []byte, sep rune) bool {
	if sep >= utf8.RuneSelf || len(values) == 0 {
		return false
	}
	i := 0
	for k := range values {
		var field []byte
		if sep == csvWhitespace {
			i = skipASCIISpace(line, i)
			start := i
			for i < len(line) && !isASCIISpace(line[i]) {
				i++
			}
			field = line[start:i]
		} else {
			// Fields are cut at every separator, and the last field runs
			// to the end of the line.
			end := bytes.IndexByte(line[i:], byte(sep))
			if (end < 0) != (k == len(values)-1) {
				return false
			}
			if end < 0 {
				end = len(line)
			} else {
				end += i
			}
			field = trimASCIISpace(line[i:end])
			i = end + 1
		}
		v, err := strconv.ParseFloat(string(field), 64)
		if err != nil {
			return false
		}
		values[k] = v
	}
	if sep == csvWhitespace {
		return skipASCIISpace(line, i) == len(line)
	}
	return true
}

// isASCIISpace reports whether c is one of the ASCII characters that
// unicode.IsSpace accepts.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimASCIISpace(b []byte) []byte {
	for len(b) > 0 && isASCIISpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isASCIISpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func skipASCIISpace(line []byte, i int) int {
	for i < len(line) && isASCIISpace(line[i]) {
		i++
	}
	return i
}

// csvChunkLen is the capacity of the chunks of chunkedFloats: 1 MiB of
// float64.
const csvChunkLen = 1 << 17

// chunkedFloats collects values in chunks of about csvChunkLen, so that a
// large matrix is copied once, into its final slice, rather than at every
// growth of a single slice. The first chunk grows by append, so a small
// matrix stays in one slice and is not copied.
type chunkedFloats struct {
	full [][]float64 // filled chunks
	last []float64
}

func (c *chunkedFloats) append(values []float64) {
	if cap(c.last) >= csvChunkLen && len(c.last)+len(values) > cap(c.last) {
		c.full = append(c.full, c.last)
		c.last = make([]float64, 0, csvChunkLen)
	}
	c.last = append(c.last, values...)
}

// slice returns all values in one slice, which is never nil.
func (c *chunkedFloats) slice() []float64 {
	if len(c.full) == 0 {
		if c.last == nil {
			return []float64{}
		}
		return c.last
	}
	n := len(c.last)
	for _, chunk := range c.full {
		n += len(chunk)
	}
	all := make([]float64, 0, n)
	for _, chunk := range c.full {
		all = append(all, chunk...)
	}
	return append(all, c.last...)
}

// readCSVLine reads one line into buf without its newline. It returns
// io.EOF with the last line when that line has no newline, and io.EOF with
// an empty buf at the end of the input.
func readCSVLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return buf[:len(buf)-1], nil
		default:
			return buf, err
		}
	}
}

// csvField is one field of a line, with its quotes removed.
type csvField struct {
	text   string
	quoted bool
}

// isCSVHeader reports whether the first row, on line lineNo, is a header:
// none of its fields is an unquoted number. It returns an error when some
// fields are unquoted numbers and others are not.
func isCSVHeader(fields []csvField, lineNo int) (bool, error) {
	firstNumber, firstText := -1, -1
	for i, f := range fields {
		if !f.quoted && looksLikeCSVNumber(f.text) {
			if firstNumber < 0 {
				firstNumber = i
			}
		} else if firstText < 0 {
			firstText = i
		}
	}
	if firstNumber < 0 {
		return true, nil
	}
	if firstText < 0 {
		return false, nil
	}

	text := fields[firstText]
	if pandasIndexHeader(fields) {
		return false, formatErrorf("csv", "line %d: field 1 is empty and the other fields are numbers, as in the header line that pandas' to_csv writes for numbered columns after the empty name of the row index; "+
			"write the file with to_csv(index=False, header=False), which leaves out both, or, if the line is a data row, fill in field 1",
			lineNo)
	}
	if trailingEmptyField(fields, firstText) {
		return false, formatErrorf("csv", "line %d ends with a separator, which makes an empty field %d after the numbers; %s",
			lineNo, firstText+1, trailingSeparatorAdvice)
	}
	var fault string
	switch {
	case text.quoted:
		fault = fmt.Sprintf("%s is quoted text", quoteForMessage(text.text))
	case strings.TrimSpace(text.text) == "":
		fault = "is empty"
	default:
		fault = fmt.Sprintf("%s is not a number", quoteForMessage(text.text))
	}
	number := strings.TrimSpace(fields[firstNumber].text)
	return false, formatErrorf("csv", "line %d: field %d %s, but field %d %s is a number, so the line is neither a header nor a data row; "+
		"in a header, put the numeric names in double quotes, and in a data row, correct field %d",
		lineNo, firstText+1, fault, firstNumber+1, quoteForMessage(number), firstText+1)
}

// trailingEmptyField reports whether field i is the last of fields and
// empty and unquoted, as when a line ends with its separator.
func trailingEmptyField(fields []csvField, i int) bool {
	f := fields[i]
	return i == len(fields)-1 && i > 0 && !f.quoted && strings.TrimSpace(f.text) == ""
}

// trailingSeparatorAdvice ends the errors on a line that ends with its
// separator, which is a missing last value or a writer that ends every
// line with one.
const trailingSeparatorAdvice = "if every line ends so, remove the separator at the end of each line, for example with sed 's/,$//' for commas; otherwise fill in the missing value"

// pandasIndexHeader reports whether fields, the first row of a file, are
// an empty unquoted field followed by unquoted numbers only. pandas'
// DataFrame.to_csv writes that header for a frame with the default
// column names 0, 1, 2, ... unless index=False, so the file then holds
// the row index as its first column too.
func pandasIndexHeader(fields []csvField) bool {
	if len(fields) < 2 || fields[0].quoted || strings.TrimSpace(fields[0].text) != "" {
		return false
	}
	for _, f := range fields[1:] {
		if f.quoted || !looksLikeCSVNumber(f.text) {
			return false
		}
	}
	return true
}

// looksLikeCSVNumber reports whether s parses as a float64, counting values
// beyond the float64 range as numbers so that they are reported as such.
func looksLikeCSVNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

func parseCSVNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty value; fill it in or remove the row")
	}
	v, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("value %s is out of the float64 range", quoteForMessage(s))
	}
	if err != nil {
		if strings.ContainsRune(s, ';') {
			// Spreadsheets in many locales export with ';' between fields.
			return 0, fmt.Errorf("invalid number %s: fields seem to be separated by ';', which is not read; use commas, tabs or spaces", quoteForMessage(s))
		}
		return 0, fmt.Errorf("invalid number %s", quoteForMessage(s))
	}
	return v, nil
}

// checkCSVSeparator rejects separators that are ambiguous in a file of
// numbers: quotes, line ends, the comment character and anything that can
// occur inside a number, such as digits, letters, '.', '+', '-' and '_'.
func checkCSVSeparator(sep rune) error {
	switch {
	case sep == '"', sep == '\n', sep == '\r', sep == '#', sep == '.', sep == '+', sep == '-', sep == '_',
		sep == utf8.RuneError, !utf8.ValidRune(sep), unicode.IsLetter(sep), unicode.IsDigit(sep):
		return fmt.Errorf("tensor: csv: separator %q cannot separate numbers; use ',', '\\t', ' ' (whitespace) or 0 to detect it", sep)
	}
	return nil
}

// detectCSVSeparator chooses the separator from the first content line:
// a tab if one occurs outside quotes, else a comma, else whitespace.
func detectCSVSeparator(line string) rune {
	inQuotes, comma := false, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			inQuotes = !inQuotes
		case inQuotes:
		case c == '\t':
			return '\t'
		case c == ',':
			comma = true
		}
	}
	if comma {
		return ','
	}
	return csvWhitespace
}

// splitCSVLine splits a non-blank line into fields, reusing the fields
// slice. On a malformed line it returns the 1-based field number and a
// message.
func splitCSVLine(line string, sep rune, fields []csvField) ([]csvField, int, string) {
	whitespace := sep == csvWhitespace
	isSep := func(r rune) bool {
		if whitespace {
			return unicode.IsSpace(r)
		}
		return r == sep
	}
	// skipPad skips the whitespace around a field, or in whitespace mode
	// the whole run of separators.
	skipPad := func(i int) int {
		for i < len(line) {
			r, w := utf8.DecodeRuneInString(line[i:])
			if !unicode.IsSpace(r) || (!whitespace && r == sep) {
				break
			}
			i += w
		}
		return i
	}

	fields = fields[:0]
	i := skipPad(0)
	for {
		if i < len(line) && line[i] == '"' {
			text, next, closed := unquoteCSVField(line, i)
			if !closed {
				return fields, len(fields) + 1, "quoted field is not closed on this line; a quoted field cannot span lines"
			}
			fields = append(fields, csvField{text: text, quoted: true})
			i = next
			if !whitespace {
				i = skipPad(i)
			}
			if i == len(line) {
				return fields, 0, ""
			}
			r, w := utf8.DecodeRuneInString(line[i:])
			if !isSep(r) {
				return fields, len(fields), fmt.Sprintf("unexpected %q after the closing quote; put the whole field in quotes", r)
			}
			i += w
		} else {
			j := i
			for j < len(line) {
				r, w := utf8.DecodeRuneInString(line[j:])
				if isSep(r) {
					break
				}
				j += w
			}
			fields = append(fields, csvField{text: strings.TrimRightFunc(line[i:j], unicode.IsSpace)})
			if j == len(line) {
				return fields, 0, ""
			}
			_, w := utf8.DecodeRuneInString(line[j:])
			i = j + w
		}
		i = skipPad(i)
		if whitespace && i == len(line) {
			return fields, 0, ""
		}
	}
}

// unquoteCSVField reads the quoted field that starts at line[start] == '"'
// and returns its text, the index after the closing quote, and whether a
// closing quote was found.
func unquoteCSVField(line string, start int) (string, int, bool) {
	var b strings.Builder
	for i := start + 1; i < len(line); i++ {
		if line[i] != '"' {
			b.WriteByte(line[i])
			continue
		}
		if i+1 < len(line) && line[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", len(line), false
}

// WriteCSV writes a rows x cols matrix stored row-major in data as
// delimited text, one row per line, preceded by header when it is non-nil.
// sep is the separator: 0 means a comma, and a space writes one space.
// Values are written in the shortest form that parses back to the same
// float64 ("NaN", "+Inf" and "-Inf" for the special values), so ReadCSV
// returns exactly the same data. A header name is quoted when it is empty,
// starts with '#', looks like a number, or contains the separator, a quote
// or surrounding whitespace. Names containing a newline are rejected.
func WriteCSV(w io.Writer, data []float64, rows, cols int, header []string, sep rune) error {
	if sep == 0 {
		sep = ','
	}
	if err := checkCSVSeparator(sep); err != nil {
		return err
	}
	if rows < 0 || cols < 0 {
		return fmt.Errorf("tensor: csv: matrix size %d x %d is negative", rows, cols)
	}
	if cols == 0 && rows > 0 {
		return fmt.Errorf("tensor: csv: matrix size %d x 0 has rows without values, which a CSV file cannot hold", rows)
	}
	if cols > 0 && rows > math.MaxInt/cols || rows*cols != len(data) {
		return fmt.Errorf("tensor: csv: matrix size %d x %d does not match the %d values in data", rows, cols, len(data))
	}
	if header != nil && len(header) != cols {
		return fmt.Errorf("tensor: csv: header has %d names for %d columns", len(header), cols)
	}
	for i, name := range header {
		if strings.ContainsAny(name, "\n") {
			return fmt.Errorf("tensor: csv: header name %d %s contains a newline, which a CSV line cannot hold", i+1, quoteForMessage(name))
		}
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	if header != nil {
		for i, name := range header {
			if i > 0 {
				line = utf8.AppendRune(line, sep)
			}
			line = appendCSVName(line, name, sep)
		}
		line = append(line, '\n')
		bw.Write(line)
	}
	for r := range rows {
		line = line[:0]
		for c, v := range data[r*cols : (r+1)*cols] {
			if c > 0 {
				line = utf8.AppendRune(line, sep)
			}
			line = strconv.AppendFloat(line, v, 'g', -1, 64)
		}
		line = append(line, '\n')
		// bufio.Writer keeps the first error, so checking at Flush suffices.
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tensor: csv: write: %w", err)
	}
	return nil
}

// appendCSVName appends a header name, quoted when ReadCSV would otherwise
// read it back differently or not detect the header.
func appendCSVName(line []byte, name string, sep rune) []byte {
	needsQuotes := name == "" ||
		strings.ContainsRune(name, '"') ||
		strings.HasPrefix(name, "#") ||
		strings.HasPrefix(name, "\uFEFF") ||
		strings.TrimSpace(name) != name ||
		looksLikeCSVNumber(name)
	if sep == csvWhitespace {
		needsQuotes = needsQuotes || strings.IndexFunc(name, unicode.IsSpace) >= 0
	} else {
		needsQuotes = needsQuotes || strings.ContainsRune(name, sep)
	}
	if !needsQuotes {
		return append(line, name...)
	}
	line = append(line, '"')
	line = append(line, strings.ReplaceAll(name, `"`, `""`)...)
	return append(line, '"')
}
