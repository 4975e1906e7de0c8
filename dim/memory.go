package dim

// EmbedChunkRows is the number of rows per forward pass when Train
// recalibrates the normalization and when RunSweep and nidim train embed
// the splits after training. TrainingMemory.InferenceRow times it is the
// memory of one such pass.
const EmbedChunkRows = 1000

// TrainingMemory is a lower bound of the memory, in bytes, that Train
// allocates for a configuration besides the data it is given, split by
// what takes it. Every part counts only buffers that are allocated at
// once, so each sum bounds the live heap at one moment. The Go heap grows
// past its live size between garbage collections, so a process without a
// memory limit peaks higher.
type TrainingMemory struct {
	// Weights is 24 bytes per weight of MinWeights: the float32 weight,
	// its gradient, Adam's two moments and their copy for the checkpoint.
	Weights float64
	// Scores is the objective's three B x B float64 matrices of scores,
	// their exponentials and their gradient, and 0 for infonce-rows.
	Scores float64
	// Activations is the memory that a step keeps besides the scores. It
	// counts the outputs and gradients that the layers store for StepRows
	// rows, the two sets of input views that alternate between steps, and
	// the objective's buffers of B or B x Dim values.
	Activations float64
	// Rows is the shuffled order of the training rows and, with
	// Config.Standardize, the standardized copy of the rows.
	Rows float64
	// StepRows is the number of rows the encoder runs on per step: 2B
	// for two views, or B when both views are the same input.
	StepRows int

	// Model is the memory of a trained model: 16 bytes per weight for the
	// weights, their gradients and the copy of Adam's moments.
	Model float64
	// Retained is the part of Activations that the layers keep after
	// training: the gradients of the last step, which an inference-mode
	// forward pass does not replace.
	Retained float64
	// InferenceRow is the memory per row of the outputs that the layers
	// store in an inference-mode forward pass.
	InferenceRow float64
	// Recalibration is the memory while Train recomputes the
	// normalization statistics after the last epoch, in chunks of
	// EmbedChunkRows: Model, Retained, one chunk's outputs, the float32
	// outputs of all training rows and the standardized copy. It is 0
	// with Config.NoRecalibrate.
	Recalibration float64
}

// Step returns the memory at the end of the last epoch, when Continue
// copies Adam's state for the checkpoint while every buffer of a step is
// still allocated.
func (t TrainingMemory) Step() float64 {
	return t.Weights + t.Scores + t.Activations + t.Rows
}

// Peak returns the larger of Step and Recalibration.
func (t TrainingMemory) Peak() float64 {
	return max(t.Step(), t.Recalibration)
}

// MinTrainingMemory returns a lower bound of the memory that training cfg
// on trainRows rows of samples of shape input takes besides the data, so
// that callers can reject a run that cannot fit before they build
// anything. It allocates nothing and assumes a shape that NewEncoder
// accepts. Sizes are float64, which do not overflow.
//
// NOTE: the bound leaves out buffers that do not grow with the batch or
// the width (the convolutions' weights and per-goroutine scratch, the
// views' scratch and the biases) and the Go runtime's own memory.
func MinTrainingMemory(cfg Config, input []int, trainRows int) TrainingMemory {
	b, d := float64(cfg.Batch), float64(cfg.Dim)
	size := 1.0
	for _, s := range input {
		size *= float64(max(s, 0))
	}

	// The choice of Continue: one input for both views when they are
	// the same, and the clean batch itself as that input when it is not
	// augmented.
	plain := identityView(&cfg, input)
	sameInput := cfg.SharedView || plain
	steps, direct := 2*b, false
	if sameInput {
		steps, direct = b, plain || cfg.CleanFirstView
	}
	viewSet := steps * size
	if !direct {
		viewSet += b * size
	}

	weights := MinWeights(cfg, input)
	layers := layerValues(cfg.encoderConfig(input))
	t := TrainingMemory{Weights: 24 * weights, StepRows: int(steps), Model: 16 * weights}
	if cfg.Loss != BoundInfoNCERows {
		t.Scores = 3 * 8 * b * b
	}
	t.Activations = 4*steps*layers.training + // float32 outputs and gradients
		2*4*viewSet + // two sets of float32 views
		4*(2*b*d+2*b*d+b*d) + // the noisy embeddings, their gradient and the two views' sum
		8*(6*b*d+13*b) // the objective's float64 copies of the embeddings and per-row sums
	standardized := 0.0
	if cfg.Standardize {
		standardized = 4 * float64(trainRows) * size
	}
	t.Rows = 8*float64(trainRows) + standardized

	t.Retained = 4 * steps * layers.retained
	t.InferenceRow = 4 * layers.inference
	if !cfg.NoRecalibrate {
		chunk := float64(min(trainRows, EmbedChunkRows))
		t.Recalibration = t.Model + t.Retained + chunk*t.InferenceRow + 4*d*float64(trainRows) + standardized
	}
	return t
}

// layerCounts is the number of float32 (and, for the poolings' argmax,
// int32) values per input row that the layers of an encoder store.
type layerCounts struct {
	// training is the count that a training step stores: each layer's
	// output and the gradients that its Backward keeps.
	training float64
	// retained is the part of training that stays allocated while the
	// encoder runs in inference mode on another number of rows: the
	// gradients, and the normalization's input gradient.
	retained float64
	// inference is the count that an inference-mode pass of every layer
	// but the normalization stores: the outputs and the poolings' argmax.
	inference float64
}

// layerValues returns the layerCounts of the encoder preset cfg and its
// normalization. The first layer computes no input gradient.
func layerValues(cfg EncoderConfig) layerCounts {
	d := float64(cfg.Dim)
	switch cfg.Arch {
	case "mlp":
		h := float64(cfg.hiddenWidth())
		// The two hidden layers, each fused with its ReLU, store their
		// output and the gradient masked by the ReLU. The second also
		// stores its input gradient, and the output layer its output and
		// its input gradient. The normalization stores its standardized
		// input, its output and its input gradient.
		outputs := h + h + d
		grads := h + (h + h) + h
		return layerCounts{training: outputs + grads + 3*d, retained: grads + d, inference: outputs}
	case "cnn":
		if len(cfg.Input) != 3 {
			return layerCounts{}
		}
		// Each convolution is fused with its ReLU and 2x2 pooling and
		// stores only the pooled output and its argmax. The second
		// stores its input gradient, the first pooling's size. The hidden
		// linear layer, fused with its ReLU, stores its output and masked
		// gradient (256 each) and the input gradient of the flattened
		// pooling. The output layer stores its output and its input
		// gradient.
		pool1 := 32 * float64(cfg.Input[1]/2) * float64(cfg.Input[2]/2)
		pool2 := 64 * float64(cfg.Input[1]/2/2) * float64(cfg.Input[2]/2/2)
		outputs := 2*pool1 + 2*pool2 + 256 + d
		grads := pool1 + (256 + pool2) + 256
		return layerCounts{training: outputs + grads + 3*d, retained: grads + d, inference: outputs}
	}
	return layerCounts{}
}

// KNNMemory is a lower bound of the memory, in bytes, that the kNN
// outlier score (KNNScorer) allocates besides its inputs, split by what
// takes it.
type KNNMemory struct {
	// Reference is the reference embeddings and the search index over
	// them: the squared lengths, and for the cosine metric the unit rows.
	Reference float64
	// Calibration is the calibration embeddings and their sorted scores,
	// which NewKNNScorer holds together.
	Calibration float64
	// Search is the buffers of one search of a query: a block of scores
	// and the k best neighbors per row on each goroutine, the distances,
	// and for the cosine metric the query's unit rows. It is the larger
	// of the search of the calibration embeddings and that of the query
	// of MinKNNMemory.
	Search float64
}

// Total returns the sum of the parts.
func (k KNNMemory) Total() float64 {
	return k.Reference + k.Calibration + k.Search
}

// MinKNNMemory returns a lower bound of the memory of a kNN scorer over
// nRef reference and nCal calibration embeddings of dimension d, with k
// neighbors and metric, that then searches queryRows rows at once on
// threads goroutines. Sizes are float64, which do not overflow.
func MinKNNMemory(nRef, nCal, d, k int, metric Metric, queryRows, threads int) KNNMemory {
	embeddings := func(n int) float64 { return 4 * float64(n) * float64(d) }
	unit := func(n int) float64 {
		if metric == MetricCosine {
			return embeddings(n)
		}
		return 0
	}
	return KNNMemory{
		Reference:   embeddings(nRef) + 4*float64(nRef) + unit(nRef),
		Calibration: embeddings(nCal) + 8*float64(nCal),
		Search:      max(knnSearchBytes(nCal, nRef, k, threads)+unit(nCal), knnSearchBytes(queryRows, nRef, k, threads)+unit(queryRows)),
	}
}

// knnSearchBytes returns the memory of the buffers of one neighbor
// search of m query rows among n reference rows on threads goroutines.
// Each goroutine that gets a block of queries holds a block of float32
// scores and the k best scores (float32) and rows (int) of each query
// row. The search returns the float64 distance of every query row.
func knnSearchBytes(m, n, k, threads int) float64 {
	if m == 0 {
		return 0
	}
	blockRows := knnBlockRows(m, threads)
	blocks := (m + blockRows - 1) / blockRows
	rows := float64(blockRows)
	perGoroutine := 4*rows*float64(min(n, knnTrainBlock)) + 12*rows*float64(k)
	return float64(min(max(threads, 1), blocks))*perGoroutine + 8*float64(m)
}
