package dim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportTinyModel trains tinyConfig for two epochs, saves it, exports the
// checkpoint and returns the trained model and both paths.
func exportTinyModel(t *testing.T) (m *Model, source, exported string) {
	t.Helper()
	cfg := tinyConfig()
	cfg.Epochs = 2
	m, _, err := Train(context.Background(), cfg, vectorData(256), nil)
	require.NoError(t, err)
	dir := t.TempDir()
	source, exported = filepath.Join(dir, "source.safetensors"), filepath.Join(dir, "exported.safetensors")
	require.NoError(t, m.Save(source))
	e, err := ReadExport(source)
	require.NoError(t, err)
	require.NotNil(t, e.Model.Optimizer, "ReadExport dropped the optimizer state of its Model")
	require.NoError(t, e.Write(exported))
	return m, source, exported
}

func TestExportKeepsModelDropsOptimizer(t *testing.T) {
	m, source, exported := exportTinyModel(t)

	back, err := LoadModel(exported)
	require.NoError(t, err)
	assert.Nil(t, back.Optimizer)
	assert.True(t, back.Exported)
	assert.Equal(t, m.Config, back.Config)
	assert.Equal(t, m.Epoch, back.Epoch)
	assert.Equal(t, m.Step, back.Step)
	assert.Equal(t, m.Calibrated, back.Calibrated)
	assert.Equal(t, m.Data, back.Data)
	assert.NotEmpty(t, back.Data, "the data fingerprint is missing")
	assert.Equal(t, math.Float64bits(float64(float32(m.LogTau))), math.Float64bits(back.LogTau))

	x := vectorData(64).X
	want, err := m.Embed(x, 16)
	require.NoError(t, err)
	got, err := back.Embed(x, 16)
	require.NoError(t, err)
	require.Equal(t, want.Shape, got.Shape)
	for i := range want.Data {
		require.Equal(t, math.Float32bits(want.Data[i]), math.Float32bits(got.Data[i]), "embedding value %d", i)
	}

	c, err := nn.LoadCheckpoint(exported)
	require.NoError(t, err)
	for name := range c.Tensors {
		assert.False(t, strings.HasPrefix(name, adamM) || strings.HasPrefix(name, adamV), "optimizer tensor %q was kept", name)
	}
	assert.NotContains(t, c.Metadata, metaAdamSteps)
	assert.NotContains(t, c.Metadata, metaLogTauAdamSteps)
	assert.Equal(t, "true", c.Metadata[metaExported])
	assert.Equal(t, checksum(c.Tensors, c.Metadata), c.Metadata[metaChecksum])

	sourceInfo, err := os.Stat(source)
	require.NoError(t, err)
	exportedInfo, err := os.Stat(exported)
	require.NoError(t, err)
	// Adam's two moments are the size of the parameters each.
	assert.Less(t, exportedInfo.Size()*2, sourceInfo.Size(), "exported %d bytes from %d", exportedInfo.Size(), sourceInfo.Size())
}

func TestContinueRejectsExportedModel(t *testing.T) {
	_, _, exported := exportTinyModel(t)
	back, err := LoadModel(exported)
	require.NoError(t, err)
	back.Config.Epochs = 3
	_, _, err = Continue(context.Background(), back, vectorData(256), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exported without its optimizer state")
	assert.Equal(t, 2, back.Epoch, "the rejected model was trained")

	// Save keeps the mark, so a copy of the model is rejected too.
	again := saveAndLoad(t, back)
	assert.True(t, again.Exported)
}

func TestExportedFileDamageRejected(t *testing.T) {
	_, _, exported := exportTinyModel(t)
	data, err := os.ReadFile(exported)
	require.NoError(t, err)

	flipped := filepath.Join(t.TempDir(), "flipped.safetensors")
	damaged := append([]byte(nil), data...)
	damaged[len(damaged)-10] ^= 0x01
	require.NoError(t, os.WriteFile(flipped, damaged, 0o644))
	_, err = LoadModel(flipped)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "do not match the SHA-256 that nidim stored")

	truncated := filepath.Join(t.TempDir(), "truncated.safetensors")
	require.NoError(t, os.WriteFile(truncated, data[:len(data)-100], 0o644))
	_, err = LoadModel(truncated)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the file is truncated")

	// Removing the mark to pass the file off as an old checkpoint breaks
	// the checksum.
	c, err := nn.LoadCheckpoint(exported)
	require.NoError(t, err)
	delete(c.Metadata, metaExported)
	var tensors []nn.NamedTensor
	for name, tensor := range c.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	unmarked := filepath.Join(t.TempDir(), "unmarked.safetensors")
	require.NoError(t, nn.SaveCheckpoint(unmarked, tensors, c.Metadata))
	_, err = LoadModel(unmarked)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "do not match the SHA-256 that nidim stored")
}
