package nn

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// Linear is a fully connected layer y = x W^T + b, with input N x In,
// weight Out x In (the PyTorch layout), bias Out and output N x Out.
type Linear struct {
	In, Out int
	Weight  *Param // "weight", Out x In
	Bias    *Param // "bias", Out

	skipInputGrad bool
	fuseReLU      bool // the last Forward applied ReLU to the output
	name          string
	x             *tensor.Tensor // input of the last Forward, not copied
	y, dx         *tensor.Tensor
	dyMasked      *tensor.Tensor // output gradient masked by the fused ReLU
	gemm          splitGemm
	// addBias and backOutput are the method values handed to the
	// parallel loops, kept so that a step does not allocate them again.
	addBias    func(r0, r1, c0, c1 int)
	backOutput func(lo, hi int)
	back       loop
	dy         *tensor.Tensor // output gradient of the running Backward
}

// NewLinear returns a Linear layer with weights drawn by KaimingUniform with
// the ReLU gain from rng and zero biases.
func NewLinear(in, out int, rng RNG) (*Linear, error) {
	name := fmt.Sprintf("Linear(%d, %d)", in, out)
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn: %s: feature counts must be positive", name)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: %s: nil random generator; pass tensor.NewRNG(seed)", name)
	}
	l := &Linear{In: in, Out: out, name: name,
		Weight: newParam("weight", out, in),
		Bias:   newParam("bias", out),
	}
	KaimingUniform(l.Weight.Value, in, GainReLU, rng)
	return l, nil
}

func (l *Linear) Name() string            { return l.name }
func (l *Linear) Params() []*Param        { return []*Param{l.Weight, l.Bias} }
func (l *Linear) SetSkipInputGrad(s bool) { l.skipInputGrad = s }

func (l *Linear) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return l.forward(x, false)
}

// forwardReLU returns ReLU of the output; Backward then takes the gradient
// of that.
func (l *Linear) forwardReLU(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return l.forward(x, true)
}

// forward computes the output, followed by ReLU if relu is set, and
// records relu for Backward.
func (l *Linear) forward(x *tensor.Tensor, relu bool) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[1] != l.In {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, shapeError(l.name, "input", got, fmt.Sprintf("[N %d]", l.In))
	}
	n := x.Shape[0]
	y := ensure(&l.y, n, l.Out)
	l.x = x
	l.fuseReLU = relu
	if l.addBias == nil {
		l.addBias = l.addBiasBlock
	}
	l.gemm.gemmThen(tensor.NoTrans, tensor.Trans, n, l.Out, l.In, x.Data, l.In, l.Weight.Value.Data, l.In, 0, y.Data, l.addBias)
	return y, nil
}

// addBiasBlock adds the bias to rows [r0, r1) and columns [c0, c1) of the
// output, then applies ReLU to them when the layer fuses it. Each value
// goes through the same two operations whichever block holds it.
func (l *Linear) addBiasBlock(r0, r1, c0, c1 int) {
	k := simd.Active()
	b := l.Bias.Value.Data[c0:c1]
	for i := r0; i < r1; i++ {
		row := l.y.Data[i*l.Out+c0 : i*l.Out+c1]
		k.Add(row, row, b)
		if l.fuseReLU {
			k.ReLU(row, row)
		}
	}
}

func (l *Linear) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.y, dy); err != nil {
		return nil, err
	}
	n := dy.Shape[0]
	l.dy = dy
	if l.fuseReLU {
		ensure(&l.dyMasked, dy.Shape...)
	}
	if l.backOutput == nil {
		l.backOutput = l.backOutputColumns
	}
	// Blocks of columns start at multiples of 16 values (64 bytes), so
	// that the goroutines share few cache lines of the bias gradient.
	const lineFloats = 16
	parts := max(Threads(), 1)
	l.back.run(l.Out, max((l.Out+parts-1)/parts, lineFloats), lineFloats, l.backOutput)
	if l.fuseReLU {
		dy = l.dyMasked
	}
	l.dy = nil
	l.gemm.gemm(tensor.Trans, tensor.NoTrans, l.Out, l.In, n, dy.Data, l.Out, l.x.Data, l.In, 1, l.Weight.Grad.Data)
	if l.skipInputGrad {
		return nil, nil
	}
	dx := ensure(&l.dx, n, l.In)
	l.gemm.gemm(tensor.NoTrans, tensor.NoTrans, n, l.In, l.Out, dy.Data, l.Out, l.Weight.Value.Data, l.In, 0, dx.Data)
	return dx, nil
}

// backOutputColumns masks columns [lo, hi) of the output gradient l.dy by
// the fused ReLU into l.dyMasked, when the layer fuses it. It adds them to
// the bias gradient row after row in order, as a pass over whole rows
// would.
func (l *Linear) backOutputColumns(lo, hi int) {
	k := simd.Active()
	n := l.dy.Shape[0]
	grad := l.Bias.Grad.Data[lo:hi]
	for i := range n {
		at := i*l.Out + lo
		row := l.dy.Data[at : at+hi-lo]
		if l.fuseReLU {
			masked := l.dyMasked.Data[at : at+hi-lo]
			k.ReLUBackward(masked, row, l.y.Data[at:at+hi-lo])
			row = masked
		}
		k.Add(grad, grad, row)
	}
}

// GainReLU and GainLinear are the gains of KaimingUniform and the other
// initializers for layers followed by a ReLU and by nothing (or a linear
// function). GainTanh is the gain for tanh.
var (
	GainReLU   = math.Sqrt2
	GainLinear = 1.0
	GainTanh   = 5.0 / 3
)
