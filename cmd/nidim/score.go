package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "score",
		summary: "write an outlier score and p-value for each input under the model's prior",
		run:     runScore,
	})
}

var scoreUsage = `Usage: nidim score MODEL --out FILE [flags]
       nidim score --model MODEL --out FILE [flags]

Embeds each input with a checkpoint written by "nidim train", as nidim embed
does, and scores it as an outlier under the model's prior. Each component
is mapped back to N(0, 1) (the identity for gaussian, Phi^-1 for uniform,
Phi^-1 of the prior's CDF for logistic, laplace and exponential), and the
score is the squared length of the mapped embedding. For an input whose
embedding follows the prior it is chi-square with d degrees of freedom, and
the p-value is its upper tail probability: small p-values mark outliers.
For a model of any prior but uniform, the score equals the squared length
of what nidim embed --prior gaussian writes for the same input.

--out receives one row per input: score, p-value, and the class label when
labels are known (built-in or MNIST-style data, a directory of images
with class subdirectories, or --labels). Class subdirectories get the
labels of the model's classes of the same names (exact, letter case
included), and classes that the model was not trained on get the
numbers after them. A model trained on other data stores no class
names, so the subdirectories are then numbered as nidim train numbers
them. A note on stderr lists the new classes, or for a model without
class names every class, with their numbers. The format
follows the extension: .npy (float64), .csv, .tsv or .txt, each optionally
followed by .gz. Text files have no header line, so read them with
header=None in pandas. --out - writes CSV to standard output. A summary
goes to stderr: the share of p-values at most 0.01, and the
Kolmogorov-Smirnov test of the p-values against U(0, 1), which they follow
when the inputs are in-distribution and the embeddings match the prior.
For --method knn it tests the scores against the calibration scores by
the two-sample Kolmogorov-Smirnov test instead, and gives the expected
share at 0.01, which is 0 below 99 calibration inputs.

Flagging p-values at most alpha flags a share alpha of in-distribution
inputs only when those p-values are calibrated. nidim eval tests that on
the test split, and it prints the score that at most 1% of the test
inputs exceed. When the calibration test rejects, as after a short run,
take the threshold from the scores of held-out in-distribution inputs
instead: the score that a share alpha of them exceed. The score measures
the distance from the centre of the prior, so inputs that the encoder
maps near the centre score as typical however new they are: in nidim
eval, blurred digits score lower than the test digits.

--method knn scores by the distance of the embedding to its k-th nearest
embedding of the training split (the reference set) instead, and takes
conformal p-values from the embeddings of the test split (the calibration
set): p = (1 + the number of calibration scores >= the score) / (n + 1)
for n calibration inputs. These p-values do not rely on the prior: an
in-distribution input, drawn like the test split, gets p <= alpha with
probability at most alpha. Both splits are those of the data the model
was trained on, as nidim embed --split train and --split test read them,
and the training split must match the checkpoint's data fingerprint. This
score can flag a class that training never saw, when the embeddings
separate the classes: models of the reference recipe at d = 16, trained
on MNIST without the digit 9, 4 or 1, gave that digit an AUROC of 0.79,
0.77 and 0.86 against the other test digits, and the norm score 0.43,
0.61 and 0.90. The default recipe at d = 4 gave below 0.5 with both
scores. It keeps the embeddings of the whole training split in memory
(54,000 x 16 floats for MNIST at d = 16). Scoring the test split or the
training split themselves says little, because the test inputs are the
calibration set, and each training input finds itself among its
neighbors. nidim serve --method knn serves the same score and p-values.

Flags:
  --model MODEL        checkpoint from nidim train (required, here or as
                       the argument MODEL)
  --out FILE           score file to write, or - for standard output
                       (required)
` + inputFlagsHelp("scored") + `  --labels FILE        class labels of a matrix --data, one per row, as
                       class numbers 0, 1, 2, ... up to 1000000 (not
                       names), copied to the third column of --out; with
                       --split, the labels of the rows it selects
                       (default: none, so --out gets two columns for a
                       matrix --data)
  --method NAME        norm, the squared length under the prior, or knn,
                       the distance to the k-th nearest training embedding
                       with conformal p-values (default norm)
  --knn K              neighbors of --method knn: the score is the
                       distance to the K-th nearest (default 5)
  --knn-metric NAME    euclidean, or cosine for 1 - cos of the angle, as
                       the distance of --method knn (default euclidean)
  --train-data PATH    the data the model was trained on, for --method
                       knn: an MNIST-style directory with its training and
                       test files, a directory of images or a matrix file
                       (default: --data, or the built-in MNIST when --data
                       is a matrix file or directory of images that the
                       model records no split of)
  --batch N            samples per forward pass (default 1000)
  --threads N          goroutines; 0 for all cores (default 0)
`

func runScore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	c := newModelCommand("score", fs, true, stderr)
	c.stdoutCSV = true
	labelsPath := fs.String("labels", "", "")
	var method scoreMethodFlags
	method.register(fs)
	files, st := parseFlagsAndFiles(fs, args, 1, scoreUsage, stdout, stderr)
	if st >= 0 {
		return st
	}
	if st := c.check(files, "nidim score MODEL --out scores.csv", "scores.csv"); st >= 0 {
		return st
	}
	if err := method.check(fs); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if *labelsPath != "" && (*c.data == "" || isDir(*c.data)) {
		return c.fail(exitUsage, "%v", matrixOnlyError("--labels", *labelsPath, *c.data))
	}
	if st := c.checkOut(stdout, inputFile{"--labels", *labelsPath}); st >= 0 {
		return st
	}
	m, st := c.loadModel()
	if st >= 0 {
		return st
	}
	in, err := c.input(m)
	if err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	labels := in.labels
	if *labelsPath != "" {
		if labels, err = matrixLabels(*labelsPath, in); err != nil {
			return c.fail(exitUsage, "%v", err)
		}
	}

	var (
		scores, pValues []float64
		knn             *dim.KNNScorer
	)
	if method.method == methodKNN {
		// The training data is read after the inputs, so that an error
		// in --data shows first.
		path, flagName := knnTrainingData(method.trainData, *c.data, m), "--train-data"
		if method.trainData == "" {
			flagName = "--data"
		}
		// When the training data is --data, its rows were read already.
		var whole *tensor.Tensor
		if path != "" && sameFile(path, *c.data) {
			whole = in.whole
		}
		heldBytes := 4 * float64(len(in.x.Data))
		if in.whole != nil && in.whole != in.x {
			heldBytes += 4 * float64(len(in.whole.Data))
		}
		knn, err = c.knnScorer(m, path, flagName, method.k, dim.Metric(method.metric), whole, in.x.Shape[0], heldBytes)
		if err != nil && path == "" && *c.data != "" {
			// The built-in MNIST was a guess, so the error of reading it
			// would confuse.
			return c.fail(exitUsage, "--method knn needs the training and test splits of the data %s was trained on, but it records no split of --data %s, because it was trained on an MNIST-style data set, and the built-in MNIST, which --method knn reads then, is not its data (%v); pass the MNIST-style directory it was trained on as --train-data",
				*c.model, shellQuote(*c.data), err)
		}
		if err != nil {
			return c.fail(exitUsage, "%v", err)
		}
		scores, pValues, err = m.ScoreKNN(knn, in.x, *c.batch)
	} else {
		scores, pValues, err = m.Score(in.x, *c.batch)
	}
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	cols := 2
	if labels != nil {
		cols = 3
	}
	n := len(scores)
	table := make([]float64, n*cols)
	for i := range scores {
		table[i*cols] = scores[i]
		table[i*cols+1] = pValues[i]
		if labels != nil {
			table[i*cols+2] = float64(labels[i])
		}
	}
	if err := c.writeOut(stdout, table, n, cols, tensor.NPYFloat64()); err != nil {
		return c.fail(exitFail, "%v", err)
	}
	rowsText, err := c.writeRowFiles(in)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	if knn != nil {
		printNote(stderr, "nidim score", knnInputNote(*c.data, knnTrainingData(method.trainData, *c.data, m), c.splitGiven, *c.split))
		fmt.Fprintf(stderr, "wrote the kNN scores (%s distance to the %s nearest of %d reference embeddings) and conformal p-values (from %d calibration embeddings) of %s to %s%s\n",
			knn.Metric, ordinal(knn.K), knn.Reference.Shape[0], len(knn.Calibration), plural(n, "input", "inputs"), c.outName(), rowsText)
	} else {
		fmt.Fprintf(stderr, "wrote the scores and p-values of %s under the %s prior (d = %d) to %s%s\n", plural(n, "input", "inputs"), m.Config.Prior, m.Config.Dim, c.outName(), rowsText)
	}
	if knn != nil {
		fmt.Fprintln(stderr, knnCalibrationLine(knn, scores, pValues))
	} else {
		fmt.Fprintln(stderr, calibrationLine(pValues))
	}
	return exitOK
}

// calibrationLine summarizes how close p-values are to U(0, 1).
func calibrationLine(p []float64) string {
	k := 0
	for _, v := range p {
		if v <= 0.01 {
			k++
		}
	}
	line := fmt.Sprintf("p-values <= 0.01: %d of %d (%.2f%%, 1%% expected for in-distribution inputs)", k, len(p), 100*float64(k)/float64(len(p)))
	ks, err := stats.KolmogorovSmirnov(p, stats.Uniform{A: 0, B: 1}, stats.TwoSided)
	if err != nil {
		return line
	}
	return line + fmt.Sprintf("; Kolmogorov-Smirnov against U(0, 1): D = %.4f, p = %.3g", ks.Statistic, ks.PValue)
}

// minThresholdInputs is the least number n of test inputs at which a new
// in-distribution input exceeds the threshold, their largest score below
// 100 inputs, with probability 1/(n+1) of at most 1 %. From 100 inputs on
// the threshold has k = n/100 scores above it, and the probability
// (k+1)/(n+1) stays below 2 %.
const minThresholdInputs = 99

// writeOutliers prints the outlier evaluation of nidim eval.
func writeOutliers(w io.Writer, ev *dim.OutlierEvaluation, d int) {
	fmt.Fprintf(w, "\nOutlier scores on the %d test inputs: mean score %.3f (%d expected under the prior), p-values <= 0.01: %.2f%% (1%% expected)\n",
		ev.N, ev.MeanScore, d, 100*ev.RejectedAt01)
	fmt.Fprintf(w, "calibration: Kolmogorov-Smirnov of the test p-values against U(0, 1): D = %.4f, p = %.3g\n", ev.CalibrationKS, ev.CalibrationP)
	fmt.Fprintf(w, "threshold for at most 1%% false alarms, from the test scores: score > %.6g, which is p-value < %.6g\n", ev.Threshold01, ev.ThresholdP01)
	if ev.N < minThresholdInputs {
		// A new input drawn like the n test inputs exceeds the largest of
		// their scores with probability 1/(n+1), by exchangeability.
		fmt.Fprintf(w, "note: the %d test inputs are fewer than the %d that a 1%% threshold needs, so the threshold is their largest score, which a new in-distribution input exceeds with probability 1/%d (%.1f%%), and the last column below counts detections at that false-alarm rate; for a 1%% threshold, train with a larger --test-fraction or on more data\n",
			ev.N, minThresholdInputs, ev.N+1, 100/float64(ev.N+1))
	}
	if ev.CalibrationP < 0.01 {
		// The share can round to 1.00 % even when the test rejects.
		fmt.Fprintf(w, "note: the test p-values do not follow U(0, 1), so p <= 0.01 need not flag 1%% of in-distribution inputs (here it flags %.2f%% of the test inputs); take thresholds from the scores of in-distribution inputs, as the line above does\n", 100*ev.RejectedAt01)
	}
	// A set of --ood is named by its path, which can be longer than the
	// names of the built-in sets.
	width := len("uniform-noise") + 1
	for _, r := range ev.OutOfDist {
		width = max(width, len(r.Name))
	}
	if ev.KNN == nil {
		fmt.Fprintf(w, "%-*s  %6s  %7s  %9s  %s\n", width, "OOD set", "n", "AUROC", "p <= 0.01", "above the threshold")
		for _, r := range ev.OutOfDist {
			fmt.Fprintf(w, "%-*s  %6d  %7.4f  %8.2f%%  %.2f%%\n", width, r.Name, r.N, r.AUROC, 100*r.RejectedAt01, 100*r.AboveThreshold01)
		}
		return
	}
	k := ev.KNN
	fmt.Fprintf(w, "kNN score (nidim score --method knn): %s distance to the %s nearest of the %d training embeddings, with conformal p-values calibrated on %d test inputs; on the other %d, p-values <= 0.01: %.2f%%, <= 0.05: %.2f%% (%.2f%% and %.2f%% expected), two-sample Kolmogorov-Smirnov of their scores against the calibration scores: D = %.4f, p = %.3g\n",
		k.Metric, ordinal(k.K), k.Reference, k.Calibration, k.Evaluated, 100*k.RejectedAt01, 100*k.RejectedAt05,
		100*dim.ConformalShare(0.01, k.Calibration), 100*dim.ConformalShare(0.05, k.Calibration), k.CalibrationKS, k.CalibrationP)
	fmt.Fprintf(w, "%-*s  %6s  %7s  %9s  %19s  %9s  %s\n", width, "OOD set", "n", "AUROC", "p <= 0.01", "above the threshold", "kNN AUROC", "kNN p <= 0.01")
	for _, r := range ev.OutOfDist {
		fmt.Fprintf(w, "%-*s  %6d  %7.4f  %8.2f%%  %18.2f%%  %9.4f  %.2f%%\n", width, r.Name, r.N, r.AUROC, 100*r.RejectedAt01, 100*r.AboveThreshold01, *r.AUROCKNN, 100**r.KNNRejectedAt01)
	}
}
