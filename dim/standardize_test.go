package dim

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// standardizeData returns 200 rows of 5 features: four on different
// scales and offsets, and column 2 constant at 7.
func standardizeData() *Dataset {
	rng := tensor.NewRNG(11)
	const n, f = 200, 5
	x := tensor.New(n, f)
	for i := range n {
		row := x.Data[i*f : (i+1)*f]
		row[0] = float32(rng.NormFloat64())
		row[1] = float32(1000 + 50*rng.NormFloat64())
		row[2] = 7
		row[3] = float32(1e-3 * rng.NormFloat64())
		row[4] = float32(-20 + 3*rng.NormFloat64())
	}
	return &Dataset{X: x, Shape: []int{f}}
}

func standardizeConfig() Config {
	cfg := MatchingConfig()
	cfg.Dim, cfg.Hidden, cfg.Epochs, cfg.Batch, cfg.Threads = 2, 8, 2, 50, 1
	cfg.Standardize = true
	return cfg
}

func TestFitStandardizationConstantFeature(t *testing.T) {
	data := standardizeData()
	// Column 4 varies by about 1e-8 of its mean: float32 rounding, not
	// a spread worth dividing by.
	for i := range data.X.Shape[0] {
		data.X.Data[i*5+4] = float32(1e6 + 0.01*float64(i%2))
	}
	s, constant, err := FitStandardization(data.X)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 4}, constant)
	assert.Equal(t, float32(7), s.Mean[2])
	assert.Equal(t, float32(1), s.Scale[2])
	assert.Equal(t, float32(1), s.Scale[4])
	assert.InDelta(t, 50, s.Scale[1], 10)

	m := &Model{Standardization: s}
	z := m.standardized(data.X)
	for i, v := range z.Data {
		require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "value %d is %v", i, v)
	}
	assert.Equal(t, float32(0), z.Data[2], "a constant column is centred to 0")
}

func TestFitStandardizationLargeNearConstantFeature(t *testing.T) {
	// Unix times near 1.7e9 that vary by a few hundred seconds: float32
	// keeps steps of 128 there, so the column has a few distinct values
	// and a spread of about 2e-7 of its mean, which counts as constant.
	const n = 200
	x := tensor.New(n, 2)
	for i := range n {
		x.Data[i*2] = float32(i%7) - 3
		x.Data[i*2+1] = float32(1.7e9 + 128*float64(i%5))
	}
	s, constant, err := FitStandardization(x)
	require.NoError(t, err)
	require.Equal(t, []int{1}, constant)

	m := &Model{Standardization: s}
	z := m.standardized(x)
	largest := 0.0
	for i := range n {
		largest = math.Max(largest, math.Abs(float64(z.Data[i*2+1])))
	}
	// Centred without a scale, the column would reach the encoder as
	// values of a few hundred, beside features of spread 1.
	assert.Less(t, largest, 1e-3, "largest standardized value of the near-constant column")
}

func TestFitStandardizationRejectsBadInput(t *testing.T) {
	_, _, err := FitStandardization(tensor.New(0, 3))
	require.Error(t, err)
	x := tensor.New(2, 2)
	x.Data[3] = float32(math.Inf(1))
	_, _, err = FitStandardization(x)
	require.ErrorContains(t, err, "column 1")
}

func TestTrainStandardizedConstantFeature(t *testing.T) {
	data := standardizeData()
	m, _, err := Train(context.Background(), standardizeConfig(), data, nil)
	require.NoError(t, err)
	require.NotNil(t, m.Standardization)
	z, err := m.Embed(data.X, 64)
	require.NoError(t, err)
	for i, v := range z.Data {
		require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "embedding value %d is %v", i, v)
	}
}

func TestStandardizationImagesRejected(t *testing.T) {
	_, err := NewModel(standardizeConfig(), []int{1, 4, 4})
	require.ErrorContains(t, err, "feature vectors only")
}

func TestStandardizationCheckpointRoundTrip(t *testing.T) {
	data := standardizeData()
	m, _, err := Train(context.Background(), standardizeConfig(), data, nil)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))

	back, err := LoadModel(path)
	require.NoError(t, err)
	require.NotNil(t, back.Standardization)
	assert.Equal(t, m.Standardization, back.Standardization)
	want, err := m.Embed(data.X, 64)
	require.NoError(t, err)
	got, err := back.Embed(data.X, 64)
	require.NoError(t, err)
	assert.Equal(t, want.Data, got.Data)

	// The encoder alone, on raw rows, gives other embeddings, so the map
	// is really applied.
	raw, err := m.Encoder.Embed(data.X, 64)
	require.NoError(t, err)
	assert.NotEqual(t, want.Data, raw.Data)

	exported, err := ReadExport(path)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "x.safetensors")
	require.NoError(t, exported.Write(out))
	fromExport, err := LoadModel(out)
	require.NoError(t, err)
	assert.Equal(t, m.Standardization, fromExport.Standardization)
}

func TestStandardizationCheckpointMismatchRejected(t *testing.T) {
	data := standardizeData()
	m, _, err := Train(context.Background(), standardizeConfig(), data, nil)
	require.NoError(t, err)
	dir := t.TempDir()

	// A standardizing config without its statistics cannot be saved.
	noStats := *m
	noStats.Standardization = nil
	require.ErrorContains(t, noStats.Save(filepath.Join(dir, "a.safetensors")), "no statistics")

	// A file whose tensors went missing is rejected on loading, not
	// embedded without the map. Without the checksum the damage is
	// found by the check of the tensors themselves.
	path := filepath.Join(dir, "m.safetensors")
	require.NoError(t, m.Save(path))
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	delete(c.Tensors, standardizeScale)
	delete(c.Metadata, metaChecksum)
	_, err = modelFromCheckpoint(path, c)
	require.ErrorContains(t, err, standardizeScale)

	// Encode refuses a model configured to standardize without statistics.
	_, err = noStats.Encode(data.X, 64)
	require.ErrorContains(t, err, "no statistics")
}

func TestContinueReusesStoredStandardization(t *testing.T) {
	data := standardizeData()
	cfg := standardizeConfig()
	m, err := NewModel(cfg, data.Shape)
	require.NoError(t, err)
	s, _, err := FitStandardization(data.X)
	require.NoError(t, err)
	// Statistics that differ from the data's own: Continue must train
	// with these, not refit.
	for k := range s.Mean {
		s.Mean[k] += 1
		s.Scale[k] *= 2
	}
	stored := &Standardization{Mean: append([]float32(nil), s.Mean...), Scale: append([]float32(nil), s.Scale...)}
	m.Standardization = s
	m, _, err = Continue(context.Background(), m, data, nil)
	require.NoError(t, err)
	assert.Equal(t, stored, m.Standardization)
}
