package stats

import (
	"fmt"
	"math"
	"runtime"
)

// Default replicate count of the Monte Carlo Epps-Pulley tests.
const defaultEPReplicates = 999

// epPairCutoff is the distance beyond which exp(-d²/2) underflows to 0 in
// float64 (d²/2 > 745.2), so pairs of sorted values that far apart add
// nothing and the inner loop stops.
const epPairCutoff = 38.61

// Streams of the PCG generator for the sliced test's directions.
const streamEPDirections = 0x5eed_e9_0001

// EppsPulley tests composite normality (unknown mean and variance) with the
// Epps-Pulley statistic of the standardized sample.
//
// Null hypothesis: x are independent draws from some normal distribution.
//
// Statistic: T (see Epps-Pulley statistic in the package documentation) of
// y_j = (x_j - x̄)/s with s² = (1/n) Σ (x_j - x̄)²
// (divisor n, as Ebner and Henze state it). T is location and scale
// invariant and large T means non-normal.
//
// P-value: from the limit law of T under the null, the distribution of
// Σ_k λ_k χ²_1,k. The λ_k are the eigenvalues of the covariance kernel of
// the limiting process with estimated mean and variance,
// K(s, t) = exp(-(s-t)²/2) - exp(-(s²+t²)/2)(1 + st + s²t²/2), with respect
// to φ, computed once by a Nyström discretization (epLimitEigenvalues).
// Their sum and the sum of their squares match the closed-form limit mean
// 1 - √3/2 and the variance of Henze and Zirkler (tested). The tail
// probability of the weighted chi-square sum is the saddlepoint
// approximation of Lugannani and Rice (1980). The tests compare it with a
// simulation of the limit law (2e5 draws) and find it within 4 % from
// P = 0.7 down to P = 1e-3. An offline check against 4e6 draws found it
// within 4 % down to P = 1e-5. For a law dominated by a single χ²_1 term
// its error grows to 7 % (tested). Further out it grows slowly: against
// the exact tail of the same weighted sum (the branch-cut integral of
// limit_tail.go in mpmath), the p-value is 6 % too large at P = 4e-7,
// 8 % at 4e-13 and 12 % at 1e-45 (the specified law: 7 % at 1e-8 and
// 11 % at 3e-29). For finite n the test is slightly conservative: at
// n = 8 it rejected 3.9 % of 4000 normal samples at the 5 % level. The
// tests check that null p-values are uniform at n = 20 and
// n = 200.
//
// Special cases:
//   - n < 8: error.
//   - NaN or ±Inf: error naming the index.
//   - all values equal: error, the sample cannot be standardized.
//   - ties otherwise: allowed.
func EppsPulley(x []float64) (Result, error) {
	const test = "Epps-Pulley test"
	if err := checkSample(x, 8, 0, test); err != nil {
		return Result{}, err
	}
	n := len(x)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	ss := 0.0
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	sd := math.Sqrt(ss / float64(n))
	y := make([]float64, n)
	for i, v := range x {
		y[i] = (v - mean) / sd
	}
	stat := eppsPulleyStatistic(y, runtime.GOMAXPROCS(0))
	return Result{Statistic: stat, PValue: weightedChiSquareSurvival(stat, compositeEPEigenvalues())}, nil
}

// EppsPulleySpecifiedAsymptotic tests that x are independent N(0, 1) draws
// with the Epps-Pulley statistic of x itself, not standardized, and the
// p-value of the limit law: Σ_k λ_k χ²_1,k with the eigenvalues of
// K(s, t) = exp(-(s-t)²/2) - exp(-(s²+t²)/2), by the saddlepoint
// approximation described at EppsPulley. It costs one pairwise sum (see
// Epps-Pulley statistic in the package documentation) and no replicates;
// EppsPulleySpecified gives the exact-in-n Monte Carlo p-value instead.
//
// Special cases: n < 2 or a non-finite value: error. Constant samples are
// allowed (they are far from N(0, 1)).
func EppsPulleySpecifiedAsymptotic(x []float64) (Result, error) {
	if err := checkFiniteSample(x, 2, "asymptotic Epps-Pulley test against N(0, 1)"); err != nil {
		return Result{}, err
	}
	stat := eppsPulleyStatistic(x, runtime.GOMAXPROCS(0))
	return Result{Statistic: stat, PValue: weightedChiSquareSurvival(stat, specifiedEPEigenvalues())}, nil
}

// EppsPulleySpecified tests that x are independent N(0, 1) draws with the
// Epps-Pulley statistic T of x itself: nothing is estimated, so a shift or
// a scale change raises T as much as a change of shape. This is the form
// the sliced test applies to each projection.
//
// P-value: Monte Carlo, (1 + #{T* >= T})/(B + 1) over B = mc.Replicates
// (default 999) samples of n draws from N(0, 1) (math/rand/v2 PCG seeded
// with mc.Seed, one stream per replicate), or sequential with
// mc.StopAfter (see MonteCarlo). It is a valid p-value for every
// n and B, with resolution 1/(B + 1) and standard error about
// sqrt(p(1-p)/B). Replicates run on mc.Workers goroutines and the result
// does not depend on their number. mc.MaxSamples caps n with a seeded
// subsample.
//
// Cost: B + 1 pairwise sums (see Epps-Pulley statistic in the package
// documentation).
//
// Special cases: n < 2 or a non-finite value: error naming the index.
// Constant samples and ties are allowed.
func EppsPulleySpecified(x []float64, mc MonteCarlo) (MCResult, error) {
	const test = "Epps-Pulley test against N(0, 1)"
	if err := checkFiniteSample(x, 2, test); err != nil {
		return MCResult{}, err
	}
	sub, subsampled := mc.subsample(Matrix{N: len(x), D: 1, Data: x})
	y := sub.Data
	stat := eppsPulleyStatistic(y, mc.workers())
	draws := mc.countReplicates(stat, defaultEPReplicates, len(y), 1, func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamReplicate+uint64(r))
		for k := range buf.Data {
			buf.Data[k] = rng.NormFloat64()
		}
		return eppsPulleyStatistic(buf.Data, 1)
	})
	return mc.result(stat, draws.pValue(), draws, subsampled, len(y)), nil
}

// SlicedEppsPulley tests that the rows of m are independent N(0, I_d) draws
// by projecting them on directions random unit vectors and applying the
// specified Epps-Pulley statistic to each projection. Under the null every
// projection is exactly N(0, 1).
//
// Statistic: the mean of T over the directions. The mean, as in the SIGReg
// penalty of R. Balestriero and Y. LeCun, "LeJEPA: Provable and Scalable
// Self-Supervised Learning Without the Heuristics" (arXiv:2511.08544), reacts to departures that many directions see; a maximum would
// favour a departure along a single direction. The directions are
// standard normal vectors normalized to length 1, drawn from a PCG stream
// of mc.Seed, so equal seeds give equal directions.
//
// P-value: Monte Carlo, (1 + #{S* >= S})/(B + 1) over B = mc.Replicates
// (default 999) samples of n rows from N(0, I_d) projected on the same
// directions, or sequential with mc.StopAfter (see MonteCarlo). It is
// valid for every n, d and number of directions, because the observed
// and the simulated statistics use the same directions. mc.MaxSamples
// caps n with a seeded subsample and mc.Workers sets the goroutines,
// which do not change the result.
//
// Cost: (B + 1) directions pairwise sums of n values, plus O(B n d) for
// the projections.
//
// Special cases: directions < 1, n < 2 or a non-finite value: error.
func SlicedEppsPulley(m Matrix, directions int, mc MonteCarlo) (MCResult, error) {
	const test = "sliced Epps-Pulley test"
	if directions < 1 {
		return MCResult{}, fmt.Errorf("stats: %s: invalid number of directions %d; use at least 1", test, directions)
	}
	if err := checkMatrix(m, 2, false, test); err != nil {
		return MCResult{}, err
	}
	x, subsampled := mc.subsample(m)
	if err := checkMatrix(x, 2, false, test); err != nil {
		return MCResult{}, err
	}
	dirs := RandomDirections(x.D, directions, mc.Seed)
	workers := mc.workers()

	proj := make([]float64, x.N)
	stat := slicedEPStatistic(x, dirs, proj, workers)
	// One projection buffer per worker, handed out like the replicate
	// matrices of drawReplicates.
	projBufs := make(chan []float64, max(1, workers))
	for range max(1, workers) {
		projBufs <- make([]float64, x.N)
	}
	draws := mc.countReplicates(stat, defaultEPReplicates, x.N, x.D, func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamReplicate+uint64(r))
		for k := range buf.Data {
			buf.Data[k] = rng.NormFloat64()
		}
		p := <-projBufs
		s := slicedEPStatistic(buf, dirs, p, 1)
		projBufs <- p
		return s
	})
	return mc.result(stat, draws.pValue(), draws, subsampled, x.N), nil
}

// RandomDirections returns k unit vectors in R^d, row-major in a k x d
// Matrix: standard normal draws from the PCG stream of seed reserved for
// directions, each divided by its length. Equal arguments give equal
// directions, which lets a training penalty and a later test share them.
func RandomDirections(d, k int, seed uint64) Matrix {
	rng := newRand(seed, streamEPDirections)
	dirs := Matrix{N: k, D: d, Data: make([]float64, k*d)}
	for i := 0; i < k; i++ {
		row := dirs.Row(i)
		norm := 0.0
		for norm == 0 { // a zero vector has probability 0 but cannot be normalized
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			norm = math.Sqrt(squaredNorm(row))
		}
		for j := range row {
			row[j] /= norm
		}
	}
	return dirs
}

// slicedEPStatistic returns the mean specified Epps-Pulley statistic of the
// projections of the rows of x on the rows of dirs, using proj (length
// x.N) as scratch.
func slicedEPStatistic(x, dirs Matrix, proj []float64, workers int) float64 {
	total := 0.0
	for k := 0; k < dirs.N; k++ {
		u := dirs.Row(k)
		for i := range proj {
			proj[i] = dotSequential(u, x.Row(i))
		}
		total += eppsPulleyStatistic(proj, workers)
	}
	return total / float64(dirs.N)
}

// EppsPulleyStatGrad returns the specified Epps-Pulley statistic T of x
// against N(0, 1) (the formula of Epps-Pulley statistic in the package
// documentation, x not standardized) and, when grad is not nil, overwrites
// grad with ∂T/∂x:
//
//	∂T/∂x_j = -(2/n) Σ_k (x_j - x_k) exp(-(x_j - x_k)²/2) + (x_j/√2) exp(-x_j²/4).
//
// It is meant as a training penalty on projected embeddings (SIGReg) and
// runs on the calling goroutine. From epGradSeriesMinN values on, when
// every |x| is at most epSeriesMaxAbs, it sums the pairs and their
// gradient by the series of epPairSeries in O(n M); otherwise it costs
// n²/2 exponentials and allocates nothing. Both ways give T to about 1e-16
// n relative, and the gradient path returns the same T as the nil one.
// x is not validated: a NaN or Inf gives NaN, and so does an empty x.
//
// grad must be nil or have the length of x; any other length panics,
// because it is a programming error and not bad data.
func EppsPulleyStatGrad(x []float64, grad []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	if grad != nil && len(grad) != n {
		panic(fmt.Sprintf("stats: EppsPulleyStatGrad: grad has length %d, want len(x) = %d", len(grad), n))
	}
	if n >= epGradSeriesMinN {
		if t, ok := epStatGradSeries(x, grad); ok {
			return t
		}
	}
	return epStatGradPairs(x, grad)
}

// epGradSeriesMinN is the sample size from which EppsPulleyStatGrad uses
// the series. Smaller batches, such as the reference recipe's 256, keep
// the pairwise sum, whose n²/2 exponentials cost little there, so
// training at such batches keeps the weights that earlier builds gave.
const epGradSeriesMinN = 1024

// epStatGradSeries is EppsPulleyStatGrad by the series, or false when some
// |x| exceeds epSeriesMaxAbs. With e_j = exp(-x_j²/2),
//
//	Σ_k (x_j - x_k) exp(-(x_j - x_k)²/2) = e_j Σ_m (x_j^m / m!) (x_j S_m - S_{m+1}),
//
// where the k = j term adds 0. Since A_m >= e_j |x_j|^m, the m-th term is
// at most (|x_j| + max|x|) A_m² / (m! e_j), and the factor e_j in front
// cancels the division, so the bound that stops epPairSeries bounds the
// gradient's truncation as well.
func epStatGradSeries(x []float64, grad []float64) (float64, bool) {
	s, all, ok := epSeries(x, grad != nil)
	if !ok {
		return 0, false
	}
	fn := float64(len(x))
	centre := 0.0
	for _, v := range x {
		centre += math.Exp(-0.25 * v * v)
	}
	if grad != nil {
		terms := len(s) - 1
		for j, v := range x {
			sum, p := 0.0, 1.0 // p = v^m / m!
			for m := range terms {
				sum += p * (v*s[m] - s[m+1])
				p *= v / float64(m+1)
			}
			grad[j] = -(2/fn)*math.Exp(-0.5*v*v)*sum + v*math.Exp(-0.25*v*v)/math.Sqrt2
		}
	}
	// all counts each pair twice and each of the n diagonal terms, which
	// are 1, once.
	return 1 + (all-fn)/fn - math.Sqrt2*centre + fn/math.Sqrt(3), true
}

// epStatGradPairs is EppsPulleyStatGrad by the pairwise sum.
func epStatGradPairs(x []float64, grad []float64) float64 {
	n := len(x)
	fn := float64(n)
	pairScale := 2 / fn
	if grad == nil {
		pairs := 0.0
		for j := 0; j < n; j++ {
			xj := x[j]
			for _, xk := range x[j+1:] {
				d := xj - xk
				pairs += math.Exp(-0.5 * d * d)
			}
		}
		centre := 0.0
		for _, v := range x {
			centre += math.Exp(-0.25 * v * v)
		}
		return 1 + pairScale*pairs - math.Sqrt2*centre + fn/math.Sqrt(3)
	}

	// grad[k] collects Σ_{j<k} (x_j - x_k) e_jk from the pairs whose
	// earlier index j is visited first, and is finished when k is reached.
	clear(grad)
	pairs, centre := 0.0, 0.0
	for j := 0; j < n; j++ {
		xj := x[j]
		gj := 0.0
		tail := x[j+1:]
		gTail := grad[j+1 : j+1+len(tail)]
		for k, xk := range tail {
			d := xj - xk
			e := math.Exp(-0.5 * d * d)
			pairs += e
			w := d * e
			gj -= w
			gTail[k] += w
		}
		e4 := math.Exp(-0.25 * xj * xj)
		centre += e4
		grad[j] = pairScale*(grad[j]+gj) + xj*e4/math.Sqrt2
	}
	return 1 + pairScale*pairs - math.Sqrt2*centre + fn/math.Sqrt(3)
}

// SlicedEppsPulleyStatGrad returns the sliced statistic of SlicedEppsPulley,
// S = (1/K) Σ_k T(X u_k) over the K rows u_k of dirs (from
// RandomDirections), and, when grad is not nil, overwrites grad with ∂S/∂X,
// row-major like m.Data: ∂S/∂x_i = (1/K) Σ_k (∂T/∂p_i)(X u_k) u_k, where p =
// X u_k is the projection. It is the SIGReg-style penalty on a batch of
// embeddings and costs K(n²/2 exponentials + 2·n·d multiply-adds). It
// allocates two slices of length n and runs on the calling goroutine.
//
// dirs.D must equal m.D and grad must be nil or have length m.N·m.D; other
// shapes panic, as a programming error.
func SlicedEppsPulleyStatGrad(m, dirs Matrix, grad []float64) float64 {
	if dirs.D != m.D || len(m.Data) != m.N*m.D || len(dirs.Data) != dirs.N*dirs.D {
		panic(fmt.Sprintf("stats: SlicedEppsPulleyStatGrad: sample %d x %d (%d values) and directions %d x %d (%d values) do not match",
			m.N, m.D, len(m.Data), dirs.N, dirs.D, len(dirs.Data)))
	}
	if grad != nil && len(grad) != len(m.Data) {
		panic(fmt.Sprintf("stats: SlicedEppsPulleyStatGrad: grad has length %d, want %d", len(grad), len(m.Data)))
	}
	if grad != nil {
		clear(grad)
	}
	proj := make([]float64, m.N)
	var projGrad []float64
	if grad != nil {
		projGrad = make([]float64, m.N)
	}
	scale := 1 / float64(dirs.N)
	total := 0.0
	for k := 0; k < dirs.N; k++ {
		u := dirs.Row(k)
		for i := range proj {
			proj[i] = dotSequential(u, m.Row(i))
		}
		total += EppsPulleyStatGrad(proj, projGrad)
		if grad == nil {
			continue
		}
		for i, g := range projGrad {
			row := grad[i*m.D : (i+1)*m.D]
			for j, uj := range u {
				row[j] += scale * g * uj
			}
		}
	}
	return total * scale
}

// epSeriesMaxAbs is the largest |y| for which epPairSeries sums the pairs;
// beyond it the series needs more than about 170 terms and 1/m! underflows.
const epSeriesMaxAbs = 8

// epPairSeries returns the sum over all ordered pairs (j, k), j = k
// included, of exp(-(y_j - y_k)²/2), or false when some |y_j| exceeds
// epSeriesMaxAbs. It expands exp(y_j y_k) = Σ_m (y_j y_k)^m / m!, which
// makes the double sum separable:
//
//	Σ_jk exp(-(y_j - y_k)²/2) = Σ_m S_m² / m!,  S_m = Σ_j exp(-y_j²/2) y_j^m,
//
// so the cost is O(n M) for M terms instead of O(n²) exponentials. Every
// term is nonnegative, so the terms do not cancel. Rounding in S_m adds an
// absolute error of about 1e-16 times Σ_jk exp(-(|y_j| - |y_k|)²/2) <= n²,
// a relative error below 1e-16 n of a sum that is at least n. The series
// stops once m passes the peak of its terms, max y_j², and the bound
// A_m² / m! on every later term, A_m = Σ_j exp(-y_j²/2) |y_j|^m, falls
// below 1e-18 of the sum.
func epPairSeries(y []float64) (float64, bool) {
	_, total, ok := epSeries(y, false)
	return total, ok
}

// epSeries sums the series of epPairSeries and returns it with the sums
// S_0 ... S_M of its terms, or false when some |y_j| exceeds
// epSeriesMaxAbs. With next it also returns S_{M+1}, which the gradient
// needs, as a last element.
func epSeries(y []float64, next bool) (s []float64, total float64, ok bool) {
	peak := 0.0
	for _, v := range y {
		if !(math.Abs(v) <= epSeriesMaxAbs) {
			return nil, 0, false
		}
		peak = max(peak, v*v)
	}
	n := len(y)
	w := make([]float64, 2*n) // exp(-y²/2) y^m, then the same with |y|
	for j, v := range y {
		e := math.Exp(-0.5 * v * v)
		w[j], w[n+j] = e, e
	}
	coef := 1.0
	for m := 0; ; m++ {
		sm, am := 0.0, 0.0
		for j := range n {
			sm += w[j]
			am += w[n+j]
		}
		s = append(s, sm)
		total += coef * sm * sm
		done := float64(m) > peak && coef*am*am < 1e-18*total
		for j, v := range y {
			w[j] *= v
			w[n+j] *= math.Abs(v)
		}
		if done {
			if next {
				sm = 0
				for j := range n {
					sm += w[j]
				}
				s = append(s, sm)
			}
			return s, total, true
		}
		coef /= float64(m + 1)
	}
}

// eppsPulleyStatistic returns T of y (already standardized or not, as the
// caller decides). When every |y| is at most epSeriesMaxAbs it sums the
// pairs by epPairSeries in O(n) per term. Otherwise it sorts a copy so
// that the inner loop can stop at epPairCutoff, and splits the outer loop
// into fixed blocks run on up to workers goroutines and added in block
// order. Neither result depends on workers.
func eppsPulleyStatistic(y []float64, workers int) float64 {
	n := len(y)
	fn := float64(n)
	if all, ok := epPairSeries(y); ok {
		centre := 0.0
		for _, v := range y {
			centre += math.Exp(-0.25 * v * v)
		}
		// all counts each pair twice and each of the n diagonal terms,
		// which are 1, once.
		return 1 + (all-fn)/fn - math.Sqrt2*centre + fn/math.Sqrt(3)
	}
	s := sortedCopy(y)
	blocks := (n + pairBlockRows - 1) / pairBlockRows
	partial := make([]float64, blocks)
	forEachBlock(blocks, workers, func(b int) {
		sum := 0.0
		for j := b * pairBlockRows; j < min(n, (b+1)*pairBlockRows); j++ {
			sj := s[j]
			for _, sk := range s[j+1:] {
				d := sk - sj
				if d > epPairCutoff {
					break
				}
				sum += math.Exp(-0.5 * d * d)
			}
		}
		partial[b] = sum
	})
	pairs := 0.0
	for _, p := range partial {
		pairs += p
	}
	centre := 0.0
	for _, v := range s {
		centre += math.Exp(-0.25 * v * v)
	}
	return 1 + 2*pairs/fn - math.Sqrt2*centre + fn/math.Sqrt(3)
}

// checkFiniteSample validates a sample that may be constant: at least minN
// values, all finite.
func checkFiniteSample(x []float64, minN int, test string) error {
	if len(x) < minN {
		return tooFewRows(minN, len(x), "stats: %s: need at least %d values, got %d", test, minN, len(x))
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("stats: %s: value %v at index %d: remove or replace non-finite values first", test, v, i)
		}
	}
	return nil
}
