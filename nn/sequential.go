package nn

import (
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
type Sequential struct {
	Layers []Layer // read-only after NewSequential, which fuses them

	params  []*Param
	buffers []*Param
	fused   []bool // fused[i]: layer i is computed by an earlier layer and skipped
}

// fuse lets layer i compute the layers after it that it can: a ReLU after a
// Linear or Conv2d, and a ReLU followed by a MaxPool2d after a Conv2d.
func (s *Sequential) fuse(i int) {
	l := s.Layers
	if i+1 >= len(l) || s.fused[i] {
		return
	}
	if _, ok := l[i+1].(*ReLU); !ok {
		return
	}
	if conv, ok := l[i].(*Conv2d); ok && i+2 < len(l) {
		if pool, ok := l[i+2].(*MaxPool2d); ok {
			conv.setFusePool(pool)
			s.fused[i+1], s.fused[i+2] = true, true
			return
		}
	}
	if f, ok := l[i].(reluFuser); ok {
		f.setFuseReLU(true)
		s.fused[i+1] = true
	}
}

// reluFuser is implemented by layers that can apply a following ReLU.
type reluFuser interface {
	setFuseReLU(fuse bool)
}

// NewSequential returns the composition of layers, which it takes over: it
// renames their parameters and buffers and fuses each Linear or Conv2d with
// a following ReLU, so the layers must then be run through the Sequential
// only. Passing a layer to two Sequentials gives its parameters two
// prefixes.
func NewSequential(layers ...Layer) *Sequential {
	s := &Sequential{Layers: layers, fused: make([]bool, len(layers))}
	for i, l := range layers {
		s.fuse(i)
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
	var err error
	for i, l := range s.Layers {
		if s.fused[i] {
			continue
		}
		if x, err = l.Forward(x, train); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return x, nil
}

// Backward returns dL/dx, or nil when the first layer skips its input
// gradient (see InputGradSkipper).
func (s *Sequential) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	var err error
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if s.fused[i] {
			continue
		}
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
