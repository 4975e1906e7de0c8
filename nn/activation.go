package nn

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// elementGrain is the smallest chunk of an elementwise loop worth handing to
// another goroutine.
const elementGrain = 1 << 15

// activation holds what every elementwise layer shares: its buffers and the
// parallel loops over them. The forward and backward functions work on the
// index range [lo, hi) of x, y, dy and dx.
type activation struct {
	name     string
	x, y, dx *tensor.Tensor
	dy       *tensor.Tensor
	loop     loop
	fwd, bwd func(lo, hi int)
}

func (a *activation) forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("nn: %s: nil input", a.name)
	}
	a.x = x
	y := ensure(&a.y, x.Shape...)
	a.loop.run(len(y.Data), elementGrain, 1, a.fwd)
	return y, nil
}

func (a *activation) backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(a.name, a.y, dy); err != nil {
		return nil, err
	}
	a.dy = dy
	dx := ensure(&a.dx, dy.Shape...)
	a.loop.run(len(dx.Data), elementGrain, 1, a.bwd)
	a.dy = nil
	return dx, nil
}

// ReLU is max(x, 0) elementwise, for any shape.
type ReLU struct{ activation }

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU {
	l := &ReLU{activation{name: "ReLU"}}
	l.fwd = func(lo, hi int) { simd.Active().ReLU(l.y.Data[lo:hi], l.x.Data[lo:hi]) }
	// The output is positive exactly where the input is, so the mask comes
	// from y and the input may change after Forward.
	l.bwd = func(lo, hi int) { simd.Active().ReLUBackward(l.dx.Data[lo:hi], l.dy.Data[lo:hi], l.y.Data[lo:hi]) }
	return l
}

func (l *ReLU) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) { return l.forward(x) }
func (l *ReLU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error)           { return l.backward(dy) }
func (l *ReLU) Params() []*Param                                             { return nil }
func (l *ReLU) Name() string                                                 { return l.name }

// LeakyReLU is x for x > 0 and Slope*x otherwise, elementwise.
type LeakyReLU struct {
	activation
	Slope float32
}

// NewLeakyReLU returns a LeakyReLU layer with the given negative slope
// (PyTorch's default is 0.01).
func NewLeakyReLU(slope float32) *LeakyReLU {
	l := &LeakyReLU{activation: activation{name: fmt.Sprintf("LeakyReLU(%g)", slope)}, Slope: slope}
	l.fwd = func(lo, hi int) {
		y, x := l.y.Data[lo:hi], l.x.Data[lo:hi]
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = l.Slope * v
			}
		}
	}
	l.bwd = func(lo, hi int) {
		dx, dy, x := l.dx.Data[lo:hi], l.dy.Data[lo:hi], l.x.Data[lo:hi]
		for i, v := range x {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = l.Slope * dy[i]
			}
		}
	}
	return l
}

func (l *LeakyReLU) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return l.forward(x)
}
func (l *LeakyReLU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) { return l.backward(dy) }
func (l *LeakyReLU) Params() []*Param                                   { return nil }
func (l *LeakyReLU) Name() string                                       { return l.name }

// Tanh is the hyperbolic tangent, elementwise.
type Tanh struct{ activation }

// NewTanh returns a Tanh layer.
func NewTanh() *Tanh {
	l := &Tanh{activation{name: "Tanh"}}
	l.fwd = func(lo, hi int) {
		y, x := l.y.Data[lo:hi], l.x.Data[lo:hi]
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	}
	l.bwd = func(lo, hi int) {
		dx, dy, y := l.dx.Data[lo:hi], l.dy.Data[lo:hi], l.y.Data[lo:hi]
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	}
	return l
}

func (l *Tanh) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) { return l.forward(x) }
func (l *Tanh) Backward(dy *tensor.Tensor) (*tensor.Tensor, error)           { return l.backward(dy) }
func (l *Tanh) Params() []*Param                                             { return nil }
func (l *Tanh) Name() string                                                 { return l.name }

// Sigmoid is 1 / (1 + exp(-x)), elementwise.
type Sigmoid struct{ activation }

// NewSigmoid returns a Sigmoid layer.
func NewSigmoid() *Sigmoid {
	l := &Sigmoid{activation{name: "Sigmoid"}}
	l.fwd = func(lo, hi int) {
		y, x := l.y.Data[lo:hi], l.x.Data[lo:hi]
		for i, v := range x {
			y[i] = float32(sigmoid(float64(v)))
		}
	}
	l.bwd = func(lo, hi int) {
		dx, dy, y := l.dx.Data[lo:hi], l.dy.Data[lo:hi], l.y.Data[lo:hi]
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	}
	return l
}

// sigmoid avoids overflow of exp for inputs of either sign.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (l *Sigmoid) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) { return l.forward(x) }
func (l *Sigmoid) Backward(dy *tensor.Tensor) (*tensor.Tensor, error)           { return l.backward(dy) }
func (l *Sigmoid) Params() []*Param                                             { return nil }
func (l *Sigmoid) Name() string                                                 { return l.name }
