package tensor

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// gemmGuard marks elements of C outside the m x n matrix, which Gemm must
// leave alone.
const gemmGuard = float32(-31337.5)

// gemmCase is one Gemm call. Its operands are stored with leading
// dimensions wider than the rows by pad, and start at element offset of
// their buffers. Everything outside the matrices is NaN in A and B, so a
// read outside them poisons the result, and gemmGuard in C.
type gemmCase struct {
	opA, opB    Op
	m, n, k     int
	alpha, beta float32
	pad, offset int
	nanC        bool // fill C with NaN before the call (only with beta 0)
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("%v,%v/%dx%dx%d/alpha=%g,beta=%g,pad=%d,offset=%d,nanC=%v",
		tc.opA, tc.opB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.offset, tc.nanC)
}

// gemmOperands holds the buffers of a gemmCase.
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
	c0            []float32 // C before the call
}

// storedShape returns the rows and columns of an operand as stored.
func storedShape(op Op, rows, cols int) (int, int) {
	if op == Trans {
		return cols, rows
	}
	return rows, cols
}

func newMatrix(rng *rand.Rand, rows, cols, pad, offset int, fill float32) ([]float32, int) {
	ld := max(1, cols+pad)
	buf := make([]float32, offset+rows*ld+pad)
	for i := range buf {
		buf[i] = fill
	}
	for i := range rows {
		for j := range cols {
			buf[offset+i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return buf[offset:], ld
}

func (tc gemmCase) operands(rng *rand.Rand) gemmOperands {
	nan := float32(math.NaN())
	var o gemmOperands
	ra, ca := storedShape(tc.opA, tc.m, tc.k)
	rb, cb := storedShape(tc.opB, tc.k, tc.n)
	o.a, o.lda = newMatrix(rng, ra, ca, tc.pad, tc.offset, nan)
	o.b, o.ldb = newMatrix(rng, rb, cb, tc.pad, tc.offset, nan)
	o.c, o.ldc = newMatrix(rng, tc.m, tc.n, tc.pad, tc.offset, gemmGuard)
	if tc.nanC {
		for i := range tc.m {
			for j := range tc.n {
				o.c[i*o.ldc+j] = nan
			}
		}
	}
	o.c0 = slices.Clone(o.c)
	return o
}

// elementA returns op(A)[i][p].
func (o gemmOperands) elementA(op Op, i, p int) float64 {
	if op == Trans {
		return float64(o.a[p*o.lda+i])
	}
	return float64(o.a[i*o.lda+p])
}

// elementB returns op(B)[p][j].
func (o gemmOperands) elementB(op Op, p, j int) float64 {
	if op == Trans {
		return float64(o.b[j*o.ldb+p])
	}
	return float64(o.b[p*o.ldb+j])
}

// check compares C after the call with a float64 triple loop. The bound
// is (k+3) float32 rounding errors of the sum of the magnitudes of the
// terms, which covers sequential accumulation, the scaling by alpha and
// the addition of beta*C. NaN never passes.
func (tc gemmCase) check(t *testing.T, o gemmOperands) {
	t.Helper()
	const eps = 1.0 / (1 << 23)
	for i := range tc.m {
		for j := range tc.n {
			var sum, mag float64
			for p := range tc.k {
				x := o.elementA(tc.opA, i, p) * o.elementB(tc.opB, p, j)
				sum += x
				mag += math.Abs(x)
			}
			want := float64(tc.alpha) * sum
			mag *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				old := float64(o.c0[i*o.ldc+j])
				want += float64(tc.beta) * old
				mag += math.Abs(float64(tc.beta) * old)
			}
			got := o.c[i*o.ldc+j]
			tol := float64(tc.k+3)*eps*mag + 1e-30
			if !(math.Abs(float64(got)-want) <= tol) {
				t.Fatalf("%v: c[%d][%d] = %g, want %g (tolerance %.3g)", tc, i, j, got, want, tol)
			}
		}
	}
	for idx, v := range o.c {
		i, j := idx/o.ldc, idx%o.ldc
		if (i >= tc.m || j >= tc.n) && v != gemmGuard {
			t.Fatalf("%v: element %d of the C buffer, outside the matrix, changed to %g", tc, idx, v)
		}
	}
}

func (tc gemmCase) run(t *testing.T, g Gemmer, rng *rand.Rand) {
	t.Helper()
	o := tc.operands(rng)
	g.Gemm(tc.opA, tc.opB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, o.c, o.ldc)
	tc.check(t, o)
}

var allOps = [][2]Op{{NoTrans, NoTrans}, {Trans, NoTrans}, {NoTrans, Trans}, {Trans, Trans}}

// shapes returns sizes around the tile of kern: 1x1x1, one less and one
// more than the tile, several tiles with ragged edges, k across the block
// size and n across the column block size.
func gemmShapes(kern simd.GemmKernel) [][3]int {
	mr, nr := kern.MR, kern.NR
	return [][3]int{
		{1, 1, 1},
		{mr, nr, 1},
		{mr - 1, nr + 1, 3},
		{mr + 1, nr - 1, 67},
		{2*mr + 3, 3*nr + 5, 9},
		{3*mr + 1, 2*nr + 7, maxKC + 1},
		{37, 29, 2*maxKC + 5},
		{3, maxNC + nr + 3, 5},
	}
}

func TestGemmShapesAndOps(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(1, 1))
		for _, threads := range []int{1, 2} {
			g := Gemmer{Kernels: k, Threads: threads}
			for _, ops := range allOps {
				for _, s := range gemmShapes(k.Gemm) {
					tc := gemmCase{opA: ops[0], opB: ops[1], m: s[0], n: s[1], k: s[2], alpha: 1.25, beta: 0.5, pad: 3, offset: 1}
					tc.run(t, g, rng)
				}
			}
		}
	})
}

func TestGemmAlphaBeta(t *testing.T) {
	nz := float32(math.Copysign(0, -1))
	cases := []struct {
		alpha, beta float32
		nanC        bool
	}{
		{1, 0, true},
		{-2, nz, true},
		{1, 1, false},
		{0.75, -1.5, false},
		{0, 0.5, false},
		{0, 0, true},
		{0, 1, false},
	}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(2, 2))
		mr, nr := k.Gemm.MR, k.Gemm.NR
		for _, threads := range []int{1, 2} {
			g := Gemmer{Kernels: k, Threads: threads}
			for _, c := range cases {
				for _, kk := range []int{0, 5, maxKC + 3} {
					for _, ops := range allOps {
						tc := gemmCase{opA: ops[0], opB: ops[1], m: 2*mr + 1, n: nr + 3, k: kk,
							alpha: c.alpha, beta: c.beta, nanC: c.nanC, pad: 2}
						tc.run(t, g, rng)
					}
				}
			}
		}
	})
}

// TestGemmLarge runs 300 x 300 x 300 on the best level only, to keep the
// suite fast under emulation, and a smaller product across two k blocks
// on every level.
func TestGemmLarge(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(3, 3))
		cases := []gemmCase{
			{opA: Trans, opB: Trans, m: 61, n: 53, k: maxKC + 90, alpha: -0.5, beta: 2, pad: 5, offset: 3},
		}
		if k.Level == simd.Best() {
			cases = append(cases, gemmCase{opA: NoTrans, opB: NoTrans, m: 300, n: 300, k: 300, alpha: 1, beta: 0, nanC: true})
		}
		for _, tc := range cases {
			tc.run(t, Gemmer{Kernels: k, Threads: 2}, rng)
		}
	})
}

// A large m with one goroutine per core and a wide n with few rows take
// the two ways of splitting the work.
func TestGemmThreadSplits(t *testing.T) {
	k, err := simd.Lookup(simd.Best())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	cases := []gemmCase{
		{opA: NoTrans, opB: NoTrans, m: 2*maxMC + 50, n: 70, k: 40, alpha: 1, beta: 0},
		{opA: NoTrans, opB: Trans, m: 5, n: 900, k: 300, alpha: 1, beta: 1},
		{opA: NoTrans, opB: NoTrans, m: 40, n: 900, k: maxKC + 20, alpha: 1, beta: 1, pad: 2},
	}
	for _, threads := range []int{2, 3, 7} {
		for _, tc := range cases {
			tc.run(t, Gemmer{Kernels: k, Threads: threads}, rng)
		}
	}
}

func TestGemmSameResultForAnyThreads(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(5, 5))
		tc := gemmCase{opA: Trans, opB: NoTrans, m: 130, n: 150, k: 270, alpha: 0.5, beta: 0.25}
		o := tc.operands(rng)
		var first []float32
		for _, threads := range []int{1, 2, 3} {
			c := slices.Clone(o.c0)
			Gemmer{Kernels: k, Threads: threads}.Gemm(tc.opA, tc.opB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, c, o.ldc)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("threads=%d: element %d is %g, with one thread %g", threads, i, c[i], first[i])
				}
			}
		}
	})
}

func TestGemmConcurrentCalls(t *testing.T) {
	k := simd.Active()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 6))
			tc := gemmCase{opA: NoTrans, opB: Trans, m: 90 + g, n: 70, k: 120, alpha: 1, beta: 0}
			o := tc.operands(rng)
			for range 5 {
				Gemmer{Kernels: k, Threads: 2}.Gemm(tc.opA, tc.opB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, o.c, o.ldc)
			}
			want := slices.Clone(o.c0)
			Gemmer{Kernels: k, Threads: 1}.Gemm(tc.opA, tc.opB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, want, o.ldc)
			if !slices.Equal(want, o.c) {
				errs[g] = fmt.Errorf("goroutine %d: result differs from a single-threaded call", g)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestGemmNoAllocations(t *testing.T) {
	const m, n, k = 100, 80, maxKC + 16 // two k blocks, enough work for two goroutines
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range b {
		b[i] = float32(i%5) - 2
	}
	for _, threads := range []int{1, 2} {
		g := Gemmer{Threads: threads}
		call := func() { g.Gemm(NoTrans, Trans, m, n, k, 1, a, k, b, k, 0, c, n) }
		call()
		if allocs := testing.AllocsPerRun(5, call); allocs != 0 {
			t.Errorf("threads=%d: %v allocations per call after warm-up, want 0", threads, allocs)
		}
	}
}

func TestGemmPanics(t *testing.T) {
	a := make([]float32, 12)
	b := make([]float32, 12)
	c := make([]float32, 9)
	cases := []struct {
		name string
		want string
		call func()
	}{
		{"negative m", errGemmNegative, func() { Gemm(NoTrans, NoTrans, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"invalid op", errGemmOp, func() { Gemm(Op(2), NoTrans, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"small lda", errGemmLda, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) }},
		{"small lda for Trans", errGemmLda, func() { Gemm(Trans, NoTrans, 3, 3, 4, 1, a, 2, b, 3, 0, c, 3) }},
		{"small ldb", errGemmLdb, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 1, a, 4, b, 2, 0, c, 3) }},
		{"small ldc", errGemmLdc, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 1, a, 4, b, 3, 0, c, 2) }},
		{"short a", errGemmShortA, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 1, a[:11], 4, b, 3, 0, c, 3) }},
		{"short b", errGemmShortB, func() { Gemm(NoTrans, Trans, 3, 3, 4, 1, a, 4, b[:11], 4, 0, c, 3) }},
		{"short c", errGemmShortC, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3) }},
		{"short c with alpha 0", errGemmShortC, func() { Gemm(NoTrans, NoTrans, 3, 3, 4, 0, a, 4, b, 3, 0, c[:8], 3) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tc.want {
					t.Errorf("panic value %v, want %q", got, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestGemmEmpty(t *testing.T) {
	c := []float32{gemmGuard}
	Gemm(NoTrans, NoTrans, 0, 1, 3, 1, nil, 3, make([]float32, 3), 1, 0, c, 1)
	Gemm(NoTrans, NoTrans, 1, 0, 3, 1, make([]float32, 3), 3, nil, 1, 0, c, 1)
	if c[0] != gemmGuard {
		t.Errorf("an empty product wrote %g to C", c[0])
	}
}

func TestMatMul(t *testing.T) {
	a, _ := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b, _ := FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	c := New(2, 2)
	if err := MatMul(NoTrans, NoTrans, 1, a, b, 0, c); err != nil {
		t.Fatal(err)
	}
	if want := []float32{4, 5, 10, 11}; !slices.Equal(c.Data, want) {
		t.Errorf("a*b = %v, want %v", c.Data, want)
	}

	ct := New(3, 3)
	if err := MatMul(Trans, NoTrans, 2, a, a, 0, ct); err != nil {
		t.Fatal(err)
	}
	if want := []float32{34, 44, 54, 44, 58, 72, 54, 72, 90}; !slices.Equal(ct.Data, want) {
		t.Errorf("2*aT*a = %v, want %v", ct.Data, want)
	}

	cb := New(2, 2)
	cb.Data[0] = 1
	if err := MatMul(NoTrans, Trans, 1, a, a, 3, cb); err != nil {
		t.Fatal(err)
	}
	if want := []float32{17, 32, 32, 77}; !slices.Equal(cb.Data, want) {
		t.Errorf("a*aT + 3*c = %v, want %v", cb.Data, want)
	}
}

func TestMatMulErrors(t *testing.T) {
	a := New(2, 3)
	b := New(3, 4)
	cases := []struct {
		name     string
		opA, opB Op
		a, b, c  *Tensor
		shape    bool // the error wraps ErrShape
	}{
		{"nil tensor", NoTrans, NoTrans, a, nil, New(2, 4), false},
		{"3-D tensor", NoTrans, NoTrans, New(2, 3, 1), b, New(2, 4), true},
		{"inner dimensions", Trans, NoTrans, a, b, New(3, 4), true},
		{"wrong c", NoTrans, NoTrans, a, b, New(4, 2), true},
		{"invalid op", Op(7), NoTrans, a, b, New(2, 4), false},
		{"c aliases a", NoTrans, Trans, a, New(2, 3), &Tensor{Shape: []int{2, 2}, Data: a.Data[:4]}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := MatMul(tc.opA, tc.opB, 1, tc.a, tc.b, 0, tc.c)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrShape); got != tc.shape {
				t.Errorf("errors.Is(err, ErrShape) = %v, want %v: %v", got, tc.shape, err)
			}
		})
	}
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	if got := Threads(); got != 3 {
		t.Errorf("Threads() = %d after SetThreads(3)", got)
	}
	SetThreads(-1)
	if got := Threads(); got < 1 {
		t.Errorf("Threads() = %d after SetThreads(-1), want GOMAXPROCS", got)
	}
}

func TestGemmRandomCases(t *testing.T) {
	scalars := []float32{0, 1, -1, 0.5, 2.25}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(9, 9))
		for range 60 {
			ops := allOps[rng.IntN(len(allOps))]
			beta := scalars[rng.IntN(len(scalars))]
			tc := gemmCase{
				opA: ops[0], opB: ops[1],
				m: 1 + rng.IntN(70), n: 1 + rng.IntN(140), k: rng.IntN(90),
				alpha: scalars[rng.IntN(len(scalars))], beta: beta,
				pad: rng.IntN(4), offset: rng.IntN(3), nanC: beta == 0 && rng.IntN(2) == 0,
			}
			tc.run(t, Gemmer{Kernels: k, Threads: 1 + rng.IntN(3)}, rng)
		}
	})
}

// TestGemmColsSameBits checks that reading B in place (m <= colsMaxM)
// gives the bits of packing it: the first colsMaxM rows of a product with
// one row more, which packs B, must equal the product of those rows alone.
// The rows of C are independent, so only the way B is read differs.
func TestGemmColsSameBits(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(11, 11))
		for _, opA := range []Op{NoTrans, Trans} {
			for _, threads := range []int{1, 2} {
				big := gemmCase{opA: opA, opB: NoTrans, m: colsMaxM + 1, n: 300, k: maxKC + 17, alpha: 0.75, beta: 0.5, pad: 3}
				o := big.operands(rng)
				g := Gemmer{Kernels: k, Threads: threads}
				want := slices.Clone(o.c0)
				g.Gemm(opA, NoTrans, big.m, big.n, big.k, big.alpha, o.a, o.lda, o.b, o.ldb, big.beta, want, o.ldc)
				got := slices.Clone(o.c0)
				g.Gemm(opA, NoTrans, colsMaxM, big.n, big.k, big.alpha, o.a, o.lda, o.b, o.ldb, big.beta, got, o.ldc)
				for i := range colsMaxM * o.ldc {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v, threads %d: element %d is %g with B in place, %g packed", opA, threads, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestGemmRowsSameBits requires products of fewer than NR columns, whose
// tiles are all cut by the right edge and read A in place through the tile
// buffer, to equal the same columns of a wider product that packs A, bit
// for bit, at every level and with one and two goroutines.
func TestGemmRowsSameBits(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(12, 12))
		for _, n := range []int{4, 20} {
			for _, threads := range []int{1, 2} {
				big := gemmCase{opA: NoTrans, opB: Trans, m: 5*k.Gemm.MR + 7, n: rowsMaxN + 1, k: maxKC + 17, alpha: 0.75, beta: 0.5, pad: 3}
				o := big.operands(rng)
				g := Gemmer{Kernels: k, Threads: threads}
				want := slices.Clone(o.c0)
				g.Gemm(NoTrans, Trans, big.m, big.n, big.k, big.alpha, o.a, o.lda, o.b, o.ldb, big.beta, want, o.ldc)
				got := slices.Clone(o.c0)
				g.Gemm(NoTrans, Trans, big.m, n, big.k, big.alpha, o.a, o.lda, o.b, o.ldb, big.beta, got, o.ldc)
				for i := range big.m {
					for j := range n {
						at := i*o.ldc + j
						if math.Float32bits(got[at]) != math.Float32bits(want[at]) {
							t.Fatalf("n %d, threads %d: C[%d][%d] is %g with A in place, %g packed", n, threads, i, j, got[at], want[at])
						}
					}
				}
			}
		}
	})
}

// TestGemmColsRandomSameBits is TestGemmColsSameBits on 300 random
// products per level: m of 1 to colsMaxM rows, n of 1 to 300 columns (so
// the B panel cut by the right edge is often the only one, or missing),
// k across a block boundary and 0, beta 0, -0, 1 and -0.5, and 1 to 3
// goroutines. B is read in place where A is transposed or n > rowsMaxN,
// since otherwise A is. Each must equal, bit for bit, the same rows of a product of
// colsMaxM+1 rows, which packs B, and leave the rest of C alone.
func TestGemmColsRandomSameBits(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(23, 24))
		for it := 0; it < 300; it++ {
			opA := []Op{NoTrans, Trans}[rng.IntN(2)]
			m := 1 + rng.IntN(colsMaxM)
			n := 1 + rng.IntN(300)
			kk := rng.IntN(2) + rng.IntN(3*maxKC/2)
			beta := []float32{0, 1, -0.5, float32(math.Copysign(0, -1))}[rng.IntN(4)]
			big := gemmCase{opA: opA, opB: NoTrans, m: colsMaxM + 1, n: n, k: kk, alpha: 0.75, beta: beta, pad: rng.IntN(4), offset: rng.IntN(3)}
			o := big.operands(rng)
			threads := 1 + rng.IntN(3)
			g := Gemmer{Kernels: k, Threads: threads}
			want := slices.Clone(o.c0)
			g.Gemm(opA, NoTrans, big.m, n, kk, big.alpha, o.a, o.lda, o.b, o.ldb, beta, want, o.ldc)
			got := slices.Clone(o.c0)
			g.Gemm(opA, NoTrans, m, n, kk, big.alpha, o.a, o.lda, o.b, o.ldb, beta, got, o.ldc)
			for i := range m * o.ldc {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("case %d, %v, %dx%dx%d, beta %v, threads %d: element %d is %g with B in place, %g packed", it, opA, m, n, kk, beta, threads, i, got[i], want[i])
				}
			}
			for i := m * o.ldc; i < len(got); i++ {
				if math.Float32bits(got[i]) != math.Float32bits(o.c0[i]) {
					t.Fatalf("case %d: element %d of C, past row %d, changed", it, i, m)
				}
			}
		}
	})
}

// TestGemmRowsRandomSameBits is TestGemmRowsSameBits on 300 random
// products per level: 1 to 100 rows, n of 1 to rowsMaxN columns, B
// transposed or not, k across a block boundary and 0, beta 0, -0, 1 and
// -0.5, and 1 to 3 goroutines. Each must equal, bit for bit, the same
// columns of a product of rowsMaxN+1 columns, which packs A, and leave
// the columns past n alone.
func TestGemmRowsRandomSameBits(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(25, 26))
		for it := 0; it < 300; it++ {
			opB := []Op{NoTrans, Trans}[rng.IntN(2)]
			m := 1 + rng.IntN(100)
			n := 1 + rng.IntN(rowsMaxN)
			kk := rng.IntN(2) + rng.IntN(3*maxKC/2)
			beta := []float32{0, 1, -0.5, float32(math.Copysign(0, -1))}[rng.IntN(4)]
			big := gemmCase{opA: NoTrans, opB: opB, m: m, n: rowsMaxN + 1, k: kk, alpha: 0.75, beta: beta, pad: rng.IntN(4), offset: rng.IntN(3)}
			o := big.operands(rng)
			threads := 1 + rng.IntN(3)
			g := Gemmer{Kernels: k, Threads: threads}
			want := slices.Clone(o.c0)
			g.Gemm(NoTrans, opB, m, rowsMaxN+1, kk, big.alpha, o.a, o.lda, o.b, o.ldb, beta, want, o.ldc)
			got := slices.Clone(o.c0)
			g.Gemm(NoTrans, opB, m, n, kk, big.alpha, o.a, o.lda, o.b, o.ldb, beta, got, o.ldc)
			for i := range m {
				for j := range o.ldc {
					at := i*o.ldc + j
					w := want[at]
					if j >= n {
						w = o.c0[at]
					}
					if math.Float32bits(got[at]) != math.Float32bits(w) {
						t.Fatalf("case %d, %v, %dx%dx%d, beta %v, threads %d: C[%d][%d] is %g, want %g", it, opB, m, n, kk, beta, threads, i, j, got[at], w)
					}
				}
			}
		}
	})
}
