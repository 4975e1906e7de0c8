package dim

import (
	"context"
	"runtime"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default run of nidim train: the match recipe's MLP (784-512-512-4)
// on the 60,000 MNIST training digits, batch 4096, both views the clean
// input.
//
//	weights:     784*512 + 512*512 + 512*4 = 665,600, times 24 bytes
//	             = 15,974,400
//	layers:      per row 2*512 + 3*512 + (4 + 512) + 3*4 = 3,088 values,
//	             4 * 4096 * 3088 = 50,593,792
//	views:       two sets of 4096 x 784 float32, 25,690,112
//	embeddings:  noisy, gradient and sum, 4 * 5 * 4096 * 4 = 327,680
//	objective:   8 * (6 * 4096 * 4 + 13 * 4096) = 1,212,416
//	rows:        8 * 60,000 = 480,000
//
// Activations are 77,824,000 bytes and the step 94,278,400. After
// training the model keeps 16 bytes per weight, 10,649,600, and the
// layers keep 4 * 4096 * (4*512 + 4) = 33,619,968 bytes of gradients.
// The recalibration adds one chunk of 1000 rows of 2*512 + 4 outputs,
// 4,112,000, and the 4 * 4 * 60,000 = 960,000 bytes of outputs of all
// rows, 49,341,568 in all.
func TestMinTrainingMemoryMNIST(t *testing.T) {
	got := MinTrainingMemory(MatchingConfig(), []int{1, 28, 28}, 60000)
	assert.Equal(t, 15974400.0, got.Weights)
	assert.Zero(t, got.Scores, "infonce-rows stores no score matrices")
	assert.Equal(t, 77824000.0, got.Activations)
	assert.Equal(t, 480000.0, got.Rows)
	assert.Equal(t, 4096, got.StepRows)
	assert.Equal(t, 94278400.0, got.Step())

	assert.Equal(t, 10649600.0, got.Model)
	assert.Equal(t, 33619968.0, got.Retained)
	assert.Equal(t, 4112.0, got.InferenceRow)
	assert.Equal(t, 49341568.0, got.Recalibration)
	assert.Equal(t, 94278400.0, got.Peak())
}

// The reference recipe's CNN on MNIST at batch 256: shifted views, so the
// encoder runs on both, 512 rows, and the clean batch has its own buffer.
//
//	weights:     64*7*7*256 + 256*8 = 804,864, times 24 bytes = 19,316,736
//	scores:      3 * 8 * 256 * 256 = 1,572,864
//	layers:      per row 96*14*14 + 192*7*7 + 768 + 4*8 = 29,024 values,
//	             4 * 512 * 29024 = 59,441,152
//	views:       2 * 4 * (512 + 256) * 784 = 4,816,896
//	embeddings:  4 * 5 * 256 * 8 = 40,960
//	objective:   8 * (6 * 256 * 8 + 13 * 256) = 124,928
//	rows:        8 * 60,000 = 480,000
//
// Activations are 64,423,936 bytes and the step 85,793,536.
//
// The recalibration needs more. The model keeps 16 * 804,864 =
// 12,877,824 bytes, and the layers keep 4 * 512 * 9928 = 20,332,544 bytes
// of gradients: 32*14*14 + 256 + 64*7*7 + 256 + 8 = 9928 per row. An
// inference pass stores 2*32*14*14 + 2*64*7*7 + 256 + 8 = 19,080 values
// per row, 76,320,000 bytes for a chunk of 1000 rows, and the outputs of
// all rows take 4 * 8 * 60,000 = 1,920,000: 111,450,368 in all.
func TestMinTrainingMemoryCNN(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Encoder = "cnn"
	got := MinTrainingMemory(cfg, []int{1, 28, 28}, 60000)
	assert.Equal(t, 19316736.0, got.Weights)
	assert.Equal(t, 1572864.0, got.Scores)
	assert.Equal(t, 64423936.0, got.Activations)
	assert.Equal(t, 480000.0, got.Rows)
	assert.Equal(t, 512, got.StepRows)
	assert.Equal(t, 85793536.0, got.Step())

	assert.Equal(t, 12877824.0, got.Model)
	assert.Equal(t, 20332544.0, got.Retained)
	assert.Equal(t, 76320.0, got.InferenceRow)
	assert.Equal(t, 111450368.0, got.Recalibration)
	assert.Equal(t, 111450368.0, got.Peak())

	cfg.NoRecalibrate = true
	assert.Zero(t, MinTrainingMemory(cfg, []int{1, 28, 28}, 60000).Recalibration)
}

// Standardization keeps a float32 copy of the training rows, and a shared
// view runs the encoder once on an augmented batch beside the clean one.
func TestMinTrainingMemoryStandardizedSharedView(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Standardize, cfg.SharedView = true, true
	plain := MinTrainingMemory(DefaultConfig(), []int{10}, 1000)
	got := MinTrainingMemory(cfg, []int{10}, 1000)
	assert.Equal(t, 8*1000+4*1000*10.0, got.Rows)
	// The shared view also halves the gradients kept for recalibration:
	// 256 fewer rows of 4*512 + 8 values.
	assert.Equal(t, plain.Recalibration-4*256*(4*512+8)+4*1000*10.0, got.Recalibration, "the copy is recalibrated")
	assert.Equal(t, 256, got.StepRows)
	assert.Equal(t, 512, plain.StepRows)
	// 256 fewer rows of 6*512 + 4*8 layer values, and 256 fewer view rows
	// in each of the two sets.
	assert.Equal(t, 4*256*(6*512+4*8)+2*4*256*10.0, plain.Activations-got.Activations)
}

// The bounds are compared with the live heap at the moments they
// describe: the report at the end of the last epoch, just after Continue
// copied Adam's state, and the return of Train, after the recalibration
// ran on one chunk of rows. They must not exceed what Train holds
// there, and they should miss little of it.
func TestMinTrainingMemoryBelowHeap(t *testing.T) {
	mlp := DefaultConfig()
	mlp.Hidden, mlp.Batch, mlp.Epochs, mlp.Threads = 256, 256, 1, 1
	match := MatchingConfig()
	match.Hidden, match.Batch, match.Epochs, match.Threads = 256, 256, 1, 1
	cnn := mlp
	cnn.Encoder = "cnn"
	// The convolutions' weights, gradient partials and scratch, which the
	// bound leaves out, take about 3.4 MB at any batch, a sixth of the
	// CNN's heap here. Fewer rows keep the test short under emulation.
	for _, c := range []struct {
		name     string
		cfg      Config
		rows     int
		fraction float64
	}{{"mlp two views", mlp, 1000, 0.95}, {"mlp one input", match, 1000, 0.95}, {"cnn two views", cnn, 512, 0.8}} {
		t.Run(c.name, func(t *testing.T) {
			data := &Dataset{X: tensor.New(c.rows, 144), Shape: []int{1, 12, 12}}
			rng := tensor.NewRNG(3)
			for i := range data.X.Data {
				data.X.Data[i] = rng.Float32()
			}
			bound := MinTrainingMemory(c.cfg, data.Shape, c.rows)

			// A first run sizes the caches that outlive it, such as the
			// matrix products' packing buffers, so that the heap measured
			// around the second holds only what Train keeps.
			_, _, err := Train(context.Background(), c.cfg, data, nil)
			require.NoError(t, err)
			before := liveHeap()
			var step uint64
			m, _, err := Train(context.Background(), c.cfg, data, func(p Progress) {
				if p.EpochDone && p.Epoch == p.Epochs {
					step = liveHeap() - before
				}
			})
			require.NoError(t, err)
			assert.LessOrEqual(t, bound.Step(), float64(step), "the step's bound exceeds the live heap")
			assert.Greater(t, bound.Step(), c.fraction*float64(step), "the step's bound misses too much of the live heap")

			// The outputs of the last chunk and the gradients stay with the
			// trained model.
			afterTrain := liveHeap() - before
			want := bound.Model + bound.Retained + float64(min(c.rows, EmbedChunkRows))*bound.InferenceRow
			assert.LessOrEqual(t, want, float64(afterTrain), "the trained model's bound exceeds the live heap")
			assert.Greater(t, want, c.fraction*float64(afterTrain), "the trained model's bound misses too much of the live heap")
			runtime.KeepAlive(m)
			t.Logf("step %.0f of %d, model %.0f of %d", bound.Step(), step, want, afterTrain)
		})
	}
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	var s runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&s)
	return s.HeapAlloc
}

// 3,000 reference and 100 calibration embeddings of d = 4, k = 5, and a
// query of 600 rows on two goroutines:
//
//	reference:   4 * 3000 * 4 embeddings + 4 * 3000 squared lengths
//	             = 60,000
//	calibration: 4 * 100 * 4 embeddings + 8 * 100 scores = 2,400
//	search:      two blocks of 300 query rows, each with 300 x 2048
//	             float32 scores and 12 * 300 * 5 bytes of the best
//	             neighbors, 2 * 2,475,600, and 8 * 600 distances
//	             = 4,956,000
//
// The search of the 100 calibration rows, two blocks of 50 x 2048
// scores, takes less. The cosine metric adds the unit rows, 4 * 3000 * 4
// of the reference and 4 * 600 * 4 of the query.
func TestMinKNNMemory(t *testing.T) {
	got := MinKNNMemory(3000, 100, 4, 5, MetricEuclidean, 600, 2)
	assert.Equal(t, KNNMemory{Reference: 60000, Calibration: 2400, Search: 4956000}, got)
	assert.Equal(t, 60000.0+2400+4956000, got.Total())

	cosine := MinKNNMemory(3000, 100, 4, 5, MetricCosine, 600, 2)
	assert.Equal(t, KNNMemory{Reference: 108000, Calibration: 2400, Search: 4965600}, cosine)

	// One goroutine searches blocks of up to 512 rows, one at a time.
	assert.Equal(t, 4*512*2048+12*512*5+4800.0, MinKNNMemory(3000, 100, 4, 5, MetricEuclidean, 600, 1).Search)
	// A query of one row takes a row of scores; the calibration search
	// is then the larger.
	assert.Equal(t, 2*(4*50*2048+12*50*5)+8*100.0, MinKNNMemory(3000, 100, 4, 5, MetricEuclidean, 1, 2).Search)
}

func TestKNNBlockRows(t *testing.T) {
	for _, c := range []struct{ m, threads, want int }{
		{1, 2, 1},
		{20, 2, 20},   // blocks of fewer than 32 rows only for a smaller query
		{64, 2, 32},   // one block per goroutine
		{100, 4, 32},  // at least 32 rows, so three goroutines search
		{600, 2, 300}, // half of the query per goroutine
		{5000, 2, 512},
		{5000, 0, 512},
	} {
		assert.Equal(t, c.want, knnBlockRows(c.m, c.threads), "%d rows on %d goroutines", c.m, c.threads)
	}
}

// The bound does not exceed what building a scorer and searching a
// query allocates. The query's two blocks are searched on two
// goroutines, each with its own buffers.
func TestMinKNNMemoryBelowAllocations(t *testing.T) {
	nn.SetThreads(2)
	t.Cleanup(func() { nn.SetThreads(0) })
	for _, metric := range []Metric{MetricEuclidean, MetricCosine} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ref, cal, query := randomRows(3000, 4, 1), randomRows(100, 4, 2), randomRows(600, 4, 3)
		s, err := NewKNNScorer(ref, cal, 5, metric)
		require.NoError(t, err)
		_, err = s.Distances(query)
		require.NoError(t, err)
		runtime.ReadMemStats(&after)
		// The query's own rows are input, not part of the bound.
		allocated := float64(after.TotalAlloc-before.TotalAlloc) - 4*600*4
		bound := MinKNNMemory(3000, 100, 4, 5, metric, 600, 2).Total()
		assert.LessOrEqual(t, bound, allocated, "%s", metric)
	}
}
