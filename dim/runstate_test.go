package dim

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testOptimizerState returns a zero Adam state for the parameters of m.
func testOptimizerState(t *testing.T, m *Model) *OptimizerState {
	t.Helper()
	opt, err := nn.NewAdam(m.Encoder.Net.Params(), 1e-3, 0.9, 0.999, 1e-8, 0, false)
	require.NoError(t, err)
	logTau := &nn.Param{Name: logTauName, Value: tensor.Full(float32(m.LogTau), 1), Grad: tensor.New(1)}
	tauOpt, err := nn.NewAdam([]*nn.Param{logTau}, 1e-3, 0.9, 0.999, 1e-8, 0, false)
	require.NoError(t, err)
	return &OptimizerState{Net: opt.State(), LogTau: tauOpt.State()}
}

// savedRunModel saves a model with optimizer state in the middle of its
// run and returns the file's path and bytes.
func savedRunModel(t *testing.T) (string, []byte, *Model) {
	t.Helper()
	m, err := NewModel(tinyConfig(), []int{12})
	require.NoError(t, err)
	m.Epoch, m.Step = 2, 5
	m.Data = "300 x [12] sha256:0123"
	m.Optimizer = testOptimizerState(t, m)
	m.Optimizer.Net.Steps, m.Optimizer.LogTau.Steps = 17, 17
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	return path, file, m
}

func TestReadRunStateMatchesLoadModel(t *testing.T) {
	path, _, _ := savedRunModel(t)
	loaded, err := LoadModel(path)
	require.NoError(t, err)

	s, err := ReadRunState(path)
	require.NoError(t, err)
	assert.Equal(t, loaded.RunState(), s)
	assert.Equal(t, 2, s.Epoch)
	assert.Equal(t, 5, s.Step)
	assert.Equal(t, 4, s.Config.Epochs)
	assert.Equal(t, "300 x [12] sha256:0123", s.Data)
	assert.False(t, s.Exported)
	assert.True(t, s.Unfinished())
}

// A file that LoadModel rejects, ReadRunState rejects with the same error.
func TestReadRunStateRejectsDamagedFile(t *testing.T) {
	path, file, _ := savedRunModel(t)
	dir := t.TempDir()
	flipped := append([]byte(nil), file...)
	flipped[len(flipped)-100] ^= 0x40 // a bit of the last tensor's values
	cases := map[string][]byte{
		"flipped value bit": flipped,
		"truncated":         file[:len(file)-3],
		"text file":         []byte("not a checkpoint\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			damaged := filepath.Join(dir, name+".safetensors")
			require.NoError(t, os.WriteFile(damaged, data, 0o644))
			_, loadErr := LoadModel(damaged)
			require.Error(t, loadErr)
			s, err := ReadRunState(damaged)
			assert.Nil(t, s)
			require.Error(t, err)
			assert.Equal(t, loadErr.Error(), err.Error())
		})
	}
	_, err := ReadRunState(path)
	assert.NoError(t, err, "the undamaged file")
}

func TestReadRunStateAllocatesLittle(t *testing.T) {
	cfg := tinyConfig()
	cfg.Hidden = 1024
	m, err := NewModel(cfg, []int{784})
	require.NoError(t, err)
	m.Optimizer = testOptimizerState(t, m)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(10<<20), "checkpoint size")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := ReadRunState(path)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, 0, s.Epoch)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated to read a %d-byte checkpoint", info.Size())
}
