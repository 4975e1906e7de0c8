package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Default replicate counts of the energy tests.
const (
	defaultEnergyReplicates = 999
)

// EnergyNormality tests composite multivariate normality with the energy
// statistic of Székely and Rizzo (2005), as R's energy 1.7-11 mvnorm.etest.
//
// Null hypothesis: the rows are independent draws from some d-variate
// normal distribution with unknown mean and non-singular covariance.
//
// Statistic: the sample is standardized, y_i = S^(-1/2)(x_i - x̄) with S the
// covariance matrix with divisor n-1, and E is the energy statistic (see
// Energy statistic in the package documentation) of the y_i against
// N(0, I_d). E|a - Z| for Z ~ N(0, I_d) is the mean of a
// noncentral chi distribution, computed by expectedNormalDistance to about
// 1e-14 relative. Large E means non-normal.
//
// P-value: parametric bootstrap, as energy does. mc.Replicates samples
// (default 999) of n rows are drawn from N(0, I_d) (E is affine invariant,
// so the estimated parameters do not matter), standardized the same way,
// and the p-value is the fraction of replicate statistics >= E, with no +1
// correction, so it can be 0. Its Monte Carlo standard error is about
// sqrt(p(1-p)/B). With mc.StopAfter the p-value is instead the
// sequential one of Besag and Clifford (see MonteCarlo), which is never
// 0. Draws use math/rand/v2 PCG seeded with mc.Seed.
// Replicates run in parallel, and the result does not depend on
// mc.Workers.
//
// Cost: O(n² d) per replicate. mc.MaxSamples caps n with a seeded
// subsample, and the result reports whether that happened.
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - n < 2, or n <= d: error, the covariance cannot be inverted.
//   - singular covariance (a constant component, collinear components,
//     ties that leave fewer than d+1 distinct points): error.
//   - ties otherwise: allowed, |y_i - y_j| = 0 contributes nothing.
func EnergyNormality(m Matrix, mc MonteCarlo) (MCResult, error) {
	const test = "energy normality test"
	if err := checkMatrix(m, 2, true, test); err != nil {
		return MCResult{}, err
	}
	x, subsampled := mc.subsample(m)
	if err := checkMatrix(x, 2, true, test); err != nil {
		return MCResult{}, err
	}

	target := newNormalTarget(x.D)
	stat, err := standardizedEnergy(x, target, mc.workers())
	if err != nil {
		return MCResult{}, fmt.Errorf("stats: %s: %w", test, err)
	}

	replicate := func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamReplicate+uint64(r))
		for k := range buf.Data {
			buf.Data[k] = rng.NormFloat64()
		}
		e, err := standardizedEnergy(buf, target, 1)
		if err != nil {
			// A singular covariance from normal draws with n > d has
			// probability zero; count it as not exceeding E.
			return math.Inf(-1)
		}
		return e
	}
	draws := mc.countReplicates(stat, defaultEnergyReplicates, x.N, x.D, replicate)
	p := draws.pValue()
	if mc.StopAfter <= 0 {
		p = float64(draws.atLeast) / float64(draws.drawn)
	}
	return mc.result(stat, p, draws, subsampled, x.N), nil
}

// EnergyPrior tests whether the sample follows a fully specified prior with
// the energy statistic: "gaussian" is N(0, I_d) and "uniform" is U[0,1]^d.
// No parameter is estimated and the sample is not standardized, so a shift,
// a scale or a dependence between components all raise E.
//
// Null hypothesis: the rows are independent draws from the prior.
//
// Statistic: E (see Energy statistic in the package documentation), with
// E|a - X| and E|X - X'| as follows.
//   - gaussian: the closed forms through the confluent hypergeometric
//     function ₁F₁(-1/2; d/2; -|a|²/2) (expectedNormalDistance), accurate to
//     about 1e-14 relative.
//   - uniform, d = 1: exact, E|a - U| = a² - a + 1/2 on [0, 1] (|a - 1/2|
//     outside) and E|U - U'| = 1/3.
//   - uniform, d > 1: there is no closed form, so both expectations are
//     averages over a reference sample of M = max(n, 500) points drawn
//     from U[0,1]^d with mc.Seed. E is then n times the V-statistic energy
//     distance between the sample and the reference sample. Under the null
//     it exceeds the fully specified statistic by about (n/M) E|U - U'| on
//     average, so read it against its replicates only. The p-value stays
//     exact because the observed and every replicate statistic use the
//     same reference sample: under the null they are exchangeable draws of
//     one statistic. M = n keeps the cost at twice that of the gaussian
//     prior while losing some power against a larger M.
//
// P-value: Monte Carlo, (1 + #{E* >= E})/(B + 1) over B = mc.Replicates
// (default 999) samples of n rows drawn from the prior, or sequential
// with mc.StopAfter (see MonteCarlo). It is a valid p-value for any B.
// With a fixed B its resolution is 1/(B + 1) and its standard error about
// sqrt(p(1-p)/B). A sequential p-value h/L, stopped after L replicates,
// has a relative standard error of about 1/sqrt(h).
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - n < 2: error.
//   - prior other than "gaussian" or "uniform": error.
//   - ties and constant components: allowed (E is defined for any sample).
func EnergyPrior(m Matrix, prior string, mc MonteCarlo) (MCResult, error) {
	const test = "energy test against the prior"
	if err := checkMatrix(m, 2, false, test); err != nil {
		return MCResult{}, err
	}
	x, subsampled := mc.subsample(m)
	if err := checkMatrix(x, 2, false, test); err != nil {
		return MCResult{}, err
	}
	workers := mc.workers()

	var target energyTarget
	switch prior {
	case "gaussian":
		target = newNormalTarget(x.D)
	case "uniform":
		if x.D == 1 {
			target = uniform1DTarget{}
		} else {
			target = newReferenceTarget(x.D, max(x.N, 500), mc.Seed, workers)
		}
	default:
		return MCResult{}, fmt.Errorf("stats: %s: unknown prior %q; use \"gaussian\" or \"uniform\"", test, prior)
	}
	stat := energyStatistic(x, target, workers)

	replicate := func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamReplicate+uint64(r))
		if prior == "gaussian" {
			for k := range buf.Data {
				buf.Data[k] = rng.NormFloat64()
			}
		} else {
			for k := range buf.Data {
				buf.Data[k] = rng.Float64()
			}
		}
		return energyStatistic(buf, target, 1)
	}
	draws := mc.countReplicates(stat, defaultEnergyReplicates, x.N, x.D, replicate)
	return mc.result(stat, draws.pValue(), draws, subsampled, x.N), nil
}

// EnergyPriorColumns runs the one-dimensional energy test of every column
// of m against the marginal of the prior: N(0, 1) for "gaussian", U[0, 1]
// for "uniform". It is EnergyPrior applied to each column alone, with
// exact expectations (E|a - Z| = 2φ(a) + a(2Φ(a) - 1), E|Z - Z'| = 2/√π;
// E|a - U| = a² - a + 1/2 on [0, 1], E|U - U'| = 1/3) and the pair sum
// in O(n log n), so all rows are used and mc.MaxSamples is ignored.
//
// Null hypothesis, for column j: its values are independent draws from the
// prior's marginal.
//
// P-value: Monte Carlo, (1 + #{E* >= E_j})/(B + 1). The null distribution
// depends only on n and the prior, so one sequence of B = mc.Replicates
// (default 999) replicates serves every column. With mc.StopAfter each
// column's p-value is sequential (see MonteCarlo): it stops on that
// sequence where the column alone would, and drawing goes on until every
// column has stopped or the maximum is drawn. Each column's p-value is
// exact on its own. The p-values of different columns depend on each other
// through the shared replicates, which Holm's and Bonferroni's corrections
// allow.
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - n < 2: error.
//   - unknown prior: error.
//   - ties and constant columns: allowed.
func EnergyPriorColumns(m Matrix, prior string, mc MonteCarlo) ([]MCResult, error) {
	const test = "energy test of each column against the prior"
	if err := checkMatrix(m, 2, false, test); err != nil {
		return nil, err
	}
	var target energyTarget
	var draw func(rng *rand.Rand) float64
	switch prior {
	case "gaussian":
		target = newNormalTarget(1)
		draw = (*rand.Rand).NormFloat64
	case "uniform":
		target = uniform1DTarget{}
		draw = (*rand.Rand).Float64
	default:
		return nil, fmt.Errorf("stats: %s: unknown prior %q; use \"gaussian\" or \"uniform\"", test, prior)
	}
	workers := mc.workers()
	observed := make([]float64, m.D)
	forEachBlock(m.D, workers, func(j int) {
		observed[j] = energyStatistic(Matrix{N: m.N, D: 1, Data: m.Col(j)}, target, 1)
	})

	replicate := func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamReplicate+uint64(r))
		for i := range buf.Data {
			buf.Data[i] = draw(rng)
		}
		return energyStatistic(buf, target, 1)
	}
	// Each column counts the shared replicates against its own statistic
	// and stops on its own; drawing ends when all have stopped.
	draws := make([]mcDraws, m.D)
	running := m.D
	drawReplicates(mc.maxReplicates(defaultEnergyReplicates), mc.StopAfter, m.N, 1, workers, mc.progress, replicate, func(first int, values []float64) bool {
		for j, e := range observed {
			if !draws[j].stopped && draws[j].count(e, mc.StopAfter, first, values) {
				running--
			}
		}
		return running == 0
	})

	out := make([]MCResult, m.D)
	for j, e := range observed {
		out[j] = mc.result(e, draws[j].pValue(), draws[j], false, m.N)
	}
	return out, nil
}

// energyTarget supplies the two expectations of the energy statistic for a
// target distribution F: E|a - X| for a point a, and E|X - X'|.
type energyTarget interface {
	meanDistance(a []float64) float64
	selfDistance() float64
}

// energyStatistic returns E of the rows of x against target:
// 2 Σ_i E|x_i - X| - n E|X - X'| - (2/n) Σ_{i<j} |x_i - x_j|.
func energyStatistic(x Matrix, target energyTarget, workers int) float64 {
	n := float64(x.N)
	blocks := (x.N + pairBlockRows - 1) / pairBlockRows
	partial := make([]float64, blocks)
	forEachBlock(blocks, workers, func(b int) {
		s := 0.0
		for i := b * pairBlockRows; i < min(x.N, (b+1)*pairBlockRows); i++ {
			s += target.meanDistance(x.Row(i))
		}
		partial[b] = s
	})
	cross := 0.0
	for _, s := range partial {
		cross += s
	}
	var pairs float64
	if x.D == 1 {
		pairs = sumPairs1D(x.Data)
	} else {
		pairs = sumPairDistances(x, workers)
	}
	return 2*cross - n*target.selfDistance() - 2*pairs/n
}

// sumPairs1D returns Σ_{i<j} |x_i - x_j| in O(n log n): with x sorted,
// x_(k) (0-based) is the larger of a pair k times and the smaller n-1-k
// times, so the sum is Σ_k (2k - n + 1) x_(k).
func sumPairs1D(x []float64) float64 {
	s := sortedCopy(x)
	n := len(s)
	total := 0.0
	for k, v := range s {
		total += float64(2*k-n+1) * v
	}
	return total
}

// standardizedEnergy returns E of y_i = S^(-1/2)(x_i - x̄), S with divisor
// n-1, against N(0, I_d). It whitens with the Cholesky factor in place of
// S^(1/2), because the two whitenings differ by a rotation, which changes
// neither |y_i - y_j| nor the rotation-invariant E|y_i - Z|.
func standardizedEnergy(x Matrix, target energyTarget, workers int) (float64, error) {
	y, err := whiten(x, float64(x.N-1))
	if err != nil {
		return 0, err
	}
	return energyStatistic(y, target, workers), nil
}

// euclideanDistance returns |a - b|; b must be at least as long as a.
func euclideanDistance(a, b []float64) float64 {
	return math.Sqrt(squaredDistance(a, b))
}

// normalTarget is N(0, I_d).
type normalTarget struct {
	d    int
	self float64
}

func newNormalTarget(d int) normalTarget {
	// E|Z - Z'| = 2 Γ((d+1)/2)/Γ(d/2), since Z - Z' ~ N(0, 2 I_d).
	return normalTarget{d: d, self: 2 * gammaHalfRatio(float64(d)/2)}
}

func (t normalTarget) meanDistance(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v * v
	}
	return expectedNormalDistance(s, t.d)
}

func (t normalTarget) selfDistance() float64 { return t.self }

// uniform1DTarget is U[0, 1] in one dimension.
type uniform1DTarget struct{}

func (uniform1DTarget) meanDistance(a []float64) float64 {
	x := a[0]
	switch {
	case x < 0:
		return 0.5 - x
	case x > 1:
		return x - 0.5
	}
	return x*x - x + 0.5
}

func (uniform1DTarget) selfDistance() float64 { return 1.0 / 3 }

// referenceTarget replaces the expectations over U[0,1]^d by averages over
// a fixed seeded reference sample.
type referenceTarget struct {
	ref  Matrix
	self float64
}

func newReferenceTarget(d, size int, seed uint64, workers int) referenceTarget {
	rng := newRand(seed, streamReference)
	ref := Matrix{N: size, D: d, Data: make([]float64, size*d)}
	for k := range ref.Data {
		ref.Data[k] = rng.Float64()
	}
	m := float64(size)
	// V-statistic mean over all ordered pairs, diagonal included, to match
	// the sample term 1/n² Σ_ij |x_i - x_j|.
	self := 2 * sumPairDistances(ref, workers) / (m * m)
	return referenceTarget{ref: ref, self: self}
}

func (t referenceTarget) meanDistance(a []float64) float64 {
	s := 0.0
	for i := 0; i < t.ref.N; i++ {
		s += euclideanDistance(a, t.ref.Row(i))
	}
	return s / float64(t.ref.N)
}

func (t referenceTarget) selfDistance() float64 { return t.self }
