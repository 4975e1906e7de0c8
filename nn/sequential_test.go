package nn

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallCNN returns the layers of a CNN shaped like the dim preset, for
// 2 x 8 x 8 images: two blocks of conv, ReLU and 2 x 2 max pooling, then
// flatten, linear, ReLU, batch normalization and linear. Equal seeds give
// equal weights.
func smallCNN(t *testing.T, seed uint64) []Layer {
	rng := newTestRNG(seed)
	conv1, err := NewConv2d(2, 4, 3, 1, 1, rng)
	require.NoError(t, err)
	pool1, err := NewMaxPool2d(2, 2)
	require.NoError(t, err)
	conv2, err := NewConv2d(4, 6, 3, 1, 1, rng)
	require.NoError(t, err)
	pool2, err := NewMaxPool2d(2, 2)
	require.NoError(t, err)
	lin1, err := NewLinear(6*2*2, 10, rng)
	require.NoError(t, err)
	bn, err := NewBatchNorm(10, true)
	require.NoError(t, err)
	lin2, err := NewLinear(10, 3, rng)
	require.NoError(t, err)
	// Non-zero biases, so that the ReLUs cut at varied places.
	for _, p := range []*Param{conv1.Bias, conv2.Bias, lin1.Bias, lin2.Bias} {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0.3 * float32(rng.NormFloat64())
		}
	}
	return []Layer{
		conv1, NewReLU(), pool1,
		conv2, NewReLU(), pool2,
		NewFlatten(), lin1, NewReLU(), bn, lin2,
	}
}

// runChain runs layers one by one, so nothing is fused.
func runChain(t *testing.T, layers []Layer, x *tensor.Tensor, train bool) *tensor.Tensor {
	for i, l := range layers {
		var err error
		x, err = l.Forward(x, train)
		require.NoError(t, err, "layer %d", i)
	}
	return x
}

func backChain(t *testing.T, layers []Layer, dy *tensor.Tensor) *tensor.Tensor {
	for i := len(layers) - 1; i >= 0; i-- {
		var err error
		dy, err = layers[i].Backward(dy)
		require.NoError(t, err, "layer %d", i)
	}
	return dy
}

func layerParams(layers []Layer) []*Param {
	var ps []*Param
	for _, l := range layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// TestSequentialBatchSizeAndModeChanges runs a fused CNN through changing
// batch sizes and training and inference passes, as training followed by
// evaluation does, and compares every output and gradient with the same
// layers run one by one.
func TestSequentialBatchSizeAndModeChanges(t *testing.T) {
	fusedLayers, plain := smallCNN(t, 51), smallCNN(t, 51)
	model := NewSequential(fusedLayers...)
	rng := newTestRNG(52)
	for _, step := range []struct {
		batch int
		train bool
	}{{8, true}, {5, false}, {13, false}, {8, true}, {13, true}, {1, false}, {5, true}, {8, false}} {
		what := fmt.Sprintf("batch %d, training %v", step.batch, step.train)
		x := randomTensor(rng, step.batch, 2, 8, 8)
		got, err := model.Forward(x, step.train)
		require.NoError(t, err, what)
		want := runChain(t, plain, x, step.train)
		require.Equal(t, []int{step.batch, 3}, got.Shape, what)
		require.Equal(t, want.Data, got.Data, what)

		// Backward follows the last Forward whatever its mode; in
		// inference mode the batch normalization uses running statistics.
		dy := randomTensor(rng, step.batch, 3)
		ZeroGrad(model.Params())
		ZeroGrad(layerParams(plain))
		dx, err := model.Backward(dy)
		require.NoError(t, err, what)
		require.Equal(t, backChain(t, plain, dy).Data, dx.Data, what)
		plainParams := layerParams(plain)
		for i, p := range model.Params() {
			require.Equal(t, plainParams[i].Grad.Data, p.Grad.Data, "%s: %s", what, p.Name)
		}
	}
}

// TestSequentialLayersOneByOne checks that the layers of a Sequential that
// has run fused still compute only themselves when called directly, as a
// caller that needs intermediate activations does.
func TestSequentialLayersOneByOne(t *testing.T) {
	fusedLayers, plain := smallCNN(t, 53), smallCNN(t, 53)
	model := NewSequential(fusedLayers...)
	rng := newTestRNG(54)
	x := randomTensor(rng, 8, 2, 8, 8)
	_, err := model.Forward(x, true)
	require.NoError(t, err)
	runChain(t, plain, x, true) // the same batch norm update
	x = randomTensor(rng, 5, 2, 8, 8)
	require.Equal(t, runChain(t, plain, x, false).Data, runChain(t, fusedLayers, x, false).Data)

	// The Sequential is unharmed by the direct calls.
	x = randomTensor(rng, 13, 2, 8, 8)
	got, err := model.Forward(x, false)
	require.NoError(t, err)
	require.Equal(t, runChain(t, plain, x, false).Data, got.Data)
}

// TestSequentialForwardFirst compares ForwardFirst with the first n layers
// run one by one, for every n, including prefixes that end inside a fused
// group, and the gradient of a prefix.
func TestSequentialForwardFirst(t *testing.T) {
	fusedLayers, plain := smallCNN(t, 55), smallCNN(t, 55)
	model := NewSequential(fusedLayers...)
	rng := newTestRNG(56)
	for n := 0; n <= len(fusedLayers); n++ {
		x := randomTensor(rng, 3+n, 2, 8, 8)
		got, err := model.ForwardFirst(x, n, false)
		require.NoError(t, err, "first %d layers", n)
		want := runChain(t, plain[:n], x, false)
		require.Equal(t, want.Shape, got.Shape, "first %d layers", n)
		require.Equal(t, want.Data, got.Data, "first %d layers", n)
	}

	// Two layers: the first Conv2d computes its ReLU but not the pooling.
	x := randomTensor(rng, 4, 2, 8, 8)
	_, err := model.ForwardFirst(x, 2, true)
	require.NoError(t, err)
	runChain(t, plain[:2], x, true)
	dy := randomTensor(rng, 4, 4, 8, 8)
	ZeroGrad(model.Params())
	ZeroGrad(layerParams(plain))
	dx, err := model.Backward(dy)
	require.NoError(t, err)
	require.Equal(t, backChain(t, plain[:2], dy).Data, dx.Data)
	require.Equal(t, plain[0].Params()[0].Grad.Data, fusedLayers[0].Params()[0].Grad.Data)

	for _, n := range []int{-1, len(fusedLayers) + 1} {
		_, err := model.ForwardFirst(x, n, false)
		assert.ErrorContains(t, err, fmt.Sprintf("first %d layers", n))
	}
}

func TestSequentialBackwardNeedsForward(t *testing.T) {
	model := NewSequential(smallCNN(t, 57)...)
	dy := tensor.New(2, 3)
	_, err := model.Backward(dy)
	assert.ErrorContains(t, err, "Backward called without a successful Forward")

	// A failed Forward leaves nothing to differentiate either.
	_, err = model.Forward(tensor.New(2, 3, 8, 8), true)
	require.ErrorContains(t, err, "Conv2d(2, 4")
	_, err = model.Backward(dy)
	assert.ErrorContains(t, err, "Backward called without a successful Forward")
}
