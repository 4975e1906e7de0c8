package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
)

func init() {
	register(command{
		name:    "sweep",
		summary: "train a grid of noise levels, dimensions and baselines and tabulate how well each matches the prior",
		run:     runSweep,
	})
}

const sweepUsage = `Usage: nidim sweep [flags]

Trains one model per prior, dimension, noise level and seed, with the same
encoder and budget, and evaluates each: the InfoNCE estimate on the test
split (from one batch of all its rows when it has fewer rows than the
batch, with a note), the prior-matching battery on --eval-samples test
embeddings drawn with --eval-seed (verdict at alpha 0.01 after Holm's
adjustment, the Kolmogorov-Smirnov distance of every component to the
prior's marginal, the largest absolute correlation), and the
linear-probe and kNN accuracies. After every run it rewrites
DIR/sweep.csv (every column) and DIR/sweep.md (a Markdown table)
atomically. Ctrl-C stops a run after its current training step and
exits with status 1; during a run's evaluation, which does not stop, a
line on stderr says so at once, and the sweep keeps that run and stops
before the next. A sweep that is started again
with the same --out skips the runs already in sweep.csv, so an
interrupted sweep resumes. It refuses
to continue one made with other shared settings, evaluation options or
data, which its column settings records, or by a nidim that wrote
another version of the table (sweep-format in settings). Progress goes
to stderr: on a terminal the bar of nidim train, led by the number of the
run, such as [2/10], then one line per epoch and a line of results per
run. Before the first run, sweep checks the memory of every run as nidim
train does: it stops with status 2 when one needs more than the memory
here, and prints a note for the first that needs more than 65% of it.

sweep keeps no model. To keep the model of a run with noise, such as at
the noise level you choose, run nidim train with the sweep's training
flags and data and the run's --prior, --dim, --sigma (--eps for uniform)
and --seed. It trains the same model, with the MI estimate and
accuracies of the row. Without --recipe, a uniform run of a sweep whose
--priors also lists another prior trained with the match recipe, which
train then needs as --recipe match. "nidim plot tradeoff DIR/sweep.csv"
draws the trade-off.

Grid:
  --sigmas LIST        noise levels, comma-separated: sigma for the gaussian
                       prior, eps for the uniform one; 0 trains plain
                       InfoNCE without channel noise (default 0,0.25,0.5,1,2)
  --dims LIST          embedding dimensions (default 2,4,8,16)
  --priors LIST        comma-separated priors: gaussian, uniform, logistic,
                       laplace, exponential (default gaussian)
  --seeds N            seeds per setting: --seed, --seed+1, ... (default 1)
  --baselines          also train, per prior, dimension and seed, plain
                       InfoNCE without noise with and without the
                       normalization, and plain InfoNCE with the sliced
                       Epps-Pulley normality penalty (not for uniform)
  --penalty-weight W   weight of the penalty baseline (default 1)
  --penalty-directions K
                       random directions of the penalty per step (default 16)

Evaluation and output:
  --out DIR            directory of sweep.csv and sweep.md, created if missing
                       inside an existing directory; files of those names that
                       are not sweep tables, or links to another sweep's, are
                       an error, not replaced (default sweep)
  --eval-samples N     test embeddings the battery runs on, or every test
                       row when the test split has fewer; the eval_n
                       column of sweep.csv gives the number (default 2000)
  --eval-seed S        seed of that subsample and of the battery (default 1)
  --knn K              neighbors of the kNN classifier (default 5)
  --knn-metric NAME    euclidean or cosine distance for kNN (default
                       euclidean)

Training (shared by every run; see "nidim help train"):
  --recipe NAME        match or reference: the defaults of the flags marked
                       [r], as in nidim train (default: match, or reference
                       when --priors is uniform alone)
  --sigma S            temperature scale of the runs without noise: the
                       euclidean critic starts from tau = 2 S^2, or
                       2 S^2/3 for uniform. Not the noise level, which
                       --sigmas sets, and without effect, with a note,
                       when the grid has no run without noise (default
                       0.1)
  --noise-views V      [r] both or one
  --encoder NAME       mlp or cnn (default mlp)
  --hidden H           MLP hidden width (default 512)
  --critic NAME        euclidean, cosine or dot (default euclidean)
  --loss NAME          [r] infonce, infonce-rows, jsd, nwj or dv
  --self-weight W      [r] matching pair's weight in infonce-rows
  --tau T              initial critic temperature, 0 for the default (default 0)
  --fixed-tau          [r] keep the temperature fixed
  --epochs N           [r] passes over the training set
  --batch B            [r] samples per step. A recipe's batch larger than
                       the training split becomes the number of training
                       rows, with a note
  --lr R               [r] Adam learning rate
  --schedule NAME      [r] constant or cosine
  --weight-decay W     decoupled weight decay (default 0)
  --seed N             first seed; it also draws the held-out split of a
                       matrix --data (default 0)
  --threads N          goroutines, 0 for all cores (default 0)
  --shift P            [r] image views: maximum translation in pixels
  --rotate DEG         image views: maximum rotation in degrees (default 0)
  --zoom Z             image views: zoom range 1-Z to 1+Z (default 0)
  --pixel-noise S      [r] image views: pixel noise standard deviation
  --feature-noise S    [r] vector views: noise standard deviation, in standard
                       deviations of each feature, or in the units of the data
                       with --standardize=false
  --mask P             vector views: probability of setting a feature to its
                       training mean, or to zero with --standardize=false
                       (default 0)
  --standardize        feature vectors: every run feeds its encoder the
                       features standardized with the mean and standard
                       deviation of the training split, as nidim train does;
                       --standardize=false feeds the values as they are
                       (default true for feature vectors)
  --no-recalibrate     keep the running normalization statistics of training
  --clean-view         feed the first view without augmentation
  --shared-view        give both views the same augmented draw; not with
                       --clean-view. Both need a view flag above 0

Data:
  --data PATH          MNIST-style IDX directory, a directory of images or
                       a matrix file, as for nidim train (default:
                       built-in MNIST)
  --labels FILE        class labels for a matrix --data, one per row, as
                       class numbers 0, 1, 2, ... up to 1000000 (not names)
                       (default: none, which skips the probe and kNN)
  --image-shape C,H,W  sample shape of a matrix --data (default: feature
                       vectors)
  --image-size HxW     resize every image of a directory of images to
                       HxW, as in nidim train (default: the size of the
                       first image, which all must have)
  --image-fit squeeze|crop
                       how --image-size treats an image of another aspect
                       ratio, as in nidim train (default: squeeze)
  --test-fraction F    share of a matrix --data or a directory of images held
                       out for testing (default 0.1), the same for every run:
                       the rows are shuffled with --seed and the last F x
                       rows, rounded, are held out, whatever their labels
`

func runSweep(args []string, stdout, stderr io.Writer) int {
	def := dim.DefaultConfig()
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	recipeName := fs.String("recipe", "", "")
	sigmas := fs.String("sigmas", "0,0.25,0.5,1,2", "")
	dims := fs.String("dims", "2,4,8,16", "")
	priors := fs.String("priors", "gaussian", "")
	seeds := fs.Int("seeds", 1, "")
	baselines := fs.Bool("baselines", false, "")
	penaltyWeight := fs.Float64("penalty-weight", 1, "")
	penaltyDirections := fs.Int("penalty-directions", 16, "")
	outDir := fs.String("out", "sweep", "")
	evalSamples := fs.Int("eval-samples", 2000, "")
	evalSeed := fs.Uint64("eval-seed", 1, "")
	knnK := fs.Int("knn", 5, "")
	knnMetric := fs.String("knn-metric", string(dim.MetricEuclidean), "")

	sigma := fs.Float64("sigma", def.Sigma, "")
	noiseViews := fs.String("noise-views", "both", "")
	encoder := fs.String("encoder", def.Encoder, "")
	hidden := fs.Int("hidden", def.Hidden, "")
	critic := fs.String("critic", string(def.Critic), "")
	loss := fs.String("loss", string(def.Loss), "")
	selfWeight := fs.Float64("self-weight", def.SelfWeight, "")
	tau := fs.Float64("tau", def.Tau, "")
	fixedTau := fs.Bool("fixed-tau", !def.LearnTau, "")
	epochs := fs.Int("epochs", def.Epochs, "")
	batch := fs.Int("batch", def.Batch, "")
	lr := fs.Float64("lr", def.LR, "")
	schedule := fs.String("schedule", def.Schedule, "")
	weightDecay := fs.Float64("weight-decay", def.WeightDecay, "")
	seed := fs.Uint64("seed", def.Seed, "")
	threads := fs.Int("threads", 0, "")
	shift := fs.Int("shift", def.MaxShift, "")
	rotate := fs.Float64("rotate", def.MaxRotate, "")
	zoom := fs.Float64("zoom", def.MaxScale, "")
	pixelNoise := fs.Float64("pixel-noise", def.PixelNoise, "")
	featureNoise := fs.Float64("feature-noise", def.FeatureNoise, "")
	mask := fs.Float64("mask", def.MaskProb, "")
	standardize := fs.Bool("standardize", false, "")
	noRecalibrate := fs.Bool("no-recalibrate", def.NoRecalibrate, "")
	cleanView := fs.Bool("clean-view", def.CleanFirstView, "")
	sharedView := fs.Bool("shared-view", def.SharedView, "")
	var df dataFlags
	df.register(fs)
	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "nidim sweep: %s\n", sentence(fmt.Sprintf(format, a...)))
		return status
	}
	// nidim train takes the noise level as --sigma, so a grid is easily
	// given to --sigma, which the flag parser would reject as no number.
	if list := sigmaList(args); list != "" {
		return fail(exitUsage, "--sigma %s is a list, but --sigma is one number, the temperature scale of the runs without noise; pass the noise levels of the grid as --sigmas %s", list, list)
	}
	if st := parseFlags(fs, args, sweepUsage, stdout, stderr); st >= 0 {
		return st
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	// --sigma here is only the temperature scale of the noiseless runs,
	// which keeps its default: the grid sets the noise levels.
	recipeUsed, err := applyRecipe(fs, *recipeName, strings.TrimSpace(*priors), "sigma")
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := checkSelfWeight(explicit, *loss); err != nil {
		return fail(exitUsage, "%v", err)
	}

	levels, levelsNote, err := parseFloatList("--sigmas", *sigmas, 0)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	dimList, dimsNote, err := parseIntList("--dims", *dims)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	var priorList, repeatedPriors []string
	for _, p := range strings.Split(*priors, ",") {
		name := strings.TrimSpace(p)
		if !slices.Contains(dim.PriorNames, name) {
			return fail(exitUsage, "invalid --priors entry %q; use a comma-separated list of %s.", p, strings.Join(dim.PriorNames, ", "))
		}
		if slices.Contains(priorList, name) {
			repeatedPriors = appendNew(repeatedPriors, name)
			continue
		}
		priorList = append(priorList, name)
	}
	for _, note := range []string{levelsNote, dimsNote, repeatedNote("--priors", repeatedPriors)} {
		printNote(stderr, "nidim sweep", note)
	}
	// Only the penalty baseline uses these, so without --baselines they
	// would be ignored.
	for _, name := range []string{"penalty-weight", "penalty-directions"} {
		if explicit[name] && !*baselines {
			return fail(exitUsage, "--%s sets the penalty baseline, which only --baselines trains; add --baselines or drop --%s.", name, name)
		}
	}
	switch {
	case *seeds < 1:
		return fail(exitUsage, "invalid --seeds %d; use 1 or more.", *seeds)
	case *evalSamples < 10:
		return fail(exitUsage, "invalid --eval-samples %d; the battery needs at least 10 rows, such as 2000.", *evalSamples)
	case *knnK < 1:
		return fail(exitUsage, "invalid --knn %d; use 1 or more neighbors.", *knnK)
	case *threads < 0:
		return fail(exitUsage, "invalid --threads %d; use 0 for all cores or a positive count.", *threads)
	case *hidden < 1:
		return fail(exitUsage, "invalid --hidden %d; use a positive width such as %d.", *hidden, def.Hidden)
	case *baselines && (!(*penaltyWeight >= 0) || math.IsInf(*penaltyWeight, 0)):
		return fail(exitUsage, "invalid --penalty-weight %v; use a finite weight of 0 or more.", *penaltyWeight)
	case *baselines && *penaltyDirections < 1:
		return fail(exitUsage, "invalid --penalty-directions %d; use at least 1 direction.", *penaltyDirections)
	}
	if err := checkMetric(*knnMetric); err != nil {
		return fail(exitUsage, "%v", err)
	}
	views := 2
	switch *noiseViews {
	case "both":
	case "one":
		views = 1
	default:
		return fail(exitUsage, "invalid --noise-views %q; use both or one.", *noiseViews)
	}

	base := dim.Config{
		Prior: "gaussian", Sigma: *sigma, Eps: *sigma, NoiseViews: views,
		Dim: 1, Encoder: *encoder, Hidden: *hidden,
		Critic: dim.Critic(*critic), Loss: dim.Bound(*loss), SelfWeight: *selfWeight, Tau: *tau, LearnTau: !*fixedTau,
		Epochs: *epochs, Batch: *batch, LR: *lr, Schedule: *schedule, WeightDecay: *weightDecay,
		Seed: *seed, Threads: *threads,
		MaxShift: *shift, MaxRotate: *rotate, MaxScale: *zoom, PixelNoise: *pixelNoise,
		FeatureNoise: *featureNoise, MaskProb: *mask, Standardize: *standardize, NoRecalibrate: *noRecalibrate, CleanFirstView: *cleanView, SharedView: *sharedView,
		PenaltyWeight: *penaltyWeight, PenaltyDirections: *penaltyDirections,
		ImageFit: configImageFit(df.imageFit), // loadData rejects a bad value
	}
	seedList := make([]uint64, *seeds)
	for i := range seedList {
		seedList[i] = *seed + uint64(i)
	}
	runs := dim.SweepGrid(base, priorList, dimList, levels, seedList, *baselines)
	// The grid sets the noise of every noise run, so --sigma acts only on
	// the runs without noise, and a user who expects it to set the noise
	// would otherwise see the same results as without it. A note, not an
	// error, so that a table begun with the flag can still be resumed.
	noiseless := slices.ContainsFunc(runs, func(r dim.SweepRun) bool { return r.Config.NoiseViews == 0 })
	if explicit["sigma"] && !noiseless {
		printNote(stderr, "nidim sweep", fmt.Sprintf("--sigma %g sets only the initial temperature of the runs without noise, and this grid has none, so it changes nothing; the noise levels are --sigmas, and 0 among them or --baselines adds runs without noise", *sigma))
	}
	for _, r := range runs {
		if err := r.Config.Validate(); err != nil {
			return fail(exitUsage, "run %s: %s", r.Key(), flagWording(err))
		}
	}

	df.threads = *threads
	df.unstandardized = explicit["standardize"] && !*standardize
	df.stderr, df.command = stderr, "nidim sweep"
	train, test, dataNote, err := loadData(df, base.Seed)
	if dataNote.images && base.Standardize {
		// As in nidim train: --standardize declares feature vectors.
		dataNote = layoutNote{}
	}
	dataNote.print(stderr, "nidim sweep")
	printNote(stderr, "nidim sweep", threadsNote(*threads, true))
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := checkViewFlags(explicit, base, train.Shape); err != nil {
		return fail(exitUsage, "%v", err)
	}
	base.Standardize = standardizeDefault(explicit, base.Standardize, train.Shape)
	for i := range runs {
		runs[i].Config.Standardize = base.Standardize
	}
	if base.Standardize {
		if err := checkStandardizeData(df, train.Shape); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	if err := checkKNN(*knnK, train); err != nil {
		return fail(exitUsage, "%v", err)
	}
	// Every run trains on the same split, so the notes on the features
	// are printed once, after the header line.
	_, featureNotes, err := checkFeatureSpread(df, train, base.Standardize, dataNote, newFeatureNoise(base, recipeUsed, explicit))
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	batchNotes, err := fitSweepBatch(runs, &base, train.X.Shape[0], test.X.Shape[0], recipeUsed, explicit["batch"], df)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	// After fitSweepBatch, so that the check counts the batch that the
	// runs train with, as in nidim train.
	tight := ""
	for _, r := range runs {
		size := sizeOf(train, test, true, "")
		if err := checkModelMemory(r.Config, size); err != nil {
			return fail(exitUsage, "run %s: %v", r.Key(), err)
		}
		if note := modelMemoryNote(r.Config, size); note != "" && tight == "" {
			tight = "run " + r.Key() + ": " + note
		}
	}
	printNote(stderr, "nidim sweep", tight)

	if *outDir == stdoutPath {
		return fail(exitUsage, "--out - would create a directory named \"-\", because sweep writes its tables to files; pass a directory path, or ./- for a directory of that name.")
	}
	if info, err := os.Stat(*outDir); err == nil && !info.IsDir() {
		return fail(exitUsage, "--out %s is a file, but sweep writes sweep.csv and sweep.md into a directory; pass a directory path", *outDir)
	}
	if err := makeOutputDir("--out", *outDir); err != nil {
		return fail(exitUsage, "%v", err)
	}
	csvPath := filepath.Join(*outDir, "sweep.csv")
	mdPath := filepath.Join(*outDir, "sweep.md")
	// The tables are first written after a run, which can take minutes,
	// so a directory or file that rejects them is reported before it.
	for _, path := range []string{csvPath, mdPath} {
		if err := checkOutputPath("the table", path); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	records, err := readSweepCSV(csvPath)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	opts := dim.SweepOptions{EvalSamples: *evalSamples, EvalSeed: *evalSeed, KNN: *knnK, Metric: dim.Metric(*knnMetric)}
	settings := sweepSettings(base, train, test, opts, *baselines)
	if err := checkSweepMarkdown(mdPath, csvPath, settings); err != nil {
		return fail(exitUsage, "%v", err)
	}
	done := map[string]bool{}
	settingsCol := slices.Index(dim.SweepColumns, "settings")
	for i, rec := range records {
		if err := checkSweepFormat(csvPath, rec[settingsCol]); err != nil {
			return fail(exitUsage, "%v", err)
		}
		// This format always ends the settings with the fingerprint, and
		// every row takes one line after the header.
		if !fingerprintEnd.MatchString(rec[settingsCol]) {
			return fail(exitUsage, "%s is damaged: the settings column of its line %d does not end with the fingerprint of the test split; delete that line to keep the %s, and the same command runs the lost run again, or pass another --out",
				csvPath, i+2, plural(len(records)-1, "other finished run", "other finished runs"))
		}
		if rec[settingsCol] != settings {
			return fail(exitUsage, "%s was written with other shared settings than this sweep (%s); use another --out or the same flags and data%s",
				csvPath, settingsDiff(rec[settingsCol], settings), recipeHint(rec[settingsCol], settings, recipeUsed, explicit)+standardizeHint(rec[settingsCol], settings, explicit))
		}
		done[rec[0]] = true
	}

	ctx, stop := signal.NotifyContext(context.Background(), trainingStopSignals...)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	notice := &evaluationNotice{stderr: stderr, csvPath: csvPath}
	watchDone := make(chan struct{})
	defer close(watchDone)
	notice.watch(ctx, watchDone)
	// The notes on the settings and the batch concern the runs still to
	// train.
	var todo []dim.SweepRun
	for _, r := range runs {
		if !done[r.Key()] {
			todo = append(todo, r)
		}
	}
	fmt.Fprintf(stderr, "nidim sweep: %s, %d already in %s; shared settings: %s\n", plural(len(runs), "run", "runs"), len(runs)-len(todo), csvPath, settings)
	values := train.X.Shape[1]
	if note := dimNote("the --dims entry", slices.Max(dimList), values, fmt.Sprintf("Use --dims entries of %d or less", values)); note != "" {
		printNote(stderr, "nidim sweep", note)
	}
	if note := sweepSaturationNote(todo); note != "" {
		printNote(stderr, "nidim sweep", note)
	}
	if note := sweepTailNote(todo, explicit["self-weight"]); note != "" {
		printNote(stderr, "nidim sweep", note)
	}
	for _, note := range featureNotes {
		printNote(stderr, "nidim sweep", note)
	}
	for _, note := range batchNotes {
		if len(todo) > 0 {
			printNote(stderr, "nidim sweep", note)
		}
	}
	for i, r := range runs {
		key := r.Key()
		if done[key] {
			continue
		}
		fmt.Fprintf(stderr, "[%d/%d] %s: training\n", i+1, len(runs), key)
		start := time.Now()
		// On a terminal, the bar of nidim train, led by the run's number,
		// shows the progress within an epoch. Elsewhere only the lines of
		// the epochs are written, as by nidim train.
		bar := newProgressBar(stderr)
		bar.noNoise = r.Config.NoiseViews == 0
		bar.prefix = fmt.Sprintf("[%d/%d] ", i+1, len(runs))
		row, err := dim.RunSweep(ctx, r, train, test, opts, func(p dim.Progress) {
			if !p.EpochDone {
				bar.update(p)
				return
			}
			bar.clear()
			fmt.Fprintf(stderr, "  epoch %d/%d: loss %.4f, MI %.3f nats, tau %.4g, %.1f s\n", p.Epoch, p.Epochs, p.Loss, p.MI, p.Tau, p.EpochTime.Seconds())
			if sweepEpochHook != nil {
				sweepEpochHook(p, cancel)
			}
			// Training ends with the last epoch, and the evaluation
			// follows, which does not stop for Ctrl-C.
			if p.Epoch == p.Epochs {
				notice.start(ctx, fmt.Sprintf("[%d/%d] %s", i+1, len(runs), key))
			}
		})
		notice.end()
		bar.clear()
		if errors.Is(err, context.Canceled) {
			if len(records) == 0 {
				return fail(exitFail, "interrupted during run %s, before any run finished; the same command starts the sweep again", key)
			}
			return fail(exitFail, "interrupted during run %s; %s in %s, and the same command resumes", key, plural(len(records), "finished run is", "finished runs are"), csvPath)
		}
		if err != nil {
			return fail(exitFail, "run %s failed: %v", key, err)
		}
		row.Settings = settings
		records = append(records, row.Record())
		done[key] = true
		if err := writeSweep(csvPath, mdPath, records, test.X.Shape[0]); err != nil {
			return fail(exitFail, "%v", err)
		}
		verdict := "FAIL"
		if row.Pass {
			verdict = "PASS"
		}
		capacity := fmt.Sprintf("capacity %.3f", row.Capacity)
		if row.NoiseViews == 0 {
			capacity = "no capacity without noise"
		}
		mi := fmt.Sprintf("MI %.3f nats (%s, ln B %.3f)", row.MI, capacity, row.LnBatch)
		if row.MIBatch < row.Batch {
			mi = fmt.Sprintf("MI %.3f nats from one batch of all %d test rows, so at most ln %d = %.3f (%s, training ln B %.3f)",
				row.MI, row.MIBatch, row.MIBatch, math.Log(float64(row.MIBatch)), capacity, row.LnBatch)
		}
		fmt.Fprintf(stderr, "[%d/%d] %s: %s, max KS %.4f, max |r| %.3f, battery %s (%d of %d reject), probe %.4f, kNN %.4f, %s\n",
			i+1, len(runs), key, mi, row.MaxKS, row.MaxCorrelation, verdict, row.Rejected, row.Ran,
			row.Probe, row.KNN, time.Since(start).Round(time.Second))
		// The evaluation does not stop for Ctrl-C, so a signal during it,
		// which the notice acknowledged, is seen here, before the next
		// run would start training.
		remaining := slices.ContainsFunc(runs[i+1:], func(r dim.SweepRun) bool { return !done[r.Key()] })
		if ctx.Err() != nil && remaining {
			return fail(exitFail, "interrupted during the evaluation of run %s, which finished first; %s in %s, and the same command resumes",
				key, plural(len(records), "finished run is", "finished runs are"), csvPath)
		}
	}
	if len(records) > 0 {
		if err := writeSweep(csvPath, mdPath, records, test.X.Shape[0]); err != nil {
			return fail(exitFail, "%v", err)
		}
	}
	if _, err := fmt.Fprintf(stdout, "%s\n%s\n", csvPath, mdPath); err != nil {
		return fail(exitFail, "writing the paths of the tables failed: %v; the tables are %s and %s", err, csvPath, mdPath)
	}
	return exitOK
}

// makeOutputDir creates dir, the directory that flagName names, unless it
// exists. Its parent must exist and accept new files, by the rule of
// checkOutputPath for the file outputs of the other commands, so that a
// mistyped parent is reported instead of created.
func makeOutputDir(flagName, dir string) error {
	if info, err := os.Stat(dir); err == nil && info.IsDir() {
		return nil
	}
	parent := filepath.Dir(filepath.Clean(dir))
	parentName := parent
	if abs, err := filepath.Abs(parent); err == nil && abs != parent {
		parentName = fmt.Sprintf("%s (%s)", parent, abs)
	}
	info, err := os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s of %s %s does not exist; create it or choose another path", parentName, flagName, dir)
	case err != nil:
		return fmt.Errorf("%s %s: %v", flagName, dir, err)
	case !info.IsDir():
		return fmt.Errorf("%s %s is inside %s, which is not a directory; choose another path", flagName, dir, parentName)
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %s: cannot create the directory in %s: %v; choose another directory or change its permissions", flagName, dir, parentName, errors.Unwrap(err))
	}
	return nil
}

// fitSweepBatch fits the batch of base and of every run to nTrain
// training and nTest test rows, as nidim train does, and returns the notes
// to print. A recipe's batch above nTrain becomes nTrain, while an
// explicit --batch above it is an error. A batch above nTest is kept, and
// each run estimates its test MI from one batch of all nTest rows, which
// needs at least 2.
func fitSweepBatch(runs []dim.SweepRun, base *dim.Config, nTrain, nTest int, recipe string, explicit bool, df dataFlags) ([]string, error) {
	var notes []string
	if base.Batch > nTrain {
		if explicit || recipe == "" {
			return nil, fmt.Errorf("--batch %d is larger than the %d training rows; use --batch %d or less, or more data", base.Batch, nTrain, nTrain)
		}
		notes = append(notes, fmt.Sprintf("the %s recipe's --batch %d is larger than the %d training rows, so the batch of every run is %d, the whole training split, and each epoch is one step. So few steps may leave the encoder undertrained; %s gives more.",
			recipe, base.Batch, nTrain, nTrain, smallDataRemedy(nTrain)))
		base.Batch = nTrain
		for i := range runs {
			runs[i].Config.Batch = nTrain
		}
	}
	if base.Batch <= nTest {
		return notes, nil
	}
	if nTest < 2 {
		return nil, fewTestRowsError(nTest, nTrain+nTest, df, 0, "")
	}
	notes = append(notes, fmt.Sprintf("the %d test rows are fewer than the batch of %d, so each run estimates the MI on the test split from one batch of all %d rows. That caps the estimate at ln %d = %.3f, which the ln B column of sweep.md gives, below the training batch's ln %d = %.3f in the ln_batch column of sweep.csv.",
		nTest, base.Batch, nTest, nTest, math.Log(float64(nTest)), base.Batch, math.Log(float64(base.Batch))))
	return notes, nil
}

// fewTestRowsError returns the error for a test split of nTest rows,
// fewer than the 2 that the MI estimate needs. stored is the test fraction
// that the model's checkpoint fixes, or 0. skip, when not empty, is the
// flag that skips the estimate.
func fewTestRowsError(nTest, rows int, df dataFlags, stored float64, skip string) error {
	fix := "use more data"
	switch {
	case !splitsByFraction(df.data):
	case stored > 0:
		fix = fmt.Sprintf("the model was trained with --test-fraction %v, which fixes the split, so train it again with a larger --test-fraction or more data", stored)
	default:
		fix = "use a larger --test-fraction"
		if f, ok := testFractionFor(2, rows); ok {
			fix += fmt.Sprintf(", such as %v, which holds out %d of the %d rows", f, int(math.Round(float64(rows)*f)), rows)
		} else {
			fix = "use more data"
		}
	}
	if skip != "" {
		fix += ", or " + skip
	}
	return fmt.Errorf("the test split has %s, and the MI estimate needs at least 2; %s", plural(nTest, "row", "rows"), fix)
}

// testFractionFor returns the smallest --test-fraction in hundredths that
// holds out at least need of rows rows, and whether it leaves the 2
// training rows that loadMatrixData requires.
func testFractionFor(need, rows int) (float64, bool) {
	for hundredths := 1; hundredths < 100; hundredths++ {
		f := float64(hundredths) / 100
		if n := int(math.Round(float64(rows) * f)); n >= need {
			return f, rows-n >= 2
		}
	}
	return 0, false
}

// sweepFormat is the version of the rows of sweep.csv, recorded as the
// first field of their settings, "sweep-format=N". It goes up whenever the
// same flags and data give other results, because a resumed sweep would
// then mix rows that cannot be compared. sweepFormatChanges describes what
// each version changed. Tables written before the field existed are
// version 1.
const sweepFormat = 5

var sweepFormatChanges = map[int]string{
	2: "the battery of every uniform-prior run with channel noise includes the grid test, which format 1 skipped, and every battery includes mean-covariance",
	3: "sphericity and mean-covariance reject collinear components instead of failing to run, the uniform prior gets no penalty baseline, and penalty runs at a batch of 1024 or more sum their gradient by a series",
	4: "jarque-bera and dagostino-k2 take Monte Carlo p-values on at most 2000 rows, and sphericity and mean-covariance take p-values from their exact laws, whose verdicts differ from those of the chi-square p-values",
	5: "sphericity and mean-covariance run on evaluation samples with no more rows than columns, where they could not run before, with Monte Carlo p-values",
}

// checkSweepFormat returns an error when settings, the settings column of
// a row of the table at path, has another sweep format than this nidim
// writes.
func checkSweepFormat(path, settings string) error {
	version := 1
	for _, field := range strings.Fields(settings) {
		value, ok := strings.CutPrefix(field, "sweep-format=")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 {
			return fmt.Errorf("%s has an invalid sweep-format %q in its settings column; use a new --out directory", path, value)
		}
		version = v
		break
	}
	switch {
	case version > sweepFormat:
		return fmt.Errorf("%s was written by a newer nidim, in sweep format %d, and this nidim writes format %d; continue it with that nidim, or use a new --out directory", path, version, sweepFormat)
	case version < sweepFormat:
		var changes []string
		for v := version + 1; v <= sweepFormat; v++ {
			changes = append(changes, fmt.Sprintf("in format %d, %s", v, sweepFormatChanges[v]))
		}
		return fmt.Errorf("%s was written by an older nidim, in sweep format %d, and this nidim writes format %d (%s), so its rows cannot be compared with new ones; use a new --out directory to run the sweep again",
			path, version, sweepFormat, strings.Join(changes, "; "))
	}
	return nil
}

// sweepSettings returns what every run of a sweep shares. That is the
// sweep format, the settings of base that the grid does not change and the
// views that get noise. It also contains the sigma that sets the initial
// temperature of the runs without noise, the evaluation options and the
// fingerprints of the two data splits. A field that an older nidim did
// not write, such as knn-metric, is added only when it differs from what
// that nidim did, so that tables it wrote still resume.
func sweepSettings(base dim.Config, train, test *dim.Dataset, opts dim.SweepOptions, baselines bool) string {
	views := "both"
	if base.NoiseViews == 1 {
		views = "one"
	}
	s := fmt.Sprintf("sweep-format=%d %s noise-views=%s noiseless-sigma=%g eval=%d eval-seed=%d knn=%d",
		sweepFormat, dim.SettingsString(base), views, base.Sigma, opts.EvalSamples, opts.EvalSeed, opts.KNN)
	// Only when not euclidean, the metric of tables written before the
	// flag existed, so that their settings stay the same and they resume.
	if opts.Metric != "" && opts.Metric != dim.MetricEuclidean {
		s += fmt.Sprintf(" knn-metric=%s", opts.Metric)
	}
	if baselines {
		s += fmt.Sprintf(" penalty-directions=%d", base.PenaltyDirections)
	}
	return fmt.Sprintf("%s train=%s test=%s", s, train.Fingerprint(), test.Fingerprint())
}

// readSweepCSV returns the records of an earlier sweep.csv without its
// header, or none when the file does not exist, with the capacity of
// runs without channel noise in the form that this nidim writes. Older
// tables name the column "settings" "recipe". Their rows are read all
// the same, so that checkSweepFormat rejects them with the reason. A
// table cut short in its last line gets the error of cutShortError.
func readSweepCSV(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if cut := cutShortError(path, data, rows, err); cut != nil {
		return nil, cut
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid CSV file (%v); move it away or use another --out", path, err)
	}
	old := slices.Clone(dim.SweepColumns)
	old[slices.Index(old, "settings")] = "recipe"
	if len(rows) > 0 && (slices.Equal(rows[0], dim.SweepColumns) || slices.Equal(rows[0], old)) {
		// Tables written before a run without channel noise got NaN in
		// the capacity column have +Inf there. The rewritten table gives
		// every such run the same NaN, with the rest of its row as it was.
		capacity := slices.Index(dim.SweepColumns, "capacity")
		for _, rec := range rows[1:] {
			if len(rec) == len(dim.SweepColumns) && rec[capacity] == "+Inf" {
				rec[capacity] = "NaN"
			}
		}
		return rows[1:], nil
	}
	return nil, fmt.Errorf("%s does not have the columns of a sweep table; move it away or use another --out", path)
}

// recipeHint returns advice to add to the settings error when the
// default recipe, which depends on --priors, differs from the recipe of
// the table: a uniform-only sweep defaults to reference, and adding
// another prior switches it to match. Without --recipe and --noise-views
// on the command line, the noise-views field of the settings follows the
// recipe, so a changed field marks the switch.
func recipeHint(table, now, recipe string, explicit map[string]bool) string {
	if explicit["recipe"] || explicit["noise-views"] {
		return ""
	}
	views := func(settings string) string {
		for _, f := range strings.Fields(settings) {
			if v, ok := strings.CutPrefix(f, "noise-views="); ok {
				return v
			}
		}
		return ""
	}
	if views(table) == views(now) {
		return ""
	}
	other, reason := "reference", "--priors is not uniform alone"
	if recipe == "reference" {
		other, reason = "match", "--priors is uniform alone"
	}
	return fmt.Sprintf(". The default --recipe is %s here, because %s; to continue a table of the %s recipe, pass --recipe %s", recipe, reason, other, other)
}

// standardizeHint returns the advice for a table of feature vectors that
// was written without standardization, as every such table was before
// standardization became the default, when this sweep standardizes them
// without --standardize on the command line. For a table of standardized
// runs that this sweep does not standardize because --standardize=false
// is given, it advises to drop that flag.
func standardizeHint(table, now string, explicit map[string]bool) string {
	has := func(settings string) bool { return slices.Contains(strings.Fields(settings), "standardize") }
	switch {
	case !explicit["standardize"] && !has(table) && has(now):
		return ". Feature vectors are standardized unless --standardize=false is given, and the runs of this table were not; to continue it, pass --standardize=false"
	case explicit["standardize"] && has(table) && !has(now):
		return ". The runs of this table were standardized; to continue it, drop --standardize=false"
	}
	return ""
}

// checkSweepMarkdown rejects an existing, non-empty file at path that does
// not begin with the header of the Markdown table that sweep writes,
// because the first finished run would replace it. A docs/sweep.md of
// notes, for example, is not a table that the sweep can rebuild.
//
// A symbolic link is written through, to a file that may belong to
// another sweep, so at path a link must also lead to a table of this
// sweep: one whose shared settings line is settings. Neither path nor
// csvPath may lead to the other, whose table the Markdown would replace.
func checkSweepMarkdown(path, csvPath, settings string) error {
	target, err := atomicfile.Target(path)
	if err != nil {
		return err
	}
	csvTarget, err := atomicfile.Target(csvPath)
	if err != nil {
		return err
	}
	if sameFile(target, csvTarget) {
		return fmt.Errorf("%s and %s are the same file %s through a symbolic link, so the Markdown table would replace the CSV table; point the link at another file, or remove it", csvPath, path, csvTarget)
	}
	name := path
	if target != path {
		name = fmt.Sprintf("%s (a symbolic link to %s)", path, target)
	}
	data, err := readSweepMarkdownStart(path, target != path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s failed: %v", name, err)
	}
	if len(data) == 0 {
		return nil
	}
	if !bytes.HasPrefix(data, []byte(sweepMarkdownHeader)) {
		return fmt.Errorf("%s is not a table that nidim sweep wrote, and the sweep would replace it; move it away or use another --out", name)
	}
	if target == path {
		return nil
	}
	// The last line of a table with rows names its shared settings.
	const prefix = "Shared settings: "
	var table string
	for _, line := range strings.Split(string(data), "\n") {
		if s, ok := strings.CutPrefix(line, prefix); ok {
			table = s
		}
	}
	if table == "" || table == settings {
		return nil
	}
	return fmt.Errorf("%s is the table of another sweep, with other shared settings (%s), and the sweep would replace it; remove the link or use another --out",
		name, settingsDiff(table, settings))
}

// sweepMarkdownHeader is the start of the Markdown table that sweep
// writes.
const sweepMarkdownHeader = "| kind |"

// readSweepMarkdownStart returns what checkSweepMarkdown needs of the
// file at path: its first bytes, as many as sweepMarkdownHeader has, or,
// when whole is set and they are that header, the whole file, for the
// settings line that ends the table.
func readSweepMarkdownStart(path string, whole bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	start := make([]byte, len(sweepMarkdownHeader))
	n, err := io.ReadFull(f, start)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if !whole || string(start[:n]) != sweepMarkdownHeader {
		return start[:n], nil
	}
	rest, err := io.ReadAll(f)
	return append(start, rest...), err
}

// fingerprintEnd matches the end of a complete settings column: the
// fingerprint of the test split, as dim.Dataset.Fingerprint writes it,
// with 8 bytes of SHA-256 in hex.
var fingerprintEnd = regexp.MustCompile(`test=[0-9]+ x \[[0-9 ]*\] sha256:[0-9a-f]{16}$`)

// cutShortError returns an error when data, the sweep table at path, ends
// inside a line whose row is incomplete, and nil otherwise. rows and
// parseErr are what encoding/csv read from data. writeSweep ends every
// row with a newline and replaces the file atomically, so such an end
// comes from a copy, an edit or a file system that stopped early. Read as
// it is, the cut row gave a CSV error or, cut inside the settings column,
// a comparison with the settings of this sweep that blamed the flags.
func cutShortError(path string, data []byte, rows [][]string, parseErr error) error {
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	if parseErr == nil && len(rows) > 0 {
		last := rows[len(rows)-1]
		if len(rows) == 1 && slices.Equal(last, dim.SweepColumns) {
			return nil
		}
		if len(rows) > 1 && fingerprintEnd.MatchString(last[len(last)-1]) {
			return nil
		}
	}
	lines := bytes.Count(data, []byte("\n"))
	if lines == 0 {
		return fmt.Errorf("%s is cut short inside its header line and contains no finished run; delete it and run the same command again, or pass another --out", path)
	}
	return fmt.Errorf("%s is cut short: its line %d ends before the row is complete, as when a copy or a full disk stopped early; delete that line to keep the %s before it, and the same command runs the lost run again, or pass another --out",
		path, lines+1, plural(lines-1, "finished run", "finished runs"))
}

// writeSweep writes the header and records to csvPath and their Markdown
// table to mdPath, each atomically. testRows is the number of rows of the
// test split, whose MI estimate the Markdown table caps by it.
func writeSweep(csvPath, mdPath string, records [][]string, testRows int) error {
	err := atomicfile.Write(csvPath, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(dim.SweepColumns); err != nil {
			return err
		}
		if err := cw.WriteAll(records); err != nil {
			return err
		}
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("writing %s failed: %v", csvPath, err)
	}
	err = atomicfile.Write(mdPath, 0o644, func(w io.Writer) error { return dim.WriteSweepMarkdown(w, records, testRows) })
	if err != nil {
		return fmt.Errorf("writing %s failed: %v", mdPath, err)
	}
	return nil
}

// parseFloatList parses a comma-separated list of numbers of at least min.
// A value given more than once, also in another spelling such as 0.50 and
// 0.5, is kept once, and note then names it.
func parseFloatList(flagName, s string, min float64) (out []float64, note string, err error) {
	var repeated []string
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < min {
			return nil, "", fmt.Errorf("invalid %s entry %q; use comma-separated numbers of at least %g such as 0,0.5,1", flagName, part, min)
		}
		if slices.Contains(out, v) {
			repeated = appendNew(repeated, strconv.FormatFloat(v, 'g', -1, 64))
			continue
		}
		out = append(out, v)
	}
	return out, repeatedNote(flagName, repeated), nil
}

// parseIntList parses a comma-separated list of positive integers. A
// value given more than once is kept once, and note then names it.
func parseIntList(flagName, s string) (out []int, note string, err error) {
	var repeated []string
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || v < 1 {
			return nil, "", fmt.Errorf("invalid %s entry %q; use comma-separated positive whole numbers such as 2,4,8", flagName, part)
		}
		if slices.Contains(out, v) {
			repeated = appendNew(repeated, strconv.Itoa(v))
			continue
		}
		out = append(out, v)
	}
	return out, repeatedNote(flagName, repeated), nil
}

// repeatedNote returns the note on the values that the list of flagName
// repeats, which the grid trains once, or "" when it repeats none. Seeds
// give repeated runs of one setting, and --seeds sets their number.
func repeatedNote(flagName string, repeated []string) string {
	if len(repeated) == 0 {
		return ""
	}
	return fmt.Sprintf("%s lists %s more than once; the grid trains each setting once, and --seeds N repeats every setting with N seeds.",
		flagName, strings.Join(repeated, ", "))
}

// appendNew appends v to list unless list contains it.
func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// sigmaList returns the value of a --sigma flag in args that contains a
// comma, or "".
func sigmaList(args []string) string {
	for i, arg := range args {
		if arg == "--" {
			break
		}
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if name != "sigma" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if strings.Contains(value, ",") {
			return value
		}
	}
	return ""
}

// sweepEpochHook, when set, runs after every epoch of a sweep run with a
// function that interrupts the sweep as Ctrl-C does; tests use it.
var sweepEpochHook func(p dim.Progress, interrupt func())

// noteRuns returns the distinct settings, as "gaussian d=16 sigma=0.5",
// of the runs with channel noise whose prior and configuration a note
// applies to.
func noteRuns(runs []dim.SweepRun, applies func(dim.Prior, dim.Config) bool) string {
	var names []string
	seen := map[string]bool{}
	for _, r := range runs {
		if r.Kind != dim.KindNoise {
			continue
		}
		p, err := r.Config.NewPrior()
		if err != nil || !applies(p, r.Config) {
			continue
		}
		name := fmt.Sprintf("%s d=%d %s=%g", r.Config.Prior, r.Config.Dim, levelName(r.Config.Prior), r.Config.NoiseLevel())
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// sweepSaturationNote names the settings of runs whose channel allows more
// mutual information than ln B (see saturationNote), or returns "".
func sweepSaturationNote(runs []dim.SweepRun) string {
	names := noteRuns(runs, func(p dim.Prior, c dim.Config) bool { return saturationNote(p, c) != "" })
	if names == "" {
		return ""
	}
	return fmt.Sprintf("at %s the channel allows more than ln B = %.2f nats, the most the InfoNCE estimate can reach, so in those runs the estimate cannot approach the capacity and the capacity gap says nothing about the match; judge them by the battery. docs/sweep.md in the nidim repository (\"Larger dimensions\") gives measured runs.",
		names, math.Log(float64(runs[0].Config.Batch)))
}

// sweepTailNote names the settings of runs with so few batch rows in reach
// that the loss favors light tails (see tailNote), or returns "". Runs
// that sweepSaturationNote names are left to it.
func sweepTailNote(runs []dim.SweepRun, selfWeightSet bool) string {
	names := noteRuns(runs, func(p dim.Prior, c dim.Config) bool {
		return saturationNote(p, c) == "" && tailNote(p, c, selfWeightSet) != ""
	})
	if names == "" {
		return ""
	}
	return fmt.Sprintf("at %s fewer than %d batch rows lie within the noise's reach of an embedding at the center, so the loss favors lighter tails than N(0, 1). On MNIST at d = 8, --self-weight 0.05 cut the rejected tests from 33-45 to 8-10 of 96, but it passed fewer seeds at d = 4. docs/sweep.md in the nidim repository (\"The objective prefers light tails at d = 8\") gives the runs.",
		names, tailRows)
}

// settingsFields splits a settings string at its spaces, except inside
// the data fingerprints "train=60000 x [1 28 28] sha256:..." and "test=...",
// which stay one field each.
func settingsFields(s string) []string {
	var fields []string
	data := false // the last field is a fingerprint, which takes what follows
	for _, f := range strings.Fields(s) {
		if data && !strings.Contains(f, "=") {
			fields[len(fields)-1] += " " + f
			continue
		}
		data = strings.HasPrefix(f, "train=") || strings.HasPrefix(f, "test=")
		fields = append(fields, f)
	}
	return fields
}

// settingsDiff lists the fields in which two settings strings differ, as
// "field in the table -> field now". Fields that both share are left out,
// and a field present on one side only shows as "-" on the other.
func settingsDiff(table, now string) string {
	a, b := settingsFields(table), settingsFields(now)
	key := func(f string) string {
		if k, _, ok := strings.Cut(f, "="); ok {
			return k
		}
		return f
	}
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, f := range a {
		inA[f] = true
	}
	for _, f := range b {
		inB[f] = true
	}
	var parts []string
	used := map[string]bool{}
	for i, f := range a {
		if inB[f] {
			continue
		}
		// Pair a field with the field of the same key. A field without a
		// key, such as the loss name, pairs with the keyless field at the
		// same place. Pairing a keyed field by place would match it with
		// whatever field an added one pushed there, such as self-weight=0.5
		// with noise-views=both.
		keyed := strings.Contains(f, "=")
		other := "-"
		for j, g := range b {
			if inA[g] || used[g] {
				continue
			}
			sameKey := keyed && key(g) == key(f)
			samePlace := !keyed && !strings.Contains(g, "=") && j == i
			if sameKey || samePlace {
				other, used[g] = g, true
				break
			}
		}
		parts = append(parts, f+" -> "+other)
	}
	for _, g := range b {
		if !inA[g] && !used[g] {
			parts = append(parts, "- -> "+g)
		}
	}
	if len(parts) == 0 {
		return "the same fields in another order"
	}
	return "in the table -> now: " + strings.Join(parts, ", ")
}
