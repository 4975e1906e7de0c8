package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/nidim/nidim/simd"
)

// MonteCarlo configures the tests whose cost grows with n² or whose p-value
// is a Monte Carlo estimate. The zero value runs on all rows with the
// test's default number of replicates, seed 0 and one worker per CPU.
type MonteCarlo struct {
	// Replicates is the number of simulated samples behind a Monte Carlo
	// p-value, or with StopAfter the most that may be drawn; 0 selects
	// the test's default, or DefaultMaxReplicates with StopAfter.
	Replicates int
	// StopAfter, when positive, makes the p-value sequential (Besag and
	// Clifford 1991, see Monte Carlo p-values in the package
	// documentation): replicates are drawn in order until StopAfter of
	// them are at least as extreme as the observed statistic, giving
	// StopAfter/(replicates drawn), or until Replicates are drawn, giving
	// (1 + g)/(Replicates + 1) with g < StopAfter such replicates. The
	// first replicates are those of a fixed run with the same seed. 0
	// draws a fixed number.
	StopAfter int
	// Seed drives every random draw of the test: the subsample, the
	// replicates and any reference sample. Equal seeds give equal results.
	Seed uint64
	// MaxSamples, when positive and smaller than the number of rows, runs
	// the test on a subsample of MaxSamples rows drawn without replacement.
	MaxSamples int
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	// Results do not depend on it.
	Workers int

	// progress, when not nil, receives the number of replicates drawn so
	// far after each block of replicates that drawing continues past.
	progress func(drawn int)
}

// MCResult is the outcome of a test run under MonteCarlo settings.
type MCResult struct {
	Result
	Replicates int // simulated samples drawn behind PValue; 0 for a closed-form p-value
	// StopAfter and MaxReplicates are the h and the largest number of
	// replicates of a sequential p-value, and 0 for a fixed count.
	StopAfter, MaxReplicates int
	// StoppedEarly is true when a sequential run stopped because
	// StopAfter replicates were at least as extreme as the statistic, so
	// that PValue is StopAfter/Replicates.
	StoppedEarly bool
	Subsampled   bool // the test ran on a random subsample of the rows
	UsedN        int  // rows the test used
}

// Streams of the PCG generator, one per kind of draw, so that the subsample,
// the reference sample and replicate r never share random numbers. The
// Monte Carlo tests of one report draw replicate r from the same stream
// with the same seed, so their Monte Carlo errors are correlated. Holm's
// adjustment, which holds under any dependence, stays valid.
const (
	streamSubsample = 0x5eed_0001
	streamReference = 0x5eed_0002
	streamReplicate = 0x5eed_1000_0000_0000
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

func (mc MonteCarlo) workers() int {
	if mc.Workers > 0 {
		return mc.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// subsample returns m itself when mc.MaxSamples does not apply, else a
// matrix of mc.MaxSamples rows of m chosen uniformly without replacement
// (partial Fisher-Yates on a seeded PCG), kept in their original order.
func (mc MonteCarlo) subsample(m Matrix) (Matrix, bool) {
	return mc.subsampleStream(m, streamSubsample)
}

// subsampleStream is subsample drawing from the given PCG stream.
func (mc MonteCarlo) subsampleStream(m Matrix, stream uint64) (Matrix, bool) {
	k := mc.MaxSamples
	if k <= 0 || k >= m.N {
		return m, false
	}
	rng := newRand(mc.Seed, stream)
	idx := make([]int, m.N)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + rng.IntN(m.N-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	chosen := idx[:k]
	sort.Ints(chosen)
	out := Matrix{N: k, D: m.D, Data: make([]float64, k*m.D)}
	for r, i := range chosen {
		copy(out.Row(r), m.Row(i))
	}
	return out, true
}

// forEachBlock calls fn(b) for every b in [0, blocks) on up to workers
// goroutines. Callers store a result per block and combine them in block
// order afterwards, so the outcome does not depend on the worker count.
func forEachBlock(blocks, workers int, fn func(b int)) {
	workers = min(workers, blocks)
	if workers <= 1 {
		for b := 0; b < blocks; b++ {
			fn(b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				fn(b)
			}
		}()
	}
	wg.Wait()
}

// pairBlockRows is the number of rows i per block in pairwise sums over
// i < j. It is fixed, independent of the worker count, so that the
// summation order and therefore the result never change.
const pairBlockRows = 16

// sumPairs returns the sum over i < j of f(x_i, x_j), computed in blocks of
// rows that run on up to workers goroutines and are added in block order.
func sumPairs(x Matrix, workers int, f func(a, b []float64) float64) float64 {
	blocks := (x.N + pairBlockRows - 1) / pairBlockRows
	partial := make([]float64, blocks)
	forEachBlock(blocks, workers, func(b int) {
		s := 0.0
		end := min(x.N, (b+1)*pairBlockRows)
		for i := b * pairBlockRows; i < end; i++ {
			xi := x.Row(i)
			for j := i + 1; j < x.N; j++ {
				s += f(xi, x.Row(j))
			}
		}
		partial[b] = s
	})
	total := 0.0
	for _, s := range partial {
		total += s
	}
	return total
}

// sumPairsSquared returns the sum over i < j of f(|x_i - x_j|²), like
// sumPairs with f applied to squared Euclidean distances. It forms the
// distances from inner products, |x_i|² + |x_j|² - 2 x_i·x_j, which needs
// about half the arithmetic of subtracting coordinates. Rounding can make
// a distance between two equal rows slightly positive or negative, so it
// is clamped at 0. The blocks and the order of additions depend only on
// x, never on workers. Norms and inner products are all summed in the
// same sequential order, so two equal rows give exactly 0.
func sumPairsSquared(x Matrix, workers int, f func(d2 float64) float64) float64 {
	return sumPairsFromDots(x, workers, f, simd.Active())
}

// sumPairDistances returns the sum over i < j of |x_i - x_j|, the same
// value as sumPairsSquared(x, workers, math.Sqrt) without a function call
// per pair.
func sumPairDistances(x Matrix, workers int) float64 {
	return sumPairsFromDots(x, workers, nil, simd.Active())
}

// sumPairsFromDots is sumPairsSquared on the kernels of one SIMD level,
// with math.Sqrt for a nil f. It takes rows i and i+1 together: first the
// pair (i, i+1), then for each j > i+1 in order the pairs (i, j) and
// (i+1, j). The inner products of both rows with every later row come
// from one simd.PanelDot64 call on the rows packed into a panel, which
// sums each in index order, as dotSequential does.
func sumPairsFromDots(x Matrix, workers int, f func(d2 float64) float64, kernels *simd.Kernels) float64 {
	norms := make([]float64, x.N)
	for i := range norms {
		norms[i] = dotSequential(x.Row(i), x.Row(i))
	}
	dist := func(i, j int, g float64) float64 {
		d2 := max(0, norms[i]+norms[j]-2*g)
		if f == nil {
			return math.Sqrt(d2)
		}
		return f(d2)
	}
	panel := simd.PackPanel64(nil, x.Data, x.N, x.D)
	cols := (x.N + simd.PanelRows - 1) / simd.PanelRows * simd.PanelRows
	blocks := (x.N + pairBlockRows - 1) / pairBlockRows
	partial := make([]float64, blocks)
	forEachBlock(blocks, workers, func(b int) {
		g := make([]float64, 2*cols)
		g0, g1 := g[:cols], g[cols:]
		s := 0.0
		end := min(x.N, (b+1)*pairBlockRows)
		// pairBlockRows is even, so the row pairs (i, i+1) never straddle
		// two blocks.
		for i := b * pairBlockRows; i < end; i += 2 {
			if i+1 == x.N {
				break // the last row has no later row to pair with
			}
			a0, a1 := x.Row(i), x.Row(i+1)
			s += dist(i, i+1, dotSequential(a0, a1))
			first := i + 2
			if first == x.N {
				continue
			}
			// The kernel works on whole groups of panel rows, so it
			// starts at the group of row first and the rows before
			// first are left unused.
			start := first / simd.PanelRows * simd.PanelRows
			kernels.PanelDot64(g0[start:], g1[start:], a0, a1, panel[start*x.D:])
			if f == nil {
				ni, ni1 := norms[i], norms[i+1]
				for j := first; j < x.N; j++ {
					s += math.Sqrt(max(0, ni+norms[j]-2*g0[j]))
					s += math.Sqrt(max(0, ni1+norms[j]-2*g1[j]))
				}
				continue
			}
			for j := first; j < x.N; j++ {
				s += dist(i, j, g0[j])
				s += dist(i+1, j, g1[j])
			}
		}
		partial[b] = s
	})
	total := 0.0
	for _, s := range partial {
		total += s
	}
	return total
}

// dotSequential returns a·b summed in index order, rounded as
// simd.PanelDot64 rounds (see mulAdd).
func dotSequential(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for k, v := range a {
		s = mulAdd(s, v, b[k])
	}
	return s
}
