package main

import (
	"fmt"

	"github.com/nidim/nidim/dim"
)

// bytesPerWeight is the memory that training keeps per weight at least:
// the float32 weight, its gradient, and Adam's two moments.
const bytesPerWeight = 16

// checkModelMemory returns an error when training the model of cfg on
// samples of shape input needs more memory than the machine has. Without
// it the allocation would end the program with a runtime fault, not a
// message. It passes when the machine's memory is unknown.
func checkModelMemory(cfg dim.Config, input []int) error {
	total := physicalMemory()
	if total == 0 {
		return nil
	}
	weights := dim.MinWeights(cfg, input)
	need := weights * bytesPerWeight
	if need <= float64(total) {
		return nil
	}
	fix := "use a smaller --hidden"
	if cfg.Encoder == "cnn" {
		fix = "use smaller images or --encoder mlp"
	}
	return fmt.Errorf("the %s encoder for samples of shape %v (--hidden %d, --dim %d) has at least %.3g weights, and training them needs at least %s, more than this machine's %s of memory; %s",
		cfg.Encoder, input, cfg.Hidden, cfg.Dim, weights, byteSize(need), byteSize(float64(total)), fix)
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
