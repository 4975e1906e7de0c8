package dim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/nn"
)

// RunState is the progress of the training run that a checkpoint stores:
// what nidim train needs to know before it replaces the file.
type RunState struct {
	Config Config
	Epoch  int // completed epochs
	Step   int // steps of the next epoch, 0 at an epoch boundary
	// Data is the fingerprint of the training data, as in Model.Data.
	Data string
	// Exported is true for a file written by Export.Write.
	Exported bool
}

// RunState returns the progress of m's run.
func (m *Model) RunState() *RunState {
	return &RunState{Config: m.Config, Epoch: m.Epoch, Step: m.Step, Data: m.Data, Exported: m.Exported}
}

// Unfinished reports whether the run stopped before its target epoch or
// within an epoch, which nidim train --resume continues.
func (s *RunState) Unfinished() bool {
	return s.Epoch < s.Config.Epochs || s.Step > 0
}

// ReadRunState reads the progress of the run in the checkpoint at path
// from the file's header, without keeping its tensors in memory: a file
// of a large model takes about 64 KiB beyond its header to check. It
// rejects the files that LoadModel rejects for their layout, metadata or
// checksum, with the same errors. It also streams the tensor values
// through the SHA-256 that nidim stored, so a file changed after it was
// written is rejected too.
//
// NOTE: unlike LoadModel, it does not build the model, so it accepts a
// file with a valid checksum whose tensor names or shapes do not match
// its config, or whose optimizer state holds NaN. nidim writes no such
// file, and its checksum makes an accidental one unlikely.
func ReadRunState(path string) (*RunState, error) {
	header, err := nn.ReadCheckpointHeader(path)
	if err != nil {
		return nil, err
	}
	meta := header.Metadata
	if meta[metaFormat] != formatVersion {
		return nil, fmt.Errorf("dim: %s is not a nidim model checkpoint (metadata %s = %q, want %q); pass a file written by nidim train", path, metaFormat, meta[metaFormat], formatVersion)
	}
	if want, ok := meta[metaChecksum]; ok {
		got, err := fileChecksum(path, header)
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("dim: %s: the tensors or settings do not match the SHA-256 that nidim stored, so the file was changed after nidim wrote it; restore it from a copy or train the model again", path)
		}
	}

	var s RunState
	if err := json.Unmarshal([]byte(meta[metaConfig]), &s.Config); err != nil {
		return nil, fmt.Errorf("dim: %s: invalid config metadata: %w", path, err)
	}
	cfg := s.Config
	have := 0.0
	for _, t := range header.Tensors {
		have += float64(t.End-t.Offset) / 4
	}
	if need := MinWeights(cfg, cfg.Input); need > have {
		return nil, fmt.Errorf("dim: %s: its config (%s encoder, input %v, hidden %d, dim %d) needs at least %.0f weights, but the file contains only %.0f values, so it is damaged; restore it from a copy or train the model again",
			path, cfg.Encoder, cfg.Input, cfg.Hidden, cfg.Dim, need, have)
	}
	// The checks of NewModel, which LoadModel calls, without building
	// the network.
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dim: %s: %s", path, strings.TrimPrefix(err.Error(), "dim: "))
	}
	if cfg.Standardize && len(cfg.Input) != 1 {
		return nil, fmt.Errorf("dim: %s: standardization applies to feature vectors only, but the samples have shape %v; train without it", path, cfg.Input)
	}
	if s.Epoch, err = strconv.Atoi(meta[metaEpoch]); err != nil || s.Epoch < 0 {
		return nil, fmt.Errorf("dim: %s: invalid epoch metadata %q", path, meta[metaEpoch])
	}
	if step, ok := meta[metaStep]; ok {
		if s.Step, err = strconv.Atoi(step); err != nil || s.Step < 0 {
			return nil, fmt.Errorf("dim: %s: invalid step metadata %q", path, step)
		}
	}
	s.Data = meta[metaData]
	s.Exported = meta[metaExported] == "true"
	if text, ok := meta[metaInputs]; ok {
		if _, err := parseValueRange(text); err != nil {
			return nil, fmt.Errorf("dim: %s: invalid input range metadata: %w", path, err)
		}
	}
	return &s, nil
}

// fileChecksum returns the checksum of the checkpoint at path, as checksum
// computes it from the loaded tensors, reading the values from the file
// in chunks.
func fileChecksum(path string, header *nn.CheckpointHeader) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dim: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	var buf []byte
	for _, name := range slices.Sorted(maps.Keys(header.Tensors)) {
		span := header.Tensors[name]
		buf = hashTensorName(h, buf, name, span.Shape)
		h.Write(buf)
		// The file stores float32 values little-endian, the byte order
		// in which checksum hashes them.
		if _, err := io.Copy(h, io.NewSectionReader(f, span.Offset, span.End-span.Offset)); err != nil {
			return "", fmt.Errorf("dim: read %s: %w", path, err)
		}
	}
	hashMetadata(h, buf, header.Metadata)
	return hex.EncodeToString(h.Sum(nil)), nil
}
