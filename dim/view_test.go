package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ramp returns an image whose pixel (c, y, x) is 100c + 10y + x + 1, so
// every pixel is distinct and nonzero.
func ramp(c, h, w int) []float32 {
	img := make([]float32, c*h*w)
	for k := 0; k < c; k++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img[(k*h+y)*w+x] = float32(100*k + 10*y + x + 1)
			}
		}
	}
	return img
}

func TestImageViewShiftExact(t *testing.T) {
	v := &ImageView{Channels: 2, Height: 3, Width: 4}
	in := ramp(2, 3, 4)
	out := make([]float32, len(in))
	v.shift(out, in, 1, -2)
	// Row 0 is empty, rows 1 and 2 hold source rows 0 and 1 moved two
	// columns left, with zeros on the right.
	want := []float32{
		0, 0, 0, 0,
		3, 4, 0, 0,
		13, 14, 0, 0,
		0, 0, 0, 0,
		103, 104, 0, 0,
		113, 114, 0, 0,
	}
	assert.Equal(t, want, out)

	v.shift(out, in, 0, 5) // shifted out entirely
	assert.Equal(t, make([]float32, len(in)), out)
}

// TestImageViewShiftsInRange checks that every view of a batch is one of
// the (2k+1)^2 integer translations of its own image, and that all of them
// occur.
func TestImageViewShiftsInRange(t *testing.T) {
	const n, k = 200, 2
	v := &ImageView{Channels: 1, Height: 6, Width: 5, MaxShift: k}
	one := ramp(1, 6, 5)
	src := make([]float32, 0, n*30)
	for range n {
		src = append(src, one...)
	}
	dst := make([]float32, len(src))
	require.NoError(t, v.Apply(dst, src, n, rand.New(rand.NewPCG(1, 2))))
	seen := map[[2]int]bool{}
	cand := make([]float32, 30)
	for i := 0; i < n; i++ {
		found := false
		for dy := -k; dy <= k && !found; dy++ {
			for dx := -k; dx <= k && !found; dx++ {
				v.shift(cand, one, dy, dx)
				if equal(cand, dst[i*30:(i+1)*30]) {
					found = true
					seen[[2]int{dy, dx}] = true
				}
			}
		}
		require.True(t, found, "view %d is not an integer translation", i)
	}
	assert.Len(t, seen, (2*k+1)*(2*k+1))
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImageViewWarp(t *testing.T) {
	v := &ImageView{Channels: 1, Height: 5, Width: 5}
	in := ramp(1, 5, 5)
	out := make([]float32, 25)

	v.warpWith(out, in, 0, 1, 0, 0)
	assert.InDeltaSlice(t, in, out, 1e-5, "identity warp")

	// A quarter turn of a square image maps pixel (y, x) to a transposed
	// and mirrored position with no interpolation.
	v.warpWith(out, in, math.Pi/2, 1, 0, 0)
	for y := 0; y < 5; y++ {
		for x := 0; x < 5; x++ {
			sy, sx := 4-x, y
			assert.InDelta(t, in[sy*5+sx], out[y*5+x], 1e-4, "pixel (%d, %d)", y, x)
		}
	}

	// A half-pixel translation averages neighboring columns.
	v.warpWith(out, in, 0, 1, 0, 0.5)
	assert.InDelta(t, 0.5*(in[5+1]+in[5+2]), out[5+2], 1e-5)
	assert.InDelta(t, 0.5*in[5], out[5], 1e-5) // left neighbor is padding

	// A zoom by 2 about the center keeps the center pixel.
	v.warpWith(out, in, 0, 2, 0, 0)
	assert.InDelta(t, in[12], out[12], 1e-5)
	// Pixel (2, 3) maps back to (2, 2.5), halfway between two pixels.
	assert.InDelta(t, 0.5*(in[12]+in[13]), out[13], 1e-5)
}

func TestImageViewNoiseAndSeed(t *testing.T) {
	const n = 50
	v := &ImageView{Channels: 1, Height: 28, Width: 28, MaxShift: 2, MaxRotate: 10, MaxScale: 0.1, PixelNoise: 0.1}
	src := make([]float32, n*784)
	a := make([]float32, len(src))
	b := make([]float32, len(src))
	require.NoError(t, v.Apply(a, src, n, rand.New(rand.NewPCG(7, 7))))
	require.NoError(t, v.Apply(b, src, n, rand.New(rand.NewPCG(7, 7))))
	assert.Equal(t, a, b)
	// The input is all zeros, so the output is the pixel noise alone.
	mean, variance := moments(a)
	assert.InDelta(t, 0, mean, 0.002)
	assert.InDelta(t, 0.01, variance, 0.0005)

	rng := rand.New(rand.NewPCG(1, 1))
	allocs := testing.AllocsPerRun(5, func() {
		_ = v.Apply(a, src, n, rng)
	})
	assert.Zero(t, allocs)
	v.MaxRotate, v.MaxScale = 0, 0 // the integer-shift path
	allocs = testing.AllocsPerRun(5, func() {
		_ = v.Apply(a, src, n, rng)
	})
	assert.Zero(t, allocs)
}

func TestImageViewInvalid(t *testing.T) {
	buf := make([]float32, 4)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		v    ImageView
		want string
	}{
		{ImageView{Channels: 1, Height: 0, Width: 2}, "image shape"},
		{ImageView{Channels: 1, Height: 2, Width: 2, MaxShift: -1}, "maximum shift"},
		{ImageView{Channels: 1, Height: 2, Width: 2, MaxRotate: 200}, "maximum rotation"},
		{ImageView{Channels: 1, Height: 2, Width: 2, MaxScale: 1}, "zoom"},
		{ImageView{Channels: 1, Height: 2, Width: 2, PixelNoise: math.NaN()}, "pixel noise"},
		{ImageView{Channels: 1, Height: 3, Width: 2}, "needs 1 x 6"},
	} {
		err := c.v.Apply(buf, buf, 1, rng)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
}

func TestVectorView(t *testing.T) {
	const n = 100000
	src := make([]float32, n)
	for i := range src {
		src[i] = 1
	}
	dst := make([]float32, n)
	v := &VectorView{MaskProb: 0.3}
	require.NoError(t, v.Apply(dst, src, 1, rand.New(rand.NewPCG(2, 2))))
	zeros := 0
	for _, x := range dst {
		if x == 0 {
			zeros++
		} else {
			require.Equal(t, float32(1), x)
		}
	}
	// Binomial standard deviation sqrt(n*0.3*0.7) = 145.
	assert.InDelta(t, 0.3*n, zeros, 700)

	v = &VectorView{Noise: 0.5}
	require.NoError(t, v.Apply(dst, src, 1, rand.New(rand.NewPCG(2, 2))))
	mean, variance := moments(dst)
	assert.InDelta(t, 1, mean, 0.007)
	assert.InDelta(t, 0.25, variance, 0.005)

	assert.Error(t, (&VectorView{MaskProb: 1}).Apply(dst, src, 1, nil))
	assert.Error(t, (&VectorView{Noise: -1}).Apply(dst, src, 1, nil))
}

// TestParallelViewThreads checks that views drawn in pieces depend on the
// seed alone. One and three goroutines must give the same batch, each piece
// must be a valid view of its rows, and a second batch from the same
// generator must differ from the first.
func TestParallelViewThreads(t *testing.T) {
	const n = 3*viewChunk + 5 // a short last piece
	defer nn.SetThreads(0)
	v := &ImageView{Channels: 1, Height: 6, Width: 6, MaxShift: 1, PixelNoise: 0.1}
	src := make([]float32, 0, n*36)
	for range n {
		src = append(src, ramp(1, 6, 6)...)
	}
	draw := func(threads int) ([]float32, []float32) {
		nn.SetThreads(threads)
		p := newParallelView(v, 36)
		rng := rand.New(rand.NewPCG(5, 6))
		a, b := make([]float32, len(src)), make([]float32, len(src))
		require.NoError(t, p.Apply(a, src, n, rng))
		require.NoError(t, p.Apply(b, src, n, rng))
		return a, b
	}

	a1, b1 := draw(1)
	a3, b3 := draw(3)
	assert.Equal(t, a1, a3)
	assert.Equal(t, b1, b3)
	assert.NotEqual(t, a1, b1)

	// Every row is the ramp shifted by at most one pixel, with zeros
	// shifted in, plus noise of standard deviation 0.1: each pixel is
	// within 11 + 0.6 of the ramp's value or within 0.6 of zero.
	ref := ramp(1, 6, 6)
	for i, x := range a1 {
		near := math.Abs(float64(x-ref[i%36])) <= 11.6 || math.Abs(float64(x)) <= 0.6
		assert.True(t, near, "pixel %d is %v, the ramp has %v", i, x, ref[i%36])
	}

	err := newParallelView(v, 36).Apply(a1[:10], src, n, rand.New(rand.NewPCG(1, 1)))
	assert.ErrorContains(t, err, "views need")
}

// TestTableNoiseIsNormal draws 200,003 values (a length that is not a
// multiple of four) and checks their moments and their Kolmogorov-Smirnov
// distance to N(0, 0.5^2).
func TestTableNoiseIsNormal(t *testing.T) {
	const n = 200003
	x := make([]float32, n)
	addTableNoise(x, 0.5, rand.New(rand.NewPCG(9, 9)))
	mean, variance := moments(x)
	assert.InDelta(t, 0, mean, 0.005)
	assert.InDelta(t, 0.25, variance, 0.0025)
	z := make([]float64, n)
	for i, v := range x {
		z[i] = float64(v) / 0.5
	}
	ks, err := stats.KolmogorovSmirnov(z, stats.StdNormal, stats.TwoSided)
	require.NoError(t, err)
	// The 1 % critical value of the KS distance at this n is about 0.0036.
	assert.Less(t, ks.Statistic, 0.0036)
	assert.Greater(t, ks.PValue, 0.001)
	// The table's own variance is 1.
	tab := normalTable()
	ss := 0.0
	for _, v := range tab {
		ss += float64(v) * float64(v)
	}
	assert.InDelta(t, 1, ss/float64(len(tab)), 1e-6)
}
