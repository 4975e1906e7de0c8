package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/internal/serve"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "serve",
		summary: "serve embeddings and outlier scores of a trained model over HTTP",
		run:     runServe,
	})
}

const serveUsage = `Usage: nidim serve CHECKPOINT [flags]
       nidim serve --model CHECKPOINT [flags]

Serves the encoder of a checkpoint written by "nidim train" over HTTP.
Concurrent requests are merged into batches that one goroutine runs through
the model, so the results are those of "nidim embed" bit for bit. With
--method knn, POST /v1/score returns the kNN score of "nidim score --method
knn" in place of the norm under the prior.

Endpoints (requests carry Content-Type: application/json,
application/x-npy, image/png, image/jpeg or image/gif, and an uncompressed
body; a Content-Encoding such as gzip returns 415):
  POST /v1/embed    {"inputs": [[...], ...]} or an application/x-npy
                    array of N inputs, (N, input size) or of more
                    dimensions such as images (N, C, H, W), as nidim embed
                    reads a file; returns {"embeddings": [[...]]},
                    or an N x d float32 NPY array with Accept:
                    application/x-npy. For a model trained on images,
                    the body may also be one PNG, JPEG or GIF file, as
                    in curl -H 'Content-Type: image/jpeg' --data-binary
                    @photo.jpg URL: one input, read as nidim embed
                    --data DIR reads the file (the model's channels,
                    resized to its height and width), so the embedding
                    is the same bit for bit. The decoder follows the
                    file's content, whichever of the three types the
                    header names. A colour image for a 1-channel model
                    returns 400, and a model trained on feature vectors
                    returns 415
  POST /v1/score    same input; returns {"p_values": [...], "scores": [...]}
                    or an N x 2 float64 NPY array (score, p-value), as nidim
                    score computes them: the squared norm of the embedding
                    mapped to N(0, I) (the identity for the gaussian prior),
                    and its chi-square survival function with d degrees of
                    freedom. With --method knn they are those of nidim score
                    --method knn, bit for bit: the distance to the k-th
                    nearest embedding of the training split, and its conformal
                    p-value from the embeddings of the test split
  GET  /v1/model    prior, dim, noise_level (sigma, or eps for the
                    uniform prior, and 0 for a model without channel
                    noise), input_shape, input_size, encoder, epoch,
                    calibrated (whether the normalization statistics
                    were recomputed on clean inputs; it does not mean
                    that the p-values are calibrated, which nidim eval
                    tests), standardized (whether the model
                    standardizes the raw inputs it receives, as
                    nidim train sets up for feature vectors unless
                    --standardize=false is given), checkpoint and
                    checkpoint_sha256, max_batch, max_queue, max_body
                    and max_image_pixels (the flags), input_range:
                    the 1st and 99th percentiles of the training inputs
                    (absent in checkpoints of older nidim versions), and
                    classes, the class directory names in label order of
                    a model trained on a directory of images. A model of
                    images adds image_fit, squeeze or crop, the
                    --image-fit of training, which image bodies follow.
                    method is the --method of POST /v1/score, norm or knn.
                    With --method knn it adds knn, an object of k, metric,
                    reference_n and calibration_n (the rows of the reference
                    and calibration sets) and train_data (the --train-data,
                    empty for the built-in MNIST).
                    A request whose inputs look like another scale, such
                    as 0-255 pixels for a model trained on [0, 1], gets
                    its embeddings, a warning in the log and a count in
                    the metric nidim_other_scale_requests_total
  GET  /healthz     {"status":"ok"}
  GET  /metrics     Prometheus text format

Errors return a 4xx or 5xx status and {"error": "...", "kind": "..."}. A
full queue returns 503 with Retry-After. SIGINT, SIGTERM and SIGHUP stop
accepting connections, finish the requests in flight and exit with status
0, or with status 1 when requests are still in flight after
--shutdown-timeout. During the startup of --method knn they exit at once
with status 0, without listening.

Flags:
  --model CHECKPOINT      the checkpoint to serve (required, here or as the
                          argument)
  --addr HOST:PORT        address to listen on; :PORT listens on every
                          interface, and port 0 picks a free port
                          (default 127.0.0.1:8080)
  --max-batch N           input rows per model call (default 64)
  --max-wait DURATION     time a batch waits to fill after its first row,
                          such as 1ms. The batch waits only for as many
                          requests as were in flight together during the
                          previous batch, so a lone client never waits;
                          0 runs what is queued at once (default 1ms)
  --max-queue N           input rows waiting for the model before requests
                          get 503, at least --max-batch; a request with
                          more rows than this gets 413 (default 1024)
  --max-body BYTES        request body size limit; a larger body gets 413
                          (default 16777216)
  --max-image-pixels N    limit on the width times height of an image body,
                          checked in its header before decoding, because a
                          small file can declare a huge image; a larger
                          image gets 413. Decoding takes about 1.5 bytes
                          per pixel for a JPEG, 4 for an 8-bit RGBA PNG and
                          at most 24 (a progressive CMYK JPEG), so the
                          default admits 25 to 400 MB per request (default
                          16777216, such as 4096 x 4096)
  --timeout DURATION      time a request waits for its results before 503
                          (default 30s)
  --shutdown-timeout DURATION
                          time to finish requests in flight after a signal
                          (default 30s)
  --threads N             goroutines per model call; 0 for all cores
                          (default 0)
  --log-format FORMAT     text or json logs on stderr (default text)
  --log-requests          log every request, not only errors
  --method NAME           the score of POST /v1/score: norm, the squared
                          length under the prior, or knn, the distance to the
                          k-th nearest training embedding with conformal
                          p-values, as for nidim score. At startup knn embeds
                          the training split of --train-data (the reference
                          set) and its test split (the calibration set) once,
                          logs when it starts, and then their rows and the
                          time taken. It listens first, so a busy --addr fails
                          at once, and connections made meanwhile wait until
                          it ends. The batcher runs only the encoder, so
                          --max-batch bounds the rows per model call as for
                          norm. The kNN search of a request then runs outside
                          the batcher, over all its rows on up to --threads
                          goroutines, and concurrent requests search in
                          parallel. It takes rows x reference rows x d
                          multiply-adds, and --timeout does not bound it
                          (default norm)
  --knn K                 neighbors of --method knn: the score is the distance
                          to the K-th nearest (default 5)
  --knn-metric NAME       euclidean, or cosine for 1 - cos of the angle, as
                          the distance of --method knn (default euclidean)
  --train-data PATH       the data the model was trained on, for --method knn:
                          an MNIST-style directory with its training and test
                          files, a directory of images or a matrix file, split
                          as nidim train split it with the --test-fraction
                          that the model records. Its training split must
                          match the model's data fingerprint (default: the
                          built-in MNIST)
`

// serveFlags are the settings of nidim serve.
type serveFlags struct {
	checkpoint      string
	addr            string
	maxBatch        int
	maxWait         time.Duration
	maxQueue        int
	maxBody         int64
	maxImagePixels  int64
	timeout         time.Duration
	shutdownTimeout time.Duration
	threads         int
	logFormat       string
	logRequests     bool
	// method chooses the score of POST /v1/score, as for nidim score.
	method scoreMethodFlags
}

func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	return serveCommand(ctx, args, stdout, stderr, nil)
}

// parseServeFlags parses args, which may put flags before and after the
// checkpoint. It returns -1 to continue, or the exit status.
func parseServeFlags(args []string, stdout, stderr io.Writer) (*serveFlags, int) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "")
	fs.IntVar(&f.maxBatch, "max-batch", serve.DefaultMaxBatch, "")
	fs.DurationVar(&f.maxWait, "max-wait", time.Millisecond, "")
	fs.IntVar(&f.maxQueue, "max-queue", 1024, "")
	fs.Int64Var(&f.maxBody, "max-body", serve.DefaultMaxBody, "")
	fs.Int64Var(&f.maxImagePixels, "max-image-pixels", serve.DefaultMaxImagePixels, "")
	fs.DurationVar(&f.timeout, "timeout", serve.DefaultTimeout, "")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "")
	fs.IntVar(&f.threads, "threads", 0, "")
	fs.StringVar(&f.logFormat, "log-format", "text", "")
	fs.BoolVar(&f.logRequests, "log-requests", false, "")
	f.method.register(fs)
	model := fs.String("model", "", "")

	fail := func(format string, a ...any) (*serveFlags, int) {
		fmt.Fprintf(stderr, "nidim serve: "+format+"\n", a...)
		return nil, exitUsage
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, writeHelp("nidim serve", serveUsage, stdout, stderr)
			}
			msg := flagErrorText(fs, args, err)
			return fail("%s; run \"nidim help serve\" for the flags.", msg)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}

	checkpoint, err := checkpointArg(positional, *model, "nidim serve model.safetensors")
	if err != nil {
		return fail("%s.", err)
	}
	switch {
	case f.maxBatch < 1:
		return fail("invalid --max-batch %d; use 1 or more input rows.", f.maxBatch)
	case f.maxWait < 0:
		return fail("invalid --max-wait %v; use 0 or a positive duration such as 1ms.", f.maxWait)
	case f.maxQueue < f.maxBatch:
		return fail("invalid --max-queue %d; use at least --max-batch (%d) input rows.", f.maxQueue, f.maxBatch)
	case f.maxBody < 1:
		return fail("invalid --max-body %d; use 1 or more bytes.", f.maxBody)
	case f.maxImagePixels < 1:
		return fail("invalid --max-image-pixels %d; use 1 or more pixels.", f.maxImagePixels)
	case f.timeout <= 0:
		return fail("invalid --timeout %v; use a positive duration such as 30s.", f.timeout)
	case f.shutdownTimeout <= 0:
		return fail("invalid --shutdown-timeout %v; use a positive duration such as 30s.", f.shutdownTimeout)
	case f.threads < 0:
		return fail("invalid --threads %d; use 0 for all cores or a positive count.", f.threads)
	case f.logFormat != "text" && f.logFormat != "json":
		return fail("invalid --log-format %q; use text or json.", f.logFormat)
	}
	if err := f.method.check(fs); err != nil {
		return fail("%s.", err)
	}
	if err := checkListenAddress(f.addr); err != nil {
		return fail("%s.", err)
	}
	f.checkpoint = checkpoint
	return f, -1
}

// checkListenAddress checks the form of --addr before the model loads:
// HOST:PORT or :PORT, with a port number from 0 to 65535 or a service name
// that net.LookupPort resolves, such as http. The host is left to
// net.Listen, because checking a host name could need DNS.
func checkListenAddress(addr string) error {
	const form = "use HOST:PORT, such as 127.0.0.1:8080, or :PORT to listen on every interface"
	const portRange = "a port from 1 to 65535, or 0 for a free one"
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid --addr %q: %s, with %s", addr, form, portRange)
	}
	if port == "" {
		return fmt.Errorf("invalid --addr %q: the port is missing; %s, with %s", addr, form, portRange)
	}
	if n, err := strconv.Atoi(port); err == nil {
		// Port 0 requests a free port from the system, and the "serving"
		// log line shows the port it got.
		if n < 0 || n > 65535 {
			return fmt.Errorf("invalid --addr %q: port %d is outside 0 to 65535; %s", addr, n, form)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("invalid --addr %q: port %q is neither a number nor a known service name; %s, with %s", addr, port, form, portRange)
	}
	return nil
}

// listenFailure returns the log message for net.Listen failing on addr
// with err: the cause, where the error shows a common one, and its fix.
func listenFailure(addr string, err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "listen failed: another process is using the address; stop that process or pass another --addr"
	case errors.Is(err, syscall.EACCES):
		if port, ok := listenPort(addr); ok && port > 0 && port < 1024 {
			return fmt.Sprintf("listen failed: permission denied for port %d, because ports below 1024 need root, or on Linux the CAP_NET_BIND_SERVICE capability; pass a port of 1024 or above, such as --addr 127.0.0.1:8080", port)
		}
		return "listen failed: permission denied by the operating system; pass another --addr, or check the security policy (such as SELinux) that denies it"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "listen failed: the host is not an address of this machine; pass 127.0.0.1 to serve this machine only, an address of one of its network interfaces, or :PORT for every interface"
	case errors.As(err, &dnsErr):
		return "listen failed: the host name of --addr could not be resolved; check its spelling, or pass an IP address such as 127.0.0.1"
	}
	return "listen failed"
}

// listenPort returns the port number of addr, resolving a service name
// such as http, and false when addr has none.
func listenPort(addr string) (int, bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false
	}
	n, err := net.LookupPort("tcp", port)
	return n, err == nil
}

// serveCommand runs the server until ctx is done. onListen, if not nil,
// receives the listening address.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer, onListen func(addr string)) int {
	f, status := parseServeFlags(args, stdout, stderr)
	if status >= 0 {
		return status
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if f.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	setThreads(f.threads)

	model, err := serve.LoadDimModel(f.checkpoint)
	if err != nil {
		fmt.Fprintf(stderr, "nidim serve: %s\n", sentence(strings.TrimPrefix(err.Error(), "serve: ")))
		return exitUsage
	}
	if !model.Verified() {
		log.Warn(dim.UnverifiedNote(f.checkpoint), "model", f.checkpoint)
	}
	if note := threadsNote(f.threads, false); note != "" {
		log.Warn(note, "threads", f.threads, "cpus", runtime.GOMAXPROCS(0))
	}
	m := model.Checkpoint()
	if note := unfinishedNote(f.checkpoint, m); note != "" {
		log.Warn(note, "model", f.checkpoint, "epoch", m.Epoch, "step", m.Step, "epochs", m.Config.Epochs)
	}
	// serve listens before the kNN startup, so that a busy address fails
	// at once rather than after the training data is embedded. The
	// connections made during that startup wait until it ends.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		log.Error(listenFailure(f.addr, err), "addr", f.addr, "error", err)
		return exitFail
	}
	// Serve closes ln itself; this closes it on the returns before.
	defer ln.Close()
	if f.method.method == methodKNN {
		if err := startKNNScore(ctx, model, f, log); err != nil {
			if errors.Is(err, errStoppedBeforeServing) {
				log.Info("stopped before serving", "reason", context.Cause(ctx))
				return exitOK
			}
			fmt.Fprintf(stderr, "nidim serve: %s\n", sentence(err.Error()))
			return exitUsage
		}
	}
	srv, err := serve.New(model, serve.Config{
		MaxBatch: f.maxBatch, MaxWait: f.maxWait, MaxQueue: f.maxQueue, MaxBody: f.maxBody,
		MaxImagePixels: f.maxImagePixels, Timeout: f.timeout, LogRequests: f.logRequests, Logger: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "nidim serve: %v\n", err)
		return exitUsage
	}
	defer srv.Close()

	hs := srv.HTTPServer(f.addr)
	info := model.Info()
	attrs := []any{"addr", ln.Addr().String(), "model", f.checkpoint, "sha256", info["checkpoint_sha256"],
		"prior", model.Prior(), "dim", model.Dim(), "input_size", model.InputSize()}
	if f.method.method == methodKNN {
		attrs = append(attrs, "method", methodKNN, "knn", f.method.k, "knn_metric", f.method.metric)
	}
	attrs = append(attrs, "max_batch", f.maxBatch, "max_wait", f.maxWait.String(), "max_queue", f.maxQueue, "max_body", f.maxBody, "max_image_pixels", f.maxImagePixels,
		"timeout", f.timeout.String(), "threads", tensor.Threads(), "log_requests", f.logRequests,
		"simd", simd.Active().Level.String())
	// The soft memory limit comes from GOMEMLIMIT or a control group's
	// memory limit, and math.MaxInt64 means that none is set.
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		attrs = append(attrs, "memory_limit", limit)
	}
	log.Info("serving", attrs...)
	if onListen != nil {
		onListen(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		log.Error("server failed", "error", err)
		return exitFail
	case <-ctx.Done():
	}

	log.Info("shutting down", "reason", context.Cause(ctx), "timeout", f.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Error("shutdown did not finish the requests in flight, so it cuts them off", "timeout", f.shutdownTimeout.String(), "requests", srv.CutOff(), "error", err)
		hs.Close()
		return exitFail
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Error("server failed", "error", err)
	}
	srv.Close()
	log.Info("stopped", "addr", ln.Addr().String())
	return exitOK
}

// errStoppedBeforeServing is the error of startKNNScore when ctx ends
// before the kNN scorer is ready.
var errStoppedBeforeServing = errors.New("stopped before serving")

// startKNNScore runs useKNNScore until it returns or ctx ends, so that
// Ctrl-C or SIGTERM stops serve during the startup of --method knn.
// That startup embeds the whole training data, and the 70,000 MNIST
// digits took 3 to 15 s on two loaded cores. It returns
// errStoppedBeforeServing when ctx ended first, or as the scorer was
// built. An interrupted build goes on in its goroutine until the process
// exits, because Embed cannot be canceled.
func startKNNScore(ctx context.Context, model *serve.DimModel, f *serveFlags, log *slog.Logger) error {
	if ctx.Err() != nil {
		return errStoppedBeforeServing
	}
	built := make(chan error, 1)
	go func() { built <- useKNNScore(model, f, log) }()
	select {
	case err := <-built:
		if err != nil {
			return err
		}
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		return errStoppedBeforeServing
	}
	return nil
}

// useKNNScore builds the kNN scorer of --method knn for model, as nidim
// score --method knn builds it: the embeddings of the training split of
// --train-data are the reference set, and those of its test split the
// calibration set. It logs the notes on the data as warnings, and the
// rows and the time taken once the scorer is built. The training data
// is garbage afterwards, and its memory is returned to the system.
func useKNNScore(model *serve.DimModel, f *serveFlags, log *slog.Logger) error {
	m := model.Checkpoint()
	path := f.method.trainData
	if path == "" {
		if err := builtinKNNDataError(f.checkpoint, m); err != nil {
			return err
		}
	}
	name := path
	if name == "" {
		name = "built-in MNIST"
	}
	c := &modelCommand{name: "serve", stderr: io.Discard, model: &f.checkpoint, threads: &f.threads,
		logNote: func(note string) { log.Warn(note, "train_data", name) }}
	// The startup can take minutes on a large training set, and nothing
	// else is logged until it ends.
	log.Info("embedding the kNN reference and calibration inputs", "train_data", name, "knn", f.method.k, "knn_metric", f.method.metric)
	start := time.Now()
	// The largest search is that of one request of --max-queue rows.
	s, err := c.knnScorer(m, path, "--train-data", f.method.k, dim.Metric(f.method.metric), nil, f.maxQueue, 0)
	if err != nil {
		return err
	}
	model.UseKNN(s, path)
	debug.FreeOSMemory()
	log.Info("embedded the kNN reference and calibration inputs", "train_data", name,
		"reference_rows", s.Reference.Shape[0], "calibration_rows", len(s.Calibration),
		"knn", s.K, "knn_metric", string(s.Metric), "duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// builtinKNNDataError returns an error when the built-in MNIST, which
// nidim serve --method knn reads without --train-data, cannot be the data
// that the model m, read from path, was trained on, and nil otherwise.
func builtinKNNDataError(path string, m *dim.Model) error {
	fix := fmt.Sprintf("pass the data %s was trained on as --train-data", path)
	switch {
	case m.Config.TestFraction != 0:
		return fmt.Errorf("missing --train-data: --method knn takes its reference and calibration inputs from the training and test splits of the data %s was trained on, which was a matrix file or a directory of images, not the built-in MNIST that it reads by default; %s", path, fix)
	case len(m.Config.Input) > 0 && !slices.Equal(m.Config.Input, []int{1, 28, 28}):
		return fmt.Errorf("missing --train-data: --method knn reads the built-in MNIST by default, of 1 x 28 x 28 images, but %s takes samples of shape %v; %s", path, m.Config.Input, fix)
	case !mnist.Embedded:
		return fmt.Errorf("missing --train-data: --method knn reads the built-in MNIST by default, but this nidim was built without it (build tag nomnist); %s", fix)
	}
	return nil
}
