package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "eval",
		summary: "measure a trained model: MI estimate, prior matching, probe and kNN accuracy",
		run:     runEval,
	})
}

const evalUsage = `Usage: nidim eval MODEL [flags]
       nidim eval --model MODEL [flags]

Evaluates a checkpoint written by "nidim train" on the data it was trained
on: the InfoNCE estimate of the mutual information on the test split with
its capacity gap, the prior-matching report of the noiseless test
embeddings, and, when the data has labels, the accuracy of a linear probe
and of a k-nearest-neighbor classifier trained on the training-split
embeddings.

It also evaluates the outlier scores of nidim score: their calibration (the
Kolmogorov-Smirnov test of the test split's p-values against U(0, 1)), the
score that at most 1% of the test inputs exceed, an estimate of the
threshold for 1% false alarms that does not rely on calibrated p-values,
and their AUROC against out-of-distribution sets built from the test split,
named as in the output: inverted, the inputs mirrored in the data's value
range [lo, hi] (lo + hi - x, which is 1 - x for images in [0, 1]);
rotated-90, square images turned by 90 degrees; blurred, images blurred
by a Gaussian of standard deviation 1.5 pixels; and uniform-noise, uniform
noise over the data's value range. For images that range is the smallest
and largest value of the test split; for feature vectors each feature has
its own, from its column, so that features in different units keep their
scales. An AUROC of 1 means every input of the set scores as more
outlying than every test input, 0.5 that the scores cannot tell them
apart, and below 0.5 that the set looks more typical than the test split,
as mirrored features of a roughly symmetric distribution can. --ood adds
sets of your own, such as classes left out of training. Each set also
gets the share of its inputs above the 1% threshold: the detection rate
at a false-alarm rate of at most 1%.

The same sets are scored by the kNN score of nidim score --method knn,
the distance to the k-th nearest training embedding (--knn and
--knn-metric, as for the classifier), with conformal p-values. Here the
test split is halved with the model's seed: the first half calibrates the
p-values, and the scores of the second half are compared with the
calibration scores by the two-sample Kolmogorov-Smirnov test. Their
p-values share the calibration set, so a test of them against U(0, 1)
would reject valid ones too often. The AUROCs use the scores of the whole
test split. A test split of fewer than 38 inputs leaves this score out.

Flags:
  --model MODEL        checkpoint from nidim train (required, here or as
                       the argument MODEL)
  --data PATH          an MNIST-style IDX directory, a directory of images
                       or a matrix file, as for nidim train (default:
                       built-in MNIST). The images of a directory get the
                       model's channels and size, as in nidim embed
  --labels FILE        class labels for a matrix --data, one per row, as
                       class numbers 0, 1, 2, ... up to 1000000 (not names)
                       (default: none, which skips the probe and kNN)
  --image-shape C,H,W  sample shape of a matrix --data (default: vectors)
  --image-size HxW     the image size of a directory of images; the model
                       fixes it, so a value other than its size is an
                       error (default: the model's size)
  --image-fit squeeze|crop
                       how the images of a directory are brought to that
                       size; the model fixes it, so a value other than the
                       one it was trained with is an error (default: the
                       model's)
  --test-fraction F    share of a matrix --data or a directory of images held
                       out for testing; with the model's seed this reproduces
                       the training split (default: the fraction stored in the
                       model, or 0.1 for a model of an older nidim, which does
                       not store it). A value other than the stored one is an
                       error
  --ood PATH           an out-of-distribution set to score beside the
                       built-in ones: an MNIST-style directory, of which
                       the test split is read, or a directory of images
                       (read whole in the model's channels and size, as
                       nidim embed reads it) or a matrix file (read
                       whole), with samples of the model's input size. The
                       table names the set by PATH. Repeat the flag for
                       more sets, each given once (default: none, only
                       the built-in sets)
  --knn K              neighbors of the kNN classifier and of the kNN
                       outlier score (default 5)
  --knn-metric NAME    euclidean or cosine distance for both (default
                       euclidean)
  --threads N          goroutines; 0 for all cores (default 0)
  --json               print one JSON object with prior, dim, sigma, eps
                       (only for the uniform prior), epochs (the epochs
                       the model completed), mi_estimate, mi_batch
                       (rows per batch of the estimate: the training
                       batch, or the whole test split when smaller),
                       capacity and two_view_mi (those of the channel at the
                       model's noise level, and null without channel
                       noise), capacity_gap (null without
                       channel noise), ln_batch, linear_probe_accuracy,
                       knn_accuracy, report, outliers (n, calibration_ks,
                       calibration_p_value, rejected_at_0_01, mean_score,
                       threshold_at_0_01 and threshold_p_value_at_0_01
                       (the 1% threshold and its p-value), ood:
                       [{name, n, auroc, rejected_at_0_01,
                       above_threshold_at_0_01, auroc_knn,
                       knn_rejected_at_0_01}], and knn: {k, metric,
                       reference_n, calibration_n, evaluated_n,
                       calibration_ks, calibration_p_value,
                       rejected_at_0_01, rejected_at_0_05}, of the kNN
                       score, both left out without it), standardized
                       (whether the model standardizes its inputs, which
                       it then does for this evaluation too), classes
                       (as in nidim train --json), and config
                       (every setting of the model, as nidim train --json
                       prints it)
`

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	c := newModelCommand("eval", fs, false, stderr)
	var df dataFlags
	df.register(fs)
	knnK := fs.Int("knn", 5, "")
	knnMetric := fs.String("knn-metric", string(dim.MetricEuclidean), "")
	asJSON := fs.Bool("json", false, "")
	var oodPaths []string
	fs.Func("ood", "", func(path string) error {
		if path == "" {
			return fmt.Errorf("empty path; pass an MNIST-style directory or a matrix file")
		}
		oodPaths = append(oodPaths, path)
		return nil
	})
	files, st := parseFlagsAndFiles(fs, args, 1, evalUsage, stdout, stderr)
	if st >= 0 {
		return st
	}
	if st := c.check(files, "nidim eval MODEL", ""); st >= 0 {
		return st
	}
	if *knnK < 1 {
		return c.fail(exitUsage, "invalid --knn %d; use 1 or more neighbors.", *knnK)
	}
	if err := checkMetric(*knnMetric); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	m, st := c.loadModel()
	if st >= 0 {
		return st
	}
	fractionGiven := false
	fs.Visit(func(f *flag.Flag) { fractionGiven = fractionGiven || f.Name == "test-fraction" })
	if err := df.useModelFraction(*c.model, m, fractionGiven); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	df.forCheckpoint = true
	df.modelConfig, df.modelPath = &m.Config, *c.model
	df.threads = *c.threads
	df.stderr, df.command = stderr, "nidim eval"
	train, test, dataNote, err := loadData(df, m.Config.Seed)
	dataNote.print(stderr, "nidim eval")
	if err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if err := checkInputSize(m, train.X.Shape[1], "--data", df.data); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if err := checkKNN(*knnK, train); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if n := train.X.Shape[0]; knnScoreRuns(test) && *knnK > n {
		return c.fail(exitUsage, "--knn %d is larger than the %d training rows that the kNN outlier score searches; use --knn %d or less", *knnK, n, n)
	}
	// Another split would put training rows among the test rows.
	if m.Data == "" {
		fmt.Fprintf(stderr, "nidim eval: note: %s\n", noFingerprintText(*c.model))
	}
	if err := checkSampleShape(*c.model, m, train.Shape, df.data == "" || isDir(df.data)); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if err := m.CheckData(train); err != nil {
		return c.fail(exitUsage, "%s: %s; %s", *c.model, strings.TrimPrefix(err.Error(), "dim: "), df.mismatchAdvice(m))
	}
	printNote(stderr, "nidim eval", renamedClassesNote(*c.model, m.Classes, train.Classes, "the classes of --json are the model's names"))
	if n := test.X.Shape[0]; n < 2 {
		return c.fail(exitUsage, "%v", fewTestRowsError(n, train.X.Shape[0]+n, df, m.Config.TestFraction, ""))
	}
	// nidim train prints these notes only when it evaluates, so a model
	// trained with --no-eval gets them here.
	if splitsByFraction(df.data) {
		for _, note := range evaluationNotes(train, test) {
			printNote(stderr, "nidim eval", note)
		}
	}
	// The sets are read before the evaluation, so that a bad path fails
	// at once.
	for i, path := range oodPaths {
		if err := checkRepeatedOOD(path, oodPaths[:i]); err != nil {
			return c.fail(exitUsage, "%v", err)
		}
	}
	var oodSets []dim.OODSet
	for _, path := range oodPaths {
		x, note, err := oodInput(path, m, *c.model, *c.threads, stderr)
		if err != nil {
			return c.fail(exitUsage, "%v", err)
		}
		printNote(stderr, "nidim eval", note)
		if r := dim.RangeOf(x.Data); m.ScaleMismatch(r, len(x.Data)) {
			fmt.Fprintf(stderr, "nidim eval: note: the values of --ood %s lie mostly in %v, but the model was trained on values mostly in %v, so its scores may tell the set apart by the scale alone\n",
				shellQuote(path), r, *m.Inputs)
		}
		oodSets = append(oodSets, dim.OODSet{Name: path, X: x})
	}

	if knnScoreRuns(test) {
		// evaluate keeps the embeddings of both splits, and the kNN
		// score searches its reference for the test split and each set.
		heldBytes := dataBytes(train, test) + 4*float64(m.Config.Dim)*float64(train.X.Shape[0]+test.X.Shape[0])
		queryRows := test.X.Shape[0]
		for _, set := range oodSets {
			heldBytes += 4 * float64(len(set.X.Data))
			queryRows = max(queryRows, set.X.Shape[0])
		}
		note, err := checkKNNMemory(m, knnRun{dataBytes: heldBytes, refRows: train.X.Shape[0], calRows: test.X.Shape[0] / 2, queryRows: queryRows,
			k: *knnK, metric: dim.Metric(*knnMetric), command: "nidim eval", advice: "run nidim eval where more memory is free", embeddingsCounted: true})
		if err != nil {
			return c.fail(exitUsage, "%v", err)
		}
		printNote(stderr, "nidim eval", note)
	}
	ev, err := evaluate(m, train, test, *knnK, dim.Metric(*knnMetric), stderr, !*asJSON)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	ev.noLabelsFix = noLabelsFix(df)
	if !*asJSON {
		fmt.Fprintln(stderr, "scoring the test split and the out-of-distribution sets")
	}
	// The kNN score calibrates on half of the test split.
	var knn *dim.KNNOptions
	if n := test.X.Shape[0]; knnScoreRuns(test) {
		knn = &dim.KNNOptions{Train: train.X, TrainEmbeddings: ev.zTrain, TestEmbeddings: ev.zTest, K: *knnK, Metric: dim.Metric(*knnMetric)}
	} else {
		fmt.Fprintf(stderr, "nidim eval: note: the kNN outlier score is left out, because it calibrates on half of the test split and needs at least %d test inputs, but the test split has %d; train with a larger --test-fraction or on more data\n",
			2*dim.MinKNNCalibration, n)
	}
	outliers, err := dim.EvaluateOutliersWith(m, test.X, test.Shape, 1, knn, oodSets...)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}

	cfg := m.Config
	prior, _ := cfg.NewPrior()
	capacity, twoView, lnB := prior.Capacity(cfg.Dim), prior.TwoViewMI(cfg.Dim), math.Log(float64(cfg.Batch))
	if !*asJSON {
		// Saved reports of several models name theirs.
		fmt.Fprintf(stdout, "model %s: %s prior, d = %d, %s, %s encoder, %s critic, %s loss, %d of %s\n",
			*c.model, cfg.Prior, cfg.Dim, channelText(&cfg), cfg.Encoder, cfg.Critic, cfg.Loss, m.Epoch, plural(cfg.Epochs, "epoch", "epochs"))
		if err := ev.write(stdout, capacityText(capacity, twoView, cfg.NoiseViews), capacity, lnB); err != nil {
			return c.fail(exitFail, "%v", err)
		}
		writeOutliers(stdout, outliers, cfg.Dim)
		return exitOK
	}
	res := struct {
		Prior         string                 `json:"prior"`
		Dim           int                    `json:"dim"`
		Sigma         float64                `json:"sigma"`
		Eps           *float64               `json:"eps,omitempty"`
		Epochs        int                    `json:"epochs"`
		MIEstimate    float64                `json:"mi_estimate"`
		Capacity      *float64               `json:"capacity"`     // nil without channel noise
		TwoViewMI     *float64               `json:"two_view_mi"`  // nil without channel noise
		CapacityGap   *float64               `json:"capacity_gap"` // nil without channel noise
		LnBatch       float64                `json:"ln_batch"`
		MIBatch       int                    `json:"mi_batch"`
		ProbeAccuracy *float64               `json:"linear_probe_accuracy"`
		KNNAccuracy   *float64               `json:"knn_accuracy"`
		Report        *stats.Report          `json:"report"`
		Outliers      *dim.OutlierEvaluation `json:"outliers"`
		Standardized  bool                   `json:"standardized"`      // trained on standardized features
		Classes       []string               `json:"classes,omitempty"` // class directories in label order
		Config        json.RawMessage        `json:"config"`            // every setting, as in train --json
	}{cfg.Prior, cfg.Dim, noiseLevelOrZero(cfg.Sigma, cfg.NoiseViews), uniformEps(cfg.Prior, noiseLevelOrZero(cfg.Eps, cfg.NoiseViews)), m.Epoch, ev.MI, channelValue(capacity, cfg.NoiseViews), channelValue(twoView, cfg.NoiseViews), nil, lnB, ev.MIBatch, ev.Probe, ev.KNN, ev.Report, outliers, cfg.Standardize, m.Classes, nil}
	if res.Config, err = fullConfigJSON(cfg); err != nil {
		return c.fail(exitFail, "encode JSON: %v", err)
	}
	if cfg.NoiseViews > 0 {
		gap := capacity - ev.MI
		res.CapacityGap = &gap
	}
	b, err := json.Marshal(res)
	if err != nil {
		return c.fail(exitFail, "encode JSON: %v", err)
	}
	if _, err := fmt.Fprintln(stdout, string(b)); err != nil {
		return c.fail(exitFail, "writing the JSON result failed: %v", err)
	}
	return exitOK
}

// checkRepeatedOOD returns an error when the --ood path names the same
// file or directory as one of the earlier paths, which would score the
// set twice and give two rows for it.
func checkRepeatedOOD(path string, earlier []string) error {
	info, err := os.Stat(path)
	if err != nil {
		// oodInput reports the missing path.
		return nil
	}
	for _, other := range earlier {
		if other == path {
			return fmt.Errorf("--ood %s is given twice; pass each set once", path)
		}
		if otherInfo, err := os.Stat(other); err == nil && os.SameFile(info, otherInfo) {
			return fmt.Errorf("--ood %s and --ood %s name the same set; pass each set once", other, path)
		}
	}
	return nil
}

// oodInput reads the out-of-distribution set of --ood path: the test split
// of an MNIST-style directory, or a directory of images or a matrix file
// read whole. It returns the note of a directory of images, such as the
// count of resized images, and an error when the samples do not fit the
// input of the model m, read from modelPath. threads is the --threads
// that decodes a directory of images, and stderr shows the progress of
// that reading.
func oodInput(path string, m *dim.Model, modelPath string, threads int, stderr io.Writer) (*tensor.Tensor, string, error) {
	var x *tensor.Tensor
	note := ""
	if isImageDir(path) {
		// Read whole, in the model's image shape, as embed reads it.
		show, finish := startProgress(stderr, "nidim eval: ", readImagesDone)
		set, setNote, err := readImageDir("--ood", path, "", "", threads, &m.Config, modelPath, show)
		finish()
		if err != nil {
			return nil, "", err
		}
		x, note = imageTensor(set), setNote
	} else if isDir(path) {
		if err := checkIDXDir("--ood", path); err != nil {
			return nil, "", err
		}
		set, err := mnist.LoadDirSplit(path, "test")
		if err != nil {
			return nil, "", fmt.Errorf("--ood %s: %w", path, err)
		}
		if set.Len() == 0 {
			// The AUROC needs a score of the set, and failed only after
			// the whole evaluation.
			return nil, "", noImagesError("--ood", path, "test")
		}
		x = set.Images
	} else {
		var err error
		if x, err = readMatrixRows("--ood", path); err != nil {
			return nil, "", err
		}
	}
	if want := m.Encoder.InputSize(); x.Shape[1] != want {
		return nil, "", fmt.Errorf("--ood %s has %d values per sample, but the model takes samples of shape %v (%d values); pass a set of that size",
			path, x.Shape[1], m.Config.Input, want)
	}
	return x, note, nil
}

// knnScoreRuns reports whether nidim eval runs the kNN outlier score on
// the test split, which it halves into a calibration set and the inputs
// whose p-values it tests.
func knnScoreRuns(test *dim.Dataset) bool {
	return test.X.Shape[0]/2 >= dim.MinKNNCalibration
}
