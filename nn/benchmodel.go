package nn

import (
	"fmt"

	"github.com/nidim/nidim/tensor"
)

// NewMLPBenchmarkModel returns the MLP of the training-step benchmark:
// Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 64), for
// input N x 784.
func NewMLPBenchmarkModel(rng RNG) (*Sequential, error) {
	l1, err := NewLinear(784, 512, rng)
	if err != nil {
		return nil, err
	}
	l2, err := NewLinear(512, 512, rng)
	if err != nil {
		return nil, err
	}
	l3, err := NewLinear(512, 64, rng)
	if err != nil {
		return nil, err
	}
	return NewSequential(l1, NewReLU(), l2, NewReLU(), l3), nil
}

// NewCNNBenchmarkModel returns the CNN of the training-step benchmark, for
// input N x 1 x 28 x 28: Conv2d(1, 32, 3, padding 1), ReLU, MaxPool2d(2),
// Conv2d(32, 64, 3, padding 1), ReLU, MaxPool2d(2), Flatten,
// Linear(3136, 256), ReLU, Linear(256, 64).
func NewCNNBenchmarkModel(rng RNG) (*Sequential, error) {
	c1, err := NewConv2d(1, 32, 3, 1, 1, rng)
	if err != nil {
		return nil, err
	}
	c2, err := NewConv2d(32, 64, 3, 1, 1, rng)
	if err != nil {
		return nil, err
	}
	p1, _ := NewMaxPool2d(2, 2)
	p2, _ := NewMaxPool2d(2, 2)
	l1, err := NewLinear(64*7*7, 256, rng)
	if err != nil {
		return nil, err
	}
	l2, err := NewLinear(256, 64, rng)
	if err != nil {
		return nil, err
	}
	return NewSequential(c1, NewReLU(), p1, c2, NewReLU(), p2, NewFlatten(), l1, NewReLU(), l2), nil
}

// TrainStepBenchmark is one of the benchmark models with its optimizer and
// a fixed random batch. Each Step is a full training step, as PyTorch's
// reference script times it: zero the gradients, forward, the loss
// sum(y^2) with dL/dy = 2y, backward, and an Adam update (lr 1e-3). The
// input needs no gradient, so the first layer skips dL/dx.
type TrainStepBenchmark struct {
	Model *Sequential
	Opt   *Adam
	Input *tensor.Tensor
	Loss  float64 // loss of the last Step

	dy *tensor.Tensor
}

// NewTrainStepBenchmark returns the benchmark for model "mlp" or "cnn" at
// the given batch size, with weights and input drawn from seed.
func NewTrainStepBenchmark(model string, batch int, seed uint64) (*TrainStepBenchmark, error) {
	if batch < 1 {
		return nil, fmt.Errorf("nn: benchmark batch size %d must be positive", batch)
	}
	rng := tensor.NewRNG(seed)
	b := &TrainStepBenchmark{}
	var err error
	switch model {
	case "mlp":
		b.Model, err = NewMLPBenchmarkModel(rng)
		b.Input = tensor.New(batch, 784)
	case "cnn":
		b.Model, err = NewCNNBenchmarkModel(rng)
		b.Input = tensor.New(batch, 1, 28, 28)
	default:
		return nil, fmt.Errorf("nn: unknown benchmark model %q: use mlp or cnn", model)
	}
	if err != nil {
		return nil, err
	}
	for i := range b.Input.Data {
		b.Input.Data[i] = float32(rng.NormFloat64())
	}
	b.Model.SetSkipInputGrad(true)
	b.Opt, err = NewAdam(b.Model.Params(), 1e-3, 0.9, 0.999, 1e-8, 0, false)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Step runs one training step.
func (b *TrainStepBenchmark) Step() error {
	b.Opt.ZeroGrad()
	y, err := b.Model.Forward(b.Input, true)
	if err != nil {
		return err
	}
	dy := ensure(&b.dy, y.Shape...)
	var loss float64
	for i, v := range y.Data {
		loss += float64(v) * float64(v)
		dy.Data[i] = 2 * v
	}
	b.Loss = loss
	if _, err := b.Model.Backward(dy); err != nil {
		return err
	}
	b.Opt.Step()
	return nil
}
