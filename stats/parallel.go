package stats

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// MonteCarlo configures the tests whose cost grows with n² or whose p-value
// is a Monte Carlo estimate. The zero value runs on all rows with the
// test's default number of replicates, seed 0 and one worker per CPU.
type MonteCarlo struct {
	// Replicates is the number of simulated samples behind a Monte Carlo
	// p-value; 0 selects the test's default.
	Replicates int
	// Seed drives every random draw of the test: the subsample, the
	// replicates and any reference sample. Equal seeds give equal results.
	Seed uint64
	// MaxSamples, when positive and smaller than the number of rows, runs
	// the test on a subsample of MaxSamples rows drawn without replacement.
	MaxSamples int
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	// Results do not depend on it.
	Workers int
}

// MCResult is the outcome of a test run under MonteCarlo settings.
type MCResult struct {
	Result
	Replicates int  // simulated samples behind PValue; 0 for a closed-form p-value
	Subsampled bool // the test ran on a random subsample of the rows
	UsedN      int  // rows the test used
}

// Streams of the PCG generator, one per kind of draw, so that the subsample,
// the reference sample and replicate r never share random numbers.
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
	k := mc.MaxSamples
	if k <= 0 || k >= m.N {
		return m, false
	}
	rng := newRand(mc.Seed, streamSubsample)
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
