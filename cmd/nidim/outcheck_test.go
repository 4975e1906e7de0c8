package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// saveLargeRun saves an unfinished run of a model with 784 inputs and
// 1024 hidden units, a checkpoint of 7.4 MB, and returns its path.
func saveLargeRun(t *testing.T) string {
	t.Helper()
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden, cfg.Epochs = 4, 1024, 5
	m, err := dim.NewModel(cfg, []int{784})
	require.NoError(t, err)
	m.Epoch, m.Step = 2, 7
	m.Data = "1000 x [784] sha256:00ff"
	path := filepath.Join(t.TempDir(), "run.safetensors")
	require.NoError(t, m.Save(path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(5<<20), "checkpoint size")
	return path
}

// allocatedBytes returns the bytes that run allocates on the heap.
func allocatedBytes(run func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The check for an unfinished run at --out read the whole checkpoint, so
// a 240 MB one held 458 MB of heap before training started. It reads the
// header and streams the values through the checksum.
func TestExistingCheckpointReadsHeaderOnly(t *testing.T) {
	path := saveLargeRun(t)
	info, err := os.Stat(path)
	require.NoError(t, err)

	var epoch, step, epochs int
	var data string
	allocated := allocatedBytes(func() {
		old, err := existingCheckpoint("--out", path, "training")
		require.NoError(t, err)
		require.NotNil(t, old)
		epoch, step, epochs, data = old.Epoch, old.Step, old.Config.Epochs, old.Data
	})
	assert.Equal(t, 2, epoch)
	assert.Equal(t, 7, step)
	assert.Equal(t, 5, epochs)
	assert.Equal(t, "1000 x [784] sha256:00ff", data)
	assert.Less(t, allocated, uint64(1<<20), "bytes allocated to check a %d-byte checkpoint", info.Size())

	// A changed value still makes the file one that training must not
	// replace.
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	file[len(file)-1000] ^= 1
	require.NoError(t, os.WriteFile(path, file, 0o644))
	_, err = existingCheckpoint("--out", path, "training")
	require.Error(t, err)
	assert.Equal(t, "--out "+path+" exists and is not a checkpoint that nidim can read, and training would replace it; choose another --out, or delete the file if you no longer need it", err.Error())
}

func TestTrainRejectsLargeUnfinishedOut(t *testing.T) {
	out := saveLargeRun(t)
	data, labels := writeClusters(t, t.TempDir())
	before, err := os.ReadFile(out)
	require.NoError(t, err)

	var code int
	var stdout, stderr string
	allocated := allocatedBytes(func() {
		code, stdout, stderr = runCmd("train", "--data", data, "--labels", labels, "--epochs", "1", "--out", out)
	})
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim train: --out "+out+" contains an unfinished run (2 epochs and 7 steps of 5 epochs); pass another --out or delete the file to start over, "+
		"or continue it, given the data it was trained on (1000 training rows of shape [784]), with:\n"+
		"  nidim train --resume "+out+" --data "+data+" --labels "+labels+"\n", stderr)
	assert.Less(t, allocated, uint64(4<<20), "bytes allocated before the rejection")
	after, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the rejected run changed --out")
}
