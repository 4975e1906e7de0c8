package dim

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceKNN is the plain float64 classifier: sort all training rows by
// distance (ties by row index) and vote among the first k, ties going to
// the class of the nearest tied member.
func referenceKNN(train []float64, labels []int, test []float64, d, k int, metric Metric) []int {
	n, m := len(labels), len(test)/d
	norm := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v * v
		}
		return math.Sqrt(s)
	}
	pred := make([]int, m)
	idx := make([]int, n)
	dist := make([]float64, n)
	for i := 0; i < m; i++ {
		a := test[i*d : (i+1)*d]
		for j := 0; j < n; j++ {
			b := train[j*d : (j+1)*d]
			s := 0.0
			if metric == MetricEuclidean {
				for t := range a {
					s += (a[t] - b[t]) * (a[t] - b[t])
				}
			} else {
				for t := range a {
					s -= a[t] * b[t]
				}
				s /= norm(a) * norm(b)
			}
			dist[j], idx[j] = s, j
		}
		sort.SliceStable(idx, func(p, q int) bool { return dist[idx[p]] < dist[idx[q]] })
		votes := make([]int, 10)
		pred[i] = vote(idx[:k], labels, votes)
	}
	return pred
}

func latticeData(rng *rand.Rand, n, d int) ([]float32, []float64, []int) {
	x32 := make([]float32, n*d)
	x64 := make([]float64, n*d)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(3)
		for t := 0; t < d; t++ {
			v := float64(rng.IntN(7)-3) + float64(labels[i]*(t%2))
			x32[i*d+t], x64[i*d+t] = float32(v), v
		}
	}
	return x32, x64, labels
}

// TestKNNMatchesReference uses small integer coordinates, so the float32
// scores are exact and the blocked search must match the reference
// prediction for prediction, ties included. The sizes cross the block
// boundaries.
func TestKNNMatchesReference(t *testing.T) {
	const n, m, d = knnTrainBlock + 300, knnTestBlock + 40, 3
	rng := rand.New(rand.NewPCG(1, 2))
	tr32, tr64, trLab := latticeData(rng, n, d)
	te32, te64, _ := latticeData(rng, m, d)
	train, _ := tensor.FromSlice(tr32, n, d)
	test, _ := tensor.FromSlice(te32, m, d)
	for _, k := range []int{1, 4, 7} {
		got, err := KNNClassify(train, trLab, test, k, MetricEuclidean)
		require.NoError(t, err)
		want := referenceKNN(tr64, trLab, te64, d, k, MetricEuclidean)
		assert.Equal(t, want, got, "k = %d", k)
	}
}

func TestKNNCosine(t *testing.T) {
	const n, m, d = 700, 300, 4
	rng := rand.New(rand.NewPCG(3, 4))
	gen := func(rows int) ([]float32, []float64, []int) {
		x32 := make([]float32, rows*d)
		x64 := make([]float64, rows*d)
		labels := make([]int, rows)
		for i := range labels {
			labels[i] = rng.IntN(4)
			for t := 0; t < d; t++ {
				v := rng.NormFloat64()
				if t == labels[i] {
					v += 2
				}
				x32[i*d+t] = float32(v)
				x64[i*d+t] = float64(x32[i*d+t])
			}
		}
		return x32, x64, labels
	}
	tr32, tr64, trLab := gen(n)
	te32, te64, teLab := gen(m)
	train, _ := tensor.FromSlice(tr32, n, d)
	test, _ := tensor.FromSlice(te32, m, d)
	got, err := KNNClassify(train, trLab, test, 5, MetricCosine)
	require.NoError(t, err)
	want := referenceKNN(tr64, trLab, te64, d, 5, MetricCosine)
	// Rounding may swap two neighbors at almost equal angles, so allow one
	// disagreement in a hundred; the accuracy shows the classifier works.
	same := 0
	for i := range got {
		if got[i] == want[i] {
			same++
		}
	}
	assert.GreaterOrEqual(t, same, m*99/100)
	assert.Greater(t, Accuracy(got, teLab), 0.6)
}

func TestKNNInvalid(t *testing.T) {
	x := tensor.New(4, 2)
	labels := []int{0, 1, 0, 1}
	_, err := KNNClassify(x, labels, tensor.New(2, 3), 1, MetricEuclidean)
	assert.ErrorContains(t, err, "want n x 2")
	_, err = KNNClassify(x, labels, x, 5, MetricEuclidean)
	assert.ErrorContains(t, err, "k = 5")
	_, err = KNNClassify(x, labels, x, 1, "manhattan")
	assert.ErrorContains(t, err, "unknown metric")
	_, err = KNNClassify(x, []int{0, 1, -1, 0}, x, 1, MetricEuclidean)
	assert.ErrorContains(t, err, "negative")
	_, err = KNNClassify(x, labels[:3], x, 1, MetricEuclidean)
	assert.ErrorContains(t, err, "3 training labels for 4 rows")
}

// TestProbeBayesAccuracy fits two unit-variance Gaussian classes with means
// -1 and +1 on the first feature; the second feature is pure noise. The
// Bayes classifier's accuracy is Phi(1) = 0.8413, and a well-trained probe
// must come within sampling error of it.
func TestProbeBayesAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(n int) (*tensor.Tensor, []int) {
		x := tensor.New(n, 2)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = rng.IntN(2)
			x.Data[2*i] = float32(rng.NormFloat64() + float64(2*labels[i]-1) + 3)
			x.Data[2*i+1] = float32(5 * rng.NormFloat64())
		}
		return x, labels
	}
	xTrain, yTrain := gen(20000)
	xTest, yTest := gen(20000)
	p, err := TrainProbe(xTrain, yTrain, ProbeConfig{Epochs: 5})
	require.NoError(t, err)
	pred, err := p.Predict(xTest)
	require.NoError(t, err)
	// Standard error sqrt(0.84*0.16/20000) = 0.0026.
	assert.InDelta(t, 0.8413, Accuracy(pred, yTest), 0.012)
}

func TestProbeSeparable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, d, classes = 3000, 3, 5
	x := tensor.New(n, d)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
		angle := 2 * math.Pi * float64(labels[i]) / classes
		x.Data[i*d] = float32(10*math.Cos(angle) + 0.3*rng.NormFloat64())
		x.Data[i*d+1] = float32(10*math.Sin(angle) + 0.3*rng.NormFloat64())
		x.Data[i*d+2] = 7 // a constant feature must not break standardization
	}
	p, err := TrainProbe(x, labels, ProbeConfig{})
	require.NoError(t, err)
	pred, err := p.Predict(x)
	require.NoError(t, err)
	assert.Equal(t, 1.0, Accuracy(pred, labels))

	again, err := TrainProbe(x, labels, ProbeConfig{})
	require.NoError(t, err)
	assert.Equal(t, p.W, again.W, "same seed, same weights")

	_, err = p.Predict(tensor.New(3, 2))
	assert.ErrorContains(t, err, "want n x 3")
	_, err = TrainProbe(x, labels, ProbeConfig{LR: -1})
	assert.ErrorContains(t, err, "invalid")
}

// TestEvalThreadsAgree runs the probe and the neighbor search with one and
// with three goroutines: the weights and predictions must be identical.
func TestEvalThreadsAgree(t *testing.T) {
	defer nn.SetThreads(0)
	const n, m, d = 3000, 1200, 3
	rng := rand.New(rand.NewPCG(7, 8))
	tr32, _, trLab := latticeData(rng, n, d)
	te32, _, _ := latticeData(rng, m, d)
	train, _ := tensor.FromSlice(tr32, n, d)
	test, _ := tensor.FromSlice(te32, m, d)
	var probes [2]*Probe
	var preds [2][]int
	for i, threads := range []int{1, 3} {
		nn.SetThreads(threads)
		p, err := TrainProbe(train, trLab, ProbeConfig{Epochs: 2})
		require.NoError(t, err)
		probes[i] = p
		preds[i], err = KNNClassify(train, trLab, test, 5, MetricEuclidean)
		require.NoError(t, err)
	}
	assert.Equal(t, probes[0], probes[1])
	assert.Equal(t, preds[0], preds[1])
}

// Labels are class numbers, not indices. The probe and the kNN vote used
// to size their arrays by the largest label, so labels 7, 100 and 1000
// gave a probe of 1001 classes. With a label of 999999, the evaluation
// after training still ran after ten minutes. Sparse labels must give the
// predictions of dense ones, relabeled.
func TestProbeAndKNNSparseLabels(t *testing.T) {
	const n, m, d = 600, 200, 3
	rng := rand.New(rand.NewPCG(9, 10))
	tr32, _, trDense := latticeData(rng, n, d)
	te32, _, teDense := latticeData(rng, m, d)
	train, _ := tensor.FromSlice(tr32, n, d)
	test, _ := tensor.FromSlice(te32, m, d)
	sparseOf := []int{7, 100, 1000}
	relabel := func(dense []int) []int {
		out := make([]int, len(dense))
		for i, l := range dense {
			out[i] = sparseOf[l]
		}
		return out
	}
	trSparse, teSparse := relabel(trDense), relabel(teDense)

	dense, err := TrainProbe(train, trDense, ProbeConfig{})
	require.NoError(t, err)
	sparse, err := TrainProbe(train, trSparse, ProbeConfig{})
	require.NoError(t, err)
	assert.Equal(t, 3, sparse.Classes)
	assert.Equal(t, sparseOf, sparse.Labels)
	if assert.Len(t, sparse.W, len(dense.W)) {
		assert.Equal(t, dense.W, sparse.W, "the weights do not depend on the label values")
	}
	want, err := dense.Predict(test)
	require.NoError(t, err)
	got, err := sparse.Predict(test)
	require.NoError(t, err)
	assert.Equal(t, relabel(want), got, "probe")

	want, err = KNNClassify(train, trDense, test, 5, MetricEuclidean)
	require.NoError(t, err)
	got, err = KNNClassify(train, trSparse, test, 5, MetricEuclidean)
	require.NoError(t, err)
	assert.Equal(t, relabel(want), got, "kNN")

	probe, knn, err := ProbeAndKNN(train, trSparse, test, teSparse, 5, MetricEuclidean)
	require.NoError(t, err)
	probeDense, knnDense, err := ProbeAndKNN(train, trDense, test, teDense, 5, MetricEuclidean)
	require.NoError(t, err)
	assert.Equal(t, probeDense, probe)
	assert.Equal(t, knnDense, knn)

	// One label in training leaves the probe a second, unused class.
	singleLabel := make([]int, n)
	for i := range singleLabel {
		singleLabel[i] = 4
	}
	single, err := TrainProbe(train, singleLabel, ProbeConfig{})
	require.NoError(t, err)
	assert.Equal(t, 2, single.Classes)
	pred, err := single.Predict(test)
	require.NoError(t, err)
	for i, l := range pred {
		require.Equal(t, 4, l, "prediction %d", i)
	}
}
