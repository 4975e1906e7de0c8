package serve

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbedJSONMatchesDirect(t *testing.T) {
	path := tinyModel(t, "gaussian", 12, 3, 16)
	_, ts := newTestServer(t, path, Config{})
	x := randomRows(1, 37, 12)

	r := post(t, ts.URL+"/v1/embed", "application/json", "", jsonBody(x, 37))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, mediaJSON, r.header.Get("Content-Type"))
	assert.Len(t, r.header.Get("X-Request-Id"), 16)
	requireBitsEqual(t, directEmbed(t, path, x, 37), decodeEmbeddings(t, r.body))
}

func TestEmbedNPYMatchesDirect(t *testing.T) {
	path := tinyModel(t, "gaussian", 12, 3, 16)
	_, ts := newTestServer(t, path, Config{})
	x := randomRows(2, 5, 12)
	want := directEmbed(t, path, x, 5)

	r := post(t, ts.URL+"/v1/embed", mediaNPY, mediaNPY, npyBody(t, x, 5))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, mediaNPY, r.header.Get("Content-Type"))
	got, err := tensor.ReadNPY(bytes.NewReader(r.body))
	require.NoError(t, err)
	assert.Equal(t, []int{5, 3}, got.Shape)
	requireBitsEqual(t, want, got.Data)

	// A float64 array of the same values gives the same embeddings.
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	var buf bytes.Buffer
	require.NoError(t, tensor.WriteNPY64(&buf, x64, []int{5, 12}))
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", buf.Bytes())
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, want, decodeEmbeddings(t, r.body))

	// So does an array of images, (N, C, H, W), as nidim embed reads a
	// file of them.
	buf.Reset()
	require.NoError(t, tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{5, 1, 3, 4}, Data: x}))
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", buf.Bytes())
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, want, decodeEmbeddings(t, r.body))

	buf.Reset()
	require.NoError(t, tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{5, 2, 3, 2}, Data: x}))
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", buf.Bytes())
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, want, decodeEmbeddings(t, r.body))

	buf.Reset()
	require.NoError(t, tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{5, 2, 3, 1}, Data: x[:30]}))
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", buf.Bytes())
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, string(r.body), "the NPY array has 6 values per row, but the model expects 12")
}

func TestScoreMatchesDirect(t *testing.T) {
	for _, prior := range []string{"gaussian", "uniform"} {
		t.Run(prior, func(t *testing.T) {
			path := tinyModel(t, prior, 12, 4, 16)
			_, ts := newTestServer(t, path, Config{})
			x := randomRows(3, 9, 12)
			wantScores, wantP, err := OutlierScores(prior, directEmbed(t, path, x, 9), 9, 4)
			require.NoError(t, err)

			r := post(t, ts.URL+"/v1/score", "application/json", "", jsonBody(x, 9))
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			var got struct {
				PValues []float64 `json:"p_values"`
				Scores  []float64 `json:"scores"`
			}
			require.NoError(t, json.Unmarshal(r.body, &got))
			assert.Equal(t, wantScores, got.Scores)
			assert.Equal(t, wantP, got.PValues)

			r = post(t, ts.URL+"/v1/score", "application/json", mediaNPY, jsonBody(x, 9))
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			data, shape, err := tensor.ReadNPY64(bytes.NewReader(r.body))
			require.NoError(t, err)
			require.Equal(t, []int{9, 2}, shape)
			for i := range 9 {
				assert.Equal(t, wantScores[i], data[2*i], "score of row %d", i)
				assert.Equal(t, wantP[i], data[2*i+1], "p-value of row %d", i)
			}
		})
	}
}

// gatedModel holds its first Embed call until gate is closed.
type gatedModel struct {
	Model
	entered chan struct{}
	gate    chan struct{}
	first   sync.Once
}

func (g *gatedModel) Embed(rows []float32, n int) ([]float32, error) {
	g.first.Do(func() {
		close(g.entered)
		<-g.gate
	})
	return g.Model.Embed(rows, n)
}

// TestConcurrentRequestsMatchDirect queues requests of different sizes
// behind a held model call, so that the batcher merges and splits them,
// and checks every response against the embedding of its rows alone.
func TestConcurrentRequestsMatchDirect(t *testing.T) {
	path := tinyModel(t, "gaussian", 20, 5, 32)
	dm, err := LoadDimModel(path)
	require.NoError(t, err)
	gm := &gatedModel{Model: dm, entered: make(chan struct{}), gate: make(chan struct{})}
	s, ts := startServer(t, gm, Config{MaxBatch: 16})

	const clients = 12
	inputs := make([][]float32, clients)
	wants := make([][]float32, clients)
	rows := 0
	for c := range clients {
		n := 1 + c*3%11
		rows += n
		inputs[c] = randomRows(uint64(100+c), n, 20)
		wants[c] = directEmbed(t, path, inputs[c], n)
	}

	results := make([]response, clients)
	var wg sync.WaitGroup
	send := func(c int) {
		defer wg.Done()
		results[c] = post(t, ts.URL+"/v1/embed", "application/json", "", jsonBody(inputs[c], len(inputs[c])/20))
	}
	wg.Add(1)
	go send(0)
	<-gm.entered
	for c := 1; c < clients; c++ {
		wg.Add(1)
		go send(c)
	}
	require.Eventually(t, func() bool { queued, _ := s.batcher.queue(); return queued == rows-len(inputs[0])/20 }, 10*time.Second, time.Millisecond)
	close(gm.gate)
	wg.Wait()

	for c := range clients {
		require.Equal(t, http.StatusOK, results[c].status, "client %d: %s", c, results[c].body)
		requireBitsEqual(t, wants[c], decodeEmbeddings(t, results[c].body))
	}
	var metrics bytes.Buffer
	s.metrics.write(&metrics)
	// The held call, then the other rows in full batches of 16.
	wantCalls := 1 + (rows-len(inputs[0])/20+15)/16
	assert.Equal(t, float64(wantCalls), metricValue(t, metrics.String(), "nidim_batch_size_count"))
	assert.Equal(t, float64(0), metricValue(t, metrics.String(), "nidim_queue_length"))
}

func TestBadRequests(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{MaxBody: 4096, MaxQueue: 50})
	nan := float32(math.NaN())
	var f64 bytes.Buffer
	require.NoError(t, tensor.WriteNPY64(&f64, []float64{1, 2, 3, math.Inf(1)}, []int{1, 4}))
	var oneD bytes.Buffer
	require.NoError(t, tensor.WriteNPY(&oneD, &tensor.Tensor{Shape: []int{4}, Data: []float32{1, 2, 3, 4}}))

	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		kind        string
		message     string
	}{
		{"malformed json", "application/json", []byte(`{"inputs": [[1, 2,`), 400, "malformed_json", "invalid JSON"},
		{"json not an object", "application/json", []byte(`[1, 2, 3, 4]`), 400, "malformed_json", "invalid JSON"},
		{"json unknown field", "application/json", []byte(`{"input": [[1, 2, 3, 4]]}`), 400, "malformed_json", `unknown field "input"`},
		{"json trailing data", "application/json", []byte(`{"inputs": [[1, 2, 3, 4]]} {}`), 400, "malformed_json", "data follows"},
		{"json string value", "application/json", []byte(`{"inputs": [[1, "a", 3, 4]]}`), 400, "malformed_json", "a JSON string ending at byte 19 where a number belongs"},
		{"json row not a list", "application/json", []byte(`{"inputs": [1, 2]}`), 400, "malformed_json", "a JSON number ending at byte 13 where a row (a list of numbers) belongs"},
		{"json null value", "application/json", []byte(`{"inputs": [[1, null, 3, 4]]}`), 400, "non_finite", "input row 0, column 1 is null (counting from 0); send finite float32 values"},
		{"wrong input size", "application/json", []byte(`{"inputs": [[1, 2, 3, 4], [1, 2, 3]]}`), 400, "input_size", "input row 1 has 3 values, but the model expects 4 (rows count from 0)"},
		{"one input value", "application/json", []byte(`{"inputs": [[1]]}`), 400, "input_size", "input row 0 has 1 value, but the model expects 4"},
		{"float32 overflow", "application/json", []byte(`{"inputs": [[1, 2, 1e39, 4]]}`), 400, "non_finite", "input row 0, column 2 is 1e+39, outside the float32 range"},
		{"float64 overflow", "application/json", []byte(`{"inputs": [[1, 2, 1e400, 4]]}`), 400, "non_finite", "the JSON number 1e400 at byte 19 is outside the float32 range; send finite float32 values"},
		{"float64 negative overflow", "application/json", []byte(`{"inputs": [[1, 2], [-1e309, 4]]}`), 400, "non_finite", "the JSON number -1e309 at byte 21 is outside the float32 range"},
		{"empty inputs", "application/json", []byte(`{"inputs": []}`), 400, "empty_batch", "at least one row"},
		{"missing inputs", "", []byte(`{}`), 400, "empty_batch", `no "inputs" field`},
		{"malformed npy", mediaNPY, []byte("\x93NUMPY\x01\x00garbage"), 400, "malformed_npy", "invalid NPY"},
		{"npy trailing bytes", mediaNPY, append(npyBody(t, []float32{1, 2, 3, 4}, 1), 0), 400, "malformed_npy", "invalid NPY body: 1 byte follows the array data; send one array"},
		{"npy two trailing bytes", mediaNPY, append(npyBody(t, []float32{1, 2, 3, 4}, 1), 0, 0), 400, "malformed_npy", "invalid NPY body: 2 bytes follow the array data; send one array"},
		{"npy nan", mediaNPY, npyBody(t, []float32{1, 2, 3, 4, 5, 6, nan, 8}, 2), 400, "non_finite", "input row 1, column 2 is NaN (counting from 0)"},
		{"npy inf", mediaNPY, f64.Bytes(), 400, "non_finite", "input row 0, column 3 is +Inf"},
		{"npy one-dimensional", mediaNPY, oneD.Bytes(), 400, "bad_shape", "shape [4]"},
		{"npy wrong columns", mediaNPY, npyBody(t, []float32{1, 2, 3, 4, 5, 6}, 2), 400, "input_size", "3 values per row, but the model expects 4"},
		{"npy one column", mediaNPY, npyBody(t, []float32{1, 2}, 2), 400, "input_size", "the NPY array has 1 value per row, but the model expects 4"},
		{"npy empty body", mediaNPY, []byte{}, 400, "malformed_npy", "invalid NPY"},
		{"npy without content type", "", npyBody(t, []float32{1, 2, 3, 4}, 1), 400, "malformed_json", "invalid JSON body: the body is an NPY array, which needs the header Content-Type: application/x-npy; send it with that header"},
		{"npy labelled json", "application/json", npyBody(t, []float32{1, 2, 3, 4}, 1), 400, "malformed_json", "the body is an NPY array"},
		{"unsupported media type", "text/csv", []byte("1,2,3,4"), 415, "unsupported_media_type", `"text/csv"`},
		{"body over limit", "application/json", []byte(`{"inputs": [[` + strings.Repeat("1,", 3000) + `1]]}`), 413, "body_too_large", "limit of 4096 bytes"},
		{"too many inputs", mediaNPY, npyBody(t, make([]float32, 4*51), 51), 413, "too_many_inputs", "51 input rows"},
	}
	for _, c := range cases {
		for _, endpoint := range []string{"/v1/embed", "/v1/score"} {
			t.Run(c.name+endpoint, func(t *testing.T) {
				r := post(t, ts.URL+endpoint, c.contentType, "", c.body)
				require.Equal(t, c.status, r.status, "body: %s", r.body)
				e := decodeError(t, r.body)
				assert.Equal(t, c.kind, e.Kind)
				assert.Contains(t, e.Error, c.message)
				assert.NotEmpty(t, r.header.Get("X-Request-Id"))
			})
		}
	}

	// A chunked body has no Content-Length, so the limit applies while
	// reading.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/embed", io.MultiReader(strings.NewReader(`{"inputs": [[`+strings.Repeat("1,", 3000)+`1]]}`)))
	require.NoError(t, err)
	r := do(t, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "body: %s", r.body)
	assert.Equal(t, "body_too_large", decodeError(t, r.body).Kind)

	// An empty NPY array of the right width is an empty batch.
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", npyEmpty(t, 4))
	require.Equal(t, http.StatusBadRequest, r.status, "body: %s", r.body)
	assert.Equal(t, "empty_batch", decodeError(t, r.body).Kind)

	// The server still serves good requests after all of the above.
	x := []float32{1, 2, 3, 4}
	r = post(t, ts.URL+"/v1/embed", "application/json", "", jsonBody(x, 1))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, directEmbed(t, path, x, 1), decodeEmbeddings(t, r.body))
}

// An empty JSON body read "invalid JSON body: EOF", a cut-off one
// "unexpected EOF", and a NaN or infinity, which Python's json.dumps
// writes for missing values, "invalid character 'N' looking for beginning
// of value". Each now says what is wrong with the body.
func TestJSONBodyErrorMessages(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{})
	const nonNumber = " is not a JSON number, because JSON has none for NaN or infinity (Python's json.dumps writes them all the same); send finite float32 values"
	cases := []struct{ name, body, message string }{
		{"empty", ``, `invalid JSON body: the request body is empty; send {"inputs": [[...], ...]}`},
		{"blank", " \n", `invalid JSON body: the request body is empty; send {"inputs": [[...], ...]}`},
		{"cut off", `{"inputs": [[1, 2,`, `invalid JSON body: the body ends after 18 bytes, before its JSON value is complete; send the whole object {"inputs": [[...], ...]}`},
		{"cut-off array", `[[1, 2`, `invalid JSON body: the body ends after 6 bytes, before its JSON value is complete; send the whole object {"inputs": [[...], ...]}`},
		{"NaN", `{"inputs": [[1, NaN, 3, 4]]}`, "invalid JSON body: NaN at byte 16" + nonNumber},
		{"Infinity", `{"inputs": [[Infinity, 2, 3, 4]]}`, "invalid JSON body: Infinity at byte 13" + nonNumber},
		{"-Infinity", `{"inputs": [[1, 2, 3, -Infinity]]}`, "invalid JSON body: -Infinity at byte 22" + nonNumber},
		{"nan", `{"inputs": [[1, 2, nan, 4]]}`, "invalid JSON body: nan at byte 19" + nonNumber},
		{"other word", `{"inputs": [[1, 2, none, 4]]}`, "invalid JSON body: invalid character 'o' in literal null (expecting 'u')"},
	}
	for _, c := range cases {
		r := post(t, ts.URL+"/v1/embed", "application/json", "", []byte(c.body))
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", c.name, r.body)
		e := decodeError(t, r.body)
		assert.Equal(t, "malformed_json", e.Kind, c.name)
		assert.True(t, strings.HasPrefix(e.Error, c.message), "%s: %q does not start with %q", c.name, e.Error, c.message)
	}
}

// The Accept header chose NPY whenever it listed application/x-npy, even
// with q=0, which marks a type as not acceptable, or with a lower quality
// than application/json. The response now follows the qualities, with
// */* and a missing header giving JSON as before.
func TestAcceptQualities(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{})
	x := []float32{1, 2, 3, 4}
	for _, c := range []struct {
		accept string
		want   string
	}{
		{"", mediaJSON},
		{"*/*", mediaJSON},
		{mediaNPY, mediaNPY},
		{"application/json, application/x-npy", mediaNPY},
		{"application/x-npy, */*", mediaNPY},
		{"application/x-npy;q=0.9, */*;q=0.1", mediaNPY},
		{"Application/X-NPY", mediaNPY},
		{"application/x-npy;q=0", mediaJSON},
		{"application/x-npy;q=0.5, application/json", mediaJSON},
		{"application/x-npy; q=0.5, application/*", mediaJSON},
		{"application/x-npy;q=0.5, */*;q=0.1, application/json;q=0.9", mediaJSON},
		{"application/x-npy;q=bad", mediaJSON},
	} {
		r := post(t, ts.URL+"/v1/embed", "application/json", c.accept, jsonBody(x, 1))
		require.Equal(t, http.StatusOK, r.status, "Accept %q: %s", c.accept, r.body)
		assert.Equal(t, c.want, r.header.Get("Content-Type"), "Accept %q", c.accept)
	}
	// Two Accept lines count as one list.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/score", bytes.NewReader(jsonBody(x, 1)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Accept", "application/json;q=0.2")
	req.Header.Add("Accept", "application/x-npy")
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, mediaNPY, r.header.Get("Content-Type"))
}

// NPY errors used to start with the reader's package name ("invalid NPY
// body: tensor: npy: ..."), and an empty body was called an empty or
// truncated file.
func TestNPYBodyErrorMessages(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{})
	// An NPY version 1.0 file of Python objects: the header, padded with
	// spaces and a newline to 128 bytes in all, and no data.
	header := "{'descr': '|O', 'fortran_order': False, 'shape': (1, 4), }"
	header += strings.Repeat(" ", 128-10-len(header)-1) + "\n"
	objects := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), 0)
	objects = append(objects, header...)
	cases := []struct {
		name, kind, message string
		body                []byte
	}{
		{"empty", "malformed_npy", "invalid NPY body: the request body is empty; send a 2-D array of shape (N, 4)", nil},
		{"garbage", "malformed_npy", "invalid NPY body: npy: invalid format: ", []byte("\x93NUMPY\x01\x00garbage")},
		{"objects", "unsupported_npy", "npy: unsupported: dtype \"|O\"", objects},
	}
	for _, c := range cases {
		r := post(t, ts.URL+"/v1/embed", mediaNPY, "", c.body)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", c.name, r.body)
		e := decodeError(t, r.body)
		assert.Equal(t, c.kind, e.Kind, c.name)
		assert.True(t, strings.HasPrefix(e.Error, c.message), "%s: %q does not start with %q", c.name, e.Error, c.message)
		assert.NotContains(t, e.Error, "tensor:", c.name)
	}
	// The advice after an unsupported array named only 2-D float32 and
	// float64 arrays, though the server reads every numeric dtype and
	// arrays of more dimensions.
	r := post(t, ts.URL+"/v1/embed", mediaNPY, "", objects)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.True(t, strings.HasSuffix(decodeError(t, r.body).Error,
		"such as class names, to number them from 0. The server reads NPY versions 1.0 to 3.0 of float, integer or bool dtypes, with one input of 4 values per index of the first dimension"), "%s", r.body)

	// The advice for strings ended in "0, 1, 2, ...", to which the server
	// added ". The server reads", giving "....".
	header = "{'descr': '<U3', 'fortran_order': False, 'shape': (1, 4), }"
	header += strings.Repeat(" ", 128-10-len(header)-1) + "\n"
	texts := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), 0)
	texts = append(texts, header...)
	r = post(t, ts.URL+"/v1/embed", mediaNPY, "", texts)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	message := decodeError(t, r.body).Error
	assert.Contains(t, message, `dtype "<U3", an array of strings`)
	assert.NotContains(t, message, "..")
}

// A compressed body used to be parsed as JSON and rejected with 400, and
// the decoder took "Inputs" or "INPUTS" for "inputs".
func TestCompressedBodyAndKeyCase(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{})
	x := []float32{1, 2, 3, 4}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(jsonBody(x, 1))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	for _, endpoint := range []string{"/v1/embed", "/v1/score"} {
		for _, encoding := range []string{"gzip", "br", "identity, gzip"} {
			req, err := http.NewRequest(http.MethodPost, ts.URL+endpoint, bytes.NewReader(gz.Bytes()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", encoding)
			r := do(t, req)
			require.Equal(t, http.StatusUnsupportedMediaType, r.status, "%s %s: %s", endpoint, encoding, r.body)
			e := decodeError(t, r.body)
			assert.Equal(t, "unsupported_content_encoding", e.Kind)
			assert.Equal(t, fmt.Sprintf("unsupported Content-Encoding %q; the server reads only uncompressed bodies, so send the body uncompressed and without a Content-Encoding header", encoding), e.Error)
			assert.Equal(t, "identity", r.header.Get("Accept-Encoding"))
		}

		for _, key := range []string{"Inputs", "INPUTS", "inpuTs"} {
			body := []byte(`{"` + key + `": [[1, 2, 3, 4]]}`)
			r := post(t, ts.URL+endpoint, "application/json", "", body)
			require.Equal(t, http.StatusBadRequest, r.status, "%s %s: %s", endpoint, key, r.body)
			e := decodeError(t, r.body)
			assert.Equal(t, "malformed_json", e.Kind)
			assert.Equal(t, `invalid JSON body: unknown field "`+key+`"; field names are case-sensitive, so send {"inputs": [[...], ...]}`, e.Error)
		}
		// A second key that differs only in case is rejected too, although
		// encoding/json would take its value.
		r := post(t, ts.URL+endpoint, "application/json", "", []byte(`{"inputs": [[1, 2, 3, 4]], "INPUTS": [[4, 3, 2, 1]]}`))
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", endpoint, r.body)
		assert.Contains(t, decodeError(t, r.body).Error, `unknown field "INPUTS"`)
		// The 415 of an unknown media type does not carry Accept-Encoding.
		r = post(t, ts.URL+endpoint, "text/csv", "", []byte("1,2,3,4"))
		require.Equal(t, http.StatusUnsupportedMediaType, r.status, "%s: %s", endpoint, r.body)
		assert.Empty(t, r.header.Get("Accept-Encoding"))
	}

	// identity is no compression, and an escaped but exact key is valid.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/embed", bytes.NewReader(jsonBody(x, 1)))
	require.NoError(t, err)
	req.Header.Set("Content-Encoding", "identity")
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, directEmbed(t, path, x, 1), decodeEmbeddings(t, r.body))
	r = post(t, ts.URL+"/v1/embed", "application/json", "", []byte(`{"\u0069nputs": [[1, 2, 3, 4]]}`))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, directEmbed(t, path, x, 1), decodeEmbeddings(t, r.body))
}

func npyEmpty(t testing.TB, cols int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, tensor.WriteNPY64(&buf, nil, []int{0, cols}))
	return buf.Bytes()
}

func TestWrongMethodAndPath(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	_, ts := newTestServer(t, path, Config{})
	cases := []struct {
		method, path string
		status       int
		kind, allow  string
	}{
		{http.MethodGet, "/v1/embed", 405, "method_not_allowed", "POST"},
		{http.MethodPut, "/v1/score", 405, "method_not_allowed", "POST"},
		{http.MethodPost, "/v1/model", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodDelete, "/healthz", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodPost, "/metrics", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodGet, "/v2/embed", 404, "not_found", ""},
	}
	for _, c := range cases {
		t.Run(c.method+c.path, func(t *testing.T) {
			req, err := http.NewRequest(c.method, ts.URL+c.path, nil)
			require.NoError(t, err)
			r := do(t, req)
			require.Equal(t, c.status, r.status, "body: %s", r.body)
			assert.Equal(t, c.kind, decodeError(t, r.body).Kind)
			assert.Equal(t, c.allow, r.header.Get("Allow"))
		})
	}
}

func TestModelHealthAndMetrics(t *testing.T) {
	path := tinyModel(t, "uniform", 6, 3, 8)
	_, ts := newTestServer(t, path, Config{MaxBatch: 8})
	sum, err := fileSHA256(path)
	require.NoError(t, err)

	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusOK, r.status)
	var info map[string]any
	require.NoError(t, json.Unmarshal(r.body, &info))
	assert.Equal(t, "uniform", info["prior"])
	assert.Equal(t, 3.0, info["dim"])
	assert.Equal(t, 0.1, info["noise_level"])
	assert.Equal(t, "norm", info["method"], "the score of /v1/score without UseKNN")
	assert.Equal(t, []any{6.0}, info["input_shape"])
	assert.Equal(t, 6.0, info["input_size"])
	assert.Equal(t, sum, info["checkpoint_sha256"])
	assert.Len(t, sum, 64)
	assert.Equal(t, 8.0, info["max_batch"])
	assert.NotContains(t, info, "input_range", "an untrained model has no training inputs")
	assert.NotContains(t, info, "classes", "a model of feature vectors has no class names")

	r = do(t, mustRequest(t, http.MethodGet, ts.URL+"/healthz"))
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"ok"}`, string(r.body))

	x := randomRows(5, 3, 6)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embed", "", "", jsonBody(x, 3)).status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/score", "", "", jsonBody(x[:12], 2)).status)
	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/v1/embed", "", "", []byte("{")).status)

	r = do(t, mustRequest(t, http.MethodGet, ts.URL+"/metrics"))
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", r.header.Get("Content-Type"))
	text := string(r.body)
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_http_requests_total{endpoint="/v1/embed",code="200"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_http_requests_total{endpoint="/v1/embed",code="400"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_http_requests_total{endpoint="/v1/score",code="200"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_http_requests_total{endpoint="/v1/model",code="200"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_errors_total{kind="malformed_json"}`))
	assert.Equal(t, 3.0, metricValue(t, text, `nidim_inputs_total{endpoint="/v1/embed"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_inputs_total{endpoint="/v1/score"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_batch_size_count`))
	assert.Equal(t, 5.0, metricValue(t, text, `nidim_batch_size_sum`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_batch_size_bucket{le="2"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_batch_size_bucket{le="4"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_batch_size_bucket{le="+Inf"}`))
	assert.Equal(t, 0.0, metricValue(t, text, `nidim_queue_length`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_request_duration_seconds_count{endpoint="/v1/embed"}`))
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_request_duration_seconds_bucket{endpoint="/v1/embed",le="+Inf"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_score_duration_seconds_count`), "one /v1/score request scored")
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_score_duration_seconds_bucket{le="+Inf"}`))
	assert.Contains(t, text, "# TYPE nidim_request_duration_seconds histogram\n")
	assert.Contains(t, text, "# TYPE nidim_score_duration_seconds histogram\n")
	assert.Contains(t, text, "# TYPE nidim_queue_length gauge\n")
	checkExposition(t, text)
}

// A model trained without channel noise stores the sigma that set its
// initial temperature, and /v1/model reported it as the noise level,
// while train and eval --json give 0 there.
func TestModelInfoWithoutNoise(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden, cfg.NoiseViews = 2, 8, 0
	m, err := dim.NewModel(cfg, []int{6})
	require.NoError(t, err)
	require.NotZero(t, m.Config.Sigma)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	require.NoError(t, m.Save(path))
	_, ts := newTestServer(t, path, Config{MaxBatch: 8})

	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusOK, r.status)
	var info map[string]any
	require.NoError(t, json.Unmarshal(r.body, &info))
	assert.Equal(t, 0.0, info["noise_level"])
}

func mustRequest(t testing.TB, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}

// metricValue returns the value of the series whose name and labels are
// exactly series.
func metricValue(t testing.TB, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			require.NoError(t, err, "line %q", line)
			return v
		}
	}
	t.Fatalf("no series %s in:\n%s", series, text)
	return 0
}

// checkExposition checks the line syntax of the text format: comments are
// HELP or TYPE, and every sample of a metric follows its TYPE line.
func checkExposition(t testing.TB, text string) {
	t.Helper()
	typed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			f := strings.Fields(line)
			require.GreaterOrEqual(t, len(f), 4, "comment line %q", line)
			require.Contains(t, []string{"HELP", "TYPE"}, f[1], "comment line %q", line)
			if f[1] == "TYPE" {
				typed[f[2]] = f[3]
			}
			continue
		}
		name, _, _ := strings.Cut(strings.Fields(line)[0], "{")
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && typed[b] == "histogram" {
				base = b
			}
		}
		assert.Contains(t, typed, base, "sample line %q has no TYPE", line)
	}
}

func TestConfigDefaultsAndInvalid(t *testing.T) {
	fm := &fakeModel{size: 2, dim: 1}
	s, err := New(fm, Config{MaxBatch: 8})
	require.NoError(t, err)
	defer s.Close()
	cfg := s.Config()
	assert.Equal(t, 8, cfg.MaxBatch)
	assert.Equal(t, 128, cfg.MaxQueue)
	assert.Equal(t, int64(DefaultMaxBody), cfg.MaxBody)
	assert.Equal(t, DefaultTimeout, cfg.Timeout)

	cases := []struct {
		cfg     Config
		message string
	}{
		{Config{MaxBatch: -1}, "max batch -1 is invalid"},
		{Config{MaxQueue: -2}, "max queue -2 is invalid"},
		{Config{MaxWait: -time.Second}, "max wait -1s is invalid"},
		{Config{MaxBody: -3}, "max body -3 is invalid"},
		{Config{Timeout: -time.Second}, "timeout -1s is invalid"},
	}
	for _, c := range cases {
		_, err := New(fm, c.cfg)
		assert.ErrorContains(t, err, c.message)
	}
	_, err = New(&fakeModel{size: 0, dim: 1}, Config{})
	assert.ErrorContains(t, err, "input size 0 and dimension 1")
}

func TestErrorLogRateLimited(t *testing.T) {
	var logs bytes.Buffer
	l := newLogLimiter(slog.New(slog.NewTextHandler(&logs, nil)), 3)
	for i := range 10 {
		l.log(slog.LevelWarn, "request rejected", "n", i)
	}
	assert.Equal(t, 3, strings.Count(logs.String(), "request rejected"))
	l.mu.Lock()
	l.window = l.window.Add(-2 * time.Second)
	l.mu.Unlock()
	l.log(slog.LevelWarn, "request rejected", "n", 10)
	assert.Contains(t, logs.String(), "error log lines suppressed")
	assert.Contains(t, logs.String(), "count=7")
	assert.Equal(t, 4, strings.Count(logs.String(), "request rejected"))
}

// Verified reports whether the checkpoint's checksum was checked, so that
// nidim serve can warn about a file that an older nidim wrote.
func TestDimModelVerified(t *testing.T) {
	path := tinyModel(t, "gaussian", 4, 2, 8)
	m, err := LoadDimModel(path)
	require.NoError(t, err)
	assert.True(t, m.Verified())

	ck, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	require.Contains(t, ck.Metadata, "nidim.sha256")
	delete(ck.Metadata, "nidim.sha256")
	var tensors []nn.NamedTensor
	for name, tensor := range ck.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, ck.Metadata))
	m, err = LoadDimModel(path)
	require.NoError(t, err)
	assert.False(t, m.Verified())
}

func TestBodyTooLargeCounts(t *testing.T) {
	assert.Equal(t, "the request body is over the limit of 1 byte; split the inputs into smaller requests", bodyTooLarge(-1, 1, false).msg)
	assert.Equal(t, "the request body has 2 bytes, over the limit of 1 byte; split the inputs into smaller requests", bodyTooLarge(2, 1, false).msg)
	assert.Equal(t, "the request body has 5000 bytes, over the limit of 4096 bytes; split the inputs into smaller requests", bodyTooLarge(5000, 4096, false).msg)
}

// GET /v1/model lists the class names of a model trained on a directory
// of images, in label order.
func TestModelInfoClasses(t *testing.T) {
	path := tinyModel(t, "gaussian", 6, 2, 8)
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	m.Classes = []string{"cat", "dog"}
	_, ts := startServer(t, NewDimModel(m, path, ""), Config{MaxBatch: 8})

	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusOK, r.status)
	var info map[string]any
	require.NoError(t, json.Unmarshal(r.body, &info))
	assert.Equal(t, []any{"cat", "dog"}, info["classes"])
}

// A request whose inputs look like another scale than the training inputs
// gets its embeddings, and a warning in the log with both ranges. GET
// /v1/model gives the training range to check against.
func TestServeLogsOtherScale(t *testing.T) {
	path := tinyModel(t, "gaussian", 6, 2, 8)
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	m.Inputs = &dim.ValueRange{Min: 0, Max: 1}
	var logs bytes.Buffer
	_, ts := startServer(t, NewDimModel(m, path, ""), Config{MaxBatch: 8, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusOK, r.status)
	var info map[string]any
	require.NoError(t, json.Unmarshal(r.body, &info))
	assert.Equal(t, []any{0.0, 1.0}, info["input_range"])

	x := randomRows(6, 4, 6)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embed", "", "", jsonBody(x, 4)).status)
	assert.Empty(t, logs.String())
	for i := range x {
		x[i] *= 255
	}
	r = post(t, ts.URL+"/v1/score", "", "", jsonBody(x, 4))
	require.Equal(t, http.StatusOK, r.status)
	got := dim.RangeOf(x).String()
	metrics := do(t, mustRequest(t, http.MethodGet, ts.URL+"/metrics"))
	assert.Equal(t, 1.0, metricValue(t, string(metrics.body), "nidim_other_scale_requests_total"), "the second request only")
	assert.Contains(t, logs.String(), `level=WARN msg="inputs on another scale than the training inputs; rescale them to the training range" request_id=`+r.header.Get("X-Request-Id")+` inputs_range="`+got+`" training_range="[0, 1]"`)
}

// A body still arriving when the shutdown closes the connections used to
// count as the client's 400 read_body. After CutOff it is a 503 shutdown,
// and CutOff counts the request.
func TestCutOffRequestIsShutdown(t *testing.T) {
	path := tinyModel(t, "gaussian", 6, 2, 8)
	logs := &lockedBuffer{}
	s, ts := newTestServer(t, path, Config{MaxBatch: 8, Logger: slog.New(slog.NewTextHandler(logs, nil))})

	body, send := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/embed", body)
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	_, err := send.Write([]byte(`{"inputs": [[0.1, 0.2`))
	require.NoError(t, err)
	// The handler is reading the body once the request counts as in flight.
	require.Eventually(t, func() bool { return s.batcher.inflight.Load() == 1 }, 5*time.Second, time.Millisecond)

	assert.Equal(t, 1, s.CutOff())
	ts.CloseClientConnections()
	send.CloseWithError(io.ErrClosedPipe)
	<-done
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "kind=shutdown") }, 5*time.Second, time.Millisecond)
	assert.Contains(t, logs.String(), "status=503")
	assert.NotContains(t, logs.String(), "read_body")
}

// lockedBuffer is a bytes.Buffer that the server's handlers may write
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// After UseKNN, POST /v1/score returns the kNN score and conformal
// p-value of each row's embedding, a non-finite embedding gets 422 as
// for the norm score, and GET /v1/model describes the scorer.
func TestScoreKNN(t *testing.T) {
	path := tinyModel(t, "gaussian", 12, 4, 16)
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	ref, err := m.Embed(&tensor.Tensor{Shape: []int{200, 12}, Data: randomRows(4, 200, 12)}, 1000)
	require.NoError(t, err)
	cal, err := m.Embed(&tensor.Tensor{Shape: []int{40, 12}, Data: randomRows(5, 40, 12)}, 1000)
	require.NoError(t, err)
	scorer, err := dim.NewKNNScorer(ref, cal, 3, dim.MetricEuclidean)
	require.NoError(t, err)
	model := NewDimModel(m, path, "")
	model.UseKNN(scorer, "train.npy")
	_, ts := startServer(t, model, Config{MaxBatch: 4})

	x := randomRows(6, 9, 12)
	z := directEmbed(t, path, x, 9)
	wantScores, wantP, err := scorer.Score(&tensor.Tensor{Shape: []int{9, 4}, Data: z})
	require.NoError(t, err)
	r := post(t, ts.URL+"/v1/score", "application/json", "", jsonBody(x, 9))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var got struct {
		PValues []float64 `json:"p_values"`
		Scores  []float64 `json:"scores"`
	}
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, wantScores, got.Scores)
	assert.Equal(t, wantP, got.PValues)
	normScores, _, err := OutlierScores("gaussian", z, 9, 4)
	require.NoError(t, err)
	assert.NotEqual(t, normScores, got.Scores, "the norm score was served")

	r = do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusOK, r.status)
	var info map[string]any
	require.NoError(t, json.Unmarshal(r.body, &info))
	assert.Equal(t, "knn", info["method"])
	assert.Equal(t, map[string]any{"k": 3.0, "metric": "euclidean", "reference_n": 200.0, "calibration_n": 40.0, "train_data": "train.npy"}, info["knn"])

	// Score of a NaN embedding, as an encoder that overflows gives.
	_, _, err = model.Score([]float32{0, 1, 2, 3, float32(math.NaN()), 0, 0, 0}, 2)
	var rowErr *rowError
	require.ErrorAs(t, err, &rowErr)
	assert.Equal(t, 1, rowErr.row)
}
