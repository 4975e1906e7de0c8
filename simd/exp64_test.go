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

// ulpDiff returns the distance in units in the last place between two
// finite float64 values of the same sign.
func ulpDiff(a, b float64) uint64 {
	x, y := math.Float64bits(a), math.Float64bits(b)
	if x > y {
		return x - y
	}
	return y - x
}

// TestExpSumAccuracy compares the generic exponential with math.Exp over
// the whole range where both are normal.
func TestExpSumAccuracy(t *testing.T) {
	generic, err := simd.Lookup(simd.Generic)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	x := make([]float64, n)
	for i := range x {
		switch i % 4 {
		case 0:
			x[i] = -708 + rng.Float64()*1417
		case 1:
			x[i] = -40 * rng.Float64() // the objective's usual range
		case 2:
			x[i] = (rng.Float64() - 0.5) * 0.7 // |r| near ln(2)/2
		default:
			x[i] = -math.Ln2*float64(rng.IntN(1000)) + (rng.Float64()-0.5)*1e-9
		}
	}
	dst := make([]float64, n)
	generic.ExpSum(dst, x, 0)
	var worst uint64
	for i, v := range x {
		d := ulpDiff(dst[i], math.Exp(v))
		if d > worst {
			worst = d
		}
		if d > 2 {
			t.Fatalf("exp(%v) = %v, math.Exp gives %v: %d ulp apart", v, dst[i], math.Exp(v), d)
		}
	}
	t.Logf("largest distance to math.Exp: %d ulp", worst)
}

func TestExpSumSpecialValues(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		x := []float64{0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(-1), math.Inf(1),
			-708, -708.0001, -745, -800, 709, 709.0001, 709.5, 710, math.Ln2, -math.Ln2, 3}
		dst := make([]float64, len(x))
		k.ExpSum(dst, x, 0)
		assert.Equal(t, 1.0, dst[0], "exp(0) must be exactly 1")
		assert.Equal(t, 1.0, dst[1], "exp(-0) must be exactly 1")
		assert.True(t, math.IsNaN(dst[4]), "exp(NaN) = %v", dst[4])
		assert.Equal(t, 0.0, dst[5], "exp(-Inf)")
		assert.True(t, math.IsInf(dst[6], 1), "exp(+Inf) = %v", dst[6])
		assert.Greater(t, dst[7], 0.0, "exp(-708) is normal")
		for _, i := range []int{8, 9, 10} {
			assert.Equal(t, 0.0, dst[i], "exp(%v) flushes to 0", x[i])
		}
		assert.LessOrEqual(t, ulpDiff(dst[11], math.Exp(709)), uint64(2), "exp(709)")
		for _, i := range []int{12, 13, 14} {
			assert.True(t, math.IsInf(dst[i], 1), "exp(%v) = %v, want +Inf", x[i], dst[i])
		}
		for _, i := range []int{2, 3, 15, 16, 17} {
			assert.LessOrEqual(t, ulpDiff(dst[i], math.Exp(x[i])), uint64(2), "exp(%v)", x[i])
		}

		// The shift is subtracted first: e^(x - m) with m the maximum gives
		// exactly 1 at the maximum.
		row := []float64{-3, 2.5, 1, 2.5, -1e3, 0, 2, 2.25, 2.5}
		dst = make([]float64, len(row))
		k.ExpSum(dst, row, 2.5)
		assert.Equal(t, []float64{1, 1, 1}, []float64{dst[1], dst[3], dst[8]})
		assert.Equal(t, 0.0, dst[4])
	})
}

// TestExpSumSameOnEveryLevel checks values and sums bit for bit against the
// generic level, on every length up to 67 and some longer ones, from
// unaligned starts, with NaN guards around dst and x.
func TestExpSumSameOnEveryLevel(t *testing.T) {
	generic, err := simd.Lookup(simd.Generic)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range testLengths() {
			for off := 0; off <= maxOffset; off++ {
				xbuf := guarded64(n, off)
				dbuf := guarded64(n, off)
				x, dst := xbuf[guardElems+off:][:n:n], dbuf[guardElems+off:][:n:n]
				shift := rng.NormFloat64() * 3
				for i := range x {
					x[i] = shift - 30*rng.Float64()
					if rng.IntN(16) == 0 {
						x[i] = []float64{math.Inf(-1), -800, 720, shift}[rng.IntN(4)]
					}
				}
				want := make([]float64, n)
				wantSum := generic.ExpSum(want, x, shift)
				gotSum := k.ExpSum(dst, x, shift)
				require.Equal(t, math.Float64bits(wantSum), math.Float64bits(gotSum),
					"n=%d off=%d: sum %v, generic %v", n, off, gotSum, wantSum)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(dst[i]),
						"n=%d off=%d element %d (x=%v): %v, generic %v", n, off, i, x[i], dst[i], want[i])
				}
				checkGuards64(t, dbuf, off, n)
				checkGuards64(t, xbuf, off, n)
			}
		}
	})
}

func TestExpSumSumsInEightLanes(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		// Terms from 1 down to e^-18 over 19 elements: three rounds of the
		// lanes, and a sum whose low bits depend on the order of addition.
		x := make([]float64, 19)
		for i := range x {
			x[i] = -float64(i)
		}
		dst := make([]float64, len(x))
		got := k.ExpSum(dst, x, 0)
		var acc [8]float64
		for i, e := range dst {
			acc[i%8] += e
		}
		want := ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
		assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "sum %v, want %v", got, want)
		assert.InDelta(t, 1/(1-math.Exp(-1)), got, 1e-7)
	})
}

func TestExpSumShortSourcePanics(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		assert.Panics(t, func() { k.ExpSum(make([]float64, 9), make([]float64, 8), 0) })
	})
}

// guarded64 returns a buffer with guardElems NaN elements on each side of
// n elements that start off elements in.
func guarded64(n, off int) []float64 {
	buf := make([]float64, guardElems+off+n+guardElems)
	for i := range buf {
		buf[i] = math.Float64frombits(0x7ff8dead0000dead)
	}
	return buf
}

func checkGuards64(t *testing.T, buf []float64, off, n int) {
	t.Helper()
	for i, v := range buf {
		if i >= guardElems+off && i < guardElems+off+n {
			continue
		}
		if math.Float64bits(v) != 0x7ff8dead0000dead {
			t.Fatalf("element %d outside the slice (off %d, n %d) was overwritten with %v", i, off, n, v)
		}
	}
}

var expSink float64

// BenchmarkExpSum times ExpSum on a row of 4096 scores, the size of one
// row of the default recipe's objective, on every level, beside a loop over
// math.Exp.
func BenchmarkExpSum(b *testing.B) {
	const n = 4096
	rng := rand.New(rand.NewPCG(5, 6))
	x, dst := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = -40 * rng.Float64()
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mexp/s")
	}
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			s := 0.0
			for i, v := range x {
				dst[i] = math.Exp(v)
				s += dst[i]
			}
			expSink = s
		}
		report(b)
	})
	for _, l := range simd.Supported() {
		k, err := simd.Lookup(l)
		require.NoError(b, err)
		b.Run(l.String(), func(b *testing.B) {
			for b.Loop() {
				expSink = k.ExpSum(dst, x, 0)
			}
			report(b)
		})
	}
}
