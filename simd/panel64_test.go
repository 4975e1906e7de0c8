package simd_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// panelDotLengths are the row lengths n of the PanelDot64 tests: every
// remainder of the 2-, 4- and 8-lane loops and some longer rows.
var panelDotLengths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65}

// dotInOrder is the reference dot product: s += a[k]*b[k] from 0, with
// the product rounded first on amd64 whatever GOAMD64 is, as the amd64
// kernels do, and as the compiler emits it elsewhere (fused on arm64).
//
//go:noinline
func dotInOrder(a, b []float64) float64 {
	s := 0.0
	for k := range a {
		if runtime.GOARCH == "amd64" {
			s += float64(a[k] * b[k])
		} else {
			s += a[k] * b[k]
		}
	}
	return s
}

func TestPackPanel64Layout(t *testing.T) {
	const rows, n = 11, 3
	x := make([]float64, rows*n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	stale := make([]float64, 2*simd.PanelRows*n)
	for i := range stale {
		stale[i] = -1
	}
	panel := simd.PackPanel64(stale, x, rows, n)
	require.Len(t, panel, 2*simd.PanelRows*n)
	for j := range 2 * simd.PanelRows {
		for k := range n {
			got := panel[(j/8)*8*n+8*k+j%8]
			if j < rows {
				assert.Equal(t, x[j*n+k], got, "row %d value %d", j, k)
			} else {
				assert.Equal(t, 0.0, got, "padding row %d value %d", j, k)
			}
		}
	}
	assert.Panics(t, func() { simd.PackPanel64(nil, x[:rows*n-1], rows, n) }, "short x")
}

// TestPanelDot64SameOnEveryLevel compares every level with dotInOrder bit
// for bit, on values whose magnitudes span about 10^-7 to 10^7. It runs 0
// to 5 groups, because an odd count leaves one group for the AVX-512
// tail. The outputs start unaligned and have NaN guards on both sides.
func TestPanelDot64SameOnEveryLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	value := func() float64 { return rng.NormFloat64() * math.Exp(4*rng.NormFloat64()) }
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range panelDotLengths {
			for _, cols := range []int{0, 8, 16, 24, 40} {
				off := (n + cols/8) % (maxOffset + 1)
				x := make([]float64, cols*n)
				for i := range x {
					x[i] = value()
				}
				a := make([]float64, 2*n+off)
				for i := range a {
					a[i] = value()
				}
				a0, a1 := a[off:off+n], a[off+n:]
				panel := simd.PackPanel64(nil, x, cols, n)
				buf0, buf1 := guarded64(cols, off), guarded64(cols, off)
				g0 := buf0[guardElems+off:][:cols:cols]
				g1 := buf1[guardElems+off:][:cols:cols]
				k.PanelDot64(g0, g1, a0, a1, panel)
				for j := range cols {
					r := x[j*n : (j+1)*n]
					require.Equal(t, math.Float64bits(dotInOrder(a0, r)), math.Float64bits(g0[j]), "a0 n=%d cols=%d row %d", n, cols, j)
					require.Equal(t, math.Float64bits(dotInOrder(a1, r)), math.Float64bits(g1[j]), "a1 n=%d cols=%d row %d", n, cols, j)
				}
				checkGuards64(t, buf0, off, cols)
				checkGuards64(t, buf1, off, cols)
			}
		}
	})
}

// TestPanelDot64RoundsLikeGo checks values where a fused multiply-add
// gives another result: -1 + x*x with x = 1 + 2^-30 is 2^-29 rounded
// separately and 2^-29 + 2^-60 fused. Every level must agree with the
// reference loop, which fuses on arm64 only.
func TestPanelDot64RoundsLikeGo(t *testing.T) {
	x := 1 + 0x1p-30
	a := []float64{-1, x}
	want := dotInOrder(a, []float64{1, x})
	assert.Contains(t, []float64{0x1p-29, 0x1p-29 + 0x1p-60}, want, "dotInOrder")
	switch runtime.GOARCH {
	case "arm64":
		assert.Equal(t, 0x1p-29+0x1p-60, want, "dotInOrder fuses on arm64")
	case "amd64":
		assert.Equal(t, 0x1p-29, want, "dotInOrder rounds twice on amd64")
	}
	rows := make([]float64, 16*2)
	for j := range 16 {
		rows[2*j], rows[2*j+1] = 1, x
	}
	panel := simd.PackPanel64(nil, rows, 16, 2)
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		g0, g1 := make([]float64, 16), make([]float64, 16)
		k.PanelDot64(g0, g1, a, []float64{1, 0}, panel)
		for j := range 16 {
			assert.Equal(t, want, g0[j], "g0 row %d", j)
			assert.Equal(t, 1.0, g1[j], "g1 row %d", j)
		}
	})
}

// TestPanelDot64ZeroSign checks that sums start from +0: a row of -0
// products sums to +0, as s := 0.0; s += -1 * 0 does.
func TestPanelDot64ZeroSign(t *testing.T) {
	panel := simd.PackPanel64(nil, make([]float64, 8*3), 8, 3)
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		g0, g1 := make([]float64, 8), make([]float64, 8)
		for j := range g0 {
			g0[j], g1[j] = math.NaN(), math.NaN()
		}
		k.PanelDot64(g0, g1, []float64{-1, -2, -3}, []float64{1, 2, 3}, panel)
		for j := range g0 {
			assert.Equal(t, uint64(0), math.Float64bits(g0[j]), "g0 row %d", j)
			assert.Equal(t, uint64(0), math.Float64bits(g1[j]), "g1 row %d", j)
		}
	})
}

func TestPanelDot64BadOperandsPanic(t *testing.T) {
	panel := make([]float64, 16*4)
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		a := make([]float64, 4)
		assert.Panics(t, func() { k.PanelDot64(make([]float64, 12), make([]float64, 12), a, a, panel) }, "length not a multiple of 8")
		assert.Panics(t, func() { k.PanelDot64(make([]float64, 16), make([]float64, 8), a, a, panel) }, "short g1")
		assert.Panics(t, func() { k.PanelDot64(make([]float64, 16), make([]float64, 16), a, a[:3], panel) }, "short a1")
		assert.Panics(t, func() { k.PanelDot64(make([]float64, 16), make([]float64, 16), a, a, panel[:16*4-1]) }, "short panel")
	})
}

var panelSink float64

// BenchmarkPanelDot64 times two rows against a panel of 504 rows, the
// work of one row pair of the energy test on 500 rows, at the row lengths
// of embeddings with d = 4, 16 and 64.
func BenchmarkPanelDot64(b *testing.B) {
	const cols = 504
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range simd.Supported() {
		k, err := simd.Lookup(l)
		require.NoError(b, err)
		for _, n := range []int{4, 16, 64} {
			x := make([]float64, cols*n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			a := make([]float64, 2*n)
			for i := range a {
				a[i] = rng.NormFloat64()
			}
			panel := simd.PackPanel64(nil, x, cols, n)
			g0, g1 := make([]float64, cols), make([]float64, cols)
			b.Run(l.String()+"/d"+strconv.Itoa(n), func(b *testing.B) {
				for b.Loop() {
					k.PanelDot64(g0, g1, a[:n], a[n:], panel)
				}
				panelSink = g0[0] + g1[cols-1]
				flops := 2 * 2 * float64(cols) * float64(n)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
