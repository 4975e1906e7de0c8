package nn

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/tensor"
)

// BatchNorm normalizes each feature (NewBatchNorm, input N x F) or channel
// (NewBatchNorm2d, input N x C x H x W) to mean 0 and variance 1, then
// applies a learned scale and shift when affine (Ioffe and Szegedy, 2015).
// The output has the shape of the input.
//
// In training mode it uses the statistics of the batch: the mean and the
// biased variance over the N (times H*W) values of each channel, and it
// updates the running statistics as running = (1 - Momentum) * running +
// Momentum * batch, with the unbiased variance, as PyTorch does. Training
// needs at least two values per channel, so a batch of one sample is an
// error for NewBatchNorm. In inference mode it uses the running statistics.
type BatchNorm struct {
	Channels int
	Affine   bool
	Momentum float64 // weight of the batch statistics in the running ones; default 0.1
	Eps      float64 // added to the variance; default 1e-5

	Weight      *Param // "weight" (scale, starts at 1), nil unless Affine
	Bias        *Param // "bias" (shift, starts at 0), nil unless Affine
	RunningMean *Param // buffer "running_mean", starts at 0
	RunningVar  *Param // buffer "running_var", starts at 1

	name    string
	spatial bool // NCHW input

	// State of the last Forward.
	n, s   int // samples and values per sample and channel (H*W, or 1)
	train  bool
	xhat   *tensor.Tensor
	y, dx  *tensor.Tensor
	invStd []float64 // per channel
	mean   []float64 // per channel
	sumA   []float64 // per-channel scratch sums
	sumB   []float64
}

// NewBatchNorm returns batch normalization over the features of an N x F
// input.
func NewBatchNorm(features int, affine bool) (*BatchNorm, error) {
	return newBatchNorm(fmt.Sprintf("BatchNorm(%d)", features), features, affine, false)
}

// NewBatchNorm2d returns batch normalization over the channels of an N x C
// x H x W input.
func NewBatchNorm2d(channels int, affine bool) (*BatchNorm, error) {
	return newBatchNorm(fmt.Sprintf("BatchNorm2d(%d)", channels), channels, affine, true)
}

func newBatchNorm(name string, c int, affine, spatial bool) (*BatchNorm, error) {
	if c <= 0 {
		return nil, fmt.Errorf("nn: %s: the channel count must be positive", name)
	}
	l := &BatchNorm{Channels: c, Affine: affine, Momentum: 0.1, Eps: 1e-5, name: name, spatial: spatial,
		RunningMean: newBuffer("running_mean", c),
		RunningVar:  newBuffer("running_var", c),
		invStd:      make([]float64, c),
		mean:        make([]float64, c),
		sumA:        make([]float64, c),
		sumB:        make([]float64, c),
	}
	l.RunningVar.Value.Fill(1)
	if affine {
		l.Weight = newParam("weight", c)
		l.Weight.Value.Fill(1)
		l.Bias = newParam("bias", c)
	}
	return l, nil
}

func (l *BatchNorm) Name() string { return l.name }

func (l *BatchNorm) Params() []*Param {
	if !l.Affine {
		return nil
	}
	return []*Param{l.Weight, l.Bias}
}

// Buffers returns the running mean and variance.
func (l *BatchNorm) Buffers() []*Param { return []*Param{l.RunningMean, l.RunningVar} }

// scaleShift returns the scale and shift of channel c.
func (l *BatchNorm) scaleShift(c int) (float64, float64) {
	if !l.Affine {
		return 1, 0
	}
	return float64(l.Weight.Value.Data[c]), float64(l.Bias.Value.Data[c])
}

func (l *BatchNorm) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if err := l.checkInput(x); err != nil {
		return nil, err
	}
	n, ch, s := x.Shape[0], l.Channels, 1
	if l.spatial {
		s = x.Shape[2] * x.Shape[3]
	}
	m := n * s
	if train && m < 2 {
		return nil, fmt.Errorf("nn: %s: training mode needs more than one value per channel to compute the batch variance, got input shape %v; use a batch of at least 2 samples or inference mode", l.name, x.Shape)
	}
	l.n, l.s, l.train = n, s, train
	xhat := ensure(&l.xhat, x.Shape...)
	y := ensure(&l.y, x.Shape...)

	if train {
		sum, sq := l.sumA, l.sumB
		clear(sum)
		clear(sq)
		l.forEach(x.Data, func(c int, v []float32) {
			for _, e := range v {
				sum[c] += float64(e)
			}
		})
		for c := range ch {
			l.mean[c] = sum[c] / float64(m)
		}
		l.forEach(x.Data, func(c int, v []float32) {
			mu := l.mean[c]
			for _, e := range v {
				d := float64(e) - mu
				sq[c] += d * d
			}
		})
		mom := l.Momentum
		rm, rv := l.RunningMean.Value.Data, l.RunningVar.Value.Data
		for c := range ch {
			variance := sq[c] / float64(m)
			l.invStd[c] = 1 / math.Sqrt(variance+l.Eps)
			rm[c] = float32((1-mom)*float64(rm[c]) + mom*l.mean[c])
			rv[c] = float32((1-mom)*float64(rv[c]) + mom*sq[c]/float64(m-1))
		}
	} else {
		for c := range ch {
			l.mean[c] = float64(l.RunningMean.Value.Data[c])
			l.invStd[c] = 1 / math.Sqrt(float64(l.RunningVar.Value.Data[c])+l.Eps)
		}
	}

	off := 0
	l.forEach(x.Data, func(c int, v []float32) {
		mu, inv := l.mean[c], l.invStd[c]
		g, b := l.scaleShift(c)
		xh, yv := xhat.Data[off:off+len(v)], y.Data[off:off+len(v)]
		for i, e := range v {
			h := (float64(e) - mu) * inv
			xh[i] = float32(h)
			yv[i] = float32(g*h + b)
		}
		off += len(v)
	})
	return y, nil
}

func (l *BatchNorm) checkInput(x *tensor.Tensor) error {
	want, rank := fmt.Sprintf("[N %d]", l.Channels), 2
	if l.spatial {
		want, rank = fmt.Sprintf("[N %d H W]", l.Channels), 4
	}
	if x == nil || len(x.Shape) != rank || x.Shape[1] != l.Channels {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return shapeError(l.name, "input", got, want)
	}
	return nil
}

// forEach calls f on each run of values of one channel in data, which has
// the shape of the last input, in memory order.
func (l *BatchNorm) forEach(data []float32, f func(c int, v []float32)) {
	s := l.s
	for i := range l.n {
		for c := range l.Channels {
			off := (i*l.Channels + c) * s
			f(c, data[off:off+s])
		}
	}
}

func (l *BatchNorm) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.y, dy); err != nil {
		return nil, err
	}
	dx := ensure(&l.dx, dy.Shape...)
	sumDy, sumDyXhat := l.sumA, l.sumB
	clear(sumDy)
	clear(sumDyXhat)
	off := 0
	l.forEach(dy.Data, func(c int, v []float32) {
		xh := l.xhat.Data[off : off+len(v)]
		for i, g := range v {
			sumDy[c] += float64(g)
			sumDyXhat[c] += float64(g) * float64(xh[i])
		}
		off += len(v)
	})
	if l.Affine {
		for c := range l.Channels {
			l.Weight.Grad.Data[c] += float32(sumDyXhat[c])
			l.Bias.Grad.Data[c] += float32(sumDy[c])
		}
	}

	m := float64(l.n * l.s)
	off = 0
	l.forEach(dy.Data, func(c int, v []float32) {
		g, _ := l.scaleShift(c)
		k := g * l.invStd[c]
		xh, d := l.xhat.Data[off:off+len(v)], dx.Data[off:off+len(v)]
		if !l.train {
			for i, e := range v {
				d[i] = float32(k * float64(e))
			}
		} else {
			// dx = g * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
			meanDy, meanDyXhat := sumDy[c]/m, sumDyXhat[c]/m
			for i, e := range v {
				d[i] = float32(k * (float64(e) - meanDy - float64(xh[i])*meanDyXhat))
			}
		}
		off += len(v)
	})
	return dx, nil
}
