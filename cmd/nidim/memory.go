package main

import (
	"fmt"
	"runtime/debug"

	"github.com/nidim/nidim/dim"
)

// checkModelMemory returns an error when training the model of cfg on
// samples of shape input, with dataBytes of data loaded, needs more
// memory than the machine has. Without it the allocation would end the
// program with a runtime fault, not a message, or a control group's
// limit would have the kernel kill it without one. It passes when the
// machine's memory is unknown.
// NOTE: the bound leaves out the activations, so a run that passes can
// still need more memory than the machine has.
func checkModelMemory(cfg dim.Config, input []int, dataBytes float64) error {
	return checkMemory(float64(physicalMemory()), cfg, input, dataBytes)
}

// checkMemory is checkModelMemory on a machine with total bytes of
// memory, 0 when unknown.
func checkMemory(total float64, cfg dim.Config, input []int, dataBytes float64) error {
	if total == 0 {
		return nil
	}
	need := dim.MinTrainingBytes(cfg, input)
	if need+dataBytes <= total {
		return nil
	}
	if need <= total {
		return fmt.Errorf("the training data takes %s and the %s encoder's training state at least %s, together more than the %s of memory here; train on fewer rows, or where more memory is free",
			byteSize(dataBytes), cfg.Encoder, byteSize(need), byteSize(total))
	}
	// The score matrices outweigh the weights only for large batches.
	weights := dim.MinWeights(cfg, input)
	if weights*16 < need/2 {
		return fmt.Errorf("the %s loss with --batch %d keeps %d x %d score matrices, so training needs at least %s, more than the %s of memory here; use a smaller --batch, or --loss infonce-rows, which does not store them",
			cfg.Loss, cfg.Batch, cfg.Batch, cfg.Batch, byteSize(need), byteSize(total))
	}
	// The CNN's widths are fixed, so its size follows the images alone.
	settings, fix := fmt.Sprintf(" (--hidden %d, --dim %d)", cfg.Hidden, cfg.Dim), "use a smaller --hidden"
	if cfg.Encoder == "cnn" {
		settings, fix = "", "use smaller images or --encoder mlp"
	}
	return fmt.Errorf("the %s encoder for samples of shape %v%s has at least %.3g weights, so training needs at least %s, more than the %s of memory here; %s",
		cfg.Encoder, input, settings, weights, byteSize(need), byteSize(total), fix)
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
