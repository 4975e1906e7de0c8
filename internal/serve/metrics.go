package serve

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the request duration
// histogram.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram is a Prometheus histogram: counts per upper bound, cumulated
// only when written.
type histogram struct {
	bounds []float64
	counts []uint64 // len(bounds)+1, the last for +Inf
	sum    float64
	count  uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.counts[i]++
	h.sum += v
	h.count++
}

// write prints the bucket, sum and count lines; labels is empty or a
// label list ending in a comma, such as `endpoint="/v1/embed",`.
func (h *histogram) write(w io.Writer, name, labels string) {
	cum := uint64(0)
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%sle=%q} %d\n", name, labels, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, cum)
	trimmed := labels
	if trimmed != "" {
		trimmed = "{" + trimmed[:len(trimmed)-1] + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n", name, trimmed, formatFloat(h.sum))
	fmt.Fprintf(w, "%s_count%s %d\n", name, trimmed, h.count)
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// batchBuckets returns the powers of two up to maxBatch, and maxBatch.
func batchBuckets(maxBatch int) []float64 {
	var b []float64
	for v := 1; v < maxBatch; v *= 2 {
		b = append(b, float64(v))
	}
	return append(b, float64(maxBatch))
}

type requestKey struct {
	endpoint string
	code     int
}

// metrics are the counters of GET /metrics, in the Prometheus text
// exposition format version 0.0.4.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	errors   map[string]uint64
	inputs   map[string]uint64
	latency  map[string]*histogram
	batch    *histogram
	// score is the time to score the embeddings of one /v1/score
	// request, which the kNN search of --method knn dominates.
	score         *histogram
	queueRows     int
	queueRequests int
	otherScale    uint64 // requests whose inputs look like another scale
}

func newMetrics(maxBatch int) *metrics {
	return &metrics{
		requests: map[requestKey]uint64{},
		errors:   map[string]uint64{},
		inputs:   map[string]uint64{},
		latency:  map[string]*histogram{},
		batch:    newHistogram(batchBuckets(maxBatch)),
		score:    newHistogram(latencyBuckets),
	}
}

func (m *metrics) observeRequest(endpoint string, code int, kind string, inputs int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{endpoint, code}]++
	if kind != "" {
		m.errors[kind]++
	}
	if inputs > 0 {
		m.inputs[endpoint] += uint64(inputs)
	}
	h := m.latency[endpoint]
	if h == nil {
		h = newHistogram(latencyBuckets)
		m.latency[endpoint] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) observeOtherScale() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.otherScale++
}

func (m *metrics) observeBatch(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batch.observe(float64(n))
}

func (m *metrics) observeScore(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.score.observe(d.Seconds())
}

func (m *metrics) setQueue(rows, requests int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queueRows, m.queueRequests = rows, requests
}

// write prints every metric, with series in a stable order.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()

	fmt.Fprintln(w, "# HELP nidim_http_requests_total HTTP requests by endpoint and status code.")
	fmt.Fprintln(w, "# TYPE nidim_http_requests_total counter")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].endpoint != keys[j].endpoint {
			return keys[i].endpoint < keys[j].endpoint
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		fmt.Fprintf(w, "nidim_http_requests_total{endpoint=%q,code=\"%d\"} %d\n", k.endpoint, k.code, m.requests[k])
	}

	fmt.Fprintln(w, "# HELP nidim_errors_total Error responses by kind.")
	fmt.Fprintln(w, "# TYPE nidim_errors_total counter")
	for _, k := range sortedKeys(m.errors) {
		fmt.Fprintf(w, "nidim_errors_total{kind=%q} %d\n", k, m.errors[k])
	}

	fmt.Fprintln(w, "# HELP nidim_inputs_total Input rows embedded or scored successfully, by endpoint.")
	fmt.Fprintln(w, "# TYPE nidim_inputs_total counter")
	for _, k := range sortedKeys(m.inputs) {
		fmt.Fprintf(w, "nidim_inputs_total{endpoint=%q} %d\n", k, m.inputs[k])
	}

	fmt.Fprintln(w, "# HELP nidim_other_scale_requests_total Requests whose inputs look like another scale than the training inputs; their embeddings mean nothing.")
	fmt.Fprintln(w, "# TYPE nidim_other_scale_requests_total counter")
	fmt.Fprintf(w, "nidim_other_scale_requests_total %d\n", m.otherScale)

	fmt.Fprintln(w, "# HELP nidim_batch_size Input rows per model call.")
	fmt.Fprintln(w, "# TYPE nidim_batch_size histogram")
	m.batch.write(w, "nidim_batch_size", "")

	fmt.Fprintln(w, "# HELP nidim_score_duration_seconds Time to score the embeddings of one /v1/score request, after the model call: the norm under the prior, or the kNN search.")
	fmt.Fprintln(w, "# TYPE nidim_score_duration_seconds histogram")
	m.score.write(w, "nidim_score_duration_seconds", "")

	fmt.Fprintln(w, "# HELP nidim_queue_length Input rows waiting for the model.")
	fmt.Fprintln(w, "# TYPE nidim_queue_length gauge")
	fmt.Fprintf(w, "nidim_queue_length %d\n", m.queueRows)
	fmt.Fprintln(w, "# HELP nidim_queue_requests Requests with rows waiting for the model.")
	fmt.Fprintln(w, "# TYPE nidim_queue_requests gauge")
	fmt.Fprintf(w, "nidim_queue_requests %d\n", m.queueRequests)

	fmt.Fprintln(w, "# HELP nidim_request_duration_seconds Time from reading the request headers to writing the response, by endpoint.")
	fmt.Fprintln(w, "# TYPE nidim_request_duration_seconds histogram")
	for _, k := range sortedKeys(m.latency) {
		m.latency[k].write(w, "nidim_request_duration_seconds", fmt.Sprintf("endpoint=%q,", k))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
