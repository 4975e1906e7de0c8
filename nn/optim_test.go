package nn

import (
	"math"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// paramWith returns a parameter with the given values and a zero gradient.
func paramWith(name string, values ...float32) *Param {
	p := newParam(name, len(values))
	copy(p.Value.Data, values)
	return p
}

// runSteps sets the gradients to grads[t] before step t.
func runSteps(o Optimizer, params []*Param, grads [][][]float32) {
	for _, g := range grads {
		o.ZeroGrad()
		for i, p := range params {
			copy(p.Grad.Data, g[i])
		}
		o.Step()
	}
}

func TestSGDPlain(t *testing.T) {
	// lr 0.1, weight decay 0.1, gradient 0.5: g = 0.5 + 0.1*p.
	// Step 1: g = 0.6, p = 1 - 0.06 = 0.94.
	// Step 2: g = 0.594, p = 0.94 - 0.0594 = 0.8806.
	p := paramWith("p", 1)
	o, err := NewSGD([]*Param{p}, 0.1, 0, false, 0.1)
	require.NoError(t, err)
	runSteps(o, []*Param{p}, [][][]float32{{{0.5}}})
	assert.InDelta(t, 0.94, p.Value.Data[0], 1e-7)
	runSteps(o, []*Param{p}, [][][]float32{{{0.5}}})
	assert.InDelta(t, 0.8806, p.Value.Data[0], 1e-7)
}

func TestSGDMomentum(t *testing.T) {
	// lr 0.1, momentum 0.9, gradient 0.5 each step:
	// buf = 0.5, 0.95, 1.355 and p = 0.95, 0.855, 0.7195.
	p := paramWith("p", 1)
	o, err := NewSGD([]*Param{p}, 0.1, 0.9, false, 0)
	require.NoError(t, err)
	for _, want := range []float64{0.95, 0.855, 0.7195} {
		runSteps(o, []*Param{p}, [][][]float32{{{0.5}}})
		assert.InDelta(t, want, p.Value.Data[0], 1e-6)
	}
}

func TestSGDNesterov(t *testing.T) {
	// As above, but the step uses g + 0.9*buf: 0.95, then 0.5 + 0.855.
	// p = 1 - 0.095 = 0.905, then 0.905 - 0.1355 = 0.7695.
	p := paramWith("p", 1)
	o, err := NewSGD([]*Param{p}, 0.1, 0.9, true, 0)
	require.NoError(t, err)
	for _, want := range []float64{0.905, 0.7695} {
		runSteps(o, []*Param{p}, [][][]float32{{{0.5}}})
		assert.InDelta(t, want, p.Value.Data[0], 1e-6)
	}
	_, err = NewSGD([]*Param{p}, 0.1, 0, true, 0)
	assert.Error(t, err, "Nesterov without momentum")
}

// adamGrads are the gradients of two parameters over three steps.
var adamGrads = [][][]float32{
	{{0.5}, {-0.25}},
	{{-1}, {0.75}},
	{{2}, {0.1}},
}

func TestAdamFirstStep(t *testing.T) {
	// With bias correction the first step moves by lr * g / (|g| + eps):
	// eps 0.1 added after the square root gives 1 - 0.1*0.5/0.6.
	p := paramWith("p", 1)
	o, err := NewAdam([]*Param{p}, 0.1, 0.9, 0.999, 0.1, 0, false)
	require.NoError(t, err)
	runSteps(o, []*Param{p}, [][][]float32{{{0.5}}})
	assert.InDelta(t, 1-0.1*0.5/0.6, p.Value.Data[0], 1e-6)
}

// The expected values below come from the update formulas in the Adam doc
// comment, evaluated in float64 for three steps of adamGrads with lr 0.1,
// betas 0.9 and 0.999.
func TestAdamSteps(t *testing.T) {
	cases := []struct {
		name      string
		eps, wd   float64
		decoupled bool
		want      []float64
	}{
		{"adam eps 0.1", 0.1, 0, false, []float64{0.9101494815304508, -2.008213234121958}},
		{"adamw decay 0.1", 1e-8, 0.1, true, []float64{0.8665676891558989, -1.937432384063396}},
		{"adam l2 0.1", 1e-8, 0.1, false, []float64{0.8776172608049325, -1.9202859345704393}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := []*Param{paramWith("a", 1), paramWith("b", -2)}
			o, err := NewAdam(params, 0.1, 0.9, 0.999, c.eps, c.wd, c.decoupled)
			require.NoError(t, err)
			runSteps(o, params, adamGrads)
			for i, p := range params {
				assert.InDelta(t, c.want[i], p.Value.Data[0], 2e-6, "parameter %s", p.Name)
			}
		})
	}
}

// TestAdamLargeParams runs the update over several goroutines and checks
// each element against the one-element result.
func TestAdamLargeParams(t *testing.T) {
	n := 3*optimGrain + 17
	big := newParam("big", n)
	small := paramWith("small", 1)
	for i := range big.Value.Data {
		big.Value.Data[i] = 1
	}
	o, err := NewAdam([]*Param{small, big}, 0.1, 0.9, 0.999, 0.1, 0, false)
	require.NoError(t, err)
	for range 3 {
		big.Grad.Fill(0.5)
		small.Grad.Fill(0.5)
		o.Step()
	}
	// The one-element parameter goes through adamGeneric and the large one
	// mostly through the vector loop, whose fused multiply-adds round
	// differently by at most a few units in the last place.
	want := float64(small.Value.Data[0])
	for i, v := range big.Value.Data {
		if math.Abs(float64(v)-want) > 4e-7*math.Abs(want) {
			t.Fatalf("element %d is %v, the one-element parameter is %v", i, v, want)
		}
	}
}

func TestAdamUpdateMatchesGeneric(t *testing.T) {
	rng := newTestRNG(3)
	c := adamConstants{beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001,
		eps: 1e-8, stepSize: 0.01, invSqrtBC2: 3, decay: 0.999, l2: 0.01}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 100} {
		var slices [2][4][]float32
		for k := range 4 {
			base := make([]float32, n)
			for i := range base {
				base[i] = float32(rng.NormFloat64())
				if k == 3 {
					base[i] *= base[i] // v is non-negative
				}
			}
			slices[0][k] = base
			slices[1][k] = append([]float32(nil), base...)
		}
		adamUpdate(slices[0][0], slices[0][1], slices[0][2], slices[0][3], &c)
		adamGeneric(slices[1][0], slices[1][1], slices[1][2], slices[1][3], &c)
		for k, name := range []string{"p", "g", "m", "v"} {
			for i := range n {
				got, want := float64(slices[0][k][i]), float64(slices[1][k][i])
				if math.Abs(got-want) > 1e-6*(math.Abs(want)+1e-3) {
					t.Errorf("n=%d: %s[%d] = %v, generic %v", n, name, i, got, want)
				}
			}
		}
	}
}

// TestAdamStateResumes moves the state of an optimizer after 3 steps into
// a new one over copies of the parameters. Both then take 4 more steps
// and must agree bit for bit, which fails unless the step count that
// enters the bias corrections moves too. The parameter lengths are not
// multiples of flatAlign, so the padding of the flat layout is crossed.
func TestAdamStateResumes(t *testing.T) {
	rng := newTestRNG(5)
	build := func() []*Param {
		a, b := newParam("a", 5), newParam("b", 2*optimGrain+3)
		a.Value.Fill(1)
		b.Value.Fill(-1)
		return []*Param{a, b}
	}
	grads := make([][][]float32, 7)
	for s := range grads {
		for _, n := range []int{5, 2*optimGrain + 3} {
			g := make([]float32, n)
			for i := range g {
				g[i] = float32(rng.NormFloat64())
			}
			grads[s] = append(grads[s], g)
		}
	}
	for _, decoupled := range []bool{false, true} {
		first := build()
		o1, err := NewAdam(first, 0.01, 0.9, 0.999, 1e-8, 0.01, decoupled)
		require.NoError(t, err)
		runSteps(o1, first, grads[:3])

		state := o1.State()
		assert.Equal(t, 3, state.Steps)
		require.Len(t, state.M, 2)
		assert.Len(t, state.M[1], 2*optimGrain+3)
		changed := o1.State()
		changed.M[0][0] = 1e9
		assert.Equal(t, state.M[0][0], o1.State().M[0][0], "State returned the optimizer's own slice")

		second := build()
		for i := range second {
			copy(second[i].Value.Data, first[i].Value.Data)
		}
		o2, err := NewAdam(second, 0.01, 0.9, 0.999, 1e-8, 0.01, decoupled)
		require.NoError(t, err)
		require.NoError(t, o2.SetState(state))
		state.V[1][0] = 1e9 // SetState keeps a copy
		runSteps(o1, first, grads[3:])
		runSteps(o2, second, grads[3:])
		for i := range first {
			assert.Zero(t, countDifferent(first[i].Value.Data, second[i].Value.Data), "decoupled %v, parameter %s: values differ", decoupled, first[i].Name)
		}
		s1, s2 := o1.State(), o2.State()
		assert.Equal(t, s1.Steps, s2.Steps)
		for i := range s1.M {
			assert.Zero(t, countDifferent(s1.M[i], s2.M[i]), "decoupled %v, parameter %d: first moments differ", decoupled, i)
			assert.Zero(t, countDifferent(s1.V[i], s2.V[i]), "decoupled %v, parameter %d: second moments differ", decoupled, i)
		}
	}
}

// countDifferent returns the number of positions at which a and b hold
// different bits, or -1 when their lengths differ.
func countDifferent(a, b []float32) int {
	if len(a) != len(b) {
		return -1
	}
	n := 0
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			n++
		}
	}
	return n
}

func TestAdamSetStateErrors(t *testing.T) {
	params := []*Param{newParam("w", 4), newParam("bias", 2)}
	o, err := NewAdam(params, 1e-3, 0.9, 0.999, 1e-8, 0, false)
	require.NoError(t, err)
	good := o.State()

	short := o.State()
	short.V[1] = short.V[1][:1]
	assert.EqualError(t, o.SetState(short), `nn: Adam state: parameter "bias" has 2 values but its moments have 2 and 1`)

	fewer := AdamState{M: good.M[:1], V: good.V[:1]}
	assert.EqualError(t, o.SetState(fewer), "nn: Adam state has moments for 1 and 1 parameters, the optimizer has 2")

	negative := o.State()
	negative.Steps = -1
	assert.EqualError(t, o.SetState(negative), "nn: Adam state: step count -1 is negative")
	assert.Equal(t, good, o.State(), "a rejected state changed the optimizer")
}

func TestOptimizerErrors(t *testing.T) {
	b := newBuffer("running_mean", 3)
	_, err := NewAdam([]*Param{b}, 1e-3, 0.9, 0.999, 1e-8, 0, false)
	assert.ErrorContains(t, err, "running_mean")
	_, err = NewAdam(nil, 1e-3, 1, 0.999, 1e-8, 0, false)
	assert.ErrorContains(t, err, "betas")
	_, err = NewSGD(nil, -1, 0, false, 0)
	assert.ErrorContains(t, err, "learning rate -1")
}

func TestSchedules(t *testing.T) {
	c := Constant()
	assert.Equal(t, 1.0, c(0))
	assert.Equal(t, 1.0, c(1000))

	s := Step(10, 0.5)
	assert.Equal(t, 1.0, s(0))
	assert.Equal(t, 1.0, s(9))
	assert.Equal(t, 0.5, s(10))
	assert.Equal(t, 0.25, s(25))

	w := CosineWarmup(4, 14, 0.1)
	assert.InDelta(t, 0.25, w(0), 1e-15)
	assert.InDelta(t, 0.75, w(2), 1e-15)
	assert.InDelta(t, 1.0, w(4), 1e-15)
	// Halfway through the decay the cosine term is 0.5.
	assert.InDelta(t, 0.1+0.9*0.5, w(9), 1e-15)
	assert.InDelta(t, 0.1+0.9*0.5*(1+math.Cos(math.Pi*0.8)), w(12), 1e-15)
	assert.InDelta(t, 0.1, w(14), 1e-15)
	assert.InDelta(t, 0.1, w(100), 1e-15)
}

func TestClipGradNorm(t *testing.T) {
	a := paramWith("a", 0, 0)
	b := paramWith("b", 0)
	copy(a.Grad.Data, []float32{3, 0})
	copy(b.Grad.Data, []float32{4})
	params := []*Param{a, b}

	norm := ClipGradNorm(params, 10)
	assert.InDelta(t, 5, norm, 1e-12)
	assert.Equal(t, []float32{3, 0}, a.Grad.Data, "a norm below the maximum changes nothing")

	norm = ClipGradNorm(params, 1)
	assert.InDelta(t, 5, norm, 1e-12)
	scale := 1 / (5 + 1e-6)
	assert.InDelta(t, 3*scale, a.Grad.Data[0], 1e-7)
	assert.InDelta(t, 4*scale, b.Grad.Data[0], 1e-7)
	assert.InDelta(t, 1, ClipGradNorm(params, 100), 1e-6)

	b.Grad.Data[0] = float32(math.NaN())
	assert.True(t, math.IsNaN(ClipGradNorm(params, 1)))
}

func TestInitBounds(t *testing.T) {
	w := tensor.New(64, 100)
	KaimingUniform(w, 100, GainReLU, newTestRNG(1))
	bound := math.Sqrt2 * math.Sqrt(3.0/100)
	var sq float64
	for _, v := range w.Data {
		require.LessOrEqual(t, math.Abs(float64(v)), bound)
		sq += float64(v) * float64(v)
	}
	// Variance gain^2/fanIn = 0.02; 6400 draws give a relative standard
	// error of about 1.1%, so 5% is a wide margin.
	assert.InEpsilon(t, 0.02, sq/float64(len(w.Data)), 0.05)

	XavierNormal(w, 100, 60, 1, newTestRNG(2))
	sq = 0
	for _, v := range w.Data {
		sq += float64(v) * float64(v)
	}
	assert.InEpsilon(t, 2.0/160, sq/float64(len(w.Data)), 0.06)

	// The same seed gives the same values.
	w2 := tensor.New(64, 100)
	XavierNormal(w2, 100, 60, 1, newTestRNG(2))
	assert.Equal(t, w.Data, w2.Data)
}

// TestInitGolden pins the first values of a seeded KaimingUniform, which
// must be the same on every architecture.
func TestInitGolden(t *testing.T) {
	w := tensor.New(4)
	KaimingUniform(w, 3, 1, newTestRNG(42))
	assert.Equal(t, []float32{0.58037066, 0.8788679, -0.32294142, 0.8985455}, w.Data)
}

// TestInitGoldenTensorRNG pins normal and uniform values drawn from
// tensor.RNG, which gives the same stream on every architecture.
func TestInitGoldenTensorRNG(t *testing.T) {
	w := tensor.New(4)
	KaimingNormal(w, 4, 1, tensor.NewRNG(7))
	assert.Equal(t, []float32{1.2948418, 0.15102606, 0.6475272, 0.25651804}, w.Data)
	u := tensor.New(4)
	XavierUniform(u, 2, 4, 1, tensor.NewRNG(7))
	assert.Equal(t, []float32{0.18155795, 0.021176318, 0.572364, 0.2267421}, u.Data)
}

// TestAdamFlushesSubnormalMoments runs steps with zero gradients from
// moments just above the smallest normal float32: on both paths they must
// end exactly 0, not subnormal, while a NaN moment stays NaN. The length
// covers the vector loop and its tail.
func TestAdamFlushesSubnormalMoments(t *testing.T) {
	c := adamConstants{beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001,
		eps: 1e-8, stepSize: 0.01, invSqrtBC2: 1, decay: 1}
	const n, nan = 19, 5
	paths := map[string]func(p, g, m, v []float32, c *adamConstants){"active": adamUpdate, "generic": adamGeneric}
	for name, update := range paths {
		p, g := make([]float32, n), make([]float32, n)
		m, v := make([]float32, n), make([]float32, n)
		for i := range m {
			m[i], v[i] = 2e-38, 1.18e-38
		}
		m[3] = -2e-38
		m[nan] = float32(math.NaN())
		for range 10 {
			update(p, g, m, v, &c)
		}
		for i := range n {
			if i == nan {
				assert.True(t, math.IsNaN(float64(m[i])), "%s: m[%d] = %v, want NaN", name, i, m[i])
				continue
			}
			assert.Zero(t, m[i], "%s: m[%d]", name, i)
			assert.Zero(t, v[i], "%s: v[%d]", name, i)
		}
	}
}
