package nn

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// MaxPool2d takes the maximum over K x K windows moved by Stride, with
// input N x C x H x W and output N x C x OH x OW, OH = (H - K) / Stride + 1
// and likewise OW. There is no padding. The gradient goes to the first
// maximum of each window.
type MaxPool2d struct {
	Kernel, Stride int

	name       string
	n, c, h, w int
	oh, ow     int
	y, dx, dy  *tensor.Tensor
	x          *tensor.Tensor
	argmax     []int32 // index in the input plane of each output's maximum
	loop       loop
	fwd, bwd   func(lo, hi int)
}

// NewMaxPool2d returns a MaxPool2d layer; PyTorch's default stride is the
// kernel size.
func NewMaxPool2d(kernel, stride int) (*MaxPool2d, error) {
	name := fmt.Sprintf("MaxPool2d(%d, stride %d)", kernel, stride)
	if kernel <= 0 || stride <= 0 {
		return nil, fmt.Errorf("nn: %s: kernel size and stride must be positive", name)
	}
	l := &MaxPool2d{Kernel: kernel, Stride: stride, name: name}
	l.fwd = l.forwardPlanes
	l.bwd = l.backwardPlanes
	return l, nil
}

func (l *MaxPool2d) Name() string     { return l.name }
func (l *MaxPool2d) Params() []*Param { return nil }

func (l *MaxPool2d) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) != 4 {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, shapeError(l.name, "input", got, fmt.Sprintf("[N C H W] with H and W at least %d", l.Kernel))
	}
	if err := l.setup(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]); err != nil {
		return nil, err
	}
	l.x = x
	l.loop.run(l.n*l.c, 8, 1, l.fwd)
	l.x = nil
	return l.y, nil
}

// setup sizes the output and argmax for an N x C x H x W input.
func (l *MaxPool2d) setup(n, c, h, w int) error {
	if h < l.Kernel || w < l.Kernel {
		return shapeError(l.name, "input", []int{n, c, h, w}, fmt.Sprintf("[N C H W] with H and W at least %d", l.Kernel))
	}
	l.n, l.c, l.h, l.w = n, c, h, w
	l.oh, l.ow = (h-l.Kernel)/l.Stride+1, (w-l.Kernel)/l.Stride+1
	y := ensure(&l.y, n, c, l.oh, l.ow)
	if cap(l.argmax) < len(y.Data) {
		l.argmax = make([]int32, len(y.Data))
	}
	l.argmax = l.argmax[:len(y.Data)]
	return nil
}

func (l *MaxPool2d) forwardPlanes(lo, hi int) {
	in := l.h * l.w
	for p := lo; p < hi; p++ {
		l.poolPlane(p, l.x.Data[p*in:(p+1)*in])
	}
}

// poolPlane pools x, one H x W plane, into output plane p (sample p / C,
// channel p % C).
func (l *MaxPool2d) poolPlane(p int, x []float32) {
	k, s := l.Kernel, l.Stride
	out := l.oh * l.ow
	y := l.y.Data[p*out : (p+1)*out]
	arg := l.argmax[p*out : (p+1)*out]
	if k == 2 && s == 2 {
		pool2x2(y, arg, x, l.w, l.oh, l.ow)
		return
	}
	for i := range l.oh {
		for j := range l.ow {
			best := i*s*l.w + j*s
			m := x[best]
			for ki := range k {
				row := (i*s+ki)*l.w + j*s
				for kj := range k {
					if v := x[row+kj]; v > m || (v != v && m == m) {
						m, best = v, row+kj
					}
				}
			}
			y[i*l.ow+j] = m
			arg[i*l.ow+j] = int32(best)
		}
	}
}

// reluPoolPlane pools ReLU of x, one H x W plane, into output plane p. It
// may overwrite x with its ReLU. relu is simd.Active().ReLU, which the
// caller looks up once.
func (l *MaxPool2d) reluPoolPlane(p int, x []float32, relu func(dst, x []float32)) {
	if l.Kernel == 2 && l.Stride == 2 {
		// The same values and argmax as ReLU then pool2x2, in one pass.
		out := l.oh * l.ow
		simd.Active().ReLUPool2x2(l.y.Data[p*out:(p+1)*out], l.argmax[p*out:(p+1)*out], x[:2*l.oh*l.w], l.w)
		return
	}
	relu(x, x)
	l.poolPlane(p, x)
}

// pool2x2 is the common 2 x 2, stride 2 case of forwardPlanes. It compares
// orderKey values instead of floats, which the compiler turns into
// conditional moves, because the branches of float comparisons on random
// data are mispredicted half of the time.
func pool2x2(y []float32, arg []int32, x []float32, w, oh, ow int) {
	for i := range oh {
		r0 := x[2*i*w : 2*i*w+2*ow]
		r1 := x[(2*i+1)*w : (2*i+1)*w+2*ow]
		yi := y[i*ow : (i+1)*ow]
		ai := arg[i*ow : (i+1)*ow]
		top, bottom := int32(2*i*w), int32((2*i+1)*w)
		for j := range yi {
			a := r0[2*j : 2*j+2]
			b := r1[2*j : 2*j+2]
			k0, k1, k2, k3 := orderKey(a[0]), orderKey(a[1]), orderKey(b[0]), orderKey(b[1])
			best, key := top+int32(2*j), k0
			if k1 > key {
				best, key = best+1, k1
			}
			if k2 > key {
				best, key = bottom+int32(2*j), k2
			}
			if k3 > key {
				best, key = bottom+int32(2*j)+1, k3
			}
			ai[j] = best
			yi[j] = fromOrderKey(key)
		}
	}
}

// orderKey maps a float32 to an int32 with the same order, except that -0
// sorts just below +0. A NaN with the sign bit clear sorts above +Inf, so
// it propagates, and one with the sign bit set sorts below -Inf.
func orderKey(f float32) int32 {
	b := int32(math.Float32bits(f))
	return b ^ (b >> 31 & 0x7fffffff)
}

// fromOrderKey inverts orderKey.
func fromOrderKey(k int32) float32 {
	return math.Float32frombits(uint32(k ^ (k >> 31 & 0x7fffffff)))
}

func (l *MaxPool2d) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.y, dy); err != nil {
		return nil, err
	}
	l.dy = dy
	ensure(&l.dx, l.n, l.c, l.h, l.w)
	l.loop.run(l.n*l.c, 8, 1, l.bwd)
	l.dy = nil
	return l.dx, nil
}

func (l *MaxPool2d) backwardPlanes(lo, hi int) {
	in, out := l.h*l.w, l.oh*l.ow
	for p := lo; p < hi; p++ {
		dx := l.dx.Data[p*in : (p+1)*in]
		clear(dx)
		dy := l.dy.Data[p*out : (p+1)*out]
		for i, a := range l.argmax[p*out : (p+1)*out] {
			dx[a] += dy[i]
		}
	}
}

// GlobalAvgPool2d averages each channel over its H x W pixels: input N x C
// x H x W, output N x C.
type GlobalAvgPool2d struct {
	n, c, h, w, hw int
	y, dx          *tensor.Tensor
}

// NewGlobalAvgPool2d returns a GlobalAvgPool2d layer.
func NewGlobalAvgPool2d() *GlobalAvgPool2d { return &GlobalAvgPool2d{} }

func (l *GlobalAvgPool2d) Name() string     { return "GlobalAvgPool2d" }
func (l *GlobalAvgPool2d) Params() []*Param { return nil }

func (l *GlobalAvgPool2d) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) != 4 || x.Shape[2]*x.Shape[3] == 0 {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, shapeError(l.Name(), "input", got, "[N C H W] with H, W > 0")
	}
	l.n, l.c, l.h, l.w = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	l.hw = l.h * l.w
	y := ensure(&l.y, l.n, l.c)
	for p := range y.Data {
		var s float64
		for _, v := range x.Data[p*l.hw : (p+1)*l.hw] {
			s += float64(v)
		}
		y.Data[p] = float32(s / float64(l.hw))
	}
	return y, nil
}

func (l *GlobalAvgPool2d) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.Name(), l.y, dy); err != nil {
		return nil, err
	}
	dx := ensure(&l.dx, l.n, l.c, l.h, l.w)
	inv := 1 / float32(l.hw)
	for p, g := range dy.Data {
		plane := dx.Data[p*l.hw : (p+1)*l.hw]
		for i := range plane {
			plane[i] = g * inv
		}
	}
	return dx, nil
}

// Flatten reshapes N x d1 x d2 x ... into N x (d1*d2*...) without copying.
type Flatten struct {
	inShape []int
	y, dx   *tensor.Tensor
}

// NewFlatten returns a Flatten layer.
func NewFlatten() *Flatten { return &Flatten{} }

func (l *Flatten) Name() string     { return "Flatten" }
func (l *Flatten) Params() []*Param { return nil }

func (l *Flatten) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) < 1 {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, shapeError(l.Name(), "input", got, "[N ...] with at least one dimension")
	}
	l.inShape = append(l.inShape[:0], x.Shape...)
	return view(&l.y, x.Data, x.Shape[0], x.Cols()), nil
}

func (l *Flatten) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.Name(), l.y, dy); err != nil {
		return nil, err
	}
	return view(&l.dx, dy.Data, l.inShape...), nil
}
