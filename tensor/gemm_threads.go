package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// gemmThreads is the value set by SetThreads; 0 means GOMAXPROCS.
var gemmThreads atomic.Int64

// SetThreads sets how many goroutines Gemm uses. n <= 0 restores the
// default, which is runtime.GOMAXPROCS(0) at the time of each call.
func SetThreads(n int) {
	gemmThreads.Store(int64(max(n, 0)))
}

// Threads returns the number of goroutines Gemm uses.
func Threads() int {
	if n := gemmThreads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// workspace holds the packing buffers and helper goroutines of one Gemm
// call at a time. Workspaces are kept in a free list and reused, so that
// Gemm allocates only when a call needs more buffer space or helpers than
// any earlier one; concurrent calls take different workspaces.
type workspace struct {
	packB   []float32
	workers []workerBuffers
	// helpers[i] feeds jobs to the goroutine that runs as worker i+1.
	helpers []chan *gemmJob
	job     gemmJob
}

// workerBuffers is the private space of one worker.
type workerBuffers struct {
	packA []float32
	tile  []float32 // MR x NR tile for the edges of C
}

var freeWorkspaces struct {
	sync.Mutex
	list []*workspace
}

func getWorkspace() *workspace {
	freeWorkspaces.Lock()
	defer freeWorkspaces.Unlock()
	if n := len(freeWorkspaces.list); n > 0 {
		ws := freeWorkspaces.list[n-1]
		freeWorkspaces.list[n-1] = nil
		freeWorkspaces.list = freeWorkspaces.list[:n-1]
		return ws
	}
	return new(workspace)
}

func putWorkspace(ws *workspace) {
	freeWorkspaces.Lock()
	freeWorkspaces.list = append(freeWorkspaces.list, ws)
	freeWorkspaces.Unlock()
}

// reserve grows the buffers of ws to the sizes job j needs and starts the
// helper goroutines it lacks.
func (ws *workspace) reserve(workers, packBLen, packALen, tileLen int) {
	ws.packB = grow(ws.packB, packBLen)
	for len(ws.workers) < workers {
		ws.workers = append(ws.workers, workerBuffers{})
	}
	for i := range workers {
		w := &ws.workers[i]
		w.packA = grow(w.packA, packALen)
		w.tile = grow(w.tile, tileLen)
	}
	for len(ws.helpers) < workers-1 {
		ch := make(chan *gemmJob)
		ws.helpers = append(ws.helpers, ch)
		go runHelper(len(ws.helpers), ch)
	}
}

// runHelper runs as worker number slot of every job sent on ch. It lives as
// long as the program, parked on ch between calls.
func runHelper(slot int, ch chan *gemmJob) {
	for j := range ch {
		j.work(slot)
		j.wg.Done()
	}
}

// grow returns s resliced to n values, reallocated when its capacity is
// smaller. The values are not preserved.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
