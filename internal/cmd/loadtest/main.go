// Command loadtest drives a nidim embedding server on the loopback
// interface with many concurrent clients, for a fixed time and at most a
// fixed number of requests per phase. It checks every response against the
// direct embedding of the same rows and reports throughput, latency and
// errors by kind.
//
// By default it starts the server in this process on 127.0.0.1 with an
// untrained MLP encoder for MNIST (784 inputs, d = 16) and the MNIST test
// images as inputs. With --nidim it starts a "nidim serve" child process
// per phase, reports that process's CPU time and checks that it exits with
// status 0 on SIGTERM. With --addr it drives a running "nidim serve"
// instead, which must listen on a loopback address and serve --checkpoint.
//
//	go run ./internal/cmd/loadtest --duration 5s --clients 1,64
//	go build -o /tmp/nidim ./cmd/nidim && go run ./internal/cmd/loadtest --nidim /tmp/nidim --rounds 3
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/internal/serve"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// options are the command-line settings.
type options struct {
	addr         string
	checkpoint   string
	duration     time.Duration
	maxRequests  int
	clients      []int
	rows         int
	badFraction  float64
	npyFraction  float64
	maxBatch     int
	maxWait      time.Duration
	maxQueue     int
	maxBody      int64
	threads      int
	random       bool
	flood        bool
	floodClients int
	floodRows    int
	floodQueue   int
	minSpeedup   float64
	cpuProfile   string
	rounds       int
	nidim        string
}

func main() {
	opts, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(2)
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
			os.Exit(1)
		}
	}
	ok, err := run(opts, os.Stdout, os.Stderr)
	if opts.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "", "address of a running nidim serve on loopback; empty starts a server in this process")
	fs.StringVar(&o.nidim, "nidim", "", "path of a nidim binary: run each phase against a fresh child \"nidim serve\" process on 127.0.0.1 instead of a server in this process")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "model checkpoint; empty builds an untrained MLP for MNIST, d = 16 (required with --addr)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each phase")
	fs.IntVar(&o.maxRequests, "max-requests", 1_000_000, "maximum requests per phase")
	fs.IntVar(&o.rounds, "rounds", 1, "times to repeat the sequence of client counts")
	clients := fs.String("clients", "1,64", "comma-separated concurrent client counts, one phase each")
	fs.IntVar(&o.rows, "rows", 1, "input rows per good request")
	fs.Float64Var(&o.badFraction, "bad", 0.1, "fraction of bad requests")
	fs.Float64Var(&o.npyFraction, "npy", 0.5, "fraction of good requests sent as NPY instead of JSON")
	fs.IntVar(&o.maxBatch, "max-batch", serve.DefaultMaxBatch, "in-process server: input rows per model call")
	fs.DurationVar(&o.maxWait, "max-wait", time.Millisecond, "in-process server: time a batch waits to fill")
	fs.IntVar(&o.maxQueue, "max-queue", 1024, "in-process server: input rows waiting")
	fs.Int64Var(&o.maxBody, "max-body", 1<<20, "in-process server: request body limit in bytes")
	fs.IntVar(&o.threads, "threads", 0, "goroutines per model call; 0 for all cores")
	fs.BoolVar(&o.random, "random", false, "send uniform random rows instead of MNIST test images")
	fs.BoolVar(&o.flood, "flood", true, "end with a flood phase that overfills the queue")
	fs.IntVar(&o.floodClients, "flood-clients", 256, "clients of the flood phase")
	fs.IntVar(&o.floodRows, "flood-rows", 8, "input rows per request of the flood phase")
	fs.IntVar(&o.floodQueue, "flood-queue", 128, "in-process server of the flood phase: input rows waiting")
	fs.Float64Var(&o.minSpeedup, "min-speedup", 5, "minimum ratio of the throughput of the last phase to that of the first")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (client and in-process server) to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; pass only flags", fs.Arg(0))
	}
	for _, s := range strings.Split(*clients, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("invalid --clients entry %q; use positive counts such as 1,64", s)
		}
		o.clients = append(o.clients, c)
	}
	switch {
	case o.duration <= 0 || o.duration > 10*time.Minute:
		return nil, fmt.Errorf("invalid --duration %v; use a positive duration of at most 10m", o.duration)
	case o.rounds < 1:
		return nil, fmt.Errorf("invalid --rounds %d; use 1 or more", o.rounds)
	case o.maxRequests < 1:
		return nil, fmt.Errorf("invalid --max-requests %d; use 1 or more", o.maxRequests)
	case o.rows < 1:
		return nil, fmt.Errorf("invalid --rows %d; use 1 or more", o.rows)
	case o.badFraction < 0 || o.badFraction > 1 || o.npyFraction < 0 || o.npyFraction > 1:
		return nil, fmt.Errorf("invalid --bad %v or --npy %v; use fractions in [0, 1]", o.badFraction, o.npyFraction)
	case o.addr != "" && o.nidim != "":
		return nil, fmt.Errorf("--addr and --nidim exclude each other; pass one")
	case o.addr != "" && o.checkpoint == "":
		return nil, fmt.Errorf("--addr needs --checkpoint, the model the server runs, to check its responses")
	}
	if o.addr != "" {
		if err := checkLoopback(o.addr); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// checkLoopback rejects addresses that do not resolve to loopback only.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid --addr %q: %v; use HOST:PORT on loopback, such as 127.0.0.1:8080", addr, err)
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("invalid --addr %q: host %q does not resolve; use 127.0.0.1", addr, host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("invalid --addr %q: %v is not a loopback address; this load test only drives servers on 127.0.0.1 or ::1", addr, ip)
		}
	}
	return nil
}

// run executes every phase and prints the report to w and notes to
// stderr. It returns false when a bar is missed.
func run(o *options, w, stderr io.Writer) (bool, error) {
	if o.threads > 0 {
		tensor.SetThreads(o.threads)
		nn.SetThreads(o.threads)
	}
	path := o.checkpoint
	if path == "" {
		dir, err := os.MkdirTemp("", "nidim-loadtest-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "mlp784-d16.safetensors")
		if err := writeUntrainedModel(path); err != nil {
			return false, err
		}
	}
	m, err := dim.LoadModel(path)
	if err != nil {
		return false, err
	}
	if !m.Verified {
		fmt.Fprintf(stderr, "loadtest: note: %s\n", dim.UnverifiedNote(path))
	}
	ref, err := buildReference(m, o.random)
	if err != nil {
		return false, err
	}

	// Rounds alternate the client counts, so that a change in the load of
	// the machine affects every count alike. The speedup uses the median
	// throughput of each count.
	ok := true
	perCount := make([][]float64, len(o.clients))
	for round := range o.rounds {
		for i, c := range o.clients {
			target, err := startTarget(o, path, o.maxQueue)
			if err != nil {
				return false, err
			}
			ref.maxBody = target.maxBody
			name := fmt.Sprintf("%d clients", c)
			if o.rounds > 1 {
				name += fmt.Sprintf(", round %d", round+1)
			}
			res := runPhase(target, ref, phaseSpec{
				name: name, clients: c, rows: o.rows,
				badFraction: o.badFraction, npyFraction: o.npyFraction,
				duration: o.duration, maxRequests: o.maxRequests,
			})
			res.print(w)
			ok = res.check(w, false) && ok
			if err := target.stop(); err != nil {
				fmt.Fprintf(w, "FAIL: %v\n", err)
				ok = false
			}
			perCount[i] = append(perCount[i], res.inputsPerSecond())
		}
	}
	if len(o.clients) >= 2 {
		first, last := median(perCount[0]), median(perCount[len(perCount)-1])
		speedup := last / first
		fmt.Fprintf(w, "median throughput: %d clients %.0f inputs/s, %d clients %.0f inputs/s; speedup %.2fx (bar: %.1fx)\n",
			o.clients[0], first, o.clients[len(o.clients)-1], last, speedup, o.minSpeedup)
		if !(speedup >= o.minSpeedup) {
			fmt.Fprintln(w, "FAIL: the batched throughput is below the bar")
			ok = false
		}
	}

	if o.flood {
		target, err := startTarget(o, path, o.floodQueue)
		if err != nil {
			return false, err
		}
		ref.maxBody = target.maxBody
		res := runPhase(target, ref, phaseSpec{
			name: fmt.Sprintf("flood, %d clients x %d rows", o.floodClients, o.floodRows), clients: o.floodClients, rows: o.floodRows,
			npyFraction: 1, duration: min(o.duration, 2*time.Second), maxRequests: o.maxRequests,
		})
		res.print(w)
		ok = res.check(w, true) && ok
		if err := target.stop(); err != nil {
			fmt.Fprintf(w, "FAIL: %v\n", err)
			ok = false
		}
	}
	if ok {
		fmt.Fprintln(w, "PASS")
	}
	return ok, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// writeUntrainedModel saves an untrained MLP encoder for MNIST images with
// d = 16 to path.
func writeUntrainedModel(path string) error {
	cfg := dim.DefaultConfig()
	cfg.Dim = 16
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	if err != nil {
		return err
	}
	return m.Save(path)
}

// buildReference loads the pool of input rows and computes their
// embeddings and scores with m, a model of its own that no server shares,
// the way "nidim embed" does.
func buildReference(m *dim.Model, random bool) (*reference, error) {
	size, d := m.Encoder.InputSize(), m.Config.Dim
	const poolRows = 1000
	var x []float32
	if !random && size == 28*28 && !mnist.Embedded {
		return nil, errors.New("this loadtest was built without the embedded MNIST (build tag nomnist), which gives the input rows of a model for MNIST images; pass --random to send uniform random rows, or build without -tags nomnist")
	}
	if !random && size == 28*28 {
		_, test, err := mnist.Load()
		if err != nil {
			return nil, err
		}
		x = test.Images.Data[:poolRows*size]
	} else {
		x = make([]float32, poolRows*size)
		rng := newRand(1)
		for i := range x {
			x[i] = float32(rng.Float64())
		}
	}
	z, err := m.Embed(&tensor.Tensor{Shape: []int{poolRows, size}, Data: x}, 1000)
	if err != nil {
		return nil, err
	}
	scores, pValues, err := serve.OutlierScores(m.Config.Prior, z.Data, poolRows, d)
	if err != nil {
		return nil, err
	}
	ref := &reference{size: size, dim: d, rows: x, emb: z.Data, scores: scores, pValues: pValues}
	for i := range poolRows {
		b, err := json.Marshal(x[i*size : (i+1)*size])
		if err != nil {
			return nil, err
		}
		ref.jsonRows = append(ref.jsonRows, b)
	}
	return ref, nil
}

// target is the server a phase drives.
type target struct {
	base     string
	maxBody  int64
	maxQueue int
	server   *serve.Server // nil for a server in another process
	// serverCPU returns the CPU time of a server in a child process, or
	// is nil.
	serverCPU func() time.Duration
	stop      func() error
}

// startTarget starts a fresh server with a queue of maxQueue rows, in this
// process or as a child "nidim serve" process, or describes the external
// one.
func startTarget(o *options, path string, maxQueue int) (*target, error) {
	if o.addr != "" {
		return externalTarget(o.addr)
	}
	if o.nidim != "" {
		return spawnTarget(o, path, maxQueue)
	}
	model, err := serve.LoadDimModel(path)
	if err != nil {
		return nil, err
	}
	srv, err := serve.New(model, serve.Config{
		MaxBatch: o.maxBatch, MaxWait: o.maxWait, MaxQueue: maxQueue, MaxBody: o.maxBody,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	hs := srv.HTTPServer(ln.Addr().String())
	go hs.Serve(ln)
	return &target{
		base: "http://" + ln.Addr().String(), maxBody: o.maxBody, maxQueue: maxQueue, server: srv,
		stop: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := hs.Shutdown(ctx)
			srv.Close()
			return err
		},
	}, nil
}

// externalTarget reads the limits of a running server from GET /v1/model.
func externalTarget(addr string) (*target, error) {
	base := "http://" + addr
	resp, err := http.Get(base + "/v1/model")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var info struct {
		MaxBody  int64 `json:"max_body"`
		MaxQueue int   `json:"max_queue"`
	}
	if err := decodeJSON(resp, &info); err != nil {
		return nil, fmt.Errorf("GET %s/v1/model: %w", base, err)
	}
	if info.MaxBody < 1 || info.MaxQueue < 1 {
		return nil, errors.New("GET /v1/model did not return max_body and max_queue; is the server nidim serve?")
	}
	return &target{base: base, maxBody: info.MaxBody, maxQueue: info.MaxQueue, stop: func() error { return nil }}, nil
}
