package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/require"
)

// tinyModel builds and saves an untrained MLP encoder for inputs of size
// in, with non-trivial normalization statistics, and returns the
// checkpoint path.
func tinyModel(t testing.TB, prior string, in, d, hidden int) string {
	t.Helper()
	cfg := dim.DefaultConfig()
	cfg.Prior, cfg.Dim, cfg.Hidden, cfg.Seed = prior, d, hidden, 7
	m, err := dim.NewModel(cfg, []int{in})
	require.NoError(t, err)
	for k := range d {
		m.Encoder.Norm.RunningMean.Value.Data[k] = 0.01 * float32(k)
		m.Encoder.Norm.RunningVar.Value.Data[k] = 0.05 + 0.01*float32(k)
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	require.NoError(t, m.Save(path))
	return path
}

// directEmbed embeds x the way "nidim embed" does, with a model loaded
// separately from the server's.
func directEmbed(t testing.TB, path string, x []float32, n int) []float32 {
	t.Helper()
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	z, err := m.Encoder.Embed(&tensor.Tensor{Shape: []int{n, m.Encoder.InputSize()}, Data: x}, 1000)
	require.NoError(t, err)
	return z.Data
}

func randomRows(seed uint64, n, size int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n*size)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	return x
}

// newTestServer serves the checkpoint at path with cfg on httptest.
func newTestServer(t testing.TB, path string, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	m, err := LoadDimModel(path)
	require.NoError(t, err)
	return startServer(t, m, cfg)
}

func startServer(t testing.TB, m Model, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(m, cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

func jsonBody(x []float32, n int) []byte {
	size := len(x) / max(n, 1)
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

func npyBody(t testing.TB, x []float32, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, tensor.WriteNPY(&buf, &tensor.Tensor{Shape: []int{n, len(x) / n}, Data: x}))
	return buf.Bytes()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func post(t testing.TB, url, contentType, accept string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func decodeEmbeddings(t testing.TB, body []byte) []float32 {
	t.Helper()
	var r struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	require.NoError(t, json.Unmarshal(body, &r), "body: %s", body)
	var out []float32
	for _, row := range r.Embeddings {
		out = append(out, row...)
	}
	return out
}

type errorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

func decodeError(t testing.TB, body []byte) errorBody {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal(body, &e), "body: %s", body)
	return e
}

// requireBitsEqual fails unless got and want hold the same float32 bits.
func requireBitsEqual(t testing.TB, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			t.Fatalf("value %d: got %v (%#x), want %v (%#x)", i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
