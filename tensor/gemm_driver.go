package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nidim/nidim/simd"
)

// Block sizes of the Gemm driver. maxKC bounds the k steps per packed
// panel, and so sets how often C is read and written: once per k block.
// maxMC bounds the rows of A that one worker packs, which should stay in
// L2, and maxNC bounds the columns of B packed at once, which should stay
// in L3. The values come from timing one core of an Intel Xeon with
// AVX-512 (48 KiB L1d, 2 MiB L2 per core), where kc from 192 to 512 and
// mc from 192 to 768 were within a few percent.
const (
	maxKC = 384
	maxMC = 384
	maxNC = 4096
)

// rowsMaxN is the largest n for which Gemm reads a row-major A in place
// instead of packing it, when the level has a kernel for that. Packing A
// costs about as much as multiplying it with a few dozen columns of B.
// Rows read in place are spread over memory, though. With a leading
// dimension near a multiple of 4 KiB they fall into few cache sets and
// evict each other from L2. The value is an estimate from timing n = 64,
// 512, 1024 and 2048 on that Xeon.
const rowsMaxN = 128

// RowsInPlaceMaxN is the largest n for which [Gemm] reads A in place
// instead of packing it, when A is not transposed and the level has a
// kernel for that ([simd.GemmRows]). Callers that split a product into
// column blocks of at most this width skip packing A.
const RowsInPlaceMaxN = rowsMaxN

// colsMaxM is the largest m for which Gemm reads a row-major B in place
// instead of packing it, when A is packed and the level has a kernel for
// that. With few rows of A, each packed panel of B serves only a few
// tiles, so packing B costs a large share of the product: about 5% of the
// CNN training step, whose convolutions multiply 32 or 64 rows of weights
// with the unfolded input. Rows of B read in place cost no more than
// packed ones there, since the B block fits in L2.
const colsMaxM = 64

// With more than one worker, the rows and the packing of B are cut into
// up to chunksPerWorker chunks per worker, each of at least minChunkTiles
// MR-row tiles.
const (
	chunksPerWorker = 4
	minChunkTiles   = 8
)

// spinBudget is how long a worker spins waiting for other workers before
// it starts to sleep.
const spinBudget = 2 * time.Millisecond

// parallelMinWork is the number of multiply-adds below which Gemm runs on
// the calling goroutine alone, because waking helpers would cost more than
// it saves (an estimate: a few microseconds against about 2^20 FMAs).
const parallelMinWork = 1 << 20

// gemmArgs holds the arguments of one Gemm call.
type gemmArgs struct {
	opA, opB    Op
	m, n, k     int
	alpha, beta float32
	a, b, c     []float32
	lda, ldb    int
	ldc         int
}

// gemmJob is one Gemm call cut into tickets that any worker may take. Each
// pair of an n block (size nc) and a k block (size kc) forms a phase. A
// phase has packChunks tickets that pack a share of the B block into the
// shared buffer. They are followed by mChunks*nChunks tickets that each
// pack the rows of A of one chunk and multiply them with a share of the B
// block.
//
// Workers take tickets in increasing order from next and count finished
// ones in done. A packing ticket waits until every ticket of the previous
// phase has finished, because it overwrites the B buffer they read. A
// compute ticket waits until the packing tickets of its phase have
// finished. Since tickets are taken in order and a ticket waits only for
// earlier ones, done reaching the number of earlier tickets means they
// all finished, and the worker holding the earliest unfinished ticket
// never waits, so the job always completes, whether or not the helpers
// ever start.
type gemmJob struct {
	gemmArgs
	kern simd.GemmKernel
	// rows is the kernel that reads A in place. It is set when A is
	// row-major (NoTrans), n is small and the level has one, and then only
	// the edge tiles of A are packed.
	rows simd.GemmRowsFunc
	// cols is the kernel that reads B in place. It is set when rows is not,
	// B is row-major (NoTrans), m is small and the level has one, and then
	// only the panel cut by the edge of B is packed.
	cols simd.GemmColsFunc
	ws   *workspace

	kc, nc     int // block sizes, cut evenly from k and n
	kBlocks    int
	mTiles     int // MR-row tiles of C
	packChunks int
	mChunks    int
	nChunks    int
	perPhase   int64 // tickets per phase
	total      int64

	_    [64]byte // keeps the counters off the cache line of the fields above
	next atomic.Int64
	_    [56]byte
	done atomic.Int64
	_    [56]byte

	wg sync.WaitGroup
}

// runGemm runs Gemm on valid arguments with m, n, k > 0 and alpha != 0.
func runGemm(kernels *simd.Kernels, threads int, args gemmArgs) {
	ws := getWorkspace()
	defer putWorkspace(ws)

	j := &ws.job
	kern := kernels.Gemm
	workers := j.plan(kern, threads, args)
	j.rows = nil
	if args.opA == NoTrans && args.n <= rowsMaxN {
		j.rows = simd.GemmRows(kernels)
	}
	j.cols = nil
	if j.rows == nil && args.opB == NoTrans && args.m <= colsMaxM {
		j.cols = simd.GemmCols(kernels)
	}
	j.ws = ws
	mr, nr := kern.MR, kern.NR
	chunkTiles := ceilDiv(j.mTiles, j.mChunks)
	ws.reserve(workers, ceilDiv(j.nc, nr)*j.kc*nr, chunkTiles*mr*j.kc, mr*nr)

	j.wg.Add(workers - 1)
	for i := 1; i < workers; i++ {
		ws.helpers[i-1] <- j
	}
	j.work(0)
	j.wg.Wait()

	// Drop the references to the caller's slices.
	j.gemmArgs = gemmArgs{}
	j.ws = nil
}

// plan sets the block sizes and ticket counts of j and returns the number
// of workers worth starting.
func (j *gemmJob) plan(kern simd.GemmKernel, threads int, args gemmArgs) int {
	mr, nr := kern.MR, kern.NR
	j.gemmArgs = args
	j.kern = kern

	j.kBlocks = ceilDiv(args.k, maxKC)
	j.kc = ceilDiv(args.k, j.kBlocks)
	nBlocks := ceilDiv(args.n, maxNC)
	j.nc = ceilDiv(ceilDiv(args.n, nBlocks), nr) * nr
	ncPanels := ceilDiv(j.nc, nr)

	workers := threads
	if args.m*args.n*args.k < parallelMinWork {
		workers = 1
	}

	j.mTiles = ceilDiv(args.m, mr)
	j.mChunks = ceilDiv(j.mTiles, max(1, maxMC/mr))
	j.nChunks = 1
	j.packChunks = 1
	if workers > 1 {
		// Cut the rows into a few chunks per worker, of at least
		// minChunkTiles tiles, so that a worker the OS deschedules for a
		// while leaves work the others can take. Split the columns as well
		// when there are too few rows for one chunk per worker.
		want := max(j.mChunks, min(chunksPerWorker*workers, j.mTiles/minChunkTiles))
		j.mChunks = min(ceilDiv(want, workers)*workers, j.mTiles)
		if j.mChunks < workers {
			j.nChunks = min(ceilDiv(workers, j.mChunks), ncPanels)
		}
		workers = min(workers, j.mChunks*j.nChunks)
		j.packChunks = min(chunksPerWorker*workers, ncPanels)
	}

	j.perPhase = int64(j.packChunks + j.mChunks*j.nChunks)
	j.total = int64(nBlocks*j.kBlocks) * j.perPhase
	j.next.Store(0)
	j.done.Store(0)
	return workers
}

// work takes tickets of j until none is left, as worker number slot.
func (j *gemmJob) work(slot int) {
	buf := &j.ws.workers[slot]
	nr := j.kern.NR
	for {
		t := j.next.Add(1) - 1
		if t >= j.total {
			return
		}
		phase, r := t/j.perPhase, int(t%j.perPhase)
		j0 := int(phase) / j.kBlocks * j.nc
		p0 := int(phase) % j.kBlocks * j.kc
		cols := min(j.nc, j.n-j0)
		kb := min(j.kc, j.k-p0)
		panels := ceilDiv(cols, nr)

		if r < j.packChunks {
			j.waitDone(phase * j.perPhase)
			first, last := split(panels, j.packChunks, r)
			if j.cols != nil {
				// Only a panel cut by the edge needs packing.
				first = max(first, cols/nr)
			}
			packB(j.ws.packB, j.opB, j.b, j.ldb, j0, cols, p0, kb, nr, first, last)
		} else {
			j.waitDone(phase*j.perPhase + int64(j.packChunks))
			q := r - j.packChunks
			t0, t1 := split(j.mTiles, j.mChunks, q/j.nChunks)
			q0, q1 := split(panels, j.nChunks, q%j.nChunks)
			beta := j.beta
			if p0 > 0 {
				beta = 1 // later k blocks add to what the first one wrote
			}
			j.multiply(buf, t0, t1, q0, q1, j0, p0, kb, beta)
		}
		j.done.Add(1)
	}
}

// waitDone returns once at least target tickets have finished. It spins
// for up to spinBudget, because a wait for the other workers to finish a
// phase is short. Only then does it sleep in short steps, so that a long
// wait (another worker descheduled by the OS) does not hold a core.
// Sleeping early would cost far more than the wait, because on Linux a
// time.Sleep of 20 µs often returns after more than a millisecond.
func (j *gemmJob) waitDone(target int64) {
	var start time.Time
	for spin := 0; j.done.Load() < target; spin++ {
		switch {
		case spin == 0:
			start = time.Now()
		case spin%64 == 0 && time.Since(start) > spinBudget:
			time.Sleep(50 * time.Microsecond)
			continue
		}
		runtime.Gosched()
	}
}

// multiply packs the rows of tiles [t0, t1) of op(A) for k steps
// [p0, p0+kb) and multiplies them with panels [q0, q1) of the packed B
// block that starts at column j0, updating C with beta.
func (j *gemmJob) multiply(buf *workerBuffers, t0, t1, q0, q1, j0, p0, kb int, beta float32) {
	mr, nr := j.kern.MR, j.kern.NR
	row0 := t0 * mr
	rows := min(t1*mr, j.m) - row0
	if rows <= 0 || q0 >= q1 {
		return
	}
	if j.rows != nil {
		j.multiplyRows(buf, t0, t1, q0, q1, j0, p0, kb, beta)
		return
	}
	packA(buf.packA, j.opA, j.a, j.lda, row0, rows, p0, kb, mr)

	for q := q0; q < q1; q++ {
		bp := j.ws.packB[q*kb*nr : (q+1)*kb*nr]
		col := j0 + q*nr
		width := min(nr, j.n-col)
		if j.cols != nil && width == nr {
			j.multiplyCols(buf, t0, t1, row0, col, p0, kb, beta)
			continue
		}
		for t := range t1 - t0 {
			ap := buf.packA[t*kb*mr : (t+1)*kb*mr]
			row := row0 + t*mr
			height := min(mr, j.m-row)
			if height == mr && width == nr {
				j.kern.Func(kb, j.alpha, ap, bp, beta, j.c[row*j.ldc+col:], j.ldc)
				continue
			}
			j.edgeTile(buf.tile, ap, bp, kb, beta, row, col, height, width)
		}
	}
}

// multiplyCols multiplies the packed rows of tiles [t0, t1) of op(A), the
// first at row0, with the full-width panel of B at column col read in
// place by the cols kernel, for k steps [p0, p0+kb).
func (j *gemmJob) multiplyCols(buf *workerBuffers, t0, t1, row0, col, p0, kb int, beta float32) {
	mr, nr := j.kern.MR, j.kern.NR
	b := j.b[p0*j.ldb+col:]
	for t := range t1 - t0 {
		ap := buf.packA[t*kb*mr : (t+1)*kb*mr]
		row := row0 + t*mr
		height := min(mr, j.m-row)
		if height == mr {
			j.cols(kb, j.alpha, ap, b, j.ldb, beta, j.c[row*j.ldc+col:], j.ldc)
			continue
		}
		// As edgeTile, through the MR x NR tile buffer.
		tile := buf.tile
		if beta != 0 {
			for i := range height {
				copy(tile[i*nr:i*nr+nr], j.c[(row+i)*j.ldc+col:])
			}
		}
		j.cols(kb, j.alpha, ap, b, j.ldb, beta, tile, nr)
		for i := range height {
			copy(j.c[(row+i)*j.ldc+col:(row+i)*j.ldc+col+nr], tile[i*nr:])
		}
	}
}

// multiplyRows is multiply with the kernel that reads A in place. Only
// tiles cut by the edge of C pack their rows of A, one tile at a time.
func (j *gemmJob) multiplyRows(buf *workerBuffers, t0, t1, q0, q1, j0, p0, kb int, beta float32) {
	mr, nr := j.kern.MR, j.kern.NR
	ap := buf.packA[:kb*mr]
	for q := q0; q < q1; q++ {
		bp := j.ws.packB[q*kb*nr : (q+1)*kb*nr]
		col := j0 + q*nr
		width := min(nr, j.n-col)
		for t := t0; t < t1; t++ {
			row := t * mr
			height := min(mr, j.m-row)
			if height == mr && width == nr {
				j.rows(kb, j.alpha, j.a[row*j.lda+p0:], j.lda, bp, beta, j.c[row*j.ldc+col:], j.ldc)
				continue
			}
			if height == mr {
				// Only the width is cut, as in every tile of a product
				// narrower than NR: A is still read in place.
				j.rowsEdgeTile(buf.tile, bp, p0, kb, beta, row, col, width)
				continue
			}
			packA(ap, NoTrans, j.a, j.lda, row, height, p0, kb, mr)
			j.edgeTile(buf.tile, ap, bp, kb, beta, row, col, height, width)
		}
	}
}

// rowsEdgeTile is edgeTile for a tile of full height cut by the right edge
// of C, with the rows kernel reading the MR rows of A at row in place.
func (j *gemmJob) rowsEdgeTile(tile, bp []float32, p0, kb int, beta float32, row, col, width int) {
	mr, nr := j.kern.MR, j.kern.NR
	if beta != 0 {
		for i := range mr {
			copy(tile[i*nr:i*nr+width], j.c[(row+i)*j.ldc+col:])
		}
	}
	j.rows(kb, j.alpha, j.a[row*j.lda+p0:], j.lda, bp, beta, tile, nr)
	for i := range mr {
		copy(j.c[(row+i)*j.ldc+col:(row+i)*j.ldc+col+width], tile[i*nr:])
	}
}

// edgeTile updates the height x width corner of the tile of C at (row,
// col) through tile, a full MR x NR buffer, so that the kernel neither
// reads nor writes outside C. The arithmetic matches that of a full tile.
func (j *gemmJob) edgeTile(tile, ap, bp []float32, kb int, beta float32, row, col, height, width int) {
	nr := j.kern.NR
	if beta != 0 {
		for i := range height {
			copy(tile[i*nr:i*nr+width], j.c[(row+i)*j.ldc+col:])
		}
	}
	j.kern.Func(kb, j.alpha, ap, bp, beta, tile, nr)
	for i := range height {
		copy(j.c[(row+i)*j.ldc+col:(row+i)*j.ldc+col+width], tile[i*nr:])
	}
}

// split returns part i of n items cut into parts nearly equal ranges.
func split(n, parts, i int) (int, int) {
	return i * n / parts, (i + 1) * n / parts
}

func ceilDiv(a, b int) int {
	return (a + b - 1) / b
}
