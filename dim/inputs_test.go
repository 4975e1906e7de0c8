package dim

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRangeOf(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	assert.Equal(t, ValueRange{-2, 7}, RangeOf([]float32{3, nan, -2, inf, 7, -inf}))
	assert.Equal(t, ValueRange{4, 4}, RangeOf([]float32{4}))
	assert.Equal(t, ValueRange{}, RangeOf(nil))
	assert.Equal(t, ValueRange{}, RangeOf([]float32{nan, inf}))
	assert.Equal(t, "[-0.5, 255]", ValueRange{-0.5, 255}.String())

	// Percentiles leave an outlier out.
	values := make([]float32, 20001)
	for i := range 20000 {
		values[i] = float32(i) / 20000
	}
	values[20000] = 1e6
	r := RangeOf(values)
	assert.InDelta(t, 0.01, r.Min, 0.004)
	assert.InDelta(t, 0.99, r.Max, 0.004)
	assert.Equal(t, r, RangeOf(values), "the sample has a fixed seed")

	// Data that is mostly one value gets its whole range instead.
	sparse := make([]float32, 30000)
	sparse[5], sparse[7] = -2, 3
	assert.Equal(t, ValueRange{-2, 3}, RangeOf(sparse))
}

func TestParseValueRange(t *testing.T) {
	r, err := parseValueRange("-1.5,3e+02")
	require.NoError(t, err)
	assert.Equal(t, ValueRange{-1.5, 300}, r)
	for _, bad := range []string{"", "1", "2,1", "a,1", "0,Inf", "NaN,1", "0,1e40"} {
		_, err := parseValueRange(bad)
		assert.Error(t, err, bad)
	}
}

func TestScaleMismatch(t *testing.T) {
	m := &Model{}
	assert.False(t, m.ScaleMismatch(ValueRange{0, 255}, 1000), "a model without a training range")
	m.Inputs = &ValueRange{0, 1}
	for _, c := range []struct {
		r     ValueRange
		n     int
		other bool
	}{
		{ValueRange{0, 1}, 1000, false},
		{ValueRange{0.2, 0.7}, 1000, false},
		{ValueRange{-3, 4}, 1000, false},       // 7 times wider: drift or outliers
		{ValueRange{0, 255}, 1000, true},       // raw pixels
		{ValueRange{0, 255}, 6, true},          // a few values can show a wider span
		{ValueRange{0, 1.0 / 255}, 1000, true}, // the reverse
		{ValueRange{0, 1.0 / 255}, 99, false},  // but too few values span little anyway
		{ValueRange{0.5, 0.6}, 1000, false},    // exactly a tenth
		{ValueRange{20, 21}, 1000, true},       // same span, 19 spans away
		{ValueRange{-12, -11.5}, 1000, true},   // 11 spans below
		{ValueRange{20, 20}, 1, true},          // one value far outside
		{ValueRange{3, 3}, 1000, false},        // constant data nearby has no span
	} {
		assert.Equal(t, c.other, m.ScaleMismatch(c.r, c.n), "%v of %d values", c.r, c.n)
	}
	m.Inputs = &ValueRange{2, 2}
	assert.False(t, m.ScaleMismatch(ValueRange{0, 255}, 1000), "constant training inputs")
}

// Training records the range of the raw inputs, before standardization,
// and the checkpoint keeps it.
func TestTrainRecordsInputRange(t *testing.T) {
	data := vectorData(128)
	want := RangeOf(data.X.Data)
	cfg := tinyConfig()
	cfg.Epochs = 1
	cfg.Standardize = true
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	require.NotNil(t, m.Standardization)
	require.NotNil(t, m.Inputs)
	assert.Equal(t, want, *m.Inputs)
	assert.Less(t, want.Min, float32(-3), "the raw values, not the standardized ones")

	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))
	back, err := LoadModel(path)
	require.NoError(t, err)
	require.NotNil(t, back.Inputs)
	assert.Equal(t, want, *back.Inputs)

	// A checkpoint without the range, as older nidim versions wrote it,
	// loads with none.
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	delete(c.Metadata, metaInputs)
	delete(c.Metadata, metaChecksum)
	old, err := modelFromCheckpoint(path, c)
	require.NoError(t, err)
	assert.Nil(t, old.Inputs)

	// A damaged range is an error, not a silent nil.
	c.Metadata[metaInputs] = "1,0"
	_, err = modelFromCheckpoint(path, c)
	assert.ErrorContains(t, err, "invalid input range metadata")
}
