package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeModel embeds a row as its first Dim values plus offset, and can hold
// every Embed call until hold is closed.
type fakeModel struct {
	size, dim int
	offset    float32
	hold      chan struct{} // nil: do not wait
	entered   chan int      // receives n when Embed starts, if not nil
	panicOn   float32       // a first value that makes Embed panic
	calls     atomic.Int32
}

func (f *fakeModel) InputSize() int       { return f.size }
func (f *fakeModel) Dim() int             { return f.dim }
func (f *fakeModel) Prior() string        { return "gaussian" }
func (f *fakeModel) Info() map[string]any { return map[string]any{"prior": "gaussian"} }

func (f *fakeModel) Embed(rows []float32, n int) ([]float32, error) {
	f.calls.Add(1)
	if f.entered != nil {
		f.entered <- n
	}
	if f.hold != nil {
		<-f.hold
	}
	out := make([]float32, n*f.dim)
	for i := range n {
		if f.panicOn != 0 && rows[i*f.size] == f.panicOn {
			panic("fake model: poisoned row")
		}
		for k := range f.dim {
			out[i*f.dim+k] = rows[i*f.size+k] + f.offset
		}
	}
	return out, nil
}

func (f *fakeModel) Score(emb []float32, n int) ([]float64, []float64, error) {
	return OutlierScores("gaussian", emb, n, f.dim)
}

// TestEmbedRowIndependent checks that the row of an embedding does not
// depend on the other rows of the batch, its position or the thread
// count, for an MLP of MNIST's input size and a small CNN.
func TestEmbedRowIndependent(t *testing.T) {
	defer tensor.SetThreads(0)
	defer nn.SetThreads(0)
	for _, c := range []struct {
		encoder string
		input   []int
		rows    int
	}{
		{"mlp", []int{784}, 70},
		{"cnn", []int{1, 8, 8}, 40},
	} {
		cfg := dim.DefaultConfig()
		cfg.Encoder, cfg.Dim, cfg.Hidden = c.encoder, 16, 64
		m, err := dim.NewModel(cfg, c.input)
		require.NoError(t, err)
		size := m.Encoder.InputSize()
		x := randomRows(9, c.rows, size)

		tensor.SetThreads(1)
		nn.SetThreads(1)
		whole, err := m.Encoder.Embed(&tensor.Tensor{Shape: []int{c.rows, size}, Data: x}, 1000)
		require.NoError(t, err)
		want := whole.Data

		for _, threads := range []int{1, 2, 3} {
			tensor.SetThreads(threads)
			nn.SetThreads(threads)
			for _, batch := range []int{1, 3, 8, 33, 64} {
				t.Run(fmt.Sprintf("%s/threads%d/batch%d", c.encoder, threads, batch), func(t *testing.T) {
					z, err := m.Encoder.Embed(&tensor.Tensor{Shape: []int{c.rows, size}, Data: x}, batch)
					require.NoError(t, err)
					requireBitsEqual(t, want, z.Data)
				})
			}
		}
	}
}

func TestOutlierScoresKnownValues(t *testing.T) {
	// For d = 2 the chi-square survival function is exp(-s/2).
	emb := []float32{0, 0, 3, 4, 1, -1}
	scores, p, err := OutlierScores("gaussian", emb, 3, 2)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 25, 2}, scores)
	for i, s := range scores {
		assert.InDelta(t, math.Exp(-s/2), p[i], 1e-15*math.Max(1, math.Exp(-s/2)), "row %d", i)
	}

	// The uniform prior maps 0.5 to 0 and Phi(1) to 1.
	u := []float32{0.5, float32(stats.NormalCDF(1)), 0.5}
	scores, p, err = OutlierScores("uniform", u, 1, 3)
	require.NoError(t, err)
	assert.InDelta(t, 1, scores[0], 1e-6)
	assert.InDelta(t, stats.ChiSquareSurvival(scores[0], 3), p[0], 1e-15)

	// Saturated components give finite scores beyond every unsaturated one.
	sat := []float32{1, 0, 0.5}
	scores, _, err = OutlierScores("uniform", sat, 1, 3)
	require.NoError(t, err)
	top := stats.NormalQuantile(1 - 0x1p-24)
	assert.False(t, math.IsInf(scores[0], 0))
	assert.Greater(t, scores[0], 2*top*top)
}

func TestOutlierScoresInvalid(t *testing.T) {
	_, _, err := OutlierScores("gaussian", []float32{1, 2, 3}, 2, 2)
	assert.ErrorContains(t, err, "3 values do not form 2 embeddings of dimension 2")
	_, _, err = OutlierScores("cauchy", []float32{1, 2}, 1, 2)
	assert.ErrorContains(t, err, `unknown prior "cauchy"`)
	_, _, err = OutlierScores("gaussian", []float32{1, float32(math.Inf(1))}, 1, 2)
	assert.ErrorContains(t, err, "embedding 0 has the non-finite component 1")
	_, _, err = OutlierScores("uniform", []float32{0.5, 1.5}, 1, 2)
	assert.ErrorContains(t, err, "outside the support of the uniform prior")
}

// TestQueueFloodRejects holds the model, floods the server with more rows
// than the queue takes and checks that the excess gets 503 and the queue
// never holds more than its limit.
func TestQueueFloodRejects(t *testing.T) {
	fm := &fakeModel{size: 3, dim: 2, hold: make(chan struct{}), entered: make(chan int, 100)}
	s, ts := startServer(t, fm, Config{MaxBatch: 4, MaxQueue: 10})

	// The first request occupies the model, so the rest queue behind it.
	first := make(chan response, 1)
	go func() { first <- post(t, ts.URL+"/v1/embed", "", "", jsonBody([]float32{1, 2, 3}, 1)) }()
	<-fm.entered

	const clients = 30
	results := make([]response, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[c] = post(t, ts.URL+"/v1/embed", "", "", jsonBody([]float32{float32(c), 0, 0}, 1))
		}()
	}
	// Wait until every client is either queued or rejected.
	require.Eventually(t, func() bool {
		rows, _ := s.batcher.queue()
		return rows+int(rejected(s)) == clients
	}, 10*time.Second, time.Millisecond)
	close(fm.hold)
	wg.Wait()
	require.Equal(t, http.StatusOK, (<-first).status)

	ok, full := 0, 0
	for c, r := range results {
		switch r.status {
		case http.StatusOK:
			ok++
			requireBitsEqual(t, []float32{float32(c), 0}, decodeEmbeddings(t, r.body))
		case http.StatusServiceUnavailable:
			full++
			assert.Equal(t, "queue_full", decodeError(t, r.body).Kind)
			assert.Equal(t, "1", r.header.Get("Retry-After"))
		default:
			t.Errorf("client %d: status %d, body %s", c, r.status, r.body)
		}
	}
	assert.Equal(t, 10, ok, "the queue holds 10 rows")
	assert.Equal(t, clients-10, full)
	assert.Equal(t, 10, s.QueueHighWater())
}

func rejected(s *Server) uint64 {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	return s.metrics.errors["queue_full"]
}

// TestLargeRequestSplitAcrossBatches sends more rows than one batch holds.
func TestLargeRequestSplitAcrossBatches(t *testing.T) {
	fm := &fakeModel{size: 2, dim: 2, offset: 0.5}
	s, ts := startServer(t, fm, Config{MaxBatch: 4})
	x := make([]float32, 2*11)
	for i := range x {
		x[i] = float32(i)
	}
	r := post(t, ts.URL+"/v1/embed", "", "", jsonBody(x, 11))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = v + 0.5
	}
	requireBitsEqual(t, want, decodeEmbeddings(t, r.body))
	assert.Equal(t, int32(3), fm.calls.Load(), "11 rows in batches of at most 4")
	_ = s
}

func TestModelPanicIsInternalError(t *testing.T) {
	fm := &fakeModel{size: 2, dim: 1, panicOn: 13}
	_, ts := startServer(t, fm, Config{})
	r := post(t, ts.URL+"/v1/embed", "", "", jsonBody([]float32{13, 0}, 1))
	require.Equal(t, http.StatusInternalServerError, r.status)
	e := decodeError(t, r.body)
	assert.Equal(t, "internal", e.Kind)
	assert.Contains(t, e.Error, "poisoned row")

	r = post(t, ts.URL+"/v1/embed", "", "", jsonBody([]float32{2, 0}, 1))
	require.Equal(t, http.StatusOK, r.status, "the server keeps serving after a panic")
	requireBitsEqual(t, []float32{2}, decodeEmbeddings(t, r.body))
}

func TestNonFiniteOutput(t *testing.T) {
	fm := &fakeModel{size: 2, dim: 2, offset: 1e38}
	_, ts := startServer(t, fm, Config{})
	for _, endpoint := range []string{"/v1/embed", "/v1/score"} {
		r := post(t, ts.URL+endpoint, "", "", []byte(`{"inputs": [[1, 2], [3e38, 3e38]]}`))
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.body)
		e := decodeError(t, r.body)
		assert.Equal(t, "non_finite_output", e.Kind)
		assert.Contains(t, e.Error, "input row 1")
	}
}

func TestRequestTimeout(t *testing.T) {
	fm := &fakeModel{size: 1, dim: 1, hold: make(chan struct{})}
	_, ts := startServer(t, fm, Config{Timeout: 50 * time.Millisecond})
	defer close(fm.hold)
	r := post(t, ts.URL+"/v1/embed", "", "", []byte(`{"inputs": [[1]]}`))
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	e := decodeError(t, r.body)
	assert.Equal(t, "timeout", e.Kind)
	assert.Equal(t, "the inputs were not embedded within 50ms; retry later", e.Error)
}

// A request of more rows than one model call takes may time out however
// often it is retried, so the error message advises splitting it.
func TestRequestTimeoutManyRows(t *testing.T) {
	fm := &fakeModel{size: 1, dim: 1, hold: make(chan struct{})}
	_, ts := startServer(t, fm, Config{Timeout: 50 * time.Millisecond, MaxBatch: 2})
	defer close(fm.hold)
	r := post(t, ts.URL+"/v1/embed", "", "", []byte(`{"inputs": [[1], [2], [3]]}`))
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	e := decodeError(t, r.body)
	assert.Equal(t, "timeout", e.Kind)
	assert.Equal(t, "the 3 input rows were not embedded within 50ms; split them into requests of at most 2 rows, which one model call takes, or retry later", e.Error)
}

// TestCanceledJobSkipped checks that rows of a request whose client left
// before the batcher reached them are not embedded.
func TestCanceledJobSkipped(t *testing.T) {
	fm := &fakeModel{size: 1, dim: 1, hold: make(chan struct{}), entered: make(chan int, 10)}
	s, err := New(fm, Config{MaxBatch: 1})
	require.NoError(t, err)
	defer s.Close()

	blocker := newJob([]float32{1}, 1, 1)
	require.NoError(t, s.batcher.enqueue(blocker))
	<-fm.entered

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *apiError, 1)
	go func() {
		_, e := s.embed(ctx, []float32{2}, 1)
		done <- e
	}()
	require.Eventually(t, func() bool { rows, _ := s.batcher.queue(); return rows == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.Equal(t, "canceled", (<-done).kind)
	close(fm.hold)
	<-blocker.done
	require.Eventually(t, func() bool { rows, _ := s.batcher.queue(); return rows == 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int32(1), fm.calls.Load(), "the canceled row is not embedded")
}

// TestShutdownFinishesInFlight starts a request, shuts the HTTP server
// down while the model holds it, and checks that the request completes.
func TestShutdownFinishesInFlight(t *testing.T) {
	fm := &fakeModel{size: 2, dim: 2, hold: make(chan struct{}), entered: make(chan int, 1)}
	s, err := New(fm, Config{})
	require.NoError(t, err)
	hs := s.HTTPServer("127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	url := "http://" + ln.Addr().String()

	inFlight := make(chan response, 1)
	go func() { inFlight <- post(t, url+"/v1/embed", "", "", jsonBody([]float32{4, 5}, 1)) }()
	<-fm.entered

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- hs.Shutdown(ctx)
	}()
	// New connections are refused once the listener is closed.
	require.Eventually(t, func() bool {
		_, err := http.Get(url + "/healthz")
		return err != nil
	}, 5*time.Second, time.Millisecond)
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v before the in-flight request finished", err)
	default:
	}

	close(fm.hold)
	r := <-inFlight
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, []float32{4, 5}, decodeEmbeddings(t, r.body))
	require.NoError(t, <-shutdown)
	assert.True(t, errors.Is(<-served, http.ErrServerClosed))
	s.Close()

	_, e := s.embed(context.Background(), []float32{1, 2}, 1)
	require.NotNil(t, e)
	assert.Equal(t, "shutting_down", e.kind)
}

// TestLoneClientSkipsMaxWait checks that requests sent one after another
// complete although MaxWait is an hour: the batcher waits only for as many
// requests as were in flight together.
func TestLoneClientSkipsMaxWait(t *testing.T) {
	fm := &fakeModel{size: 1, dim: 1}
	_, ts := startServer(t, fm, Config{MaxWait: time.Hour})
	for i := range 5 {
		r := post(t, ts.URL+"/v1/embed", "", "", []byte(fmt.Sprintf(`{"inputs": [[%d]]}`, i)))
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		requireBitsEqual(t, []float32{float32(i)}, decodeEmbeddings(t, r.body))
	}
	assert.Equal(t, int32(5), fm.calls.Load())
}

// TestBatcherWaitsForConcurrentClients checks that after a burst of
// concurrent requests, the next request waits for others to join its
// batch instead of running alone.
func TestBatcherWaitsForConcurrentClients(t *testing.T) {
	fm := &fakeModel{size: 1, dim: 1, hold: make(chan struct{}), entered: make(chan int, 100)}
	s, ts := startServer(t, fm, Config{MaxWait: 10 * time.Second})
	send := func(v int, out chan<- response) {
		out <- post(t, ts.URL+"/v1/embed", "", "", []byte(fmt.Sprintf(`{"inputs": [[%d]]}`, v)))
	}

	// A burst: one request holds the model while three more queue.
	burst := make(chan response, 4)
	go send(0, burst)
	<-fm.entered
	for v := 1; v <= 3; v++ {
		go send(v, burst)
	}
	require.Eventually(t, func() bool { rows, _ := s.batcher.queue(); return rows == 3 }, 5*time.Second, time.Millisecond)
	close(fm.hold)
	for range 4 {
		require.Equal(t, http.StatusOK, (<-burst).status)
	}
	require.Equal(t, 3, <-fm.entered, "the three queued requests run together")

	// Four requests were in flight together, so the next request waits in
	// the queue until three others join it.
	later := make(chan response, 4)
	go send(10, later)
	require.Eventually(t, func() bool { rows, _ := s.batcher.queue(); return rows == 1 }, 5*time.Second, time.Millisecond)
	for v := 11; v <= 13; v++ {
		go send(v, later)
	}
	for range 4 {
		require.Equal(t, http.StatusOK, (<-later).status)
	}
	assert.Equal(t, 4, <-fm.entered, "the four later requests run together")
	assert.Equal(t, int32(3), fm.calls.Load())
}

// panicInfoModel panics in Info, a path that runs in the handler itself.
type panicInfoModel struct{ fakeModel }

func (*panicInfoModel) Info() map[string]any { panic("info unavailable") }

func TestHandlerPanicIsInternalError(t *testing.T) {
	_, ts := startServer(t, &panicInfoModel{fakeModel{size: 1, dim: 1}}, Config{})
	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/v1/model"))
	require.Equal(t, http.StatusInternalServerError, r.status)
	e := decodeError(t, r.body)
	assert.Equal(t, "internal", e.Kind)
	assert.Contains(t, e.Error, "info unavailable")
	assert.NotEmpty(t, r.header.Get("X-Request-Id"))

	r = do(t, mustRequest(t, http.MethodGet, ts.URL+"/healthz"))
	assert.Equal(t, http.StatusOK, r.status, "the server keeps serving after a handler panic")
}
