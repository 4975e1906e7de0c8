package nn

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// serialGemm multiplies on the calling goroutine. The layers run one per
// chunk of work and spread the chunks over goroutines themselves.
var serialGemm = tensor.Gemmer{Threads: 1}

// convGroups is the number of sample groups whose weight gradients the
// backward pass computes separately and then adds in a fixed order. It
// does not depend on the thread count, so neither do the results.
const convGroups = 16

// Conv2d is a 2-D convolution (cross-correlation, as in PyTorch) with
// square kernels, input N x InC x H x W, weight OutC x InC x K x K, bias
// OutC and output N x OutC x OH x OW, where OH = (H + 2*Padding - K) /
// Stride + 1 and likewise OW. Padding is with zeros.
//
// A few samples at a time are unfolded (im2col) side by side into a
// (InC*K*K) x (samples*OH*OW) matrix that stays in cache, and multiplied by
// the weight with a single-goroutine tensor.Gemm. Samples are spread over
// goroutines.
type Conv2d struct {
	InC, OutC, Kernel, Stride, Padding int
	Weight                             *Param // "weight", OutC x InC x K x K
	Bias                               *Param // "bias", OutC

	name          string
	skipInputGrad bool

	// Geometry of the last Forward.
	n, h, w, oh, ow int

	x, y, dx, dy *tensor.Tensor
	scratch      chan *convScratch // free per-goroutine buffers
	scratchKey   [2]int            // unfolded size and output size they fit
	fuseReLU     bool              // the last Forward applied ReLU to the output
	pool         *MaxPool2d        // max pooling the last Forward applied after the ReLU, or nil
	out          *tensor.Tensor    // output of the last Forward: y, or the pooled y
	weightBias   []float32         // OutC x (InC*K*K + 1): the weights with the bias as last column
	gradW        []float32         // convGroups partial gradients of weightBias, each transposed: (InC*K*K + 1) x OutC
	loop         loop
	fwd, bwd     func(lo, hi int)
}

// NewConv2d returns a Conv2d layer with weights drawn by KaimingUniform with
// the ReLU gain (fan-in InC*K*K) from rng and zero biases.
func NewConv2d(inC, outC, kernel, stride, padding int, rng RNG) (*Conv2d, error) {
	name := fmt.Sprintf("Conv2d(%d, %d, kernel %d, stride %d, padding %d)", inC, outC, kernel, stride, padding)
	if inC <= 0 || outC <= 0 || kernel <= 0 || stride <= 0 || padding < 0 {
		return nil, fmt.Errorf("nn: %s: channels, kernel size and stride must be positive and padding non-negative", name)
	}
	if rng == nil {
		return nil, fmt.Errorf("nn: %s: nil random generator; pass tensor.NewRNG(seed)", name)
	}
	l := &Conv2d{InC: inC, OutC: outC, Kernel: kernel, Stride: stride, Padding: padding, name: name,
		Weight:     newParam("weight", outC, inC, kernel, kernel),
		Bias:       newParam("bias", outC),
		weightBias: make([]float32, outC*(inC*kernel*kernel+1)),
		gradW:      make([]float32, convGroups*outC*(inC*kernel*kernel+1)),
	}
	KaimingUniform(l.Weight.Value, inC*kernel*kernel, GainReLU, rng)
	l.fwd = l.forwardSamples
	l.bwd = l.backwardGroups
	return l, nil
}

func (l *Conv2d) Name() string               { return l.name }
func (l *Conv2d) Params() []*Param           { return []*Param{l.Weight, l.Bias} }
func (l *Conv2d) SetSkipInputGrad(skip bool) { l.skipInputGrad = skip }

func (l *Conv2d) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return l.forward(x, false, nil)
}

// forwardReLU returns ReLU of the output; Backward then takes the gradient
// of that.
func (l *Conv2d) forwardReLU(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	return l.forward(x, true, nil)
}

// forwardReLUPool returns the output after ReLU and then pool, so the full
// convolution output never leaves the cache; Backward then takes the
// gradient of the pooled output. It uses the output and argmax buffers of
// pool, whose own Forward must not run between this call and Backward.
func (l *Conv2d) forwardReLUPool(x *tensor.Tensor, pool *MaxPool2d) (*tensor.Tensor, error) {
	return l.forward(x, true, pool)
}

// forward computes the convolution, followed by ReLU if relu is set and
// then by pool if it is not nil, and records both for Backward.
func (l *Conv2d) forward(x *tensor.Tensor, relu bool, pool *MaxPool2d) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) != 4 || x.Shape[1] != l.InC {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, shapeError(l.name, "input", got, fmt.Sprintf("[N %d H W]", l.InC))
	}
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh := (h+2*l.Padding-l.Kernel)/l.Stride + 1
	ow := (w+2*l.Padding-l.Kernel)/l.Stride + 1
	if h+2*l.Padding < l.Kernel || w+2*l.Padding < l.Kernel {
		return nil, shapeError(l.name, "input", x.Shape, fmt.Sprintf("an image of at least %d x %d pixels after padding", l.Kernel, l.Kernel))
	}
	if pool != nil {
		if err := pool.setup(n, l.OutC, oh, ow); err != nil {
			return nil, err
		}
	}
	l.n, l.h, l.w, l.oh, l.ow = n, h, w, oh, ow
	l.x = x
	l.fuseReLU, l.pool = relu, pool
	if pool != nil {
		l.out = pool.y
	} else {
		l.out = ensure(&l.y, n, l.OutC, oh, ow)
	}
	ckk := l.InC * l.Kernel * l.Kernel
	for o, b := range l.Bias.Value.Data {
		copy(l.weightBias[o*(ckk+1):], l.Weight.Value.Data[o*ckk:(o+1)*ckk])
		l.weightBias[o*(ckk+1)+ckk] = b
	}
	l.prepareScratch()
	l.loop.run(n, 1, 1, l.fwd)
	return l.out, nil
}

// convBatchBytes bounds the unfolded matrix of the samples that one
// matrix multiply covers, so that it stays in a per-core cache.
const convBatchBytes = 512 << 10

// batchSize returns how many samples one matrix multiply covers: more
// samples give wider products, which the packed GEMM runs faster, until
// the unfolded matrix outgrows the cache.
func (l *Conv2d) batchSize() int {
	perSample := l.InC * l.Kernel * l.Kernel * l.oh * l.ow * 4
	return max(1, min(16, convBatchBytes/max(perSample, 1), l.n))
}

// convScratch is the private space of one goroutine for a batch of
// samples: the unfolded samples side by side with a row of ones below them,
// their gradient, and the output or output gradient as an OutC x
// (batch*OH*OW) matrix. With the row of ones and the bias as last column of
// weightBias, one product computes the convolution plus bias, and the
// weight-gradient product yields the bias gradient as its last column.
type convScratch struct {
	col, dcol, out []float32
}

// prepareScratch sizes one convScratch per goroutine.
func (l *Conv2d) prepareScratch() {
	batch := l.batchSize()
	unfolded := (l.InC*l.Kernel*l.Kernel + 1) * l.oh * l.ow * batch
	key := [2]int{unfolded, l.OutC * l.oh * l.ow * batch}
	threads := Threads()
	if l.scratch != nil && l.scratchKey == key && cap(l.scratch) >= threads {
		return
	}
	l.scratchKey = key
	l.scratch = make(chan *convScratch, threads)
	for range threads {
		l.scratch <- &convScratch{
			col:  make([]float32, unfolded),
			dcol: make([]float32, unfolded),
			out:  make([]float32, key[1]),
		}
	}
}

// forwardSamples computes the output of samples [lo, hi), batchSize
// samples per matrix multiply. Column j of the product depends only on
// column j of the unfolded batch, so the batch size does not change the
// results.
func (l *Conv2d) forwardSamples(lo, hi int) {
	sc := <-l.scratch
	ckk, ohw := l.InC*l.Kernel*l.Kernel, l.oh*l.ow
	out := l.OutC * ohw
	batch := l.batchSize()
	relu := simd.Active().ReLU
	for s0 := lo; s0 < hi; s0 += batch {
		count := min(batch, hi-s0)
		ld := count * ohw
		l.unfold(sc.col, ld, s0, count)
		product := sc.out
		if count == 1 && l.pool == nil {
			product = l.y.Data[s0*out : (s0+1)*out]
		}
		serialGemm.Gemm(tensor.NoTrans, tensor.NoTrans, l.OutC, ld, ckk+1, 1, l.weightBias, ckk+1, sc.col, ld, 0, product, ld)
		if l.pool != nil {
			// Pool each plane while it is in cache.
			for s := range count {
				for c := range l.OutC {
					plane := product[c*ld+s*ohw : c*ld+(s+1)*ohw]
					l.pool.reluPoolPlane((s0+s)*l.OutC+c, plane, relu)
				}
			}
			continue
		}
		for s := range count {
			ys := l.y.Data[(s0+s)*out : (s0+s+1)*out]
			for c := range l.OutC {
				dst := ys[c*ohw : (c+1)*ohw]
				if count > 1 {
					copy(dst, product[c*ld+s*ohw:c*ld+(s+1)*ohw])
				}
				if l.fuseReLU {
					relu(dst, dst)
				}
			}
		}
	}
	l.scratch <- sc
}

func (l *Conv2d) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkBackward(l.name, l.out, dy); err != nil {
		return nil, err
	}
	l.dy = dy
	if !l.skipInputGrad {
		ensure(&l.dx, l.n, l.InC, l.h, l.w)
	}
	groups := min(convGroups, l.n)
	l.loop.run(groups, 1, 1, l.bwd)
	l.dy = nil

	// Add the group partials in group order. Each is the transposed
	// gradient of weightBias, whose last row is the bias gradient.
	ckk := l.InC * l.Kernel * l.Kernel
	size := len(l.weightBias)
	gw, gb := l.Weight.Grad.Data, l.Bias.Grad.Data
	for g := range groups {
		part := l.gradW[g*size : (g+1)*size]
		for j := range ckk {
			col := part[j*l.OutC : (j+1)*l.OutC]
			for o, v := range col {
				gw[o*ckk+j] += v
			}
		}
		for o, v := range part[ckk*l.OutC : (ckk+1)*l.OutC] {
			gb[o] += v
		}
	}
	if l.skipInputGrad {
		return nil, nil
	}
	return l.dx, nil
}

// backwardGroups computes the partial gradients of sample groups [lo, hi)
// and the input gradients of their samples, batchSize samples per matrix
// multiply.
func (l *Conv2d) backwardGroups(lo, hi int) {
	sc := <-l.scratch
	relu := simd.Active().ReLUBackward
	ckk, ohw := l.InC*l.Kernel*l.Kernel, l.oh*l.ow
	in, out := l.InC*l.h*l.w, l.OutC*ohw
	size := len(l.weightBias)
	groups := min(convGroups, l.n)
	batch := l.batchSize()
	for g := lo; g < hi; g++ {
		gw := l.gradW[g*size : (g+1)*size]
		first, last := g*l.n/groups, (g+1)*l.n/groups
		for s0 := first; s0 < last; s0 += batch {
			count := min(batch, last-s0)
			ld := count * ohw

			// Gather the output gradient as OutC x (count*OH*OW), masked by
			// the fused ReLU, and unfold the inputs again.
			dyBatch := sc.out[:l.OutC*ld]
			for s := range count {
				if l.pool != nil {
					l.unpool(dyBatch[s*ohw:], ld, s0+s)
					continue
				}
				off := (s0 + s) * out
				for c := range l.OutC {
					dst := dyBatch[c*ld+s*ohw : c*ld+(s+1)*ohw]
					src := l.dy.Data[off+c*ohw : off+(c+1)*ohw]
					if l.fuseReLU {
						relu(dst, src, l.y.Data[off+c*ohw:off+(c+1)*ohw])
					} else {
						copy(dst, src)
					}
				}
			}
			l.unfold(sc.col, ld, s0, count)

			var beta float32 = 1
			if s0 == first {
				beta = 0
			}
			// The weight gradient, transposed: (InC*K*K + 1) x OutC. This way
			// round the product reads the unfolded batch in place and its
			// tiles fit OutC = 32 or 64 without a ragged edge. Each entry is
			// the same chain of multiply-adds as in the untransposed product.
			serialGemm.Gemm(tensor.NoTrans, tensor.Trans, ckk+1, l.OutC, ld, 1, sc.col, ld, dyBatch, ld, beta, gw, l.OutC)
			if l.skipInputGrad {
				continue
			}
			serialGemm.Gemm(tensor.Trans, tensor.NoTrans, ckk, ld, l.OutC, 1, l.Weight.Value.Data, ckk, dyBatch, ld, 0, sc.dcol, ld)
			for s := range count {
				l.col2im(l.dx.Data[(s0+s)*in:(s0+s+1)*in], sc.dcol[s*ohw:], ld)
			}
		}
	}
	l.scratch <- sc
}

// unpool writes the gradient of the convolution output of sample s, an
// OutC x (OH*OW) matrix with row stride ld, from the gradient of the pooled
// output: each pooled value passes its gradient to the position it came
// from when the ReLU before the pooling let it through.
func (l *Conv2d) unpool(dst []float32, ld, s int) {
	ohw := l.oh * l.ow
	pooled := l.pool.oh * l.pool.ow
	fast := l.pool.Kernel == 2 && l.pool.Stride == 2
	backward := simd.Active().ReLUPool2x2Backward
	for c := range l.OutC {
		row := dst[c*ld : c*ld+ohw]
		p := (s*l.OutC + c) * pooled
		y := l.pool.y.Data[p : p+pooled]
		dy := l.dy.Data[p : p+pooled]
		arg := l.pool.argmax[p : p+pooled]
		if fast {
			// The windows cover the first 2*OH' rows; an odd last row
			// gets no gradient.
			covered := 2 * l.pool.oh * l.ow
			backward(row[:covered], dy, y, arg, l.ow)
			clear(row[covered:])
			continue
		}
		clear(row)
		for j, a := range arg {
			// row[a] += dy[j] when y[j] > 0, else row[a] += +0, which
			// changes no bit of the +0 that row[a] holds. The mask comes
			// from an integer comparison, which compiles to a conditional
			// move: a branch on y[j] > 0 is mispredicted as often as ReLU
			// zeroes a maximum. 1 <= bits <= 0x7f800000 is 0 < y <= +Inf.
			var mask uint32
			if math.Float32bits(y[j])-1 < 0x7f800000 {
				mask = ^uint32(0)
			}
			row[a] += math.Float32frombits(math.Float32bits(dy[j]) & mask)
		}
	}
}

// unfold writes samples [s0, s0+count) side by side into col, a (InC*K*K +
// 1) x ld matrix, ld = count*OH*OW, whose last row is all ones.
func (l *Conv2d) unfold(col []float32, ld, s0, count int) {
	in, ohw := l.InC*l.h*l.w, l.oh*l.ow
	for s := range count {
		l.im2col(col[s*ohw:], ld, l.x.Data[(s0+s)*in:(s0+s+1)*in])
	}
	ckk := l.InC * l.Kernel * l.Kernel
	ones := col[ckk*ld : (ckk+1)*ld]
	for i := range ones {
		ones[i] = 1
	}
}

// im2col writes the unfolded sample x (InC x H x W) into col, a (InC*K*K) x
// (OH*OW) matrix with row stride ld whose row (c, ki, kj) holds the input
// pixels that kernel tap (ki, kj) of channel c meets at each output
// position, 0 in the padding.
func (l *Conv2d) im2col(col []float32, ld int, x []float32) {
	if l.Stride == 1 && l.ow == l.w {
		l.im2colSame(col, ld, x)
		return
	}
	l.im2colGeneral(col, ld, x)
}

// im2colGeneral is im2col for any geometry.
func (l *Conv2d) im2colGeneral(col []float32, ld int, x []float32) {
	k, s, p := l.Kernel, l.Stride, l.Padding
	h, w, oh, ow := l.h, l.w, l.oh, l.ow
	row := 0
	for c := range l.InC {
		plane := x[c*h*w : (c+1)*h*w]
		for ki := range k {
			for kj := range k {
				dst := col[row*ld : row*ld+oh*ow]
				row++
				// Output columns lo <= j < hi read inside the image.
				lo, hi := validRange(kj, p, s, w, ow)
				for i := range oh {
					seg := dst[i*ow : (i+1)*ow]
					r := i*s - p + ki
					if r < 0 || r >= h || lo >= hi {
						clear(seg)
						continue
					}
					// Rows are short (tens of values), so plain loops beat
					// calls to memclr and memmove here.
					for j := range seg[:lo] {
						seg[j] = 0
					}
					for j := hi; j < ow; j++ {
						seg[j] = 0
					}
					src := plane[r*w : (r+1)*w]
					if s == 1 {
						d := seg[lo:hi]
						from := src[lo-p+kj:]
						from = from[:len(d)]
						for j := range d {
							d[j] = from[j]
						}
						continue
					}
					for j := lo; j < hi; j++ {
						seg[j] = src[j*s-p+kj]
					}
				}
			}
		}
	}
}

// col2im sets dx (InC x H x W) to the sum of the entries of dcol, laid out
// as in im2col with row stride ld, over the positions that read each input
// pixel.
func (l *Conv2d) col2im(dx, dcol []float32, ld int) {
	clear(dx)
	if l.Stride == 1 && l.ow == l.w {
		l.col2imSame(dx, dcol, ld)
		return
	}
	l.col2imGeneral(dx, dcol, ld)
}

// col2imGeneral is col2im for any geometry, into a cleared dx.
func (l *Conv2d) col2imGeneral(dx, dcol []float32, ld int) {
	k, s, p := l.Kernel, l.Stride, l.Padding
	h, w, oh, ow := l.h, l.w, l.oh, l.ow
	row := 0
	for c := range l.InC {
		plane := dx[c*h*w : (c+1)*h*w]
		for ki := range k {
			for kj := range k {
				src := dcol[row*ld : row*ld+oh*ow]
				row++
				lo, hi := validRange(kj, p, s, w, ow)
				for i := range oh {
					r := i*s - p + ki
					if r < 0 || r >= h || lo >= hi {
						continue
					}
					seg := src[i*ow : (i+1)*ow]
					dst := plane[r*w : (r+1)*w]
					if s == 1 {
						from := seg[lo:hi]
						d := dst[lo-p+kj:]
						d = d[:len(from)]
						for j, v := range from {
							d[j] += v
						}
						continue
					}
					for j := lo; j < hi; j++ {
						dst[j*s-p+kj] += seg[j]
					}
				}
			}
		}
	}
}

// validRange returns the output columns [lo, hi) for which kernel column kj
// reads an input column inside [0, w): 0 <= j*s - p + kj < w.
func validRange(kj, p, s, w, ow int) (lo, hi int) {
	lo = 0
	if p > kj {
		lo = (p - kj + s - 1) / s
	}
	// j*s < w + p - kj, so j <= (w + p - kj - 1) / s.
	hi = 0
	if w+p-kj > 0 {
		hi = (w+p-kj-1)/s + 1
	}
	hi = min(hi, ow)
	lo = min(lo, hi)
	return lo, hi
}

// tapRows returns the output rows [lo, hi) for which kernel row ki reads
// an input row inside [0, h), for stride 1: 0 <= i - p + ki < h.
func tapRows(ki, p, h, oh int) (lo, hi int) {
	lo = max(0, p-ki)
	hi = min(oh, h+p-ki)
	return lo, max(lo, hi)
}

// im2colSame is im2col for stride 1 and as many output as input columns,
// as with a 3 x 3 kernel and padding 1. Output row i of tap (ki, kj) then
// reads input row i - p + ki from column kj - p on, so the tap's rows
// inside the image are one run of the input plane, shifted by (ki - p)*w +
// kj - p: one copy moves them all. The columns that run wraps into from
// the neighbouring rows, j < lo and j >= hi, are then set to 0 as padding.
// The values are those of the general loop.
func (l *Conv2d) im2colSame(col []float32, ld int, x []float32) {
	k, p := l.Kernel, l.Padding
	h, w, oh, ow := l.h, l.w, l.oh, l.ow
	row := 0
	for c := range l.InC {
		plane := x[c*h*w : (c+1)*h*w]
		for ki := range k {
			i0, i1 := tapRows(ki, p, h, oh)
			for kj := range k {
				dst := col[row*ld : row*ld+oh*ow]
				row++
				lo, hi := validRange(kj, p, 1, w, ow)
				if i0 >= i1 || lo >= hi {
					clear(dst)
					continue
				}
				clear(dst[:i0*ow+lo])
				clear(dst[(i1-1)*ow+hi:])
				shift := (ki-p)*w + kj - p
				copy(dst[i0*ow+lo:(i1-1)*ow+hi], plane[i0*ow+lo+shift:])
				if lo == 0 && hi == ow {
					continue
				}
				// Rows are short (tens of values), so plain loops beat
				// calls to memclr here.
				for i := i0; i < i1; i++ {
					seg := dst[i*ow : (i+1)*ow]
					for j := range seg[:lo] {
						seg[j] = 0
					}
					for j := hi; j < ow; j++ {
						seg[j] = 0
					}
				}
			}
		}
	}
}

// col2imSame is col2im for the geometry of im2colSame, into a cleared dx.
// It adds each tap's rows inside the image to dx as one run, after setting
// the entries of dcol that the run wraps over (columns j < lo and j >= hi,
// which read the padding) to 0; dcol is scratch that is not read again.
// Each pixel of dx receives the same sums in the same tap order as in the
// general loop, and adding +0 to a sum that started at +0 changes no bit
// (such a sum is never -0), so the values are those of col2im.
func (l *Conv2d) col2imSame(dx, dcol []float32, ld int) {
	k, p := l.Kernel, l.Padding
	h, w, oh, ow := l.h, l.w, l.oh, l.ow
	add := simd.Active().Add
	row := 0
	for c := range l.InC {
		plane := dx[c*h*w : (c+1)*h*w]
		for ki := range k {
			i0, i1 := tapRows(ki, p, h, oh)
			for kj := range k {
				src := dcol[row*ld : row*ld+oh*ow]
				row++
				lo, hi := validRange(kj, p, 1, w, ow)
				if i0 >= i1 || lo >= hi {
					continue
				}
				if lo != 0 || hi != ow {
					for i := i0; i < i1; i++ {
						seg := src[i*ow : (i+1)*ow]
						for j := range seg[:lo] {
							seg[j] = 0
						}
						for j := hi; j < ow; j++ {
							seg[j] = 0
						}
					}
				}
				shift := (ki-p)*w + kj - p
				run := src[i0*ow+lo : (i1-1)*ow+hi]
				d := plane[i0*ow+lo+shift:]
				d = d[:len(run)]
				add(d, d, run)
			}
		}
	}
}
