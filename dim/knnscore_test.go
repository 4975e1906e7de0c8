package dim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clusterRows draws n rows of dimension d from equal-weight Gaussian
// clusters of standard deviation sd centred at centres[c] * e_0.
func clusterRows(n, d int, centres []float64, sd float64, seed uint64) *tensor.Tensor {
	x := tensor.New(n, d)
	rng := tensor.NewRNG(seed)
	for i := range n {
		c := centres[rng.IntN(len(centres))]
		for k := range d {
			v := sd * rng.NormFloat64()
			if k == 0 {
				v += c
			}
			x.Data[i*d+k] = float32(v)
		}
	}
	return x
}

func TestHalveRows(t *testing.T) {
	first, second := HalveRows(1003, 7)
	assert.Len(t, first, 501)
	assert.Len(t, second, 502)
	assert.True(t, slices.IsSorted(first))
	assert.True(t, slices.IsSorted(second))
	all := slices.Concat(first, second)
	slices.Sort(all)
	for i, r := range all {
		require.Equal(t, i, r, "the two halves must cover every row once")
	}

	first2, second2 := HalveRows(1003, 7)
	assert.Equal(t, first, first2)
	assert.Equal(t, second, second2)
	first3, _ := HalveRows(1003, 8)
	assert.NotEqual(t, first, first3, "another seed must give other halves")
}

func TestKNNDistancesMatchBruteForce(t *testing.T) {
	ref := randomRows(700, 6, 1)
	query := randomRows(90, 6, 2)
	for _, metric := range []Metric{MetricEuclidean, MetricCosine} {
		for _, k := range []int{1, 5, 20} {
			s := &KNNScorer{K: k, Metric: metric, Reference: ref}
			got, err := s.Distances(query)
			require.NoError(t, err)
			for i := range 90 {
				a := query.Data[i*6 : (i+1)*6]
				all := make([]float64, 700)
				for j := range all {
					all[j] = distance64(a, ref.Data[j*6:(j+1)*6], metric)
				}
				slices.Sort(all)
				assert.InDelta(t, all[k-1], got[i], 1e-9, "%s, k = %d, row %d", metric, k, i)
			}
		}
	}
}

// TestKNNDistancesOverflow checks a query whose float32 ranking scores
// all overflow to -Inf: the neighbors are then the first k reference
// rows, and the float64 distances stay finite.
func TestKNNDistancesOverflow(t *testing.T) {
	const d, k = 4, 5
	ref := tensor.New(50, d)
	for i := range ref.Data {
		ref.Data[i] = 0.1 * float32(i%7)
	}
	query := tensor.New(1, d)
	for i := range query.Data {
		query.Data[i] = -3e38
	}
	s := &KNNScorer{K: k, Metric: MetricEuclidean, Reference: ref}
	got, err := s.Distances(query)
	require.NoError(t, err)
	want := 0.0
	for j := range k {
		want = max(want, distance64(query.Data, ref.Data[j*d:(j+1)*d], MetricEuclidean))
	}
	assert.Equal(t, []float64{want}, got)
	assert.InDelta(t, 6e38, got[0], 1e32)

	labels := make([]int, 50)
	for i := range labels {
		labels[i] = i % 3
	}
	pred, err := KNNClassify(ref, labels, query, k, MetricEuclidean)
	require.NoError(t, err)
	// Rows 0 to 4 have labels 0, 1, 2, 0, 1: a tie between 0 and 1, which
	// goes to the first of them.
	assert.Equal(t, []int{0}, pred)
}

func TestKNNScorePValues(t *testing.T) {
	ref, err := tensor.FromSlice([]float32{0, 0}, 1, 2)
	require.NoError(t, err)
	s := &KNNScorer{K: 1, Metric: MetricEuclidean, Reference: ref, Calibration: []float64{1, 2, 3}}
	// Distances 0.5, 2, 2.5 and 4 from the single reference point.
	z, err := tensor.FromSlice([]float32{0.5, 0, 0, 2, 1.5, 2, 4, 0}, 4, 2)
	require.NoError(t, err)
	scores, p, err := s.Score(z)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0.5, 2, 2.5, 4}, scores, 1e-12)
	// (1 + #{calibration >= score}) / 4: a tie counts as at least as
	// extreme.
	assert.Equal(t, []float64{1, 0.75, 0.5, 0.25}, p)
}

// TestKNNConformalValid checks that the p-values hold for embeddings far
// from N(0, I), where the chi-square p-values of the norm score do not.
func TestKNNConformalValid(t *testing.T) {
	const d = 4
	centres := []float64{-3, 0, 3}
	train := clusterRows(18000, d, centres, 0.5, 1)
	calibration := clusterRows(2000, d, centres, 0.5, 2)
	test := clusterRows(10000, d, centres, 0.5, 3)
	s, err := NewKNNScorer(train, calibration, 5, MetricEuclidean)
	require.NoError(t, err)
	require.Len(t, s.Calibration, 2000)

	_, p, err := s.Score(test)
	require.NoError(t, err)
	// Given the calibration set, the share below alpha is about
	// Beta-distributed with sd sqrt(alpha (1 - alpha) / 2000), 0.0049 at
	// 0.05. The 10,000 test rows add a binomial sd of 0.0022, and the
	// tolerances are about 3.7 times the combined sd.
	t.Logf("shares of p-values at most 0.05 and 0.01: %.4f, %.4f", shareAtMost(p, 0.05), shareAtMost(p, 0.01))
	assert.InDelta(t, 0.05, shareAtMost(p, 0.05), 0.02)
	assert.InDelta(t, 0.01, shareAtMost(p, 0.01), 0.008)
	ks, err := stats.KolmogorovSmirnov(p, stats.Uniform{A: 0, B: 1}, stats.TwoSided)
	require.NoError(t, err)
	assert.Less(t, ks.Statistic, 0.03)

	_, normP, err := OutlierScores("gaussian", test.Data, 10000, d)
	require.NoError(t, err)
	assert.Greater(t, shareAtMost(normP, 0.05), 0.2, "the chi-square p-values of this mixture should be far from calibrated")
}

// TestKNNScoreFindsClassBetweenClasses checks the case the kNN score is
// for: a class near the centre, between two training classes, which the
// norm score ranks as more typical than the training classes.
func TestKNNScoreFindsClassBetweenClasses(t *testing.T) {
	train := clusterRows(5000, 3, []float64{-3, 3}, 0.5, 1)
	calibration := clusterRows(500, 3, []float64{-3, 3}, 0.5, 4)
	in := clusterRows(1000, 3, []float64{-3, 3}, 0.5, 2)
	unseen := clusterRows(300, 3, []float64{0}, 0.5, 3)
	s, err := NewKNNScorer(train, calibration, 5, MetricEuclidean)
	require.NoError(t, err)
	inScores, _, err := s.Score(in)
	require.NoError(t, err)
	outScores, outP, err := s.Score(unseen)
	require.NoError(t, err)
	auroc, err := stats.AUROC(inScores, outScores)
	require.NoError(t, err)
	assert.Greater(t, auroc, 0.99)
	assert.Greater(t, shareAtMost(outP, 0.01), 0.9)

	normIn, _, err := OutlierScores("gaussian", in.Data, 1000, 3)
	require.NoError(t, err)
	normOut, _, err := OutlierScores("gaussian", unseen.Data, 300, 3)
	require.NoError(t, err)
	normAUROC, err := stats.AUROC(normIn, normOut)
	require.NoError(t, err)
	assert.Less(t, normAUROC, 0.1)
}

func TestKNNScorerErrors(t *testing.T) {
	_, err := NewKNNScorer(randomRows(150, 2, 1), randomRows(18, 2, 2), 5, MetricEuclidean)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs at least 19 calibration embeddings, so that its p-values can reach 0.05, but there are 18")

	_, err = NewKNNScorer(randomRows(4, 2, 1), randomRows(20, 2, 2), 5, MetricEuclidean)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs at least 5 reference embeddings, but there are 4")

	_, err = NewKNNScorer(randomRows(200, 2, 1), randomRows(20, 2, 2), 5, "manhattan")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown metric "manhattan"`)

	_, err = NewKNNScorer(randomRows(200, 2, 1), randomRows(20, 3, 2), 5, MetricEuclidean)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "calibration embeddings: dim: test embeddings have shape [20 3], want n x 2")

	s, err := NewKNNScorer(randomRows(200, 2, 1), randomRows(20, 2, 2), 5, MetricEuclidean)
	require.NoError(t, err)
	_, _, err = s.Score(randomRows(3, 3, 2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want n x 2")

	z := randomRows(3, 2, 2)
	z.Data[5] = float32(math.NaN())
	_, _, err = s.Score(z)
	var rowErr *RowError
	require.True(t, errors.As(err, &rowErr))
	assert.Equal(t, 2, rowErr.Row)

	ref := randomRows(200, 2, 1)
	ref.Data[2*150+1] = float32(math.Inf(-1))
	_, err = NewKNNScorer(ref, randomRows(20, 2, 2), 5, MetricEuclidean)
	require.True(t, errors.As(err, &rowErr))
	assert.Equal(t, 150, rowErr.Row)
	assert.ErrorContains(t, err, "reference embedding 150 has the non-finite component 1 = -Inf")
}

func TestKNNScoreThreadsAgree(t *testing.T) {
	train := clusterRows(3000, 5, []float64{-2, 2}, 1, 1)
	test := clusterRows(1500, 5, []float64{0}, 1, 2)
	defer nn.SetThreads(0)
	var results [][]float64
	for _, threads := range []int{1, 3} {
		nn.SetThreads(threads)
		s, err := NewKNNScorer(train, test, 7, MetricEuclidean)
		require.NoError(t, err)
		scores, _, err := s.Score(test)
		require.NoError(t, err)
		results = append(results, scores)
	}
	assert.Equal(t, results[0], results[1])
}

func BenchmarkKNNScore(b *testing.B) {
	// The MNIST sizes: 10,000 test embeddings against the 54,000 of a
	// training split, at d = 16.
	const nRef, nTest, d = 54000, 10000, 16
	s := &KNNScorer{K: 5, Metric: MetricEuclidean, Reference: randomRows(nRef, d, 1), Calibration: []float64{1}}
	test := randomRows(nTest, d, 2)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Score(test); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(nRef)*float64(nTest)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkKNNScoreQuery times the queries of nidim serve --method knn:
// requests of 1 and 256 rows against the 60,000 MNIST training
// embeddings at d = 4, with the index that NewKNNScorer prepares.
func BenchmarkKNNScoreQuery(b *testing.B) {
	const nRef, d = 60000, 4
	s, err := NewKNNScorer(randomRows(nRef, d, 1), randomRows(MinKNNCalibration, d, 3), 5, MetricEuclidean)
	if err != nil {
		b.Fatal(err)
	}
	for _, rows := range []int{1, 256} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			query := randomRows(rows, d, 2)
			for b.Loop() {
				if _, _, err := s.Score(query); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/query")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// CalibrationTest rejects scores drawn like the calibration scores at
// about its level. The one-sample test of their p-values against U(0, 1)
// rejected about 30 % of such runs at 0.05, because the p-values share
// the calibration set.
func TestKNNCalibrationTestLevel(t *testing.T) {
	const runs, n = 200, 400
	rng := tensor.NewRNG(9)
	draw := func() []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	rejected := 0
	for range runs {
		calibration := draw()
		slices.Sort(calibration)
		s := &KNNScorer{Calibration: calibration}
		r, err := s.CalibrationTest(draw())
		require.NoError(t, err)
		if r.PValue <= 0.05 {
			rejected++
		}
	}
	// Binomial(200, 0.05) or less, as the test is conservative with
	// discrete statistics: mean 10, sd 3.1.
	t.Logf("%d of %d runs rejected at 0.05", rejected, runs)
	assert.LessOrEqual(t, rejected, 22)
	assert.GreaterOrEqual(t, rejected, 2)
}

// nidim serve scores the rows of each request on their own, so the
// distance of a row must not depend on the rows searched with it, nor on
// whether the scorer's prepared index or a new one searches.
func TestKNNDistancesIndependentOfQueryRows(t *testing.T) {
	// More reference rows than one block of the search, and more query
	// rows than one block of queries.
	ref := randomRows(knnTrainBlock+700, 4, 11)
	query := randomRows(knnTestBlock+90, 4, 12)
	for _, metric := range []Metric{MetricEuclidean, MetricCosine} {
		s, err := NewKNNScorer(ref, randomRows(MinKNNCalibration, 4, 13), 5, metric)
		require.NoError(t, err)
		require.NotNil(t, s.index)
		all, err := s.Distances(query)
		require.NoError(t, err)

		fresh := &KNNScorer{K: 5, Metric: metric, Reference: ref}
		again, err := fresh.Distances(query)
		require.NoError(t, err)
		assert.Equal(t, all, again, "%s: a scorer without the prepared index", metric)

		for _, rows := range [][]int{{0}, {knnTestBlock + 89}, {3, 600, 1, 45}} {
			part, err := s.Distances(SelectRows(query, rows))
			require.NoError(t, err)
			for i, r := range rows {
				assert.Equal(t, all[r], part[i], "%s: row %d searched with rows %v", metric, r, rows)
			}
		}

		// The thread count sets the block size of the query.
		for _, threads := range []int{1, 3, 7} {
			nn.SetThreads(threads)
			got, err := s.Distances(query)
			nn.SetThreads(0)
			require.NoError(t, err)
			assert.Equal(t, all, got, "%s on %d threads", metric, threads)
		}
	}
}

// One scorer serves concurrent queries, as nidim serve calls it from
// every request, with the results of queries made one at a time. Run
// with -race, the test also checks that the queries share no buffers.
func TestKNNScoreConcurrentQueries(t *testing.T) {
	ref := randomRows(knnTrainBlock+300, 4, 21)
	query := randomRows(700, 4, 22)
	defer nn.SetThreads(0)
	nn.SetThreads(2)
	for _, metric := range []Metric{MetricEuclidean, MetricCosine} {
		s, err := NewKNNScorer(ref, randomRows(MinKNNCalibration+10, 4, 23), 3, metric)
		require.NoError(t, err)
		wantScores, wantP, err := s.Score(query)
		require.NoError(t, err)

		// Queries of 1 row run on the caller alone, and larger ones on
		// the shared workers too.
		sizes := []int{1, 40, 700, 1, 300, 2}
		scores := make([][]float64, len(sizes))
		pValues := make([][]float64, len(sizes))
		errs := make([]error, len(sizes))
		var wg sync.WaitGroup
		for i, n := range sizes {
			lo := (i * 97) % (700 - n + 1)
			wg.Go(func() {
				scores[i], pValues[i], errs[i] = s.Score(SelectRows(query, rowRange(lo, lo+n)))
			})
		}
		wg.Wait()
		for i, n := range sizes {
			require.NoError(t, errs[i], "%s: query %d", metric, i)
			lo := (i * 97) % (700 - n + 1)
			assert.Equal(t, wantScores[lo:lo+n], scores[i], "%s: scores of query %d, rows %d to %d", metric, i, lo, lo+n)
			assert.Equal(t, wantP[lo:lo+n], pValues[i], "%s: p-values of query %d", metric, i)
		}
	}
}

// rowRange returns the row numbers lo, lo+1, ..., hi-1.
func rowRange(lo, hi int) []int {
	rows := make([]int, 0, hi-lo)
	for r := lo; r < hi; r++ {
		rows = append(rows, r)
	}
	return rows
}
