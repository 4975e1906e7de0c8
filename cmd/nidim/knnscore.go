package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
)

// Outlier score methods of nidim score.
const (
	methodNorm = "norm"
	methodKNN  = "knn"
)

// scoreMethodFlags are the flags of nidim score that choose the outlier
// score.
type scoreMethodFlags struct {
	method, metric, trainData string
	k                         int
}

func (f *scoreMethodFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.method, "method", methodNorm, "")
	fs.IntVar(&f.k, "knn", 5, "")
	fs.StringVar(&f.metric, "knn-metric", string(dim.MetricEuclidean), "")
	fs.StringVar(&f.trainData, "train-data", "", "")
}

// check returns an error for an unknown method, an invalid k or metric,
// and for the kNN flags given with the norm method, which ignores them.
func (f *scoreMethodFlags) check(fs *flag.FlagSet) error {
	if f.method != methodNorm && f.method != methodKNN {
		return fmt.Errorf("invalid --method %q; use norm or knn", f.method)
	}
	if f.k < 1 {
		return fmt.Errorf("invalid --knn %d; use 1 or more neighbors", f.k)
	}
	if err := checkMetric(f.metric); err != nil {
		return err
	}
	if f.method == methodNorm {
		var given []string
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name == "knn" || fl.Name == "knn-metric" || fl.Name == "train-data" {
				given = append(given, "--"+fl.Name)
			}
		})
		if len(given) > 0 {
			verb := "applies"
			if len(given) > 1 {
				verb = "apply"
			}
			return fmt.Errorf("%s %s only to --method knn; add --method knn or drop it", strings.Join(given, " and "), verb)
		}
	}
	return nil
}

// knnTrainingData returns the data whose splits give the reference and
// calibration embeddings of the kNN score. That is --train-data when it
// is set, and otherwise --data. The exception is a matrix file or a
// directory of images of which the model records no split: such a model
// was trained on MNIST-style data, so the built-in MNIST ("") is taken,
// and the data fingerprint then checks it.
func knnTrainingData(trainData, data string, m *dim.Model) string {
	if trainData != "" {
		return trainData
	}
	if splitsByFraction(data) && m.Config.TestFraction == 0 {
		return ""
	}
	return data
}

// knnScorer builds the kNN scorer of the model m from path, the data m
// was trained on, which the flag flagName named ("" for the built-in
// MNIST). The embeddings of its training split are the reference set,
// and those of its test split the calibration set. The splits are those
// that nidim embed --data path --split train and --split test read, and
// the training split must match the data fingerprint. A matrix file or a
// directory of images is read once for both splits, or not at all when
// whole, when not nil, contains all its rows already. MNIST-style data is
// read and embedded a chunk of rows at a time (knnChunkedScorer). An
// error names path and how to pass the training data. Before the splits
// are embedded, the memory check counts the data it holds, heldBytes of
// other data that the command keeps, and a search of queryRows rows.
func (c *modelCommand) knnScorer(m *dim.Model, path, flagName string, k int, metric dim.Metric, whole *tensor.Tensor, queryRows int, heldBytes float64) (*dim.KNNScorer, error) {
	name := "the built-in MNIST"
	if path != "" {
		name = flagName + " " + shellQuote(path)
	}
	advice := fmt.Sprintf("pass the data %s was trained on as --train-data, or use --method norm", *c.model)
	if splitsByFraction(path) && m.Config.TestFraction == 0 {
		return nil, fmt.Errorf("--method knn needs the training and test splits of the data %s was trained on, but it records no split of %s, because it was trained on an MNIST-style data set or by an older nidim; %s",
			*c.model, name, advice)
	}

	splitsError := func(err error) error {
		// The error names the fix in terms of --data. When --data
		// stood in for --train-data, that fix would replace the
		// inputs to score, so the message names --train-data too.
		if flagName == "--data" {
			return fmt.Errorf("--method knn reads its reference and calibration inputs from the training and test splits of %s: %v; to score --data %s, pass the data %s was trained on as --train-data",
				name, strings.TrimSuffix(err.Error(), "."), shellQuote(path), *c.model)
		}
		return fmt.Errorf("--method knn reads its reference and calibration inputs from the training and test splits of %s: %v", name, err)
	}
	run := knnRun{
		k: k, metric: metric, queryRows: queryRows,
		command: "nidim " + c.name,
		advice:  fmt.Sprintf("use --method norm, which keeps no embeddings of the training data, or run nidim %s where more memory is free", c.name),
	}
	// The notes on the values of a standardized model need all the rows
	// of a split at once (standardizedShiftNote), and images are never
	// standardized, so such a model reads the whole splits.
	if !splitsByFraction(path) && m.Standardization == nil {
		return c.knnChunkedScorer(m, path, flagName, name, advice, run, heldBytes, splitsError)
	}

	reference, calibration, err := c.knnSplits(m, path, flagName, whole)
	if err != nil {
		return nil, splitsError(err)
	}
	if err := c.checkKNNRows(m, name, k, reference.Shape[0], calibration.Shape[0]); err != nil {
		return nil, err
	}
	// knnSplits checked the training split of a matrix file or a
	// directory of images against the fingerprint, in the order training
	// used.
	if !splitsByFraction(path) {
		if err := c.checkKNNFingerprint(m, m.CheckData(&dim.Dataset{X: reference, Shape: m.Config.Input}), name, advice); err != nil {
			return nil, err
		}
	}
	run.dataBytes = 4*float64(len(reference.Data)+len(calibration.Data)) + heldBytes
	run.refRows, run.calRows = reference.Shape[0], calibration.Shape[0]
	note, err := checkKNNMemory(m, run)
	if err != nil {
		return nil, err
	}
	c.note(note)
	s, err := m.KNNScorer(reference, calibration, k, metric)
	if err != nil {
		return nil, fmt.Errorf("--method knn on %s: %s", name, strings.TrimPrefix(err.Error(), "dim: "))
	}
	return s, nil
}

// checkKNNRows returns an error when the kNN score with k neighbors
// cannot use the refRows rows of the training split and calRows rows of
// the test split of the data called name.
func (c *modelCommand) checkKNNRows(m *dim.Model, name string, k, refRows, calRows int) error {
	if k > refRows {
		return fmt.Errorf("--knn %d is larger than the %d rows of the training split of %s, the reference set of --method knn; use --knn %d or less", k, refRows, name, refRows)
	}
	// Checked before the splits are embedded, which NewKNNScorer would
	// do before it rejects them.
	if calRows < dim.MinKNNCalibration {
		fix := fmt.Sprintf("pass a directory whose test images file holds at least %d images", dim.MinKNNCalibration)
		if m.Config.TestFraction > 0 {
			fix = fmt.Sprintf("train %s again with a --test-fraction above its %g, or on more rows", *c.model, m.Config.TestFraction)
		}
		return fmt.Errorf("the test split of %s, the calibration set of --method knn, has %s, but the kNN score needs at least %d so that its p-values can reach 0.05; %s, or use --method norm",
			name, plural(calRows, "row", "rows"), dim.MinKNNCalibration, fix)
	}
	return nil
}

// checkKNNFingerprint turns mismatch, the error of the check of the
// training split of MNIST-style data against the data fingerprint of m,
// into the error of --method knn, and notes a model without a
// fingerprint.
func (c *modelCommand) checkKNNFingerprint(m *dim.Model, mismatch error, name, advice string) error {
	if mismatch != nil {
		return fmt.Errorf("--method knn needs the training split of the data %s was trained on, but that of %s differs: %s; %s",
			*c.model, name, strings.TrimPrefix(mismatch.Error(), "dim: "), advice)
	}
	if m.Data == "" {
		c.note(noFingerprintText(*c.model))
	}
	return nil
}

// knnSplits returns the training and the test split of path, the data
// that the model m was trained on, given as flagName. MNIST-style data
// is read split by split from its own files. A matrix file or a
// directory of images is read once, unless whole contains its rows, and
// split as nidim train split it.
func (c *modelCommand) knnSplits(m *dim.Model, path, flagName string, whole *tensor.Tensor) (train, test *tensor.Tensor, err error) {
	// The reads go through a copy of c with path as its data, named as
	// flagName, and no --paths, so that their notes and errors name the
	// flag that the user passed.
	tc := *c
	none := ""
	tc.data, tc.paths, tc.dataFlag = &path, &none, flagName
	if !splitsByFraction(path) {
		var splits [2]*tensor.Tensor
		for i, split := range []string{"train", "test"} {
			tc.split, tc.splitGiven = &split, true
			in, err := tc.input(m)
			if err != nil {
				return nil, nil, err
			}
			splits[i] = in.x
		}
		return splits[0], splits[1], nil
	}

	// input printed the note on a missing fingerprint for --data read
	// with --split.
	noted := whole != nil && c.splitGiven
	if whole == nil {
		if whole, _, _, err = tc.readInput(m, ""); err != nil {
			return nil, nil, err
		}
		tc.note(scaleNote(flagName, path, *c.model, m, whole.Data))
	}
	if m.Data == "" && !noted {
		tc.note(noFingerprintText(*c.model))
	}
	trainRows, testRows, err := splitRowNumbers(flagName, path, *c.model, m, whole, "--method knn would take other reference and calibration rows than training did")
	if err != nil {
		return nil, nil, err
	}
	return dim.SelectRows(whole, trainRows), dim.SelectRows(whole, testRows), nil
}

// knnInputNote returns a note when the inputs of nidim score --method knn,
// read from data with --split split (splitGiven when on the command line),
// include the reference or calibration inputs, read from trainData, and
// "" otherwise. The two paths are compared by sameFile, so that ./x.npy
// and x.npy, or a link to the file, count as one.
func knnInputNote(data, trainData string, splitGiven bool, split string) string {
	if !sameFile(data, trainData) {
		return ""
	}
	switch {
	case splitGiven && split == "train":
		return "the inputs are the training split, the reference set of the kNN score, so each finds itself among its neighbors and scores too low; score inputs that training did not use"
	case splitGiven || !splitsByFraction(data):
		return "the inputs are the test split, the calibration set of the kNN score, so their p-values are uniform by construction; score other inputs"
	default:
		return "the inputs are the whole file, which contains the reference set (the training split) and the calibration set (the test split) of the kNN score, so their scores and p-values say little; score other inputs"
	}
}

// knnCalibrationLine summarizes the conformal p-values of nidim score
// --method knn for inputs that should be exchangeable with the
// calibration inputs. It compares the scores with the calibration scores
// by the two-sample Kolmogorov-Smirnov test, because the p-values share
// the calibration set, which makes a test of them against U(0, 1) reject
// too often. Below 99 calibration inputs no p-value can reach 0.01, and
// the expected share it prints is then 0.
func knnCalibrationLine(s *dim.KNNScorer, scores, p []float64) string {
	k := 0
	for _, v := range p {
		if v <= 0.01 {
			k++
		}
	}
	nCal := len(s.Calibration)
	line := fmt.Sprintf("p-values <= 0.01: %d of %d (%.2f%%, %.2f%% expected for in-distribution inputs with %d calibration inputs)",
		k, len(p), 100*float64(k)/float64(len(p)), 100*dim.ConformalShare(0.01, nCal), nCal)
	ks, err := s.CalibrationTest(scores)
	if err != nil {
		return line
	}
	return line + fmt.Sprintf("; two-sample Kolmogorov-Smirnov of the scores against the calibration scores: D = %.4f, p = %.3g", ks.Statistic, ks.PValue)
}

// ordinal returns n as an English ordinal number: 1st, 2nd, 3rd, 4th,
// 11th, 21st and so on.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
