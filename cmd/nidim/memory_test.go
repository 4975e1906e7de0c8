package main

import (
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --hidden 10000000 gives 10^14 weights. The allocation used to end
// train with "fatal error: out of memory" and a page of goroutine stacks;
// train and sweep now reject it before building anything.
func TestHugeModelRejected(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "10000000", "--dim", "2", "--batch", "24", "--epochs", "1", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.True(t, strings.HasPrefix(stderr, "nidim train: the mlp encoder for samples of shape [6] (--hidden 10000000, --dim 2) has at least 1e+14 weights, so training needs at least 1600.0 TB, more than the "), stderr)
	assert.True(t, strings.HasSuffix(stderr, " of memory here; use a smaller --hidden.\n"), stderr)
	assert.NoFileExists(t, model)

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--hidden", "10000000", "--dims", "2", "--sigmas", "1", "--out", filepath.Join(dir, "sw"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim sweep: run ni-dim/gaussian/d=2/level=1/seed=0: the mlp encoder for samples of shape [6] (--hidden 10000000, --dim 2) has at least 1e+14 weights")
	require.NoDirExists(t, filepath.Join(dir, "sw"))
}

// The symmetric InfoNCE loss stores B x B matrices: --batch 10^7 would
// take 2400 TB.
func TestHugeBatchRejected(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	cfg := dim.DefaultConfig()
	cfg.Loss, cfg.Batch, cfg.Dim = dim.BoundInfoNCE, 10_000_000, 4
	err := checkModelMemory(cfg, []int{6}, 0)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "the infonce loss with --batch 10000000 keeps 10000000 x 10000000 score matrices, so training needs at least 2400.0 TB, more than the "), err.Error())
	assert.True(t, strings.HasSuffix(err.Error(), " of memory here; use a smaller --batch, or --loss infonce-rows, which does not store them"), err.Error())

	cfg.Loss = dim.BoundInfoNCERows
	assert.NoError(t, checkModelMemory(cfg, []int{6}, 0), "infonce-rows computes the scores again where it needs them")
}

// The check counted the weights only, so under a 200 MiB control group
// the default run on MNIST, 219 MB of data, passed it and was killed by
// the kernel without a message.
func TestMemoryCheckCountsData(t *testing.T) {
	cfg := dim.MatchingConfig()
	input := []int{1, 28, 28}
	state := dim.MinTrainingBytes(cfg, input)
	const mnist = 4 * 70000 * 784
	limit := float64(200 << 20)
	require.Less(t, state, limit, "the model alone fits")
	err := checkMemory(limit, cfg, input, mnist)
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("the training data takes 220 MB and the mlp encoder's training state at least %s, together more than the 210 MB of memory here; train on fewer rows, or where more memory is free", byteSize(state)), err.Error())
	assert.NoError(t, checkMemory(4*limit, cfg, input, mnist))
	assert.NoError(t, checkMemory(0, cfg, input, mnist), "unknown memory")
}

func TestByteSize(t *testing.T) {
	assert.Equal(t, "512 MB", byteSize(5.12e8))
	assert.Equal(t, "25.3 GB", byteSize(25.3e9))
	assert.Equal(t, "1600.0 TB", byteSize(1.6e15))
}

// sweep checked the memory of each run before it fitted the batch to the
// data, so a --batch above the training rows got the memory error and its
// advice, where nidim train reports the batch against the rows. Both now
// report the rows first.
func TestHugeBatchAboveRowsNamesRows(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	// The infonce loss stores B x B score matrices, 2400 TB at this batch.
	common := []string{"--data", data, "--labels", labels, "--loss", "infonce", "--batch", "10000000"}
	for _, args := range [][]string{
		{"train", "--dim", "2", "--epochs", "1", "--out", filepath.Join(dir, "m.safetensors")},
		{"sweep", "--dims", "2", "--sigmas", "1", "--out", filepath.Join(dir, "sw")},
	} {
		code, stdout, stderr := runCmd(append(args, common...)...)
		assert.Equal(t, exitUsage, code, args[0])
		assert.Empty(t, stdout, args[0])
		assert.Equal(t, "nidim "+args[0]+": --batch 10000000 is larger than the 216 training rows; use --batch 216 or less, or more data.\n", stderr)
	}
}

// The CNN's widths are fixed, so its message named a --hidden that does
// not change its size.
func TestHugeCNNNamesImages(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	cfg := dim.DefaultConfig()
	cfg.Encoder = "cnn"
	err := checkModelMemory(cfg, []int{1, 40000, 40000}, 0)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "the cnn encoder for samples of shape [1 40000 40000] has at least"), err.Error())
	assert.True(t, strings.HasSuffix(err.Error(), "; use smaller images or --encoder mlp"), err.Error())
}

// The Go runtime ignores a container's memory limit, so nidim lowers its
// own soft limit below it: otherwise "nidim train" on MNIST under a 400
// MiB limit grew its heap until the kernel killed it.
func TestSetMemoryLimitFromCgroup(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	const ram = 24 << 30

	got := setMemoryLimit("", ram, 400<<20)
	assert.Equal(t, int64(377487360), got, "90 %% of 400 MiB")
	assert.Equal(t, int64(377487360), debug.SetMemoryLimit(-1), "the runtime's limit")

	debug.SetMemoryLimit(before)
	assert.Zero(t, setMemoryLimit("1GiB", ram, 400<<20), "GOMEMLIMIT set")
	assert.Zero(t, setMemoryLimit("off", ram, 400<<20), "GOMEMLIMIT=off")
	assert.Zero(t, setMemoryLimit("", ram, 0), "no control group limit")
	assert.Zero(t, setMemoryLimit("", ram, 9223372036854771712), "a version 1 group without a limit")
	assert.Equal(t, before, debug.SetMemoryLimit(-1), "the runtime's limit stays")

	assert.Equal(t, int64(1932735283), setMemoryLimit("", 0, 2<<30), "RAM unknown")
}
