package tensor

// NPY is NumPy's single-array file format, described in the numpy.lib.format
// module documentation (NumPy 1.x and 2.x). A file is the magic string
// "\x93NUMPY", a major and a minor version byte, the header length (uint16
// little-endian in version 1.0, uint32 in 2.0 and 3.0), and the header: a
// Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// padded with spaces and a newline. The array data follows, in C (row-major)
// or Fortran (column-major) order. Version 3.0 only changes the header text
// encoding from latin-1 to UTF-8.

import (
	"bufio"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

const npyMagic = "\x93NUMPY"

// npyMaxHeaderLen caps the header length that ReadNPY accepts. NumPy 1.24
// and later reject headers over 10000 bytes unless max_header_size is
// raised.
const npyMaxHeaderLen = 1 << 20

// npyHeader is the decoded header of an NPY file.
type npyHeader struct {
	descr   string
	elem    elemType
	fortran bool
	shape   []int
	count   int // number of elements
}

// ReadNPY reads an NPY array (versions 1.0, 2.0 and 3.0) and converts its
// values to float32. Supported dtypes are float (f2, f4, f8), signed and
// unsigned integers of 1, 2, 4 and 8 bytes and bool, in either byte order.
// Fortran-order arrays are transposed into the row-major layout of Tensor.
// A 0-d array gives a tensor with an empty shape and one value. Reading
// stops after the array data, so bytes that follow it are left unread.
//
// Corrupt input returns a *FormatError and a valid file with an unsupported
// dtype or version returns an *UnsupportedError.
func ReadNPY(r io.Reader) (*Tensor, error) {
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, err
	}
	data, err := readElements[float32](r, h.count, h.elem, "npy", h.describe())
	if err != nil {
		return nil, err
	}
	if h.fortran {
		data = fortranToC(data, h.shape)
	}
	return &Tensor{Shape: h.shape, Data: data}, nil
}

// ReadNPY64 reads an NPY array like ReadNPY but returns float64 values,
// which is lossless for f8 and for integers up to 2^53 in magnitude.
func ReadNPY64(r io.Reader) (data []float64, shape []int, err error) {
	h, err := readNPYHeader(r)
	if err != nil {
		return nil, nil, err
	}
	data, err = readElements[float64](r, h.count, h.elem, "npy", h.describe())
	if err != nil {
		return nil, nil, err
	}
	if h.fortran {
		data = fortranToC(data, h.shape)
	}
	return data, h.shape, nil
}

// WriteNPY writes t as an NPY version 1.0 file of dtype <f4 in C order.
// Version 2.0 is used only when the header does not fit in 65535 bytes.
func WriteNPY(w io.Writer, t *Tensor) error {
	if _, err := checkTensor("npy", t); err != nil {
		return err
	}
	return writeNPY(w, "<f4", t.Shape, t.Data, 4, func(b []byte, v float32) {
		endian.LittleEndian.PutUint32(b, math.Float32bits(v))
	})
}

// WriteNPY64 writes data with the given shape as an NPY version 1.0 file of
// dtype <f8 in C order.
func WriteNPY64(w io.Writer, data []float64, shape []int) error {
	n, err := numElements(shape)
	if err != nil {
		return fmt.Errorf("tensor: npy: %w", err)
	}
	if n != len(data) {
		return fmt.Errorf("tensor: npy: shape %v needs %d values, but data has %d", shape, n, len(data))
	}
	return writeNPY(w, "<f8", shape, data, 8, func(b []byte, v float64) {
		endian.LittleEndian.PutUint64(b, math.Float64bits(v))
	})
}

func writeNPY[T float32 | float64 | int64](w io.Writer, descr string, shape []int, data []T, size int, put func([]byte, T)) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(npyHeaderBytes(descr, shape))
	var buf [4096]byte
	per := len(buf) / size
	for start := 0; start < len(data); start += per {
		chunk := data[start:min(start+per, len(data))]
		for i, v := range chunk {
			put(buf[i*size:], v)
		}
		// bufio.Writer keeps the first error, so checking at Flush suffices.
		bw.Write(buf[:len(chunk)*size])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tensor: npy: write: %w", err)
	}
	return nil
}

// npyHeaderBytes returns the magic, version, header length and header dict,
// padded with spaces and a final newline to a multiple of 64 bytes as NumPy
// writes it, so that the data starts aligned.
func npyHeaderBytes(descr string, shape []int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, formatShape(shape))
	major, lenBytes := byte(1), 2
	total := func() int {
		n := len(npyMagic) + 2 + lenBytes + len(dict) + 1
		return (n + 63) / 64 * 64
	}
	if total()-len(npyMagic)-2-lenBytes > math.MaxUint16 {
		major, lenBytes = 2, 4
	}
	size := total()
	headerLen := size - len(npyMagic) - 2 - lenBytes

	b := make([]byte, 0, size)
	b = append(b, npyMagic...)
	b = append(b, major, 0)
	if lenBytes == 2 {
		b = endian.LittleEndian.AppendUint16(b, uint16(headerLen))
	} else {
		b = endian.LittleEndian.AppendUint32(b, uint32(headerLen))
	}
	b = append(b, dict...)
	for len(b) < size-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// describe names the array for error messages, as in "shape (2, 3) of <f4".
func (h *npyHeader) describe() string {
	return "shape " + formatShape(h.shape) + " of " + h.descr
}

// readNPYHeader reads the preamble and header dict, leaving r at the start
// of the array data.
func readNPYHeader(r io.Reader) (*npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, npyShortRead("the 8-byte magic and version", err)
	}
	if string(pre[:4]) == "PK\x03\x04" {
		return nil, formatErrorf("npy", "input is a zip archive, as numpy.savez writes (.npz), not a single array; save one array with numpy.save(path, numpy.load(npz_path)[name])")
	}
	if string(pre[:6]) != npyMagic {
		return nil, formatErrorf("npy", "magic bytes %q, expected %q; the input is not an NPY file (numpy.save writes them)", pre[:6], npyMagic)
	}
	major, minor := pre[6], pre[7]
	var lenBytes int
	switch {
	case major == 1 && minor == 0:
		lenBytes = 2
	case (major == 2 || major == 3) && minor == 0:
		lenBytes = 4
	default:
		return nil, unsupportedErrorf("npy", "version %d.%d; supported are 1.0, 2.0 and 3.0 (numpy.save writes 1.0 when it can)", major, minor)
	}

	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:lenBytes]); err != nil {
		return nil, npyShortRead("the header length", err)
	}
	headerLen := int64(endian.LittleEndian.Uint32(lenBuf[:]))
	if headerLen > npyMaxHeaderLen {
		return nil, unsupportedErrorf("npy", "header length %d bytes is over the limit of %d", headerLen, npyMaxHeaderLen)
	}
	if remaining, ok := remainingBytes(r); ok && remaining < headerLen {
		return nil, formatErrorf("npy", "header length %d is longer than the %d bytes left in the input; the file is truncated", headerLen, remaining)
	}
	text := make([]byte, headerLen)
	if _, err := io.ReadFull(r, text); err != nil {
		return nil, npyShortRead(fmt.Sprintf("the %d-byte header", headerLen), err)
	}
	if major == 3 && !utf8.Valid(text) {
		return nil, formatErrorf("npy", "version 3.0 header %s is not valid UTF-8", quoteForMessage(string(text)))
	}
	return parseNPYHeader(string(text))
}

func npyShortRead(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErrorf("npy", "input ends inside %s; the file is empty or truncated", what)
	}
	return readError("npy", "header", err)
}

// parseNPYHeader decodes the header dict. Like NumPy, it requires exactly
// the keys descr, fortran_order and shape.
func parseNPYHeader(text string) (*npyHeader, error) {
	p := &pyParser{s: text}
	dict, err := p.parseDict()
	if err == nil {
		p.skipSpace()
		if p.pos < len(p.s) {
			err = fmt.Errorf("unexpected %q after the closing brace", p.s[p.pos])
		}
	}
	if err != nil {
		return nil, formatErrorf("npy", "header %s: %v", quoteForMessage(text), err)
	}

	h := &npyHeader{}
	var seen []string
	for _, kv := range dict {
		switch kv.key {
		case "descr", "fortran_order", "shape":
		default:
			return nil, formatErrorf("npy", "header has unknown key %q; the keys are descr, fortran_order and shape", kv.key)
		}
		for _, k := range seen {
			if k == kv.key {
				return nil, formatErrorf("npy", "header has key %q twice", kv.key)
			}
		}
		seen = append(seen, kv.key)
		switch kv.key {
		case "descr":
			if err := h.setDescr(kv.value); err != nil {
				return nil, err
			}
		case "fortran_order":
			if kv.value.kind != pyBool {
				return nil, formatErrorf("npy", "header fortran_order is %s, expected True or False", kv.value.text)
			}
			h.fortran = kv.value.b
		case "shape":
			if err := h.setShape(kv.value); err != nil {
				return nil, err
			}
		}
	}
	if len(seen) != 3 {
		for _, key := range []string{"descr", "fortran_order", "shape"} {
			missing := true
			for _, k := range seen {
				missing = missing && k != key
			}
			if missing {
				return nil, formatErrorf("npy", "header %s has no key %q", quoteForMessage(text), key)
			}
		}
	}

	n, err := countElements("npy", h.shape, h.elem.size)
	if err != nil {
		return nil, err
	}
	h.count = n
	return h, nil
}

func (h *npyHeader) setDescr(v pyValue) error {
	switch v.kind {
	case pyString:
	case pySequence:
		return unsupportedErrorf("npy", "structured dtype %s; save a plain numeric array, for example arr.astype('<f4')", quoteForMessage(v.text))
	default:
		return formatErrorf("npy", "header descr is %s, expected a dtype string such as '<f4'", quoteForMessage(v.text))
	}
	et, err := parseNPYDescr(v.str)
	if err != nil {
		return err
	}
	h.descr = v.str
	h.elem = et
	return nil
}

func (h *npyHeader) setShape(v pyValue) error {
	if v.kind != pySequence {
		return formatErrorf("npy", "header shape is %s, expected a tuple of integers such as (2, 3)", quoteForMessage(v.text))
	}
	shape := make([]int, len(v.items))
	for i, item := range v.items {
		if item.kind != pyInt {
			return formatErrorf("npy", "header shape %s has %s at index %d, expected an integer", quoteForMessage(v.text), quoteForMessage(item.text), i)
		}
		d, err := strconv.ParseInt(strings.TrimRight(item.text, "lL"), 10, 64)
		if err != nil || d > math.MaxInt {
			return formatErrorf("npy", "header shape %s has dimension %s, which does not fit in an int", quoteForMessage(v.text), quoteForMessage(item.text))
		}
		if d < 0 {
			return formatErrorf("npy", "header shape %s has negative dimension %d", quoteForMessage(v.text), d)
		}
		shape[i] = int(d)
	}
	h.shape = shape
	return nil
}

// parseNPYDescr decodes a simple dtype string: a byte order character
// ('<' little-endian, '>' big-endian, '|' not applicable), a kind letter and
// the size in bytes, as in "<f4", ">i8" or "|u1".
func parseNPYDescr(descr string) (elemType, error) {
	if descr == "|O" || descr == "O" {
		// numpy writes object arrays (mixed types, Python objects) with
		// the two-character descr "|O" and a pickle for the data.
		// pandas gives a column of class names as such an array, on which
		// astype alone fails.
		return elemType{}, unsupportedErrorf("npy", "dtype %q, an array of Python objects; convert it to a numeric dtype first, with arr.astype('<f4') when they are numbers, or np.unique(arr, return_inverse=True)[1] when they are names, such as class names, to number them from 0", descr)
	}
	if len(descr) < 3 {
		return elemType{}, formatErrorf("npy", "descr %q is too short for a dtype such as '<f4'", descr)
	}
	order, kind, sizeText := descr[0], descr[1], descr[2:]
	size, err := strconv.Atoi(sizeText)
	if err != nil || size <= 0 || sizeText[0] == '+' {
		return elemType{}, formatErrorf("npy", "descr %q has size %q, expected a byte count such as 4", descr, sizeText)
	}
	switch kind {
	case 'f', 'i', 'u', 'b':
	case 'U', 'S', 'a':
		// astype alone fails on strings that are not numbers, such as the
		// class names of a labels array.
		return elemType{}, unsupportedErrorf("npy", "dtype %q, an array of strings; convert it to numbers first, with arr.astype('<f4') when the strings are numbers, or np.unique(arr, return_inverse=True)[1] when they are names, such as class names, to number them from 0", descr)
	case 'c', 'O', 'M', 'm', 'V':
		return elemType{}, unsupportedErrorf("npy", "dtype %q; convert the array to a numeric dtype first, for example arr.astype('<f4')", descr)
	default:
		return elemType{}, formatErrorf("npy", "descr %q has unknown type kind %q", descr, kind)
	}
	et := elemType{kind: kind, size: size, bigEndian: order == '>'}
	if !et.valid() {
		return elemType{}, unsupportedErrorf("npy", "dtype %q; supported are f2, f4, f8, i1 to i8, u1 to u8 and b1, for example arr.astype('<f4')", descr)
	}
	switch order {
	case '<', '>':
	case '|':
		if size != 1 {
			return elemType{}, formatErrorf("npy", "descr %q has byte order '|', which is only valid for 1-byte types", descr)
		}
	case '=':
		if size != 1 {
			return elemType{}, unsupportedErrorf("npy", "descr %q has native byte order '=', which does not say which one the writer had; save with an explicit '<' or '>'", descr)
		}
	default:
		return elemType{}, formatErrorf("npy", "descr %q starts with %q, expected a byte order character '<', '>' or '|'", descr, order)
	}
	return et, nil
}

// fortranToC reorders column-major data of the given shape to row-major.
// Element (i0, ..., ik) sits at offset i0 + d0*(i1 + d1*(i2 + ...)) in the
// input, so the loop walks the output in order and moves the input offset
// by the column-major strides, carrying like an odometer.
func fortranToC[T float32 | float64](src []T, shape []int) []T {
	// Dimensions of size 1 do not change the layout. Dropping them keeps
	// the odometer from carrying through each of them on every element.
	var squeezed []int
	for _, d := range shape {
		if d != 1 {
			squeezed = append(squeezed, d)
		}
	}
	shape = squeezed
	if len(shape) < 2 || len(src) == 0 {
		return src
	}
	nd := len(shape)
	strides := make([]int, nd)
	s := 1
	for k, d := range shape {
		strides[k] = s
		s *= d
	}

	dst := make([]T, len(src))
	idx := make([]int, nd)
	off := 0
	for i := range dst {
		dst[i] = src[off]
		for k := nd - 1; k >= 0; k-- {
			idx[k]++
			off += strides[k]
			if idx[k] < shape[k] {
				break
			}
			off -= strides[k] * shape[k]
			idx[k] = 0
		}
	}
	return dst
}

// pyParser parses the subset of Python literal syntax that NPY headers
// use: a dict with string keys, and values that are strings, True, False,
// None, integers (with Python 2's optional L suffix) or tuples and lists of
// those.
type pyParser struct {
	s     string
	pos   int
	depth int
}

type pyKind int

const (
	pyString pyKind = iota + 1
	pyBool
	pyNone
	pyInt
	pySequence
)

// pyValue is one parsed literal. text is its source text, for messages.
type pyValue struct {
	kind  pyKind
	text  string
	str   string    // pyString
	b     bool      // pyBool
	items []pyValue // pySequence
}

type pyKeyValue struct {
	key   string
	value pyValue
}

// pyMaxDepth bounds the nesting of tuples and lists, so that a header of
// brackets cannot exhaust the stack.
const pyMaxDepth = 32

func (p *pyParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			p.pos++
		default:
			return
		}
	}
}

// expect consumes c after optional space, or returns an error naming what.
func (p *pyParser) expect(c byte, what string) error {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return fmt.Errorf("header ends where %s was expected", what)
	}
	if p.s[p.pos] != c {
		return fmt.Errorf("found %q at byte %d where %s was expected", p.s[p.pos], p.pos, what)
	}
	p.pos++
	return nil
}

func (p *pyParser) parseDict() ([]pyKeyValue, error) {
	if err := p.expect('{', "'{'"); err != nil {
		return nil, err
	}
	var dict []pyKeyValue
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return dict, nil
		}
		key, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if key.kind != pyString {
			return nil, fmt.Errorf("dict key %s is not a string", quoteForMessage(key.text))
		}
		if err := p.expect(':', "':' after key "+strconv.Quote(key.str)); err != nil {
			return nil, err
		}
		value, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		dict = append(dict, pyKeyValue{key.str, value})
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.expect('}', "',' or '}'"); err != nil {
			return nil, err
		}
		return dict, nil
	}
}

func (p *pyParser) parseValue() (pyValue, error) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return pyValue{}, errors.New("header ends where a value was expected")
	}
	start := p.pos
	c := p.s[p.pos]
	var v pyValue
	var err error
	switch {
	case c == '\'' || c == '"':
		v, err = p.parseString()
	case c == '(' || c == '[':
		v, err = p.parseSequence()
	case c == '-' || c == '+' || ('0' <= c && c <= '9'):
		v, err = p.parseInt()
	case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z':
		v, err = p.parseName()
	default:
		return pyValue{}, fmt.Errorf("unexpected %q at byte %d", c, p.pos)
	}
	if err != nil {
		return pyValue{}, err
	}
	v.text = p.s[start:p.pos]
	return v, nil
}

// parseString reads a quoted string. A backslash keeps the next byte as it
// is, which covers the escaped quotes and backslashes a header can contain.
func (p *pyParser) parseString() (pyValue, error) {
	quote := p.s[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == quote:
			p.pos++
			return pyValue{kind: pyString, str: b.String()}, nil
		case c == '\\' && p.pos+1 < len(p.s):
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case c == '\n':
			return pyValue{}, fmt.Errorf("string starting at byte %d is not closed before the end of the line", start)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return pyValue{}, fmt.Errorf("string starting at byte %d is not closed", start)
}

func (p *pyParser) parseSequence() (pyValue, error) {
	open := p.s[p.pos]
	closing := byte(')')
	if open == '[' {
		closing = ']'
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > pyMaxDepth {
		return pyValue{}, fmt.Errorf("tuples and lists nested deeper than %d", pyMaxDepth)
	}
	p.pos++
	var items []pyValue
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == closing {
			p.pos++
			return pyValue{kind: pySequence, items: items}, nil
		}
		item, err := p.parseValue()
		if err != nil {
			return pyValue{}, err
		}
		items = append(items, item)
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.expect(closing, fmt.Sprintf("',' or %q", closing)); err != nil {
			return pyValue{}, err
		}
		return pyValue{kind: pySequence, items: items}, nil
	}
}

func (p *pyParser) parseInt() (pyValue, error) {
	start := p.pos
	if c := p.s[p.pos]; c == '-' || c == '+' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.s) && '0' <= p.s[p.pos] && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return pyValue{}, fmt.Errorf("sign at byte %d is not followed by digits", start)
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++
	}
	return pyValue{kind: pyInt}, nil
}

func (p *pyParser) parseName() (pyValue, error) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			break
		}
		p.pos++
	}
	switch name := p.s[start:p.pos]; name {
	case "True":
		return pyValue{kind: pyBool, b: true}, nil
	case "False":
		return pyValue{kind: pyBool}, nil
	case "None":
		return pyValue{kind: pyNone}, nil
	default:
		return pyValue{}, fmt.Errorf("unknown name %s at byte %d; values are strings, numbers, tuples, True, False or None", quoteForMessage(name), start)
	}
}
