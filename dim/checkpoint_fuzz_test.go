package dim

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyCheckpoint saves an untrained model for 4 inputs, with hidden width
// 3, d = 2 and the training range [-1, 2], and returns its path and the
// checkpoint read back.
func tinyCheckpoint(tb testing.TB) (string, *nn.Checkpoint) {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Dim, cfg.Hidden = 2, 3
	m, err := NewModel(cfg, []int{4})
	require.NoError(tb, err)
	m.Inputs = &ValueRange{-1, 2}
	path := filepath.Join(tb.TempDir(), "m.safetensors")
	require.NoError(tb, m.Save(path))
	c, err := nn.LoadCheckpoint(path)
	require.NoError(tb, err)
	return path, c
}

// FuzzModelFromCheckpoint rebuilds a model from a small valid checkpoint
// whose config and metadata the fuzzer rewrites, without the checksum, as
// an older nidim wrote them. Every input must give a model or an error.
// A model must save and load again.
func FuzzModelFromCheckpoint(f *testing.F) {
	path, base := tinyCheckpoint(f)
	meta := base.Metadata
	f.Add(meta[metaConfig], meta[metaEpoch], meta[metaStep], meta[metaInputs])
	f.Add(`{"Dim":2,"Hidden":3,"Input":[2,2]}`, "0", "0", "0,0")
	f.Add(`{"Dim":-1}`, "-3", "x", "1,0")
	f.Add(`{"Encoder":"cnn","Dim":2,"Input":[1,4,4]}`, "1", "2", "NaN,1")
	// Configs that asked for 40 GB and more, and ran out of memory.
	f.Add(strings.Replace(meta[metaConfig], `"hidden":3`, `"hidden":100000`, 1), "0", "0", "0,1")
	f.Add(strings.Replace(meta[metaConfig], `"input":[4]`, `"input":[1,100000,100000]`, 1), "0", "0", "0,1")

	f.Fuzz(func(t *testing.T, config, epoch, step, inputs string) {
		c := &nn.Checkpoint{Tensors: base.Tensors, Metadata: maps.Clone(meta)}
		delete(c.Metadata, metaChecksum)
		c.Metadata[metaConfig], c.Metadata[metaEpoch], c.Metadata[metaStep], c.Metadata[metaInputs] = config, epoch, step, inputs
		got, err := modelFromCheckpoint(path, c)
		if err != nil {
			return
		}
		out := filepath.Join(t.TempDir(), "again.safetensors")
		if err := got.Save(out); err != nil {
			t.Fatalf("a loaded model does not save: %v", err)
		}
		if _, err := LoadModel(out); err != nil {
			t.Fatalf("a saved model does not load: %v", err)
		}
	})
}

// A config damaged to ask for 10^10 weights, with a checksum that matches
// it, made LoadModel run out of memory. It is now an error that names the
// sizes.
func TestLoadModelHugeConfig(t *testing.T) {
	path, c := tinyCheckpoint(t)
	c.Metadata[metaConfig] = strings.Replace(c.Metadata[metaConfig], `"hidden":3`, `"hidden":100000`, 1)
	c.Metadata[metaChecksum] = checksum(c.Tensors, c.Metadata)

	_, err := modelFromCheckpoint(path, c)
	assert.EqualError(t, err, "dim: "+path+": its config (mlp encoder, input [4], hidden 100000, dim 2) needs at least 10000600000 weights, but the file contains only 40 values, so it is damaged; restore it from a copy or train the model again")
}

// An invalid config is named once with the package prefix, not as
// "dim: PATH: dim: ...".
func TestLoadModelInvalidConfigPrefix(t *testing.T) {
	path, c := tinyCheckpoint(t)
	c.Metadata[metaConfig] = strings.Replace(c.Metadata[metaConfig], `"prior":"gaussian"`, `"prior":"cauchy"`, 1)
	delete(c.Metadata, metaChecksum)

	_, err := modelFromCheckpoint(path, c)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "dim: "+path+": unknown prior \"cauchy\""), err.Error())
}
