package dim

import (
	"maps"
	"slices"
	"strings"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// Export is a checkpoint prepared for deployment: the file's tensors and
// metadata without the optimizer state, which only resuming training
// needs.
type Export struct {
	// Model is the model of the source checkpoint, as LoadModel returns
	// it, optimizer state included.
	Model   *Model
	tensors []nn.NamedTensor
	meta    map[string]string
}

// ReadExport reads the checkpoint at path, checks it as LoadModel does,
// and prepares a copy without Adam's moments and step counts. The copy
// keeps every other tensor and metadata entry unchanged, the data
// fingerprint included. The copy is marked as exported, so Continue
// rejects the model read from it, and it gets its own checksum.
func ReadExport(path string) (*Export, error) {
	c, err := nn.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	m, err := modelFromCheckpoint(path, c)
	if err != nil {
		return nil, err
	}

	// The tensors keep the order Save writes them in, so that the file
	// has the layout of a checkpoint without optimizer state. Tensors
	// that the model does not use follow in name order.
	listed := make(map[string]bool, len(c.Tensors))
	var tensors []nn.NamedTensor
	for _, p := range nn.State(m.Encoder.Net) {
		tensors = append(tensors, nn.NamedTensor{Name: p.Name, Tensor: c.Tensors[p.Name]})
		listed[p.Name] = true
	}
	tensors = append(tensors, nn.NamedTensor{Name: logTauName, Tensor: c.Tensors[logTauName]})
	listed[logTauName] = true
	for _, name := range slices.Sorted(maps.Keys(c.Tensors)) {
		if !listed[name] && !strings.HasPrefix(name, adamM) && !strings.HasPrefix(name, adamV) {
			tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: c.Tensors[name]})
		}
	}

	meta := maps.Clone(c.Metadata)
	delete(meta, metaAdamSteps)
	delete(meta, metaLogTauAdamSteps)
	meta[metaExported] = "true"
	byName := make(map[string]*tensor.Tensor, len(tensors))
	for _, t := range tensors {
		byName[t.Name] = t.Tensor
	}
	meta[metaChecksum] = checksum(byName, meta)
	return &Export{Model: m, tensors: tensors, meta: meta}, nil
}

// Write writes the exported checkpoint to path, atomically. LoadModel
// reads it like any checkpoint, with Optimizer nil and Exported set.
func (e *Export) Write(path string) error {
	return nn.SaveCheckpoint(path, e.tensors, e.meta)
}
