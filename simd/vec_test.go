package simd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// unitRoundoff is u = 2^-24, the largest relative error of one float32
// operation rounded to nearest.
const unitRoundoff = 0x1p-24

// testLengths returns 0 to 67, which covers every vector step of 4, 8 and
// 16 elements with every tail length and one step of AVX2's 32 and
// AVX-512's 64 elements. 95 and 4151 add runs that go through all three
// loops of every level: 95 = 64+16+15 = 2·32+3·8+7 = 5·16+3·4+3, and
// 4151 = 64·64+3·16+7 = 129·32+2·8+7 = 259·16+4+3.
func testLengths() []int {
	lengths := make([]int, 0, 70)
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	return append(lengths, 95, 4151)
}

const maxOffset = 3 // start offsets 0..maxOffset shift slices off alignment

// guardElems elements with the bits of guardBits surround every slice that
// a test hands to a kernel. The guard is a NaN, so a reduction that reads
// one turns its result into NaN.
const (
	guardElems = 8
	guardBits  = 0x7fc0dead
)

// guarded is a slice of n elements that starts off elements into a buffer
// and has guard elements on both sides.
type guarded struct {
	buf    []float32
	off, n int
}

func newGuarded(n, off int) guarded {
	buf := make([]float32, guardElems+off+n+guardElems)
	for i := range buf {
		buf[i] = math.Float32frombits(guardBits)
	}
	return guarded{buf: buf, off: off, n: n}
}

// s returns the slice, with its capacity cut at its length.
func (g guarded) s() []float32 {
	lo := guardElems + g.off
	return g.buf[lo : lo+g.n : lo+g.n]
}

// checkGuards fails t when a kernel wrote an element outside the slice.
func (g guarded) checkGuards(t *testing.T, name string) {
	t.Helper()
	lo := guardElems + g.off
	for i, v := range g.buf {
		if i >= lo && i < lo+g.n {
			continue
		}
		if math.Float32bits(v) != guardBits {
			t.Errorf("%s: element %d outside the slice (start %d, length %d) was overwritten with %v", name, i, lo, g.n, v)
			return
		}
	}
}

// specials are the values mixed into elementwise inputs to test NaN, ±Inf,
// signed zero and subnormal handling on the vector and the tail paths.
var specials = []float32{
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
	0, float32(math.Copysign(0, -1)),
	0x1p-149, -0x1p-140, 0x1p-126, -3e30,
}

// fillRandom fills s with values uniform in [-2, 2). With withSpecials,
// about one element in five is taken from specials instead.
func fillRandom(rng *rand.Rand, s []float32, withSpecials bool) {
	for i := range s {
		if withSpecials && rng.IntN(5) == 0 {
			s[i] = specials[rng.IntN(len(specials))]
			continue
		}
		s[i] = float32(rng.Float64()*4 - 2)
	}
}

// randomInput returns a guarded slice of n random elements at offset off.
func randomInput(rng *rand.Rand, n, off int, withSpecials bool) guarded {
	g := newGuarded(n, off)
	fillRandom(rng, g.s(), withSpecials)
	return g
}

// closeEnough reports whether got is within bound of want. A NaN want needs
// a NaN got, an infinite want the same infinity, and a NaN got never passes
// otherwise.
func closeEnough(got float32, want, bound float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0):
		return g == want
	case math.IsNaN(g) || math.IsInf(g, 0):
		return false
	}
	return math.Abs(g-want) <= bound
}

// sameFloat reports whether got and want are both NaN or have the same bits,
// so that +0 and -0 differ.
func sameFloat(got, want float32) bool {
	if got != got || want != want {
		return got != got && want != want
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// sumBound bounds the error of a float32 sum of n terms, each of which may
// itself carry one rounding (a product), in any association order: every
// partial sum is rounded at most n-1 times along its path in the addition
// tree, so the error is at most (n+1)u·Σ|terms| to first order. One more u
// covers the second-order terms.
func sumBound(n int, absSum float64) float64 {
	return float64(n+2) * unitRoundoff * absSum
}

func TestCloseEnoughRejectsWrongResults(t *testing.T) {
	const want = 10.0
	bound := sumBound(4, 40)
	assert.True(t, closeEnough(10, want, bound), "exact result")
	assert.False(t, closeEnough(float32(math.NaN()), want, bound), "NaN result")
	assert.False(t, closeEnough(10.1, want, bound), "1% error")
	assert.False(t, closeEnough(-10, want, bound), "sign flip")
	assert.False(t, closeEnough(float32(math.Inf(1)), want, bound), "infinite result")
	assert.False(t, closeEnough(10, math.NaN(), bound), "number where NaN is expected")
	assert.False(t, closeEnough(float32(math.Inf(-1)), math.Inf(1), bound), "wrong infinity")
	assert.True(t, closeEnough(float32(math.NaN()), math.NaN(), 0), "NaN where NaN is expected")
	assert.False(t, sameFloat(0, float32(math.Copysign(0, -1))), "+0 against -0")
}

func TestDot(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range testLengths() {
			for off := 0; off <= maxOffset; off++ {
				x := randomInput(rng, n, off, false)
				// y is longer than x: Dot must ignore the extra elements,
				// which are guard NaNs.
				yg := randomInput(rng, n, (off+1)%(maxOffset+1), false)
				y := yg.buf[guardElems+yg.off : guardElems+yg.off+n+2]

				var want, absSum float64
				for i, v := range x.s() {
					p := float64(v) * float64(y[i])
					want += p
					absSum += math.Abs(p)
				}
				got := k.Dot(x.s(), y)
				if !closeEnough(got, want, sumBound(n, absSum)) {
					t.Fatalf("n=%d off=%d: Dot = %v, want %v within %g", n, off, got, want, sumBound(n, absSum))
				}
				x.checkGuards(t, "x")
				yg.checkGuards(t, "y")
			}
		}
	})
}

func TestSum(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range testLengths() {
			for off := 0; off <= maxOffset; off++ {
				x := randomInput(rng, n, off, false)
				var want, absSum float64
				for _, v := range x.s() {
					want += float64(v)
					absSum += math.Abs(float64(v))
				}
				got := k.Sum(x.s())
				if !closeEnough(got, want, sumBound(n, absSum)) {
					t.Fatalf("n=%d off=%d: Sum = %v, want %v within %g", n, off, got, want, sumBound(n, absSum))
				}
				x.checkGuards(t, "x")
			}
		}
	})
}

// maxReference returns the maximum of x in float64: -Inf when x is empty
// and NaN when any element is NaN.
func maxReference(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v != v {
			return math.NaN()
		}
		m = math.Max(m, float64(v))
	}
	return m
}

func TestMax(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range testLengths() {
			for off := 0; off <= maxOffset; off++ {
				x := randomInput(rng, n, off, false)
				// Shift all values below zero in half of the cases, so that a
				// kernel padding its tail with zeros returns a wrong 0.
				if off%2 == 1 {
					for i := range x.s() {
						x.s()[i] -= 3
					}
				}
				want := maxReference(x.s())
				got := k.Max(x.s())
				if !closeEnough(got, want, 0) {
					t.Fatalf("n=%d off=%d: Max = %v, want %v", n, off, got, want)
				}
				x.checkGuards(t, "x")
			}
		}
	})
}

// specialLengths hit each loop of every level: below one vector, exactly
// one, a step plus a tail, and longer.
var specialLengths = []int{1, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67, 130}

// specialPositions returns the indexes where a special value is placed in
// a slice of n elements: the first, the middle and the last.
func specialPositions(n int) []int {
	return []int{0, n / 2, n - 1}
}

func TestReductionsPropagateNaN(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(7, 8))
		nan := float32(math.NaN())
		for _, n := range specialLengths {
			for _, p := range specialPositions(n) {
				x := make([]float32, n)
				y := make([]float32, n)
				fillRandom(rng, x, false)
				fillRandom(rng, y, false)
				x[p] = nan
				assert.True(t, math.IsNaN(float64(k.Dot(x, y))), "Dot, n=%d, NaN at %d", n, p)
				assert.True(t, math.IsNaN(float64(k.Sum(x))), "Sum, n=%d, NaN at %d", n, p)
				assert.True(t, math.IsNaN(float64(k.Max(x))), "Max, n=%d, NaN at %d", n, p)

				// A NaN must survive a larger value after or before it.
				q := n - 1
				if p == n-1 {
					q = 0
				}
				x[q] = 100
				x[p] = nan
				assert.True(t, math.IsNaN(float64(k.Max(x))), "Max, n=%d, NaN at %d and 100 at %d", n, p, q)
			}
		}
	})
}

func TestReductionsPropagateInf(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(9, 10))
		inf := float32(math.Inf(1))
		for _, n := range specialLengths {
			for _, p := range specialPositions(n) {
				x := make([]float32, n)
				y := make([]float32, n)
				fillRandom(rng, x, false)
				fillRandom(rng, y, false)
				x[p] = inf
				y[p] = -0.5
				assert.Equal(t, -inf, k.Dot(x, y), "Dot, n=%d, +Inf·-0.5 at %d", n, p)
				assert.Equal(t, inf, k.Sum(x), "Sum, n=%d, +Inf at %d", n, p)
				assert.Equal(t, inf, k.Max(x), "Max, n=%d, +Inf at %d", n, p)

				if n > 1 {
					q := (p + 1) % n
					x[q] = -inf
					assert.True(t, math.IsNaN(float64(k.Sum(x))), "Sum, n=%d, +Inf at %d and -Inf at %d", n, p, q)
				}

				for i := range x {
					x[i] = -inf
				}
				assert.Equal(t, -inf, k.Max(x), "Max, n=%d, all -Inf", n)
			}
		}
		assert.Equal(t, float32(math.Inf(-1)), k.Max(nil), "Max of an empty slice")
		assert.Equal(t, float32(0), k.Sum(nil), "Sum of an empty slice")
		assert.Equal(t, float32(0), k.Dot(nil, nil), "Dot of empty slices")
	})
}

// checkBinary checks an elementwise kernel dst[i] = op(x[i], y[i]) against
// want, which must give the float32 result of each element exactly.
func checkBinary(t *testing.T, name string, kernel func(dst, x, y []float32), want func(x, y float32) float32) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range testLengths() {
		for off := 0; off <= maxOffset; off++ {
			x := randomInput(rng, n, off, true)
			y := randomInput(rng, n+1, (off+2)%(maxOffset+1), true)
			dst := randomInput(rng, n, (off+1)%(maxOffset+1), false)
			xs := append([]float32(nil), x.s()...)
			ys := append([]float32(nil), y.s()...)

			// y is one element longer than dst, and only len(dst) count.
			kernel(dst.s(), x.s(), y.s())
			for i, got := range dst.s() {
				if w := want(xs[i], ys[i]); !sameFloat(got, w) {
					t.Fatalf("%s: n=%d off=%d: element %d of op(%v, %v) = %v, want %v", name, n, off, i, xs[i], ys[i], got, w)
				}
			}
			dst.checkGuards(t, name+" dst")
			x.checkGuards(t, name+" x")
			y.checkGuards(t, name+" y")
			assert.Equal(t, bitsOf(xs), bitsOf(x.s()), "%s changed its input x", name)
			assert.Equal(t, bitsOf(ys), bitsOf(y.s()), "%s changed its input y", name)
		}
	}
}

func bitsOf(s []float32) []uint32 {
	b := make([]uint32, len(s))
	for i, v := range s {
		b[i] = math.Float32bits(v)
	}
	return b
}

// The float64 sum, difference or product of two float32 values, rounded to
// float32, is the correctly rounded float32 result: a product is exact in
// float64, and a sum rounded first to 53 and then to 24 bits rounds the
// same as once, because 53 >= 2·24 + 2.

func TestAdd(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		checkBinary(t, "Add", k.Add, func(x, y float32) float32 { return float32(float64(x) + float64(y)) })
	})
}

func TestSub(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		checkBinary(t, "Sub", k.Sub, func(x, y float32) float32 { return float32(float64(x) - float64(y)) })
	})
}

func TestMul(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		checkBinary(t, "Mul", k.Mul, func(x, y float32) float32 { return float32(float64(x) * float64(y)) })
	})
}

// reluBackwardReference returns dy where x > 0 and +0 elsewhere, NaN x
// included.
func reluBackwardReference(dy, x float32) float32 {
	if x > 0 {
		return dy
	}
	return 0
}

func TestReLUBackward(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		// ReLUBackward(dx, dy, x) has the shape of a binary kernel with dy
		// as its first input.
		checkBinary(t, "ReLUBackward", k.ReLUBackward, reluBackwardReference)
	})
}

func TestReLU(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		relu := func(dst, x, _ []float32) { k.ReLU(dst, x) }
		checkBinary(t, "ReLU", relu, func(x, _ float32) float32 { return reluBackwardReference(x, x) })
	})
}

func TestScale(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, alpha := range []float32{0.75, -1.5, 0, float32(math.Inf(1))} {
			for _, n := range testLengths() {
				for off := 0; off <= maxOffset; off++ {
					x := randomInput(rng, n, off, true)
					xs := append([]float32(nil), x.s()...)
					k.Scale(alpha, x.s())
					for i, got := range x.s() {
						if w := float32(float64(alpha) * float64(xs[i])); !sameFloat(got, w) {
							t.Fatalf("alpha=%v n=%d off=%d: element %d of %v·%v = %v, want %v", alpha, n, off, i, alpha, xs[i], got, w)
						}
					}
					x.checkGuards(t, "x")
				}
			}
		}
	})
}

func TestAxpy(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, alpha := range []float32{0.75, -1.5, 0} {
			for _, n := range testLengths() {
				for off := 0; off <= maxOffset; off++ {
					x := randomInput(rng, n, off, true)
					y := randomInput(rng, n, (off+3)%(maxOffset+1), true)
					ys := append([]float32(nil), y.s()...)
					k.Axpy(alpha, x.s(), y.s())
					for i, got := range y.s() {
						xi := float64(x.s()[i])
						want := float64(ys[i]) + float64(alpha)*xi
						// One rounding of alpha·x, which a fused kernel skips,
						// and one of the sum; 0x1p-149 covers a subnormal
						// result's absolute rounding error.
						bound := 2*unitRoundoff*(math.Abs(float64(ys[i]))+math.Abs(float64(alpha)*xi)) + 0x1p-149
						if !closeEnough(got, want, bound) {
							t.Fatalf("alpha=%v n=%d off=%d: element %d of %v + %v·%v = %v, want %v", alpha, n, off, i, ys[i], alpha, xi, got, want)
						}
					}
					x.checkGuards(t, "x")
					y.checkGuards(t, "y")
				}
			}
		}
	})
}

func TestElementwiseInPlace(t *testing.T) {
	generic, err := simd.Lookup(simd.Generic)
	require.NoError(t, err)
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(17, 18))
		const n = 37
		x := make([]float32, n)
		y := make([]float32, n)
		fillRandom(rng, x, true)
		fillRandom(rng, y, true)

		ops := []struct {
			name        string
			got, wanted func(dst, x, y []float32)
		}{
			{"Add", k.Add, generic.Add},
			{"Sub", k.Sub, generic.Sub},
			{"Mul", k.Mul, generic.Mul},
			{"ReLUBackward", k.ReLUBackward, generic.ReLUBackward},
		}
		for _, op := range ops {
			want := make([]float32, n)
			op.wanted(want, x, y)
			got := append([]float32(nil), x...)
			op.got(got, got, y)
			for i := range got {
				assert.True(t, sameFloat(got[i], want[i]), "%s with dst = x: element %d = %v, want %v", op.name, i, got[i], want[i])
			}
		}

		want := make([]float32, n)
		generic.ReLU(want, x)
		got := append([]float32(nil), x...)
		k.ReLU(got, got)
		assert.Equal(t, bitsOf(want), bitsOf(got), "ReLU with dst = x")
	})
}

func TestShortOperandsPanic(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		long := make([]float32, 9)
		short := make([]float32, 8)
		assert.Panics(t, func() { k.Dot(long, short) }, "Dot with len(y) < len(x)")
		assert.Panics(t, func() { k.Axpy(1, long, short) }, "Axpy with len(y) < len(x)")
		assert.Panics(t, func() { k.Add(long, short, long) }, "Add with short x")
		assert.Panics(t, func() { k.Sub(long, long, short) }, "Sub with short y")
		assert.Panics(t, func() { k.Mul(long, short, long) }, "Mul with short x")
		assert.Panics(t, func() { k.ReLU(long, short) }, "ReLU with short x")
		assert.Panics(t, func() { k.ReLUBackward(long, short, long) }, "ReLUBackward with short dy")
		assert.Panics(t, func() { k.ReLUBackward(long, long, short) }, "ReLUBackward with short x")
	})
}

func TestVectorKernelsDoNotAllocate(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		dst, x, y := make([]float32, 100), make([]float32, 100), make([]float32, 100)
		allocs := testing.AllocsPerRun(10, func() {
			k.Dot(x, y)
			k.Sum(x)
			k.Max(x)
			k.Axpy(1, x, y)
			k.Scale(1, x)
			k.Add(dst, x, y)
			k.Sub(dst, x, y)
			k.Mul(dst, x, y)
			k.ReLU(dst, x)
			k.ReLUBackward(dst, x, y)
		})
		assert.Zero(t, allocs, "allocations per run of all vector kernels")
	})
}
