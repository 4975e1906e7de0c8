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
	l.gemm.gemm(tensor.NoTrans, tensor.Trans, n, l.Out, l.In, x.Data, l.In, l.Weight.Value.Data, l.In, 0, y.Data)
	k := simd.Active()
	b := l.Bias.Value.Data
	for i := range n {
		row := y.Data[i*l.Out : (i+1)*l.Out]
		k.Add(row, row, b)
		if l.fuseReLU {
			k.ReLU(row, row)
		}
	}
	return y, nil
}

func (l *Linear) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.y, dy); err != nil {
		return nil, err
	}
	n := dy.Shape[0]
	if l.fuseReLU {
		masked := ensure(&l.dyMasked, dy.Shape...)
		simd.Active().ReLUBackward(masked.Data, dy.Data, l.y.Data)
		dy = masked
	}
	l.gemm.gemm(tensor.Trans, tensor.NoTrans, l.Out, l.In, n, dy.Data, l.Out, l.x.Data, l.In, 1, l.Weight.Grad.Data)
	addRows(l.Bias.Grad.Data, dy.Data, n, l.Out)
	if l.skipInputGrad {
		return nil, nil
	}
	dx := ensure(&l.dx, n, l.In)
	l.gemm.gemm(tensor.NoTrans, tensor.NoTrans, n, l.In, l.Out, dy.Data, l.Out, l.Weight.Value.Data, l.In, 0, dx.Data)
	return dx, nil
}

// addRows adds the n rows of the n x width matrix m to dst.
func addRows(dst []float32, m []float32, n, width int) {
	add := simd.Active().Add
	for i := range n {
		add(dst, dst, m[i*width:(i+1)*width])
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
