package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x10ad)) }

func decodeJSON(resp *http.Response, v any) error {
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// phaseSpec is one fixed-time run at a fixed concurrency.
type phaseSpec struct {
	name        string
	clients     int
	rows        int
	badFraction float64
	npyFraction float64
	duration    time.Duration
	maxRequests int
}

// phaseResult collects the outcomes of a phase.
type phaseResult struct {
	name      string
	elapsed   time.Duration
	requests  int
	inputs    int // good inputs returned and verified
	latencies []time.Duration
	classes   map[string]int
	failures  map[string]string // class to the first detail
	status5xx int
	queueMax  int // largest queue length seen, in rows
	queueCap  int
	cpu       time.Duration // user and system CPU time of this process
	serverCPU time.Duration // CPU time of a child server process
	inProcess bool          // the server runs in this process, so cpu includes it
	batches   float64       // model calls
	batchRows float64       // rows over all model calls
}

func (r *phaseResult) inputsPerSecond() float64 { return float64(r.inputs) / r.elapsed.Seconds() }

// runPhase drives target with spec.clients goroutines, each with its own
// connection, until the duration passes or maxRequests have been sent.
func runPhase(t *target, ref *reference, spec phaseSpec) phaseResult {
	transport := &http.Transport{MaxIdleConnsPerHost: spec.clients, MaxConnsPerHost: spec.clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}

	var (
		mu       sync.Mutex
		res      = phaseResult{name: spec.name, classes: map[string]int{}, failures: map[string]string{}, queueCap: t.maxQueue}
		sent     atomic.Int64
		wg       sync.WaitGroup
		samplers sync.WaitGroup
	)
	stopSampling := make(chan struct{})
	samplers.Add(1)
	go func() {
		defer samplers.Done()
		sampleQueue(t, client, stopSampling, &mu, &res.queueMax)
	}()

	before := readBatchMetrics(client, t.base)
	cpuBefore := processCPU()
	var serverBefore time.Duration
	if t.serverCPU != nil {
		serverBefore = t.serverCPU()
	}
	start := time.Now()
	deadline := start.Add(spec.duration)
	for c := range spec.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := newRand(uint64(c) + 1)
			bad := 0
			var lat []time.Duration
			classes := map[string]int{}
			for time.Now().Before(deadline) && sent.Add(1) <= int64(spec.maxRequests) {
				var req *request
				if rng.Float64() < spec.badFraction {
					req = newBadRequest(ref, badKinds[(c+bad)%len(badKinds)])
					bad++
				} else {
					req = newGoodRequest(ref, rng, spec.rows, spec.npyFraction)
				}
				t0 := time.Now()
				o := send(client, t.base, ref, req)
				if o.class == "ok" {
					lat = append(lat, time.Since(t0))
				}
				classes[o.class]++
				mu.Lock()
				res.requests++
				res.inputs += o.inputs
				if o.status5x {
					res.status5xx++
				}
				if o.failure {
					if _, seen := res.failures[o.class]; !seen {
						res.failures[o.class] = o.detail
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			for k, v := range classes {
				res.classes[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = processCPU() - cpuBefore
	if t.serverCPU != nil {
		res.serverCPU = t.serverCPU() - serverBefore
	}
	res.inProcess = t.server != nil
	close(stopSampling)
	samplers.Wait()
	if t.server != nil {
		res.queueMax = max(res.queueMax, t.server.QueueHighWater())
	}
	after := readBatchMetrics(client, t.base)
	res.batches, res.batchRows = after[0]-before[0], after[1]-before[1]
	return res
}

// readBatchMetrics returns nidim_batch_size_count and _sum from GET
// /metrics, or zeros when they cannot be read.
func readBatchMetrics(client *http.Client, base string) [2]float64 {
	var out [2]float64
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for i, name := range []string{"nidim_batch_size_count ", "nidim_batch_size_sum "} {
			if v, ok := strings.CutPrefix(line, name); ok {
				out[i], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out
}

// sampleQueue reads nidim_queue_length from GET /metrics every 20 ms and
// keeps the maximum.
func sampleQueue(t *target, client *http.Client, stop <-chan struct{}, mu *sync.Mutex, maxRows *int) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		resp, err := client.Get(t.base + "/metrics")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "nidim_queue_length "); ok {
				if n, err := strconv.Atoi(v); err == nil {
					mu.Lock()
					*maxRows = max(*maxRows, n)
					mu.Unlock()
				}
			}
		}
		resp.Body.Close()
	}
}

func (r *phaseResult) print(w io.Writer) {
	slices.Sort(r.latencies)
	fmt.Fprintf(w, "phase %s: %d requests in %.2f s, %d inputs verified, %.0f inputs/s",
		r.name, r.requests, r.elapsed.Seconds(), r.inputs, r.inputsPerSecond())
	if len(r.latencies) > 0 {
		fmt.Fprintf(w, ", latency p50 %v p99 %v", percentile(r.latencies, 0.5), percentile(r.latencies, 0.99))
	}
	fmt.Fprintf(w, ", queue max %d of %d rows", r.queueMax, r.queueCap)
	if r.inputs > 0 {
		who := "client and server"
		if !r.inProcess {
			who = "client only"
		}
		fmt.Fprintf(w, ", %.0f µs CPU per input (%s)", float64(r.cpu.Microseconds())/float64(r.inputs), who)
		if r.serverCPU > 0 {
			fmt.Fprintf(w, ", %.0f µs CPU per input (server process)", float64(r.serverCPU.Microseconds())/float64(r.inputs))
		}
	}
	if r.batches > 0 {
		fmt.Fprintf(w, ", %.0f model calls of %.1f rows on average", r.batches, r.batchRows/r.batches)
	}
	fmt.Fprintln(w)
	for _, k := range sortedKeys(r.classes) {
		fmt.Fprintf(w, "  %-36s %d\n", k, r.classes[k])
	}
}

// check prints and returns whether the phase met the bars: no failed,
// lost or mismatched response, no 5xx but queue_full, the queue within its
// bound, and for a flood some queue_full rejections.
func (r *phaseResult) check(w io.Writer, flood bool) bool {
	ok := true
	for _, k := range sortedKeys(r.failures) {
		fmt.Fprintf(w, "FAIL: %d responses of class %q, first: %s\n", r.classes[k], k, r.failures[k])
		ok = false
	}
	if r.status5xx > 0 {
		fmt.Fprintf(w, "FAIL: %d responses with a 5xx status other than 503 queue_full\n", r.status5xx)
		ok = false
	}
	if r.queueMax > r.queueCap {
		fmt.Fprintf(w, "FAIL: the queue held %d rows, over its bound of %d\n", r.queueMax, r.queueCap)
		ok = false
	}
	if r.inputs == 0 {
		fmt.Fprintln(w, "FAIL: no input was answered")
		ok = false
	}
	if flood && r.classes["queue_full"] == 0 {
		fmt.Fprintln(w, "FAIL: the flood never filled the queue; raise --flood-clients or --flood-rows")
		ok = false
	}
	return ok
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q * float64(len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
