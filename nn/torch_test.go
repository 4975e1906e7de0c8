package nn

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckpointTorch saves a small network after a few training steps and
// has testdata/torch_check.py load it into the same PyTorch network and
// compare the inference output. It runs only with NIDIM_TORCH_CHECK=1,
// because it needs Python with numpy and torch.
func TestCheckpointTorch(t *testing.T) {
	if os.Getenv("NIDIM_TORCH_CHECK") != "1" {
		t.Skip("set NIDIM_TORCH_CHECK=1 to compare with PyTorch (needs python3 with numpy and torch)")
	}
	python := os.Getenv("NIDIM_PYTHON")
	if python == "" {
		python = "python3"
	}
	rng := newTestRNG(21)
	c1, _ := NewConv2d(2, 4, 3, 1, 1, rng)
	bn1, _ := NewBatchNorm2d(4, true)
	pool, _ := NewMaxPool2d(2, 2)
	c2, _ := NewConv2d(4, 3, 3, 2, 1, rng)
	lin, _ := NewLinear(12, 5, rng)
	bn2, _ := NewBatchNorm(5, false)
	model := NewSequential(c1, bn1, NewReLU(), pool, c2, NewTanh(), NewFlatten(), lin, bn2, NewSigmoid())
	for _, p := range model.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(0.1 * rng.NormFloat64())
		}
	}
	// Training steps move the running statistics away from 0 and 1.
	for range 3 {
		x := randomTensor(rng, 6, 2, 8, 8)
		_, err := model.Forward(x, true)
		require.NoError(t, err)
	}
	x := randomTensor(rng, 4, 2, 8, 8)
	y, err := model.Forward(x, false)
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, SaveCheckpoint(filepath.Join(dir, "model.safetensors"), Named(State(model)), map[string]string{"model": "torch-check"}))
	require.NoError(t, SaveCheckpoint(filepath.Join(dir, "io.safetensors"), []NamedTensor{{"input", x}, {"output", y}}, nil))
	out, err := exec.Command(python, filepath.Join("testdata", "torch_check.py"), dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "ok\n", string(out))
}
