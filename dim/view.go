package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/stats"
)

// View draws a random view (augmentation) of each row of a batch. Apply
// writes into dst the views of the n rows of src, both n x (row length),
// drawing every random number from rng, so one seed gives one result.
// Implementations do not allocate.
type View interface {
	Apply(dst, src []float32, n int, rng *rand.Rand) error
}

// ImageView transforms images stored as Channels x Height x Width per row.
// Each image gets one random transform shared by its channels: a
// translation, and when MaxRotate or MaxScale is set, a rotation and
// zoom about the image center resampled bilinearly. Pixels that come from
// outside the image are zero. Gaussian pixel noise, drawn from a fine
// quantile table (see normalTable), is added last.
type ImageView struct {
	Channels, Height, Width int
	// MaxShift is the largest translation in pixels along each axis. With
	// no rotation or zoom, shifts are whole pixels in [-MaxShift, MaxShift].
	MaxShift int
	// MaxRotate is the largest rotation angle in degrees either way.
	MaxRotate float64
	// MaxScale sets the zoom range [1-MaxScale, 1+MaxScale]; a zoom above
	// 1 is a crop of the center resized to the full image.
	MaxScale float64
	// PixelNoise is the standard deviation of the Gaussian noise added to
	// each pixel.
	PixelNoise float64
}

// Validate reports a geometry or range that Apply cannot use.
func (v *ImageView) Validate() error {
	switch {
	case v.Channels < 1 || v.Height < 1 || v.Width < 1:
		return fmt.Errorf("dim: image shape %dx%dx%d is invalid; channels, height and width must be positive", v.Channels, v.Height, v.Width)
	case v.MaxShift < 0:
		return fmt.Errorf("dim: maximum shift %d is invalid; it must be 0 or more pixels", v.MaxShift)
	case !(v.MaxRotate >= 0 && v.MaxRotate <= 180):
		return fmt.Errorf("dim: maximum rotation %v is invalid; it must be between 0 and 180 degrees", v.MaxRotate)
	case !(v.MaxScale >= 0 && v.MaxScale < 1):
		return fmt.Errorf("dim: maximum zoom change %v is invalid; it must be in [0, 1)", v.MaxScale)
	case !(v.PixelNoise >= 0) || math.IsInf(v.PixelNoise, 0):
		return fmt.Errorf("dim: pixel noise %v is invalid; it must be a finite standard deviation of 0 or more", v.PixelNoise)
	}
	return nil
}

func (v *ImageView) Apply(dst, src []float32, n int, rng *rand.Rand) error {
	if err := v.Validate(); err != nil {
		return err
	}
	size := v.Channels * v.Height * v.Width
	if len(src) != n*size || len(dst) != n*size {
		return fmt.Errorf("dim: image view needs %d x %d values, got %d in and %d out", n, size, len(src), len(dst))
	}
	warp := v.MaxRotate > 0 || v.MaxScale > 0
	for i := 0; i < n; i++ {
		in := src[i*size : (i+1)*size]
		out := dst[i*size : (i+1)*size]
		if warp {
			v.warp(out, in, rng)
		} else {
			k := v.MaxShift
			dy := rng.IntN(2*k+1) - k
			dx := rng.IntN(2*k+1) - k
			v.shift(out, in, dy, dx)
		}
		if s := v.PixelNoise; s > 0 {
			addTableNoise(out, float32(s), rng)
		}
	}
	return nil
}

// shift writes in translated by dy rows and dx columns into out.
func (v *ImageView) shift(out, in []float32, dy, dx int) {
	h, w := v.Height, v.Width
	for c := 0; c < v.Channels; c++ {
		plane := in[c*h*w : (c+1)*h*w]
		dest := out[c*h*w : (c+1)*h*w]
		for y := 0; y < h; y++ {
			row := dest[y*w : (y+1)*w]
			sy := y - dy
			if sy < 0 || sy >= h {
				clear(row)
				continue
			}
			// Columns x with 0 <= x-dx < w come from the source row.
			lo, hi := max(dx, 0), min(w+dx, w)
			if lo >= hi {
				clear(row)
				continue
			}
			clear(row[:lo])
			copy(row[lo:hi], plane[sy*w+lo-dx:sy*w+hi-dx])
			clear(row[hi:])
		}
	}
}

// warp writes in rotated, zoomed and translated into out. Each output
// pixel maps back through the inverse transform to a source point that is
// sampled bilinearly, with zero outside the image.
func (v *ImageView) warp(out, in []float32, rng *rand.Rand) {
	angle := (2*rng.Float64() - 1) * v.MaxRotate * math.Pi / 180
	scale := 1 + (2*rng.Float64()-1)*v.MaxScale
	k := float64(v.MaxShift)
	ty := (2*rng.Float64() - 1) * k
	tx := (2*rng.Float64() - 1) * k
	v.warpWith(out, in, angle, scale, ty, tx)
}

// warpWith applies the rotation by angle radians and the zoom by scale
// about the center, then the translation by (ty, tx) pixels.
func (v *ImageView) warpWith(out, in []float32, angle, scale, ty, tx float64) {
	h, w := v.Height, v.Width
	cos, sin := math.Cos(angle)/scale, math.Sin(angle)/scale
	cy, cx := float64(h-1)/2, float64(w-1)/2
	for c := 0; c < v.Channels; c++ {
		plane := in[c*h*w : (c+1)*h*w]
		dest := out[c*h*w : (c+1)*h*w]
		at := func(y, x int) float64 {
			if y < 0 || y >= h || x < 0 || x >= w {
				return 0
			}
			return float64(plane[y*w+x])
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				// Undo the translation, then the rotation and zoom.
				py, px := float64(y)-cy-ty, float64(x)-cx-tx
				sy := cos*py - sin*px + cy
				sx := sin*py + cos*px + cx
				y0, x0 := math.Floor(sy), math.Floor(sx)
				fy, fx := sy-y0, sx-x0
				iy, ix := int(y0), int(x0)
				val := (1-fy)*((1-fx)*at(iy, ix)+fx*at(iy, ix+1)) +
					fy*((1-fx)*at(iy+1, ix)+fx*at(iy+1, ix+1))
				dest[y*w+x] = float32(val)
			}
		}
	}
}

// normalTableBits sets the size of the quantile table that pixel noise is
// drawn from: 2^16 points, four draws per 64-bit random number.
const normalTableBits = 16

// normalTable holds the standard normal quantiles at the midpoints
// (i + 1/2) / 2^16, scaled to unit variance. A uniform random entry is a
// discrete normal within 1/2^16 of the normal CDF everywhere, with tails
// cut at 4.3 standard deviations. Two views of 256 MNIST images need
// 400,000 noise values per step, and a table draw costs a quarter of a
// 64-bit random number and a load instead of a ziggurat draw. The channel
// noise, which the capacity bound is about, still uses exact normal draws.
var normalTable = sync.OnceValue(func() []float32 {
	const n = 1 << normalTableBits
	q := make([]float64, n)
	ss := 0.0
	for i := range q {
		q[i] = stats.NormalQuantile((float64(i) + 0.5) / n)
		ss += q[i] * q[i]
	}
	scale := math.Sqrt(n / ss)
	t := make([]float32, n)
	for i, v := range q {
		t[i] = float32(v * scale)
	}
	return t
})

// addTableNoise adds s times a draw from normalTable to every element of x.
func addTableNoise(x []float32, s float32, rng *rand.Rand) {
	t := normalTable()
	const mask = 1<<normalTableBits - 1
	for len(x) >= 4 {
		u := rng.Uint64()
		x[0] += s * t[u&mask]
		x[1] += s * t[u>>16&mask]
		x[2] += s * t[u>>32&mask]
		x[3] += s * t[u>>48]
		x = x[4:]
	}
	if len(x) > 0 {
		u := rng.Uint64()
		for i := range x {
			x[i] += s * t[u>>(16*i)&mask]
		}
	}
}

// VectorView perturbs feature vectors: each element is set to zero with
// probability MaskProb, then Gaussian noise with standard deviation Noise
// is added to every element.
type VectorView struct {
	Noise    float64
	MaskProb float64
}

func (v *VectorView) Apply(dst, src []float32, n int, rng *rand.Rand) error {
	if !(v.Noise >= 0) || math.IsInf(v.Noise, 0) {
		return fmt.Errorf("dim: feature noise %v is invalid; it must be a finite standard deviation of 0 or more", v.Noise)
	}
	if !(v.MaskProb >= 0 && v.MaskProb < 1) {
		return fmt.Errorf("dim: masking probability %v is invalid; it must be in [0, 1)", v.MaskProb)
	}
	if len(dst) != len(src) {
		return fmt.Errorf("dim: view output has %d values for %d inputs", len(dst), len(src))
	}
	for i, x := range src {
		if v.MaskProb > 0 && rng.Float64() < v.MaskProb {
			x = 0
		}
		if v.Noise > 0 {
			x += float32(v.Noise * rng.NormFloat64())
		}
		dst[i] = x
	}
	return nil
}

// viewChunk is the number of rows in each independently seeded piece of a
// batch of views.
const viewChunk = 32

// parallelView draws the views of a batch in pieces of viewChunk rows over
// nn.Threads goroutines. Each piece has its own generator, seeded from the
// caller's, so the views depend on the seed and not on the thread count.
type parallelView struct {
	view     View
	dst, src []float32
	size     int // values per row
	rows     int // rows in the batch
	seeds    []uint64
	pcgs     []*rand.PCG
	rngs     []*rand.Rand
	errs     []error
	par      nn.Loop
	body     func(lo, hi int)
}

func newParallelView(v View, size int) *parallelView {
	p := &parallelView{view: v, size: size}
	p.body = p.run
	return p
}

// Apply writes the views of the n rows of src into dst, drawing the seeds
// of the pieces from rng.
func (p *parallelView) Apply(dst, src []float32, n int, rng *rand.Rand) error {
	if len(src) != n*p.size || len(dst) != n*p.size {
		return fmt.Errorf("dim: views need %d x %d values, got %d in and %d out", n, p.size, len(src), len(dst))
	}
	pieces := (n + viewChunk - 1) / viewChunk
	for len(p.pcgs) < pieces {
		pcg := rand.NewPCG(0, 0)
		p.pcgs = append(p.pcgs, pcg)
		p.rngs = append(p.rngs, rand.New(pcg))
		p.seeds = append(p.seeds, 0)
		p.errs = append(p.errs, nil)
	}
	for c := range pieces {
		p.seeds[c] = rng.Uint64()
	}
	p.dst, p.src, p.rows = dst, src, n
	p.par.Run(pieces, 1, p.body)
	p.dst, p.src = nil, nil
	for _, err := range p.errs[:pieces] {
		if err != nil {
			return err
		}
	}
	return nil
}

// run draws the pieces [lo, hi).
func (p *parallelView) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		r0, r1 := c*viewChunk, min((c+1)*viewChunk, p.rows)
		p.pcgs[c].Seed(p.seeds[c], uint64(c))
		p.errs[c] = p.view.Apply(p.dst[r0*p.size:r1*p.size], p.src[r0*p.size:r1*p.size], r1-r0, p.rngs[c])
	}
}
