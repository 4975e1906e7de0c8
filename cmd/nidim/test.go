package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "test",
		summary: "test an embedding matrix against a prior such as N(0, I) or U[0,1]^d",
		run:     runTest,
	})
}

const testUsageHead = `Usage: nidim test [flags] FILE

Runs the prior-matching battery on FILE, a matrix whose rows are samples and
whose columns are embedding components: .npy, .csv, .tsv or .txt, optionally
gzipped (.gz). FILE "-" reads standard input, NPY or text, gzipped or not.
Every p-value of the run forms one family, adjusted with Holm's method; the
sample fails when some adjusted p-value is at most --alpha. The exit status
is 0 whenever the tests ran, whatever the verdict, 1 when the run failed and
2 on invalid flags or input. When stderr is a terminal, one line on it shows
the current step while the tests run, with the replicates that a Monte Carlo
test has drawn so far: one that rejects draws all of --max-replicates, which
took 9 s for 10,000 rows of 16 columns on two AVX-512 cores. When stderr
is a file or a pipe, a run that lasts more than 5 seconds writes that status
there as a line of its own at most every 10 seconds, with the time elapsed,
and a last line when the tests finish.

Flags:
  --prior NAME          target distribution, with independent components:
                        gaussian, N(0, I) (default); uniform, U[0,1]^d;
                        logistic, Logistic(0, 1)^d; laplace, Laplace(0, 1)^d;
                        exponential, Exponential(1)^d. Without it, a note
                        says when every value lies in [0, 1] or is 0 or
                        more, as uniform or exponential embeddings are
  --eps E               noise half-width of the uniform channel the
                        embeddings were trained with, which the grid test
                        needs; without it the grid test is skipped, which
                        the report says once and does not count as a
                        failure. Only with --prior uniform (default:
                        unknown)
  --tests LIST          comma-separated test names (default: every test valid
                        for the prior)
  --alpha A             family-wise significance level, a probability in
                        (0, 1) (default 0.01)
  --max-samples N       rows used by henze-zirkler, whose time grows with
                        rows^2 x columns, by jarque-bera and dagostino-k2,
                        whose replicates draw that many values each, and
                        by mardia-* when rows x min(rows, columns^2) x
                        columns exceeds about 1e10; larger files use a
                        seeded random subsample (default 2000; 0 uses all
                        rows)
  --energy-samples N    rows used by the multivariate energy tests, whose
                        time grows with replicates x rows^2 x columns
                        (default 500, at most --max-samples; 0 uses all rows)
  --replicates B        a fixed number of replicates for the Monte Carlo
                        tests (see below), whose p-values are then at least
                        1/(B+1). The reports that end train, eval and sweep
                        draw a fixed 199 for energy, energy-prior and
                        sliced-epps-pulley, and for jarque-bera and
                        dagostino-k2 the least count that lets Holm reject
                        on them alone (default: none, the p-values are
                        sequential, see --max-replicates). sphericity and
                        mean-covariance on no more rows than columns draw
                        at least that count whenever it is at most 19999.
                        At most 1000000, or 10 K/alpha when that is larger
  --max-replicates N    the maximum number of replicates of a sequential
                        Monte Carlo p-value: each test draws replicates
                        until 10 are at least as extreme as its statistic,
                        giving p = 10/L after L replicates, or until N,
                        giving at least 1/(N+1) (default: the least N that
                        lets Holm over the run's K p-values reject on that
                        one alone, K/alpha - 1, at least 999 and at most
                        19999). At most 1000000, or 10 K/alpha when that
                        is larger, past which no rejection changes. Not
                        with --replicates
  --seed S              seed of every subsample and Monte Carlo draw, an
                        unsigned integer; equal seeds give equal output
                        (default 1)
  --threads N           goroutines; 0 for all cores (default 0). Results
                        do not depend on it
  --json                print one JSON object instead of the text report
                        (keys n, d, prior, alpha, tests, components,
                        max_ks_distance, max_ks_component,
                        max_abs_correlation, max_correlation_pair,
                        tests_run, tests_rejected, tests_failed (tests
                        that could not run), reject, verdict, and skipped
                        ([{name, reason}], only when a test was skipped).
                        Each entry of tests has name, component (-1 for
                        all), statistic, p_value, p_adjusted and the
                        test's own keys. A Monte Carlo test adds
                        replicates (the number drawn) and stopped_early,
                        and a sequential one stop_after (10) and
                        max_replicates; jarque-bera, dagostino-k2,
                        sphericity and mean-covariance add
                        asymptotic_p_value. On no more rows than columns
                        sphericity and mean-covariance add statistic_form,
                        "schott" or "quadratic", and the quadratic form has
                        no asymptotic_p_value. Report.MarshalJSON in
                        package stats lists every key

Tests ("component" tests run on each column, the others on all columns):
`

func testUsage(w io.Writer) {
	fmt.Fprint(w, testUsageHead)
	width := 0
	for _, name := range stats.TestNames {
		width = max(width, len(name))
	}
	for _, name := range stats.TestNames {
		writeHelpEntry(w, name, width, stats.TestSummary(name))
	}
	fmt.Fprintln(w, "\nWith --prior uniform only anderson-darling-prior, ks-prior,")
	fmt.Fprintln(w, "cramer-von-mises-prior, grid, energy-prior and sphericity apply: the others")
	fmt.Fprintln(w, "test normality or N(0, I). grid applies only to --prior uniform.")
	fmt.Fprintln(w, "\nWith --prior logistic, laplace or exponential, ks-prior,")
	fmt.Fprintln(w, "anderson-darling-prior and cramer-von-mises-prior test each column against")
	fmt.Fprintln(w, "the prior itself. Every other test runs on the values mapped to N(0, 1) by")
	fmt.Fprintln(w, "the probability integral transform, Phi^-1(F(x)), which are N(0, I) exactly")
	fmt.Fprintln(w, "when the rows follow the prior: the normality tests then detect a wrong")
	fmt.Fprintln(w, "shape, and the multivariate ones dependence between components.")
	fmt.Fprintln(w, "\nThe Monte Carlo tests are energy, energy-prior, sliced-epps-pulley, jarque-bera")
	fmt.Fprintln(w, "and dagostino-k2. jarque-bera and dagostino-k2 compare their statistics with")
	fmt.Fprintln(w, "replicates of as many N(0, 1) values as they read (the rows, up to")
	fmt.Fprintln(w, "--max-samples), because their chi-square(2) p-values are too small far in the")
	fmt.Fprintln(w, "tail (the JSON keeps those as asymptotic_p_value). On no more rows than columns,")
	fmt.Fprintln(w, "where their determinants are 0, sphericity and mean-covariance are Monte Carlo")
	fmt.Fprintln(w, "tests too, whose replicates are samples of as many rows and columns of")
	fmt.Fprintln(w, "independent N(0, 1) values, or U[0, 1] for sphericity with --prior uniform.")
	fmt.Fprintln(w, "energy, energy-prior and sliced-epps-pulley simulate replicate r from the same")
	fmt.Fprintln(w, "random numbers of --seed, and jarque-bera and dagostino-k2 share theirs, so")
	fmt.Fprintln(w, "their Monte Carlo errors are correlated.")
	fmt.Fprintln(w, "Holm's adjustment holds under any dependence between the p-values, so that")
	fmt.Fprintln(w, "correlation leaves the verdict valid.")
}

// parseTestArgs parses flags and the single FILE argument, which may come
// before, between or after the flags. priorGiven reports whether the
// command line set --prior.
func parseTestArgs(args []string) (opts stats.ReportOptions, path string, asJSON, priorGiven bool, err error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	prior := fs.String("prior", "gaussian", "")
	eps := fs.Float64("eps", 0, "")
	tests := fs.String("tests", "", "")
	alpha := fs.Float64("alpha", stats.DefaultAlpha, "")
	maxSamples := fs.Int("max-samples", stats.DefaultMaxSamples, "")
	energySamples := fs.Int("energy-samples", stats.DefaultEnergySamples, "")
	replicates := fs.Int("replicates", 0, "")
	maxReplicates := fs.Int("max-replicates", 0, "")
	seed := fs.Uint64("seed", 1, "")
	threads := fs.Int("threads", 0, "")
	jsonFlag := fs.Bool("json", false, "")

	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return opts, "", false, false, err
			}
			return opts, "", false, false, fmt.Errorf("%s; run \"nidim help test\" for the flags", flagErrorText(fs, args, err))
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(files) == 0:
		return opts, "", false, false, errors.New("missing FILE: pass the path of an .npy, .csv, .tsv or .txt matrix")
	case len(files) > 1:
		return opts, "", false, false, fmt.Errorf("unexpected argument %q after FILE %q: pass one file", files[1], files[0])
	}

	if *alpha <= 0 || *alpha >= 1 || math.IsNaN(*alpha) {
		return opts, "", false, false, fmt.Errorf("invalid --alpha %v: use a probability between 0 and 1, such as 0.01", *alpha)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, f := range []struct {
		name  string
		value int
		min   int
	}{{"max-samples", *maxSamples, 0}, {"energy-samples", *energySamples, 0}, {"replicates", *replicates, 1}, {"max-replicates", *maxReplicates, 1}} {
		if set[f.name] && f.value < f.min {
			return opts, "", false, false, fmt.Errorf("invalid --%s %d: use %d or more", f.name, f.value, f.min)
		}
	}
	if set["replicates"] && set["max-replicates"] {
		return opts, "", false, false, errors.New("--replicates fixes the number of Monte Carlo replicates and --max-replicates caps sequential p-values; pass one of them")
	}
	if *threads < 0 {
		return opts, "", false, false, fmt.Errorf("invalid --threads %d: use 0 for all cores or a positive count", *threads)
	}
	if *threads == 0 {
		*threads = runtime.GOMAXPROCS(0)
	}
	allRows := func(n int) int {
		if n == 0 {
			return math.MaxInt
		}
		return n
	}
	opts = stats.ReportOptions{
		Prior:         *prior,
		Alpha:         *alpha,
		MaxSamples:    allRows(*maxSamples),
		EnergySamples: allRows(*energySamples),
		Replicates:    *replicates,
		MaxReplicates: *maxReplicates,
		Eps:           *eps,
		Seed:          *seed,
		Workers:       *threads,
	}
	if *tests != "" {
		for _, name := range strings.Split(*tests, ",") {
			if name = strings.TrimSpace(name); name != "" {
				opts.Tests = append(opts.Tests, name)
			}
		}
		if len(opts.Tests) == 0 {
			return opts, "", false, false, fmt.Errorf("--tests %q names no test: pass comma-separated names from %s", *tests, strings.Join(stats.TestNames, ", "))
		}
	}
	epsSet := set["eps"]
	priorGiven = set["prior"]
	// Check the prior and the test names before reading a possibly large
	// file, and without naming the file, which is not at fault. A given
	// --eps is checked below instead, because the library accepts 0 for an
	// unknown half-width and its message suggests it, but --eps 0 is
	// invalid here.
	checked := opts
	if epsSet {
		checked.Eps = 0
	}
	if err := stats.CheckReportOptions(checked); err != nil {
		return opts, "", false, false, err
	}
	// Only the grid test reads --eps, and it runs for the uniform prior
	// only, so any other prior would ignore the flag.
	if epsSet && *prior != "uniform" {
		return opts, "", false, false, fmt.Errorf("--eps does not apply to the %s prior: only the grid test of --prior uniform uses it; drop --eps or pass --prior uniform", *prior)
	}
	// The grid test looks for the lattice that a narrow channel leaves, so
	// it takes only half-widths below half the unit interval.
	if epsSet && !(*eps > 0 && *eps < 0.5) {
		return opts, "", false, false, fmt.Errorf("invalid --eps %v: the grid test needs a half-width between 0 and 0.5, exclusive; drop --eps for a wider channel, whose report then skips the grid test", *eps)
	}
	return opts, files[0], *jsonFlag, priorGiven, nil
}

func runTest(args []string, stdout, stderr io.Writer) int {
	opts, path, asJSON, priorGiven, err := parseTestArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		w := &strings.Builder{}
		testUsage(w)
		return writeHelp("nidim test", w.String(), stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "nidim test: %s\n", sentence(err.Error()))
		return exitUsage
	}
	// parseTestArgs has replaced --threads 0 by the CPU count, which gets
	// no note.
	printNote(stderr, "nidim test", threadsNote(opts.Workers, false))
	if n := opts.MaxReplicates; n > 0 && n < stats.DefaultStopAfter {
		printNote(stderr, "nidim test", fmt.Sprintf("a sequential Monte Carlo test stops once %d replicates are at least as extreme as its statistic, so with --max-replicates %d every such test draws all %d and its p-value is at least 1/%d, as with --replicates %d",
			stats.DefaultStopAfter, n, n, n+1, n))
	}

	if path == stdinPath {
		if err := checkStdinNotTerminal("embeddings", "them", "nidim embed MODEL --out - | nidim test - or nidim test - < embeddings.npy"); err != nil {
			fmt.Fprintf(stderr, "nidim test: %v.\n", err)
			return exitUsage
		}
	}
	data, rows, cols, note, err := readEmbeddingFile(path)
	printNote(stderr, "nidim test", note)
	if err != nil {
		fmt.Fprintf(stderr, "nidim test: %s.\n", strings.TrimSuffix(err.Error(), "."))
		return exitUsage
	}
	if path == "-" {
		path = "standard input" // for the messages below
	}
	if rows == 0 || cols == 0 {
		fmt.Fprintf(stderr, "nidim test: %s holds a %d x %d matrix; the tests need at least one row and one column.\n", path, rows, cols)
		return exitUsage
	}

	if err := checkReplicateLimit(opts, rows, cols); err != nil {
		fmt.Fprintf(stderr, "nidim test: %s\n", sentence(err.Error()))
		return exitUsage
	}

	// The battery can take minutes on a large file, so a note on the
	// prior comes before it, unless the values cannot be tested at all:
	// the battery then reports only its error.
	if !priorGiven && allFinite(data) {
		printNote(stderr, "nidim test", defaultPriorNote(path, data, "the tests compare them with N(0, I)"))
	}
	// The battery's current step, on a terminal or in a log.
	show, finish := startProgress(stderr, "nidim test: ", "the tests finished")
	opts.Progress = show
	report, err := stats.BuildReport(stats.Matrix{N: rows, D: cols, Data: data}, opts)
	finish()
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "stats: ")
		msg = strings.TrimPrefix(msg, "report: ")
		fmt.Fprintf(stderr, "nidim test: %s: %s.\n", path, strings.TrimSuffix(msg, "."))
		return exitUsage
	}
	if len(report.Tests) == 0 {
		skip := report.Skipped[0]
		fmt.Fprintf(stderr, "nidim test: no test ran on %s: %s was skipped, because %s.\n", path, skip.Name, skip.Reason)
		return exitUsage
	}
	if report.Ran() == 0 {
		first := report.Tests[0]
		fix := "add rows or choose other tests with --tests"
		reason := first.Err
		if flagName, cap := rowCapFlag(first.Name, opts); flagName != "" && cap < rows {
			fix = fmt.Sprintf("raise %s from %d (the file has %d rows) or choose other tests with --tests", flagName, cap, rows)
			reason = strings.TrimSuffix(reason, "; add rows")
		}
		if strings.Contains(first.Err, "outside its support") {
			// More rows would not help, because such a value already rules
			// the prior out, which the tests against the prior report.
			fix = "such a value rules the prior out, which ks-prior and anderson-darling-prior report: add them with --tests"
		}
		fmt.Fprintf(stderr, "nidim test: no test could run on the %d x %d matrix in %s (%s: %s); %s.\n",
			rows, cols, path, first.Name, reason, fix)
		return exitUsage
	}
	reportFailures(report, opts, stderr)

	if asJSON {
		raw, err := json.Marshal(report)
		if err == nil {
			_, err = fmt.Fprintf(stdout, "%s\n", raw)
		}
		if err != nil {
			fmt.Fprintf(stderr, "nidim test: writing the JSON report failed: %v.\n", err)
			return exitFail
		}
		return exitOK
	}
	if err := report.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "nidim test: writing the report failed: %v.\n", err)
		return exitFail
	}
	return exitOK
}

// maxReplicatesFlag bounds --replicates and --max-replicates, unless
// the bound of checkReplicateLimit that Holm's adjustment sets is larger.
// Its p-values resolve 1e-6. A fixed count draws all of it on any data,
// and a sequential test draws all of it when it rejects. At 16 columns
// and 500 rows BenchmarkMonteCarloPValue draws 18399 energy replicates in
// 6 to 7 s on two cores, so 1000000 take an estimated 6 minutes a test,
// more on a loaded machine or with more columns.
const maxReplicatesFlag = 1_000_000

// checkReplicateLimit returns an error when --replicates or
// --max-replicates of opts exceeds both maxReplicatesFlag and h K/alpha,
// with h = stats.DefaultStopAfter and K the p-values of the run on a
// sample of rows x cols. Every threshold of Holm's adjustment is at least
// alpha/K, and a sequential p-value with a maximum n >= h/a is at most a
// exactly when its h-th replicate at least as extreme as the statistic
// comes at h/a or later (or never), whatever n. So a larger maximum
// changes no rejection.
// A fixed count gets the same bound, at which its p-values resolve a
// tenth of alpha/K.
func checkReplicateLimit(opts stats.ReportOptions, rows, cols int) error {
	name, value, drawn := "--max-replicates", opts.MaxReplicates, "a test that rejects draws all"
	if opts.Replicates > 0 {
		name, value, drawn = "--replicates", opts.Replicates, "every Monte Carlo test draws all"
	}
	if value <= maxReplicatesFlag || !selectsMonteCarlo(opts.Tests, rows, cols) {
		return nil
	}
	need, family, err := stats.HolmReplicates(opts, cols)
	if err != nil {
		return err
	}
	if need >= stats.MaxHolmReplicates {
		return fmt.Errorf("invalid %s %d: use at most %d, because at alpha %g no count of replicates that could be drawn lets Holm over %s of this run reject on one Monte Carlo p-value alone, while %s %d",
			name, value, maxReplicatesFlag, opts.Alpha, familyText(family), drawn, value)
	}

	// need + 1 is the least B + 1 with K/(B + 1) <= alpha.
	holmLimit := stats.DefaultStopAfter * (need + 1)
	if value <= holmLimit {
		return nil
	}
	reason := fmt.Sprintf("more replicates change no rejection of Holm's adjustment, while %s %d", drawn, value)
	if opts.Replicates > 0 {
		reason = fmt.Sprintf("the p-values resolve a tenth of Holm's smallest threshold alpha/K, while %s %d on any data", drawn, value)
	}
	if ratio := float64(value) / float64(holmLimit); ratio >= 2 {
		reason += fmt.Sprintf(", about %.0f times as many", ratio)
	}
	return fmt.Errorf("invalid %s %d: use at most %d; from %d replicates on, about 10 K/alpha for %s of this run and alpha %g, %s",
		name, value, max(maxReplicatesFlag, holmLimit), holmLimit, familyText(family), opts.Alpha, reason)
}

// familyText names the K p-values of a run for the replicate limit's
// errors: "the K = 1 p-value" or "the K = 52 p-values".
func familyText(k int) string {
	if k == 1 {
		return "the K = 1 p-value"
	}
	return fmt.Sprintf("the K = %d p-values", k)
}

// monteCarloTests are the tests of the report whose p-values come from
// replicates, and fewRowsMonteCarloTests those whose p-values come from
// replicates on a sample of no more rows than columns.
var (
	monteCarloTests        = []string{"energy", "energy-prior", "sliced-epps-pulley", "dagostino-k2", "jarque-bera"}
	fewRowsMonteCarloTests = []string{"sphericity", "mean-covariance"}
)

// selectsMonteCarlo reports whether the selection of --tests, empty for
// the default battery, can run a Monte Carlo test on a sample of rows x
// cols.
func selectsMonteCarlo(tests []string, rows, cols int) bool {
	return len(tests) == 0 || slices.ContainsFunc(tests, func(name string) bool {
		return slices.Contains(monteCarloTests, name) || (rows <= cols && slices.Contains(fewRowsMonteCarloTests, name))
	})
}

// startProgress returns the function that shows the status of a long
// step on stderr and the function that ends the display. On a terminal
// one line shows the current status. Another file, such as a log or a
// pipe, gets a plain line now and then, but only once the step has run
// for progressLogDelay, so that the stderr of short runs stays as it
// was. Its last line then gives finished and the time taken. Writers
// that are not files, such as buffers in tests, get nothing, and show is
// then nil.
func startProgress(stderr io.Writer, prefix, finished string) (show func(string), finish func()) {
	if isTerminal(stderr) {
		line := &progressLine{w: stderr, prefix: prefix}
		return line.show, line.clear
	}
	if _, isFile := stderr.(*os.File); isFile {
		logged := newProgressLog(stderr, prefix, finished)
		return logged.show, logged.finish
	}
	return nil, func() {}
}

// progressLine shows a status on one terminal line, each new status
// replacing the last one.
type progressLine struct {
	w      io.Writer
	prefix string
	drawn  bool
}

func (p *progressLine) show(status string) {
	fmt.Fprintf(p.w, "\r\033[K%s%s", p.prefix, status)
	p.drawn = true
}

// clear erases the status line so that other output can follow. It does
// nothing on a nil *progressLine.
func (p *progressLine) clear() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// Timing of the progress lines that nidim test writes to a stderr that
// is a file or a pipe but no terminal.
const (
	progressLogDelay    = 5 * time.Second  // silence at the start of a run
	progressLogInterval = 10 * time.Second // minimum time between two lines
)

// progressClock is the clock of progressLog. Tests replace it.
var progressClock = time.Now

// progressTicks returns the channel whose times make progressLog repeat
// the current status while it does not change, and the function that
// stops it. Tests replace it.
var progressTicks = func() (<-chan time.Time, func()) {
	ticker := time.NewTicker(time.Second)
	return ticker.C, ticker.Stop
}

// progressLog writes the status of a long run to a log as plain lines:
// nothing during the first progressLogDelay, then the current status at
// most once per progressLogInterval, with the time elapsed. A new status
// gets a line at once when the interval has passed. Otherwise a
// goroutine repeats the latest status once the interval has passed, so
// that a step whose status stays the same for minutes still shows that
// the run goes on.
type progressLog struct {
	w        io.Writer
	prefix   string
	finished string // the start of the last line, such as "the tests finished"
	start    time.Time
	done     chan struct{} // closed by finish to stop the goroutine
	exited   chan struct{} // closed by the goroutine when it returns

	mu      sync.Mutex // guards the fields below and writes to w
	status  string
	next    time.Time // the earliest time of the next line
	written bool
}

// newProgressLog starts a progress log on w and its goroutine, which
// finish stops.
func newProgressLog(w io.Writer, prefix, finished string) *progressLog {
	now := progressClock()
	p := &progressLog{w: w, prefix: prefix, finished: finished, start: now, next: now.Add(progressLogDelay),
		done: make(chan struct{}), exited: make(chan struct{})}
	ticks, stop := progressTicks()
	go func() {
		defer close(p.exited)
		defer stop()
		for {
			select {
			case now := <-ticks:
				p.mu.Lock()
				p.write(now)
				p.mu.Unlock()
			case <-p.done:
				return
			}
		}
	}()
	return p
}

func (p *progressLog) show(status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = status
	p.write(progressClock())
}

// write writes the current status when there is one and the time now
// has reached p.next. The caller holds p.mu.
func (p *progressLog) write(now time.Time) {
	if p.status == "" || now.Before(p.next) {
		return
	}
	fmt.Fprintf(p.w, "%s%s (%s elapsed)\n", p.prefix, p.status, now.Sub(p.start).Round(time.Second))
	p.next = now.Add(progressLogInterval)
	p.written = true
}

// finish stops the goroutine and then writes the total time when a
// progress line was written, so that a log shows that the run ended. It
// does nothing on a nil *progressLog.
func (p *progressLog) finish() {
	if p == nil {
		return
	}
	close(p.done)
	<-p.exited
	if p.written {
		fmt.Fprintf(p.w, "%s%s after %s\n", p.prefix, p.finished, progressClock().Sub(p.start).Round(time.Second))
	}
}

// formatShape writes shape as NumPy prints it: (10, 10, 4), (5,) or ().
func formatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// rowCapFlag returns the flag that caps the rows of the named test in
// nidim test, and its value in opts, or "" for a test that reads every
// row.
func rowCapFlag(name string, opts stats.ReportOptions) (flagName string, rows int) {
	switch name {
	case "henze-zirkler":
		return "--max-samples", opts.MaxSamples
	case "jarque-bera", "dagostino-k2":
		return "--max-samples", opts.MaxSamples
	case "epps-pulley":
		// Its subsample of at most 1000 rows is smaller than 8, the
		// rows it needs, only when --max-samples is.
		return "--max-samples", opts.MaxSamples
	case "energy", "energy-prior", "sliced-epps-pulley":
		if opts.EnergySamples <= opts.MaxSamples {
			return "--energy-samples", opts.EnergySamples
		}
		return "--max-samples", opts.MaxSamples
	}
	return "", 0
}

// reportFailures writes a warning to stderr for the tests that could not
// run on some component. Tests with the same first error share one line,
// which names them and gives their count, so that one cause, such as a
// value outside a transform prior's support, gets one warning.
// When a test ran on fewer rows than the file has because of --max-samples
// or --energy-samples, the advice to add rows names that flag instead.
func reportFailures(r *stats.Report, opts stats.ReportOptions, stderr io.Writer) {
	capFlag := func(name string) (string, int) { return rowCapFlag(name, opts) }

	// The first error of each test, and its count of failed entries.
	type failure struct {
		msg   string
		count int
	}
	var names []string
	byName := map[string]*failure{}
	for _, e := range r.Tests {
		if e.Err == "" {
			continue
		}
		f, ok := byName[e.Name]
		if !ok {
			msg := strings.TrimSuffix(e.Err, ".")
			if flagName, rows := capFlag(e.Name); flagName != "" && rows < r.N {
				raise := fmt.Sprintf("raise %s from %d (the file has %d rows)", flagName, rows, r.N)
				switch {
				case strings.Contains(msg, "add rows"):
					msg = strings.Replace(msg, "add rows", raise, 1)
				case strings.HasPrefix(msg, "need at least "):
					// The per-component tests state only the count.
					msg += "; " + raise
				}
			}
			f = &failure{msg: msg}
			byName[e.Name] = f
			names = append(names, e.Name)
		}
		f.count++
	}

	// The tests that share an error, in report order.
	type group struct {
		names   []string
		entries int
	}
	var messages []string
	byMessage := map[string]*group{}
	for _, name := range names {
		f := byName[name]
		g, ok := byMessage[f.msg]
		if !ok {
			g = &group{}
			byMessage[f.msg] = g
			messages = append(messages, f.msg)
		}
		g.names = append(g.names, name)
		g.entries += f.count
	}

	for _, msg := range messages {
		g := byMessage[msg]
		if len(g.names) > 1 {
			entries := ""
			if g.entries > len(g.names) {
				entries = fmt.Sprintf(", %d entries in all", g.entries)
			}
			fmt.Fprintf(stderr, "nidim test: warning: %d tests could not run%s (%s): %s.\n",
				len(g.names), entries, strings.Join(g.names, ", "), msg)
			continue
		}
		where := ""
		if g.entries > 1 {
			where = fmt.Sprintf(" (%d entries)", g.entries)
		}
		fmt.Fprintf(stderr, "nidim test: warning: %s could not run%s: %s.\n", g.names[0], where, msg)
	}
}

// stdin is what "nidim test -" reads; tests replace it.
var stdin io.Reader = os.Stdin

// stdinIsTerminal reports whether stdin is a terminal, as isTerminal
// decides it for a writer.
func stdinIsTerminal() bool {
	f, ok := stdin.(*os.File)
	return ok && isTerminal(f)
}

// checkStdinNotTerminal returns an error for FILE - when standard input is
// a terminal, where reading would wait for the user to type the input.
// input names what FILE contains, pronoun refers to it, and examples shows
// commands that pipe or redirect it.
func checkStdinNotTerminal(input, pronoun, examples string) error {
	if !stdinIsTerminal() {
		return nil
	}
	return fmt.Errorf("standard input is a terminal, so FILE - would wait for %s typed there; pipe or redirect %s, as in %s, or pass the file's path", input, pronoun, examples)
}

// readEmbeddingFile reads an n x d embedding matrix from path, or from
// standard input when path is "-": a 2-D array, or a 1-D array as one
// column. Flattening more dimensions into
// columns would treat values that are not embedding components, such as
// the pixels of images, as components, so such arrays are an error. note
// is the note on the first row of a text matrix (see columnNumbersNote),
// or "".
func readEmbeddingFile(path string) (data []float64, rows, cols int, note string, err error) {
	var shape []int
	name := path
	textStart := textFileStart(path)
	if path == "-" {
		name = "standard input"
		head := &headRecorder{r: stdin}
		data, shape, err = tensor.ReadArray(head, name)
		textStart = head.textStart
	} else {
		if err := notEmbeddingsError(path, sniffFile(path)); err != nil {
			return nil, 0, 0, "", err
		}
		data, shape, err = tensor.ReadArrayFile(path)
	}
	var invalid *tensor.FormatError
	if errors.As(err, &invalid) && invalid.Value != "" {
		return nil, 0, 0, "", textValueError(name, invalid)
	}
	if err != nil {
		return nil, 0, 0, "", errors.New(strings.TrimPrefix(err.Error(), "tensor: "))
	}
	switch len(shape) {
	case 1:
		return data, shape[0], 1, "", nil
	case 2:
		rows, cols := shape[0], shape[1]
		note := matrixLayoutNote(name, "It is read as component 0 of the embeddings like any other", data, rows, cols, textStart)
		return data, rows, cols, note, nil
	}
	return nil, 0, 0, "", fmt.Errorf("%s holds an array of shape %s with %s; an embedding file needs a matrix with one row per sample and one column per component, so reshape it to 2 dimensions first",
		name, formatShape(shape), plural(len(shape), "dimension", "dimensions"))
}

// textValueError returns the error for text where a text file of
// embeddings, name, needs a number: a missing-value marker, or a column of
// text such as the class names at the end of each row. nidim test and
// nidim plot read embeddings through readEmbeddingFile.
func textValueError(name string, invalid *tensor.FormatError) error {
	where := textValuePlace(invalid)
	if isMissingMarker(invalid.Value) {
		return fmt.Errorf("%s: %s holds %s, a marker of a missing value, which is not a number; fill the value in or drop the row",
			name, where, quoteValue(invalid.Value))
	}
	return fmt.Errorf("%s: %s holds %s, which is not a number; an embedding file contains only numbers, so drop that column, such as a column of class names, and keep the embedding components",
		name, where, quoteValue(invalid.Value))
}

// headRecorder passes reads through from r and keeps their first
// headSize bytes, for the note of columnNumbersNote.
type headRecorder struct {
	r    io.Reader
	head []byte
}

// headSize is the length of the input start in which columnNumbersNote
// looks for a header line.
const headSize = 64 << 10

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := headSize - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

// textStart returns the recorded input, decompressed when it is gzip, or
// nil when it starts with the NPY magic string, which is how
// tensor.ReadArray detects NPY.
func (h *headRecorder) textStart() []byte {
	start := h.head
	if len(start) >= 2 && start[0] == 0x1f && start[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(start))
		if err != nil {
			return nil
		}
		// The recorded head may end inside the stream, which ends the
		// read with io.ErrUnexpectedEOF after the bytes it could decode.
		start, _ = io.ReadAll(io.LimitReader(zr, headSize))
	}
	if bytes.HasPrefix(start, []byte(npyMagic)) {
		return nil
	}
	return start
}

// npyMagic starts every NPY file.
const npyMagic = "\x93NUMPY"

// allFinite reports whether no value of data is NaN or infinite.
func allFinite(data []float64) bool {
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// defaultPriorNote returns a note when every finite value of data, read
// from name without --prior, lies in the support of the uniform prior,
// [0, 1], or of the exponential one, [0, inf), and "" otherwise. Such
// values are the embeddings of a model trained for that prior, and the
// default prior, N(0, I), rejects them whatever their fit. compared says
// what the command does with the default instead. Below 8 values the
// note stays silent, because a few Gaussian values are all positive too
// often.
func defaultPriorNote(name string, data []float64, compared string) string {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi, n = min(lo, v), max(hi, v), n+1
	}
	if n < 8 || lo < 0 {
		return ""
	}
	where, prior := "lies in [0, 1]", "uniform"
	if hi > 1 {
		where, prior = "is 0 or more", "exponential"
	}
	return fmt.Sprintf("every value in %s %s, as in the embeddings of a model trained with --prior %s, but without --prior %s; pass --prior %s if they are such embeddings",
		name, where, prior, compared, prior)
}
