package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/nidim/nidim/tensor"
)

// reference holds the input rows the clients send and their embeddings,
// scores and p-values computed directly, without the server.
type reference struct {
	size, dim int
	rows      []float32
	emb       []float32
	scores    []float64
	pValues   []float64
	maxBody   int64
	jsonRows  [][]byte // each row as a JSON array, encoded once
}

func (r *reference) count() int { return len(r.rows) / r.size }

// request is one prepared HTTP request and what its response must be.
type request struct {
	method, path string
	contentType  string
	accept       string
	body         []byte
	good         bool
	index        []int  // pool rows of a good request
	status       int    // expected status of a bad request
	kind         string // expected error kind of a bad request
}

// badKinds are the bad requests the clients send, in rotation.
var badKinds = []string{"input_size", "non_finite", "malformed_json", "empty_batch", "method_not_allowed", "unsupported_media_type", "body_too_large"}

// newGoodRequest builds an embed or score request for rows random pool
// rows, in JSON or NPY, asking for JSON or NPY.
func newGoodRequest(ref *reference, rng *rand.Rand, rows int, npyFraction float64) *request {
	req := &request{method: http.MethodPost, path: "/v1/embed", good: true, index: make([]int, rows)}
	if rng.IntN(2) == 1 {
		req.path = "/v1/score"
	}
	x := make([]float32, 0, rows*ref.size)
	for i := range req.index {
		k := rng.IntN(ref.count())
		req.index[i] = k
		x = append(x, ref.rows[k*ref.size:(k+1)*ref.size]...)
	}
	if rng.Float64() < npyFraction {
		req.contentType = "application/x-npy"
		req.body = npyBytes(x, rows, ref.size)
	} else {
		req.contentType = "application/json"
		body := []byte(`{"inputs":[`)
		for i, k := range req.index {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, ref.jsonRows[k]...)
		}
		req.body = append(body, "]}"...)
	}
	if rng.IntN(2) == 1 {
		req.accept = "application/x-npy"
	}
	return req
}

// newBadRequest builds a request of the given kind of error.
func newBadRequest(ref *reference, kind string) *request {
	req := &request{method: http.MethodPost, path: "/v1/embed", contentType: "application/json", status: http.StatusBadRequest, kind: kind}
	row := ref.rows[:ref.size]
	switch kind {
	case "input_size":
		req.body = jsonInputs(row[:ref.size-1], 1, ref.size-1)
	case "non_finite":
		x := append([]float32(nil), row...)
		x[ref.size/2] = float32(math.NaN())
		req.contentType = "application/x-npy"
		req.body = npyBytes(x, 1, ref.size)
	case "malformed_json":
		req.body = []byte(`{"inputs": [[1, 2,`)
	case "empty_batch":
		req.body = []byte(`{"inputs": []}`)
	case "method_not_allowed":
		req.method, req.status = http.MethodGet, http.StatusMethodNotAllowed
	case "unsupported_media_type":
		req.contentType, req.status = "text/csv", http.StatusUnsupportedMediaType
		req.body = []byte("1,2,3")
	case "body_too_large":
		req.status = http.StatusRequestEntityTooLarge
		req.body = bytes.Repeat([]byte(" "), int(ref.maxBody)+1)
	default:
		panic("loadtest: unknown bad request kind " + kind)
	}
	return req
}

func jsonInputs(x []float32, n, size int) []byte {
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = x[i*size : (i+1)*size]
	}
	b, err := json.Marshal(map[string]any{"inputs": rows})
	if err != nil {
		panic(err)
	}
	return b
}

func npyBytes(x []float32, n, size int) []byte {
	var buf bytes.Buffer
	if err := tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{n, size}, Data: x}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// outcome is the result of one request.
type outcome struct {
	good     bool
	inputs   int    // inputs verified
	class    string // "ok", "expected <kind>", "queue_full", or a failure
	failure  bool
	detail   string
	status5x bool // a 5xx other than 503 queue_full
}

// send performs req and checks the response.
func send(client *http.Client, base string, ref *reference, req *request) outcome {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequest(req.method, base+req.path, body)
	if err != nil {
		return outcome{good: req.good, class: "client_error", failure: true, detail: err.Error()}
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	if req.accept != "" {
		hr.Header.Set("Accept", req.accept)
	}
	resp, err := client.Do(hr)
	if err != nil {
		return outcome{good: req.good, class: "transport_error", failure: true, detail: err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return outcome{good: req.good, class: "transport_error", failure: true, detail: err.Error()}
	}

	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Kind string }
		if err := json.Unmarshal(data, &e); err != nil || e.Kind == "" {
			return outcome{good: req.good, class: fmt.Sprintf("status_%d_without_error_body", resp.StatusCode), failure: true, detail: string(data)}
		}
		if resp.StatusCode == http.StatusServiceUnavailable && e.Kind == "queue_full" {
			return outcome{good: req.good, class: "queue_full"}
		}
		o := outcome{good: req.good, class: "expected " + e.Kind}
		if req.good || resp.StatusCode != req.status || e.Kind != req.kind {
			o.class, o.failure, o.detail = fmt.Sprintf("unexpected %d %s", resp.StatusCode, e.Kind), true, e.Error
		}
		o.status5x = resp.StatusCode >= 500
		return o
	}
	if !req.good {
		return outcome{class: "unexpected 200", failure: true, detail: fmt.Sprintf("%s %s expected %d %s", req.method, req.path, req.status, req.kind)}
	}
	if err := verify(ref, req, resp.Header.Get("Content-Type"), data); err != nil {
		return outcome{good: true, class: "mismatch", failure: true, detail: err.Error()}
	}
	return outcome{good: true, inputs: len(req.index), class: "ok"}
}

// verify compares a successful response with the direct results, bit for
// bit.
func verify(ref *reference, req *request, contentType string, data []byte) error {
	npy := strings.HasPrefix(contentType, "application/x-npy")
	if npy != (req.accept == "application/x-npy") {
		return fmt.Errorf("response Content-Type %q does not match Accept %q", contentType, req.accept)
	}
	n, d := len(req.index), ref.dim
	if req.path == "/v1/embed" {
		var got []float32
		if npy {
			t, err := tensor.ReadNPY(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if len(t.Shape) != 2 || t.Shape[0] != n || t.Shape[1] != d {
				return fmt.Errorf("embeddings have shape %v, want [%d %d]", t.Shape, n, d)
			}
			got = t.Data
		} else {
			var r struct{ Embeddings [][]float32 }
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			for _, row := range r.Embeddings {
				got = append(got, row...)
			}
		}
		if len(got) != n*d {
			return fmt.Errorf("got %d embedding values, want %d", len(got), n*d)
		}
		for i, k := range req.index {
			for c := range d {
				if math.Float32bits(got[i*d+c]) != math.Float32bits(ref.emb[k*d+c]) {
					return fmt.Errorf("embedding of pool row %d, component %d: got %v, want %v", k, c, got[i*d+c], ref.emb[k*d+c])
				}
			}
		}
		return nil
	}

	var scores, pValues []float64
	if npy {
		values, shape, err := tensor.ReadNPY64(bytes.NewReader(data))
		if err != nil {
			return err
		}
		if len(shape) != 2 || shape[0] != n || shape[1] != 2 {
			return fmt.Errorf("scores have shape %v, want [%d 2]", shape, n)
		}
		for i := range n {
			scores = append(scores, values[2*i])
			pValues = append(pValues, values[2*i+1])
		}
	} else {
		var r struct {
			PValues []float64 `json:"p_values"`
			Scores  []float64 `json:"scores"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return err
		}
		scores, pValues = r.Scores, r.PValues
	}
	if len(scores) != n || len(pValues) != n {
		return fmt.Errorf("got %d scores and %d p-values, want %d", len(scores), len(pValues), n)
	}
	for i, k := range req.index {
		if math.Float64bits(scores[i]) != math.Float64bits(ref.scores[k]) || math.Float64bits(pValues[i]) != math.Float64bits(ref.pValues[k]) {
			return fmt.Errorf("pool row %d: got score %v and p-value %v, want %v and %v", k, scores[i], pValues[i], ref.scores[k], ref.pValues[k])
		}
	}
	return nil
}
