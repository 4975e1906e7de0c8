package dim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The checkpoint stores ImageFit only when it is set, so a model of whole
// images keeps the bytes it had before the field existed, and LoadModel
// rejects a value that nidim does not write.
func TestCheckpointImageFit(t *testing.T) {
	dir := t.TempDir()
	save := func(name, fit string, input []int) string {
		cfg := DefaultConfig()
		cfg.Dim, cfg.Hidden = 2, 4
		m, err := NewModel(cfg, input)
		require.NoError(t, err)
		m.Config.ImageFit = fit // unchecked, as in a damaged file
		path := filepath.Join(dir, name)
		require.NoError(t, m.Save(path))
		return path
	}

	whole := save("whole.safetensors", "", []int{1, 4, 4})
	data, err := os.ReadFile(whole)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "image_fit")
	m, err := LoadModel(whole)
	require.NoError(t, err)
	assert.Equal(t, "", m.Config.ImageFit)

	crop := save("crop.safetensors", ImageFitCrop, []int{3, 4, 6})
	m, err = LoadModel(crop)
	require.NoError(t, err)
	assert.Equal(t, ImageFitCrop, m.Config.ImageFit)

	_, err = LoadModel(save("fill.safetensors", "fill", []int{1, 4, 4}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid image fit "fill"`)
	_, err = LoadModel(save("vectors.safetensors", ImageFitCrop, []int{16}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid image fit "crop" for input [16]`)

	cfg := DefaultConfig()
	cfg.ImageFit = "squeeze"
	require.Error(t, cfg.Validate())
}
