package dim

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyModel returns an untrained MLP model on 5 features for prior.
func tinyModel(t *testing.T, prior string, d int) *Model {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Prior, cfg.Dim, cfg.Hidden = prior, d, 8
	m, err := NewModel(cfg, []int{5})
	require.NoError(t, err)
	return m
}

func randomRows(n, f int, seed uint64) *tensor.Tensor {
	x := tensor.New(n, f)
	rng := tensor.NewRNG(seed)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestOutlierScoresTransformPriors(t *testing.T) {
	for _, prior := range []string{"logistic", "laplace", "exponential"} {
		target, err := stats.PriorByName(prior)
		require.NoError(t, err)
		// Embeddings at the prior's values of z = -1, 0.5 and 2.
		z := []float64{-1, 0.5, 2}
		emb := make([]float32, len(z))
		for k, v := range z {
			emb[k] = float32(stats.FromGaussian(target, v))
		}
		scores, p, err := OutlierScores(prior, emb, 1, 3)
		require.NoError(t, err, prior)
		assert.InDelta(t, 1+0.25+4, scores[0], 1e-5, prior)
		assert.Equal(t, stats.ChiSquareSurvival(scores[0], 3), p[0], prior)
	}
}

func TestOutlierScoresMatchGaussianSide(t *testing.T) {
	// Scoring Laplace embeddings gives, up to float32 rounding, the scores
	// of the Gaussian embeddings they were mapped from.
	gm := tinyModel(t, "gaussian", 4)
	x := randomRows(50, 5, 1)
	gScores, _, err := gm.Score(x, 16)
	require.NoError(t, err)

	lm := *gm
	lm.Config.Prior = "laplace"
	lScores, _, err := lm.Score(x, 16)
	require.NoError(t, err)
	for i := range gScores {
		assert.InDelta(t, gScores[i], lScores[i], 1e-5*math.Max(1, gScores[i]), "row %d", i)
	}
}

func TestOutlierScoresSupportEdges(t *testing.T) {
	// float32 rounds exponential values below about 1e-45 to 0: the score
	// stays finite.
	scores, _, err := OutlierScores("exponential", []float32{0, 1}, 1, 2)
	require.NoError(t, err)
	assert.False(t, math.IsInf(scores[0], 0))
	assert.Greater(t, scores[0], 13.0*13.0)

	_, _, err = OutlierScores("exponential", []float32{-1, 1}, 1, 2)
	var rowErr *RowError
	require.True(t, errors.As(err, &rowErr), "%v", err)
	assert.Equal(t, 0, rowErr.Row)
	assert.Contains(t, err.Error(), "outside the support of the exponential prior")

	_, _, err = OutlierScores("laplace", []float32{1, float32(math.NaN())}, 1, 2)
	require.True(t, errors.As(err, &rowErr))
	assert.Contains(t, err.Error(), "embedding 0 has the non-finite component 1")

	_, _, err = OutlierScores("cauchy", []float32{1, 2}, 1, 2)
	assert.ErrorContains(t, err, `unknown prior "cauchy"; use one of gaussian, uniform, logistic, laplace, exponential`)
}

func TestModelEmbedTransformPrior(t *testing.T) {
	m := tinyModel(t, "laplace", 3)
	x := randomRows(20, 5, 2)
	z, err := m.Encoder.Embed(x, 7)
	require.NoError(t, err)
	gaussian := append([]float32(nil), z.Data...)

	e, err := m.Embed(x, 7)
	require.NoError(t, err)
	for i, v := range gaussian {
		assert.Equal(t, float32(stats.FromGaussian(stats.Laplace{Mu: 0, B: 1}, float64(v))), e.Data[i], "element %d", i)
	}

	// EmbedWith any quantile function: the exponential by its formula.
	q, err := m.EmbedWith(x, 7, FromQuantile(func(p float64) float64 { return -math.Log1p(-p) }))
	require.NoError(t, err)
	for i, v := range gaussian {
		want := stats.FromGaussian(stats.Exponential{Rate: 1}, float64(v))
		assert.InDelta(t, want, float64(q.Data[i]), 1e-6*math.Max(1, want), "element %d", i)
	}
}

func TestEmbedWithRejectsUniformModel(t *testing.T) {
	m := tinyModel(t, "uniform", 2)
	_, err := m.EmbedWith(randomRows(3, 5, 1), 3, FromDistribution(stats.Logistic{Mu: 0, S: 1}))
	assert.ErrorContains(t, err, "trained for the uniform prior")
}

func TestTransformPriorTrainsGaussianChannel(t *testing.T) {
	p, err := NewPrior("laplace", 0.3)
	require.NoError(t, err)
	assert.Equal(t, Gaussian{Sigma: 0.3}, p)
	_, err = NewPrior("cauchy", 0.3)
	assert.ErrorContains(t, err, `unknown prior "cauchy"`)

	cfg := DefaultConfig()
	cfg.Prior = "exponential"
	require.NoError(t, cfg.Validate())
	assert.Equal(t, cfg.Sigma, cfg.NoiseLevel())
	assert.Equal(t, 2*cfg.Sigma*cfg.Sigma, cfg.TiedTau())
}

func TestCheckpointKeepsTransformPrior(t *testing.T) {
	m := tinyModel(t, "logistic", 2)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))
	loaded, err := LoadModel(path)
	require.NoError(t, err)
	assert.Equal(t, "logistic", loaded.Config.Prior)
	x := randomRows(4, 5, 3)
	want, err := m.Embed(x, 4)
	require.NoError(t, err)
	got, err := loaded.Embed(x, 4)
	require.NoError(t, err)
	assert.Equal(t, want.Data, got.Data)
}

func TestOODSetsImages(t *testing.T) {
	// One 2 x 2 image [[0, 0.25], [0.5, 1]] and one constant image.
	x := &tensor.Tensor{Shape: []int{2, 4}, Data: []float32{0, 0.25, 0.5, 1, 0.5, 0.5, 0.5, 0.5}}
	sets, err := OODSets(x, []int{1, 2, 2}, 9)
	require.NoError(t, err)
	require.Len(t, sets, 4)
	assert.Equal(t, "inverted", sets[0].Name)
	assert.Equal(t, []float32{1, 0.75, 0.5, 0, 0.5, 0.5, 0.5, 0.5}, sets[0].X.Data)
	// Counterclockwise: the top row becomes the left column, read upward.
	assert.Equal(t, "rotated-90", sets[1].Name)
	assert.Equal(t, []float32{0.25, 1, 0, 0.5}, sets[1].X.Data[:4])
	assert.Equal(t, "blurred", sets[2].Name)
	for i, v := range sets[2].X.Data[4:] {
		assert.InDelta(t, 0.5, v, 1e-7, "constant image, pixel %d", i)
	}
	assert.Equal(t, "uniform-noise", sets[3].Name)
	for _, v := range sets[3].X.Data {
		assert.True(t, v >= 0 && v <= 1, "%v", v)
	}
	assert.NotEqual(t, sets[3].X.Data[0], sets[3].X.Data[1])

	vec, err := OODSets(x, []int{4}, 9)
	require.NoError(t, err)
	assert.Len(t, vec, 2, "no rotation of feature vectors")
	_, err = OODSets(x, []int{3}, 9)
	assert.ErrorContains(t, err, "does not match the 4 values per row")
}

func TestOODSetsVectorsPerFeature(t *testing.T) {
	// Two features on scales a million apart: one range for both would
	// mirror the narrow column to about 1e6 and fill it with noise of
	// that size, so every model would flag the sets at once.
	x := &tensor.Tensor{Shape: []int{3, 2}, Data: []float32{
		0.001, -1e6,
		0.003, 0,
		0.002, 1e6,
	}}
	sets, err := OODSets(x, []int{2}, 9)
	require.NoError(t, err)
	require.Len(t, sets, 2)
	assert.Equal(t, "inverted", sets[0].Name)
	want := []float32{0.003, 1e6, 0.001, 0, 0.002, -1e6}
	for i, v := range sets[0].X.Data {
		assert.InDelta(t, want[i], v, 1e-9*math.Max(1, math.Abs(float64(want[i]))), "value %d", i)
	}
	assert.Equal(t, "uniform-noise", sets[1].Name)
	for i, v := range sets[1].X.Data {
		if i%2 == 0 {
			assert.True(t, v >= 0.001 && v <= 0.003, "column 0, row %d: %v", i/2, v)
		} else {
			assert.True(t, v >= -1e6 && v <= 1e6, "column 1, row %d: %v", i/2, v)
		}
	}
}

func TestGaussianBlurImpulse(t *testing.T) {
	// A unit impulse in the middle of a 23 x 23 image spreads into the
	// product of two normalized Gaussian kernels of radius 5. The pixels
	// it reaches are all more than 5 from the border, so no weight there
	// is renormalized.
	const n, mid = 23, 11
	x := tensor.New(1, n*n)
	x.Data[mid*n+mid] = 1
	out := gaussianBlur(x, []int{1, n, n}, 1.5)
	g := func(k int) float64 {
		sum := 0.0
		for j := -5; j <= 5; j++ {
			sum += math.Exp(-float64(j*j) / (2 * 1.5 * 1.5))
		}
		return math.Exp(-float64(k*k)/(2*1.5*1.5)) / sum
	}
	total := 0.0
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			v := float64(out.Data[r*n+c])
			total += v
			if abs(r-mid) <= 5 && abs(c-mid) <= 5 {
				assert.InDelta(t, g(r-mid)*g(c-mid), v, 1e-7, "pixel (%d, %d)", r, c)
			} else {
				assert.Equal(t, 0.0, v, "pixel (%d, %d)", r, c)
			}
		}
	}
	assert.InDelta(t, 1, total, 1e-6)
}

func abs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

func TestEvaluateOutliersMatchesScores(t *testing.T) {
	m := tinyModel(t, "gaussian", 3)
	x := randomRows(64, 5, 4)
	x2 := tensor.New(64, 5)
	for i, v := range x.Data {
		x2.Data[i] = float32(math.Abs(float64(v))) / 4 // mostly in [0, 1], like pixels
	}
	ev, err := EvaluateOutliers(m, x2, []int{5}, 1)
	require.NoError(t, err)
	require.Len(t, ev.OutOfDist, 2)

	inScores, inP, err := m.Score(x2, 1000)
	require.NoError(t, err)
	sets, err := OODSets(x2, []int{5}, 1)
	require.NoError(t, err)
	outScores, _, err := m.Score(sets[0].X, 1000)
	require.NoError(t, err)
	want, err := stats.AUROC(inScores, outScores)
	require.NoError(t, err)
	assert.Equal(t, want, ev.OutOfDist[0].AUROC)
	ks, err := stats.KolmogorovSmirnov(inP, stats.Uniform{A: 0, B: 1}, stats.TwoSided)
	require.NoError(t, err)
	assert.Equal(t, ks.Statistic, ev.CalibrationKS)
	assert.Equal(t, 64, ev.N)
}

// The 1 % threshold is the order statistic that at most 1 % of the
// scores exceed, and its p-value is the chi-square survival function.
func TestEvaluateOutliersThreshold(t *testing.T) {
	m := tinyModel(t, "gaussian", 3)
	x := randomRows(250, 5, 6)
	for i, v := range x.Data {
		x.Data[i] = float32(math.Abs(float64(v))) / 4
	}
	ev, err := EvaluateOutliers(m, x, []int{5}, 1)
	require.NoError(t, err)

	scores, _, err := m.Score(x, 1000)
	require.NoError(t, err)
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	// 250 rows: 2 may exceed the threshold, the third largest score.
	assert.Equal(t, sorted[247], ev.Threshold01)
	above := 0
	for _, s := range scores {
		if s > ev.Threshold01 {
			above++
		}
	}
	assert.Equal(t, 2, above)
	assert.Equal(t, stats.ChiSquareSurvival(sorted[247], 3), ev.ThresholdP01)

	// Each set's detection rate counts its scores above that threshold.
	sets, err := OODSets(x, []int{5}, 1)
	require.NoError(t, err)
	require.Len(t, ev.OutOfDist, len(sets))
	for i, set := range sets {
		scores, _, err := m.Score(set.X, 1000)
		require.NoError(t, err)
		above := 0
		for _, s := range scores {
			if s > ev.Threshold01 {
				above++
			}
		}
		assert.Equal(t, float64(above)/float64(len(scores)), ev.OutOfDist[i].AboveThreshold01, set.Name)
	}
	assert.NotZero(t, ev.OutOfDist[0].AboveThreshold01, "the first set, %s, should lie partly above the threshold", ev.OutOfDist[0].Name)
}

func TestExceededByOnePercent(t *testing.T) {
	x := make([]float64, 300)
	for i := range x {
		x[i] = float64(299 - i)
	}
	// 3 of 300 values (297, 298, 299) may exceed it.
	assert.Equal(t, 296.0, exceededByOnePercent(x))
	assert.Equal(t, 98.0, exceededByOnePercent(x[200:]), "of the 100 values 0 to 99, 1 exceeds it")
	assert.Equal(t, 98.0, exceededByOnePercent(x[201:]), "of the 99 values 0 to 98, none exceeds it")
	assert.Equal(t, 7.0, exceededByOnePercent([]float64{7}))
}

// The kNN block of the evaluation calibrates on the first half of x by
// HalveRows with the model's seed, and tests the scores of the second
// half against the calibration scores.
func TestEvaluateOutliersKNN(t *testing.T) {
	m := tinyModel(t, "gaussian", 3)
	train, x := randomRows(300, 5, 7), randomRows(120, 5, 8)
	ev, err := EvaluateOutliersWith(m, x, []int{5}, 1, &KNNOptions{Train: train, K: 4, Metric: MetricEuclidean})
	require.NoError(t, err)
	require.NotNil(t, ev.KNN)

	zTrain, err := m.Embed(train, 1000)
	require.NoError(t, err)
	zTest, err := m.Embed(x, 1000)
	require.NoError(t, err)
	calRows, evalRows := HalveRows(120, m.Config.Seed)
	s, err := NewKNNScorer(zTrain, SelectRows(zTest, calRows), 4, MetricEuclidean)
	require.NoError(t, err)
	evalScores, evalP, err := s.Score(SelectRows(zTest, evalRows))
	require.NoError(t, err)
	ks, err := stats.KolmogorovSmirnov2(evalScores, s.Calibration)
	require.NoError(t, err)

	assert.Equal(t, 60, ev.KNN.Calibration)
	assert.Equal(t, 60, ev.KNN.Evaluated)
	assert.Equal(t, 300, ev.KNN.Reference)
	assert.Equal(t, ks.Statistic, ev.KNN.CalibrationKS)
	assert.Equal(t, ks.PValue, ev.KNN.CalibrationP)
	assert.Equal(t, shareAtMost(evalP, 0.05), ev.KNN.RejectedAt05)
	assert.Equal(t, shareAtMost(evalP, 0.01), ev.KNN.RejectedAt01)
}

// Embeddings that the caller passes replace those the evaluation would
// compute: the same ones give the same figures, and others change them.
func TestEvaluateOutliersKNNGivenEmbeddings(t *testing.T) {
	m := tinyModel(t, "gaussian", 3)
	train, x := randomRows(300, 5, 7), randomRows(120, 5, 8)
	want, err := EvaluateOutliersWith(m, x, []int{5}, 1, &KNNOptions{Train: train, K: 4, Metric: MetricEuclidean})
	require.NoError(t, err)

	zTrain, err := m.Embed(train, EmbedChunkRows)
	require.NoError(t, err)
	zTest, err := m.Embed(x, EmbedChunkRows)
	require.NoError(t, err)
	got, err := EvaluateOutliersWith(m, x, []int{5}, 1, &KNNOptions{Train: train, TrainEmbeddings: zTrain, TestEmbeddings: zTest, K: 4, Metric: MetricEuclidean})
	require.NoError(t, err)
	assert.Equal(t, want, got)

	shifted := zTest.Clone()
	for i := range shifted.Data {
		shifted.Data[i] += 5
	}
	other, err := EvaluateOutliersWith(m, x, []int{5}, 1, &KNNOptions{Train: train, TestEmbeddings: shifted, K: 4, Metric: MetricEuclidean})
	require.NoError(t, err)
	assert.NotEqual(t, want.KNN.CalibrationKS, other.KNN.CalibrationKS, "the given test embeddings were not used")
}
