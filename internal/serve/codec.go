package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/nidim/nidim/tensor"
)

// Media types of request and response bodies.
const (
	mediaJSON = "application/json"
	mediaNPY  = "application/x-npy"
)

// apiError is an error response: an HTTP status and a body
// {"error": msg, "kind": kind}.
type apiError struct {
	status int
	kind   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(kind, format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, kind: kind, msg: fmt.Sprintf(format, a...)}
}

// requestMedia returns the media type of the request body: JSON when the
// Content-Type header is missing or JSON, NPY for application/x-npy, the
// type of an image for image/png, image/jpeg and image/gif, and a 415
// error otherwise.
func requestMedia(r *http.Request) (string, *apiError) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return mediaJSON, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == mediaJSON || mt == mediaNPY || isImageMedia(mt)) {
		return mt, nil
	}
	cause := ""
	if mt == "application/x-www-form-urlencoded" {
		// A client that forgets the header, such as curl --data-binary
		// @photo.jpg, sends this type.
		cause = ", the type that curl --data and --data-binary send when no -H 'Content-Type: ...' sets another"
	}
	return "", &apiError{status: http.StatusUnsupportedMediaType, kind: "unsupported_media_type",
		msg: fmt.Sprintf("unsupported Content-Type %q%s; send %s or %s, such as curl -H 'Content-Type: application/json', or one image file as %s", ct, cause, mediaJSON, mediaNPY, imageFormats)}
}

// checkContentEncoding returns a 415 error unless the request body is
// uncompressed: no Content-Encoding header, or only "identity".
func checkContentEncoding(r *http.Request) *apiError {
	for _, value := range r.Header.Values("Content-Encoding") {
		for _, coding := range strings.Split(value, ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				return &apiError{status: http.StatusUnsupportedMediaType, kind: "unsupported_content_encoding",
					msg: fmt.Sprintf("unsupported Content-Encoding %q; the server reads only uncompressed bodies, so send the body uncompressed and without a Content-Encoding header", value)}
			}
		}
	}
	return nil
}

// wantsNPY reports whether the Accept headers list application/x-npy
// with a quality above 0 and no lower than that of JSON. JSON's quality
// is that of the most specific range that matches it: application/json,
// application/* or */*. Only an explicit application/x-npy requests NPY,
// so that */*, which curl sends, keeps JSON, and a tie between the two
// goes to NPY, as when both are listed without q. "application/x-npy;
// q=0.5, application/json" and "application/x-npy;q=0" get JSON.
func wantsNPY(r *http.Request) bool {
	qNPY, qJSON := -1.0, -1.0
	jsonRank := 0 // 3 for application/json, 2 for application/*, 1 for */*
	for _, value := range r.Header.Values("Accept") {
		for _, part := range strings.Split(value, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			rank := 0
			switch mt {
			case mediaNPY:
				qNPY = max(qNPY, q)
			case mediaJSON:
				rank = 3
			case "application/*":
				rank = 2
			case "*/*":
				rank = 1
			}
			if rank > jsonRank {
				qJSON, jsonRank = q, rank
			} else if rank > 0 && rank == jsonRank {
				qJSON = max(qJSON, q)
			}
		}
	}
	return qNPY > 0 && qNPY >= qJSON
}

// decodeInputs parses a request body into n rows of size values each.
func decodeInputs(media string, body []byte, size int) (rows []float32, n int, apiErr *apiError) {
	if media == mediaNPY {
		return decodeNPY(body, size)
	}
	// A client that leaves out the Content-Type of an NPY body, as
	// Python's requests.post(url, data=...) does, reaches this point.
	if bytes.HasPrefix(body, []byte(npyMagic)) {
		return nil, 0, badRequest("malformed_json", "invalid JSON body: the body is an NPY array, which needs the header Content-Type: %s; send it with that header", mediaNPY)
	}
	if media := imageMagic(body); media != "" {
		return nil, 0, badRequest("malformed_json", "invalid JSON body: the body is an image file, which needs the header Content-Type: %s; send it with that header", media)
	}
	return decodeJSON(body, size)
}

// npyMagic is the start of every NPY file.
const npyMagic = "\x93NUMPY"

func decodeJSON(body []byte, size int) ([]float32, int, *apiError) {
	if rows, n, apiErr, ok := parseInputsFast(body, size); ok {
		return rows, n, apiErr
	}
	return decodeJSONReflect(body, size)
}

// decodeJSONReflect is decodeJSON with encoding/json, for every body.
func decodeJSONReflect(body []byte, size int) ([]float32, int, *apiError) {
	// Pointers tell a JSON null, which encoding/json would leave as 0,
	// from a number.
	var req struct {
		Inputs *[][]*float64 `json:"inputs"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if apiErr := overflowError(typeErr); apiErr != nil {
				return nil, 0, apiErr
			}
			return nil, 0, badRequest("malformed_json", "invalid JSON body: a JSON %s ending at byte %d where %s belongs; send {\"inputs\": [[...], ...]}",
				typeErr.Value, typeErr.Offset, expectedJSON(typeErr.Type))
		}
		if apiErr := plainJSONError(body, err); apiErr != nil {
			return nil, 0, apiErr
		}
		return nil, 0, badRequest("malformed_json", "invalid JSON body: %v; send {\"inputs\": [[...], ...]}", err)
	}
	if dec.More() {
		return nil, 0, badRequest("malformed_json", "invalid JSON body: data follows the request object; send one object")
	}
	// encoding/json matches field names regardless of case, so the decode
	// above also accepts {"Inputs": ...}. Only the exact key is valid.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err == nil {
		for key := range fields {
			if key != "inputs" {
				return nil, 0, badRequest("malformed_json", "invalid JSON body: unknown field %q; field names are case-sensitive, so send {\"inputs\": [[...], ...]}", key)
			}
		}
	}
	if req.Inputs == nil {
		return nil, 0, badRequest("empty_batch", "the request has no \"inputs\" field; send {\"inputs\": [[...], ...]} with at least one row")
	}
	inputs := *req.Inputs
	if len(inputs) == 0 {
		return nil, 0, badRequest("empty_batch", "\"inputs\" is empty; send at least one row")
	}
	rows := make([]float32, 0, len(inputs)*size)
	for i, row := range inputs {
		if len(row) != size {
			return nil, 0, inputSizeError(i, len(row), size)
		}
		for k, v := range row {
			if v == nil {
				return nil, 0, badRequest("non_finite", "input row %d, column %d is null (counting from 0); send finite float32 values", i, k)
			}
			f := float32(*v)
			if math.IsInf(float64(f), 0) {
				return nil, 0, nonFiniteError(i, k, *v)
			}
			rows = append(rows, f)
		}
	}
	return rows, len(inputs), nil
}

// overflowError returns the error for a JSON number beyond the float64
// range, such as 1e400, and nil for any other type error. encoding/json
// reports such a number as a type error, as if a number did not belong
// there. The grammar check passed before decoding, so a number that fails
// to decode into a float64 can only be out of range.
func overflowError(typeErr *json.UnmarshalTypeError) *apiError {
	number, isNumber := strings.CutPrefix(typeErr.Value, "number ")
	if !isNumber || expectedJSON(typeErr.Type) != "a number" {
		return nil
	}
	// Offset is the count of bytes read, which ends with the number.
	start := typeErr.Offset - int64(len(number))
	return badRequest("non_finite", "the JSON number %s at byte %d is outside the float32 range; send finite float32 values", number, start)
}

// plainJSONError returns the error for the decoding error err of body
// when it has a cause that encoding/json words obscurely, and nil
// otherwise: an empty body ("EOF"), a body cut short ("unexpected EOF"),
// or a NaN or infinity, which JSON has no number for but which Python's
// json.dumps writes for float('nan') and float('inf') ("invalid character
// 'N' looking for beginning of value").
func plainJSONError(body []byte, err error) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("malformed_json", "invalid JSON body: the request body is empty; send {\"inputs\": [[...], ...]}")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// The body may be cut inside an array, such as "[[1, 2", as well
		// as inside the object that a request should hold.
		return badRequest("malformed_json", "invalid JSON body: the body ends after %s, before its JSON value is complete; send the whole object {\"inputs\": [[...], ...]}", plural(len(body), "byte", "bytes"))
	}
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) || syntaxErr.Offset < 1 || syntaxErr.Offset > int64(len(body)) {
		return nil
	}
	// The offending character is the last one read. The word it belongs
	// to may start before it, as the "a" of "nan" or the "I" of
	// "-Infinity" do.
	start := int(syntaxErr.Offset) - 1
	for start > 0 && isWordByte(body[start-1]) {
		start--
	}
	end := start
	for end < len(body) && isWordByte(body[end]) {
		end++
	}
	word := string(body[start:end])
	switch strings.ToLower(strings.TrimLeft(word, "+-")) {
	case "nan", "inf", "infinity":
	default:
		return nil
	}
	return badRequest("malformed_json", "invalid JSON body: %s at byte %d is not a JSON number, because JSON has none for NaN or infinity (Python's json.dumps writes them all the same); send finite float32 values", word, start)
}

// isWordByte reports whether c can be part of a word such as NaN,
// -Infinity or +inf.
func isWordByte(c byte) bool {
	return c == '-' || c == '+' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func decodeNPY(body []byte, size int) ([]float32, int, *apiError) {
	if len(body) == 0 {
		return nil, 0, badRequest("malformed_npy", "invalid NPY body: the request body is empty; send a 2-D array of shape (N, %d)", size)
	}
	r := bytes.NewReader(body)
	data, shape, err := tensor.ReadNPY64(r)
	if err != nil {
		// The reader's messages start with its package name, which means
		// nothing to a client.
		message := strings.TrimPrefix(err.Error(), "tensor: ")
		var unsupported *tensor.UnsupportedError
		if errors.As(err, &unsupported) {
			// The reader accepts every numeric dtype and arrays of more
			// than two dimensions, which the advice keeps open.
			return nil, 0, badRequest("unsupported_npy", "%s. The server reads NPY versions 1.0 to 3.0 of float, integer or bool dtypes, with one input of %d values per index of the first dimension", message, size)
		}
		return nil, 0, badRequest("malformed_npy", "invalid NPY body: %s", message)
	}
	if r.Len() > 0 {
		follow := "follow"
		if r.Len() == 1 {
			follow = "follows"
		}
		return nil, 0, badRequest("malformed_npy", "invalid NPY body: %s %s the array data; send one array", plural(r.Len(), "byte", "bytes"), follow)
	}
	// As nidim embed does with a file, an array of more dimensions holds
	// one input per index of the first, such as images of shape (N, C, H,
	// W), flattened in row-major order.
	if len(shape) < 2 {
		return nil, 0, badRequest("bad_shape", "the NPY array has shape %v; send a 2-D array of shape (N, %d), or one input per index of the first dimension", shape, size)
	}
	n := shape[0]
	if n == 0 {
		return nil, 0, badRequest("empty_batch", "the NPY array has no rows; send at least one row")
	}
	_, perRow := tensor.MatrixSize(shape)
	if perRow != size {
		return nil, 0, badRequest("input_size", "the NPY array has %s per row, but the model expects %d; send an array of shape (N, %d)", plural(perRow, "value", "values"), size, size)
	}
	rows := make([]float32, len(data))
	for i, v := range data {
		f := float32(v)
		if math.IsNaN(v) || math.IsInf(float64(f), 0) {
			return nil, 0, nonFiniteError(i/size, i%size, v)
		}
		rows[i] = f
	}
	return rows, n, nil
}

func inputSizeError(row, got, want int) *apiError {
	return badRequest("input_size", "input row %d has %s, but the model expects %d (rows count from 0)", row, plural(got, "value", "values"), want)
}

// plural returns n with the singular or plural noun: "1 value", "2 values".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func nonFiniteError(row, col int, v float64) *apiError {
	what := fmt.Sprintf("is %v", v)
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		what = fmt.Sprintf("is %v, outside the float32 range", v)
	}
	return badRequest("non_finite", "input row %d, column %d %s (counting from 0); send finite float32 values", row, col, what)
}

// encodeEmbeddings writes {"embeddings": [[...], ...]} or an n x d float32
// NPY array. Each float32 is printed with the fewest digits that read back
// to the same value.
func encodeEmbeddings(npy bool, emb []float32, n, d int) ([]byte, string, error) {
	if npy {
		var buf bytes.Buffer
		err := tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{n, d}, Data: emb})
		return buf.Bytes(), mediaNPY, err
	}
	b := make([]byte, 0, 16+n*d*12)
	b = append(b, `{"embeddings":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for k, v := range emb[i*d : (i+1)*d] {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, ']')
	}
	b = append(b, "]}\n"...)
	return b, mediaJSON, nil
}

// encodeScores writes {"p_values": [...], "scores": [...]} or an n x 2
// float64 NPY array whose columns are the score and the p-value.
func encodeScores(npy bool, scores, pValues []float64) ([]byte, string, error) {
	if npy {
		var buf bytes.Buffer
		data := make([]float64, 0, 2*len(scores))
		for i := range scores {
			data = append(data, scores[i], pValues[i])
		}
		err := tensor.WriteNPY64(&buf, data, []int{len(scores), 2})
		return buf.Bytes(), mediaNPY, err
	}
	b := make([]byte, 0, 32+len(scores)*48)
	b = append(b, `{"p_values":`...)
	b = appendFloats(b, pValues)
	b = append(b, `,"scores":`...)
	b = appendFloats(b, scores)
	b = append(b, "}\n"...)
	return b, mediaJSON, nil
}

func appendFloats(b []byte, v []float64) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return append(b, ']')
}

// expectedJSON names the JSON value that decodes into t, for messages
// that would otherwise name Go types.
func expectedJSON(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return "another value"
	case t.Kind() == reflect.Struct:
		return "an object"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Slice:
		return "a list of rows"
	case t.Kind() == reflect.Slice:
		return "a row (a list of numbers)"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return "another value"
}
