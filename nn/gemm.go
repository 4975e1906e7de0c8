package nn

import (
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

// splitGemm computes C = op(A)*op(B) + beta*C like tensor.Gemm, with C cut
// into one chunk per goroutine, each a single-goroutine tensor.Gemm. Every
// element of C goes through the same arithmetic as in one single-goroutine
// call, so results do not depend on the split. Unlike the goroutines of
// tensor.Gemm, which meet at a barrier for every block, these run
// independently, which keeps a busy machine from stalling the step.
//
// Each chunk packs all of the operand it does not split, so splitGemm cuts
// the columns of C when op(A) is the smaller operand and the rows
// otherwise. When A is not transposed and the level has a kernel that
// reads A in place, it cuts the columns into blocks of at most
// tensor.RowsInPlaceMaxN instead, so that no chunk packs A. It then cuts
// the rows too when there are fewer column blocks than goroutines. On the
// AVX-512 machine of docs/benchmarks.md, that takes 3-8% off the CPU time
// of the MLP's forward and input-gradient products with 512 rows and
// columns (BenchmarkLinearProducts).
type splitGemm struct {
	loop     loop
	opA, opB tensor.Op
	m, n, k  int
	a, b, c  []float32
	lda, ldb int
	beta     float32
	cols     func(lo, hi int)
	rows     func(lo, hi int)
	blocks   func(lo, hi int)
	// rowChunk x colWidth is the block of C that blockRange computes, and
	// colBlocks the number of blocks across C.
	rowChunk, colWidth, colBlocks int
	// epilogue, when set, runs on each finished block of C, rows [r0, r1)
	// by columns [c0, c1), on the goroutine that computed it, while the
	// block is still in that core's cache.
	epilogue func(r0, r1, c0, c1 int)
}

func (g *splitGemm) gemm(opA, opB tensor.Op, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32) {
	g.gemmThen(opA, opB, m, n, k, a, lda, b, ldb, beta, c, nil)
}

// gemmThen is gemm followed by epilogue on every block of C, in parallel.
// epilogue may be nil.
func (g *splitGemm) gemmThen(opA, opB tensor.Op, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, epilogue func(r0, r1, c0, c1 int)) {
	// An empty C has nothing to compute, and a split of its columns
	// would slice past its end.
	if m == 0 || n == 0 {
		return
	}
	g.epilogue = epilogue
	g.opA, g.opB, g.m, g.n, g.k = opA, opB, m, n, k
	g.a, g.lda, g.b, g.ldb, g.beta, g.c = a, lda, b, ldb, beta, c
	if g.cols == nil {
		g.cols, g.rows = g.columns, g.rowRange
	}
	// Chunks are whole multiples of the micro-kernel tile, so that only
	// the last one has edge tiles.
	kernels := simd.Active()
	tile := kernels.Gemm
	parts := max(Threads(), 1)
	if opA == tensor.NoTrans && n > tensor.RowsInPlaceMaxN && simd.GemmRows(kernels) != nil {
		if g.blocks == nil {
			g.blocks = g.blockRange
		}
		g.rowChunk, g.colWidth = inPlaceBlocks(m, n, parts, tile.MR, tile.NR)
		g.colBlocks = (n + g.colWidth - 1) / g.colWidth
		rowBlocks := (m + g.rowChunk - 1) / g.rowChunk
		g.loop.runChunks(rowBlocks*g.colBlocks, 1, g.blocks)
	} else if n >= m {
		g.loop.run(n, (n+parts-1)/parts, tile.NR, g.cols)
	} else {
		g.loop.run(m, (m+parts-1)/parts, tile.MR, g.rows)
	}
	g.a, g.b, g.c = nil, nil, nil
	g.epilogue = nil
}

// columns computes columns [lo, hi) of C.
func (g *splitGemm) columns(lo, hi int) {
	var b []float32
	if g.opB == tensor.Trans {
		b = g.b[lo*g.ldb:]
	} else {
		b = g.b[lo:]
	}
	serialGemm.Gemm(g.opA, g.opB, g.m, hi-lo, g.k, 1, g.a, g.lda, b, g.ldb, g.beta, g.c[lo:], g.n)
	if g.epilogue != nil {
		g.epilogue(0, g.m, lo, hi)
	}
}

// inPlaceBlocks returns the block of C, rowChunk x colWidth, of a product
// whose A is read in place. The columns are cut into blocks of at most
// tensor.RowsInPlaceMaxN, rounded up to a multiple of nr. When there are
// fewer column blocks than parts goroutines, the rows are cut too, into
// blocks of whole mr-row tiles, so that each goroutine gets a block. A
// 512-column output has only 4 column blocks, for example.
func inPlaceBlocks(m, n, parts, mr, nr int) (rowChunk, colWidth int) {
	blocks := (n + tensor.RowsInPlaceMaxN - 1) / tensor.RowsInPlaceMaxN
	colWidth = ((n+blocks-1)/blocks + nr - 1) / nr * nr
	colBlocks := (n + colWidth - 1) / colWidth
	rowBlocks := max(1, min((parts+colBlocks-1)/colBlocks, (m+mr-1)/mr))
	// At least one tile, so that a product of no rows makes no blocks.
	rowChunk = max(mr, ((m+rowBlocks-1)/rowBlocks+mr-1)/mr*mr)
	return rowChunk, colWidth
}

// blockRange computes blocks [lo, hi) of C, numbered row by row in blocks
// of rowChunk x colWidth, for a product whose A is not transposed.
func (g *splitGemm) blockRange(lo, hi int) {
	for q := lo; q < hi; q++ {
		r0, c0 := q/g.colBlocks*g.rowChunk, q%g.colBlocks*g.colWidth
		r1, c1 := min(r0+g.rowChunk, g.m), min(c0+g.colWidth, g.n)
		b := g.b[c0:]
		if g.opB == tensor.Trans {
			b = g.b[c0*g.ldb:]
		}
		serialGemm.Gemm(tensor.NoTrans, g.opB, r1-r0, c1-c0, g.k, 1, g.a[r0*g.lda:], g.lda, b, g.ldb, g.beta, g.c[r0*g.n+c0:], g.n)
		if g.epilogue != nil {
			g.epilogue(r0, r1, c0, c1)
		}
	}
}

// rowRange computes rows [lo, hi) of C.
func (g *splitGemm) rowRange(lo, hi int) {
	var a []float32
	if g.opA == tensor.Trans {
		a = g.a[lo:]
	} else {
		a = g.a[lo*g.lda:]
	}
	serialGemm.Gemm(g.opA, g.opB, hi-lo, g.n, g.k, 1, a, g.lda, g.b, g.ldb, g.beta, g.c[lo*g.n:], g.n)
	if g.epilogue != nil {
		g.epilogue(lo, hi, 0, g.n)
	}
}
