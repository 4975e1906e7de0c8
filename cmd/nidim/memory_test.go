package main

import (
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --hidden 10000000 gives 10^14 weights. The allocation used to end
// train with "fatal error: out of memory" and a page of goroutine stacks;
// train and sweep now reject it before building anything. At 24 bytes
// per weight the model alone takes 2400 TB.
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
	assert.True(t, strings.HasPrefix(stderr, "nidim train: the mlp encoder for samples of shape [6] (--hidden 10000000, --dim 2) has at least 1e+14 weights, so training needs at least 2400.0 TB, more than the "), stderr)
	assert.True(t, strings.HasSuffix(stderr, " of memory here; use a smaller --hidden.\n"), stderr)
	assert.NoFileExists(t, model)

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--hidden", "10000000", "--dims", "2", "--sigmas", "1", "--out", filepath.Join(dir, "sw"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim sweep: run ni-dim/gaussian/d=2/level=1/seed=0: the mlp encoder for samples of shape [6] (--hidden 10000000, --dim 2) has at least 1e+14 weights")
	require.NoDirExists(t, filepath.Join(dir, "sw"))
}

// The symmetric InfoNCE loss stores B x B matrices. The reference recipe
// at --batch 100000 on 6 features, 200,000 training rows:
//
//	scores:      3 * 8 * 100000^2 = 240,000,000,000
//	layers:      4 * 200000 * (6*512 + 4*4) = 2,470,400,000
//	views etc.:  2*4*300000*6 + 4*5*100000*4 + 8*(6*100000*4 + 13*100000)
//	             = 52,000,000
//	weights:     (6*512 + 512*512 + 512*4) * 24 = 6,414,336
//	rows:        8 * 200,000 = 1,600,000
//	data:        4 * 250,000 * 6 = 6,000,000
//
// 242,536,414,336 bytes in all, more than 64 GB.
func TestHugeBatchRejected(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Loss, cfg.Batch, cfg.Dim = dim.BoundInfoNCE, 100_000, 4
	run := runSize{input: []int{6}, trainRows: 200_000, testRows: 50_000, dataBytes: 6e6}
	err := checkMemory(64e9, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the infonce loss with --batch 100000 keeps 100000 x 100000 score matrices, so training needs at least 242.5 GB, more than the 64.0 GB of memory here; use a smaller --batch, or --loss infonce-rows, which does not store them", err.Error())

	cfg.Loss = dim.BoundInfoNCERows
	assert.NoError(t, checkMemory(64e9, cfg, run), "infonce-rows computes the scores again where it needs them")
}

// The same through the command line: --batch 10^7 would take 2400 TB.
func TestHugeBatchRejectedByTrain(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	cfg := dim.DefaultConfig()
	cfg.Loss, cfg.Batch, cfg.Dim = dim.BoundInfoNCE, 10_000_000, 4
	err := checkModelMemory(cfg, runSize{input: []int{6}, trainRows: 10_000_000, testRows: 10, dataBytes: 4 * 6 * 10_000_010})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "the infonce loss with --batch 10000000 keeps 10000000 x 10000000 score matrices, so training needs at least 2400.3 TB, more than the "), err.Error())
}

// The check counted the weights only, so under a 200 MiB control group
// the default run on MNIST, 219 MB of data, passed it and was killed by
// the kernel without a message.
func TestMemoryCheckCountsData(t *testing.T) {
	cfg := dim.MatchingConfig()
	const mnist = 4 * 70000 * 784
	run := runSize{input: []int{1, 28, 28}, trainRows: 60000, testRows: 10000, dataBytes: mnist, embeddedRows: 70000}
	limit := float64(200 << 20)
	err := checkMemory(limit, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the training data takes 220 MB and the mlp encoder's training state at least 94 MB, together more than the 210 MB of memory here; train on fewer rows, or where more memory is free", err.Error())
	assert.NoError(t, checkMemory(4*limit, cfg, run))
	assert.NoError(t, checkMemory(0, cfg, run), "unknown memory")
}

// The check left out the activations, so under a control group's limit
// just above the data and the weights the kernel killed the run without
// a message. The default run on MNIST needs 313.8 MB by the bound (94.3
// MB of training state, dim.MinTrainingMemory, and 219.5 MB of data).
// Under a 330 MB limit it finished, and under 314 MB, just above the
// bound, it passed the check and the kernel killed it.
func TestMemoryCheckCountsActivations(t *testing.T) {
	cfg := dim.MatchingConfig()
	run := runSize{input: []int{1, 28, 28}, trainRows: 60000, testRows: 10000, dataBytes: 4 * 70000 * 784, embeddedRows: 70000}
	assert.NoError(t, checkMemory(313.8e6, cfg, run))
	err := checkMemory(313.7e6, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the training data takes 220 MB and the mlp encoder's training state at least 94 MB, together more than the 314 MB of memory here; train on fewer rows, or where more memory is free", err.Error())

	// The CNN at the match recipe's batch, 4096 rows of one input:
	//
	//	layers:      4 * 4096 * (96*14*14 + 192*7*7 + 768 + 4*4)
	//	             = 475,267,072
	//	views etc.:  25,690,112 + 327,680 + 1,212,416 (as for the MLP)
	//	weights:     (64*7*7*256 + 256*4) * 24 = 19,292,160
	//	rows:        480,000
	//
	// 502,497,280 bytes of activations, 522,269,440 of training state and
	// 741,789,440 with the data.
	cfg.Encoder = "cnn"
	err = checkMemory(500e6, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the cnn encoder for samples of shape [1 28 28] keeps at least 502 MB of layer outputs, gradients and input views for the 4096 rows of a step (--batch 4096, one input for both views), so training needs at least 742 MB, more than the 500 MB of memory here; use a smaller --batch or smaller images, or --encoder mlp", err.Error())

	// The MLP at --hidden 4096 and --batch 8192 on two views, 16,384 rows:
	//
	//	layers:      4 * 16384 * (6*4096 + 4*8) = 1,612,709,888
	//	views:       2 * 4 * (16384 + 8192) * 784 = 154,140,672
	//	embeddings:  4 * 5 * 8192 * 8 = 1,310,720
	//	objective:   8 * (6 * 8192 * 8 + 13 * 8192) = 3,997,696
	//	weights:     (784*4096 + 4096*4096 + 4096*8) * 24 = 480,509,952
	//	rows:        480,000
	//
	// 1,772,158,976 bytes of activations and 2,472,668,928 with the data.
	cfg = dim.DefaultConfig()
	cfg.Loss, cfg.Hidden, cfg.Batch = dim.BoundInfoNCERows, 4096, 8192
	err = checkMemory(2e9, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the mlp encoder (--hidden 4096) keeps at least 1.8 GB of layer outputs, gradients and input views for the 16384 rows of a step (both views of --batch 8192), so training needs at least 2.5 GB, more than the 2.0 GB of memory here; use a smaller --batch or --hidden", err.Error())
}

// A million rows embedded in 64 dimensions take 256 MB at the end, more
// than training a small MLP on them. The evaluation needs
//
//	embeddings:  4 * 64 * 1,000,000 = 256,000,000
//	model:       (20*64 + 64*64 + 64*64) * 16 = 151,552
//	gradients:   4 * 256 * (4*64 + 64) = 327,680
//	one chunk:   4 * 1000 * (2*64 + 64) = 768,000
//
// 257,247,232 bytes and 337,247,232 with the 80,000,000 of data. The
// recalibration needs 4 * 64 * 900,000 = 230,400,000 bytes for the
// outputs of the training rows besides the last three lines, 311,647,232
// with the data.
func TestMemoryCheckCountsEmbeddings(t *testing.T) {
	cfg := dim.MatchingConfig()
	cfg.Dim, cfg.Hidden, cfg.Batch = 64, 64, 256
	run := runSize{input: []int{20}, trainRows: 900_000, testRows: 100_000, dataBytes: 80e6, embeddedRows: 1_000_000, skipEval: "--no-eval"}

	err := checkMemory(300e6, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the training data takes 80 MB and the evaluation after training at least 257 MB (the model and the embeddings of 1000000 rows), together more than the 300 MB of memory here; train on fewer rows or where more memory is free, or pass --no-eval to skip the evaluation", err.Error())

	err = checkMemory(200e6, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the evaluation after training keeps the embeddings of 1000000 rows at --dim 64, so the run needs at least 337 MB, more than the 200 MB of memory here; use a smaller --dim or fewer rows, or pass --no-eval to skip the evaluation", err.Error())

	run.skipEval = ""
	err = checkMemory(200e6, cfg, run)
	require.Error(t, err)
	assert.True(t, strings.HasSuffix(err.Error(), "; use a smaller --dim or fewer rows"), "sweep has no --no-eval: %s", err)

	run.embeddedRows = 0
	err = checkMemory(200e6, cfg, run)
	require.Error(t, err)
	assert.Equal(t, "the recalibration after training keeps the outputs of all 900000 training rows at --dim 64, so the run needs at least 312 MB, more than the 200 MB of memory here; use a smaller --dim or fewer rows, or --no-recalibrate", err.Error())

	cfg.NoRecalibrate = true
	assert.NoError(t, checkMemory(200e6, cfg, run), "without the evaluation and the recalibration")
}

// The evaluation keeps the test embeddings, and the training embeddings
// too when both splits have labels for the classifiers.
func TestSizeOfEmbeddedRows(t *testing.T) {
	train := &dim.Dataset{X: tensor.New(30, 2), Shape: []int{2}, Labels: make([]int, 30)}
	test := &dim.Dataset{X: tensor.New(10, 2), Shape: []int{2}, Labels: make([]int, 10)}
	r := sizeOf(train, test, true, "--no-eval")
	assert.Equal(t, runSize{input: []int{2}, trainRows: 30, testRows: 10, dataBytes: 320, embeddedRows: 40, skipEval: "--no-eval"}, r)
	assert.Equal(t, 0, sizeOf(train, test, false, "--no-eval").embeddedRows)
	test.Labels = nil
	assert.Equal(t, 10, sizeOf(train, test, true, "").embeddedRows)
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
// not change its size. On images of 40000 x 40000 its stored activations
// (127.8 TB at batch 256) outweigh its weights (39 TB).
func TestHugeCNNNamesImages(t *testing.T) {
	if physicalMemory() == 0 {
		t.Skip("this system does not report its memory")
	}
	cfg := dim.DefaultConfig()
	cfg.Encoder = "cnn"
	err := checkModelMemory(cfg, runSize{input: []int{1, 40000, 40000}, trainRows: 1, testRows: 1})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "the cnn encoder for samples of shape [1 40000 40000] keeps at least 127.8 TB of layer outputs, gradients and input views for the 512 rows of a step (both views of --batch 256), so training needs at least 167.1 TB"), err.Error())
	assert.True(t, strings.HasSuffix(err.Error(), "; use a smaller --batch or smaller images, or --encoder mlp"), err.Error())

	// At batch 2 the weights take the most.
	cfg.Batch = 2
	err = checkModelMemory(cfg, runSize{input: []int{1, 40000, 40000}, trainRows: 1, testRows: 1})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "the cnn encoder for samples of shape [1 40000 40000] has at least 1.64e+12 weights"), err.Error())
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

// The check's bound leaves out the Go runtime and garbage, so a run just
// under the memory here passed it and was killed without a message (a
// 240 MB control group, 239 MB by the bound). Such a run now gets a note
// and still trains. The default run on MNIST needs 313.80 MB by the bound.
// defaultMNISTRun returns the settings and size of the default run on
// MNIST, which needs 313.80 MB by the bound with its data.
func defaultMNISTRun() (dim.Config, runSize) {
	return dim.MatchingConfig(), runSize{input: []int{1, 28, 28}, trainRows: 60000, testRows: 10000,
		dataBytes: 4 * 70000 * 784, embeddedRows: 70000, skipEval: "--no-eval"}
}

// evalHeavyRun returns a run on 2,000,000 rows at --dim 64 whose
// evaluation keeps 558 MB of embeddings, more than the 556 MB of the
// recalibration, so that skipping the evaluation helps most.
func evalHeavyRun() (dim.Config, runSize) {
	cfg, run := defaultMNISTRun()
	cfg.Dim = 64
	run.trainRows, run.embeddedRows = 2_000_000, 2_010_000
	run.dataBytes = 4 * 8 * 2_010_000
	return cfg, run
}

func TestMemoryNoteWhenTight(t *testing.T) {
	cfg, run := defaultMNISTRun()
	assert.Equal(t, "this run needs at least 314 MB of the 400 MB of memory here, and the Go runtime and its garbage take more (runs have needed up to 1.5 times this bound), so the kernel may stop it without a message; to leave room, use a smaller --batch or fewer rows",
		memoryNote(400e6, cfg, run))
	assert.Empty(t, memoryNote(313.80e6/tightMemoryShare, cfg, run), "room to spare")
	assert.NotEmpty(t, memoryNote(313.79e6/tightMemoryShare, cfg, run))
	assert.Empty(t, memoryNote(300e6, cfg, run), "checkMemory rejects the run")
	assert.Empty(t, memoryNote(0, cfg, run), "unknown memory")

	// Skipping the evaluation helps most where its embeddings are the
	// largest part.
	cfg, run = evalHeavyRun()
	note := memoryNote(800e6, cfg, run)
	require.NotEmpty(t, note)
	assert.True(t, strings.HasSuffix(note, "; to leave room, use --no-eval or fewer rows"), note)
}

// train --resume skipped the memory check, so a checkpoint resumed on a
// machine with less memory than the run needs was killed by the kernel.
// Its settings are fixed, so the error advises more memory or
// --no-eval, not a smaller --batch.
func TestResumeMemoryError(t *testing.T) {
	cfg, run := defaultMNISTRun()
	assert.NoError(t, resumeMemoryError(400e6, cfg, run, "m.safetensors"))
	assert.NoError(t, resumeMemoryError(0, cfg, run, "m.safetensors"), "unknown memory")
	err := resumeMemoryError(300e6, cfg, run, "m.safetensors")
	require.Error(t, err)
	assert.Equal(t, "resuming m.safetensors needs at least 314 MB with its data, more than the 300 MB of memory here, and its settings cannot change; resume it where more memory is free", err.Error())

	// Skipping the evaluation helps most where its embeddings are the
	// largest part.
	cfg, run = evalHeavyRun()
	err = resumeMemoryError(500e6, cfg, run, "m.safetensors")
	require.Error(t, err)
	assert.True(t, strings.HasSuffix(err.Error(), "; resume it where more memory is free, or pass --no-eval to skip the evaluation"), err.Error())
}

// A resumed run close to the memory here got the note of a new run,
// which advised a smaller --batch or fewer rows. --batch cannot be set
// with --resume and the rows must be the checkpoint's, so the note
// names --no-eval and more free memory instead.
func TestResumeMemoryNote(t *testing.T) {
	cfg, run := defaultMNISTRun()
	assert.Equal(t, "this run needs at least 314 MB of the 400 MB of memory here, and the Go runtime and its garbage take more (runs have needed up to 1.5 times this bound), so the kernel may stop it without a message; to leave room, resume it where more memory is free",
		resumeMemoryNote(400e6, cfg, run))
	assert.Empty(t, resumeMemoryNote(313.80e6/tightMemoryShare, cfg, run), "room to spare")
	assert.Empty(t, resumeMemoryNote(300e6, cfg, run), "resumeMemoryError rejects the run")
	assert.Empty(t, resumeMemoryNote(0, cfg, run), "unknown memory")

	// Skipping the evaluation helps most where its embeddings are the
	// largest part.
	cfg, run = evalHeavyRun()
	note := resumeMemoryNote(800e6, cfg, run)
	assert.True(t, strings.HasSuffix(note, "; to leave room, pass --no-eval, or resume it where more memory is free"), note)
}

// The kNN score of the default MNIST model (784-512-512-4) with the
// 60,000 training digits as the reference and the 10,000 test digits as
// the calibration set, on two threads, for requests of up to 1024 rows:
//
//	data:        4 * 70,000 * 784 = 219,520,000
//	model:       8 * 665,600 weights and gradients = 5,324,800, and
//	             4 * 1000 * (512 + 512 + 4) layer outputs = 4,112,000
//	reference:   4 * 60,000 * 4 + 4 * 60,000 = 1,200,000
//	calibration: 4 * 10,000 * 4 + 8 * 10,000 = 240,000
//	search:      two goroutines with 512 x 2048 scores and 12 * 512 * 5
//	             bytes of the best neighbors each, and the 10,000
//	             calibration distances, 2 * 4,225,024 + 80,000 = 8,530,048
//
// together 238,926,848 bytes.
func TestKNNMemoryCheck(t *testing.T) {
	setThreads(2)
	t.Cleanup(func() { setThreads(0) })
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 4, 512
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	require.NoError(t, err)
	run := knnRun{dataBytes: 4 * 70000 * 784, refRows: 60000, calRows: 10000, queryRows: 1024, k: 5, metric: dim.MetricEuclidean,
		command: "nidim serve", advice: "use --method norm"}
	need, knn := knnMemoryNeed(m, run)
	assert.Equal(t, 238926848.0, need)
	assert.Equal(t, dim.KNNMemory{Reference: 1200000, Calibration: 240000, Search: 8530048}, knn)

	note, err := knnMemoryCheck(200e6, m, run)
	assert.Empty(t, note)
	assert.EqualError(t, err, "nidim serve with the kNN outlier score needs at least 239 MB, more than the 200 MB of memory here: 220 MB for the data, and 10 MB for the embeddings of the 60000 reference and 10000 calibration rows and the buffers of the neighbor search; use --method norm")

	note, err = knnMemoryCheck(300e6, m, run)
	require.NoError(t, err)
	assert.Equal(t, "this run needs at least 239 MB of the 300 MB of memory here, and the Go runtime and its garbage take more (runs have needed up to 1.5 times this bound), so the kernel may stop it without a message; to leave room, use --method norm", note)

	for _, total := range []float64{need / tightMemoryShare, 0} {
		note, err = knnMemoryCheck(total, m, run)
		assert.NoError(t, err, "total %v", total)
		assert.Empty(t, note, "total %v", total)
	}

	// nidim eval counts the reference embeddings with its data.
	run.embeddingsCounted = true
	counted, _ := knnMemoryNeed(m, run)
	assert.Equal(t, need-4*60000*4, counted)
	_, err = knnMemoryCheck(200e6, m, run)
	assert.ErrorContains(t, err, ": 220 MB for the data and the embeddings of both splits, and ")
}

// The kNN startup on MNIST-style data holds one chunk of 1000 images
// and its embeddings, the 64 KiB decoding buffer and the labels of the
// training split as float32 and int:
//
//	4 * 1000 * 784 + 4 * 1000 * 4 + 65,536 + 12 * 60,000 = 3,937,536
//
// in place of the 219,520,000 bytes of both splits.
func TestKNNMemoryCheckChunked(t *testing.T) {
	setThreads(2)
	t.Cleanup(func() { setThreads(0) })
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 4, 512
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	require.NoError(t, err)
	data := chunkedKNNDataBytes(60000, 784, 4)
	assert.Equal(t, 3937536.0, data)
	run := knnRun{dataBytes: data, dataText: "a chunk of images and the labels of a split", refRows: 60000, calRows: 10000, queryRows: 1024, k: 5, metric: dim.MetricEuclidean,
		command: "nidim serve", advice: "use --method norm"}
	need, _ := knnMemoryNeed(m, run)
	assert.Equal(t, 238926848.0-219520000+3937536, need)
	_, err = knnMemoryCheck(20e6, m, run)
	assert.EqualError(t, err, "nidim serve with the kNN outlier score needs at least 23 MB, more than the 20 MB of memory here: 4 MB for a chunk of images and the labels of a split, and 10 MB for the embeddings of the 60000 reference and 10000 calibration rows and the buffers of the neighbor search; use --method norm")
	// A split smaller than a chunk is held whole.
	assert.Equal(t, 4*500*784+4*500*4+65536+12*500.0, chunkedKNNDataBytes(500, 784, 4))
}
