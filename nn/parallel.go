package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// maxThreads bounds SetThreads; more goroutines than this never pay off
// for the per-sample work the layers split.
const maxThreads = 256

var (
	threadCount atomic.Int32 // 0 means runtime.GOMAXPROCS(0)

	poolMu      sync.Mutex
	poolWorkers int
	poolTasks   = make(chan task)
)

// SetThreads sets how many goroutines layers and optimizers use for their
// own elementwise and per-sample work; n <= 0 restores the default,
// GOMAXPROCS. It does not change the thread count of tensor.Gemm.
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

// task is one chunk [lo, hi) of a parallel loop.
type task struct {
	body   func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

// startWorkers makes sure at least n goroutines wait on poolTasks. Workers
// live for the rest of the program.
func startWorkers(n int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	for ; poolWorkers < n; poolWorkers++ {
		go func() {
			for t := range poolTasks {
				t.body(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

// parallelFor calls body on consecutive chunks that cover [0, n), each of
// at least grain items, spread over up to Threads goroutines including the
// caller. Callers keep body and wg in long-lived fields, so a call does not
// allocate. body must not call parallelFor.
func parallelFor(n, grain int, wg *sync.WaitGroup, body func(lo, hi int)) {
	parallelForAligned(n, grain, 1, wg, body)
}

// parallelForAligned is parallelFor with chunks that start at multiples of
// align.
func parallelForAligned(n, grain, align int, wg *sync.WaitGroup, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	parts := min(Threads(), (n+grain-1)/max(grain, 1))
	if parts <= 1 {
		body(0, n)
		return
	}
	startWorkers(parts - 1)
	chunk := (n + parts - 1) / parts
	chunk = (chunk + align - 1) / align * align
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		poolTasks <- task{body: body, lo: lo, hi: min(lo+chunk, n), wg: wg}
	}
	body(0, min(chunk, n))
	wg.Wait()
}
