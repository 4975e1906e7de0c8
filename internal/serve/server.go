package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config contains the server settings. New fills zero values with the
// defaults below.
type Config struct {
	MaxBatch int // input rows per model call; default 64
	// MaxWait bounds the wait for a batch to fill after its first row. The
	// batch waits only for as many requests as were in flight together
	// during the previous batch; 0 takes what is queued.
	MaxWait  time.Duration
	MaxQueue int   // input rows waiting for the model; default 16 * MaxBatch
	MaxBody  int64 // request body bytes; default 16 MiB
	// MaxImagePixels bounds the width times height of an image body, read
	// from its header before the pixels are decoded; default 16777216.
	MaxImagePixels int64
	// Timeout bounds the time a request waits for its results, so that a
	// request the batcher cannot reach in time gets 503; default 30 s.
	Timeout     time.Duration
	LogRequests bool         // log every request, not only errors
	Logger      *slog.Logger // default: discard
}

// Defaults of Config.
const (
	DefaultMaxBatch = 64
	DefaultMaxBody  = 16 << 20
	// DefaultMaxImagePixels admits a 4096 x 4096 image, or a 12-megapixel
	// photo of 4000 x 3000.
	DefaultMaxImagePixels = 16 << 20
	DefaultTimeout        = 30 * time.Second
)

func (c *Config) setDefaults() error {
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = 16 * c.MaxBatch
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxImagePixels == 0 {
		c.MaxImagePixels = DefaultMaxImagePixels
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case c.MaxBatch < 1:
		return fmt.Errorf("serve: max batch %d is invalid; use 1 or more input rows", c.MaxBatch)
	case c.MaxQueue < 1:
		return fmt.Errorf("serve: max queue %d is invalid; use 1 or more input rows", c.MaxQueue)
	case c.MaxWait < 0:
		return fmt.Errorf("serve: max wait %v is invalid; use 0 or a positive duration", c.MaxWait)
	case c.MaxBody < 1:
		return fmt.Errorf("serve: max body %d is invalid; use 1 or more bytes", c.MaxBody)
	case c.MaxImagePixels < 1:
		return fmt.Errorf("serve: max image pixels %d is invalid; use 1 or more pixels", c.MaxImagePixels)
	case c.Timeout < 0:
		return fmt.Errorf("serve: timeout %v is invalid; use a positive duration", c.Timeout)
	}
	return nil
}

// Server serves the HTTP API for one model. Create it with New, serve
// Handler, and call Close after the HTTP server has shut down.
type Server struct {
	model   Model
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	batcher *batcher
	errLog  *logLimiter
	mux     *http.ServeMux
	// cuttingOff is set by CutOff, once the shutdown closes connections.
	cuttingOff atomic.Bool
}

// New starts the batcher for m.
func New(m Model, cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if m.InputSize() < 1 || m.Dim() < 1 {
		return nil, fmt.Errorf("serve: the model has input size %d and dimension %d; both must be positive", m.InputSize(), m.Dim())
	}
	s := &Server{model: m, cfg: cfg, log: cfg.Logger, metrics: newMetrics(cfg.MaxBatch)}
	s.errLog = newLogLimiter(s.log, 20)
	s.batcher = newBatcher(m, cfg.MaxBatch, cfg.MaxWait, cfg.MaxQueue, s.metrics)

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v1/embed", s.handleInputs(false))
	s.mux.HandleFunc("/v1/score", s.handleInputs(true))
	s.mux.HandleFunc("/v1/model", s.handleModel)
	s.mux.HandleFunc("/healthz", s.handleHealth)
	s.mux.HandleFunc("/metrics", s.handleMetrics)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &apiError{status: http.StatusNotFound, kind: "not_found",
			msg: fmt.Sprintf("no endpoint at %s; use /v1/embed, /v1/score, /v1/model, /healthz or /metrics", r.URL.Path)})
	})
	return s, nil
}

// Config returns the settings with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// HTTPServer returns an http.Server for addr with read, write and idle
// timeouts derived from the request timeout.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.Timeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// CutOff marks the requests still in flight as cut off by the shutdown,
// so that their failed body reads count as 503 "shutdown" rather than as
// the client's fault, and returns how many of them there are. Call it just
// before closing the connections.
func (s *Server) CutOff() int {
	s.cuttingOff.Store(true)
	return int(s.batcher.inflight.Load())
}

// Close stops accepting jobs, finishes the queued ones and stops the
// batcher. Call it after http.Server.Shutdown has returned.
func (s *Server) Close() { s.batcher.close() }

// QueueHighWater returns the largest number of input rows that have waited
// in the queue at once.
func (s *Server) QueueHighWater() int {
	_, hw := s.batcher.queue()
	return hw
}

// statusWriter records the status and error kind of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	kind   string
	errMsg string
	inputs int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveHTTP assigns the request id, recovers from panics and records
// metrics and logs for every request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	w.Header().Set("X-Request-Id", id)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if sw.status == 0 {
				writeError(sw, r, &apiError{status: http.StatusInternalServerError, kind: "internal", msg: fmt.Sprintf("internal error: %v", p)})
			}
		}
		s.finishRequest(sw, r, id, time.Since(start))
	}()
	s.mux.ServeHTTP(sw, r)
}

func (s *Server) finishRequest(sw *statusWriter, r *http.Request, id string, d time.Duration) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	endpoint := r.URL.Path
	switch endpoint {
	case "/v1/embed", "/v1/score", "/v1/model", "/healthz", "/metrics":
	default:
		endpoint = "other"
	}
	s.metrics.observeRequest(endpoint, sw.status, sw.kind, sw.inputs, d)
	if sw.status < 400 && !s.cfg.LogRequests {
		return
	}

	attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", d.String(), "remote", r.RemoteAddr}
	// A 503 sheds load by design, so it is a warning like a 4xx.
	switch {
	case sw.status >= 500 && sw.status != http.StatusServiceUnavailable:
		s.errLog.log(slog.LevelError, "request failed", append(attrs, "kind", sw.kind, "error", sw.errMsg)...)
	case sw.status >= 400:
		s.errLog.log(slog.LevelWarn, "request rejected", append(attrs, "kind", sw.kind, "error", sw.errMsg)...)
	default:
		s.log.Info("request", append(attrs, "inputs", sw.inputs)...)
	}
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeError sends e as JSON and records its kind for the metrics.
func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if sw, ok := w.(*statusWriter); ok {
		sw.kind, sw.errMsg = e.kind, e.msg
	}
	switch e.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", allowedMethod(r.URL.Path))
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	if e.kind == "unsupported_content_encoding" {
		// RFC 7694, section 3: a 415 for a content coding lists the
		// accepted codings in Accept-Encoding, and other 415s must not.
		w.Header().Set("Accept-Encoding", "identity")
	}
	body, _ := json.Marshal(map[string]string{"error": e.msg, "kind": e.kind})
	w.Header().Set("Content-Type", mediaJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(e.status)
	w.Write(append(body, '\n'))
}

func allowedMethod(path string) string {
	if path == "/v1/embed" || path == "/v1/score" {
		return http.MethodPost
	}
	return "GET, HEAD"
}

func methodError(r *http.Request) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, kind: "method_not_allowed",
		msg: fmt.Sprintf("method %s is not allowed on %s; use %s", r.Method, r.URL.Path, allowedMethod(r.URL.Path))}
}

func writeBody(w http.ResponseWriter, body []byte, media string) {
	w.Header().Set("Content-Type", media)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// handleInputs serves POST /v1/embed, or POST /v1/score when score is set.
func (s *Server) handleInputs(score bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeError(w, r, methodError(r))
			return
		}
		// The count of requests in flight sets how long the batcher waits
		// for a fuller batch.
		s.batcher.arrive()
		defer s.batcher.depart()
		if apiErr := checkContentEncoding(r); apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		media, apiErr := requestMedia(r)
		if apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		// A full queue rejects the request before its body is read.
		// NOTE: bodies being read are bounded only by the connection count
		// times MaxBody, because the queue counts rows after decoding.
		if queued, _ := s.batcher.queue(); queued >= s.cfg.MaxQueue {
			writeError(w, r, s.queueFullError())
			return
		}
		body, apiErr := s.readBody(w, r, isImageMedia(media))
		if apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		rows, n, apiErr := s.decodeBody(media, body)
		if apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		// The embeddings of such inputs mean nothing, but they are no
		// error: outlier scoring takes inputs unlike the training data.
		if sc, ok := s.model.(scaleChecker); ok {
			if got, trained, other := sc.OtherScale(rows); other {
				s.metrics.observeOtherScale()
				s.errLog.log(slog.LevelWarn, "inputs on another scale than the training inputs; rescale them to the training range",
					"request_id", w.Header().Get("X-Request-Id"), "inputs_range", got.String(), "training_range", trained.String())
			}
		}
		emb, apiErr := s.embed(r.Context(), rows, n)
		if apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		out, media, apiErr := s.encode(score, wantsNPY(r), emb, n)
		if apiErr != nil {
			writeError(w, r, apiErr)
			return
		}
		if sw, ok := w.(*statusWriter); ok {
			sw.inputs = n
		}
		writeBody(w, out, media)
	}
}

// decodeBody parses a request body of the media type media into n input
// rows: one row for an image file, and the rows it lists otherwise.
func (s *Server) decodeBody(media string, body []byte) (rows []float32, n int, apiErr *apiError) {
	if !isImageMedia(media) {
		return decodeInputs(media, body, s.model.InputSize())
	}
	// NOTE: decoding and resizing took 1.55 and 4.06 bytes per pixel for
	// a 4000 x 3000 baseline JPEG and RGBA PNG (go1.26), and a progressive
	// JPEG takes up to 24. Requests decode concurrently, so the memory for
	// images is bounded only by the connection count times that.
	rows, apiErr = decodeImage(s.model, body, s.cfg.MaxImagePixels)
	if apiErr != nil {
		return nil, 0, apiErr
	}
	return rows, 1, nil
}

// readBody reads the request body up to MaxBody bytes. image selects the
// advice of the error for a larger body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, image bool) ([]byte, *apiError) {
	if r.ContentLength > s.cfg.MaxBody {
		return nil, bodyTooLarge(r.ContentLength, s.cfg.MaxBody, image)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	body := buf.Bytes()
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, bodyTooLarge(-1, s.cfg.MaxBody, image)
		}
		if s.cuttingOff.Load() {
			// The connection was closed by CutOff, not by the client.
			return nil, &apiError{status: http.StatusServiceUnavailable, kind: "shutdown",
				msg: "the server shut down before the request body arrived; send the request again once it is back"}
		}
		return nil, badRequest("read_body", "reading the request body failed: %v", err)
	}
	return body, nil
}

// bodyTooLarge returns the error for a body of size bytes, or -1 when
// the size is unknown, over limit. image selects the advice for an image
// file, which cannot be split.
func bodyTooLarge(size, limit int64, image bool) *apiError {
	advice := "split the inputs into smaller requests"
	if image {
		advice = "send the image with fewer pixels or stronger compression"
	}
	msg := fmt.Sprintf("the request body is over the limit of %s; %s", plural(int(limit), "byte", "bytes"), advice)
	if size >= 0 {
		msg = fmt.Sprintf("the request body has %s, over the limit of %s; %s", plural(int(size), "byte", "bytes"), plural(int(limit), "byte", "bytes"), advice)
	}
	return &apiError{status: http.StatusRequestEntityTooLarge, kind: "body_too_large", msg: msg}
}

// embed queues the rows and waits for their embeddings.
func (s *Server) embed(ctx context.Context, rows []float32, n int) ([]float32, *apiError) {
	if n > s.cfg.MaxQueue {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, kind: "too_many_inputs",
			msg: fmt.Sprintf("the request has %d input rows, but the queue holds at most %d; split it into smaller requests", n, s.cfg.MaxQueue)}
	}
	j := newJob(rows, n, s.model.Dim())
	switch err := s.batcher.enqueue(j); err {
	case nil:
	case errQueueFull:
		return nil, s.queueFullError()
	default:
		return nil, &apiError{status: http.StatusServiceUnavailable, kind: "shutting_down", msg: "the server is shutting down; retry on another instance"}
	}

	timer := time.NewTimer(s.cfg.Timeout)
	defer timer.Stop()
	select {
	case <-j.done:
	case <-ctx.Done():
		j.canceled.Store(true)
		return nil, &apiError{status: http.StatusServiceUnavailable, kind: "canceled", msg: "the request was canceled before its inputs were embedded"}
	case <-timer.C:
		j.canceled.Store(true)
		msg := fmt.Sprintf("the inputs were not embedded within %v; retry later", s.cfg.Timeout)
		if n > s.cfg.MaxBatch {
			// Such a request takes several model calls, so on a slow
			// machine it may time out however often it is retried.
			msg = fmt.Sprintf("the %d input rows were not embedded within %v; split them into requests of at most %s, which one model call takes, or retry later",
				n, s.cfg.Timeout, plural(s.cfg.MaxBatch, "row", "rows"))
		}
		return nil, &apiError{status: http.StatusServiceUnavailable, kind: "timeout", msg: msg}
	}
	if j.err != nil {
		return nil, &apiError{status: http.StatusInternalServerError, kind: "internal", msg: fmt.Sprintf("embedding failed: %v", j.err)}
	}
	return j.out, nil
}

func (s *Server) queueFullError() *apiError {
	return &apiError{status: http.StatusServiceUnavailable, kind: "queue_full",
		msg: fmt.Sprintf("the queue of %d input rows is full; retry after the Retry-After delay", s.cfg.MaxQueue)}
}

// encode checks the embeddings, scores them when asked and formats the
// response body.
func (s *Server) encode(score, npy bool, emb []float32, n int) ([]byte, string, *apiError) {
	var (
		body  []byte
		media string
		err   error
	)
	if score {
		var scores, pValues []float64
		start := time.Now()
		scores, pValues, err = s.model.Score(emb, n)
		s.metrics.observeScore(time.Since(start))
		if err == nil {
			body, media, err = encodeScores(npy, scores, pValues)
		}
	} else {
		d := s.model.Dim()
		if err = checkFinite(emb, n, d); err == nil {
			body, media, err = encodeEmbeddings(npy, emb, n, d)
		}
	}
	if err != nil {
		var rowErr *rowError
		if errors.As(err, &rowErr) {
			return nil, "", &apiError{status: http.StatusUnprocessableEntity, kind: "non_finite_output",
				msg: fmt.Sprintf("%s, because input row %d overflows the encoder; scale the inputs like the training data", rowErr.msg, rowErr.row)}
		}
		return nil, "", &apiError{status: http.StatusInternalServerError, kind: "internal", msg: err.Error()}
	}
	return body, media, nil
}

func checkFinite(emb []float32, n, d int) error {
	for i, v := range emb {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return &rowError{row: i / d, msg: fmt.Sprintf("embedding %d has the non-finite component %d = %v", i/d, i%d, v)}
		}
	}
	return nil
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, r, methodError(r))
		return
	}
	info := s.model.Info()
	info["max_batch"] = s.cfg.MaxBatch
	info["max_queue"] = s.cfg.MaxQueue
	info["max_body"] = s.cfg.MaxBody
	info["max_image_pixels"] = s.cfg.MaxImagePixels
	body, err := json.Marshal(info)
	if err != nil {
		writeError(w, r, &apiError{status: http.StatusInternalServerError, kind: "internal", msg: fmt.Sprintf("encoding the model information failed: %v", err)})
		return
	}
	writeBody(w, append(body, '\n'), mediaJSON)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, r, methodError(r))
		return
	}
	writeBody(w, []byte(`{"status":"ok"}`+"\n"), mediaJSON)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, r, methodError(r))
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}

// logLimiter logs at most perSecond error lines per second. The first line
// logged in a later second is preceded by the count of dropped lines.
type logLimiter struct {
	logger    *slog.Logger
	perSecond int

	mu         sync.Mutex
	window     time.Time
	count      int
	suppressed int
}

func newLogLimiter(l *slog.Logger, perSecond int) *logLimiter {
	return &logLimiter{logger: l, perSecond: perSecond}
}

func (l *logLimiter) log(level slog.Level, msg string, attrs ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.window) >= time.Second {
		if l.suppressed > 0 {
			l.logger.Warn("error log lines suppressed", "count", l.suppressed, "since", l.window)
		}
		l.window, l.count, l.suppressed = now, 0, 0
	}
	l.count++
	allowed := l.count <= l.perSecond
	if !allowed {
		l.suppressed++
	}
	l.mu.Unlock()
	if allowed {
		l.logger.Log(context.Background(), level, msg, attrs...)
	}
}
