package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// plotSVG summarizes a written SVG file.
type plotSVG struct {
	counts  map[string]int // elements by name
	classed int            // circles with a class attribute: scatter points
	dashed  int            // paths with a stroke-dasharray
	texts   []string
}

// readPlotSVG parses the SVG at path with encoding/xml.
func readPlotSVG(t *testing.T, path string) plotSVG {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := plotSVG{counts: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "%s is not well-formed XML", path)
		switch el := tok.(type) {
		case xml.StartElement:
			doc.counts[el.Name.Local]++
			for _, a := range el.Attr {
				switch {
				case el.Name.Local == "circle" && a.Name.Local == "class":
					doc.classed++
				case el.Name.Local == "path" && a.Name.Local == "stroke-dasharray":
					doc.dashed++
				}
			}
			inText = el.Name.Local == "text"
		case xml.CharData:
			if inText {
				doc.texts = append(doc.texts, string(el))
			}
		case xml.EndElement:
			inText = false
		}
	}
	require.Equal(t, 1, doc.counts["svg"], "root svg element")
	return doc
}

// runPlotCmd runs "nidim plot ARGS..." and returns the exit status and
// both streams.
func runPlotCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	status := run(append([]string{"plot"}, args...), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

// writePlotEmbedding writes an n x d matrix of seeded N(0, 1) draws to
// dir/name and returns its path and the labels: the first component
// shifted by the label, so classes separate.
func writePlotEmbedding(t *testing.T, dir, name string, n, d int) (string, []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, uint64(d)))
	data := make([]float64, n*d)
	labels := make([]float64, n)
	for i := range n {
		labels[i] = float64(i % 10)
		for j := range d {
			data[i*d+j] = rng.NormFloat64()
		}
		data[i*d] += labels[i]
	}
	path := filepath.Join(dir, name)
	require.NoError(t, tensor.WriteMatrixFile(path, data, n, d))
	return path, labels
}

func TestPlotScatterWithLabels(t *testing.T) {
	dir := t.TempDir()
	emb, labels := writePlotEmbedding(t, dir, "emb.npy", 600, 3)
	labelsPath := filepath.Join(dir, "labels.csv")
	require.NoError(t, tensor.WriteMatrixFile(labelsPath, labels, len(labels), 1))
	out := filepath.Join(dir, "scatter.svg")

	status, stdout, stderr := runPlotCmd("scatter", emb, "--labels", labelsPath, "--x", "0", "--y", "2", "--max-points", "200", "--out", out)
	require.Equal(t, exitOK, status, stderr)
	assert.Empty(t, stdout, "stdout is for data, and plot writes its figure to a file")
	assert.Equal(t, "wrote "+out+"\n", stderr)
	doc := readPlotSVG(t, out)
	assert.Equal(t, 200, doc.classed, "scatter points")
	assert.Subset(t, doc.texts, []string{"0", "5", "9", "component 0", "component 2", "emb.npy: components 0 and 2"})
	assert.Contains(t, strings.Join(doc.texts, " "), "200 of 600 points shown")
}

func TestPlotScatterIDXLabelsAndDefaultOut(t *testing.T) {
	dir := t.TempDir()
	emb, labels := writePlotEmbedding(t, dir, "emb.csv", 50, 2)
	lab := make([]float32, len(labels))
	for i, v := range labels {
		lab[i] = float32(v)
	}
	lt, err := tensor.FromSlice(lab, len(lab))
	require.NoError(t, err)
	var idx bytes.Buffer
	require.NoError(t, tensor.WriteIDX(&idx, lt, tensor.IDXUint8))
	labelsPath := filepath.Join(dir, "t10k-labels-idx1-ubyte")
	require.NoError(t, os.WriteFile(labelsPath, idx.Bytes(), 0o644))

	status, _, stderr := runPlotCmd("scatter", "--labels", labelsPath, emb)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "emb-scatter.svg"))
	assert.Equal(t, 50, doc.classed)
	assert.Subset(t, doc.texts, []string{"label", "0", "9"})
}

func TestPlotScatterWarnsAboutNaN(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emb.csv")
	require.NoError(t, os.WriteFile(path, []byte("1,2\nnan,3\n4,inf\n5,6\n"), 0o644))
	status, _, stderr := runPlotCmd("scatter", path)
	require.Equal(t, exitOK, status, stderr)
	assert.Equal(t, "nidim plot scatter: warning: left out 2 rows with NaN or infinite values in "+path+".\n"+
		"wrote "+filepath.Join(dir, "emb-scatter.svg")+"\n", stderr)
	assert.Contains(t, strings.Join(readPlotSVG(t, filepath.Join(dir, "emb-scatter.svg")).texts, " "), "2 points with a NaN or infinite coordinate skipped")
	doc := readPlotSVG(t, filepath.Join(dir, "emb-scatter.svg"))
	assert.Equal(t, 2, doc.counts["circle"])
}

func TestPlotQQGridCapped(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 300, 20)
	out := filepath.Join(dir, "qq.svg")
	status, _, stderr := runPlotCmd("qq", emb, "--max-panels", "4", "--max-points", "100", "--out", out)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, out)
	assert.Equal(t, 4, doc.counts["clipPath"], "panels")
	assert.Equal(t, 4*100, doc.counts["circle"])
	all := strings.Join(doc.texts, " ")
	assert.Contains(t, all, "components 0 to 3 of 20 shown")
	assert.Contains(t, all, "Q-Q plots of emb.npy against N(0, 1)")
	assert.Equal(t, 1, strings.Count(all, "100 of 300 quantiles shown"), "a note shared by all panels is written once")
}

func TestPlotQQUniformPrior(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "u.csv")
	require.NoError(t, os.WriteFile(path, []byte("0.1,0.9\n0.5,0.5\n0.8,0.2\n"), 0o644))
	status, _, stderr := runPlotCmd("qq", "--prior", "uniform", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "u-qq.svg"))
	assert.Equal(t, 2, doc.counts["clipPath"])
	assert.Contains(t, doc.texts, "U(0, 1) quantile")
}

// Every prior of stats.PriorNames can be plotted, with its own quantiles
// on the Q-Q axis and its own range on the histogram axis.
func TestPlotEveryPrior(t *testing.T) {
	for _, c := range []struct {
		name, label string
		lo, hi      float64 // the histogram range the prior adds
	}{
		{"gaussian", "N(0, 1)", -3, 3},
		{"uniform", "U(0, 1)", 0, 1},
		{"logistic", "Logistic(0, 1)", -3 * math.Pi / math.Sqrt(3), 3 * math.Pi / math.Sqrt(3)},
		{"laplace", "Laplace(0, 1)", -3 * math.Sqrt2, 3 * math.Sqrt2},
		{"exponential", "Exp(1)", 0, 4},
	} {
		p, err := lookupPrior(c.name)
		require.NoError(t, err, c.name)
		d, err := stats.PriorByName(c.name)
		require.NoError(t, err)
		assert.Equal(t, c.label, p.name)
		assert.Equal(t, [2]float64{c.lo, c.hi}, p.support, c.name)
		for _, q := range []float64{0.01, 0.3, 0.5, 0.9} {
			assert.InDelta(t, d.Quantile(q), p.quantile(q), 1e-12, "%s quantile %g", c.name, q)
			assert.InDelta(t, q, d.CDF(p.quantile(q)), 1e-9, "%s quantile %g", c.name, q)
		}
		x := p.quantile(0.7)
		assert.InDelta(t, d.PDF(x), p.pdf(x), 1e-12, c.name)

		dir := t.TempDir()
		path := filepath.Join(dir, "e.csv")
		require.NoError(t, os.WriteFile(path, []byte("0.1,0.9\n0.5,0.5\n0.8,0.2\n1.5,0.05\n"), 0o644))
		for _, kind := range []string{"qq", "hist"} {
			status, _, stderr := runPlotCmd(kind, "--prior", c.name, path)
			require.Equal(t, exitOK, status, "%s %s: %s", kind, c.name, stderr)
			doc := readPlotSVG(t, filepath.Join(dir, "e-"+kind+".svg"))
			assert.Contains(t, strings.Join(doc.texts, " "), c.label, "%s %s", kind, c.name)
		}
		qq := readPlotSVG(t, filepath.Join(dir, "e-qq.svg"))
		assert.Contains(t, qq.texts, c.label+" quantile")
	}
	_, err := lookupPrior("cauchy")
	assert.ErrorContains(t, err, strings.Join(stats.PriorNames, ", "))
}

func TestPlotHistOneComponent(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy.gz", 400, 1)
	status, stdout, stderr := runPlotCmd("hist", emb, "--bins", "12")
	require.Equal(t, exitOK, status, stderr)
	out := filepath.Join(dir, "emb-hist.svg")
	assert.Empty(t, stdout)
	assert.Equal(t, "wrote "+out+"\n", stderr)
	doc := readPlotSVG(t, out)
	assert.Equal(t, 1, doc.counts["clipPath"], "one component makes a single chart")
	assert.Equal(t, 1, doc.counts["path"], "density curve")
	assert.Contains(t, strings.Join(doc.texts, " "), "12 bins of width")
}

func TestPlotCurvesTrainJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	// The shape of "nidim train --json": bounds at the top level.
	run := `{"prior":"gaussian","dim":8,"epochs":3,"capacity":18.46,"ln_batch":5.545,
		"history":[{"epoch":1,"loss":3.1,"mi_estimate":2.4,"tau":0.02},
		           {"epoch":2,"loss":2.6,"mi_estimate":2.9,"tau":0.02},
		           {"epoch":3,"loss":2.4,"mi_estimate":3.1,"tau":0.02}]}`
	require.NoError(t, os.WriteFile(path, []byte(run), 0o644))
	status, _, stderr := runPlotCmd("curves", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "run-curves.svg"))
	assert.Equal(t, 2, doc.counts["clipPath"], "loss and MI panels")
	assert.Equal(t, 4, doc.counts["path"], "loss, MI, capacity and ln B")
	assert.Equal(t, 2, doc.dashed, "capacity dashed, ln B dotted")
	assert.Subset(t, doc.texts, []string{"InfoNCE loss, nats", "MI estimate", "capacity", "ln B", "epoch", "1", "2", "3"})
}

// plot curves drew the epoch that "nidim train --resume" continued
// within as a whole epoch. The figure now notes that its values cover
// only the steps after resumed_at_step.
func TestPlotCurvesResumedEpochNote(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resumed.json")
	run := `{"capacity":18.46,"ln_batch":5.545,
		"history":[{"epoch":2,"resumed_at_step":7,"loss":2.9,"mi_estimate":2.6,"tau":0.02},
		           {"epoch":3,"loss":2.4,"mi_estimate":3.1,"tau":0.02}]}`
	require.NoError(t, os.WriteFile(path, []byte(run), 0o644))
	status, _, stderr := runPlotCmd("curves", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "resumed-curves.svg"))
	assert.Equal(t, 4, doc.counts["path"], "loss, MI, capacity and ln B")
	text := strings.Join(doc.texts, " ")
	assert.Contains(t, text, "epoch 2 was resumed after step 7, so its values are means over the later steps only")
	assert.Equal(t, 1, strings.Count(text, "was resumed after step"), text)

	whole := filepath.Join(dir, "whole.json")
	require.NoError(t, os.WriteFile(whole, []byte(`{"history":[{"epoch":1,"loss":3.1},{"epoch":2,"loss":2.6}]}`), 0o644))
	status, _, stderr = runPlotCmd("curves", whole)
	require.Equal(t, exitOK, status, stderr)
	assert.NotContains(t, strings.Join(readPlotSVG(t, filepath.Join(dir, "whole-curves.svg")).texts, " "), "resumed")
}

func TestPlotCurvesEpochsFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.json")
	hist := `{"epochs":[{"epoch":1,"loss":3.0,"mi_estimate":2.5,"capacity":18.4,"ln_batch":5.5},
	                   {"epoch":2,"loss":2.5,"mi_estimate":3.0,"capacity":18.4,"ln_batch":5.5}]}`
	require.NoError(t, os.WriteFile(path, []byte(hist), 0o644))
	status, _, stderr := runPlotCmd("curves", path, "--title", "Run <7>")
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "history-curves.svg"))
	assert.Equal(t, 4, doc.counts["path"])
	assert.Contains(t, doc.texts, "Run <7>")
}

func TestPlotCurvesLossOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"epochs":[{"epoch":1,"loss":3},{"epoch":2,"loss":2}]}`), 0o644))
	status, _, stderr := runPlotCmd("curves", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "h-curves.svg"))
	assert.Equal(t, 1, doc.counts["clipPath"])
	assert.Equal(t, 1, doc.counts["path"])
}

func TestPlotTradeoffByDim(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "dim,sigma,max_ks,linear_probe_accuracy\n" +
		"8,0.1,0.08,0.95\n8,0.3,0.05,0.93\n8,1.0,0.02,0.88\n" +
		"4,0.1,0.07,0.90\n4,0.3,,0.89\n4,1.0,0.03,0.80\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	status, _, stderr := runPlotCmd("tradeoff", path)
	require.Equal(t, exitOK, status, stderr)
	assert.Equal(t, "nidim plot tradeoff: warning: left out 1 row with an empty or non-finite value in "+path+".\n"+
		"wrote "+filepath.Join(dir, "sweep-tradeoff.svg")+"\n", stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "sweep-tradeoff.svg"))
	assert.Equal(t, 2, doc.counts["path"], "one line per dimension")
	assert.Equal(t, 5, doc.counts["circle"], "a marker per complete row")
	assert.Subset(t, doc.texts, []string{"d = 4", "d = 8", "max_ks", "linear_probe_accuracy"})
}

func TestPlotTradeoffOtherColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	require.NoError(t, os.WriteFile(path, []byte("sigma,knn_accuracy\n0.1,0.9\n0.5,0.8\n1,0.6\n"), 0o644))
	out := filepath.Join(dir, "t.svg")
	status, _, stderr := runPlotCmd("tradeoff", path, "--x", "sigma", "--y", "knn_accuracy", "--out", out)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, out)
	assert.Equal(t, 1, doc.counts["path"])
	assert.Equal(t, 3, doc.counts["circle"])
}

func TestPlotHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run([]string{"help", "plot"}, &stdout, &stderr))
	for _, flag := range []string{"--out", "--title", "--labels", "--x", "--y", "--max-points", "--seed", "--prior", "--max-panels", "--columns", "--bins"} {
		assert.Contains(t, stdout.String(), "  "+flag+" ", "help documents %s", flag)
	}
	status, stdout2, _ := runPlotCmd("qq", "-help")
	assert.Equal(t, exitOK, status)
	assert.Equal(t, stdout.String(), stdout2)
}

func TestPlotUsageErrors(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 20, 3)
	one, _ := writePlotEmbedding(t, dir, "one.npy", 20, 1)
	shortLabels := filepath.Join(dir, "short.csv")
	require.NoError(t, tensor.WriteMatrixFile(shortLabels, []float64{1, 2}, 2, 1))
	fracLabels := filepath.Join(dir, "frac.csv")
	frac := make([]float64, 20)
	frac[3] = 0.5
	require.NoError(t, tensor.WriteMatrixFile(fracLabels, frac, 20, 1))
	badJSON := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badJSON, []byte(`{"epochs": [`), 0o644))
	emptyJSON := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(emptyJSON, []byte(`{"prior":"gaussian"}`), 0o644))
	sweep := filepath.Join(dir, "sweep.csv")
	require.NoError(t, os.WriteFile(sweep, []byte("dim,sigma\n8,0.1\n"), 0o644))
	textSweep := filepath.Join(dir, "text.csv")
	require.NoError(t, os.WriteFile(textSweep, []byte("max_ks,linear_probe_accuracy\n0.1,high\n"), 0o644))

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", nil, "missing KIND"},
		{"unknown kind", []string{"pie", emb}, `unknown kind "pie"`},
		{"missing file", []string{"scatter"}, "missing FILE"},
		{"two files", []string{"scatter", emb, emb}, "unexpected argument"},
		{"unknown flag", []string{"scatter", emb, "--colour", "red"}, "unknown flag --colour"},
		{"absent file", []string{"qq", filepath.Join(dir, "absent.npy")}, "absent.npy"},
		{"x out of range", []string{"scatter", emb, "--x", "3"}, "invalid --x 3"},
		{"negative y", []string{"scatter", emb, "--y", "-1"}, "invalid --y -1"},
		{"same components", []string{"scatter", emb, "--x", "1", "--y", "1"}, "two different components"},
		{"one column", []string{"scatter", one}, "has 1 column"},
		{"negative max points", []string{"scatter", emb, "--max-points", "-5"}, "invalid --max-points -5"},
		{"labels row count", []string{"scatter", emb, "--labels", shortLabels}, "has 2 rows but the embedding has 20"},
		{"fractional label", []string{"scatter", emb, "--labels", fracLabels}, "row 4 contains 0.5"},
		{"unknown prior", []string{"qq", emb, "--prior", "cauchy"}, `unknown --prior "cauchy"; use gaussian, uniform, logistic, laplace, exponential`},
		{"zero panels", []string{"hist", emb, "--max-panels", "0"}, "invalid --max-panels 0"},
		{"negative columns", []string{"qq", emb, "--columns", "-2"}, "invalid --columns -2"},
		{"too many bins", []string{"hist", emb, "--bins", "5000"}, "invalid --bins 5000"},
		{"qq points", []string{"qq", emb, "--max-points", "0"}, "invalid --max-points 0"},
		{"not svg", []string{"hist", emb, "--out", filepath.Join(dir, "h.png")}, "ending in .svg"},
		{"out is input", []string{"curves", filepath.Join(dir, "x.svg"), "--out", filepath.Join(dir, "x.svg")}, "is the input file"},
		{"bad json", []string{"curves", badJSON}, "is not a training history"},
		{"no epochs", []string{"curves", emptyJSON}, "no per-epoch records"},
		{"missing column", []string{"tradeoff", sweep}, `invalid --x "max_ks"`},
		{"text value", []string{"tradeoff", textSweep}, `contains "high", which is not a number`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, stdout, stderr := runPlotCmd(tc.args...)
			assert.Equal(t, exitUsage, status)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
			assert.True(t, strings.HasPrefix(stderr, "nidim plot"), "message %q lacks the command name", stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasSuffix(stderr, ".\n"), "one sentence: %q", stderr)
		})
	}
}

// An --out in a missing directory used to be found only when the figure
// was written, with exit status 1 and the name of a temporary file. It is
// now checked before the input is read, as embed and score check theirs.
func TestPlotOutputDirectoryMissing(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 20, 2)
	out := filepath.Join(dir, "missing", "x.svg")
	status, stdout, stderr := runPlotCmd("scatter", emb, "--out", out)
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	want := "nidim plot scatter: the directory " + filepath.Join(dir, "missing") + " of --out " + out + " does not exist; create it or choose another path.\n"
	assert.Equal(t, want, stderr)

	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.svg"), 0o755))
	status, _, stderr = runPlotCmd("scatter", emb, "--out", filepath.Join(dir, "dir.svg"))
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "is a directory; pass a file path inside it")
}

func TestPlotDefaultPath(t *testing.T) {
	cases := map[string]string{
		"emb.npy":         "emb-scatter.svg",
		"runs/emb.csv.gz": "runs/emb-scatter.svg",
		"emb":             "emb-scatter.svg",
		"a.b/emb.tsv":     "a.b/emb-scatter.svg",
	}
	for in, want := range cases {
		assert.Equal(t, want, defaultPlotPath(in, "scatter"), in)
	}
}

// A sweep with seeds and baselines: one line per kind and dimension, with
// the seeds of each setting averaged and the points in order of level.
func TestPlotTradeoffAveragesSeeds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,dim,level,seed,max_ks,linear_probe_accuracy\n" +
		"a,ni-dim,4,1,0,0.02,0.50\n" +
		"b,ni-dim,4,0.5,0,0.05,0.60\n" +
		"c,no-noise,4,0,0,0.09,0.70\n" +
		"d,ni-dim,4,1,1,0.04,0.54\n" +
		"e,ni-dim,4,0.5,1,0.07,0.64\n" +
		"f,no-noise,4,0,1,0.11,0.72\n" +
		"g,ni-dim,8,0.5,0,0.06,0.80\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	series, skipped, seeds, err := readSweep(path, "max_ks", "linear_probe_accuracy")
	require.NoError(t, err)
	assert.Zero(t, skipped)
	assert.Equal(t, 2, seeds)
	require.Len(t, series, 3)
	assert.Equal(t, "d = 4", series[0].Name)
	assert.InDeltaSlice(t, []float64{0.06, 0.03}, series[0].X, 1e-12, "levels 0.5 then 1, each the mean of two seeds")
	assert.InDeltaSlice(t, []float64{0.62, 0.52}, series[0].Y, 1e-12)
	assert.Equal(t, "d = 8", series[1].Name)
	assert.Equal(t, "d = 4, no-noise", series[2].Name)
	assert.InDeltaSlice(t, []float64{0.10}, series[2].X, 1e-12)

	status, _, stderr := runPlotCmd("tradeoff", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "sweep-tradeoff.svg"))
	assert.Equal(t, 4, doc.counts["circle"], "a marker per setting")
	assert.Contains(t, strings.Join(doc.texts, "\n"), "each point is the mean over the seeds of one setting (up to 2)")
}

// A sweep over --priors gaussian,uniform gives the runs of both priors the
// same kind, dim, level and seed. They were averaged into one point, as if
// they were seeds of one setting, under a note about seeds. Each prior now
// gets its own line, named in the legend.
func TestPlotTradeoffSeparatesPriors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,prior,dim,level,seed,max_ks,linear_probe_accuracy\n" +
		"a,ni-dim,gaussian,2,0.1,0,0.07,0.87\n" +
		"b,ni-dim,gaussian,2,0.25,0,0.11,0.95\n" +
		"c,ni-dim,uniform,2,0.1,0,0.11,0.98\n" +
		"d,ni-dim,uniform,2,0.25,0,0.19,0.99\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	series, skipped, seeds, err := readSweep(path, "max_ks", "linear_probe_accuracy")
	require.NoError(t, err)
	assert.Zero(t, skipped)
	assert.Equal(t, 1, seeds, "one seed per setting")
	require.Len(t, series, 2)
	assert.Equal(t, "d = 2, gaussian", series[0].Name)
	assert.InDeltaSlice(t, []float64{0.07, 0.11}, series[0].X, 1e-12)
	assert.InDeltaSlice(t, []float64{0.87, 0.95}, series[0].Y, 1e-12)
	assert.Equal(t, "d = 2, uniform", series[1].Name)
	assert.InDeltaSlice(t, []float64{0.11, 0.19}, series[1].X, 1e-12)
	assert.InDeltaSlice(t, []float64{0.98, 0.99}, series[1].Y, 1e-12)

	status, _, stderr := runPlotCmd("tradeoff", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "sweep-tradeoff.svg"))
	assert.Equal(t, 4, doc.counts["circle"], "a marker per run")
	assert.NotContains(t, strings.Join(doc.texts, "\n"), "mean over the seeds")
}

// A sweep table has text columns such as verdict and worst, and --x or --y
// naming one got the advice "fix the file", though the file was fine.
// The message now points to a column of numbers first.
func TestPlotTradeoffTextColumnAdvice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "kind,dim,level,verdict,max_ks,linear_probe_accuracy\n" +
		"ni-dim,2,0.5,fail,0.07,0.87\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))

	status, stdout, stderr := runPlotCmd("tradeoff", path, "--x", "verdict")
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim plot tradeoff: "+path+`, line 2: column verdict contains "fail", which is not a number; `+
		"pass --x a column of numbers, such as max_ks or mi_estimate, or fix the file.\n", stderr)

	status, _, stderr = runPlotCmd("tradeoff", path, "--y", "verdict")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "pass --y a column of numbers, such as linear_probe_accuracy or knn_accuracy, or fix the file.\n")

	bad := filepath.Join(dir, "bad-level.csv")
	require.NoError(t, os.WriteFile(bad, []byte("dim,level,max_ks,linear_probe_accuracy\n2,high,0.07,0.87\n"), 0o644))
	status, _, stderr = runPlotCmd("tradeoff", bad)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, `column level contains "high", which is not a number; fix the file.`)
}

// Decoding errors named Go types (main.historyFile), and a sweep's
// Markdown table was read as CSV.
func TestPlotErrorsNameTheFileNotGo(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ content, want string }{
		{"[1,2]", "the top level holds a JSON array where an object belongs"},
		{`{"epochs":[{"epoch":"x"}]}`, `"epoch" holds a JSON string where a number belongs`},
		{`{"epochs":[`, "invalid JSON at byte 11 (unexpected end of JSON input)"},
	} {
		path := filepath.Join(dir, "h.json")
		require.NoError(t, os.WriteFile(path, []byte(c.content), 0o644))
		status, _, stderr := runPlotCmd("curves", path)
		assert.Equal(t, exitUsage, status, c.content)
		assert.Contains(t, stderr, c.want, c.content)
		assert.NotContains(t, stderr, "main.", c.content)
	}

	md := filepath.Join(dir, "sweep.md")
	require.NoError(t, os.WriteFile(md, []byte("| kind | d |\n|---|---|\n| ni-dim | 4 |\n"), 0o644))
	status, _, stderr := runPlotCmd("tradeoff", md)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "is a Markdown table; pass the sweep.csv beside it")
}

// "nidim plot qq -" read standard input, as test does, but wrote its
// figure to "--qq.svg", a name that most commands read as a flag, and
// curves could not read standard input at all.
func TestPlotStandardInput(t *testing.T) {
	assert.Equal(t, "stdin-qq.svg", defaultPlotPath("-", "qq"))
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.csv", 40, 2)
	body, err := os.ReadFile(emb)
	require.NoError(t, err)
	defer func() { stdin = os.Stdin }()

	stdin = bytes.NewReader(body)
	out := filepath.Join(dir, "qq.svg")
	status, stdout, stderr := runPlotCmd("qq", "-", "--out", out)
	require.Equal(t, exitOK, status, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, readPlotSVG(t, out).texts, "Q-Q plots of standard input against N(0, 1)")

	stdin = strings.NewReader(`{"epochs": [{"epoch": 1, "loss": 2.5, "mi": 1.1}, {"epoch": 2, "loss": 2.2, "mi": 1.4}]}`)
	out = filepath.Join(dir, "curves.svg")
	status, _, stderr = runPlotCmd("curves", "-", "--out", out)
	require.Equal(t, exitOK, status, stderr)
	assert.FileExists(t, out)

	status, _, stderr = runPlotCmd("tradeoff", "-", "--out", filepath.Join(dir, "t.svg"))
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "nidim plot tradeoff: tradeoff reads a sweep table by its path, not from standard input; pass the file, as in \"nidim plot tradeoff sweep.csv\".\n", stderr)
}

// On a terminal, "nidim plot KIND -" waited for input without a word.
func TestPlotRejectsTerminalStdin(t *testing.T) {
	fakeTerminalStdin(t)
	status, _, stderr := runPlotCmd("curves", "-", "--out", filepath.Join(t.TempDir(), "c.svg"))
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "nidim plot curves: standard input is a terminal, so FILE - would wait for input typed there; pipe or redirect it, as in nidim train --json | nidim plot curves -, or pass the file's path.\n", stderr)
}

// plot curves and tradeoff printed Go's "open PATH: no such file or
// directory" for a missing FILE and "read PATH: is a directory" for a
// directory, while the other kinds name the problem and the fix.
func TestPlotCurvesTradeoffMissingInput(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "absent")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"curves", absent}, "nidim plot curves: " + absent + " does not exist; check the path.\n"},
		{[]string{"tradeoff", absent}, "nidim plot tradeoff: " + absent + " does not exist; check the path.\n"},
		{[]string{"curves", dir}, "nidim plot curves: " + dir + ` is a directory; pass the JSON file that "nidim train --json" prints.` + "\n"},
		{[]string{"tradeoff", dir}, "nidim plot tradeoff: " + dir + " is a directory; pass a CSV file such as the sweep.csv that nidim sweep writes.\n"},
	}
	for _, c := range cases {
		status, stdout, stderr := runPlotCmd(c.args...)
		assert.Equal(t, exitUsage, status, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

// The points of a trade-off line differ in their noise level, and the
// figure did not say which point was which. Each point of a noise run now
// carries its level, named as the prior's channel names it, and the
// baselines, which train without noise, carry none.
func TestPlotTradeoffLabelsLevels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,prior,dim,level,seed,max_ks,linear_probe_accuracy\n" +
		"a,ni-dim,gaussian,4,1,0,0.03,0.41\n" +
		"b,ni-dim,gaussian,4,0.5,0,0.05,0.32\n" +
		"c,no-noise,gaussian,4,0,0,0.04,0.34\n" +
		"d,ni-dim,uniform,4,0.1,0,0.08,0.30\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	series, _, _, err := readSweep(path, "max_ks", "linear_probe_accuracy")
	require.NoError(t, err)
	require.Len(t, series, 3)
	assert.Equal(t, "d = 4, gaussian", series[0].Name)
	assert.Equal(t, []string{"σ=0.5", "σ=1"}, series[0].Labels, "in order of level")
	assert.Equal(t, "d = 4, uniform", series[1].Name)
	assert.Equal(t, []string{"ε=0.1"}, series[1].Labels)
	assert.Equal(t, "d = 4, gaussian, no-noise", series[2].Name)
	assert.Nil(t, series[2].Labels, "a baseline's level is no noise level")

	status, _, stderr := runPlotCmd("tradeoff", path)
	require.Equal(t, exitOK, status, stderr)
	doc := readPlotSVG(t, filepath.Join(dir, "sweep-tradeoff.svg"))
	assert.Subset(t, doc.texts, []string{"σ=0.5", "σ=1", "ε=0.1"})
	assert.NotContains(t, doc.texts, "σ=0")

	// A table without a prior column names the column.
	other := filepath.Join(dir, "levels.csv")
	require.NoError(t, os.WriteFile(other, []byte("level,max_ks,linear_probe_accuracy\n0.25,0.05,0.6\n2,0.02,0.4\n"), 0o644))
	series, _, _, err = readSweep(other, "max_ks", "linear_probe_accuracy")
	require.NoError(t, err)
	require.Len(t, series, 1)
	assert.Equal(t, []string{"level=0.25", "level=2"}, series[0].Labels)
}

// A sweep table cut short in its last row gave encoding/csv's "record on
// line 4: wrong number of fields". The message now counts the fields and
// gives the repair.
func TestPlotTradeoffRowCutShort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,dim,level,max_ks,linear_probe_accuracy\n" +
		"a,ni-dim,4,0.5,0.05,0.32\n" +
		"b,ni-dim,4,1,0.03"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	status, stdout, stderr := runPlotCmd("tradeoff", path)
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim plot tradeoff: "+path+", line 3: 5 fields where the header has 6, as when the file was cut short or edited; complete or delete that line.\n", stderr)
	assert.NoFileExists(t, filepath.Join(dir, "sweep-tradeoff.svg"))
}

// A flag of one kind given to another, such as qq --bins, was an
// "unknown flag" with no hint, though the help lists it. The message now
// names the kinds that take it. plotFlagKinds must match the flags that
// each kind defines, which this test checks by running every kind with
// every flag of the map.
func TestPlotFlagOfAnotherKind(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.npy")
	for name, kinds := range plotFlagKinds {
		for kind := range plotKinds {
			status, _, stderr := runPlotCmd(kind, "--"+name+"=1", missing)
			assert.Equal(t, exitUsage, status, "%s --%s", kind, name)
			if slices.Contains(kinds, kind) {
				assert.NotContains(t, stderr, "flag", "%s defines --%s", kind, name)
				continue
			}
			assert.Equal(t, "nidim plot "+kind+": --"+name+" is a flag of nidim plot "+joinOr(kinds)+", not of "+kind+
				"; run \"nidim help plot\" for the flags.\n", stderr)
		}
	}
	status, _, stderr := runPlotCmd("qq", "--bogus", missing)
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "nidim plot qq: unknown flag --bogus; run \"nidim help plot\" for the flags.\n", stderr)
	assert.Equal(t, "scatter, qq or hist", joinOr([]string{"scatter", "qq", "hist"}))
}

// A sweep of unlabelled data has NaN accuracies, and the default --y,
// linear_probe_accuracy, gave "no row with finite max_ks and
// linear_probe_accuracy values; pass a sweep with at least one complete
// row", which blamed the sweep. The message now names the empty column
// and the column to plot instead.
func TestPlotTradeoffEmptyColumn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,prior,dim,level,mi_estimate,max_ks,linear_probe_accuracy,knn_accuracy\n" +
		"a,ni-dim,gaussian,2,0.5,1.4,0.05,NaN,NaN\n" +
		"b,ni-dim,gaussian,2,1,0.5,0.04,NaN,\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))

	status, _, stderr := runPlotCmd("tradeoff", path)
	assert.Equal(t, exitUsage, status)
	assert.Equal(t, "nidim plot tradeoff: "+path+": the linear_probe_accuracy column has no finite value in any row; nidim sweep measures accuracies only with class labels (--labels for a matrix --data), so pass another column, such as --y mi_estimate.\n", stderr)

	status, _, stderr = runPlotCmd("tradeoff", path, "--x", "knn_accuracy", "--y", "max_ks")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "the knn_accuracy column has no finite value in any row;")
	assert.Contains(t, stderr, "such as --x mi_estimate.")

	status, _, stderr = runPlotCmd("tradeoff", path, "--y", "mi_estimate")
	assert.Equal(t, exitOK, status, stderr)

	// A table with only its header row has no column to blame.
	empty := filepath.Join(dir, "header.csv")
	require.NoError(t, os.WriteFile(empty, []byte("max_ks,linear_probe_accuracy\n"), 0o644))
	status, _, stderr = runPlotCmd("tradeoff", empty)
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "has no row with finite max_ks and linear_probe_accuracy values")
}

// The legend named a baseline's kind only when the table had several
// kinds, so a sweep of --sigmas 0 alone drew its no-noise runs as "d = 2",
// the name of a noise run.
func TestPlotTradeoffBaselinesOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,prior,dim,level,seed,max_ks,linear_probe_accuracy\n" +
		"a,no-noise,gaussian,2,0,0,0.04,0.27\n" +
		"b,no-noise,gaussian,4,0,0,0.05,0.34\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	series, _, _, err := readSweep(path, "max_ks", "linear_probe_accuracy")
	require.NoError(t, err)
	require.Len(t, series, 2)
	assert.Equal(t, "d = 2, no-noise", series[0].Name)
	assert.Equal(t, "d = 4, no-noise", series[1].Name)
}

// The README and train's JSON call the noise level sigma, while sweep.csv
// names it level, so --x sigma was a missing column with a list of 30
// names. The message now names the column meant.
func TestPlotTradeoffColumnSuggestion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.csv")
	sweep := "run,kind,dim,level,max_ks,linear_probe_accuracy,knn_accuracy\n" +
		"a,ni-dim,4,0.5,0.05,0.32,0.4\n"
	require.NoError(t, os.WriteFile(path, []byte(sweep), 0o644))
	for _, c := range []struct{ flag, value, want string }{
		{"--x", "sigma", "level"},
		{"--x", "eps", "level"},
		{"--y", "probe", "linear_probe_accuracy"},
		{"--y", "knn", "knn_accuracy"},
		{"--x", "max_kss", "max_ks"},
	} {
		status, _, stderr := runPlotCmd("tradeoff", path, c.flag, c.value)
		assert.Equal(t, exitUsage, status, c.value)
		assert.Contains(t, stderr, "invalid "+c.flag+" \""+c.value+"\": "+path+" has no such column; did you mean "+c.flag+" "+c.want+"? The columns are run, kind,", c.value)
	}
	// accuracy is part of two columns, so no single one is meant.
	status, _, stderr := runPlotCmd("tradeoff", path, "--y", "accuracy")
	assert.Equal(t, exitUsage, status)
	assert.Contains(t, stderr, "has no such column; use one of run, kind,")
}
