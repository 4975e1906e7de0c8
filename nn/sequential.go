package nn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nidim/nidim/tensor"
)

// Sequential applies its layers in order. It prefixes the names of the
// parameters and buffers of layer i with "i.", as PyTorch's Sequential
// does in its state_dict, so that checkpoint names are unique.
//
// A Linear or Conv2d layer directly followed by a ReLU computes the ReLU
// itself, in the same pass as its bias, and masks the output gradient in
// its own backward pass; Sequential then skips the ReLU layer. A Conv2d
// followed by ReLU and MaxPool2d also pools each output plane while it is
// in cache and never stores the full convolution output. Fusing saves
// passes over the activations and gives the same values.
//
// Fusing is decided on each Forward and changes no layer: a Linear or
// Conv2d called on its own computes only itself, so running the layers
// one by one gives the same values as the Sequential.
type Sequential struct {
	Layers []Layer // read-only after NewSequential

	params  []*Param
	buffers []*Param
	steps   []int // first layer of each fused step of the last Forward
	ran     bool  // the last Forward succeeded, so Backward may follow
}

// span returns how many layers from layer i on, among the first n, one
// fused step computes: a Linear or Conv2d followed by a ReLU is 2, a Conv2d
// followed by a ReLU and a MaxPool2d is 3, and any other layer is 1.
func (s *Sequential) span(i, n int) int {
	l := s.Layers
	if i+1 >= n {
		return 1
	}
	if _, ok := l[i+1].(*ReLU); !ok {
		return 1
	}
	if _, ok := l[i].(*Conv2d); ok && i+2 < n {
		if _, ok := l[i+2].(*MaxPool2d); ok {
			return 3
		}
	}
	if _, ok := l[i].(reluFuser); ok {
		return 2
	}
	return 1
}

// reluFuser is implemented by layers that can apply a following ReLU in
// their own pass.
type reluFuser interface {
	// forwardReLU is Forward followed by ReLU; Backward then takes the
	// gradient of the ReLU output.
	forwardReLU(x *tensor.Tensor, train bool) (*tensor.Tensor, error)
}

// NewSequential returns the composition of layers, which it takes over: it
// renames their parameters and buffers. Passing a layer to two Sequentials
// gives its parameters two prefixes.
func NewSequential(layers ...Layer) *Sequential {
	s := &Sequential{Layers: layers, steps: make([]int, 0, len(layers))}
	for i, l := range layers {
		prefix := strconv.Itoa(i) + "."
		for _, p := range l.Params() {
			p.Name = prefix + p.Name
			s.params = append(s.params, p)
		}
		if b, ok := l.(Buffered); ok {
			for _, p := range b.Buffers() {
				p.Name = prefix + p.Name
				s.buffers = append(s.buffers, p)
			}
		}
	}
	return s
}

func (s *Sequential) Params() []*Param  { return s.params }
func (s *Sequential) Buffers() []*Param { return s.buffers }

// Name lists the layers, as in "Sequential(Linear(784, 512), ReLU)".
func (s *Sequential) Name() string {
	names := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		names[i] = l.Name()
	}
	return "Sequential(" + strings.Join(names, ", ") + ")"
}

func (s *Sequential) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return s.ForwardFirst(x, len(s.Layers), train)
}

// ForwardFirst returns the output of the first n layers for x, fusing
// only among them, for a caller that needs the activations before the last
// layers, such as the input of an output normalization. A following
// Backward takes the gradient of this output.
func (s *Sequential) ForwardFirst(x *tensor.Tensor, n int, train bool) (*tensor.Tensor, error) {
	if n < 0 || n > len(s.Layers) {
		return nil, fmt.Errorf("nn: cannot run the first %d layers of a Sequential of %d; pass 0 to %d", n, len(s.Layers), len(s.Layers))
	}
	s.ran = false
	s.steps = s.steps[:0]
	var err error
	for i := 0; i < n; {
		span := s.span(i, n)
		switch span {
		case 3:
			x, err = s.Layers[i].(*Conv2d).forwardReLUPool(x, s.Layers[i+2].(*MaxPool2d))
		case 2:
			x, err = s.Layers[i].(reluFuser).forwardReLU(x, train)
		default:
			x, err = s.Layers[i].Forward(x, train)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		s.steps = append(s.steps, i)
		i += span
	}
	s.ran = true
	return x, nil
}

// Backward returns dL/dx for the last Forward or ForwardFirst, or nil when
// the first layer skips its input gradient (see InputGradSkipper).
func (s *Sequential) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if !s.ran {
		return nil, errors.New("nn: Sequential: Backward called without a successful Forward before it")
	}
	var err error
	for k := len(s.steps) - 1; k >= 0; k-- {
		i := s.steps[k]
		if dy, err = s.Layers[i].Backward(dy); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if dy == nil && i > 0 {
			return nil, fmt.Errorf("nn: layer %d (%s) skips its input gradient but is not the first layer", i, s.Layers[i].Name())
		}
	}
	return dy, nil
}

// SetSkipInputGrad makes the first layer skip dL/dx when it can, so that a
// network whose input needs no gradient saves that work.
func (s *Sequential) SetSkipInputGrad(skip bool) {
	if len(s.Layers) > 0 {
		if l, ok := s.Layers[0].(InputGradSkipper); ok {
			l.SetSkipInputGrad(skip)
		}
	}
}
