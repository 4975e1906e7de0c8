package dim

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// Checkpoint metadata keys. The config is the JSON form of Config.
const (
	metaFormat     = "nidim.format"
	metaConfig     = "nidim.config"
	metaEpoch      = "nidim.epoch"
	metaCalibrated = "nidim.calibrated"
	formatVersion  = "1"
	logTauName     = "log_tau"
)

// Save writes the model to path as a safetensors checkpoint, atomically:
// the encoder's parameters and normalization statistics, the log
// temperature as the 1-element tensor "log_tau", and the config, completed
// epochs and calibration flag as metadata.
func (m *Model) Save(path string) error {
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("dim: encode config: %w", err)
	}
	tensors := nn.Named(nn.State(m.Encoder.Net))
	tensors = append(tensors, nn.NamedTensor{Name: logTauName, Tensor: tensor.Full(float32(m.LogTau), 1)})
	meta := map[string]string{
		metaFormat:     formatVersion,
		metaConfig:     string(cfg),
		metaEpoch:      strconv.Itoa(m.Epoch),
		metaCalibrated: strconv.FormatBool(m.Calibrated),
	}
	return nn.SaveCheckpoint(path, tensors, meta)
}

// LoadModel reads a checkpoint written by Model.Save and rebuilds the
// model from the config it stores.
func LoadModel(path string) (*Model, error) {
	c, err := nn.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if c.Metadata[metaFormat] != formatVersion {
		return nil, fmt.Errorf("dim: %s is not a nidim model checkpoint (metadata %s = %q, want %q); pass a file written by nidim train", path, metaFormat, c.Metadata[metaFormat], formatVersion)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(c.Metadata[metaConfig]), &cfg); err != nil {
		return nil, fmt.Errorf("dim: %s: invalid config metadata: %w", path, err)
	}
	m, err := NewModel(cfg, cfg.Input)
	if err != nil {
		return nil, fmt.Errorf("dim: %s: %w", path, err)
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
	if m.Epoch, err = strconv.Atoi(c.Metadata[metaEpoch]); err != nil || m.Epoch < 0 {
		return nil, fmt.Errorf("dim: %s: invalid epoch metadata %q", path, c.Metadata[metaEpoch])
	}
	m.Calibrated = c.Metadata[metaCalibrated] == "true"
	return m, nil
}
