package dim

import (
	"fmt"
	"math"
	"slices"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// OODSet is a set of out-of-distribution inputs built from in-distribution
// ones.
type OODSet struct {
	Name string
	X    *tensor.Tensor // N x InputSize
}

// OODSets builds out-of-distribution sets from the rows of x, samples of
// shape shape. Images, of shape [channels, height, width], take their
// values in [lo, hi], the minimum and maximum of x. Feature vectors,
// samples of any other shape, take them per feature: [lo, hi] is then the
// minimum and maximum of each column, because the columns of tabular
// data can have units far apart, and one range for all of them would put
// the values of a narrow column far outside its own range, which any
// model flags. The sets are:
//
//   - "inverted": lo + hi - x, which is 1 - x for images in [0, 1];
//   - "rotated-90": each image turned 90 degrees counterclockwise, only
//     for square images of shape [channels, height, width];
//   - "blurred": each image of shape [channels, height, width] convolved
//     with a Gaussian of standard deviation BlurSigma pixels;
//   - "uniform-noise": independent uniform values in [lo, hi], drawn
//     from seed, as many rows as x.
func OODSets(x *tensor.Tensor, shape []int, seed uint64) ([]OODSet, error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[0] == 0 || x.Len() == 0 {
		return nil, fmt.Errorf("dim: the out-of-distribution sets need a non-empty N x features matrix")
	}
	size := 1
	for _, s := range shape {
		size *= s
	}
	if len(shape) == 0 || size != x.Shape[1] {
		return nil, fmt.Errorf("dim: sample shape %v does not match the %d values per row", shape, x.Shape[1])
	}
	image := len(shape) == 3
	lo, hi := valueRanges(x, !image)

	inverted := tensor.New(x.Shape...)
	for i, v := range x.Data {
		k := i % len(lo)
		inverted.Data[i] = float32(lo[k] + hi[k] - float64(v))
	}
	sets := []OODSet{{Name: "inverted", X: inverted}}

	if image && shape[1] == shape[2] {
		sets = append(sets, OODSet{Name: "rotated-90", X: rotate90(x, shape)})
	}
	if image {
		sets = append(sets, OODSet{Name: "blurred", X: gaussianBlur(x, shape, BlurSigma)})
	}

	noise := tensor.New(x.Shape...)
	rng := tensor.NewRNG(seed)
	for i := range noise.Data {
		k := i % len(lo)
		noise.Data[i] = float32(lo[k] + (hi[k]-lo[k])*rng.Float64())
	}
	sets = append(sets, OODSet{Name: "uniform-noise", X: noise})
	return sets, nil
}

// valueRanges returns the minimum and maximum of the values of x, an
// N x features matrix: one of each per column when perColumn is set, and
// otherwise one pair over all values, as slices of length 1.
func valueRanges(x *tensor.Tensor, perColumn bool) (lo, hi []float64) {
	if !perColumn {
		return []float64{float64(slices.Min(x.Data))}, []float64{float64(slices.Max(x.Data))}
	}
	cols := x.Shape[1]
	lo, hi = make([]float64, cols), make([]float64, cols)
	for k := range cols {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for i, v := range x.Data {
		k := i % cols
		lo[k] = min(lo[k], float64(v))
		hi[k] = max(hi[k], float64(v))
	}
	return lo, hi
}

// rotate90 turns each square image of x counterclockwise by 90 degrees:
// the output pixel (r, c) is the input pixel (c, n-1-r).
func rotate90(x *tensor.Tensor, shape []int) *tensor.Tensor {
	channels, n := shape[0], shape[1]
	out := tensor.New(x.Shape...)
	rows, size := x.Shape[0], x.Shape[1]
	for i := 0; i < rows; i++ {
		src := x.Data[i*size : (i+1)*size]
		dst := out.Data[i*size : (i+1)*size]
		for ch := 0; ch < channels; ch++ {
			base := ch * n * n
			for r := 0; r < n; r++ {
				for c := 0; c < n; c++ {
					dst[base+r*n+c] = src[base+c*n+(n-1-r)]
				}
			}
		}
	}
	return out
}

// BlurSigma is the standard deviation, in pixels, of the blur of the
// "blurred" out-of-distribution set.
const BlurSigma = 1.5

// gaussianBlur convolves each channel of each image of x with a Gaussian
// of standard deviation sigma pixels, truncated at 3 sigma, along rows and
// then columns. Near the border the weights that fall inside the image
// are renormalized to sum to 1, so a constant image stays constant.
func gaussianBlur(x *tensor.Tensor, shape []int, sigma float64) *tensor.Tensor {
	radius := int(math.Ceil(3 * sigma))
	kernel := make([]float64, 2*radius+1)
	for k := range kernel {
		t := float64(k-radius) / sigma
		kernel[k] = math.Exp(-t * t / 2)
	}
	channels, height, width := shape[0], shape[1], shape[2]
	out := tensor.New(x.Shape...)
	tmp := make([]float64, height*width)
	// pass blurs one line of n values, reading value(i) and writing
	// store(i, v).
	pass := func(n int, value func(int) float64, store func(int, float64)) {
		for i := 0; i < n; i++ {
			sum, weight := 0.0, 0.0
			for k := max(0, i-radius); k <= min(n-1, i+radius); k++ {
				w := kernel[k-i+radius]
				sum += w * value(k)
				weight += w
			}
			store(i, sum/weight)
		}
	}
	size := x.Shape[1]
	for row := 0; row < x.Shape[0]; row++ {
		for ch := 0; ch < channels; ch++ {
			src := x.Data[row*size+ch*height*width:]
			dst := out.Data[row*size+ch*height*width:]
			for r := 0; r < height; r++ {
				pass(width, func(c int) float64 { return float64(src[r*width+c]) },
					func(c int, v float64) { tmp[r*width+c] = v })
			}
			for c := 0; c < width; c++ {
				pass(height, func(r int) float64 { return tmp[r*width+c] },
					func(r int, v float64) { dst[r*width+c] = float32(v) })
			}
		}
	}
	return out
}

// OODResult is the separation of one out-of-distribution set from the
// in-distribution inputs by the outlier score.
type OODResult struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	// AUROC is the probability that an out-of-distribution input scores
	// higher than an in-distribution one, ties counted half: 0.5 is no
	// separation and 1 a perfect one.
	AUROC float64 `json:"auroc"`
	// RejectedAt01 is the share of the set with p-value <= 0.01.
	RejectedAt01 float64 `json:"rejected_at_0_01"`
	// AboveThreshold01 is the share of the set that scores above the
	// in-distribution threshold OutlierEvaluation.Threshold01: the
	// detection rate at a false-alarm rate of at most 1 %, which holds
	// whether or not the p-values are calibrated.
	AboveThreshold01 float64 `json:"above_threshold_at_0_01"`
	// AUROCKNN and KNNRejectedAt01 are the AUROC and the share with
	// conformal p-value <= 0.01 of the kNN score (KNNScorer), when the
	// evaluation ran it.
	AUROCKNN        *float64 `json:"auroc_knn,omitempty"`
	KNNRejectedAt01 *float64 `json:"knn_rejected_at_0_01,omitempty"`
}

// KNNOptions sets the kNN outlier score of EvaluateOutliersWith: the
// training inputs, whose embeddings are the reference set, and k and the
// metric of KNNScorer.
type KNNOptions struct {
	Train *tensor.Tensor
	// TrainEmbeddings, when not nil, are the embeddings of Train by
	// m.Embed with EmbedChunkRows, which the caller has already computed,
	// so that they are not computed again.
	TrainEmbeddings *tensor.Tensor
	// TestEmbeddings, when not nil, are the embeddings of the
	// in-distribution inputs x of EvaluateOutliersWith, likewise; the
	// norm score of x takes them too.
	TestEmbeddings *tensor.Tensor
	K              int
	Metric         Metric
}

// KNNEvaluation is the calibration of the conformal p-values of the kNN
// outlier score. The test split is halved by HalveRows with the model's
// seed: the first half calibrates, and the scores of the second half are
// tested against the calibration scores, because the p-values are valid
// when the two are exchangeable.
type KNNEvaluation struct {
	K           int    `json:"k"`
	Metric      Metric `json:"metric"`
	Reference   int    `json:"reference_n"`   // training embeddings
	Calibration int    `json:"calibration_n"` // test embeddings that calibrate
	Evaluated   int    `json:"evaluated_n"`   // test embeddings whose p-values are tested
	// CalibrationKS and CalibrationP are the statistic and p-value of
	// KNNScorer.CalibrationTest on the scores of the evaluated half: the
	// two-sample Kolmogorov-Smirnov test against the calibration scores.
	CalibrationKS float64 `json:"calibration_ks"`
	CalibrationP  float64 `json:"calibration_p_value"`
	RejectedAt01  float64 `json:"rejected_at_0_01"` // share of the evaluated p-values <= 0.01
	RejectedAt05  float64 `json:"rejected_at_0_05"` // share of the evaluated p-values <= 0.05
}

// OutlierEvaluation measures the outlier scores of a model: how close
// the p-values of in-distribution inputs are to U(0, 1), and how well the
// score separates out-of-distribution sets.
type OutlierEvaluation struct {
	N int `json:"n"`
	// CalibrationKS is the Kolmogorov-Smirnov distance of the
	// in-distribution p-values to U(0, 1) and its p-value.
	CalibrationKS float64 `json:"calibration_ks"`
	CalibrationP  float64 `json:"calibration_p_value"`
	RejectedAt01  float64 `json:"rejected_at_0_01"` // share of in-distribution p-values <= 0.01
	MeanScore     float64 `json:"mean_score"`       // d when the embeddings follow the prior
	// Threshold01 is the empirical threshold for a false-alarm rate of
	// 1 %: at most 1 % of the in-distribution scores exceed it, whether
	// or not the p-values are calibrated. ThresholdP01 is its p-value, so
	// p-values below it flag the same inputs.
	Threshold01  float64     `json:"threshold_at_0_01"`
	ThresholdP01 float64     `json:"threshold_p_value_at_0_01"`
	OutOfDist    []OODResult `json:"ood"`
	// KNN is the calibration of the kNN score, when the evaluation ran
	// it, and nil otherwise.
	KNN *KNNEvaluation `json:"knn,omitempty"`
}

// EvaluateOutliers scores the rows of x (in-distribution inputs, such as a
// test split, of sample shape shape), the sets OODSets builds from them
// with seed, and then the sets of extra, such as held-out classes, using
// m.Embed and OutlierScores.
func EvaluateOutliers(m *Model, x *tensor.Tensor, shape []int, seed uint64, extra ...OODSet) (*OutlierEvaluation, error) {
	return EvaluateOutliersWith(m, x, shape, seed, nil, extra...)
}

// EvaluateOutliersWith evaluates the outlier scores as EvaluateOutliers
// does. When knn is not nil, it also evaluates the kNN score of
// KNNScorer, with the embeddings of knn.Train as the reference set and
// those of half of x as the calibration set (see KNNEvaluation).
func EvaluateOutliersWith(m *Model, x *tensor.Tensor, shape []int, seed uint64, knn *KNNOptions, extra ...OODSet) (*OutlierEvaluation, error) {
	sets, err := OODSets(x, shape, seed)
	if err != nil {
		return nil, err
	}
	sets = append(sets, extra...)
	var inScores, inP []float64
	if knn != nil && knn.TestEmbeddings != nil {
		z := knn.TestEmbeddings
		inScores, inP, err = OutlierScores(m.Config.Prior, z.Data, z.Shape[0], z.Shape[1])
	} else {
		inScores, inP, err = m.Score(x, 1000)
	}
	if err != nil {
		return nil, err
	}
	var (
		scorer      *KNNScorer
		knnInScores []float64
		knnEval     *KNNEvaluation
	)
	if knn != nil {
		if scorer, knnInScores, knnEval, err = evaluateKNN(m, x, knn); err != nil {
			return nil, err
		}
	}
	ks, err := stats.KolmogorovSmirnov(inP, stats.Uniform{A: 0, B: 1}, stats.TwoSided)
	if err != nil {
		return nil, err
	}
	ev := &OutlierEvaluation{N: len(inP), CalibrationKS: ks.Statistic, CalibrationP: ks.PValue,
		RejectedAt01: shareAtMost(inP, 0.01), MeanScore: meanOf(inScores)}
	ev.Threshold01 = exceededByOnePercent(inScores)
	ev.ThresholdP01 = stats.ChiSquareSurvival(ev.Threshold01, float64(m.Config.Dim))
	for _, set := range sets {
		scores, p, err := m.Score(set.X, 1000)
		if err != nil {
			return nil, fmt.Errorf("dim: out-of-distribution set %s: %w", set.Name, err)
		}
		auroc, err := stats.AUROC(inScores, scores)
		if err != nil {
			return nil, err
		}
		r := OODResult{Name: set.Name, N: len(p), AUROC: auroc, RejectedAt01: shareAtMost(p, 0.01),
			AboveThreshold01: shareAbove(scores, ev.Threshold01)}
		if scorer != nil {
			knnScores, knnP, err := m.ScoreKNN(scorer, set.X, 1000)
			if err != nil {
				return nil, fmt.Errorf("dim: out-of-distribution set %s: %w", set.Name, err)
			}
			knnAUROC, err := stats.AUROC(knnInScores, knnScores)
			if err != nil {
				return nil, err
			}
			rejected := shareAtMost(knnP, 0.01)
			r.AUROCKNN, r.KNNRejectedAt01 = &knnAUROC, &rejected
		}
		ev.OutOfDist = append(ev.OutOfDist, r)
	}
	ev.KNN = knnEval
	return ev, nil
}

// evaluateKNN builds the kNN scorer of EvaluateOutliersWith, with the
// first half of x by HalveRows as the calibration set, and returns it,
// the kNN scores of all rows of x, and the calibration of the p-values of
// the second half.
func evaluateKNN(m *Model, x *tensor.Tensor, knn *KNNOptions) (*KNNScorer, []float64, *KNNEvaluation, error) {
	zTrain := knn.TrainEmbeddings
	if zTrain == nil {
		var err error
		if zTrain, err = m.Embed(knn.Train, EmbedChunkRows); err != nil {
			return nil, nil, nil, err
		}
	}
	zTest := knn.TestEmbeddings
	if zTest == nil {
		var err error
		if zTest, err = m.Embed(x, EmbedChunkRows); err != nil {
			return nil, nil, nil, err
		}
	}

	calRows, evalRows := HalveRows(zTest.Shape[0], m.Config.Seed)
	scorer, err := NewKNNScorer(zTrain, SelectRows(zTest, calRows), knn.K, knn.Metric)
	if err != nil {
		return nil, nil, nil, err
	}
	scores, p, err := scorer.Score(zTest)
	if err != nil {
		return nil, nil, nil, err
	}

	// The second half tests the calibration.
	evalScores, evalP := make([]float64, len(evalRows)), make([]float64, len(evalRows))
	for i, r := range evalRows {
		evalScores[i], evalP[i] = scores[r], p[r]
	}
	ks, err := scorer.CalibrationTest(evalScores)
	if err != nil {
		return nil, nil, nil, err
	}
	ev := &KNNEvaluation{K: knn.K, Metric: knn.Metric, Reference: zTrain.Shape[0], Calibration: len(calRows), Evaluated: len(evalRows),
		CalibrationKS: ks.Statistic, CalibrationP: ks.PValue, RejectedAt01: shareAtMost(evalP, 0.01), RejectedAt05: shareAtMost(evalP, 0.05)}
	return scorer, scores, ev, nil
}

// Score embeds the rows of x with Embed and returns their outlier
// statistics and p-values (OutlierScores).
func (m *Model) Score(x *tensor.Tensor, batch int) (scores, pValues []float64, err error) {
	z, err := m.Embed(x, batch)
	if err != nil {
		return nil, nil, err
	}
	return OutlierScores(m.Config.Prior, z.Data, z.Shape[0], z.Shape[1])
}

func shareAtMost(p []float64, level float64) float64 {
	k := 0
	for _, v := range p {
		if v <= level {
			k++
		}
	}
	return float64(k) / float64(len(p))
}

// shareAbove returns the share of x above level.
func shareAbove(x []float64, level float64) float64 {
	k := 0
	for _, v := range x {
		if v > level {
			k++
		}
	}
	return float64(k) / float64(len(x))
}

// exceededByOnePercent returns the smallest value of x that at most 1 %
// of the values of x exceed. Integer division keeps the rank exact.
func exceededByOnePercent(x []float64) float64 {
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	n := len(sorted)
	return sorted[n-1-n/100]
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
