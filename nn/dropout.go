package nn

import (
	"fmt"

	"github.com/nidim/nidim/tensor"
)

// Dropout zeroes each input value with probability P in training mode and
// scales the others by 1 / (1 - P), so inference mode is the identity.
// Any input shape is accepted.
type Dropout struct {
	P float64

	name  string
	rng   RNG
	train bool
	mask  []float32 // 0 or 1 / (1 - P) per value
	y, dx *tensor.Tensor
}

// NewDropout returns a Dropout layer that draws its masks from rng.
func NewDropout(p float64, rng RNG) (*Dropout, error) {
	name := fmt.Sprintf("Dropout(%g)", p)
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("nn: %s: the drop probability must be in [0, 1)", name)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: %s: nil random generator; pass tensor.NewRNG(seed)", name)
	}
	return &Dropout{P: p, name: name, rng: rng}, nil
}

func (l *Dropout) Name() string     { return l.name }
func (l *Dropout) Params() []*Param { return nil }

func (l *Dropout) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("nn: %s: nil input", l.name)
	}
	l.train = train
	y := ensure(&l.y, x.Shape...)
	if !train || l.P == 0 {
		copy(y.Data, x.Data)
		return y, nil
	}
	if cap(l.mask) < len(x.Data) {
		l.mask = make([]float32, len(x.Data))
	}
	l.mask = l.mask[:len(x.Data)]
	keep := float32(1 / (1 - l.P))
	for i, v := range x.Data {
		if l.rng.Float64() < l.P {
			l.mask[i] = 0
		} else {
			l.mask[i] = keep
		}
		y.Data[i] = v * l.mask[i]
	}
	return y, nil
}

func (l *Dropout) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.y, dy); err != nil {
		return nil, err
	}
	dx := ensure(&l.dx, dy.Shape...)
	if !l.train || l.P == 0 {
		copy(dx.Data, dy.Data)
		return dx, nil
	}
	for i, g := range dy.Data {
		dx.Data[i] = g * l.mask[i]
	}
	return dx, nil
}
