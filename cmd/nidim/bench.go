package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "bench",
		summary: "measure the speed of kernels and training steps",
		run:     runBench,
	})
	registerBench("gemm", "time float32 matrix multiply (SGEMM) in GFLOP/s", runBenchGemm)
}

// benchCase is one subcommand of "nidim bench".
type benchCase struct {
	summary string
	// run executes the case with the arguments after its name, like
	// command.run. Called with the single argument "-help", it prints its
	// usage and every flag with its unit to stdout and returns exitOK;
	// "nidim help bench" shows that text for every case.
	run func(args []string, stdout, stderr io.Writer) int
}

var benchCases = map[string]benchCase{}

// registerBench adds the subcommand "nidim bench NAME". Files that define
// cases call it from init.
func registerBench(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	if _, dup := benchCases[name]; dup {
		panic("nidim: bench case registered twice: " + name)
	}
	benchCases[name] = benchCase{summary: summary, run: run}
}

func benchNames() []string {
	names := make([]string, 0, len(benchCases))
	for n := range benchCases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage(false))
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return writeHelp("nidim bench", benchUsage(true), stdout, stderr)
	}
	c, ok := benchCases[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "nidim bench: unknown case %q; use one of %s.\n", args[0], strings.Join(benchNames(), ", "))
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// benchUsage returns the list of cases and, when full is set, the flags
// of each.
func benchUsage(full bool) string {
	w := &strings.Builder{}
	fmt.Fprintln(w, "Usage: nidim bench CASE [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Measures the speed of nidim's kernels on this machine. Cases:")
	names := benchNames()
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), benchCases[n].summary)
	}
	if !full {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Run \"nidim help bench\" for the flags of each case.")
		return w.String()
	}
	for _, n := range names {
		fmt.Fprintln(w)
		benchCases[n].run([]string{"-help"}, w, w)
	}
	return w.String()
}

// gemmRow is one line of "nidim bench gemm", with the JSON keys of the
// OpenBLAS anchor script so that both outputs can be compared directly.
type gemmRow struct {
	Impl    string  `json:"impl"`
	Op      string  `json:"op"`
	M       int     `json:"m"`
	K       int     `json:"k"`
	N       int     `json:"n"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

// gemmShape is one case of the gemm benchmark: op(A) is m x k, op(B) is
// k x n, and op names the transposed operand (NN, TN or NT).
type gemmShape struct {
	m, k, n int
	op      string
}

// trainingShapes are the products of the MLP encoder's training step:
// forward (NN), weight gradient (TN) and input gradient (NT).
var trainingShapes = [][3]int{{256, 784, 512}, {256, 512, 512}, {256, 512, 64}, {512, 64, 512}}

const benchGemmUsage = `Usage: nidim bench gemm [flags]

Times C = A*B in float32 through nidim's blocked SGEMM and prints one row
per case: implementation (nidim-LEVEL), op, m, k, n, threads and GFLOP/s,
where GFLOP/s is 2*m*k*n divided by the best time per call. Each case is
timed in batches of calls lasting at least 0.1 s, and the best of 7
batches counts.

Flags:
  --sizes LIST   comma-separated square sizes m = k = n, in elements
                 (default 256,512,1024,2048; empty for none)
  --training     also time the MLP training shapes (m,k,n) = (256,784,512),
                 (256,512,512), (256,512,64) and (512,64,512), each as NN,
                 TN (A transposed) and NT (B transposed)
  --threads N    goroutines per multiply; 0 for all cores (default 1)
  --level L      SIMD level: generic, avx2, avx512 or neon (default: the
                 level nidim picks on this CPU, %s here)
  --json         print a JSON array of objects with the keys impl, op, m,
                 k, n, threads and gflops instead of text
`

// parseBenchFlags parses the flags of a bench case, whose FlagSet is named
// "bench CASE", and takes no arguments. It returns -1 to continue, or the
// exit status after printing usage for --help or a usage error.
func parseBenchFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return writeHelp("nidim "+fs.Name(), usage, stdout, stderr)
		}
		msg := flagErrorText(fs, args, err)
		fmt.Fprintf(stderr, "nidim %s: %s; run \"nidim help bench\" for the flags.\n", fs.Name(), msg)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nidim %s: unexpected argument %q; pass only flags.\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

func runBenchGemm(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench gemm", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sizes := fs.String("sizes", "256,512,1024,2048", "")
	training := fs.Bool("training", false, "")
	threads := fs.Int("threads", 1, "")
	levelName := fs.String("level", simd.Active().Level.String(), "")
	asJSON := fs.Bool("json", false, "")
	if st := parseBenchFlags(fs, args, fmt.Sprintf(benchGemmUsage, simd.Active().Level), stdout, stderr); st >= 0 {
		return st
	}

	shapes, err := parseGemmSizes(*sizes)
	if err != nil {
		fmt.Fprintf(stderr, "nidim bench gemm: %v\n", err)
		return exitUsage
	}
	if *training {
		for _, s := range trainingShapes {
			for _, op := range []string{"NN", "TN", "NT"} {
				shapes = append(shapes, gemmShape{s[0], s[1], s[2], op})
			}
		}
	}
	if len(shapes) == 0 {
		fmt.Fprintln(stderr, "nidim bench gemm: no cases to time: pass --sizes with at least one size or --training.")
		return exitUsage
	}
	if *threads < 0 {
		fmt.Fprintf(stderr, "nidim bench gemm: invalid --threads %d: use 0 for all cores or a positive count.\n", *threads)
		return exitUsage
	}
	if *threads == 0 {
		*threads = runtime.GOMAXPROCS(0)
	}
	level, err := simd.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintf(stderr, "nidim bench gemm: invalid --level %q: use one of %s.\n", *levelName, levelList(simd.Supported()))
		return exitUsage
	}
	kern, err := simd.Lookup(level)
	if err != nil {
		fmt.Fprintf(stderr, "nidim bench gemm: --level %s is not supported on this CPU or build: use one of %s.\n", level, levelList(simd.Supported()))
		return exitUsage
	}

	g := tensor.Gemmer{Kernels: kern, Threads: *threads}
	rng := rand.New(rand.NewPCG(0, 0))
	rows := make([]gemmRow, 0, len(shapes))
	for _, s := range shapes {
		seconds := timeGemm(g, rng, s)
		row := gemmRow{
			Impl: "nidim-" + level.String(), Op: s.op, M: s.m, K: s.k, N: s.n,
			Threads: *threads, GFLOPS: 2 * float64(s.m) * float64(s.k) * float64(s.n) / seconds / 1e9,
		}
		rows = append(rows, row)
		if !*asJSON {
			if _, err := fmt.Fprintf(stdout, "%-16s %s m=%5d k=%5d n=%5d threads=%d  %7.1f GFLOP/s\n",
				row.Impl, row.Op, row.M, row.K, row.N, row.Threads, row.GFLOPS); err != nil {
				fmt.Fprintf(stderr, "nidim bench gemm: writing the results failed: %v.\n", err)
				return exitFail
			}
		}
	}
	if *asJSON {
		out, err := json.Marshal(rows)
		if err != nil {
			fmt.Fprintf(stderr, "nidim bench gemm: %v\n", err)
			return exitFail
		}
		if _, err := fmt.Fprintln(stdout, string(out)); err != nil {
			fmt.Fprintf(stderr, "nidim bench gemm: writing the JSON results failed: %v.\n", err)
			return exitFail
		}
	}
	return exitOK
}

// parseGemmSizes parses the --sizes list into square NN cases.
func parseGemmSizes(list string) ([]gemmShape, error) {
	var shapes []gemmShape
	for _, field := range strings.Split(list, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		size, err := strconv.Atoi(field)
		if err != nil || size < 1 || size > 1<<15 {
			return nil, fmt.Errorf("invalid size %q in --sizes: use comma-separated integers from 1 to 32768, such as 256,512", field)
		}
		shapes = append(shapes, gemmShape{size, size, size, "NN"})
	}
	return shapes, nil
}

// timeGemm returns the best time per call of one case, in seconds: after
// one warm-up call it doubles the number of calls per batch until a batch
// lasts 0.1 s, then keeps the fastest of 7 such batches.
func timeGemm(g tensor.Gemmer, rng *rand.Rand, s gemmShape) float64 {
	const (
		repeats  = 7
		minBatch = 100 * time.Millisecond
	)
	opA, opB := tensor.NoTrans, tensor.NoTrans
	lda, ldb := s.k, s.n
	switch s.op {
	case "TN":
		opA, lda = tensor.Trans, s.m
	case "NT":
		opB, ldb = tensor.Trans, s.k
	}
	a := randomNormal(rng, s.m*s.k)
	b := randomNormal(rng, s.k*s.n)
	c := make([]float32, s.m*s.n)
	call := func() { g.Gemm(opA, opB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }

	call()
	calls := 1
	var elapsed time.Duration
	for {
		start := time.Now()
		for range calls {
			call()
		}
		elapsed = time.Since(start)
		if elapsed >= minBatch {
			break
		}
		calls *= 2
	}
	best := elapsed.Seconds() / float64(calls)
	for range repeats {
		start := time.Now()
		for range calls {
			call()
		}
		best = min(best, time.Since(start).Seconds()/float64(calls))
	}
	return best
}

func randomNormal(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// levelList returns the names of levels separated by commas, as in
// "generic, avx2, avx512".
func levelList(levels []simd.Level) string {
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.String()
	}
	return strings.Join(names, ", ")
}
