package dim

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepGridRunsAndKeys(t *testing.T) {
	base := DefaultConfig()
	runs := SweepGrid(base, []string{"gaussian", "uniform"}, []int{2, 4}, []float64{0, 0.5, 1}, []uint64{7}, true)
	// Per prior and dimension: three levels, of which 0 is the no-noise
	// run, plus the runs without normalization and, for the Gaussian prior
	// only, with the penalty.
	require.Len(t, runs, 2*5+2*4)
	keys := map[string]bool{}
	kinds := map[string]int{}
	for _, r := range runs {
		require.NoError(t, r.Config.Validate(), r.Key())
		assert.False(t, keys[r.Key()], "duplicate key %s", r.Key())
		keys[r.Key()] = true
		kinds[r.Kind]++
		assert.Equal(t, uint64(7), r.Config.Seed)
		switch r.Kind {
		case KindNoise:
			assert.Equal(t, 2, r.Config.NoiseViews)
			assert.Empty(t, r.Config.Penalty)
		case KindNoNoise:
			assert.Equal(t, 0, r.Config.NoiseViews)
		case KindNoNormalize:
			assert.True(t, r.Config.NoNormalize)
			assert.Equal(t, 0, r.Config.NoiseViews)
		case KindPenalty:
			assert.Equal(t, PenaltyEppsPulley, r.Config.Penalty)
			assert.Equal(t, 16, r.Config.PenaltyDirections)
		}
	}
	assert.Equal(t, map[string]int{KindNoise: 8, KindNoNoise: 4, KindNoNormalize: 4, KindPenalty: 2}, kinds)
	uniform := runs[len(runs)-3]
	assert.Equal(t, "ni-dim/uniform/d=4/level=0.5/seed=7", uniform.Key())
	assert.Equal(t, 0.5, uniform.Config.Eps)
}

func TestNoNoiseRunStartsFromTiedTau(t *testing.T) {
	c := DefaultConfig()
	c.NoiseViews = 0
	c.Sigma = 0.3
	require.NoError(t, c.Validate())
	assert.InDelta(t, 2*0.09, c.InitialTau(), 1e-12)
	c.NoiseViews = 3
	assert.ErrorContains(t, c.Validate(), "noise views 3")
}

func TestNormalizeOffIsIdentity(t *testing.T) {
	l, err := NewNormalize(2, false)
	require.NoError(t, err)
	l.Off = true
	x, err := tensor.FromSlice([]float32{1, 5, 3, -2, 8, 0}, 3, 2)
	require.NoError(t, err)
	y, err := l.Forward(x, true)
	require.NoError(t, err)
	assert.Equal(t, x.Data, y.Data)
	dy, err := tensor.FromSlice([]float32{0.5, -1, 2, 3, 0, 1}, 3, 2)
	require.NoError(t, err)
	dx, err := l.Backward(dy)
	require.NoError(t, err)
	assert.Equal(t, dy.Data, dx.Data)
	// The running mean still follows the batches: 0.1 of the batch mean 4.
	assert.InDelta(t, 0.4, float64(l.RunningMean.Value.Data[0]), 1e-6)
	assert.False(t, math.IsNaN(float64(l.RunningVar.Value.Data[1])))
}

// The CSV keeps runs in the order they finished, so a sweep extended by
// another sigma interleaved its Markdown table. The table now groups by
// kind and prior and sorts by dimension, level and seed.
func TestSweepMarkdownSortsRuns(t *testing.T) {
	record := func(kind, prior, d, level, seed string) []string {
		rec := make([]string, len(SweepColumns))
		for i, name := range SweepColumns {
			switch name {
			case "kind":
				rec[i] = kind
			case "prior":
				rec[i] = prior
			case "dim":
				rec[i] = d
			case "level":
				rec[i] = level
			case "seed":
				rec[i] = seed
			default:
				rec[i] = "0"
			}
		}
		return rec
	}
	records := [][]string{
		record(KindNoise, "gaussian", "8", "0.5", "0"),
		record(KindNoise, "gaussian", "4", "1", "0"),
		record(KindNoise, "uniform", "4", "0.1", "0"),
		record(KindNoise, "gaussian", "4", "0.5", "1"),
		record(KindNoise, "gaussian", "4", "0.5", "0"),
	}
	var b strings.Builder
	require.NoError(t, WriteSweepMarkdown(&b, records, 0))
	var order []string
	for _, line := range strings.Split(b.String(), "\n")[2:] {
		if f := strings.Split(line, "|"); len(f) > 6 {
			order = append(order, strings.Join([]string{strings.TrimSpace(f[2]), strings.TrimSpace(f[3]), strings.TrimSpace(f[4]), strings.TrimSpace(f[5])}, " "))
		}
	}
	assert.Equal(t, []string{
		"gaussian 4 0.5 0", "gaussian 4 0.5 1", "gaussian 4 1 0", "gaussian 8 0.5 0", "uniform 4 0.1 0",
	}, order)
	assert.Equal(t, "8", records[0][slices.Index(SweepColumns, "dim")], "the caller's records keep their order")
}

// sweep.md showed level 0 for the runs without channel noise, where their
// keys and the progress on stderr show "-". The CSV keeps the 0.
func TestSweepMarkdownLevelWithoutNoise(t *testing.T) {
	record := func(kind, level, weight string) []string {
		rec := make([]string, len(SweepColumns))
		for i := range rec {
			rec[i] = "1"
		}
		rec[slices.Index(SweepColumns, "kind")] = kind
		rec[slices.Index(SweepColumns, "level")] = level
		rec[slices.Index(SweepColumns, "penalty_weight")] = weight
		return rec
	}
	records := [][]string{
		record(KindNoise, "0.5", "0"),
		record(KindNoNoise, "0", "0"),
		record(KindNoNormalize, "0", "0"),
		record(KindPenalty, "0", "30"),
	}
	var b strings.Builder
	require.NoError(t, WriteSweepMarkdown(&b, records, 0))
	levels := map[string]string{}
	for _, line := range strings.Split(b.String(), "\n")[2:] {
		if f := strings.Split(line, "|"); len(f) > 6 {
			levels[strings.TrimSpace(f[1])] = strings.TrimSpace(f[4])
		}
	}
	assert.Equal(t, map[string]string{
		KindNoise: "0.5", KindNoNoise: "-", KindNoNormalize: "-", KindPenalty: "weight 30",
	}, levels)
	assert.Equal(t, "0", records[1][slices.Index(SweepColumns, "level")], "the caller's record keeps its level")
}

// RunSweep classifies by opts.Metric. Its kNN accuracy is that of
// ProbeAndKNN with the metric on the embeddings of the model that Train
// makes for the same run, which training reproduces bit for bit.
func TestRunSweepUsesKNNMetric(t *testing.T) {
	all := vectorData(500)
	const nTrain, f = 400, 16
	train := &Dataset{X: &tensor.Tensor{Shape: []int{nTrain, f}, Data: all.X.Data[:nTrain*f]}, Shape: all.Shape, Labels: all.Labels[:nTrain]}
	test := &Dataset{X: &tensor.Tensor{Shape: []int{500 - nTrain, f}, Data: all.X.Data[nTrain*f:]}, Shape: all.Shape, Labels: all.Labels[nTrain:]}
	cfg := tinyConfig()
	cfg.Epochs = 1
	ctx := context.Background()

	m, _, err := Train(ctx, cfg, train, nil)
	require.NoError(t, err)
	zTrain, err := m.Encode(train.X, 1000)
	require.NoError(t, err)
	zTest, err := m.Encode(test.X, 1000)
	require.NoError(t, err)
	want := map[Metric]float64{}
	for _, metric := range []Metric{MetricEuclidean, MetricCosine} {
		_, want[metric], err = ProbeAndKNN(zTrain, train.Labels, zTest, test.Labels, 5, metric)
		require.NoError(t, err)
	}
	require.NotEqual(t, want[MetricEuclidean], want[MetricCosine], "the data must tell the metrics apart")

	for _, metric := range []Metric{MetricEuclidean, MetricCosine, ""} {
		row, err := RunSweep(ctx, SweepRun{Kind: KindNoise, Config: cfg}, train, test, SweepOptions{EvalSamples: 50, Metric: metric}, nil)
		require.NoError(t, err)
		expected := want[metric]
		if metric == "" {
			expected = want[MetricEuclidean] // the default
		}
		assert.Equal(t, expected, row.KNN, "metric %q", metric)
	}
}
