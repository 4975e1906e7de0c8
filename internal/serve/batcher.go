package serve

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

var (
	errQueueFull    = errors.New("the queue is full")
	errShuttingDown = errors.New("the server is shutting down")
)

// job is the rows of one request. The batcher may split a job across
// several model calls. Only the batcher writes out, remaining, err and
// finished, and closing done publishes them to the waiting handler.
type job struct {
	rows []float32 // n x input size
	n    int
	next int // first row not yet taken into a batch

	out       []float32 // n x Dim
	remaining int       // rows not yet embedded
	err       error
	finished  bool
	done      chan struct{}

	// canceled is set by the handler when it stops waiting, so that the
	// batcher skips the rows it has not taken yet.
	canceled atomic.Bool
}

func newJob(rows []float32, n, dim int) *job {
	return &job{rows: rows, n: n, out: make([]float32, n*dim), remaining: n, done: make(chan struct{})}
}

func (j *job) finish(err error) {
	if j.finished {
		return
	}
	j.finished = true
	j.err = err
	close(j.done)
}

// segment is rows [lo, hi) of a job inside a batch.
type segment struct {
	job    *job
	lo, hi int
}

// batcher owns the model's Embed. Handlers add jobs to a FIFO queue that
// holds at most maxQueue rows; one goroutine takes up to maxBatch rows at a
// time. After the first row it waits at most maxWait for the batch to
// fill. It waits only for as many requests as were in flight at once
// during the previous batch, so a lone client does not pay maxWait on
// every request.
type batcher struct {
	model    Model
	maxBatch int
	maxWait  time.Duration
	maxQueue int
	metrics  *metrics

	mu         sync.Mutex
	jobs       []*job
	queuedRows int // rows of jobs not yet taken into a batch
	highWater  int // maximum of queuedRows
	closed     bool
	// expect is the number of requests worth waiting for: the most that
	// were in flight at once since the previous batch was taken.
	expect int

	// inflight counts the requests between arrive and depart, and peak is
	// its maximum since the last batch was taken.
	inflight atomic.Int32
	peak     atomic.Int32

	notify  chan struct{} // capacity 1: a job was added or the batcher closed
	stopped chan struct{}

	input []float32 // maxBatch x input size, reused
}

func newBatcher(m Model, maxBatch int, maxWait time.Duration, maxQueue int, mt *metrics) *batcher {
	b := &batcher{
		model: m, maxBatch: maxBatch, maxWait: maxWait, maxQueue: maxQueue, metrics: mt,
		notify:  make(chan struct{}, 1),
		stopped: make(chan struct{}),
		input:   make([]float32, 0, maxBatch*m.InputSize()),
	}
	go b.run()
	return b
}

// arrive counts a request in flight until depart is called.
func (b *batcher) arrive() {
	n := b.inflight.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (b *batcher) depart() { b.inflight.Add(-1) }

// enqueue adds j, or returns errQueueFull when its rows do not fit beside
// the rows already waiting, and errShuttingDown after close.
func (b *batcher) enqueue(j *job) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errShuttingDown
	}
	if b.queuedRows+j.n > b.maxQueue {
		return errQueueFull
	}
	b.jobs = append(b.jobs, j)
	b.queuedRows += j.n
	b.highWater = max(b.highWater, b.queuedRows)
	b.metrics.setQueue(b.queuedRows, len(b.jobs))
	b.wake()
	return nil
}

func (b *batcher) wake() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// close stops accepting jobs, lets the batcher finish every queued job and
// waits for it to exit.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wake()
	<-b.stopped
}

// queue returns the rows waiting and their maximum so far.
func (b *batcher) queue() (rows, highWater int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queuedRows, b.highWater
}

func (b *batcher) run() {
	defer close(b.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if !b.waitForWork() {
			return
		}
		b.waitToFill(timer)
		batch := b.take()
		if len(batch) > 0 {
			b.compute(batch)
		}
	}
}

// waitForWork blocks until a row is queued, and returns false once the
// batcher is closed and the queue is empty.
func (b *batcher) waitForWork() bool {
	for {
		b.mu.Lock()
		rows, closed := b.queuedRows, b.closed
		b.mu.Unlock()
		if rows > 0 {
			return true
		}
		if closed {
			return false
		}
		<-b.notify
	}
}

// waitToFill waits until maxBatch rows or the expected number of requests
// are queued, maxWait has passed or the batcher is closed, whichever comes
// first.
func (b *batcher) waitToFill(timer *time.Timer) {
	if b.maxWait <= 0 {
		return
	}
	timer.Reset(b.maxWait)
	defer timer.Stop()
	for {
		b.mu.Lock()
		done := b.queuedRows >= b.maxBatch || len(b.jobs) >= b.expect || b.closed
		b.mu.Unlock()
		if done {
			return
		}
		select {
		case <-b.notify:
		case <-timer.C:
			return
		}
	}
}

// take removes up to maxBatch rows from the front of the queue, dropping
// the untaken rows of canceled jobs.
func (b *batcher) take() []segment {
	b.mu.Lock()
	defer b.mu.Unlock()
	var batch []segment
	total := 0
	for len(b.jobs) > 0 && total < b.maxBatch {
		j := b.jobs[0]
		if j.canceled.Load() {
			b.queuedRows -= j.n - j.next
			b.jobs[0] = nil
			b.jobs = b.jobs[1:]
			continue
		}
		k := min(j.n-j.next, b.maxBatch-total)
		batch = append(batch, segment{job: j, lo: j.next, hi: j.next + k})
		j.next += k
		total += k
		b.queuedRows -= k
		if j.next == j.n {
			b.jobs[0] = nil
			b.jobs = b.jobs[1:]
		}
	}
	b.metrics.setQueue(b.queuedRows, len(b.jobs))
	b.expect = int(b.peak.Swap(b.inflight.Load()))
	return batch
}

// compute embeds the rows of batch in one model call and hands each job
// its rows. A job whose rows failed is finished with the error, and its
// rows still queued are skipped.
func (b *batcher) compute(batch []segment) {
	size, dim := b.model.InputSize(), b.model.Dim()
	b.input = b.input[:0]
	for _, s := range batch {
		b.input = append(b.input, s.job.rows[s.lo*size:s.hi*size]...)
	}
	n := len(b.input) / size
	b.metrics.observeBatch(n)

	out, err := b.embed(n)
	if err == nil && len(out) != n*dim {
		err = fmt.Errorf("serve: the model returned %d values for %d embeddings of dimension %d", len(out), n, dim)
	}
	row := 0
	for _, s := range batch {
		j := s.job
		k := s.hi - s.lo
		if err != nil {
			j.canceled.Store(true)
			j.finish(err)
			continue
		}
		copy(j.out[s.lo*dim:s.hi*dim], out[row*dim:(row+k)*dim])
		row += k
		j.remaining -= k
		if j.remaining == 0 {
			j.finish(nil)
		}
	}
}

// embed calls the model and turns a panic into an error, so that one bad
// batch cannot stop the server.
func (b *batcher) embed(n int) (out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("serve: the model panicked: %v", r)
		}
	}()
	return b.model.Embed(b.input, n)
}
