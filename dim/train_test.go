package dim

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorData returns n points in 16 dimensions spread over 8 clusters, with
// their cluster labels.
func vectorData(n int) *Dataset {
	rng := rand.New(rand.NewPCG(21, 22))
	const f = 16
	centers := make([]float64, 8*f)
	for i := range centers {
		centers[i] = 2 * rng.NormFloat64()
	}
	x := tensor.New(n, f)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(8)
		for k := 0; k < f; k++ {
			x.Data[i*f+k] = float32(centers[labels[i]*f+k] + rng.NormFloat64())
		}
	}
	return &Dataset{X: x, Shape: []int{f}, Labels: labels}
}

// signalData returns n points in 16 dimensions whose first 3 components
// have standard deviation 3 and the others 0.1. Under view noise of
// standard deviation 1 only the first 3 survive, and a random encoder mixes
// in the rest, so training has much to gain.
func signalData(n int) *Dataset {
	rng := rand.New(rand.NewPCG(23, 24))
	const f = 16
	x := tensor.New(n, f)
	for i := 0; i < n; i++ {
		for k := 0; k < f; k++ {
			s := 0.1
			if k < 3 {
				s = 3
			}
			x.Data[i*f+k] = float32(s * rng.NormFloat64())
		}
	}
	return &Dataset{X: x, Shape: []int{f}}
}

func tinyConfig() Config {
	cfg := DefaultConfig()
	cfg.Dim = 3
	cfg.Hidden = 32
	cfg.Sigma = 0.3
	cfg.Batch = 32
	cfg.Epochs = 4
	cfg.LR = 3e-3
	cfg.Seed = 7
	cfg.Threads = 2
	return cfg
}

func TestTrainDeterministic(t *testing.T) {
	data := vectorData(256)
	run := func() (*Model, *History) {
		m, h, err := Train(context.Background(), tinyConfig(), data, nil)
		require.NoError(t, err)
		return m, h
	}
	m1, h1 := run()
	m2, h2 := run()
	p1, p2 := m1.Encoder.Net.Params(), m2.Encoder.Net.Params()
	require.Equal(t, len(p1), len(p2))
	for i := range p1 {
		require.Equal(t, p1[i].Value.Data, p2[i].Value.Data, "parameter %s", p1[i].Name)
	}
	assert.Equal(t, m1.LogTau, m2.LogTau)
	for i := range h1.Epochs {
		assert.Equal(t, h1.Epochs[i].Loss, h2.Epochs[i].Loss)
	}
}

func TestTrainLearnsAndRecalibrates(t *testing.T) {
	data := signalData(512)
	cfg := tinyConfig()
	cfg.Epochs = 6
	cfg.FeatureNoise = 1
	var reports, epochEnds int
	m, h, err := Train(context.Background(), cfg, data, func(p Progress) {
		reports++
		if p.EpochDone {
			epochEnds++
			require.NotNil(t, p.Model)
		}
		require.LessOrEqual(t, p.MI, p.LnBatch+1e-9, "InfoNCE cannot exceed ln B")
		require.InDelta(t, 1.5*math.Log1p(1/0.09), p.Capacity, 1e-12)
	})
	require.NoError(t, err)
	assert.Equal(t, 6*(512/32)+6, reports)
	assert.Equal(t, 6, epochEnds)
	require.Len(t, h.Epochs, 6)
	assert.Equal(t, 6, m.Epoch)
	first, last := h.Epochs[0].MI, h.Epochs[5].MI
	assert.Greater(t, last, first+1, "the MI estimate must grow with training")
	assert.NotEqual(t, math.Log(cfg.TiedTau()), m.LogTau, "the temperature is learned")

	// On the training data in inference mode the estimate is close to the
	// last epoch's training estimate, and below ln B.
	mi, err := EstimateMI(m, data, 1)
	require.NoError(t, err)
	assert.InDelta(t, last, mi, 0.5)
	assert.Less(t, mi, math.Log(32))

	// Recalibration makes the clean training embeddings standardized.
	require.True(t, m.Calibrated)
	e, err := m.Encoder.Embed(data.X, 100)
	require.NoError(t, err)
	mean := make([]float64, cfg.Dim)
	variance := make([]float64, cfg.Dim)
	meanVar(e.Data, 512, cfg.Dim, mean, variance)
	for k := range mean {
		assert.InDelta(t, 0, mean[k], 1e-4, "component %d mean", k)
		assert.InDelta(t, 1, variance[k], 1e-3, "component %d variance", k)
	}
}

// TestTrainBoundsLearn trains the setting of TestTrainLearnsAndRecalibrates
// with each bound whose loss differs from InfoNCE's. The loss must fall
// from the first epoch to the last, and the reported MI estimate must
// rise.
func TestTrainBoundsLearn(t *testing.T) {
	data := signalData(512)
	for _, bound := range []Bound{BoundJSD, BoundNWJ, BoundDV} {
		t.Run(string(bound), func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Epochs = 6
			cfg.FeatureNoise = 1
			cfg.Loss = bound
			m, h, err := Train(context.Background(), cfg, data, nil)
			require.NoError(t, err)
			require.Len(t, h.Epochs, 6)
			first, last := h.Epochs[0], h.Epochs[5]
			t.Logf("%s: loss %.4f -> %.4f, MI %.3f -> %.3f", bound, first.Loss, last.Loss, first.MI, last.MI)
			assert.Less(t, last.Loss, first.Loss, "the loss must fall with training")
			assert.Greater(t, last.MI, first.MI+0.5, "the MI estimate must grow with training")

			mi, err := EstimateMI(m, data, 1)
			require.NoError(t, err)
			assert.InDelta(t, last.MI, mi, 0.5, "estimate on the training data in inference mode")
		})
	}
}

func TestTrainUniformPriorInUnitCube(t *testing.T) {
	data := vectorData(128)
	cfg := tinyConfig()
	cfg.Prior, cfg.Eps, cfg.Epochs = "uniform", 0.1, 1
	cfg.NoiseViews = 1
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	e, err := m.Encoder.Embed(data.X, 64)
	require.NoError(t, err)
	for _, v := range e.Data {
		require.True(t, v >= 0 && v <= 1, "uniform embedding %v outside [0, 1]", v)
	}
	assert.InDelta(t, 0.01/3, cfg.TiedTau(), 1e-15)
}

func TestTrainCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	m, h, err := Train(ctx, tinyConfig(), vectorData(256), func(p Progress) {
		steps++
		if steps == 3 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, m)
	assert.Equal(t, 0, m.Epoch)
	assert.False(t, m.Calibrated)
	assert.Empty(t, h.Epochs)
	assert.Equal(t, 3, steps)
}

// savedModel trains tinyConfig for one epoch on 128 vectors and saves the
// model in a temporary directory as name.
func savedModel(t *testing.T, name string) (m *Model, data *Dataset, path string) {
	t.Helper()
	data = vectorData(128)
	cfg := tinyConfig()
	cfg.Epochs = 1
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), name)
	require.NoError(t, m.Save(path))
	return m, data, path
}

func TestModelSaveLoad(t *testing.T) {
	m, data, path := savedModel(t, "model.safetensors")

	back, err := LoadModel(path)
	require.NoError(t, err)
	assert.Equal(t, m.Config, back.Config)
	assert.Equal(t, 1, back.Epoch)
	assert.True(t, back.Calibrated)
	assert.InDelta(t, m.LogTau, back.LogTau, 1e-6)
	want, err := m.Encoder.Embed(data.X, 50)
	require.NoError(t, err)
	got, err := back.Encoder.Embed(data.X, 50)
	require.NoError(t, err)
	assert.Equal(t, want.Data, got.Data)

	// Continuing a loaded model trains only the remaining epochs.
	back.Config.Epochs = 2
	_, h, err := Continue(context.Background(), back, data, nil)
	require.NoError(t, err)
	require.Len(t, h.Epochs, 1)
	assert.Equal(t, 2, h.Epochs[0].Epoch)
}

// The checkpoint stores Config.TestFraction when it is set and leaves it
// out when it is 0, so that a model of data that comes split has the
// bytes it had before the field existed.
func TestCheckpointTestFraction(t *testing.T) {
	m, _, path := savedModel(t, "model.safetensors")
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.NotContains(t, c.Metadata[metaConfig], "test_fraction")

	m.Config.TestFraction = 0.2
	require.NoError(t, m.Save(path))
	c, err = nn.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Contains(t, c.Metadata[metaConfig], `"test_fraction":0.2`)
	back, err := LoadModel(path)
	require.NoError(t, err)
	assert.Equal(t, 0.2, back.Config.TestFraction)
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Prior = "cauchy" }, "unknown prior"},
		{func(c *Config) { c.Sigma = 0 }, "sigma = 0"},
		{func(c *Config) { c.NoiseViews = 3 }, "noise views 3"},
		{func(c *Config) { c.Dim = 0 }, "dimension 0"},
		{func(c *Config) { c.Critic = "bilinear" }, "unknown critic"},
		{func(c *Config) { c.Loss = "mine" }, `unknown loss "mine"; use infonce, infonce-rows, jsd, nwj or dv`},
		{func(c *Config) { c.Epochs = 0 }, "epochs 0"},
		// An unknown encoder used to pass, so nidim train loaded its data
		// before NewEncoder rejected it.
		{func(c *Config) { c.Encoder = "vit" }, `unknown encoder "vit"`},
		{func(c *Config) { c.Hidden = -1 }, "hidden width -1 is invalid"},
		{func(c *Config) { c.Batch = 1 }, "batch size 1"},
		{func(c *Config) { c.LR = -1 }, "learning rate -1"},
		{func(c *Config) { c.Schedule = "linear" }, "schedule"},
		{func(c *Config) { c.Tau = math.Inf(1) }, "temperature"},
		// The view settings used to be checked only when training drew
		// the first view, so nidim train exited 1 instead of 2.
		{func(c *Config) { c.MaxShift = -3 }, "maximum shift -3 is invalid"},
		{func(c *Config) { c.MaxRotate = -5 }, "maximum rotation -5 is invalid"},
		{func(c *Config) { c.MaxScale = 2 }, "maximum zoom change 2 is invalid"},
		{func(c *Config) { c.PixelNoise = math.NaN() }, "pixel noise NaN is invalid"},
		{func(c *Config) { c.FeatureNoise = -1 }, "feature noise -1 is invalid"},
		{func(c *Config) { c.MaskProb = 1.5 }, "masking probability 1.5 is invalid"},
		{func(c *Config) { c.TestFraction = 1 }, "test fraction 1 is invalid"},
		{func(c *Config) { c.TestFraction = -0.1 }, "test fraction -0.1 is invalid"},
		{func(c *Config) { c.TestFraction = math.NaN() }, "test fraction NaN is invalid"},
		{func(c *Config) {
			c.Prior, c.Eps = "uniform", 0.1
			c.Penalty, c.PenaltyWeight, c.PenaltyDirections = PenaltyEppsPulley, 1, 16
		}, "the uniform prior squashes them into [0, 1]^d"},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	cfg := DefaultConfig()
	require.NoError(t, cfg.Validate())
	cfg = MatchingConfig()
	require.NoError(t, cfg.Validate())
	// The match recipe's temperature is the channel's variance, fixed.
	assert.Equal(t, 0.25, cfg.InitialTau())
	assert.False(t, cfg.LearnTau)

	// The error names the Config field, because callers of the package
	// set Config.Batch and not the --batch flag of nidim train.
	_, _, err := Train(context.Background(), tinyConfig(), vectorData(16), nil)
	assert.EqualError(t, err, "dim: batch size 32 is larger than the 16 training samples; set Config.Batch to 16 or less")
}

func TestTrainNoRecalibrate(t *testing.T) {
	data := vectorData(128)
	cfg := tinyConfig()
	cfg.Epochs = 1
	cfg.NoRecalibrate = true
	m, _, err := Train(context.Background(), cfg, data, nil)
	require.NoError(t, err)
	assert.False(t, m.Calibrated)
	running := append([]float32(nil), m.Encoder.Norm.RunningMean.Value.Data...)

	// The running averages of training differ from the exact statistics
	// that recalibration computes.
	require.NoError(t, m.Encoder.Recalibrate(data.X, 50))
	assert.NotEqual(t, running, m.Encoder.Norm.RunningMean.Value.Data)
}

// TestSameInputGradient checks the step that Continue takes when both
// views are the same input: the encoder on the B rows once, with the two
// views' gradients added, gives the parameter gradients of the encoder on
// both stacked copies.
func TestSameInputGradient(t *testing.T) {
	data := vectorData(64)
	cfg := tinyConfig()
	m, err := NewModel(cfg, data.Shape)
	require.NoError(t, err)
	enc := m.Encoder
	const b = 32
	x := tensor.New(b, 16)
	copy(x.Data, data.X.Data[:b*16])
	rng := rand.New(rand.NewPCG(5, 6))
	g := tensor.New(2*b, cfg.Dim)
	for i := range g.Data {
		g.Data[i] = float32(rng.NormFloat64())
	}
	params := enc.Net.Params()
	grads := func() [][]float32 {
		var out [][]float32
		for _, p := range params {
			out = append(out, append([]float32(nil), p.Grad.Data...))
			clear(p.Grad.Data)
		}
		return out
	}
	for _, p := range params {
		clear(p.Grad.Data)
	}

	// Both copies stacked, normalized as two batches.
	both := tensor.New(2*b, 16)
	copy(both.Data, x.Data)
	copy(both.Data[b*16:], x.Data)
	enc.Norm.Groups = 2
	yBoth, err := enc.Forward(both, true)
	require.NoError(t, err)
	yBoth2 := append([]float32(nil), yBoth.Data...)
	require.NoError(t, enc.Backward(g))
	want := grads()

	// Once, with the gradients added.
	enc.Norm.Groups = 1
	yOnce, err := enc.Forward(x, true)
	require.NoError(t, err)
	require.Equal(t, yBoth2[:b*cfg.Dim], yOnce.Data, "the forward pass is the same")
	sum := tensor.New(b, cfg.Dim)
	for i := range sum.Data {
		sum.Data[i] = g.Data[i] + g.Data[b*cfg.Dim+i]
	}
	require.NoError(t, enc.Backward(sum))
	got := grads()
	for i := range want {
		for j, w := range want[i] {
			require.InDelta(t, w, got[i][j], 1e-5*(1+math.Abs(float64(w))), "%s[%d]", params[i].Name, j)
		}
	}
}

// TestTrainSameInputOnce runs the same-input path and the two-view path
// for a few steps: the losses must stay close, and views that differ must
// not take the new path at all. Adam's first steps move a weight by about
// the learning rate whatever the size of its gradient, so weights whose
// gradient is near 0 may differ by twice the learning rate.
func TestTrainSameInputOnce(t *testing.T) {
	data := vectorData(256)
	train := func(cfg Config, twoViews bool) (*Model, *History) {
		forceTwoViews = twoViews
		defer func() { forceTwoViews = false }()
		m, h, err := Train(context.Background(), cfg, data, nil)
		require.NoError(t, err)
		return m, h
	}
	match := tinyConfig()
	match.Epochs = 1
	match.FeatureNoise, match.NoiseViews, match.Loss, match.SelfWeight, match.LearnTau = 0, 1, BoundInfoNCERows, 0.5, false
	shared := tinyConfig()
	shared.Epochs = 1
	shared.SharedView = true
	shared.Penalty, shared.PenaltyWeight, shared.PenaltyDirections = PenaltyEppsPulley, 1, 4
	for name, cfg := range map[string]Config{"identical clean views": match, "one shared augmented draw with a penalty": shared} {
		t.Run(name, func(t *testing.T) {
			once, hOnce := train(cfg, false)
			twice, hTwice := train(cfg, true)
			require.Len(t, hOnce.Epochs, cfg.Epochs)
			assert.InDelta(t, hTwice.Epochs[0].Loss, hOnce.Epochs[0].Loss, 0.01*math.Abs(hTwice.Epochs[0].Loss), "first epoch's loss")
			p1, p2 := once.Encoder.Net.Params(), twice.Encoder.Net.Params()
			for i := range p1 {
				for j, v := range p1[i].Value.Data {
					w := p2[i].Value.Data[j]
					require.InDelta(t, w, v, 0.1, "%s[%d]", p1[i].Name, j)
				}
			}
		})
	}

	// Views that differ run the encoder on both, so the flag changes nothing.
	cfg := tinyConfig() // feature noise 0.1 on each view
	a, _ := train(cfg, false)
	b, _ := train(cfg, true)
	for i, p := range a.Encoder.Net.Params() {
		require.Equal(t, b.Encoder.Net.Params()[i].Value.Data, p.Value.Data, p.Name)
	}
}

// The uniform prior's two-view MI is a numerical integral over a 2000 x
// 2000 grid, which Continue computes once per run rather than for every
// progress report (the per-step cost made training on small data several
// times slower). Every report must still carry the prior's values.
func TestTrainUniformProgressValues(t *testing.T) {
	data := vectorData(1024)
	cfg := tinyConfig()
	cfg.Prior, cfg.Eps, cfg.Epochs = "uniform", 0.5, 1
	cfg.NoiseViews = 1
	prior, err := cfg.NewPrior()
	require.NoError(t, err)
	capacity, twoView := prior.Capacity(cfg.Dim), prior.TwoViewMI(cfg.Dim)

	reports := 0
	_, _, err = Train(context.Background(), cfg, data, func(p Progress) {
		reports++
		assert.Equal(t, capacity, p.Capacity)
		assert.Equal(t, twoView, p.TwoViewMI)
	})
	require.NoError(t, err)
	require.Equal(t, 1024/cfg.Batch+1, reports)
}
