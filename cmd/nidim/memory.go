package main

import (
	"fmt"
	"runtime/debug"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
)

// runSize is the size of a run's data and evaluation, for the memory check.
type runSize struct {
	input               []int   // the shape of one sample
	trainRows, testRows int     // rows of the two splits
	dataBytes           float64 // the loaded values of both splits
	// embeddedRows is the number of rows whose embeddings the evaluation
	// after training keeps at once, 0 when the run does not evaluate.
	embeddedRows int
	// skipEval is the flag that skips the evaluation, "" when the command
	// has none.
	skipEval string
}

// sizeOf returns the runSize of training on train and, when evaluate is
// set, evaluating on test. Both nidim train and nidim sweep keep the
// test embeddings, and with labels on both splits the training
// embeddings too, while the classifiers run.
func sizeOf(train, test *dim.Dataset, evaluate bool, skipEval string) runSize {
	r := runSize{input: train.Shape, trainRows: train.X.Shape[0], testRows: test.X.Shape[0],
		dataBytes: dataBytes(train, test), skipEval: skipEval}
	if evaluate {
		r.embeddedRows = r.testRows
		if train.Labels != nil && test.Labels != nil {
			r.embeddedRows += r.trainRows
		}
	}
	return r
}

// checkModelMemory returns an error when training the model of cfg on a
// run of size r needs more memory than the machine has. Without it the
// allocation would end the program with a runtime fault, not a message,
// or a control group's limit would have the kernel kill it without one.
// It passes when the machine's memory is unknown.
func checkModelMemory(cfg dim.Config, r runSize) error {
	return checkMemory(float64(physicalMemory()), cfg, r)
}

// evaluationBytes returns a lower bound of the memory besides the data
// while the evaluation after training embeds the test split. It counts
// the trained model, the gradients its layers keep, the outputs of one
// chunk of rows, and the embeddings of r.embeddedRows rows. It is 0 for a
// run without an evaluation.
func evaluationBytes(cfg dim.Config, t dim.TrainingMemory, r runSize) float64 {
	if r.embeddedRows == 0 {
		return 0
	}
	chunk := float64(min(r.testRows, dim.EmbedChunkRows))
	return t.Model + t.Retained + chunk*t.InferenceRow + 4*float64(cfg.Dim)*float64(r.embeddedRows)
}

// checkMemory is checkModelMemory on a machine with total bytes of
// memory, 0 when unknown. It compares the largest of three moments of a
// run with total: the last training step, the recalibration after it
// (both in dim.MinTrainingMemory) and the evaluation (evaluationBytes),
// each with the data.
//
// NOTE: these are lower bounds of the live heap. They leave out the Go
// runtime, buffers that do not grow with the batch or the model's width
// (such as the convolutions' scratch), the report's matrix, the
// k-nearest-neighbor search, and the garbage that the heap holds between
// collections. Measured on a two-core amd64 machine under a control
// group's limit, the default run on MNIST (bound 314 MB) finished at 330
// MB and was killed at 320 MB. A CNN at --batch 64 on 6,000 images (bound
// 113 MB) needed more than 150 MB. Without a limit the default run peaked
// at 507 MB.
func checkMemory(total float64, cfg dim.Config, r runSize) error {
	if total == 0 {
		return nil
	}
	train, eval, need := runNeed(cfg, r)
	if need+r.dataBytes <= total {
		return nil
	}
	if need <= total {
		if eval > train.Peak() {
			return fmt.Errorf("the training data takes %s and the evaluation after training at least %s (the model and the embeddings of %d rows), together more than the %s of memory here; train on fewer rows or where more memory is free%s",
				byteSize(r.dataBytes), byteSize(eval), r.embeddedRows, byteSize(total), skipText(r.skipEval))
		}
		return fmt.Errorf("the training data takes %s and the %s encoder's training state at least %s, together more than the %s of memory here; train on fewer rows, or where more memory is free",
			byteSize(r.dataBytes), cfg.Encoder, byteSize(need), byteSize(total))
	}
	need += r.dataBytes

	// The message names the part that takes the most memory and the
	// setting that shrinks it.
	embeddings := 4 * float64(cfg.Dim) * float64(r.embeddedRows)
	chunk := train.InferenceRow * float64(min(max(r.trainRows, r.testRows), dim.EmbedChunkRows))
	outputs := 0.0
	if !cfg.NoRecalibrate {
		outputs = 4 * float64(cfg.Dim) * float64(r.trainRows)
	}
	switch max(train.Scores, train.Activations, train.Weights, embeddings, chunk, outputs) {
	case outputs:
		return fmt.Errorf("the recalibration after training keeps the outputs of all %d training rows at --dim %d, so the run needs at least %s, more than the %s of memory here; use a smaller --dim or fewer rows, or --no-recalibrate",
			r.trainRows, cfg.Dim, byteSize(need), byteSize(total))
	case embeddings:
		return fmt.Errorf("the evaluation after training keeps the embeddings of %d rows at --dim %d, so the run needs at least %s, more than the %s of memory here; use a smaller --dim or fewer rows%s",
			r.embeddedRows, cfg.Dim, byteSize(need), byteSize(total), skipText(r.skipEval))
	case train.Scores:
		return fmt.Errorf("the %s loss with --batch %d keeps %d x %d score matrices, so training needs at least %s, more than the %s of memory here; use a smaller --batch, or --loss infonce-rows, which does not store them",
			cfg.Loss, cfg.Batch, cfg.Batch, cfg.Batch, byteSize(need), byteSize(total))
	case train.Activations:
		rows := fmt.Sprintf("both views of --batch %d", cfg.Batch)
		if train.StepRows == cfg.Batch {
			rows = fmt.Sprintf("--batch %d, one input for both views", cfg.Batch)
		}
		settings, fix := fmt.Sprintf(" (--hidden %d)", cfg.Hidden), "use a smaller --batch or --hidden"
		if cfg.Encoder == "cnn" {
			settings, fix = fmt.Sprintf(" for samples of shape %v", r.input), "use a smaller --batch or smaller images, or --encoder mlp"
		}
		return fmt.Errorf("the %s encoder%s keeps at least %s of layer outputs, gradients and input views for the %d rows of a step (%s), so training needs at least %s, more than the %s of memory here; %s",
			cfg.Encoder, settings, byteSize(train.Activations), train.StepRows, rows, byteSize(need), byteSize(total), fix)
	}
	// The CNN's widths are fixed, so its size follows the images alone.
	settings, fix := fmt.Sprintf(" (--hidden %d, --dim %d)", cfg.Hidden, cfg.Dim), "use a smaller --hidden"
	if cfg.Encoder == "cnn" {
		settings, fix = "", "use smaller images or --encoder mlp"
	}
	if chunk > train.Weights {
		return fmt.Errorf("the %s encoder for samples of shape %v%s stores at least %s of layer outputs for each chunk of %d rows that it embeds after training, so the run needs at least %s, more than the %s of memory here; %s",
			cfg.Encoder, r.input, settings, byteSize(chunk), dim.EmbedChunkRows, byteSize(need), byteSize(total), fix)
	}
	return fmt.Errorf("the %s encoder for samples of shape %v%s has at least %.3g weights, so training needs at least %s, more than the %s of memory here; %s",
		cfg.Encoder, r.input, settings, train.Weights/24, byteSize(need), byteSize(total), fix)
}

// checkResumeMemory is checkModelMemory for a run that resumes the
// checkpoint at path. Its settings cannot change, so the error names the
// bound and the memory here, not a flag that shrinks the model.
func checkResumeMemory(cfg dim.Config, r runSize, path string) error {
	return resumeMemoryError(float64(physicalMemory()), cfg, r, path)
}

// resumeMemoryError is checkResumeMemory on a machine with total bytes
// of memory, 0 when unknown.
func resumeMemoryError(total float64, cfg dim.Config, r runSize, path string) error {
	if checkMemory(total, cfg, r) == nil {
		return nil
	}
	train, eval, need := runNeed(cfg, r)
	skip := ""
	if eval > train.Peak() {
		skip = skipText(r.skipEval)
	}
	return fmt.Errorf("resuming %s needs at least %s with its data, more than the %s of memory here, and its settings cannot change; resume it where more memory is free%s",
		path, byteSize(need+r.dataBytes), byteSize(total), skip)
}

// runNeed returns the memory bounds of a run of cfg and size r, without
// its data: the training state, the evaluation after training, and the
// larger of the two.
func runNeed(cfg dim.Config, r runSize) (train dim.TrainingMemory, eval, need float64) {
	train = dim.MinTrainingMemory(cfg, r.input, r.trainRows)
	eval = evaluationBytes(cfg, train, r)
	return train, eval, max(train.Peak(), eval)
}

// tightMemoryShare is the share of the memory here above which a run that
// passes checkMemory gets a note. The check counts a lower bound of the
// live heap. Under a control group's limit, the smallest limit that let a
// run finish was 1.02 to 1.5 times that bound (12 runs of MLP and CNN
// encoders on amd64). A run above this share may thus be killed by the
// kernel without a message.
const tightMemoryShare = 0.65

// modelMemoryNote returns a note when training the model of cfg on a run
// of size r passes checkModelMemory with little room to spare, and ""
// otherwise.
func modelMemoryNote(cfg dim.Config, r runSize) string {
	return memoryNote(float64(physicalMemory()), cfg, r)
}

// memoryNote is modelMemoryNote on a machine with total bytes of memory,
// 0 when unknown.
func memoryNote(total float64, cfg dim.Config, r runSize) string {
	if total == 0 {
		return ""
	}
	train, eval, need := runNeed(cfg, r)
	need += r.dataBytes
	if need <= tightMemoryShare*total || need > total {
		return ""
	}
	fix := "a smaller --batch"
	if r.skipEval != "" && eval > train.Peak() {
		fix = r.skipEval
	}
	return tightMemoryText(need, total, "use "+fix+" or fewer rows")
}

// resumeMemoryNote is memoryNote for a run that resumes a checkpoint.
// --batch cannot be set with --resume, and the data must be the one the
// checkpoint was trained on, so the note names --no-eval, when the
// evaluation is the largest part, and more free memory.
func resumeMemoryNote(total float64, cfg dim.Config, r runSize) string {
	if memoryNote(total, cfg, r) == "" {
		return ""
	}
	train, eval, need := runNeed(cfg, r)
	fix := "resume it where more memory is free"
	if r.skipEval != "" && eval > train.Peak() {
		fix = "pass " + r.skipEval + ", or " + fix
	}
	return tightMemoryText(need+r.dataBytes, total, fix)
}

// tightMemoryText returns the note on a run that needs need bytes of the
// total bytes here, ending with fix, the advice that leaves room.
func tightMemoryText(need, total float64, fix string) string {
	return fmt.Sprintf("this run needs at least %s of the %s of memory here, and the Go runtime and its garbage take more (runs have needed up to 1.5 times this bound), so the kernel may stop it without a message; to leave room, %s",
		byteSize(need), byteSize(total), fix)
}

// skipText returns the advice to pass flag, the flag that skips the
// evaluation, or "" when the command has none.
func skipText(flag string) string {
	if flag == "" {
		return ""
	}
	return ", or pass " + flag + " to skip the evaluation"
}

// dataBytes returns the memory of the float32 values of the splits.
func dataBytes(splits ...*dim.Dataset) float64 {
	n := 0
	for _, d := range splits {
		n += len(d.X.Data)
	}
	return 4 * float64(n)
}

// byteSize writes a byte count in TB, GB or MB, for messages.
func byteSize(b float64) string {
	if b >= 1e12 {
		return fmt.Sprintf("%.1f TB", b/1e12)
	}
	if b >= 1e9 {
		return fmt.Sprintf("%.1f GB", b/1e9)
	}
	return fmt.Sprintf("%.0f MB", b/1e6)
}

// memoryLimitShare is the part of a control group's memory limit that
// setMemoryLimit gives the Go heap. The rest covers what the limit also
// counts: the runtime's own memory, goroutine stacks and the page cache
// of the files nidim reads. On MNIST (peak 468 MB without a limit), a
// 400 MiB limit ended "nidim train --epochs 1" by the kernel's
// out-of-memory killer, and a Go limit of 90 % of it let the run finish.
const memoryLimitShare = 0.9

// setMemoryLimit sets the Go runtime's soft memory limit to
// memoryLimitShare of limit, a control group's memory limit in bytes, so
// that the garbage collector runs before the kernel kills the process.
// Go 1.26 reads only GOMEMLIMIT, not the control group's limit. It
// returns the limit it set, or 0 and changes nothing when env (the value
// of GOMEMLIMIT) is set, when limit is 0, or when limit is not below
// ram, the machine's memory (0 when unknown).
func setMemoryLimit(env string, ram, limit uint64) int64 {
	if env != "" || limit == 0 || (ram > 0 && limit >= ram) {
		return 0
	}
	soft := int64(float64(limit) * memoryLimitShare)
	debug.SetMemoryLimit(soft)
	return soft
}

// knnRun is the size of a run of the kNN outlier score, for the memory
// check.
type knnRun struct {
	// dataBytes is the memory of the inputs held while the reference and
	// calibration inputs are embedded: those inputs, and any other data
	// the command keeps, such as the inputs to score.
	dataBytes float64
	// dataText names what dataBytes counts in the error, "the data" when
	// empty.
	dataText         string
	refRows, calRows int
	queryRows        int // rows of the largest search after the calibration
	k                int
	metric           dim.Metric
	command, advice  string // such as "nidim score", and the fix for too little memory
	// embeddingsCounted is set when dataBytes counts the embeddings of
	// the reference rows too, as nidim eval keeps them for its report
	// and passes them to the scorer.
	embeddingsCounted bool
}

// knnMemoryNeed returns a lower bound of the memory that the kNN score
// of the model m on r needs: the data, the model's weights and
// gradients, the layer outputs of one chunk of embedded rows, and
// dim.MinKNNMemory.
func knnMemoryNeed(m *dim.Model, r knnRun) (need float64, knn dim.KNNMemory) {
	cfg := m.Config
	input := cfg.Input
	if len(input) == 0 {
		input = []int{m.Encoder.InputSize()}
	}
	t := dim.MinTrainingMemory(cfg, input, 0)
	model := 8*dim.MinWeights(cfg, input) + t.InferenceRow*float64(min(max(r.refRows, r.calRows), dim.EmbedChunkRows))
	knn = dim.MinKNNMemory(r.refRows, r.calRows, cfg.Dim, r.k, r.metric, r.queryRows, tensor.Threads())
	if r.embeddingsCounted {
		knn.Reference -= 4 * float64(r.refRows) * float64(cfg.Dim)
	}
	return r.dataBytes + model + knn.Total(), knn
}

// checkKNNMemory returns an error when the kNN score of the model m on r
// needs more than the memory here, and otherwise a note when it needs
// more than tightMemoryShare of it, or "".
func checkKNNMemory(m *dim.Model, r knnRun) (note string, err error) {
	return knnMemoryCheck(float64(physicalMemory()), m, r)
}

// knnMemoryCheck is checkKNNMemory on a machine with total bytes of
// memory, 0 when unknown.
func knnMemoryCheck(total float64, m *dim.Model, r knnRun) (note string, err error) {
	if total == 0 {
		return "", nil
	}
	need, knn := knnMemoryNeed(m, r)
	if need > total {
		data := "the data"
		if r.dataText != "" {
			data = r.dataText
		}
		if r.embeddingsCounted {
			data = "the data and the embeddings of both splits"
		}
		return "", fmt.Errorf("%s with the kNN outlier score needs at least %s, more than the %s of memory here: %s for %s, and %s for the embeddings of the %d reference and %d calibration rows and the buffers of the neighbor search; %s",
			r.command, byteSize(need), byteSize(total), byteSize(r.dataBytes), data, byteSize(knn.Total()), r.refRows, r.calRows, r.advice)
	}
	if need <= tightMemoryShare*total {
		return "", nil
	}
	return tightMemoryText(need, total, r.advice), nil
}
