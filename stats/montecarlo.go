package stats

// DefaultStopAfter is the h of the sequential p-values: drawing stops
// once 10 replicates are at least as extreme as the observed statistic.
// Ten keeps the mean cost under the null below 100 replicates while the
// decision at every level a >= 10/n matches a fixed test of 10/a - 1
// replicates (see Monte Carlo p-values in the package documentation); the
// relative standard error of p = h/L is about 1/sqrt(h), a third.
const DefaultStopAfter = 10

// DefaultMaxReplicates is the largest n that the report chooses for its
// sequential p-values, and the n of a sequential test whose
// MonteCarlo.Replicates is 0. Its smallest p-value, 1/20000, lets Holm
// at alpha 0.01 reject on it alone among up to 200 p-values: a gaussian
// report of up to 17 components.
const DefaultMaxReplicates = 19999

// minProgressBlock is the first block of a fixed count drawn with a
// progress function, so that a count of at most 64 gets no progress calls.
const minProgressBlock = 64

// maxBlock is the largest block of replicates that drawReplicates grows
// to, unless StopAfter or the workers need more. It bounds the block's
// slice of values, 8 bytes a replicate, and leaves every worker many
// replicates.
const maxBlock = 1 << 16

// mcDraws is the outcome of the replicates behind one Monte Carlo p-value.
type mcDraws struct {
	drawn   int  // replicates drawn
	atLeast int  // how many of them are >= the observed statistic
	stopped bool // sequential, and atLeast reached h at replicate drawn
}

// pValue returns h/L when a sequential run stopped, and (1 + g)/(n + 1)
// otherwise, for fixed and sequential runs alike.
func (o mcDraws) pValue() float64 {
	if o.stopped {
		return float64(o.atLeast) / float64(o.drawn)
	}
	return float64(1+o.atLeast) / float64(1+o.drawn)
}

// maxReplicates returns the fixed replicate count of mc, or its
// sequential maximum; fixedDefault is the test's fixed default.
func (mc MonteCarlo) maxReplicates(fixedDefault int) int {
	switch {
	case mc.Replicates > 0:
		return mc.Replicates
	case mc.StopAfter > 0:
		return DefaultMaxReplicates
	}
	return fixedDefault
}

// result returns the MCResult of statistic stat whose replicates gave o,
// with p-value p.
func (mc MonteCarlo) result(stat, p float64, o mcDraws, subsampled bool, usedN int) MCResult {
	r := MCResult{
		Result:     Result{Statistic: stat, PValue: p},
		Replicates: o.drawn,
		Subsampled: subsampled,
		UsedN:      usedN,
	}
	if mc.StopAfter > 0 {
		r.StopAfter, r.MaxReplicates, r.StoppedEarly = mc.StopAfter, mc.maxReplicates(0), o.stopped
	}
	return r
}

// countReplicates runs replicate(r, buf) for r = 0, 1, ... as mc sets
// it, fixedDefault replicates when mc sets no count, and counts the
// replicate statistics >= stat. replicate gets an n x d scratch matrix of its own.
// Replicate r must draw from its own PCG stream, so that the outcome
// depends neither on the worker count nor on how the replicates are
// grouped.
func (mc MonteCarlo) countReplicates(stat float64, fixedDefault, n, d int, replicate func(r int, buf Matrix) float64) mcDraws {
	var out mcDraws
	drawReplicates(mc.maxReplicates(fixedDefault), mc.StopAfter, n, d, mc.workers(), mc.progress, replicate, func(first int, values []float64) bool {
		return out.count(stat, mc.StopAfter, first, values)
	})
	return out
}

// count adds the replicates of values, which start at replicate first, in
// order: those >= stat add to atLeast, and the h-th of them stops the run
// there (never with h = 0). It reports whether the run stopped.
func (o *mcDraws) count(stat float64, h, first int, values []float64) bool {
	for i, v := range values {
		if v < stat {
			continue
		}
		o.atLeast++
		if o.atLeast == h {
			o.drawn, o.stopped = first+i+1, true
			return true
		}
	}
	o.drawn = first + len(values)
	return false
}

// drawReplicates computes replicate(r, buf) for r in [0, reps) in blocks
// of consecutive r. Each block runs on up to workers goroutines with one
// n x d scratch matrix per goroutine. Then scan(first, values) gets the
// block's values in order of r, first being the r of values[0]. Drawing
// stops after a block on which scan returns true.
//
// With h = 0 (a fixed count) and no progress function the blocks hold
// maxBlock replicates, or all reps when fewer. A sequential run
// (h > 0) starts with a block of max(h, workers) and grows each next
// block to a quarter of the replicates drawn so far, but not past
// maxBlock, so that at most about a fifth of the work is spent past the
// stopping point. A fixed count with a progress function is drawn in
// blocks that grow the same way from minProgressBlock, and
// progress(drawn) runs after each block but the last. Which block a
// replicate falls in changes neither its value nor the order in which
// scan reads it, so the outcome depends neither on workers nor on
// progress.
func drawReplicates(reps, h, n, d, workers int, progress func(drawn int), replicate func(r int, buf Matrix) float64, scan func(first int, values []float64) bool) {
	workers = max(1, min(workers, reps))
	bufs := make(chan Matrix, workers)
	for w := 0; w < workers; w++ {
		bufs <- Matrix{N: n, D: d, Data: make([]float64, n*d)}
	}
	for first := 0; first < reps; {
		// A rejecting test with a --max-replicates of 1e12 would
		// otherwise grow its blocks, and their slices, without bound.
		grown := min(first/4, maxBlock)
		size := min(reps-first, maxBlock)
		switch {
		case h > 0:
			size = min(reps-first, max(h, workers, grown))
		case progress != nil:
			size = min(reps-first, max(minProgressBlock, workers, grown))
		}
		values := make([]float64, size)
		forEachBlock(size, workers, func(i int) {
			buf := <-bufs
			values[i] = replicate(first+i, buf)
			bufs <- buf
		})
		if scan(first, values) {
			return
		}
		first += size
		if progress != nil && first < reps {
			progress(first)
		}
	}
}

// largestBlock returns a bound on the replicates of one block of
// drawReplicates(reps, h, _, _, workers, ...), for a caller that keeps
// per-replicate values of its own until scan reads the block.
func largestBlock(reps, h, workers int) int {
	return max(1, min(reps, max(h, workers, minProgressBlock, maxBlock)))
}
