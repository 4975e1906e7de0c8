package dim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/simd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resumeConfig is tinyConfig with every generator of a step in use: views
// with noise and masking, channel noise on both views, the learned
// temperature and the penalty, whose directions come from the step's
// generator too.
func resumeConfig() Config {
	cfg := tinyConfig()
	cfg.MaskProb = 0.1
	cfg.Penalty, cfg.PenaltyWeight, cfg.PenaltyDirections = PenaltyEppsPulley, 0.5, 4
	return cfg
}

// saveAndLoad writes m to a new file and reads it back.
func saveAndLoad(t *testing.T, m *Model) *Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "resume.safetensors")
	require.NoError(t, m.Save(path))
	back, err := LoadModel(path)
	require.NoError(t, err)
	return back
}

// requireSameCheckpoint saves both models and requires byte-identical
// files. On a difference it names the tensors whose bits differ.
func requireSameCheckpoint(t *testing.T, want, got *Model) {
	t.Helper()
	dir := t.TempDir()
	wantPath, gotPath := filepath.Join(dir, "want.safetensors"), filepath.Join(dir, "got.safetensors")
	require.NoError(t, want.Save(wantPath))
	require.NoError(t, got.Save(gotPath))

	wantBytes, err := os.ReadFile(wantPath)
	require.NoError(t, err)
	gotBytes, err := os.ReadFile(gotPath)
	require.NoError(t, err)
	if string(wantBytes) == string(gotBytes) {
		return
	}

	// Name what differs, for the failure message.
	a, err := nn.LoadCheckpoint(wantPath)
	require.NoError(t, err)
	b, err := nn.LoadCheckpoint(gotPath)
	require.NoError(t, err)
	var differ []string
	for name, ta := range a.Tensors {
		tb, ok := b.Tensors[name]
		if !ok || len(ta.Data) != len(tb.Data) {
			differ = append(differ, name+" (missing or resized)")
			continue
		}
		for i := range ta.Data {
			if math.Float32bits(ta.Data[i]) != math.Float32bits(tb.Data[i]) {
				differ = append(differ, name)
				break
			}
		}
	}
	assert.Equal(t, a.Metadata, b.Metadata, "metadata")
	t.Fatalf("the checkpoints differ; tensors with other bits: %v", differ)
}

// A finished run extended by more epochs must end where a run trained
// to that many epochs at once ends, the optimizer state included.
func TestContinueFinishedRunMatchesUninterrupted(t *testing.T) {
	data := vectorData(256)
	cfg := resumeConfig()
	want, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)

	short := cfg
	short.Epochs = 2
	m, _, err := Train(context.Background(), short, data, nil)
	require.NoError(t, err)
	require.True(t, m.Calibrated)
	back := saveAndLoad(t, m)
	require.NotNil(t, back.Optimizer, "the checkpoint has no optimizer state")
	assert.Equal(t, m.Optimizer.Net.Steps, back.Optimizer.Net.Steps)
	back.Config.Epochs = cfg.Epochs
	got, h, err := Continue(context.Background(), back, data, nil)
	require.NoError(t, err)
	require.Len(t, h.Epochs, 2)
	requireSameCheckpoint(t, want, got)
}

// The checkpoint that nidim train writes after each epoch, resumed, must
// end where the run it came from ends. A cosine schedule makes every
// step's learning rate depend on the epoch count, which stays the same.
func TestContinueEpochCheckpointMatchesUninterrupted(t *testing.T) {
	data := vectorData(256)
	cfg := resumeConfig()
	cfg.Schedule = "cosine"
	want, back := trainWithEpoch2Checkpoint(t, cfg, data)
	assert.Equal(t, 2, back.Epoch)
	assert.Equal(t, 0, back.Step)
	got, _, err := Continue(context.Background(), back, data, nil)
	require.NoError(t, err)
	requireSameCheckpoint(t, want, got)
}

// trainWithEpoch2Checkpoint trains cfg on data, saving the model after
// the second epoch, and returns the trained model and the saved one,
// loaded back.
func trainWithEpoch2Checkpoint(t *testing.T, cfg Config, data *Dataset) (trained, epoch2 *Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "epoch2.safetensors")
	trained, _, err := Train(context.Background(), cfg, data, func(p Progress) {
		if p.EpochDone && p.Epoch == 2 {
			require.NoError(t, p.Model.Save(path))
		}
	})
	require.NoError(t, err)
	epoch2, err = LoadModel(path)
	require.NoError(t, err)
	return trained, epoch2
}

// A run canceled within an epoch, saved and continued must match the
// uninterrupted run, which takes skipping the trained steps' draws.
func TestContinueWithinEpochMatchesUninterrupted(t *testing.T) {
	data := vectorData(256) // 8 steps per epoch
	cfg := resumeConfig()
	cfg.Schedule = "cosine"
	want, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)

	for _, stop := range []struct{ epoch, step int }{{1, 1}, {2, 3}, {3, 7}} {
		ctx, cancel := context.WithCancel(context.Background())
		m, h, err := Train(ctx, cfg, data, func(p Progress) {
			if !p.EpochDone && p.Epoch == stop.epoch && p.Step == stop.step {
				cancel()
			}
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled)
		assert.Len(t, h.Epochs, stop.epoch-1)
		assert.Equal(t, stop.epoch-1, m.Epoch, "stop %v", stop)
		assert.Equal(t, stop.step, m.Step, "stop %v", stop)
		assert.False(t, m.Calibrated)

		back := saveAndLoad(t, m)
		assert.Equal(t, stop.step, back.Step, "stop %v", stop)
		var first Progress
		got, h, err := Continue(context.Background(), back, data, func(p Progress) {
			if first.Step == 0 {
				first = p
			}
		})
		require.NoError(t, err)
		assert.Equal(t, Progress{Epoch: stop.epoch, Step: stop.step + 1}, Progress{Epoch: first.Epoch, Step: first.Step}, "stop %v: the first step trained", stop)
		assert.Len(t, h.Epochs, cfg.Epochs-stop.epoch+1)
		requireSameCheckpoint(t, want, got)
	}
}

// Checkpoints written before the optimizer state was saved have neither
// its tensors nor the step. They must still load, and resume with a new
// optimizer.
func TestContinueCheckpointWithoutOptimizerState(t *testing.T) {
	m, data, path := savedModel(t, "old.safetensors")
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	var tensors []nn.NamedTensor
	for _, p := range nn.State(m.Encoder.Net) {
		tensors = append(tensors, nn.NamedTensor{Name: p.Name, Tensor: c.Tensors[p.Name]})
	}
	tensors = append(tensors, nn.NamedTensor{Name: logTauName, Tensor: c.Tensors[logTauName]})
	meta := map[string]string{}
	for _, key := range []string{metaFormat, metaConfig, metaEpoch, metaCalibrated} {
		meta[key] = c.Metadata[key]
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, meta))

	old, err := LoadModel(path)
	require.NoError(t, err)
	assert.Nil(t, old.Optimizer)
	assert.Equal(t, 1, old.Epoch)
	assert.Equal(t, 0, old.Step)
	assert.Empty(t, old.SIMD, "a file without the SIMD level")
	assert.False(t, old.Verified, "a file without a checksum")
	assert.Empty(t, old.Data, "a file without a data fingerprint")
	want, err := m.Encoder.Embed(data.X, 64)
	require.NoError(t, err)
	got, err := old.Encoder.Embed(data.X, 64)
	require.NoError(t, err)
	assert.Equal(t, want.Data, got.Data, "the old checkpoint embeds differently")

	old.Config.Epochs = 2
	resumed, h, err := Continue(context.Background(), old, data, nil)
	require.NoError(t, err)
	require.Len(t, h.Epochs, 1)
	assert.Equal(t, 2, resumed.Epoch)
	require.NotNil(t, resumed.Optimizer)
	assert.Equal(t, 128/32, resumed.Optimizer.Net.Steps, "Adam did not start afresh")
	assert.Equal(t, simd.Active().Level.String(), resumed.SIMD)
}

// The kernels of each SIMD level round differently, so a checkpoint names
// the level that trained it, and a resumed run records its own.
func TestCheckpointStoresSIMDLevel(t *testing.T) {
	m, data, path := savedModel(t, "m.safetensors")
	active := simd.Active().Level.String()
	assert.Equal(t, active, m.SIMD)
	ck, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Equal(t, active, ck.Metadata[metaSIMD])
	back, err := LoadModel(path)
	require.NoError(t, err)
	assert.Equal(t, active, back.SIMD)

	// A model that another level trained keeps that name until it trains
	// again.
	back.SIMD = "some-other-level"
	back = saveAndLoad(t, back)
	assert.Equal(t, "some-other-level", back.SIMD)
	back.Config.Epochs = 2
	resumed, _, err := Continue(context.Background(), back, data, nil)
	require.NoError(t, err)
	assert.Equal(t, active, resumed.SIMD)
}

// A damaged optimizer state must stop LoadModel with the tensor's name
// and what to do, not fail later or resume from wrong moments.
func TestLoadModelDamagedOptimizerState(t *testing.T) {
	m, _, good := savedModel(t, "good.safetensors")
	dir := filepath.Dir(good)
	weight := m.Encoder.Net.Params()[0].Name

	const fix = "; the file was changed after nidim wrote it; restore it from a copy or train the model again"
	for _, c := range []struct {
		name string
		edit func(c *nn.Checkpoint)
		want string
	}{
		{"reshaped", func(c *nn.Checkpoint) {
			t := c.Tensors[adamV+weight]
			t.Shape = []int{len(t.Data)}
		}, `optimizer tensor "adam.v.` + weight + `" has shape [512], the parameter has [32 16]` + fix},
		{"missing", func(c *nn.Checkpoint) { delete(c.Tensors, adamM+logTauName) },
			`has no optimizer tensor "adam.m.log_tau"` + fix},
		{"NaN", func(c *nn.Checkpoint) { c.Tensors[adamM+weight].Data[3] = float32(math.NaN()) },
			`optimizer tensor "adam.m.` + weight + `" has the invalid value NaN at index 3` + fix},
		{"negative variance", func(c *nn.Checkpoint) { c.Tensors[adamV+weight].Data[0] = -1 },
			`optimizer tensor "adam.v.` + weight + `" has the invalid value -1 at index 0` + fix},
		{"step count", func(c *nn.Checkpoint) { c.Metadata[metaAdamSteps] = "four" },
			`invalid optimizer metadata nidim.adam_steps = "four"` + fix},
	} {
		t.Run(c.name, func(t *testing.T) {
			ck, err := nn.LoadCheckpoint(good)
			require.NoError(t, err)
			c.edit(ck)
			var tensors []nn.NamedTensor
			for name, tensor := range ck.Tensors {
				tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
			}
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".safetensors")
			require.NoError(t, nn.SaveCheckpoint(path, tensors, ck.Metadata))
			_, err = LoadModel(path)
			assert.ErrorContains(t, err, path+": the tensors or settings do not match the SHA-256 that nidim stored")

			// A file written before the checksum existed gets the
			// specific check.
			delete(ck.Metadata, metaChecksum)
			require.NoError(t, nn.SaveCheckpoint(path, tensors, ck.Metadata))
			_, err = LoadModel(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The data must split into as many steps as when training stopped.
func TestContinueRejectsStepBeyondData(t *testing.T) {
	m, err := NewModel(tinyConfig(), []int{16})
	require.NoError(t, err)
	m.Step = 4
	_, _, err = Continue(context.Background(), m, vectorData(128), nil)
	assert.EqualError(t, err, "dim: the model stopped after step 4 of epoch 1, but the data has 4 steps of 32 samples per epoch; pass the data it was trained on")
}

func TestContinueRejectsOtherData(t *testing.T) {
	m, data, path := savedModel(t, "m.safetensors")
	back, err := LoadModel(path)
	require.NoError(t, err)
	assert.Equal(t, data.Fingerprint(), back.Data)
	assert.Equal(t, m.Data, back.Data)

	other := vectorData(128)
	other.X.Data[5] += 1e-3
	assert.NotEqual(t, data.Fingerprint(), other.Fingerprint())
	assert.NoError(t, back.CheckData(data))
	assert.ErrorContains(t, back.CheckData(other), "the model was trained on other data (128 x [16] sha256:")

	back.Config.Epochs = 2
	_, _, err = Continue(context.Background(), back, other, nil)
	assert.ErrorContains(t, err, "continue with the training data and split it was trained on")
}

// Verified separates a checkpoint whose checksum LoadModel checked from
// one written before nidim stored checksums.
func TestLoadModelVerifiedFlag(t *testing.T) {
	m, _, path := savedModel(t, "m.safetensors")
	assert.False(t, m.Verified, "a trained model was not loaded")
	back, err := LoadModel(path)
	require.NoError(t, err)
	assert.True(t, back.Verified)

	ck, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	delete(ck.Metadata, metaChecksum)
	var tensors []nn.NamedTensor
	for name, tensor := range ck.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, ck.Metadata))
	old, err := LoadModel(path)
	require.NoError(t, err)
	assert.False(t, old.Verified)
	assert.Equal(t, back.Data, old.Data)
}

// A weight changed to another finite value used to load without a word.
func TestLoadModelDetectsChangedWeight(t *testing.T) {
	m, _, path := savedModel(t, "m.safetensors")
	ck, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	weight := m.Encoder.Net.Params()[0].Name
	ck.Tensors[weight].Data[7] = math.Nextafter32(ck.Tensors[weight].Data[7], 1)
	var tensors []nn.NamedTensor
	for name, tensor := range ck.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, ck.Metadata))
	_, err = LoadModel(path)
	assert.ErrorContains(t, err, "the file was changed after nidim wrote it")
}

// The class names of the training data survive saving, loading and
// export, and a model trained on data without names stores none.
func TestCheckpointStoresClassNames(t *testing.T) {
	data := vectorData(128)
	data.Classes = []string{"ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"}
	cfg := tinyConfig()
	cfg.Epochs = 1
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	assert.Equal(t, data.Classes, m.Classes)
	data.Classes[0] = "changed after training"
	assert.Equal(t, "ant", m.Classes[0], "the model keeps its own copy")

	back := saveAndLoad(t, m)
	assert.Equal(t, m.Classes, back.Classes)
	assert.Equal(t, m.Classes, exportAndLoad(t, m).Classes)

	plain, _, _ := savedModel(t, "plain.safetensors")
	assert.Nil(t, saveAndLoad(t, plain).Classes)
}

// exportAndLoad saves m, writes its export as nidim export does, and
// reads the exported file back.
func exportAndLoad(t *testing.T, m *Model) *Model {
	t.Helper()
	dir := t.TempDir()
	source, path := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "export.safetensors")
	require.NoError(t, m.Save(source))
	e, err := ReadExport(source)
	require.NoError(t, err)
	require.NoError(t, e.Write(path))
	exported, err := LoadModel(path)
	require.NoError(t, err)
	return exported
}

// A class name entry that is not a non-empty array of strings is damage
// that loading reports, even under a checksum that matches it.
func TestLoadModelInvalidClassNames(t *testing.T) {
	path, c := tinyCheckpoint(t)
	for _, text := range []string{"", "[]", `"ant"`, "[1, 2]", `{"a": "b"}`} {
		c.Metadata[metaClasses] = text
		c.Metadata[metaChecksum] = checksum(c.Tensors, c.Metadata)
		_, err := modelFromCheckpoint(path, c)
		assert.ErrorContains(t, err, "invalid class name metadata", text)
	}
}

// A model trained with the dv loss resumes from its epoch checkpoint to
// the run it came from, and its exported copy loads with the loss and
// gives the same embeddings.
func TestDVCheckpointResumeAndExport(t *testing.T) {
	data := vectorData(256)
	cfg := resumeConfig()
	cfg.Loss = BoundDV
	want, back := trainWithEpoch2Checkpoint(t, cfg, data)
	assert.Equal(t, BoundDV, back.Config.Loss)
	got, h, err := Continue(context.Background(), back, data, nil)
	require.NoError(t, err)
	require.Len(t, h.Epochs, 2, "epochs 3 and 4 run after the checkpoint")
	requireSameCheckpoint(t, want, got)

	exported := exportAndLoad(t, want)
	assert.Equal(t, BoundDV, exported.Config.Loss)
	assert.True(t, exported.Exported)
	wantZ, err := want.Embed(data.X, 100)
	require.NoError(t, err)
	gotZ, err := exported.Embed(data.X, 100)
	require.NoError(t, err)
	assert.Equal(t, wantZ.Data, gotZ.Data)
}
