package dim

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// Sweep run kinds. A noise run trains NI-DIM at one noise level; the
// baselines train plain InfoNCE without channel noise, with the
// normalization, without it, or with the sliced Epps-Pulley penalty.
const (
	KindNoise       = "ni-dim"
	KindNoNoise     = "no-noise"
	KindNoNormalize = "no-noise-no-norm"
	KindPenalty     = "no-noise+penalty"
)

// SweepRun is one run of a sweep: a kind and the full configuration.
type SweepRun struct {
	Kind   string
	Config Config
}

// Key identifies the run in a sweep's table: kind, prior, dimension, noise
// level, seed, and for the penalty run its weight and directions.
func (r SweepRun) Key() string {
	c := r.Config
	level := "-"
	if r.Kind == KindNoise {
		level = strconv.FormatFloat(c.NoiseLevel(), 'g', -1, 64)
	}
	key := fmt.Sprintf("%s/%s/d=%d/level=%s/seed=%d", r.Kind, c.Prior, c.Dim, level, c.Seed)
	if r.Kind == KindPenalty {
		key += fmt.Sprintf("/weight=%g/directions=%d", c.PenaltyWeight, c.PenaltyDirections)
	}
	return key
}

// SweepGrid returns the runs of a sweep over priors x dims x levels x
// seeds, each a copy of base. A level of 0 is the no-noise baseline, which
// keeps base's noise level as the scale of the initial temperature. With
// baselines, every prior, dimension and seed also gets the no-noise run
// (unless a level of 0 already made it), the run without normalization and
// the run with the penalty, which takes base's penalty weight and
// directions, or 1 and 16 when base has no directions. Noise runs never
// carry the penalty, and the uniform prior gets no penalty run, because the
// penalty pulls toward N(0, I) while that prior squashes into [0, 1]^d.
func SweepGrid(base Config, priors []string, dims []int, levels []float64, seeds []uint64, baselines bool) []SweepRun {
	var runs []SweepRun
	for _, prior := range priors {
		for _, d := range dims {
			for _, seed := range seeds {
				c := base
				c.Prior, c.Dim, c.Seed = prior, d, seed
				c.Penalty = ""
				hasZero := false
				for _, level := range levels {
					r := SweepRun{Kind: KindNoise, Config: c}
					if level == 0 {
						hasZero = true
						r.Kind = KindNoNoise
						r.Config.NoiseViews = 0
					} else if prior == "uniform" {
						r.Config.Eps = level
					} else {
						r.Config.Sigma = level
					}
					runs = append(runs, r)
				}
				if !baselines {
					continue
				}
				plain := c
				plain.NoiseViews = 0
				if !hasZero {
					runs = append(runs, SweepRun{Kind: KindNoNoise, Config: plain})
				}
				noNorm := plain
				noNorm.NoNormalize = true
				runs = append(runs, SweepRun{Kind: KindNoNormalize, Config: noNorm})
				if prior == "uniform" {
					continue
				}
				pen := plain
				pen.Penalty = PenaltyEppsPulley
				if pen.PenaltyDirections == 0 {
					pen.PenaltyWeight, pen.PenaltyDirections = 1, 16
				}
				runs = append(runs, SweepRun{Kind: KindPenalty, Config: pen})
			}
		}
	}
	return runs
}

// SweepOptions sets how a sweep run is evaluated. Zero values select the
// defaults.
type SweepOptions struct {
	// EvalSamples is the number of test rows, drawn with EvalSeed, that
	// the prior-matching battery runs on (default 2000; all rows when the
	// test split is smaller).
	EvalSamples int
	EvalSeed    uint64 // seeds the subsample and the battery (default 1)
	Alpha       float64
	KNN         int    // neighbors of the kNN classifier (default 5)
	Metric      Metric // distance of the kNN classifier (default MetricEuclidean)
}

// SweepRow is the outcome of one sweep run.
type SweepRow struct {
	Run  string
	Kind string
	// Settings lists the settings that every run of a sweep shares, so
	// that a resumed sweep can check that it continues the same one.
	Settings      string
	Prior         string
	Dim           int
	Level         float64 // sigma or eps; 0 without noise
	NoiseViews    int
	Normalize     bool
	Penalty       string
	PenaltyWeight float64
	Seed          uint64
	Epochs, Batch int

	MI, TrainMI float64 // InfoNCE estimates in nats on the test and the last training epoch
	// MIBatch is the batch size of MI: Batch, or the number of test rows
	// when that is smaller. It is not a column of the table.
	MIBatch int
	// Capacity is the channel capacity in nats. A run without channel
	// noise has no capacity bound, so its Capacity is NaN, which the CSV
	// writes as NaN, as it writes the accuracies of a run without labels.
	// LnBatch is ln Batch, which caps TrainMI, and MI too unless MIBatch
	// is smaller than Batch.
	Capacity, LnBatch float64
	Tau               float64 // final critic temperature

	EvalN          int       // test rows in the battery
	KS             []float64 // Kolmogorov-Smirnov distance of each component to the prior's marginal
	MaxKS          float64
	MaxCorrelation float64 // largest absolute correlation between two components
	Pass           bool    // no test of the battery rejects at Alpha after Holm
	Rejected, Ran  int
	Worst          string // the test with the smallest adjusted p-value and that p-value

	Probe, KNN   float64 // test accuracies, NaN without labels
	ImagesPerSec float64 // training samples per second
	Seconds      float64 // training time
}

// SettingsString returns the settings of c that are not swept, in a fixed
// order.
func SettingsString(c Config) string {
	tau := "learned"
	if !c.LearnTau {
		tau = "fixed"
	}
	s := fmt.Sprintf("%s h%d %s %s tau=%g(%s) epochs=%d batch=%d lr=%g %s wd=%g shift=%d rot=%g zoom=%g pix=%g feat=%g mask=%g",
		c.Encoder, c.Hidden, c.Critic, c.Loss, c.Tau, tau, c.Epochs, c.Batch, c.LR, c.Schedule, c.WeightDecay,
		c.MaxShift, c.MaxRotate, c.MaxScale, c.PixelNoise, c.FeatureNoise, c.MaskProb)
	if c.NoRecalibrate {
		s += " no-recalibrate"
	}
	if c.CleanFirstView {
		s += " clean-view"
	}
	if c.SharedView {
		s += " shared-view"
	}
	// Only when set, so that the settings of tables written before the
	// flag existed stay the same and their sweeps can resume.
	if c.Standardize {
		s += " standardize"
	}
	if c.Loss == BoundInfoNCERows {
		s += fmt.Sprintf(" self-weight=%g", c.SelfWeight)
	}
	// Only when set, as standardize above.
	if c.ImageFit != "" {
		s += " image-fit=" + c.ImageFit
	}
	return s
}

// RunSweep trains run.Config on train and evaluates the model on test: the
// InfoNCE estimate, the prior-matching battery on opts.EvalSamples test
// embeddings, and, when both splits have labels, the linear-probe and kNN
// accuracies.
func RunSweep(ctx context.Context, run SweepRun, train, test *Dataset, opts SweepOptions, progress func(Progress)) (*SweepRow, error) {
	if opts.EvalSamples == 0 {
		opts.EvalSamples = 2000
	}
	if opts.EvalSeed == 0 {
		opts.EvalSeed = 1
	}
	if opts.KNN == 0 {
		opts.KNN = 5
	}
	if opts.Metric == "" {
		opts.Metric = MetricEuclidean
	}
	if err := test.check(); err != nil {
		return nil, err
	}
	c := run.Config
	m, hist, err := Train(ctx, c, train, progress)
	if err != nil {
		return nil, err
	}
	row := &SweepRow{
		Run: run.Key(), Kind: run.Kind, Settings: SettingsString(c), Prior: c.Prior, Dim: c.Dim,
		NoiseViews: c.NoiseViews, Normalize: !c.NoNormalize, Penalty: c.Penalty, Seed: c.Seed,
		Epochs: c.Epochs, Batch: c.Batch, LnBatch: math.Log(float64(c.Batch)), Tau: math.Exp(m.LogTau),
		Capacity: math.NaN(), Probe: math.NaN(), KNN: math.NaN(),
	}
	if c.Penalty != "" {
		row.PenaltyWeight = c.PenaltyWeight
	}
	if c.NoiseViews > 0 {
		prior, _ := c.NewPrior()
		row.Level, row.Capacity = c.NoiseLevel(), prior.Capacity(c.Dim)
	}
	var samples float64
	for _, e := range hist.Epochs {
		samples += e.SamplesPerSec * e.Seconds
		row.Seconds += e.Seconds
	}
	if row.Seconds > 0 {
		row.ImagesPerSec = samples / row.Seconds
	}
	row.TrainMI = hist.Epochs[len(hist.Epochs)-1].MI
	if row.MI, row.MIBatch, err = EstimateMIUpToBatch(m, test, 1234); err != nil {
		return nil, err
	}

	// The battery tests the embedding as users get it, mapped to the prior
	// for logistic, laplace and exponential; the classifiers use the
	// normalized one.
	zPrior, err := m.Embed(test.X, EmbedChunkRows)
	if err != nil {
		return nil, err
	}
	// The grid test of the uniform prior needs the channel's half-width,
	// and only runs with channel noise have one.
	eps := 0.0
	if c.Prior == "uniform" && c.NoiseViews > 0 {
		eps = c.Eps
	}
	if err := row.battery(zPrior, c.Prior, eps, opts); err != nil {
		return nil, err
	}
	zTest, err := m.Encode(test.X, EmbedChunkRows)
	if err != nil {
		return nil, err
	}
	if train.Labels == nil || test.Labels == nil {
		return row, nil
	}
	zTrain, err := m.Encode(train.X, EmbedChunkRows)
	if err != nil {
		return nil, err
	}
	if row.Probe, row.KNN, err = ProbeAndKNN(zTrain, train.Labels, zTest, test.Labels, opts.KNN, opts.Metric); err != nil {
		return nil, err
	}
	return row, nil
}

// battery runs the prior-matching report on opts.EvalSamples rows of z
// drawn without replacement with opts.EvalSeed. A positive eps is the
// half-width of the uniform channel, which the grid test needs; 0 skips
// that test. The energy tests draw a fixed stats.QuickReplicates, which
// keeps the battery of a failing run well under a second, and
// jarque-bera and dagostino-k2 the count that lets Holm reject on them
// alone. The sweeps recorded in docs/sweep.md predate their Monte Carlo
// p-values, which can change the rejection counts.
func (row *SweepRow) battery(z *tensor.Tensor, prior string, eps float64, opts SweepOptions) error {
	n, d := z.Shape[0], z.Shape[1]
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	if n > opts.EvalSamples {
		rng := rand.New(rand.NewPCG(opts.EvalSeed, 0x5e1))
		rng.Shuffle(n, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		rows = rows[:opts.EvalSamples]
	}
	mat := stats.Matrix{N: len(rows), D: d, Data: make([]float64, len(rows)*d)}
	for i, r := range rows {
		for k := 0; k < d; k++ {
			mat.Data[i*d+k] = float64(z.Data[r*d+k])
		}
	}
	rep, err := stats.BuildReport(mat, stats.ReportOptions{Prior: prior, Alpha: opts.Alpha, Seed: opts.EvalSeed, Eps: eps, Replicates: stats.QuickReplicates, HolmMomentReplicates: true})
	if err != nil {
		return err
	}
	row.EvalN = mat.N
	row.KS = make([]float64, d)
	for _, e := range rep.Tests {
		if e.Name == "ks-prior" && e.Component >= 0 && e.Component < d {
			row.KS[e.Component] = e.Statistic
		}
	}
	row.MaxKS, row.MaxCorrelation = rep.MaxKSDistance, rep.MaxAbsCorrelation
	row.Pass, row.Rejected, row.Ran = !rep.Reject && rep.Ran() > 0, rep.Rejected(), rep.Ran()
	if rep.Worst >= 0 {
		w := rep.Tests[rep.Worst]
		name := w.Name
		if w.Component >= 0 {
			name += fmt.Sprintf("[%d]", w.Component)
		}
		row.Worst = fmt.Sprintf("%s p=%.3g", name, w.AdjustedP)
	}
	return nil
}

// SweepColumns are the CSV columns of a sweep table, in order.
var SweepColumns = []string{
	"run", "kind", "prior", "dim", "level", "noise_views", "normalize", "penalty", "penalty_weight", "seed",
	"epochs", "batch", "mi_estimate", "train_mi_estimate", "capacity", "ln_batch", "tau",
	"eval_n", "ks", "max_ks", "max_abs_correlation", "verdict", "rejected", "tests_run", "worst",
	"linear_probe_accuracy", "knn_accuracy", "images_per_s", "train_seconds", "settings",
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// Record returns the row's CSV fields in SweepColumns order.
func (r *SweepRow) Record() []string {
	ks := make([]string, len(r.KS))
	for i, v := range r.KS {
		ks[i] = strconv.FormatFloat(v, 'f', 4, 64)
	}
	verdict := "fail"
	if r.Pass {
		verdict = "pass"
	}
	return []string{
		r.Run, r.Kind, r.Prior, strconv.Itoa(r.Dim), formatFloat(r.Level), strconv.Itoa(r.NoiseViews),
		strconv.FormatBool(r.Normalize), r.Penalty, formatFloat(r.PenaltyWeight), strconv.FormatUint(r.Seed, 10),
		strconv.Itoa(r.Epochs), strconv.Itoa(r.Batch), formatFloat(r.MI), formatFloat(r.TrainMI),
		formatFloat(r.Capacity), formatFloat(r.LnBatch), formatFloat(r.Tau),
		strconv.Itoa(r.EvalN), strings.Join(ks, " "), formatFloat(r.MaxKS), formatFloat(r.MaxCorrelation),
		verdict, strconv.Itoa(r.Rejected), strconv.Itoa(r.Ran), r.Worst,
		formatFloat(r.Probe), formatFloat(r.KNN), formatFloat(r.ImagesPerSec), formatFloat(r.Seconds), r.Settings,
	}
}

// WriteSweepMarkdown writes CSV records of a sweep (without the header, in
// SweepColumns order) as a Markdown table of the columns that matter for
// reading it. The CSV lists runs in the order they finished, which a
// resumed or extended sweep interleaves, so the table groups them by kind
// and prior, in their order of first appearance, and sorts them by
// dimension, level and seed.
//
// The column ln B gives the cap of the MI column next to it, which was
// estimated on the testRows rows of the test split: ln of the batch, or,
// when the test split has fewer rows than the batch, ln testRows, because
// EstimateMIUpToBatch then estimates the MI from one batch of all of them.
// A note under the table says so, and names the training batch's ln B,
// which the CSV column ln_batch keeps. testRows 0 takes the batch.
func WriteSweepMarkdown(w io.Writer, records [][]string, testRows int) error {
	col := map[string]int{}
	for i, name := range SweepColumns {
		col[name] = i
	}
	for _, rec := range records {
		if len(rec) != len(SweepColumns) {
			return fmt.Errorf("dim: sweep record has %d fields, want %d", len(rec), len(SweepColumns))
		}
	}
	records = slices.Clone(records)
	first := map[string]int{}
	for _, rec := range records {
		for _, name := range []string{"kind", "prior"} {
			key := name + "=" + rec[col[name]]
			if _, ok := first[key]; !ok {
				first[key] = len(first)
			}
		}
	}
	number := func(rec []string, name string) float64 {
		v, err := strconv.ParseFloat(rec[col[name]], 64)
		if err != nil {
			return math.Inf(1)
		}
		return v
	}
	slices.SortStableFunc(records, func(a, b []string) int {
		return cmp.Or(
			cmp.Compare(first["kind="+a[col["kind"]]], first["kind="+b[col["kind"]]]),
			cmp.Compare(first["prior="+a[col["prior"]]], first["prior="+b[col["prior"]]]),
			cmp.Compare(number(a, "dim"), number(b, "dim")),
			cmp.Compare(number(a, "level"), number(b, "level")),
			cmp.Compare(number(a, "penalty_weight"), number(b, "penalty_weight")),
			cmp.Compare(number(a, "seed"), number(b, "seed")),
		)
	})
	show := []struct{ title, name string }{
		{"kind", "kind"}, {"prior", "prior"}, {"d", "dim"}, {"level", "level"}, {"seed", "seed"},
		{"MI (nats)", "mi_estimate"}, {"capacity", "capacity"}, {"ln B", "ln_batch"},
		{"KS per component", "ks"}, {"max KS", "max_ks"}, {"max abs corr", "max_abs_correlation"},
		{"battery", "verdict"}, {"rejected", "rejected"}, {"worst (Holm p)", "worst"},
		{"probe acc", "linear_probe_accuracy"}, {"kNN acc", "knn_accuracy"}, {"samples/s", "images_per_s"},
	}
	// capped is the training batch of a row whose MI is capped by
	// testRows instead, or 0.
	capped := 0
	var b strings.Builder
	b.WriteString("|")
	for _, s := range show {
		b.WriteString(" " + s.title + " |")
	}
	b.WriteString("\n|")
	for range show {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, rec := range records {
		b.WriteString("|")
		for _, s := range show {
			v := rec[col[s.name]]
			switch s.name {
			case "capacity":
				// A run without channel noise has no capacity bound. The
				// CSV writes NaN for it, and +Inf before nidim wrote NaN,
				// and the table states it in words.
				if f, err := strconv.ParseFloat(v, 64); err == nil && (math.IsInf(f, 1) || math.IsNaN(f)) {
					v = "none (no noise)"
				} else if err == nil {
					v = strconv.FormatFloat(f, 'f', 3, 64)
				}
			case "ln_batch":
				batch, err := strconv.Atoi(rec[col["batch"]])
				if err == nil && testRows >= 2 && testRows < batch {
					v, capped = strconv.FormatFloat(math.Log(float64(testRows)), 'f', 3, 64), batch
				} else if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
					v = strconv.FormatFloat(f, 'f', 3, 64)
				}
			case "mi_estimate", "max_ks", "max_abs_correlation", "linear_probe_accuracy", "knn_accuracy":
				if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
					v = strconv.FormatFloat(f, 'f', 3, 64)
				}
			case "images_per_s":
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					v = strconv.FormatFloat(f, 'f', 0, 64)
				}
			case "rejected":
				v += "/" + rec[col["tests_run"]]
			case "level":
				// The CSV keeps 0, the --sigmas entry of a run without
				// channel noise, and the table shows "-" as the run's
				// key and progress do.
				switch rec[col["kind"]] {
				case KindPenalty:
					v = "weight " + rec[col["penalty_weight"]]
				case KindNoNoise, KindNoNormalize:
					v = "-"
				}
			}
			b.WriteString(" " + strings.ReplaceAll(v, "|", "/") + " |")
		}
		b.WriteString("\n")
	}
	if capped > 0 {
		fmt.Fprintf(&b, "\nThe test split has %d rows, fewer than the batch of %d, so the MI column is estimated from one batch of all %d test rows, and the ln B column gives its cap, ln %d = %.3f. Training's ln B is ln %d = %.3f (the ln_batch column of the CSV).\n",
			testRows, capped, testRows, testRows, math.Log(float64(testRows)), capped, math.Log(float64(capped)))
	}
	if len(records) > 0 {
		fmt.Fprintf(&b, "\nShared settings: %s\n", records[0][col["settings"]])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
