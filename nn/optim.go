package nn

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter from its current gradient.
	Step()
	// ZeroGrad sets every gradient to zero.
	ZeroGrad()
	// SetLR sets the learning rate used by the following steps.
	SetLR(lr float64)
	// LR returns the learning rate.
	LR() float64
}

// optimGrain is the smallest chunk of a parameter update worth handing to
// another goroutine.
const optimGrain = 1 << 14

// flatAlign is the alignment of every parameter in the flat layout and of
// the chunks the updates are split into. With it, an element goes to the
// vector loop or the scalar tail of adamUpdate no matter how many
// goroutines share the work, so results do not depend on the thread count.
const flatAlign = 8

// span is the part [lo, hi) of the concatenation of all parameters that
// parameter p covers.
type span struct {
	p      *Param
	lo, hi int
	state  int // offset of the parameter in the optimizer's state slices
}

// flatParams lays the parameters end to end, each starting at a multiple
// of flatAlign, so that one parallel loop over [0, total) covers them all.
type flatParams struct {
	params []*Param
	spans  []span
	total  int
}

func newFlatParams(params []*Param) (flatParams, error) {
	f := flatParams{params: params}
	for _, p := range params {
		if p.Grad == nil || len(p.Grad.Data) != len(p.Value.Data) {
			return f, fmt.Errorf("nn: parameter %q has no gradient of its size; pass Params(), not buffers", p.Name)
		}
		n := len(p.Value.Data)
		f.spans = append(f.spans, span{p: p, lo: f.total, hi: f.total + n, state: f.total})
		f.total += (n + flatAlign - 1) / flatAlign * flatAlign
	}
	return f, nil
}

// run calls update on the value, gradient and state offset of each piece
// of a parameter inside the range [lo, hi) of the flat layout.
func (f *flatParams) run(lo, hi int, update func(value, grad []float32, state int)) {
	for _, s := range f.spans {
		a, b := max(lo, s.lo), min(hi, s.hi)
		if a >= b {
			continue
		}
		update(s.p.Value.Data[a-s.lo:b-s.lo], s.p.Grad.Data[a-s.lo:b-s.lo], a)
	}
}

// clearGrads sets the gradients inside [lo, hi) of the flat layout to zero.
func (f *flatParams) clearGrads(lo, hi int) {
	for _, s := range f.spans {
		a, b := max(lo, s.lo), min(hi, s.hi)
		if a < b {
			clear(s.p.Grad.Data[a-s.lo : b-s.lo])
		}
	}
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, with PyTorch's update rule (dampening 0):
//
//	g = grad + weightDecay * p
//	buf = g on the first step, momentum * buf + g after
//	g = g + momentum * buf with Nesterov, buf without
//	p = p - lr * g
type SGD struct {
	lr, momentum, weightDecay float64
	nesterov                  bool

	flat   flatParams
	loop   loop
	buf    []float32 // momentum buffers, flat
	steps  int
	update func(lo, hi int)
	zero   func(lo, hi int) // flat.clearGrads
	apply  func(value, grad []float32, state int)
}

// NewSGD returns an SGD optimizer over params.
func NewSGD(params []*Param, lr, momentum float64, nesterov bool, weightDecay float64) (*SGD, error) {
	if !(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0) {
		return nil, fmt.Errorf("nn: SGD: learning rate %g, momentum %g and weight decay %g must be non-negative", lr, momentum, weightDecay)
	}
	if nesterov && momentum == 0 {
		return nil, fmt.Errorf("nn: SGD: Nesterov momentum needs a positive momentum")
	}
	flat, err := newFlatParams(params)
	if err != nil {
		return nil, err
	}
	o := &SGD{lr: lr, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov, flat: flat}
	if momentum != 0 {
		o.buf = make([]float32, flat.total)
	}
	o.apply = o.applyPiece
	o.update = func(lo, hi int) { o.flat.run(lo, hi, o.apply) }
	o.zero = o.flat.clearGrads
	return o, nil
}

func (o *SGD) SetLR(lr float64) { o.lr = lr }
func (o *SGD) LR() float64      { return o.lr }
func (o *SGD) ZeroGrad()        { o.loop.run(o.flat.total, optimGrain, 1, o.zero) }

func (o *SGD) Step() {
	o.loop.run(o.flat.total, optimGrain, flatAlign, o.update)
	o.steps++
}

func (o *SGD) applyPiece(p, grad []float32, state int) {
	lr, mu, wd := float32(o.lr), float32(o.momentum), float32(o.weightDecay)
	if o.buf == nil {
		for i, g := range grad {
			g += wd * p[i]
			p[i] -= lr * g
		}
		return
	}
	buf := o.buf[state : state+len(p)]
	first := o.steps == 0
	for i, g := range grad {
		g += wd * p[i]
		if first {
			buf[i] = g
		} else {
			buf[i] = mu*buf[i] + g
		}
		if o.nesterov {
			g += mu * buf[i]
		} else {
			g = buf[i]
		}
		p[i] -= lr * g
	}
}

// Adam is the Adam optimizer (Kingma and Ba, 2015) with bias correction,
// and AdamW (Loshchilov and Hutter, 2019) when weight decay is decoupled.
// Per parameter, at step t = 1, 2, ...:
//
//	p = p * (1 - lr * weightDecay)            if decoupled (AdamW)
//	g = grad + weightDecay * p                otherwise (L2 penalty)
//	m = beta1 * m + (1 - beta1) * g
//	v = beta2 * v + (1 - beta2) * g^2
//	p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// as PyTorch computes it: eps is added after the square root.
type Adam struct {
	lr, beta1, beta2, eps, weightDecay float64
	decoupled                          bool

	flat   flatParams
	loop   loop
	m, v   []float32
	steps  int
	update func(lo, hi int)
	zero   func(lo, hi int) // flat.clearGrads
	apply  func(value, grad []float32, state int)

	consts adamConstants // of the current step, read by the goroutines
}

// NewAdam returns an Adam optimizer over params, or AdamW when decoupled is
// true. PyTorch's defaults are lr 1e-3, betas 0.9 and 0.999, eps 1e-8, and
// weight decay 0 for Adam and 0.01 for AdamW.
func NewAdam(params []*Param, lr, beta1, beta2, eps, weightDecay float64, decoupled bool) (*Adam, error) {
	if !(lr >= 0) || !(eps >= 0) || !(weightDecay >= 0) {
		return nil, fmt.Errorf("nn: Adam: learning rate %g, eps %g and weight decay %g must be non-negative", lr, eps, weightDecay)
	}
	if !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) {
		return nil, fmt.Errorf("nn: Adam: betas %g and %g must be in [0, 1)", beta1, beta2)
	}
	flat, err := newFlatParams(params)
	if err != nil {
		return nil, err
	}
	o := &Adam{lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: decoupled, flat: flat,
		m: make([]float32, flat.total),
		v: make([]float32, flat.total),
	}
	o.apply = o.applyPiece
	o.update = func(lo, hi int) { o.flat.run(lo, hi, o.apply) }
	o.zero = o.flat.clearGrads
	return o, nil
}

func (o *Adam) SetLR(lr float64) { o.lr = lr }
func (o *Adam) LR() float64      { return o.lr }
func (o *Adam) ZeroGrad()        { o.loop.run(o.flat.total, optimGrain, 1, o.zero) }

func (o *Adam) Step() {
	o.steps++
	t := float64(o.steps)
	bc1 := 1 - math.Pow(o.beta1, t)
	bc2 := 1 - math.Pow(o.beta2, t)
	o.consts = adamConstants{
		beta1: float32(o.beta1), oneMinusBeta1: float32(1 - o.beta1),
		beta2: float32(o.beta2), oneMinusBeta2: float32(1 - o.beta2),
		eps:        float32(o.eps),
		stepSize:   float32(o.lr / bc1),
		invSqrtBC2: float32(1 / math.Sqrt(bc2)),
		decay:      1,
		l2:         float32(o.weightDecay),
	}
	if o.decoupled {
		o.consts.decay = float32(1 - o.lr*o.weightDecay)
		o.consts.l2 = 0
	}
	o.loop.run(o.flat.total, optimGrain, flatAlign, o.update)
}

// AdamState is the state that an Adam optimizer carries between steps,
// besides its hyperparameters. Restored into an optimizer over the same
// parameters, it makes the following steps equal, bit for bit, to those
// of the optimizer it was taken from.
type AdamState struct {
	// Steps is the number of steps taken, t in the bias corrections.
	Steps int
	// M and V hold the first and second moment estimates, one slice per
	// parameter in the order given to NewAdam, each as long as the
	// parameter's data.
	M, V [][]float32
}

// State returns a copy of the step count and the moment estimates.
func (o *Adam) State() AdamState {
	s := AdamState{Steps: o.steps, M: make([][]float32, len(o.flat.spans)), V: make([][]float32, len(o.flat.spans))}
	for i, sp := range o.flat.spans {
		n := sp.hi - sp.lo
		s.M[i] = append([]float32(nil), o.m[sp.state:sp.state+n]...)
		s.V[i] = append([]float32(nil), o.v[sp.state:sp.state+n]...)
	}
	return s
}

// SetState replaces the step count and the moment estimates with copies
// of those in s. It checks only the counts and lengths, and returns an
// error naming the first parameter whose moments do not fit, leaving the
// optimizer unchanged.
func (o *Adam) SetState(s AdamState) error {
	if s.Steps < 0 {
		return fmt.Errorf("nn: Adam state: step count %d is negative", s.Steps)
	}
	if len(s.M) != len(o.flat.spans) || len(s.V) != len(o.flat.spans) {
		return fmt.Errorf("nn: Adam state has moments for %d and %d parameters, the optimizer has %d", len(s.M), len(s.V), len(o.flat.spans))
	}
	for i, sp := range o.flat.spans {
		if n := sp.hi - sp.lo; len(s.M[i]) != n || len(s.V[i]) != n {
			return fmt.Errorf("nn: Adam state: parameter %q has %d values but its moments have %d and %d", sp.p.Name, n, len(s.M[i]), len(s.V[i]))
		}
	}
	for i, sp := range o.flat.spans {
		copy(o.m[sp.state:], s.M[i])
		copy(o.v[sp.state:], s.V[i])
	}
	o.steps = s.Steps
	return nil
}

func (o *Adam) applyPiece(p, grad []float32, state int) {
	adamUpdate(p, grad, o.m[state:state+len(p)], o.v[state:state+len(p)], &o.consts)
}

// adamConstants are the factors of one Adam step, laid out for the
// assembly loop, which reads them by offset.
type adamConstants struct {
	beta1, oneMinusBeta1 float32
	beta2, oneMinusBeta2 float32
	eps                  float32
	stepSize             float32 // lr / (1 - beta1^t)
	invSqrtBC2           float32 // 1 / sqrt(1 - beta2^t)
	decay                float32 // 1 - lr*weightDecay for AdamW, else 1
	l2                   float32 // weightDecay for Adam, else 0
}

// minNormal32 is the smallest normal float32, 2^-126.
const minNormal32 = 0x1p-126

// adamGeneric applies one Adam step to p with gradient g and moments m and
// v, all of the same length. A moment below minNormal32 in magnitude
// becomes 0. The first moment of a parameter whose gradient stays 0 (the
// weights into a dead ReLU unit) decays by beta1 per step and turns
// subnormal after about 700 steps. On x86 every operation on a subnormal
// float takes a microcode assist, which made Adam's step 16 times slower.
func adamGeneric(p, g, m, v []float32, c *adamConstants) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		gi += c.l2 * p[i]
		mi := c.beta1*m[i] + c.oneMinusBeta1*gi
		vi := c.beta2*v[i] + c.oneMinusBeta2*gi*gi
		if mi > -minNormal32 && mi < minNormal32 {
			mi = 0
		}
		if vi < minNormal32 {
			vi = 0
		}
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))*c.invSqrtBC2 + c.eps
		p[i] = p[i]*c.decay - c.stepSize*mi/denom
	}
}
