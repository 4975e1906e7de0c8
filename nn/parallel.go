package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// maxThreads bounds SetThreads; more goroutines than this never pay off
// for the per-sample work the layers split.
const maxThreads = 256

// chunksPerThread is how many chunks a parallel loop makes per goroutine.
// Goroutines take chunks as they finish the previous one, so a goroutine
// whose OS thread is descheduled by a busy machine delays the loop by one
// small chunk instead of a whole share.
const chunksPerThread = 4

var (
	threadCount atomic.Int32 // 0 means runtime.GOMAXPROCS(0)

	poolMu      sync.Mutex
	poolWorkers int
	poolLoops   = make(chan *loop)
)

// SetThreads sets how many goroutines layers and optimizers use, for
// matrix products too; n <= 0 restores the default, GOMAXPROCS. It does not
// change the thread count of tensor.Gemm for other callers.
func SetThreads(n int) {
	if n < 0 {
		n = 0
	}
	threadCount.Store(int32(min(n, maxThreads)))
}

// Threads returns the number of goroutines set by SetThreads.
func Threads() int {
	if n := threadCount.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// loop is a parallel loop over [0, n) in chunks. Callers keep one in a
// long-lived field, together with body, so that running it does not
// allocate. A loop runs one call at a time.
type loop struct {
	wg       sync.WaitGroup
	next     atomic.Int64 // index of the next chunk to take
	body     func(lo, hi int)
	n, chunk int
}

// startWorkers makes sure at least n goroutines wait on poolLoops. Workers
// live for the rest of the program.
func startWorkers(n int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	for ; poolWorkers < n; poolWorkers++ {
		go func() {
			for l := range poolLoops {
				l.drain()
				l.wg.Done()
			}
		}()
	}
}

// run calls body on consecutive chunks that cover [0, n), starting at
// multiples of align, over up to Threads goroutines including the caller.
// There are at most n/grain chunks, rounded up, of equal length but the
// last, so a chunk can hold as few as about grain/2 items, and the last
// fewer. Which goroutine runs a chunk varies,
// but the chunks themselves depend only on n, grain, align and Threads.
// body must not start another parallel loop.
func (l *loop) run(n, grain, align int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks := (n + grain - 1) / max(grain, 1)
	parts := min(Threads(), chunks)
	if parts <= 1 {
		body(0, n)
		return
	}
	chunks = min(chunks, parts*chunksPerThread)
	chunk := (n + chunks - 1) / chunks
	l.start(n, (chunk+align-1)/align*align, parts, body)
}

// runChunks calls body on consecutive chunks of chunk items that cover
// [0, n), the last one shorter, over up to Threads goroutines including
// the caller. Unlike run, it makes as many chunks as n needs, so a chunk
// never holds more than chunk items. body must not start another
// parallel loop.
func (l *loop) runChunks(n, chunk int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	parts := min(Threads(), (n+chunk-1)/chunk)
	if parts <= 1 {
		for lo := 0; lo < n; lo += chunk {
			body(lo, min(lo+chunk, n))
		}
		return
	}
	l.start(n, chunk, parts, body)
}

// start runs body on chunks of the given length over parts goroutines,
// the caller included, and returns when all chunks are done.
func (l *loop) start(n, chunk, parts int, body func(lo, hi int)) {
	l.chunk = chunk
	l.n, l.body = n, body
	l.next.Store(0)
	startWorkers(parts - 1)
	for range parts - 1 {
		l.wg.Add(1)
		poolLoops <- l
	}
	l.drain()
	l.wg.Wait()
	l.body = nil
}

// drain runs chunks until none is left.
func (l *loop) drain() {
	for {
		lo := int(l.next.Add(1)-1) * l.chunk
		if lo >= l.n {
			return
		}
		l.body(lo, min(lo+l.chunk, l.n))
	}
}

// Loop is a parallel loop for code outside this package that splits work
// over the same goroutines and thread count as the layers. The zero value
// is ready to use; keep one in a long-lived field so that running it does
// not allocate. A Loop runs one call at a time.
type Loop struct{ l loop }

// Run calls body on consecutive chunks that cover [0, n), over up to
// Threads goroutines including the caller. Chunks hold about grain items
// or more, but as few as about grain/2 (see run). The chunk boundaries
// depend on Threads, so body must give the same result
// whichever chunks it gets. body must not start another parallel loop.
func (p *Loop) Run(n, grain int, body func(lo, hi int)) { p.l.run(n, grain, 1, body) }
