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

// TestVec64SameOnEveryLevel runs Axpy64, SubFrom64, Scale64 and AddMul4
// on every length up to
// 67 and some longer ones, from unaligned starts, with NaN guards around
// the output, and compares each level with the generic code bit for bit.
func TestVec64SameOnEveryLevel(t *testing.T) {
	generic, err := simd.Lookup(simd.Generic)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(x []float64) {
		for i := range x {
			x[i] = rng.NormFloat64() * math.Exp(4*rng.NormFloat64())
		}
	}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range testLengths() {
			for off := 0; off <= maxOffset; off++ {
				x := make([]float64, n)
				fill(x)
				alpha := rng.NormFloat64()
				buf := guarded64(n, off)
				y := buf[guardElems+off:][:n:n]
				fill(y)
				want := append([]float64(nil), y...)
				generic.Axpy64(alpha, x, want)
				k.Axpy64(alpha, x, y)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(y[i]), "Axpy64 n=%d off=%d element %d", n, off, i)
				}
				checkGuards64(t, buf, off, n)

				c := rng.NormFloat64()
				buf = guarded64(n, off)
				dst := buf[guardElems+off:][:n:n]
				want = make([]float64, n)
				generic.SubFrom64(want, c, x)
				k.SubFrom64(dst, c, x)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(dst[i]), "SubFrom64 n=%d off=%d element %d", n, off, i)
					require.Equal(t, c-x[i], dst[i], "SubFrom64 n=%d element %d", n, i)
				}
				checkGuards64(t, buf, off, n)
				generic.Scale64(alpha, want)
				k.Scale64(alpha, dst)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(dst[i]), "Scale64 n=%d off=%d element %d", n, off, i)
				}
				checkGuards64(t, buf, off, n)

				stride := n + off + 3
				m := make([]float64, 3*stride+n)
				fill(m)
				x4 := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
				buf = guarded64(n, off)
				dst = buf[guardElems+off:][:n:n]
				fill(dst)
				want = append(want[:0], dst...)
				generic.AddMul4(want, x4, m, stride)
				k.AddMul4(dst, x4, m, stride)
				for i := range want {
					require.Equal(t, math.Float64bits(want[i]), math.Float64bits(dst[i]), "AddMul4 n=%d off=%d element %d", n, off, i)
				}
				checkGuards64(t, buf, off, n)
			}
		}
	})
}

// TestVec64RoundsEachStep checks values where a fused multiply-add would
// give another result: x*x - 1 with x = 1 + 2^-30 is 2^-29 rounded
// separately and 2^-29 + 2^-60 fused.
func TestVec64RoundsEachStep(t *testing.T) {
	x := 1 + 0x1p-30
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range []int{1, 8, 9, 16} {
			xs, y := make([]float64, n), make([]float64, n)
			for i := range xs {
				xs[i], y[i] = x, -1
			}
			k.Axpy64(x, xs, y)
			for i, v := range y {
				assert.Equal(t, 0x1p-29, v, "Axpy64 n=%d element %d", n, i)
			}

			// Rows 1 to 3 add 0, so dst = -1 + x*x.
			m := make([]float64, 4*n)
			for i := range n {
				m[i] = x
			}
			dst := make([]float64, n)
			for i := range dst {
				dst[i] = -1
			}
			k.AddMul4(dst, []float64{x, 0, 0, 0}, m, n)
			for i, v := range dst {
				assert.Equal(t, 0x1p-29, v, "AddMul4 n=%d element %d", n, i)
			}
		}
	})
}

func TestVec64ShortOperandsPanic(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		assert.Panics(t, func() { k.Axpy64(1, make([]float64, 9), make([]float64, 8)) }, "Axpy64 short y")
		assert.Panics(t, func() { k.SubFrom64(make([]float64, 9), 1, make([]float64, 8)) }, "SubFrom64 short h")
		assert.Panics(t, func() { k.AddMul4(make([]float64, 8), make([]float64, 3), make([]float64, 32), 8) }, "AddMul4 short x")
		assert.Panics(t, func() { k.AddMul4(make([]float64, 8), make([]float64, 4), make([]float64, 31), 8) }, "AddMul4 short m")
	})
}

var vec64Sink float64

// BenchmarkAddMul4 times AddMul4 on a row of 4096, the score row of the
// match recipe's objective at d = 4.
func BenchmarkAddMul4(b *testing.B) {
	const n = 4096
	m, dst := make([]float64, 4*n), make([]float64, n)
	x := []float64{0.5, -1, 2, 0.25}
	for _, l := range simd.Supported() {
		k, err := simd.Lookup(l)
		require.NoError(b, err)
		b.Run(l.String(), func(b *testing.B) {
			for b.Loop() {
				k.AddMul4(dst, x, m, n)
			}
			vec64Sink = dst[0]
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
