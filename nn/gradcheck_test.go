package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/require"
)

// The gradient checks compare Backward with central differences of the
// scalar loss L = sum(dy * y) for a fixed random dy, which makes dL/dy = dy.
// The forward pass runs in float32, so the difference quotient carries a
// rounding error of about eps32 * |L| / h. With h = 1e-2 and losses of
// order 10 that is below 1e-4, and the truncation error h^2 f”'/6 of the
// smooth layers is of the same order; the tolerances leave a margin of
// about ten above that. Inputs stay at least 0.1 away from the kinks of
// ReLU and max pooling, so no difference straddles a kink.
const (
	gradStep = 1e-2
	gradAbs  = 2e-3
	gradRel  = 1e-2
)

func newTestRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// randomTensor fills a tensor of the given shape with N(0, 1) values.
func randomTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// awayFromZero moves values within 0.1 of zero out to +-0.1 or beyond.
func awayFromZero(t *tensor.Tensor) {
	for i, v := range t.Data {
		if math.Abs(float64(v)) < 0.1 {
			t.Data[i] = float32(math.Copysign(0.1+math.Abs(float64(v)), float64(v)))
		}
	}
}

// distinctValues fills t with a random permutation of values 0.1 apart, so
// that every pooling window has a unique maximum with a clear margin.
func distinctValues(rng *rand.Rand, t *tensor.Tensor) {
	for i, j := range rng.Perm(len(t.Data)) {
		t.Data[i] = float32(j)*0.1 - float32(len(t.Data))*0.05
	}
}

// gradCheck compares dL/dx and every parameter gradient from Backward with
// central differences. before runs before every Forward, to replay random
// state such as a dropout mask.
func gradCheck(t *testing.T, l Layer, x *tensor.Tensor, train bool, before func()) {
	t.Helper()
	rng := newTestRNG(99)
	if before != nil {
		before()
	}
	y, err := l.Forward(x, train)
	require.NoError(t, err)
	dy := randomTensor(rng, y.Shape...)
	for i := range dy.Data {
		dy.Data[i] += 0.5 // non-uniform and not centered
	}
	ZeroGrad(l.Params())
	dx, err := l.Backward(dy)
	require.NoError(t, err)
	require.Equal(t, x.Shape, dx.Shape, "input gradient shape")
	gotDx := append([]float32(nil), dx.Data...)

	loss := func() float64 {
		if before != nil {
			before()
		}
		y, err := l.Forward(x, train)
		require.NoError(t, err)
		var s float64
		for i, v := range y.Data {
			s += float64(dy.Data[i]) * float64(v)
		}
		return s
	}
	check := func(what string, values []float32, analytic []float32) {
		t.Helper()
		nonzero := 0
		for i := range values {
			orig := values[i]
			values[i] = orig + gradStep
			plus := loss()
			values[i] = orig - gradStep
			minus := loss()
			values[i] = orig
			numeric := (plus - minus) / (2 * gradStep)
			a := float64(analytic[i])
			tol := gradAbs + gradRel*math.Max(math.Abs(a), math.Abs(numeric))
			if math.Abs(a-numeric) > tol || math.IsNaN(a) {
				t.Errorf("%s: %s[%d]: Backward gives %.6g, central difference %.6g", l.Name(), what, i, a, numeric)
			}
			if math.Abs(numeric) > 10*gradAbs {
				nonzero++
			}
		}
		if nonzero == 0 {
			t.Errorf("%s: %s: every numeric gradient is near zero, so the check proves nothing", l.Name(), what)
		}
	}
	check("input", x.Data, gotDx)
	for _, p := range l.Params() {
		check(p.Name, p.Value.Data, append([]float32(nil), p.Grad.Data...))
	}
}

func TestGradLinear(t *testing.T) {
	rng := newTestRNG(1)
	l, err := NewLinear(5, 4, rng)
	require.NoError(t, err)
	copy(l.Bias.Value.Data, []float32{0.3, -0.2, 0.1, 0.5})
	gradCheck(t, l, randomTensor(rng, 3, 5), true, nil)
}

func TestGradConv2d(t *testing.T) {
	cases := []struct {
		name                            string
		inC, outC, k, stride, pad, h, w int
	}{
		{"3x3 pad1", 2, 3, 3, 1, 1, 5, 4},
		{"3x3 stride2 pad1", 2, 2, 3, 2, 1, 6, 5},
		{"2x2 no pad", 1, 2, 2, 1, 0, 4, 4},
		{"5x5 stride3 pad2", 1, 2, 5, 3, 2, 7, 6},
		{"1x1", 3, 2, 1, 1, 0, 3, 3},
		{"5x5 pad2", 2, 2, 5, 1, 2, 4, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := newTestRNG(2)
			l, err := NewConv2d(c.inC, c.outC, c.k, c.stride, c.pad, rng)
			require.NoError(t, err)
			for i := range l.Bias.Value.Data {
				l.Bias.Value.Data[i] = float32(rng.NormFloat64())
			}
			gradCheck(t, l, randomTensor(rng, 3, c.inC, c.h, c.w), true, nil)
		})
	}
}

func TestGradBatchNorm(t *testing.T) {
	for _, train := range []bool{true, false} {
		for _, affine := range []bool{true, false} {
			name := map[bool]string{true: "train", false: "eval"}[train] + map[bool]string{true: " affine", false: ""}[affine]
			t.Run("1d "+name, func(t *testing.T) {
				rng := newTestRNG(3)
				l, err := NewBatchNorm(3, affine)
				require.NoError(t, err)
				setBatchNormState(l, rng)
				x := randomTensor(rng, 5, 3)
				gradCheck(t, l, x, train, nil)
			})
			t.Run("2d "+name, func(t *testing.T) {
				rng := newTestRNG(4)
				l, err := NewBatchNorm2d(2, affine)
				require.NoError(t, err)
				setBatchNormState(l, rng)
				x := randomTensor(rng, 3, 2, 2, 3)
				gradCheck(t, l, x, train, nil)
			})
		}
	}
}

// setBatchNormState gives l a non-trivial scale, shift and running
// statistics.
func setBatchNormState(l *BatchNorm, rng *rand.Rand) {
	for c := range l.Channels {
		if l.Affine {
			l.Weight.Value.Data[c] = float32(0.5 + rng.Float64())
			l.Bias.Value.Data[c] = float32(rng.NormFloat64())
		}
		l.RunningMean.Value.Data[c] = float32(0.3 * rng.NormFloat64())
		l.RunningVar.Value.Data[c] = float32(0.5 + rng.Float64())
	}
}

func TestGradActivations(t *testing.T) {
	layers := []Layer{NewReLU(), NewLeakyReLU(0.2), NewTanh(), NewSigmoid()}
	for _, l := range layers {
		t.Run(l.Name(), func(t *testing.T) {
			rng := newTestRNG(5)
			x := randomTensor(rng, 4, 6)
			awayFromZero(x)
			gradCheck(t, l, x, true, nil)
		})
	}
}

func TestGradPooling(t *testing.T) {
	rng := newTestRNG(6)
	for _, kernel := range [][2]int{{2, 2}, {3, 2}, {2, 1}} {
		l, err := NewMaxPool2d(kernel[0], kernel[1])
		require.NoError(t, err)
		t.Run(l.Name(), func(t *testing.T) {
			x := tensor.New(2, 2, 5, 6)
			distinctValues(rng, x)
			gradCheck(t, l, x, true, nil)
		})
	}
	t.Run("GlobalAvgPool2d", func(t *testing.T) {
		gradCheck(t, NewGlobalAvgPool2d(), randomTensor(rng, 2, 3, 2, 3), true, nil)
	})
	t.Run("Flatten", func(t *testing.T) {
		gradCheck(t, NewFlatten(), randomTensor(rng, 2, 3, 2, 2), true, nil)
	})
}

func TestGradDropout(t *testing.T) {
	src := rand.NewPCG(7, 7)
	l, err := NewDropout(0.4, rand.New(src))
	require.NoError(t, err)
	replay := func() { src.Seed(7, 7) }
	for _, train := range []bool{true, false} {
		gradCheck(t, l, randomTensor(newTestRNG(8), 4, 5), train, replay)
	}
}

func TestGradSequential(t *testing.T) {
	rng := newTestRNG(9)
	conv, err := NewConv2d(2, 3, 3, 1, 1, rng)
	require.NoError(t, err)
	bn, err := NewBatchNorm2d(3, true)
	require.NoError(t, err)
	pool, err := NewMaxPool2d(2, 2)
	require.NoError(t, err)
	lin, err := NewLinear(12, 3, rng)
	require.NoError(t, err)
	model := NewSequential(conv, NewTanh(), bn, pool, NewFlatten(), lin)
	gradCheck(t, model, randomTensor(rng, 3, 2, 4, 4), true, nil)
}
