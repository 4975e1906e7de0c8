package simd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// guard fills the parts of the C buffer a kernel must not write.
const guard = float32(-7777.25)

// kernelCase runs one micro-kernel call on random panels and checks every
// tile value against a float64 reference and every guard value around and
// between the tile rows.
//
// When rows is not nil, kernelCase calls it instead of g.Func, with the A
// panel stored row-major with a leading dimension of k+3 and NaN in the
// padding, which poisons the result if the kernel reads it.
func kernelCase(t *testing.T, g simd.GemmKernel, rows simd.GemmRowsFunc, rng *rand.Rand, k int, alpha, beta float32, nanC bool) {
	t.Helper()
	mr, nr := g.MR, g.NR
	a := randomSlice(rng, k*mr)
	b := randomSlice(rng, k*nr)
	ldc := nr + 3
	const pad = 5
	buf := make([]float32, pad+(mr-1)*ldc+nr+pad)
	for i := range buf {
		buf[i] = guard
	}
	c := buf[pad : pad+(mr-1)*ldc+nr]
	old := make([]float32, mr*nr)
	for i := range mr {
		for j := range nr {
			v := float32(rng.NormFloat64())
			if nanC {
				v = float32(math.NaN())
			}
			c[i*ldc+j] = v
			old[i*nr+j] = v
		}
	}

	if rows == nil {
		g.Func(k, alpha, a, b, beta, c, ldc)
	} else {
		lda := k + 3
		aRows := make([]float32, (mr-1)*lda+k)
		for i := range aRows {
			aRows[i] = float32(math.NaN())
		}
		for i := range mr {
			for p := range k {
				aRows[i*lda+p] = a[p*mr+i]
			}
		}
		rows(k, alpha, aRows, lda, b, beta, c, ldc)
	}

	for i := range mr {
		for j := range nr {
			var ref, mag float64
			for p := range k {
				x := float64(a[p*mr+i]) * float64(b[p*nr+j])
				ref += x
				mag += math.Abs(x)
			}
			ref *= float64(alpha)
			mag *= math.Abs(float64(alpha))
			if beta != 0 {
				ref += float64(beta) * float64(old[i*nr+j])
				mag += math.Abs(float64(beta) * float64(old[i*nr+j]))
			}
			got := c[i*ldc+j]
			if !withinTolerance(got, ref, k+2, mag) {
				t.Fatalf("k=%d alpha=%g beta=%g: c[%d][%d] = %g, want %g", k, alpha, beta, i, j, got, ref)
			}
		}
	}
	for i, v := range buf {
		inTile := false
		if off := i - pad; off >= 0 && off < len(c) {
			inTile = off%ldc < nr
		}
		if !inTile && v != guard {
			t.Fatalf("k=%d: kernel wrote %g to guard element %d of the C buffer", k, v, i)
		}
	}
}

// withinTolerance reports whether got is within n rounding errors of
// float32 of ref, relative to mag, the sum of the magnitudes of the terms.
// It is false when got is NaN.
func withinTolerance(got float32, ref float64, n int, mag float64) bool {
	const eps = 1.0 / (1 << 23)
	tol := float64(n)*eps*mag + 1e-30
	return math.Abs(float64(got)-ref) <= tol
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func TestGemmKernel(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(1, 2))
		for steps := 0; steps <= 67; steps++ {
			kernelCase(t, k.Gemm, nil, rng, steps, 1, 0, false)
		}
	})
}

func TestGemmKernelAlphaBeta(t *testing.T) {
	cases := []struct {
		name        string
		alpha, beta float32
		nanC        bool
	}{
		{"beta zero with NaN C", 1.5, 0, true},
		{"negative zero beta with NaN C", -0.5, float32(math.Copysign(0, -1)), true},
		{"beta one", 1, 1, false},
		{"alpha and beta", -0.75, 2.5, false},
		{"alpha zero", 0, 0.5, false},
	}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tc := range cases {
			for _, steps := range []int{0, 1, 3, 4, 5, 17, 64} {
				t.Run(tc.name, func(t *testing.T) {
					kernelCase(t, k.Gemm, nil, rng, steps, tc.alpha, tc.beta, tc.nanC)
				})
			}
		}
	})
}

func TestGemmRowsKernel(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rows := simd.GemmRows(k)
		if rows == nil {
			t.Skipf("level %s has no kernel that reads A in place", k.Level)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		for steps := 0; steps <= 67; steps++ {
			kernelCase(t, k.Gemm, rows, rng, steps, 1, 0, false)
		}
		kernelCase(t, k.Gemm, rows, rng, 9, -1.5, 0, true)
		kernelCase(t, k.Gemm, rows, rng, 9, 0.5, 2, false)
		kernelCase(t, k.Gemm, rows, rng, 9, 1, 1, false)

		a := make([]float32, (k.Gemm.MR-1)*10+8)
		b := make([]float32, 8*k.Gemm.NR)
		c := make([]float32, k.Gemm.MR*k.Gemm.NR)
		mustPanic(t, "short A", func() { rows(8, 1, a[:len(a)-1], 10, b, 0, c, k.Gemm.NR) })
		mustPanic(t, "lda below k", func() { rows(8, 1, a, 7, b, 0, c, k.Gemm.NR) })
	})
}

func TestGemmKernelNaNInput(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		g := k.Gemm
		a := make([]float32, 3*g.MR)
		b := make([]float32, 3*g.NR)
		a[1*g.MR+g.MR-1] = float32(math.NaN())
		c := make([]float32, g.MR*g.NR)
		g.Func(3, 1, a, b, 0, c, g.NR)
		for j := range g.NR {
			if v := c[(g.MR-1)*g.NR+j]; !math.IsNaN(float64(v)) {
				t.Fatalf("c[%d][%d] = %g, want NaN from a NaN in A", g.MR-1, j, v)
			}
			if v := c[j]; v != 0 {
				t.Fatalf("c[0][%d] = %g, want 0", j, v)
			}
		}
	})
}

func TestGemmKernelShortSlicesPanic(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		g := k.Gemm
		a := make([]float32, 4*g.MR)
		b := make([]float32, 4*g.NR)
		c := make([]float32, g.MR*g.NR)
		mustPanic(t, "short A", func() { g.Func(4, 1, a[:len(a)-1], b, 0, c, g.NR) })
		mustPanic(t, "short B", func() { g.Func(4, 1, a, b[:len(b)-1], 0, c, g.NR) })
		mustPanic(t, "short C", func() { g.Func(4, 1, a, b, 0, c[:len(c)-1], g.NR) })
	})
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestWithinToleranceRejects(t *testing.T) {
	cases := []struct {
		name string
		got  float32
	}{
		{"NaN", float32(math.NaN())},
		{"one percent error", 1.01},
		{"sign flip", -1},
		{"infinity", float32(math.Inf(1))},
	}
	for _, tc := range cases {
		if withinTolerance(tc.got, 1, 10, 1) {
			t.Errorf("%s: %g accepted as 1", tc.name, tc.got)
		}
	}
	if !withinTolerance(1+1.0/(1<<23), 1, 10, 1) {
		t.Errorf("one ulp off rejected")
	}
}

func TestPackGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for width := 1; width <= 33; width++ {
		for _, n := range []int{1, 2, 5, 17} {
			ld := width + n%3
			src := randomSlice(rng, (n-1)*ld+width)
			dst := make([]float32, n*width+2)
			dst[n*width], dst[n*width+1] = guard, guard
			simd.PackGroups(dst, src, ld, width, n)
			for p := range n {
				for c := range width {
					if got, want := dst[p*width+c], src[p*ld+c]; got != want {
						t.Fatalf("width=%d n=%d: dst[%d] = %g, want %g", width, n, p*width+c, got, want)
					}
				}
			}
			if dst[n*width] != guard || dst[n*width+1] != guard {
				t.Fatalf("width=%d n=%d: wrote past the end of the groups", width, n)
			}
		}
	}
}

func TestPackTransposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for width := 1; width <= 13; width++ {
		for lines := 0; lines <= width; lines++ {
			for _, n := range []int{1, 3, 4, 8, 9, 70} {
				ld := n + lines%2
				src := randomSlice(rng, max(0, (lines-1)*ld+n))
				dst := make([]float32, n*width+1)
				for i := range dst {
					dst[i] = float32(math.NaN())
				}
				dst[n*width] = guard
				simd.PackTransposed(dst, src, ld, lines, width, n)
				for p := range n {
					for r := range width {
						want := float32(0)
						if r < lines {
							want = src[r*ld+p]
						}
						if got := dst[p*width+r]; got != want {
							t.Fatalf("width=%d lines=%d n=%d: dst[%d] = %g, want %g", width, lines, n, p*width+r, got, want)
						}
					}
				}
				if dst[n*width] != guard {
					t.Fatalf("width=%d lines=%d n=%d: wrote past the end of the groups", width, lines, n)
				}
			}
		}
	}
}

func TestPackShortSlicesPanic(t *testing.T) {
	src := make([]float32, 40)
	dst := make([]float32, 40)
	mustPanic(t, "PackGroups short src", func() { simd.PackGroups(dst, src[:39], 10, 10, 4) })
	mustPanic(t, "PackGroups short dst", func() { simd.PackGroups(dst[:39], src, 10, 10, 4) })
	mustPanic(t, "PackTransposed short src", func() { simd.PackTransposed(dst, src[:39], 10, 4, 4, 10) })
	mustPanic(t, "PackTransposed lines above width", func() { simd.PackTransposed(dst, src, 10, 4, 3, 10) })
}

// TestGemmColsKernel checks the kernel that reads B in place against the
// packed kernel of its level bit for bit, on B rows with a leading
// dimension larger than NR and NaN in the padding, which poisons the
// result if the kernel reads it, and with guards around the C tile.
func TestGemmColsKernel(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		cols := simd.GemmCols(k)
		if cols == nil {
			t.Skipf("level %s has no kernel that reads B in place", k.Level)
		}
		g := k.Gemm
		mr, nr := g.MR, g.NR
		rng := rand.New(rand.NewPCG(7, 8))
		type scalars struct {
			alpha, beta float32
			nanC        bool
		}
		cases := []scalars{{1, 0, true}, {-1.5, 0, false}, {0.5, 2, false}, {1, 1, false}, {1, float32(math.Copysign(0, -1)), true}}
		for steps := 0; steps <= 67; steps++ {
			for _, sc := range cases {
				a := randomSlice(rng, steps*mr)
				b := randomSlice(rng, steps*nr)
				ldb := nr + 5
				bRows := make([]float32, max(0, (steps-1)*ldb+nr))
				for i := range bRows {
					bRows[i] = float32(math.NaN())
				}
				for p := range steps {
					copy(bRows[p*ldb:p*ldb+nr], b[p*nr:(p+1)*nr])
				}
				ldc := nr + 3
				const pad = 5
				fill := func() []float32 {
					buf := make([]float32, pad+(mr-1)*ldc+nr+pad)
					for i := range buf {
						buf[i] = guard
					}
					for i := range mr {
						for j := range nr {
							v := float32(float64(i*nr+j)*0.25 - 3)
							if sc.nanC {
								v = float32(math.NaN())
							}
							buf[pad+i*ldc+j] = v
						}
					}
					return buf
				}
				want, got := fill(), fill()
				g.Func(steps, sc.alpha, a, b, sc.beta, want[pad:pad+(mr-1)*ldc+nr], ldc)
				cols(steps, sc.alpha, a, bRows, ldb, sc.beta, got[pad:pad+(mr-1)*ldc+nr], ldc)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("k=%d alpha=%g beta=%g: element %d of the C buffer is %g, the packed kernel gives %g", steps, sc.alpha, sc.beta, i, got[i], want[i])
					}
				}
			}
		}
		a := make([]float32, 8*mr)
		b := make([]float32, 7*(nr+2)+nr)
		c := make([]float32, mr*nr)
		cols(8, 1, a, b, nr+2, 0, c, nr) // long enough
		mustPanic(t, "short B", func() { cols(8, 1, a, b[:len(b)-1], nr+2, 0, c, nr) })
		mustPanic(t, "ldb below NR", func() { cols(8, 1, a, b, nr-1, 0, c, nr) })
		mustPanic(t, "short A", func() { cols(8, 1, a[:len(a)-1], b, nr+2, 0, c, nr) })
		mustPanic(t, "short C", func() { cols(8, 1, a, b, nr+2, 0, c[:len(c)-1], nr) })
	})
}
