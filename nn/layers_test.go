package nn

import (
	"errors"
	"math"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	require.NoError(t, err)
	return x
}

func TestLinearForwardValues(t *testing.T) {
	l, err := NewLinear(2, 3, newTestRNG(1))
	require.NoError(t, err)
	copy(l.Weight.Value.Data, []float32{1, 2, 3, 4, 5, 6})
	copy(l.Bias.Value.Data, []float32{0.5, -1, 0})
	y, err := l.Forward(mustTensor(t, []float32{1, -1, 2, 0.5}, 2, 2), false)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, y.Shape)
	assert.Equal(t, []float32{-0.5, -2, -1, 3.5, 7, 13}, y.Data)
}

func TestLinearShapeError(t *testing.T) {
	l, err := NewLinear(4, 3, newTestRNG(1))
	require.NoError(t, err)
	_, err = l.Forward(tensor.New(2, 5), true)
	require.Error(t, err)
	assert.True(t, errors.Is(err, tensor.ErrShape))
	assert.Contains(t, err.Error(), "Linear(4, 3)")
	assert.Contains(t, err.Error(), "[2 5]")
	assert.Contains(t, err.Error(), "[N 4]")

	_, err = l.Backward(tensor.New(2, 3))
	assert.ErrorContains(t, err, "Backward called before Forward")
	_, err = l.Forward(tensor.New(2, 4), true)
	require.NoError(t, err)
	_, err = l.Backward(tensor.New(3, 3))
	assert.ErrorContains(t, err, "output gradient has shape [3 3], want [2 3]")
}

// convReference is a direct float64 convolution.
func convReference(l *Conv2d, x *tensor.Tensor) []float64 {
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	k, s, p := l.Kernel, l.Stride, l.Padding
	oh, ow := (h+2*p-k)/s+1, (w+2*p-k)/s+1
	out := make([]float64, n*l.OutC*oh*ow)
	for b := range n {
		for o := range l.OutC {
			for i := range oh {
				for j := range ow {
					sum := float64(l.Bias.Value.Data[o])
					for c := range l.InC {
						for ki := range k {
							for kj := range k {
								r, q := i*s-p+ki, j*s-p+kj
								if r < 0 || r >= h || q < 0 || q >= w {
									continue
								}
								sum += float64(l.Weight.Value.Data[((o*l.InC+c)*k+ki)*k+kj]) * float64(x.Data[((b*l.InC+c)*h+r)*w+q])
							}
						}
					}
					out[((b*l.OutC+o)*oh+i)*ow+j] = sum
				}
			}
		}
	}
	return out
}

func TestConv2dMatchesDirect(t *testing.T) {
	cases := []struct{ inC, outC, k, stride, pad, h, w int }{
		{1, 4, 3, 1, 1, 7, 9},
		{3, 2, 3, 2, 0, 8, 7},
		{2, 3, 4, 3, 2, 9, 10},
		{2, 2, 1, 1, 0, 3, 5},
		{1, 1, 3, 1, 3, 2, 2}, // more padding than image
	}
	for _, c := range cases {
		rng := newTestRNG(11)
		l, err := NewConv2d(c.inC, c.outC, c.k, c.stride, c.pad, rng)
		require.NoError(t, err)
		for i := range l.Bias.Value.Data {
			l.Bias.Value.Data[i] = float32(rng.NormFloat64())
		}
		x := randomTensor(rng, 5, c.inC, c.h, c.w)
		y, err := l.Forward(x, true)
		require.NoError(t, err)
		want := convReference(l, x)
		require.Len(t, y.Data, len(want), l.Name())
		for i, v := range y.Data {
			require.InDelta(t, want[i], float64(v), 1e-5*float64(c.inC*c.k*c.k), "%s: output %d", l.Name(), i)
		}
	}
}

func TestMaxPoolValues(t *testing.T) {
	l, err := NewMaxPool2d(2, 2)
	require.NoError(t, err)
	x := mustTensor(t, []float32{
		1, 5, 2, 0,
		3, 4, 8, 1,
		-1, -2, 0, 0,
		-3, -4, 7, 6,
	}, 1, 1, 4, 4)
	y, err := l.Forward(x, true)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1, 2, 2}, y.Shape)
	assert.Equal(t, []float32{5, 8, -1, 7}, y.Data)
	dx, err := l.Backward(mustTensor(t, []float32{10, 20, 30, 40}, 1, 1, 2, 2))
	require.NoError(t, err)
	assert.Equal(t, []float32{
		0, 10, 0, 0,
		0, 0, 20, 0,
		30, 0, 0, 0,
		0, 0, 40, 0,
	}, dx.Data)
}

func TestBatchNormTrainingStatistics(t *testing.T) {
	l, err := NewBatchNorm(2, true)
	require.NoError(t, err)
	copy(l.Weight.Value.Data, []float32{2, 3})
	copy(l.Bias.Value.Data, []float32{0.5, -1})
	// Feature 0 is 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased
	// 5/3); feature 1 is constant.
	x := mustTensor(t, []float32{1, 5, 2, 5, 3, 5, 4, 5}, 4, 2)
	y, err := l.Forward(x, true)
	require.NoError(t, err)
	inv := 1 / math.Sqrt(1.25+1e-5)
	for i, v := range []float64{1, 2, 3, 4} {
		assert.InDelta(t, 2*(v-2.5)*inv+0.5, float64(y.Data[2*i]), 1e-6, "feature 0, sample %d", i)
		assert.Equal(t, float32(-1), y.Data[2*i+1], "constant feature 1, sample %d", i)
	}
	assert.InDeltaSlice(t, []float32{0.25, 0.5}, l.RunningMean.Value.Data, 1e-7)
	assert.InDeltaSlice(t, []float32{0.9 + 0.1*5.0/3, 0.9}, l.RunningVar.Value.Data, 1e-7)

	// The gradient of a constant feature is finite.
	dx, err := l.Backward(mustTensor(t, []float32{1, 0.5, -2, 1, 0.3, -1, 2, 3}, 4, 2))
	require.NoError(t, err)
	for i, v := range dx.Data {
		assert.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "dx[%d] = %v", i, v)
	}
	// dx = g * invStd * (dy - mean(dy)) for the constant feature, whose
	// xhat is 0; invStd = 1/sqrt(eps).
	k := 3 / math.Sqrt(1e-5)
	for i, g := range []float64{0.5, 1, -1, 3} {
		assert.InDelta(t, k*(g-0.875), float64(dx.Data[2*i+1]), 1e-3*math.Abs(k))
	}
}

func TestBatchNormInference(t *testing.T) {
	l, err := NewBatchNorm2d(2, true)
	require.NoError(t, err)
	copy(l.Weight.Value.Data, []float32{2, 0.5})
	copy(l.Bias.Value.Data, []float32{1, 0})
	copy(l.RunningMean.Value.Data, []float32{1, -2})
	copy(l.RunningVar.Value.Data, []float32{4, 0.25})
	x := mustTensor(t, []float32{1, 3, 5, 7, -2, -1, 0, 1}, 1, 2, 2, 2)
	y, err := l.Forward(x, false)
	require.NoError(t, err)
	want := make([]float64, 8)
	for i, v := range x.Data[:4] {
		want[i] = 2*(float64(v)-1)/math.Sqrt(4+1e-5) + 1
	}
	for i, v := range x.Data[4:] {
		want[4+i] = 0.5 * (float64(v) + 2) / math.Sqrt(0.25+1e-5)
	}
	for i := range want {
		assert.InDelta(t, want[i], float64(y.Data[i]), 1e-6, "output %d", i)
	}
	// Inference leaves the running statistics alone.
	assert.Equal(t, []float32{1, -2}, l.RunningMean.Value.Data)
	assert.Equal(t, []float32{4, 0.25}, l.RunningVar.Value.Data)
}

func TestBatchNormBatchOfOne(t *testing.T) {
	l, err := NewBatchNorm(3, false)
	require.NoError(t, err)
	_, err = l.Forward(tensor.New(1, 3), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than one value per channel")
	assert.Contains(t, err.Error(), "[1 3]")
	_, err = l.Forward(tensor.New(1, 3), false)
	assert.NoError(t, err, "inference mode uses the running statistics")

	l2, err := NewBatchNorm2d(2, false)
	require.NoError(t, err)
	_, err = l2.Forward(tensor.New(1, 2, 1, 1), true)
	assert.Error(t, err)
	_, err = l2.Forward(randomTensor(newTestRNG(1), 1, 2, 2, 2), true)
	assert.NoError(t, err, "one sample with 4 pixels gives 4 values per channel")
}

func TestDropoutStatistics(t *testing.T) {
	l, err := NewDropout(0.25, newTestRNG(3))
	require.NoError(t, err)
	x := tensor.Full(1, 100, 100)
	y, err := l.Forward(x, true)
	require.NoError(t, err)
	zeros := 0
	for _, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case float32(1 / 0.75):
		default:
			t.Fatalf("dropout output %v is neither 0 nor 1/(1-p)", v)
		}
	}
	// 10000 draws with p = 0.25: the count of zeros has standard deviation
	// sqrt(10000 * 0.25 * 0.75) = 43.3; allow 5 of them.
	assert.InDelta(t, 2500, zeros, 5*43.3)
	y, err = l.Forward(x, false)
	require.NoError(t, err)
	assert.Equal(t, x.Data, y.Data, "inference mode is the identity")
	_, err = NewDropout(1, newTestRNG(3))
	assert.Error(t, err)
}

func TestSequentialNames(t *testing.T) {
	rng := newTestRNG(1)
	a, _ := NewLinear(3, 4, rng)
	bn, _ := NewBatchNorm(4, true)
	b, _ := NewLinear(4, 2, rng)
	inner := NewSequential(bn, NewReLU(), b)
	model := NewSequential(a, inner)
	var names []string
	for _, p := range State(model) {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"0.weight", "0.bias", "1.0.weight", "1.0.bias", "1.2.weight", "1.2.bias", "1.0.running_mean", "1.0.running_var"}, names)
}

func TestSkipInputGrad(t *testing.T) {
	rng := newTestRNG(1)
	a, _ := NewLinear(3, 4, rng)
	b, _ := NewLinear(4, 2, rng)
	model := NewSequential(a, NewReLU(), b)
	x := randomTensor(rng, 5, 3)
	_, err := model.Forward(x, true)
	require.NoError(t, err)
	dy := randomTensor(rng, 5, 2)
	dx, err := model.Backward(dy)
	require.NoError(t, err)
	require.NotNil(t, dx)
	want := append([]float32(nil), a.Weight.Grad.Data...)

	ZeroGrad(model.Params())
	model.SetSkipInputGrad(true)
	_, err = model.Forward(x, true)
	require.NoError(t, err)
	dx, err = model.Backward(dy)
	require.NoError(t, err)
	assert.Nil(t, dx)
	assert.Equal(t, want, a.Weight.Grad.Data, "parameter gradients do not depend on skipping dx")
}

// chain runs layers one after the other without Sequential, so no ReLU is
// fused.
type chain []Layer

func (c chain) forward(t *testing.T, x *tensor.Tensor) *tensor.Tensor {
	for _, l := range c {
		var err error
		x, err = l.Forward(x, true)
		require.NoError(t, err)
	}
	return x
}

func (c chain) backward(t *testing.T, dy *tensor.Tensor) *tensor.Tensor {
	for i := len(c) - 1; i >= 0; i-- {
		var err error
		dy, err = c[i].Backward(dy)
		require.NoError(t, err)
	}
	return dy
}

func TestSequentialFused(t *testing.T) {
	cases := []struct {
		name     string
		pool     [2]int // kernel and stride, or none
		features int
		h, w     int // input size, 4 x 4 when 0
	}{
		{"conv relu", [2]int{}, 48, 0, 0},
		{"conv relu pool", [2]int{2, 2}, 12, 0, 0},
		{"conv relu overlapping pool", [2]int{2, 1}, 27, 0, 0},
		// Odd sizes leave a last row and column out of the windows, and
		// rows of 18 windows take two steps of the AVX-512 kernels.
		{"conv relu pool 5x7", [2]int{2, 2}, 18, 5, 7},
		{"conv relu pool 6x36", [2]int{2, 2}, 162, 6, 36},
		{"conv relu pool 3x37", [2]int{2, 2}, 54, 3, 37},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			build := func() []Layer {
				rng := newTestRNG(31)
				conv, _ := NewConv2d(2, 3, 3, 1, 1, rng)
				lin, _ := NewLinear(c.features, 4, rng)
				lin2, _ := NewLinear(4, 3, rng)
				for _, p := range []*Param{conv.Bias, lin.Bias} {
					for i := range p.Value.Data {
						p.Value.Data[i] = float32(rng.NormFloat64())
					}
				}
				layers := []Layer{conv, NewReLU()}
				if c.pool[0] > 0 {
					pool, _ := NewMaxPool2d(c.pool[0], c.pool[1])
					layers = append(layers, pool)
				}
				return append(layers, NewFlatten(), lin, NewReLU(), lin2)
			}
			fusedLayers, plainLayers := build(), build()
			model := NewSequential(fusedLayers...)
			rng := newTestRNG(32)
			h, w := c.h, c.w
			if h == 0 {
				h, w = 4, 4
			}
			x := randomTensor(rng, 5, 2, h, w)
			dy := randomTensor(rng, 5, 3)
			yFused, err := model.Forward(x, true)
			require.NoError(t, err)
			conv := fusedLayers[0].(*Conv2d)
			require.True(t, conv.fuseReLU)
			require.Equal(t, c.pool[0] > 0, conv.pool != nil)
			yPlain := chain(plainLayers).forward(t, x)
			assert.Equal(t, yPlain.Data, yFused.Data)

			dxFused, err := model.Backward(dy)
			require.NoError(t, err)
			dxPlain := chain(plainLayers).backward(t, dy)
			assert.Equal(t, dxPlain.Data, dxFused.Data)
			plainParams := NewSequential(plainLayers...).Params()
			for i, p := range model.Params() {
				assert.Equal(t, plainParams[i].Grad.Data, p.Grad.Data, p.Name)
			}
		})
	}
}

// TestConv2dLargeBatch checks the batched backward pass of a batch larger
// than convGroups against one sample at a time.
func TestConv2dLargeBatch(t *testing.T) {
	rng := newTestRNG(41)
	conv, err := NewConv2d(3, 4, 3, 2, 1, rng)
	require.NoError(t, err)
	n := 3*convGroups + 5
	x := randomTensor(rng, n, 3, 7, 6)
	dy := randomTensor(rng, n, 4, 4, 3)
	_, err = conv.Forward(x, true)
	require.NoError(t, err)
	require.Greater(t, conv.batchSize(), 1, "the test must cover batched products")
	ZeroGrad(conv.Params())
	dx, err := conv.Backward(dy)
	require.NoError(t, err)
	gotDx := append([]float32(nil), dx.Data...)
	gotW := append([]float32(nil), conv.Weight.Grad.Data...)
	gotB := append([]float32(nil), conv.Bias.Grad.Data...)

	ZeroGrad(conv.Params())
	in, out := 3*7*6, 4*4*3
	for s := range n {
		xs := mustTensor(t, x.Data[s*in:(s+1)*in], 1, 3, 7, 6)
		_, err := conv.Forward(xs, true)
		require.NoError(t, err)
		dxs, err := conv.Backward(mustTensor(t, dy.Data[s*out:(s+1)*out], 1, 4, 4, 3))
		require.NoError(t, err)
		for i, v := range dxs.Data {
			require.InDelta(t, v, gotDx[s*in+i], 1e-5, "dx of sample %d, element %d", s, i)
		}
	}
	for i, v := range conv.Weight.Grad.Data {
		require.InDelta(t, v, gotW[i], 1e-4*(1+math.Abs(float64(v))), "weight gradient %d", i)
	}
	for i, v := range conv.Bias.Grad.Data {
		require.InDelta(t, v, gotB[i], 1e-4*(1+math.Abs(float64(v))), "bias gradient %d", i)
	}
}

// TestConv2dSameGeometryMatchesGeneral checks the fast im2col and col2im of
// stride 1 with as many output as input columns bit for bit against the
// general loops, with a row stride larger than a sample's columns and with
// zeros of both signs and exact cancellations in the gradient.
func TestConv2dSameGeometryMatchesGeneral(t *testing.T) {
	cases := []struct{ inC, k, pad, h, w int }{
		{1, 3, 1, 28, 28},
		{3, 3, 1, 14, 14},
		{2, 3, 1, 5, 4},
		{2, 1, 0, 3, 5},
		{1, 5, 2, 7, 6},
		{1, 5, 2, 2, 2}, // taps beyond the image on both sides
		{2, 3, 1, 1, 1},
		{1, 7, 3, 4, 9},
	}
	for _, c := range cases {
		rng := newTestRNG(21)
		l, err := NewConv2d(c.inC, 2, c.k, 1, c.pad, rng)
		require.NoError(t, err)
		x := randomTensor(rng, 1, c.inC, c.h, c.w)
		_, err = l.Forward(x, true)
		require.NoError(t, err)
		require.Equal(t, l.w, l.ow, "case %+v is not of the same geometry", c)
		ckk, ohw := c.inC*c.k*c.k, l.oh*l.ow
		ld := ohw + 5
		got := make([]float32, ckk*ld)
		want := make([]float32, ckk*ld)
		for i := range got {
			got[i], want[i] = 7, 7
		}
		l.im2col(got, ld, x.Data)
		l.im2colGeneral(want, ld, x.Data)
		require.Equal(t, want, got, "im2col %+v", c)

		dcol := randomTensor(rng, ckk*ld).Data
		for i := range dcol {
			switch i % 7 {
			case 1:
				dcol[i] = float32(math.Copysign(0, -1))
			case 2:
				dcol[i] = 0.5
			case 3:
				dcol[i] = -0.5
			}
		}
		in := c.inC * c.h * c.w
		gotDx, wantDx := randomTensor(rng, in).Data, make([]float32, in)
		l.col2imGeneral(wantDx, append([]float32(nil), dcol...), ld)
		l.col2im(gotDx, dcol, ld)
		for i := range wantDx {
			require.Equal(t, math.Float32bits(wantDx[i]), math.Float32bits(gotDx[i]), "col2im %+v: dx[%d] = %v, want %v", c, i, gotDx[i], wantDx[i])
		}
	}
}
