package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Forms of sphericity and mean-covariance for samples with no more rows
// than columns.
//
// With n <= d the sample covariance matrix is singular, so Bartlett's
// statistic (log det R) and the likelihood-ratio statistic (log det S)
// are undefined. The statistics below need no determinant. Their laws
// under the null depend on n and d alone (and, for the uniform prior, on
// its marginal), so replicates of n x d samples from the null give Monte
// Carlo p-values that are exact at every n. Each replicate costs
// O(min(n, d)² max(n, d)), about one energy replicate on the same rows.

// Streams of the PCG generator for the replicates of the two tests:
// replicate r of each draws from its stream + r.
const (
	streamSchott             = 0x5eed_6000_0000_0000
	streamMeanCovarianceQuad = 0x5eed_7000_0000_0000
)

// defaultFewRowsReplicates is the fixed replicate count of
// SphericitySchott and MeanCovarianceQuadratic when mc sets none.
const defaultFewRowsReplicates = 9999

// SphericitySchott tests that the components are independent with the
// sum of squared pairwise correlations, which needs no determinant and
// so runs with fewer rows than columns, where Sphericity cannot. The
// statistic is that of J. R. Schott (2005).
//
// Null hypothesis: the components are independent and normal; their
// means and variances are free.
//
// Statistic: Schott's standardized form
//
//	t = (Σ_{j<k} r_jk² - d(d-1)/(2(n-1))) / sqrt(d(d-1)(n-2) / ((n-1)²(n+1))),
//
// with r_jk the Pearson correlations. Under the null each r_jk² is
// Beta(1/2, (n-2)/2), with mean 1/(n-1) and variance
// 2(n-2)/((n-1)²(n+1)), and the r_jk² are pairwise uncorrelated, so t has
// mean 0 and variance 1. Large values mean correlated components.
//
// P-value: Monte Carlo, from replicates of n x d standard normal values
// (PCG stream streamSchott + r for replicate r), as mc sets their count
// (9999 when it sets none), with ties counted against t. The correlation
// matrix of independent normal columns has a law that depends on n and d
// alone, so the p-value is exact up to its Monte Carlo error. t tends to
// N(0, 1) as n and d grow, and NormalSurvival(t) is the usual asymptotic
// p-value. mc.MaxSamples is ignored, so the test reads every row.
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - d = 1 or n < 3: error. Two rows give correlations of ±1 only.
//   - a constant component: error naming it.
//   - collinear components: allowed, each pair with correlation ±1 adds
//     1 to the sum. When every component is a multiple of one, t is at
//     its largest value, which replicates from the null reach with
//     probability 0, so p = 1/(B+1) with B replicates.
func SphericitySchott(m Matrix, mc MonteCarlo) (MCResult, error) {
	return schottMonteCarlo(m, mc, (*rand.Rand).NormFloat64)
}

// schottMonteCarlo is SphericitySchott with replicates whose values come
// from draw, the marginal of the null.
func schottMonteCarlo(m Matrix, mc MonteCarlo, draw func(*rand.Rand) float64) (MCResult, error) {
	const test = "Schott sphericity test"
	if err := checkMatrix(m, 3, false, test); err != nil {
		return MCResult{}, err
	}
	if m.D < 2 {
		return MCResult{}, fmt.Errorf("stats: %s: needs at least 2 columns, got 1", test)
	}
	stat, err := schottStatistic(Matrix{N: m.N, D: m.D, Data: slices.Clone(m.Data)})
	if err != nil {
		return MCResult{}, fmt.Errorf("stats: %s: %w", test, err)
	}
	replicate := func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamSchott+uint64(r))
		for k := range buf.Data {
			buf.Data[k] = draw(rng)
		}
		t, err := schottStatistic(buf)
		if err != nil {
			// A constant column of continuous draws has probability 0,
			// so it counts as below the statistic.
			return math.Inf(-1)
		}
		return t
	}
	draws := mc.countReplicates(tieFloor(stat), defaultFewRowsReplicates, m.N, m.D, replicate)
	return mc.result(stat, draws.pValue(), draws, false, m.N), nil
}

// schottStatistic returns Schott's standardized statistic of z, n >= 3
// rows and d >= 2 columns, whose columns it centres and scales to unit
// length in place. A constant column returns an error naming it.
func schottStatistic(z Matrix) (float64, error) {
	n, d := z.N, z.D
	for j := 0; j < d; j++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += z.Data[i*d+j]
		}
		mean /= float64(n)
		var ss float64
		for i := 0; i < n; i++ {
			v := z.Data[i*d+j] - mean
			z.Data[i*d+j] = v
			ss += v * v
		}
		if !(ss > 0) {
			return 0, fmt.Errorf("component %d is constant; drop it", j)
		}
		scale := 1 / math.Sqrt(ss)
		for i := 0; i < n; i++ {
			z.Data[i*d+j] *= scale
		}
	}
	// With unit columns R = ZᵀZ, whose d diagonal entries are 1.
	sumSq := (gramFrobeniusSq(z) - float64(d)) / 2
	nf, df := float64(n), float64(d)
	mean := df * (df - 1) / (2 * (nf - 1))
	sd := math.Sqrt(df * (df - 1) * (nf - 2) / ((nf - 1) * (nf - 1) * (nf + 1)))
	return (sumSq - mean) / sd, nil
}

// gramFrobeniusSq returns the squared Frobenius norm of ZᵀZ for the
// n x d matrix z. It equals that of ZZᵀ, and the function forms the
// smaller of the two Gram matrices one entry at a time, which costs
// min(n, d)² max(n, d)/2 multiply-adds.
func gramFrobeniusSq(z Matrix) float64 {
	rows, cols, data := z.N, z.D, z.Data
	if z.N > z.D {
		// Transpose, so that the rows are the d columns of z.
		data = make([]float64, len(z.Data))
		for i := 0; i < z.N; i++ {
			for j := 0; j < z.D; j++ {
				data[j*z.N+i] = z.Data[i*z.D+j]
			}
		}
		rows, cols = z.D, z.N
	}
	var diag, off float64
	for a := 0; a < rows; a++ {
		ra := data[a*cols : (a+1)*cols]
		g := dot(ra, ra)
		diag += g * g
		for b := a + 1; b < rows; b++ {
			g := dot(ra, data[b*cols:(b+1)*cols])
			off += g * g
		}
	}
	return diag + 2*off
}

// MeanCovarianceQuadResult is the outcome of MeanCovarianceQuadratic.
// Result contains the whole statistic and its Monte Carlo p-value.
type MeanCovarianceQuadResult struct {
	MCResult
	// MeanPart is n·|x̄|², the part of the statistic due to the sample
	// mean. Under the null it is χ² with d degrees of freedom and
	// independent of CovariancePart.
	MeanPart float64
	// CovariancePart is (n/2)·|S - I|², with S the covariance (divisor n)
	// and |·| the Frobenius norm.
	CovariancePart float64
	// CovarianceNullMean is the mean of CovariancePart under the null,
	// (d(2n-1) + d(d-1)(n-1)) / (2n).
	CovarianceNullMean float64
}

// MeanCovarianceQuadratic tests the fully specified N(0, I) with the
// quadratic approximation of the likelihood-ratio statistic of
// MeanCovariance, which needs no determinant and so runs with no more
// rows than columns, where MeanCovariance cannot.
//
// Null hypothesis: the rows are independent draws of N(0, I).
//
// Statistic: Q = n|x̄|² + (n/2)|S - I|², with S the covariance (divisor
// n) and |·| the Euclidean and Frobenius norms. Near S = I,
// tr S - ln det S - d = |S - I|²/2 + O(|S - I|³), so Q is the
// second-order form of MeanCovariance's T. Q is 0 only when x̄ = 0 and
// S = I. With n <= d, S has at most n - 1 non-zero eigenvalues, so
// (n/2)|S - I|² is at least n(d - n + 1)/2 on every sample. Large values
// mean a shifted mean, a wrong scale or correlated components.
//
// P-value: Monte Carlo, from replicates of n x d standard normal values
// (PCG stream streamMeanCovarianceQuad + r for replicate r), as mc sets
// their count (9999 when it sets none), with ties counted against Q.
// The null is fully specified, so the p-value is exact up to its Monte
// Carlo error at every n. mc.MaxSamples is ignored, so the test reads
// every row.
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - n < 2: error.
//   - constant or collinear components: allowed, S is not inverted.
func MeanCovarianceQuadratic(m Matrix, mc MonteCarlo) (MeanCovarianceQuadResult, error) {
	const test = "quadratic mean-covariance test"
	if err := checkMatrix(m, 2, false, test); err != nil {
		return MeanCovarianceQuadResult{}, err
	}
	meanPart, covPart := meanCovarianceQuadParts(Matrix{N: m.N, D: m.D, Data: slices.Clone(m.Data)})
	stat := meanPart + covPart
	replicate := func(r int, buf Matrix) float64 {
		rng := newRand(mc.Seed, streamMeanCovarianceQuad+uint64(r))
		for k := range buf.Data {
			buf.Data[k] = rng.NormFloat64()
		}
		mp, cp := meanCovarianceQuadParts(buf)
		return mp + cp
	}
	draws := mc.countReplicates(tieFloor(stat), defaultFewRowsReplicates, m.N, m.D, replicate)
	nf, df := float64(m.N), float64(m.D)
	return MeanCovarianceQuadResult{
		MCResult:           mc.result(stat, draws.pValue(), draws, false, m.N),
		MeanPart:           meanPart,
		CovariancePart:     covPart,
		CovarianceNullMean: (df*(2*nf-1) + df*(df-1)*(nf-1)) / (2 * nf),
	}, nil
}

// meanCovarianceQuadParts returns n|x̄|² and (n/2)|S - I|² of x, whose
// columns it centres in place. It uses |S - I|² = |S|² - 2 tr S + d.
// Its terms are about d, and under the null their sum is about
// d(d+1)/n, so the cancellation loses about log10(n/(d+1)) digits:
// none when n <= d.
func meanCovarianceQuadParts(x Matrix) (meanPart, covPart float64) {
	n, d := x.N, x.D
	mean := meanVector(x)
	var meanSq float64
	for _, v := range mean {
		meanSq += v * v
	}
	var trace float64
	for i := 0; i < n; i++ {
		row := x.Row(i)
		for j := range row {
			row[j] -= mean[j]
			trace += row[j] * row[j]
		}
	}
	nf := float64(n)
	// nS = XcᵀXc, with Xc the centred sample.
	frob := gramFrobeniusSq(x) / (nf * nf)
	covPart = nf / 2 * (frob - 2*trace/nf + float64(d))
	return nf * meanSq, math.Max(covPart, 0)
}

// schottEntry runs SphericitySchott for the report on m, n <= d rows,
// with the replicates of fewRowsMonteCarlo. For the uniform prior the
// replicates are U[0, 1] values, which makes the p-value exact under that
// prior.
func schottEntry(m Matrix, opts ReportOptions) TestEntry {
	draw := (*rand.Rand).NormFloat64
	if opts.Prior == "uniform" {
		draw = (*rand.Rand).Float64
	}
	res, err := schottMonteCarlo(m, opts.fewRowsMonteCarlo(m.D), draw)
	e := TestEntry{Name: "sphericity", Component: -1}
	if err == nil {
		e.Extra = mcExtra(res)
		e.Extra["statistic_form"] = "schott"
		e.Extra["asymptotic_p_value"] = NormalSurvival(res.Statistic)
	}
	return finishEntry(e, res.Result, err)
}

// meanCovarianceQuadEntry runs MeanCovarianceQuadratic for the report on
// m, n <= d rows, with the replicates of fewRowsMonteCarlo.
func meanCovarianceQuadEntry(m Matrix, opts ReportOptions) TestEntry {
	res, err := MeanCovarianceQuadratic(m, opts.fewRowsMonteCarlo(m.D))
	e := TestEntry{Name: "mean-covariance", Component: -1}
	if err == nil {
		e.Extra = mcExtra(res.MCResult)
		e.Extra["statistic_form"] = "quadratic"
		e.Extra["mean_part"] = res.MeanPart
		e.Extra["covariance_part"] = res.CovariancePart
		e.Extra["covariance_null_mean"] = res.CovarianceNullMean
	}
	return finishEntry(e, res.Result, err)
}

// fewRowsMonteCarlo returns the Monte Carlo settings of the few-rows forms
// of sphericity and mean-covariance on d columns. They are those of
// monteCarlo, except that a fixed Replicates below the least count that
// lets Holm reject on one of these p-values alone is raised to that
// count (reportMaxReplicates), as HolmMomentReplicates does for the
// moment tests. With n <= d a replicate costs at most d³/2 multiply-adds,
// and the reports that end nidim train and eval fix Replicates at
// QuickReplicates, whose p-values of at least 1/200 let Holm reject only
// in a family of at most 2. The count stays as set when no count up to
// DefaultMaxReplicates would let Holm reject alone (more than 200
// p-values at alpha 0.01), because drawing more would then change little.
func (opts ReportOptions) fewRowsMonteCarlo(d int) MonteCarlo {
	mc := opts.monteCarlo()
	if opts.Replicates == 0 {
		return mc
	}
	need := holmReplicates(familySize(opts, d), opts.Alpha)
	if need <= opts.Replicates || need > DefaultMaxReplicates {
		return mc
	}
	mc.Replicates = max(need, minReportReplicates)
	mc.progress = opts.progress.replicatesDrawn(mc.Replicates, false)
	return mc
}
