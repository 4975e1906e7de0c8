package nn

import (
	"fmt"
	"slices"

	"github.com/nidim/nidim/tensor"
)

// Param is a named trainable tensor and the gradient accumulated for it.
// Value and Grad have the same shape. Layers also use Param for buffers,
// non-trainable state such as running statistics, whose Grad is nil.
type Param struct {
	Name  string
	Value *tensor.Tensor
	Grad  *tensor.Tensor
}

// newParam returns a parameter of the given shape with a zero value and a
// zero gradient.
func newParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}

// newBuffer returns a buffer: a Param without a gradient.
func newBuffer(name string, shape ...int) *Param {
	return &Param{Name: name, Value: tensor.New(shape...)}
}

// Layer is one differentiable stage of a network.
type Layer interface {
	// Forward returns the output for x. The returned tensor is owned by the
	// layer and valid until the next Forward. train selects training mode
	// (batch statistics, dropout) or inference mode. Shape errors name the
	// layer and both shapes.
	Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error)

	// Backward takes dL/dy for the last Forward, adds parameter gradients
	// into Param.Grad and returns dL/dx, which is owned by the layer.
	Backward(dy *tensor.Tensor) (*tensor.Tensor, error)

	// Params returns the trainable parameters. The pointers stay the same
	// for the life of the layer.
	Params() []*Param

	// Name returns a short description such as "Linear(784, 512)".
	Name() string
}

// Buffered is implemented by layers with non-trainable state that a
// checkpoint must save, such as the running statistics of batch
// normalization.
type Buffered interface {
	Buffers() []*Param
}

// InputGradSkipper is implemented by layers that can skip computing dL/dx,
// which saves a third of the backward work of the first layer of a network
// whose input needs no gradient.
type InputGradSkipper interface {
	// SetSkipInputGrad makes Backward return a nil dL/dx when skip is true.
	SetSkipInputGrad(skip bool)
}

// State returns the parameters followed by the buffers of l, the tensors a
// checkpoint stores.
func State(l Layer) []*Param {
	ps := slices.Clone(l.Params())
	if b, ok := l.(Buffered); ok {
		ps = append(ps, b.Buffers()...)
	}
	return ps
}

// ZeroGrad sets the gradients of params to zero.
func ZeroGrad(params []*Param) {
	for _, p := range params {
		if p.Grad != nil {
			clear(p.Grad.Data)
		}
	}
}

// shapeError returns an error naming the layer and both shapes.
func shapeError(layer, what string, got []int, want string) error {
	return fmt.Errorf("nn: %s: %w: %s has shape %v, want %s", layer, tensor.ErrShape, what, got, want)
}

// ensure makes *t a tensor of the given shape, reusing it when it already
// has that shape. Its contents are unspecified when it is reused.
func ensure(t **tensor.Tensor, shape ...int) *tensor.Tensor {
	if *t != nil && slices.Equal((*t).Shape, shape) {
		return *t
	}
	// The clone keeps shape from escaping, so that the variadic argument
	// stays on the caller's stack on the reuse path.
	*t = tensor.New(slices.Clone(shape)...)
	return *t
}

// view makes *t a tensor header of the given shape over data, reusing the
// header and its shape slice when possible.
func view(t **tensor.Tensor, data []float32, shape ...int) *tensor.Tensor {
	if *t == nil {
		*t = &tensor.Tensor{}
	}
	v := *t
	if !slices.Equal(v.Shape, shape) {
		v.Shape = append(v.Shape[:0], shape...)
	}
	v.Data = data
	return v
}

// checkBackward returns an error unless dy has the shape of the output of
// the last Forward.
func checkBackward(layer string, y, dy *tensor.Tensor) error {
	if y == nil {
		return fmt.Errorf("nn: %s: Backward called before Forward", layer)
	}
	if dy == nil || !slices.Equal(dy.Shape, y.Shape) {
		var got []int
		if dy != nil {
			got = dy.Shape
		}
		return shapeError(layer, "output gradient", got, fmt.Sprint(y.Shape))
	}
	return nil
}
