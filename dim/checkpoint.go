package dim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// Checkpoint metadata keys. The config is the JSON form of Config.
const (
	metaFormat = "nidim.format"
	metaConfig = "nidim.config"
	metaEpoch  = "nidim.epoch"
	metaStep   = "nidim.step"
	metaData   = "nidim.data"
	metaSIMD   = "nidim.simd" // Model.SIMD, absent in older files
	// metaInputs is Model.Inputs as "min,max", absent in older files.
	metaInputs = "nidim.inputs"
	// metaClasses is Model.Classes as a JSON array of strings, present
	// only for a model whose training data had class names.
	metaClasses = "nidim.classes"
	// metaChecksum is the SHA-256 of everything else in the file, as
	// checksum computes it. Files written before it existed lack it.
	metaChecksum   = "nidim.sha256"
	metaCalibrated = "nidim.calibrated"
	// Step counts of the two Adam optimizers, present with the moments.
	metaAdamSteps       = "nidim.adam_steps"
	metaLogTauAdamSteps = "nidim.adam_steps.log_tau"
	// metaExported is "true" in a file written by Export.Write. It
	// distinguishes the deliberately missing optimizer state from the
	// missing state of a checkpoint written before nidim saved it.
	metaExported = "nidim.exported"
	// The version stays 1: the step and the optimizer state were added
	// later, and a file without them reads as step 0 with no optimizer
	// state.
	formatVersion = "1"
	logTauName    = "log_tau"
	// The statistics of Model.Standardization, present only in a model
	// trained with Config.Standardize, as 1-D tensors of the input size.
	standardizeMean  = "standardize.mean"
	standardizeScale = "standardize.scale"
	// Adam's first and second moments of the parameter or log_tau called
	// name are stored as adamM+name and adamV+name.
	adamM = "adam.m."
	adamV = "adam.v."
)

// Save writes the model to path as a safetensors checkpoint, atomically.
// The tensors are the encoder's parameters and normalization statistics,
// the log temperature as the 1-element tensor "log_tau", and Adam's
// moments of each when m.Optimizer is set, and the "standardize.mean" and
// "standardize.scale" tensors of m.Standardization when the model
// standardizes its inputs. The metadata are the config, the completed
// epochs, the steps of the next epoch and the calibration flag. They also
// hold the fingerprint, value range and class names of the training
// data, the SIMD level, Adam's step counts, the export mark when
// m.Exported is set, and the checksum of all the rest.
func (m *Model) Save(path string) error {
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("dim: encode config: %w", err)
	}
	if err := m.checkStandardization(); err != nil {
		return err
	}
	tensors := nn.Named(nn.State(m.Encoder.Net))
	tensors = append(tensors, nn.NamedTensor{Name: logTauName, Tensor: tensor.Full(float32(m.LogTau), 1)})
	if s := m.Standardization; s != nil {
		// Sorted by name, the order in which Export.Write lists tensors
		// that the network does not own, so an export keeps the layout.
		tensors = append(tensors,
			nn.NamedTensor{Name: standardizeMean, Tensor: &tensor.Tensor{Shape: []int{len(s.Mean)}, Data: s.Mean}},
			nn.NamedTensor{Name: standardizeScale, Tensor: &tensor.Tensor{Shape: []int{len(s.Scale)}, Data: s.Scale}})
	}
	meta := map[string]string{
		metaFormat:     formatVersion,
		metaConfig:     string(cfg),
		metaEpoch:      strconv.Itoa(m.Epoch),
		metaStep:       strconv.Itoa(m.Step),
		metaData:       m.Data,
		metaCalibrated: strconv.FormatBool(m.Calibrated),
	}
	if m.SIMD != "" {
		meta[metaSIMD] = m.SIMD
	}
	if r := m.Inputs; r != nil {
		meta[metaInputs] = formatValue(r.Min) + "," + formatValue(r.Max)
	}
	if len(m.Classes) > 0 {
		names, err := json.Marshal(m.Classes)
		if err != nil {
			return fmt.Errorf("dim: encode class names: %w", err)
		}
		meta[metaClasses] = string(names)
	}
	if o := m.Optimizer; o != nil {
		moments, err := m.optimizerTensors()
		if err != nil {
			return err
		}
		tensors = append(tensors, moments...)
		meta[metaAdamSteps] = strconv.Itoa(o.Net.Steps)
		meta[metaLogTauAdamSteps] = strconv.Itoa(o.LogTau.Steps)
	}
	if m.Exported {
		meta[metaExported] = "true"
	}
	byName := make(map[string]*tensor.Tensor, len(tensors))
	for _, t := range tensors {
		byName[t.Name] = t.Tensor
	}
	meta[metaChecksum] = checksum(byName, meta)
	return nn.SaveCheckpoint(path, tensors, meta)
}

// checksum returns the SHA-256, in hexadecimal, of the tensors (name,
// shape and float32 values) and the metadata entries other than
// metaChecksum, each in name order. A flipped bit anywhere in them
// changes it, which the safetensors format alone would not notice.
func checksum(tensors map[string]*tensor.Tensor, meta map[string]string) string {
	h := sha256.New()
	var buf []byte
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		t := tensors[name]
		buf = hashTensorName(h, buf, name, t.Shape)
		buf = hashFloat32s(h, buf, t.Data)
	}
	hashMetadata(h, buf, meta)
	return hex.EncodeToString(h.Sum(nil))
}

// hashText writes the length of s and s to h, for checksum.
func hashText(h hash.Hash, buf []byte, s string) []byte {
	buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(s)))
	h.Write(buf)
	h.Write([]byte(s))
	return buf[:0]
}

// hashTensorName writes the name and shape of a tensor to h, and returns
// buf holding the shape, which the tensor's values extend.
func hashTensorName(h hash.Hash, buf []byte, name string, shape []int) []byte {
	buf = hashText(h, buf, name)
	buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(shape)))
	for _, n := range shape {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(n))
	}
	return buf
}

// hashMetadata writes the entries of meta other than metaChecksum to h.
func hashMetadata(h hash.Hash, buf []byte, meta map[string]string) {
	for _, key := range slices.Sorted(maps.Keys(meta)) {
		if key != metaChecksum {
			buf = hashText(h, buf, key)
			buf = hashText(h, buf, meta[key])
		}
	}
}

// optimizerSlots returns the parameters that have Adam moments, the
// network's and then log_tau, with the shapes their moments take.
func (m *Model) optimizerSlots() []nn.NamedTensor {
	params := m.Encoder.Net.Params()
	slots := make([]nn.NamedTensor, 0, len(params)+1)
	for _, p := range params {
		slots = append(slots, nn.NamedTensor{Name: p.Name, Tensor: p.Value})
	}
	return append(slots, nn.NamedTensor{Name: logTauName, Tensor: tensor.New(1)})
}

// optimizerTensors returns m.Optimizer's moments as checkpoint tensors,
// all first moments and then all second moments.
func (m *Model) optimizerTensors() ([]nn.NamedTensor, error) {
	o := m.Optimizer
	first := append(append([][]float32(nil), o.Net.M...), o.LogTau.M...)
	second := append(append([][]float32(nil), o.Net.V...), o.LogTau.V...)
	slots := m.optimizerSlots()
	if len(first) != len(slots) || len(second) != len(slots) {
		return nil, fmt.Errorf("dim: the optimizer state has moments for %d and %d parameters, the model has %d", len(first), len(second), len(slots))
	}
	out := make([]nn.NamedTensor, 0, 2*len(slots))
	for _, moments := range []struct {
		prefix string
		data   [][]float32
	}{{adamM, first}, {adamV, second}} {
		for i, slot := range slots {
			if len(moments.data[i]) != len(slot.Tensor.Data) {
				return nil, fmt.Errorf("dim: the optimizer state of %q has %d values but the parameter has %d", slot.Name, len(moments.data[i]), len(slot.Tensor.Data))
			}
			t := &tensor.Tensor{Shape: slices.Clone(slot.Tensor.Shape), Data: moments.data[i]}
			out = append(out, nn.NamedTensor{Name: moments.prefix + slot.Name, Tensor: t})
		}
	}
	return out, nil
}

// LoadModel reads a checkpoint written by Model.Save and rebuilds the
// model from the config it stores.
func LoadModel(path string) (*Model, error) {
	c, err := nn.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return modelFromCheckpoint(path, c)
}

// UnverifiedNote returns the note for the checkpoint at path when
// LoadModel read it without a checksum (Model.Verified is false). The
// nidim commands and internal/cmd/loadtest all print this text.
func UnverifiedNote(path string) string {
	return fmt.Sprintf("cannot verify that %s is unchanged since it was written, because it has no checksum; an older nidim wrote it", path)
}

// modelFromCheckpoint checks c, read from path, and rebuilds the model it
// contains.
func modelFromCheckpoint(path string, c *nn.Checkpoint) (*Model, error) {
	if c.Metadata[metaFormat] != formatVersion {
		return nil, fmt.Errorf("dim: %s is not a nidim model checkpoint (metadata %s = %q, want %q); pass a file written by nidim train", path, metaFormat, c.Metadata[metaFormat], formatVersion)
	}
	want, hasChecksum := c.Metadata[metaChecksum]
	if hasChecksum && checksum(c.Tensors, c.Metadata) != want {
		return nil, fmt.Errorf("dim: %s: the tensors or settings do not match the SHA-256 that nidim stored, so the file was changed after nidim wrote it; restore it from a copy or train the model again", path)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(c.Metadata[metaConfig]), &cfg); err != nil {
		return nil, fmt.Errorf("dim: %s: invalid config metadata: %w", path, err)
	}
	if cfg.ImageFit != "" && (cfg.ImageFit != ImageFitCrop || len(cfg.Input) != 3) {
		return nil, fmt.Errorf("dim: %s: invalid image fit %q for input %v in the config metadata, which nidim writes only as %q for images; the file is damaged or from a newer nidim, so restore it from a copy or train the model again",
			path, cfg.ImageFit, cfg.Input, ImageFitCrop)
	}
	// A damaged config could ask for more memory than the machine has, so
	// it is checked against the file's values before anything is built.
	have := 0.0
	for _, t := range c.Tensors {
		have += float64(len(t.Data))
	}
	if need := MinWeights(cfg, cfg.Input); need > have {
		return nil, fmt.Errorf("dim: %s: its config (%s encoder, input %v, hidden %d, dim %d) needs at least %.0f weights, but the file contains only %.0f values, so it is damaged; restore it from a copy or train the model again",
			path, cfg.Encoder, cfg.Input, cfg.Hidden, cfg.Dim, need, have)
	}
	m, err := NewModel(cfg, cfg.Input)
	if err != nil {
		// NewModel's message has the package prefix already.
		return nil, fmt.Errorf("dim: %s: %s", path, strings.TrimPrefix(err.Error(), "dim: "))
	}
	for _, p := range nn.State(m.Encoder.Net) {
		t, ok := c.Tensors[p.Name]
		if !ok {
			return nil, fmt.Errorf("dim: %s has no tensor %q; the file does not match its config", path, p.Name)
		}
		if !slices.Equal(t.Shape, p.Value.Shape) {
			return nil, fmt.Errorf("dim: %s: tensor %q has shape %v, the config needs %v", path, p.Name, t.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, t.Data)
	}
	lt, ok := c.Tensors[logTauName]
	if !ok || len(lt.Data) != 1 || math.IsNaN(float64(lt.Data[0])) {
		return nil, fmt.Errorf("dim: %s has no valid %q tensor", path, logTauName)
	}
	m.LogTau = float64(lt.Data[0])
	if m.Standardization, err = loadStandardization(path, c, m); err != nil {
		return nil, err
	}
	if m.Epoch, err = strconv.Atoi(c.Metadata[metaEpoch]); err != nil || m.Epoch < 0 {
		return nil, fmt.Errorf("dim: %s: invalid epoch metadata %q", path, c.Metadata[metaEpoch])
	}
	if step, ok := c.Metadata[metaStep]; ok {
		if m.Step, err = strconv.Atoi(step); err != nil || m.Step < 0 {
			return nil, fmt.Errorf("dim: %s: invalid step metadata %q", path, step)
		}
	}
	m.Calibrated = c.Metadata[metaCalibrated] == "true"
	m.Data = c.Metadata[metaData]
	m.Exported = c.Metadata[metaExported] == "true"
	m.SIMD = c.Metadata[metaSIMD]
	if text, ok := c.Metadata[metaInputs]; ok {
		r, err := parseValueRange(text)
		if err != nil {
			return nil, fmt.Errorf("dim: %s: invalid input range metadata: %w", path, err)
		}
		m.Inputs = &r
	}
	if text, ok := c.Metadata[metaClasses]; ok {
		if err := json.Unmarshal([]byte(text), &m.Classes); err != nil || len(m.Classes) == 0 {
			return nil, fmt.Errorf("dim: %s: invalid class name metadata %.80q, which nidim writes as a non-empty JSON array of strings, so the file is damaged; restore it from a copy or train the model again", path, text)
		}
	}
	m.Verified = hasChecksum
	if m.Optimizer, err = loadOptimizerState(path, c, m); err != nil {
		return nil, err
	}
	return m, nil
}

// loadOptimizerState reads the Adam state of m's parameters from c. It
// returns nil for a checkpoint without any of it, which nidim wrote
// before it saved the state.
func loadOptimizerState(path string, c *nn.Checkpoint, m *Model) (*OptimizerState, error) {
	_, hasSteps := c.Metadata[metaAdamSteps]
	hasMoments := false
	for name := range c.Tensors {
		hasMoments = hasMoments || strings.HasPrefix(name, adamM) || strings.HasPrefix(name, adamV)
	}
	if !hasSteps && !hasMoments {
		return nil, nil
	}

	// A damaged optimizer state cannot be repaired from the weights, and
	// resuming without it would silently change the run.
	const fix = "the file was changed after nidim wrote it; restore it from a copy or train the model again"
	steps := func(key string) (int, error) {
		n, err := strconv.Atoi(c.Metadata[key])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("dim: %s: invalid optimizer metadata %s = %q; %s", path, key, c.Metadata[key], fix)
		}
		return n, nil
	}

	var o OptimizerState
	var err error
	if o.Net.Steps, err = steps(metaAdamSteps); err != nil {
		return nil, err
	}
	if o.LogTau.Steps, err = steps(metaLogTauAdamSteps); err != nil {
		return nil, err
	}

	slots := m.optimizerSlots()
	var first, second [][]float32
	for _, slot := range slots {
		for _, prefix := range []string{adamM, adamV} {
			name := prefix + slot.Name
			t, ok := c.Tensors[name]
			switch {
			case !ok:
				return nil, fmt.Errorf("dim: %s has no optimizer tensor %q; %s", path, name, fix)
			case !slices.Equal(t.Shape, slot.Tensor.Shape):
				return nil, fmt.Errorf("dim: %s: optimizer tensor %q has shape %v, the parameter has %v; %s", path, name, t.Shape, slot.Tensor.Shape, fix)
			}
			for i, v := range t.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || (prefix == adamV && v < 0) {
					return nil, fmt.Errorf("dim: %s: optimizer tensor %q has the invalid value %v at index %d; %s", path, name, v, i, fix)
				}
			}
			if prefix == adamM {
				first = append(first, t.Data)
			} else {
				second = append(second, t.Data)
			}
		}
	}

	n := len(slots) - 1 // the last slot is log_tau
	o.Net.M, o.Net.V = first[:n:n], second[:n:n]
	o.LogTau.M, o.LogTau.V = first[n:], second[n:]
	return &o, nil
}

// loadStandardization reads the standardization statistics of m from c.
// It returns nil for a model without Config.Standardize, which includes
// every checkpoint written before nidim could standardize.
func loadStandardization(path string, c *nn.Checkpoint, m *Model) (*Standardization, error) {
	mean, hasMean := c.Tensors[standardizeMean]
	scale, hasScale := c.Tensors[standardizeScale]
	if !m.Config.Standardize {
		if hasMean || hasScale {
			return nil, fmt.Errorf("dim: %s has standardization tensors but its config does not standardize; the file was changed after nidim wrote it, so restore it from a copy or train the model again", path)
		}
		return nil, nil
	}
	size := m.Encoder.InputSize()
	for _, t := range []struct {
		name    string
		tensor  *tensor.Tensor
		present bool
	}{{standardizeMean, mean, hasMean}, {standardizeScale, scale, hasScale}} {
		if !t.present {
			return nil, fmt.Errorf("dim: %s has no tensor %q, which its config needs to standardize the inputs; the file does not match its config", path, t.name)
		}
		if !slices.Equal(t.tensor.Shape, []int{size}) {
			return nil, fmt.Errorf("dim: %s: tensor %q has shape %v, the config needs [%d]", path, t.name, t.tensor.Shape, size)
		}
	}
	s := &Standardization{Mean: slices.Clone(mean.Data), Scale: slices.Clone(scale.Data)}
	if err := s.check(size); err != nil {
		return nil, fmt.Errorf("dim: %s: %w; restore the file from a copy or train the model again", path, err)
	}
	return s, nil
}
