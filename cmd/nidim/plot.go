package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/internal/plot"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "plot",
		summary: "draw SVG figures: scatter, Q-Q plots, histograms, training curves, trade-offs",
		run:     runPlot,
	})
}

const plotUsage = `Usage: nidim plot KIND [flags] FILE

Draws one SVG figure from FILE and writes it to --out (default: FILE with
its extension replaced by -KIND.svg, in the same directory). FILE - reads
standard input, for every kind but tradeoff, and the default --out is then
stdin-KIND.svg. Embedding files are matrices with one sample per row:
.npy, .csv, .tsv or .txt, optionally followed by .gz. Points and values
that are NaN or infinite are left out; the figure says how many, and so
does a warning on stderr. The line "wrote FILE" that names the SVG file
goes to stderr as well, and stdout stays empty.

Kinds:
  scatter EMB      two components of an embedding, coloured by class
  qq EMB           a Q-Q plot of each component against the prior
  hist EMB         a histogram of each component with the prior density
  curves HISTORY   training curves from the JSON that "nidim train --json"
                   prints
  tradeoff SWEEP   two columns of a sweep CSV against each other

Flags of every kind:
  --out FILE          SVG file to write; the name must end in .svg
                      (default: FILE with its extension replaced by
                      -KIND.svg, or stdin-KIND.svg for FILE -)
  --title TEXT        figure title (default: the kind and FILE)

scatter:
  --labels FILE       class labels, one per row of EMB: a one-column matrix
                      file or an IDX labels file such as
                      t10k-labels-idx1-ubyte.gz; values must be integers
                      (default: no labels, one colour)
  --x J               component on the x axis, a column index from 0
                      (default 0)
  --y J               component on the y axis (default 1)
  --max-points N      points drawn at most; more rows are thinned to a
                      random subsample, noted in the subtitle (default
                      5000; 0 draws all, about 50 bytes of SVG per point)
  --seed S            seed of the subsample and of the drawing order, an
                      unsigned integer (default 1)

qq and hist:
  --prior NAME        the prior of each component: gaussian N(0, 1)
                      (default), uniform U(0, 1), logistic Logistic(0, 1),
                      laplace Laplace(0, 1) or exponential Exp(1).
                      Without it, a note says when every value lies in
                      [0, 1] or is 0 or more, as uniform or exponential
                      embeddings are
  --max-panels N      components drawn at most, from component 0; the
                      subtitle notes the rest (default 16)
  --columns N         panels per row; 0 chooses about as many columns as
                      rows (default 0)
  --max-points N      (qq only) quantiles drawn per panel, evenly spaced
                      and always including the minimum and maximum
                      (default 400)
  --bins N            (hist only) bins per histogram; 0 chooses the
                      Freedman-Diaconis number between 5 and 100 (default 0)

curves:
  HISTORY is a JSON object with an "epochs" or a "history" array of
  per-epoch records {"epoch", "loss", "mi_estimate", "capacity",
  "ln_batch"}, in nats; "capacity" and "ln_batch" may instead be given
  once at the top level, as "nidim train --json" does. Missing values
  leave gaps. The figure has a loss panel and a panel of the MI estimate
  with the capacity (dashed) and ln B (dotted) bounds. An epoch with
  "resumed_at_step" N, which "nidim train --resume --json" gives the
  epoch it continued, is drawn like the others, and a note under the
  figure says that its values cover only the steps after step N.

tradeoff:
  --x NAME            column for the x axis (default max_ks, the largest
                      Kolmogorov-Smirnov distance of a run)
  --y NAME            column for the y axis (default linear_probe_accuracy)
  SWEEP is a CSV file with a header row. Rows with an empty or non-finite
  x or y are left out. Each dimension ("dim" column), prior ("prior"
  column) and kind of run ("kind" column: the noise runs and each
  baseline) gets its own line, with points in order of the "level"
  column, and the seeds of one setting are averaged into one point.
  Each point of a noise run is labelled with its level: σ=0.5 for sigma,
  or ε=0.1 for the eps of the uniform prior. Without those columns the
  points are joined in file order.
`

func runPlot(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "nidim plot: missing KIND; use scatter, qq, hist, curves or tradeoff, as in \"nidim plot scatter emb.npy\".")
		return exitUsage
	}
	kind, rest := args[0], args[1:]
	switch kind {
	case "-help", "-h", "--help", "help":
		return writeHelp("nidim plot", plotUsage, stdout, stderr)
	}
	draw, ok := plotKinds[kind]
	if !ok {
		fmt.Fprintf(stderr, "nidim plot: unknown kind %q; use scatter, qq, hist, curves or tradeoff.\n", kind)
		return exitUsage
	}
	p := &plotRun{kind: kind, stdout: stdout, stderr: stderr}
	p.flags = flag.NewFlagSet("plot "+kind, flag.ContinueOnError)
	p.flags.SetOutput(io.Discard)
	p.flags.StringVar(&p.out, "out", "", "")
	p.flags.StringVar(&p.title, "title", "", "")
	return draw(p, rest)
}

// plotKinds maps each KIND to its function, which parses the remaining
// arguments, draws the figure and returns the exit status.
var plotKinds = map[string]func(p *plotRun, args []string) int{
	"scatter":  plotScatter,
	"qq":       plotQQ,
	"hist":     plotHist,
	"curves":   plotCurves,
	"tradeoff": plotTradeoff,
}

// plotRun holds what every kind shares: the flags, the output streams and
// the input path.
type plotRun struct {
	kind           string
	flags          *flag.FlagSet
	out, title     string
	path           string
	stdout, stderr io.Writer
}

// name returns the input as messages name it.
func (p *plotRun) name() string {
	if p.path == stdinPath {
		return "standard input"
	}
	return p.path
}

// baseName returns the input's file name without its directory, for
// titles.
func (p *plotRun) baseName() string {
	if p.path == stdinPath {
		return "standard input"
	}
	return filepath.Base(p.path)
}

// usageError reports invalid usage or input and returns exitUsage.
func (p *plotRun) usageError(format string, a ...any) int {
	msg := strings.TrimSuffix(fmt.Sprintf(format, a...), ".")
	fmt.Fprintf(p.stderr, "nidim plot %s: %s.\n", p.kind, msg)
	return exitUsage
}

// checkInputFile rejects a FILE that is missing or a directory, in the
// words that the matrix readers of the other kinds use. want names the
// file to pass instead of a directory. It returns -1 to continue, or the
// exit status after printing the error.
func (p *plotRun) checkInputFile(want string) int {
	if p.path == stdinPath {
		return -1
	}
	fi, err := os.Stat(p.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return p.usageError("%s does not exist; check the path", p.path)
	case err == nil && fi.IsDir():
		return p.usageError("%s is a directory; pass %s", p.path, want)
	}
	return -1
}

// parse parses args and the single FILE argument, which may come before,
// between or after the flags. It returns -1 to continue, or the exit
// status after printing help or an error.
func (p *plotRun) parse(args []string) int {
	var files []string
	for {
		if err := p.flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return writeHelp("nidim "+p.flags.Name(), plotUsage, p.stdout, p.stderr)
			}
			msg := flagErrorText(p.flags, args, err)
			if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
				if kinds := plotFlagKinds[name]; len(kinds) > 0 {
					msg = fmt.Sprintf("%s is a flag of nidim plot %s, not of %s", typedFlag(p.flags, args, "--"+name), joinOr(kinds), p.kind)
				}
			}
			return p.usageError("%s; run \"nidim help plot\" for the flags", msg)
		}
		if p.flags.NArg() == 0 {
			break
		}
		files = append(files, p.flags.Arg(0))
		args = p.flags.Args()[1:]
	}
	switch {
	case len(files) == 0:
		return p.usageError("missing FILE; pass the input path, as in \"nidim plot %s %s\"", p.kind, plotExampleInput[p.kind])
	case len(files) > 1:
		return p.usageError("unexpected argument %q after FILE %q; pass one file", files[1], files[0])
	}
	p.path = files[0]
	if p.path == stdinPath {
		if p.kind == "tradeoff" {
			return p.usageError("tradeoff reads a sweep table by its path, not from standard input; pass the file, as in \"nidim plot tradeoff %s\"", plotExampleInput[p.kind])
		}
		source := "nidim embed MODEL --out - | nidim plot " + p.kind + " -"
		if p.kind == "curves" {
			source = "nidim train --json | nidim plot curves -"
		}
		if err := checkStdinNotTerminal("input", "it", source); err != nil {
			return p.usageError("%v", err)
		}
	}
	if p.out == "" {
		p.out = defaultPlotPath(p.path, p.kind)
	}
	if !strings.EqualFold(filepath.Ext(p.out), ".svg") {
		return p.usageError("invalid --out %q; nidim plot writes SVG, so use a name ending in .svg", p.out)
	}
	if filepath.Clean(p.out) == filepath.Clean(p.path) {
		return p.usageError("--out %q is the input file; choose another name", p.out)
	}
	// The input, or the --labels file of scatter, can be --out under
	// another name, such as a symbolic link, which the write would follow.
	var inputs []inputFile
	if p.path != stdinPath {
		inputs = append(inputs, inputFile{"input", p.path})
	}
	if labels := p.flags.Lookup("labels"); labels != nil {
		inputs = append(inputs, inputFile{"--labels", labels.Value.String()})
	}
	if err := checkOutputPath("--out", p.out, inputs...); err != nil {
		return p.usageError("%v", err)
	}
	return -1
}

// plotFlagKinds lists the kinds that define each flag that not every kind
// defines, so that a flag given to another kind is named as theirs.
var plotFlagKinds = map[string][]string{
	"labels":     {"scatter"},
	"x":          {"scatter", "tradeoff"},
	"y":          {"scatter", "tradeoff"},
	"max-points": {"scatter", "qq"},
	"seed":       {"scatter"},
	"prior":      {"qq", "hist"},
	"max-panels": {"qq", "hist"},
	"columns":    {"qq", "hist"},
	"bins":       {"hist"},
}

// joinOr joins words as "a", "a or b" or "a, b or c".
func joinOr(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

var plotExampleInput = map[string]string{
	"scatter": "emb.npy", "qq": "emb.npy", "hist": "emb.npy",
	"curves": "run.json", "tradeoff": "sweep.csv",
}

// defaultPlotPath returns input with its extension, and a .gz after it,
// replaced by "-KIND.svg", and "stdin-KIND.svg" for standard input.
func defaultPlotPath(input, kind string) string {
	if input == stdinPath {
		return "stdin-" + kind + ".svg"
	}
	base := strings.TrimSuffix(input, filepath.Ext(input))
	if strings.EqualFold(filepath.Ext(input), ".gz") {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return base + "-" + kind + ".svg"
}

// write writes f to --out, warns when skipped > 0 and reports the path on
// stderr, as the other commands report the files they write. The warning
// reads "left out N what in FILE", with what chosen from one and many by N.
func (p *plotRun) write(f plot.Figure, skipped int, one, many string) int {
	switch {
	case skipped == 1:
		fmt.Fprintf(p.stderr, "nidim plot %s: warning: left out 1 %s in %s.\n", p.kind, one, p.name())
	case skipped > 1:
		fmt.Fprintf(p.stderr, "nidim plot %s: warning: left out %d %s in %s.\n", p.kind, skipped, many, p.name())
	}
	if err := plot.WriteFile(p.out, f); err != nil {
		fmt.Fprintf(p.stderr, "nidim plot %s: writing %s failed: %v; %s.\n", p.kind, p.out, err, notWrittenAdvice(p.out))
		return exitFail
	}
	fmt.Fprintf(p.stderr, "wrote %s\n", p.out)
	return exitOK
}

// readEmbedding reads the matrix at p.path. It prints the error and
// returns false when the file cannot be used.
func (p *plotRun) readEmbedding() (data []float64, rows, cols int, ok bool) {
	data, rows, cols, note, err := readEmbeddingFile(p.path)
	printNote(p.stderr, "nidim plot "+p.kind, note)
	if err != nil {
		p.usageError("%v", err)
		return nil, 0, 0, false
	}
	if rows == 0 || cols == 0 {
		p.usageError("%s contains a %d x %d matrix; pass a file with at least one row and one column", p.name(), rows, cols)
		return nil, 0, 0, false
	}
	return data, rows, cols, true
}

// column returns column j of a row-major rows x cols matrix.
func column(data []float64, rows, cols, j int) []float64 {
	v := make([]float64, rows)
	for i := range v {
		v[i] = data[i*cols+j]
	}
	return v
}

func plotScatter(p *plotRun, args []string) int {
	labelsPath := p.flags.String("labels", "", "")
	xCol := p.flags.Int("x", 0, "")
	yCol := p.flags.Int("y", 1, "")
	maxPoints := p.flags.Int("max-points", 5000, "")
	seed := p.flags.Uint64("seed", 1, "")
	if st := p.parse(args); st >= 0 {
		return st
	}
	if *maxPoints < 0 {
		return p.usageError("invalid --max-points %d; use 0 for all points or a positive count", *maxPoints)
	}
	data, rows, cols, ok := p.readEmbedding()
	if !ok {
		return exitUsage
	}
	if cols < 2 {
		return p.usageError("%s has 1 column, and a scatter plot needs 2; use \"nidim plot hist\" for one component", p.name())
	}
	for _, c := range []struct {
		name  string
		value int
	}{{"x", *xCol}, {"y", *yCol}} {
		if c.value < 0 || c.value >= cols {
			return p.usageError("invalid --%s %d; %s has %d columns, so use 0 to %d", c.name, c.value, p.name(), cols, cols-1)
		}
	}
	if *xCol == *yCol {
		return p.usageError("--x and --y are both %d; choose two different components", *xCol)
	}

	var labels []int
	if *labelsPath != "" {
		var err error
		if labels, err = readLabels(*labelsPath, rows); err != nil {
			return p.usageError("%v", err)
		}
	}
	c, err := plot.Scatter(column(data, rows, cols, *xCol), column(data, rows, cols, *yCol), labels,
		plot.ScatterOptions{MaxPoints: *maxPoints, Seed: *seed})
	if err != nil {
		return p.usageError("%s: %s", p.name(), strings.TrimPrefix(err.Error(), "plot: "))
	}
	c.Title = p.title
	if c.Title == "" {
		c.Title = fmt.Sprintf("%s: components %d and %d", p.baseName(), *xCol, *yCol)
	}
	c.XLabel = fmt.Sprintf("component %d", *xCol)
	c.YLabel = fmt.Sprintf("component %d", *yCol)
	return p.write(c, c.Skipped(), "row with a NaN or infinite value", "rows with NaN or infinite values")
}

// readLabels reads one integer class label per row from path, which must
// hold rows values in one column.
func readLabels(path string, rows int) ([]int, error) {
	data, n, cols, err := tensor.ReadMatrixFile(path)
	if err != nil {
		return nil, labelsFileError(path, err)
	}
	if cols != 1 {
		return nil, fmt.Errorf("--labels %s has %d columns; pass a file with one label per row", path, cols)
	}
	if n != rows {
		return nil, fmt.Errorf("--labels %s has %d rows but the embedding has %d; pass the labels of the same samples in the same order", path, n, rows)
	}
	labels := make([]int, n)
	for i, v := range data {
		if v != math.Trunc(v) || math.Abs(v) > 1<<31 {
			return nil, fmt.Errorf("--labels %s: row %d contains %v, which is not an integer class label; pass integer labels", path, i+1, v)
		}
		labels[i] = int(v)
	}
	return labels, nil
}

// plotPrior is a prior as the plots need it.
type plotPrior struct {
	name     string // for axis labels, such as "N(0, 1)"
	quantile func(float64) float64
	pdf      func(float64) float64
	// support is the range the histogram axis always shows: the whole
	// support of the uniform prior, and mean ± 3 standard deviations of
	// the others, cut at 0 for the exponential one.
	support [2]float64
}

// plotPriors gives the axis label and histogram range of each name in
// stats.PriorNames; the quantile and density come from stats.PriorByName.
var plotPriors = map[string]struct {
	label   string
	support [2]float64
}{
	"gaussian":    {"N(0, 1)", [2]float64{-3, 3}},
	"uniform":     {"U(0, 1)", [2]float64{0, 1}},
	"logistic":    {"Logistic(0, 1)", [2]float64{-3 * math.Pi / math.Sqrt(3), 3 * math.Pi / math.Sqrt(3)}}, // sd π/√3
	"laplace":     {"Laplace(0, 1)", [2]float64{-3 * math.Sqrt2, 3 * math.Sqrt2}},                          // sd √2
	"exponential": {"Exp(1)", [2]float64{0, 4}},                                                            // mean 1, sd 1
}

func lookupPrior(name string) (plotPrior, error) {
	d, err := stats.PriorByName(name)
	p, ok := plotPriors[name]
	if err != nil || !ok {
		return plotPrior{}, fmt.Errorf("unknown --prior %q; use %s", name, strings.Join(stats.PriorNames, ", "))
	}
	return plotPrior{name: p.label, quantile: d.Quantile, pdf: d.PDF, support: p.support}, nil
}

// panelFlags are the flags of the per-component grids.
type panelFlags struct {
	prior              *string
	maxPanels, columns *int
}

func (p *plotRun) registerPanelFlags() panelFlags {
	return panelFlags{
		prior:     p.flags.String("prior", "gaussian", ""),
		maxPanels: p.flags.Int("max-panels", 16, ""),
		columns:   p.flags.Int("columns", 0, ""),
	}
}

// perComponent reads the embedding, builds one chart per component with
// build, and writes them as a grid.
func (p *plotRun) perComponent(pf panelFlags, what string, build func(values []float64, prior plotPrior) (*plot.Chart, error), note string) int {
	prior, err := lookupPrior(*pf.prior)
	if err != nil {
		return p.usageError("%v", err)
	}
	if *pf.maxPanels < 1 {
		return p.usageError("invalid --max-panels %d; use 1 or more", *pf.maxPanels)
	}
	if *pf.columns < 0 {
		return p.usageError("invalid --columns %d; use 0 for automatic or a positive count", *pf.columns)
	}
	data, rows, cols, ok := p.readEmbedding()
	if !ok {
		return exitUsage
	}
	priorGiven := false
	p.flags.Visit(func(f *flag.Flag) { priorGiven = priorGiven || f.Name == "prior" })
	if !priorGiven {
		printNote(p.stderr, "nidim plot "+p.kind, defaultPriorNote(p.name(), data, "the panels compare them with N(0, 1)"))
	}

	shown := min(cols, *pf.maxPanels)
	charts := make([]*plot.Chart, shown)
	for j := range shown {
		c, err := build(column(data, rows, cols, j), prior)
		if err != nil {
			return p.usageError("%s, component %d: %s", p.name(), j, strings.TrimPrefix(err.Error(), "plot: "))
		}
		c.Title = fmt.Sprintf("component %d", j)
		charts[j] = c
	}
	title := p.title
	if title == "" {
		title = fmt.Sprintf("%s of %s against %s", what, p.baseName(), prior.name)
	}
	if shown == 1 && cols == 1 {
		c := charts[0]
		c.Title = title
		if note != "" {
			c.AddNote(note)
		}
		return p.write(c, c.Skipped(), "NaN or infinite value", "NaN or infinite values")
	}
	g, err := plot.NewGrid(charts, *pf.columns)
	if err != nil {
		return p.usageError("%v", err)
	}
	g.Title = title
	if note != "" {
		g.AddNote(note)
	}
	if shown < cols {
		g.AddNote(fmt.Sprintf("components 0 to %d of %d shown; raise --max-panels to see more", shown-1, cols))
	}
	return p.write(g, g.Skipped(), "NaN or infinite value", "NaN or infinite values")
}

func plotQQ(p *plotRun, args []string) int {
	pf := p.registerPanelFlags()
	maxPoints := p.flags.Int("max-points", plot.DefaultQQPoints, "")
	if st := p.parse(args); st >= 0 {
		return st
	}
	if *maxPoints < 1 {
		return p.usageError("invalid --max-points %d; use 1 or more quantiles per panel", *maxPoints)
	}
	return p.perComponent(pf, "Q-Q plots", func(v []float64, prior plotPrior) (*plot.Chart, error) {
		return plot.QQ(v, prior.quantile, plot.QQOptions{PriorName: prior.name, MaxPoints: *maxPoints})
	}, "points on the dashed line y = x match the prior")
}

func plotHist(p *plotRun, args []string) int {
	pf := p.registerPanelFlags()
	bins := p.flags.Int("bins", 0, "")
	if st := p.parse(args); st >= 0 {
		return st
	}
	if *bins < 0 || *bins > plot.MaxBins {
		return p.usageError("invalid --bins %d; use 0 for automatic or 1 to %d", *bins, plot.MaxBins)
	}
	return p.perComponent(pf, "Histograms", func(v []float64, prior plotPrior) (*plot.Chart, error) {
		c, err := plot.Histogram(v, prior.pdf, plot.HistogramOptions{Bins: *bins, PriorName: prior.name, PriorRange: prior.support})
		if err == nil {
			c.HideLegend = true
		}
		return c, err
	}, "bars count the values per bin; the red line is the prior density times n times the bin width, the expected count per bin")
}

// historyFile is the training history that "nidim plot curves" reads:
// dim.History, {"epochs": [...]}, or the output of "nidim train --json",
// whose records are under "history", whose "epochs" is the epoch count,
// and whose bounds are top-level.
type historyFile struct {
	Epochs   json.RawMessage `json:"epochs"`
	History  []historyRecord `json:"history"`
	Capacity *float64        `json:"capacity"`
	LnBatch  *float64        `json:"ln_batch"`
}

// historyRecord is one epoch; absent values are nil.
type historyRecord struct {
	Epoch    *float64 `json:"epoch"`
	Loss     *float64 `json:"loss"`
	MI       *float64 `json:"mi_estimate"`
	Capacity *float64 `json:"capacity"`
	LnBatch  *float64 `json:"ln_batch"`
	// ResumedAtStep is set on the epoch that "nidim train --resume"
	// continued after that many steps, whose loss and MI estimate are
	// means over the later steps only.
	ResumedAtStep *float64 `json:"resumed_at_step"`
}

func plotCurves(p *plotRun, args []string) int {
	if st := p.parse(args); st >= 0 {
		return st
	}
	if st := p.checkInputFile(`the JSON file that "nidim train --json" prints`); st >= 0 {
		return st
	}
	var raw []byte
	var err error
	if p.path == stdinPath {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(p.path)
	}
	if err != nil {
		return p.usageError("%v", err)
	}
	var h historyFile
	if err := json.Unmarshal(raw, &h); err != nil {
		if kindErr := notHistoryError(p.name(), sniffKind(raw[:min(len(raw), fileHeadSize)])); kindErr != nil {
			return p.usageError("%v", kindErr)
		}
		return p.usageError("%s is not a training history: %s; pass the JSON that \"nidim train --json\" prints", p.name(), jsonProblem(err))
	}
	records := h.History
	if trimmed := bytes.TrimSpace(h.Epochs); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &records); err != nil {
			return p.usageError("%s: the \"epochs\" array is not a list of epoch records: %s; pass the JSON that \"nidim train --json\" prints", p.name(), jsonProblem(err))
		}
	}
	if len(records) == 0 {
		return p.usageError("%s has no per-epoch records; pass a JSON object with an \"epochs\" or \"history\" array, as \"nidim train --json\" prints", p.name())
	}

	n := len(records)
	epoch, loss, mi, capacity, lnB := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	value := func(v, fallback *float64) float64 {
		switch {
		case v != nil:
			return *v
		case fallback != nil:
			return *fallback
		}
		return math.NaN()
	}
	for i, r := range records {
		epoch[i] = float64(i + 1)
		if r.Epoch != nil {
			epoch[i] = *r.Epoch
		}
		loss[i] = value(r.Loss, nil)
		mi[i] = value(r.MI, nil)
		capacity[i] = value(r.Capacity, h.Capacity)
		lnB[i] = value(r.LnBatch, h.LnBatch)
	}

	var charts []*plot.Chart
	if anyFinite(loss) {
		c, err := plot.Lines([]plot.Series{{Name: "InfoNCE loss", X: epoch, Y: loss, Markers: n <= 30}})
		if err != nil {
			return p.usageError("%s: %s", p.name(), strings.TrimPrefix(err.Error(), "plot: "))
		}
		c.Title = "Loss"
		c.HideLegend = true
		charts = append(charts, c)
	}
	var bounds []plot.Series
	if anyFinite(mi) {
		bounds = append(bounds, plot.Series{Name: "MI estimate", X: epoch, Y: mi, Markers: n <= 30})
	}
	if anyFinite(capacity) {
		bounds = append(bounds, plot.Series{Name: "capacity", X: epoch, Y: capacity, Dash: plot.Dashed})
	}
	if anyFinite(lnB) {
		bounds = append(bounds, plot.Series{Name: "ln B", X: epoch, Y: lnB, Dash: plot.Dotted})
	}
	if len(bounds) > 0 {
		c, err := plot.Lines(bounds)
		if err != nil {
			return p.usageError("%s: %s", p.name(), strings.TrimPrefix(err.Error(), "plot: "))
		}
		c.Title = "Mutual information"
		charts = append(charts, c)
	}
	if len(charts) == 0 {
		return p.usageError("%s has no loss, mi_estimate, capacity or ln_batch values; pass the JSON that \"nidim train --json\" prints", p.name())
	}
	for _, c := range charts {
		c.XLabel = "epoch"
		c.YLabel = "nats"
		c.IntegerX = true
	}
	if charts[0].Title == "Loss" {
		charts[0].YLabel = "InfoNCE loss, nats"
	}
	title := p.title
	if title == "" {
		title = "Training curves of " + p.baseName()
	}
	g, err := plot.NewGrid(charts, 0)
	if err != nil {
		return p.usageError("%v", err)
	}
	g.Title = title
	g.PanelWidth, g.PanelHeight = 480, 340
	// A resumed epoch is drawn at its epoch like the others, and a note
	// states that its means leave out the steps before the resumption.
	for i, r := range records {
		if r.ResumedAtStep != nil && *r.ResumedAtStep > 0 {
			g.AddNote(fmt.Sprintf("epoch %g was resumed after step %g, so its values are means over the later steps only", epoch[i], *r.ResumedAtStep))
		}
	}
	// Missing values are expected in a history, so they get no warning;
	// the figure notes them.
	return p.write(g, 0, "", "")
}

func anyFinite(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return true
		}
	}
	return false
}

func plotTradeoff(p *plotRun, args []string) int {
	xName := p.flags.String("x", "max_ks", "")
	yName := p.flags.String("y", "linear_probe_accuracy", "")
	if st := p.parse(args); st >= 0 {
		return st
	}
	if strings.EqualFold(filepath.Ext(p.path), ".md") {
		return p.usageError("%s is a Markdown table; pass the sweep.csv beside it", p.name())
	}
	if table := filepath.Join(p.path, "sweep.csv"); isDir(p.path) && isRegular(table) {
		return p.usageError("%s is a directory; pass the table that nidim sweep wrote in it, as in \"nidim plot tradeoff %s\"", p.path, shellQuote(table))
	}
	if st := p.checkInputFile("a CSV file such as the sweep.csv that nidim sweep writes"); st >= 0 {
		return st
	}
	if err := notSweepTableError(p.path, sniffFile(p.path)); err != nil {
		return p.usageError("%v", err)
	}
	series, skipped, seeds, err := readSweep(p.path, *xName, *yName)
	if err != nil {
		return p.usageError("%v", err)
	}
	c, err := plot.Lines(series)
	if err != nil {
		return p.usageError("%s: %s", p.name(), strings.TrimPrefix(err.Error(), "plot: "))
	}
	c.Title = p.title
	if c.Title == "" {
		c.Title = fmt.Sprintf("%s against %s", *yName, *xName)
	}
	c.Subtitle = p.baseName()
	c.XLabel, c.YLabel = *xName, *yName
	if seeds > 1 {
		c.AddNote(fmt.Sprintf("each point is the mean over the seeds of one setting (up to %d)", seeds))
	}
	switch {
	case skipped == 1:
		c.AddNote("1 row with an empty or non-finite value skipped")
	case skipped > 1:
		c.AddNote(fmt.Sprintf("%d rows with an empty or non-finite value skipped", skipped))
	}
	return p.write(c, skipped, "row with an empty or non-finite value", "rows with empty or non-finite values")
}

// readSweep reads the columns xName and yName of the CSV file at path. A
// sweep's table gets one series per kind of run, prior and dimension (its
// "kind", "prior" and "dim" columns, where present), with points in order
// of its "level" column. The rows of one kind, prior, dimension and level
// (the seeds of a setting) are averaged into one point, and seeds counts
// the rows of the largest such group. Other files get one series per dim
// value, or one series, with points in file order. Rows whose x or y is
// empty or not finite are skipped and counted.
func readSweep(path, xName, yName string) (series []plot.Series, skipped, seeds int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, 0, 0, fmt.Errorf("%s is empty; pass a CSV file with a header row and one row per run", path)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %v", path, err)
	}
	index := map[string]int{}
	for i, name := range header {
		index[strings.TrimSpace(name)] = i
	}
	find := func(flagName, col string) (int, error) {
		i, ok := index[col]
		if !ok && allNumbers(header) {
			return 0, fmt.Errorf("%s has no header row: its first line contains numbers where the column names belong; tradeoff reads a CSV file with column names, such as the sweep.csv that nidim sweep writes", path)
		}
		if !ok {
			if match := sweepColumnSuggestion(col, header); match != "" {
				return 0, fmt.Errorf("invalid --%s %q: %s has no such column; did you mean --%s %s? The columns are %s", flagName, col, path, flagName, match, strings.Join(header, ", "))
			}
			return 0, fmt.Errorf("invalid --%s %q: %s has no such column; use one of %s", flagName, col, path, strings.Join(header, ", "))
		}
		return i, nil
	}
	xi, err := find("x", xName)
	if err != nil {
		return nil, 0, 0, err
	}
	yi, err := find("y", yName)
	if err != nil {
		return nil, 0, 0, err
	}
	di, hasDim := index["dim"]
	ki, hasKind := index["kind"]
	pi, hasPrior := index["prior"]
	li, hasLevel := index["level"]

	// Rows go to one group per kind, prior and dim value, and within it to
	// one point per level (or per row without a level column). The prior
	// is part of the key because a sweep over --priors gives the runs of
	// every prior the same kind, dim and level.
	type groupKey struct {
		kind  string
		prior string
		dim   float64
	}
	type point struct {
		level, x, y float64
		n           int
	}
	groups := map[groupKey][]point{}
	var keys []groupKey
	var finiteX, finiteY int // rows with a finite x or y
	priors := map[string]bool{}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) && errors.Is(parseErr.Err, csv.ErrFieldCount) {
			return nil, 0, 0, fmt.Errorf("%s, line %d: %d fields where the header has %d, as when the file was cut short or edited; complete or delete that line",
				path, parseErr.Line, len(rec), len(header))
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%s: %v", path, err)
		}
		x, okX, err := sweepValue(rec[xi], path, line, xName, "pass --x a column of numbers, such as max_ks or mi_estimate, or fix the file")
		if err != nil {
			return nil, 0, 0, err
		}
		y, okY, err := sweepValue(rec[yi], path, line, yName, "pass --y a column of numbers, such as linear_probe_accuracy or knn_accuracy, or fix the file")
		if err != nil {
			return nil, 0, 0, err
		}
		if okX {
			finiteX++
		}
		if okY {
			finiteY++
		}
		if !okX || !okY {
			skipped++
			continue
		}
		var key groupKey
		if hasDim {
			d, ok, err := sweepValue(rec[di], path, line, "dim", "fix the file")
			if err != nil {
				return nil, 0, 0, err
			}
			if !ok {
				return nil, 0, 0, fmt.Errorf("%s, line %d: the dim column is empty; fill it in or remove the column", path, line)
			}
			key.dim = d
		}
		if hasKind {
			key.kind = strings.TrimSpace(rec[ki])
		}
		if hasPrior {
			key.prior = strings.TrimSpace(rec[pi])
			priors[key.prior] = true
		}
		level := float64(line) // file order
		if hasLevel {
			v, ok, err := sweepValue(rec[li], path, line, "level", "fix the file")
			if err != nil {
				return nil, 0, 0, err
			}
			if ok {
				level = v
			}
		}
		points, seen := groups[key]
		if !seen {
			keys = append(keys, key)
		}
		if i := slices.IndexFunc(points, func(p point) bool { return p.level == level }); i >= 0 {
			points[i].x += x
			points[i].y += y
			points[i].n++
		} else {
			points = append(points, point{level: level, x: x, y: y, n: 1})
		}
		groups[key] = points
	}
	if len(keys) == 0 {
		// A sweep without --labels has no accuracies, which are the
		// default y column.
		for _, c := range []struct {
			flagName, col string
			finite        int
		}{{"x", xName, finiteX}, {"y", yName, finiteY}} {
			if line > 1 && c.finite == 0 {
				advice := "pass a column with values, such as mi_estimate or max_abs_correlation"
				if c.col == "linear_probe_accuracy" || c.col == "knn_accuracy" {
					advice = "nidim sweep measures accuracies only with class labels (--labels for a matrix --data), so pass another column, such as --" + c.flagName + " mi_estimate"
				}
				return nil, skipped, 0, fmt.Errorf("%s: the %s column has no finite value in any row; %s", path, c.col, advice)
			}
		}
		return nil, skipped, 0, fmt.Errorf("%s has no row with finite %s and %s values; pass a sweep with at least one complete row", path, xName, yName)
	}
	// The noise runs first, then the baselines by name, each by prior and
	// dimension.
	rank := func(kind string) int {
		if kind == "ni-dim" {
			return 0
		}
		return 1
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(rank(a.kind), rank(b.kind)), strings.Compare(a.kind, b.kind), strings.Compare(a.prior, b.prior), cmp.Compare(a.dim, b.dim))
	})
	for _, k := range keys {
		points := groups[k]
		slices.SortStableFunc(points, func(a, b point) int { return cmp.Compare(a.level, b.level) })
		s := plot.Series{Markers: true}
		var names []string
		if hasDim {
			names = append(names, "d = "+strconv.FormatFloat(k.dim, 'g', -1, 64))
		}
		if len(priors) > 1 {
			names = append(names, k.prior)
		}
		if k.kind != "" && k.kind != "ni-dim" {
			names = append(names, k.kind)
		}
		s.Name = strings.Join(names, ", ")
		// The points of one line differ in their noise level, which the
		// figure would not show otherwise. The baselines train without
		// noise, so they get no label.
		labelled := hasLevel && (!hasKind || k.kind == "ni-dim")
		for _, p := range points {
			s.X = append(s.X, p.x/float64(p.n))
			s.Y = append(s.Y, p.y/float64(p.n))
			seeds = max(seeds, p.n)
			if labelled {
				s.Labels = append(s.Labels, levelLabel(k.prior, hasPrior, p.level))
			}
		}
		series = append(series, s)
	}
	return series, skipped, seeds, nil
}

// levelLabel returns the text beside a point of level v in a trade-off
// plot: sigma=v for the gaussian-trained priors, eps=v for the uniform one,
// whose level is the noise half-width, and level=v in a file without a
// prior column.
func levelLabel(prior string, hasPrior bool, v float64) string {
	name := "σ"
	switch {
	case !hasPrior:
		name = "level"
	case prior == "uniform":
		name = "ε"
	}
	return name + "=" + strconv.FormatFloat(v, 'g', 4, 64)
}

// sweepColumnSuggestion returns the column of header that a missing
// column name col most likely meant, or "". The noise level is the level
// column of sweep.csv, whatever the prior calls it, and a part of a name,
// such as probe, stands for the one column that contains it.
func sweepColumnSuggestion(col string, header []string) string {
	name := strings.ToLower(strings.TrimLeft(col, "-"))
	if (name == "sigma" || name == "eps") && slices.Contains(header, "level") {
		return "level"
	}
	if match := closestName(name, header); match != "" {
		return match
	}
	var containing []string
	for _, h := range header {
		if len(name) >= 2 && strings.Contains(h, name) {
			containing = append(containing, h)
		}
	}
	if len(containing) == 1 {
		return containing[0]
	}
	return ""
}

// sweepValue parses one CSV field. An empty field or one that parses as
// NaN or ±Inf is reported as not ok, and text that is no number is an
// error that ends with the advice fix.
func sweepValue(field, path string, line int, col, fix string) (float64, bool, error) {
	field = strings.TrimSpace(field)
	if field == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(field, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s, line %d: column %s contains %q, which is not a number; %s", path, line, col, field, fix)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, nil
	}
	return v, true, nil
}

// jsonProblem describes a JSON decoding error in the file's terms, without
// the Go type names of encoding/json's messages.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		where := "the top level"
		if typeErr.Field != "" {
			where = fmt.Sprintf("%q", typeErr.Field)
		}
		return fmt.Sprintf("%s holds a JSON %s where %s belongs", where, typeErr.Value, jsonKind(typeErr.Type))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("invalid JSON at byte %d (%v)", syntaxErr.Offset, syntaxErr)
	}
	return err.Error()
}

// jsonKind names the JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}
