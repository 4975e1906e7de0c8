package stats

import (
	"fmt"
	"math"
)

// Alternative selects the alternative hypothesis of a one-sample
// Kolmogorov-Smirnov test, with scipy's naming.
type Alternative int

const (
	// TwoSided tests whether the sample cdf differs from F anywhere:
	// statistic D = max(D+, D-).
	TwoSided Alternative = iota
	// Less tests whether the sample cdf lies below F somewhere (the sample is
	// stochastically larger): statistic D- = max_i (F(x_(i)) - (i-1)/n).
	Less
	// Greater tests whether the sample cdf lies above F somewhere (the sample
	// is stochastically smaller): statistic D+ = max_i (i/n - F(x_(i))).
	Greater
)

// String returns "two-sided", "less" or "greater".
func (a Alternative) String() string {
	switch a {
	case TwoSided:
		return "two-sided"
	case Less:
		return "less"
	case Greater:
		return "greater"
	}
	return fmt.Sprintf("Alternative(%d)", int(a))
}

// KSResult is the outcome of a one-sample Kolmogorov-Smirnov test: the
// statistic selected by the alternative, its p-value, both one-sided
// statistics and whether the p-value is exact (false when the asymptotic
// approximation was used).
type KSResult struct {
	Result
	DPlus, DMinus float64
	Exact         bool
}

// ksStatistics returns D+ = max_i (i/n - F(x_(i))) and
// D- = max_i (F(x_(i)) - (i-1)/n) for the sorted sample s.
func ksStatistics(s []float64, cdf func(float64) float64) (dPlus, dMinus float64) {
	nf := float64(len(s))
	for i, v := range s {
		f := cdf(v)
		dPlus = max(dPlus, float64(i+1)/nf-f)
		dMinus = max(dMinus, f-float64(i)/nf)
	}
	return dPlus, dMinus
}

// KolmogorovSmirnov tests whether x is a sample from the fully specified
// continuous distribution d.
//
// Statistic: D+ = max_i (i/n - F(x_(i))), D- = max_i (F(x_(i)) - (i-1)/n)
// and, for TwoSided, D = max(D+, D-); Less uses D-, Greater uses D+. Both
// one-sided values are returned in DPlus and DMinus.
//
// Null hypothesis: the x_i are independent draws from d.
//
// P-value: one-sided, the exact Smirnov (1944) / Birnbaum-Tingey (1951) sum
// for every n (relative error about 1e-16 n log n). Two-sided, twice the
// one-sided p when that is below 2e-3 (1e-9 relative, so tiny p-values keep
// their digits), else exact for n <= 140 by the Marsaglia-Tsang-Wang (2003)
// matrix method (1e-14 absolute); for larger n the matrix method as long
// as it costs at most about 2 ms, and otherwise the Kolmogorov limit with
// Vrbik's (2018) finite-n correction, absolute error below 0.025/n, with
// Exact set to false.
// See ksTwoSidedSurvival for the exact switch points.
//
// Valid n: 2 or more.
//
// Special cases:
//   - NaN or ±Inf in x: error naming the index.
//   - fewer than 2 values: error.
//   - constant data c: allowed, with D = max(F(c), 1 - F(c)) >= 1/2, so
//     a collapsed sample of more than a few values is rejected.
//   - ties: allowed; the statistic is computed as for distinct values, and
//     the p-value assumes a continuous F.
//   - values outside the support of d: allowed (CDF 0 or 1).
func KolmogorovSmirnov(x []float64, d Continuous, alt Alternative) (KSResult, error) {
	const test = "ks"
	if alt != TwoSided && alt != Less && alt != Greater {
		return KSResult{}, fmt.Errorf("stats: %s: invalid alternative %d: use TwoSided, Less or Greater", test, int(alt))
	}
	if err := checkSampleAllowConstant(x, 2, 0, test); err != nil {
		return KSResult{}, err
	}
	s := sortedCopy(x)
	n := len(s)
	dPlus, dMinus := ksStatistics(s, d.CDF)
	res := KSResult{DPlus: dPlus, DMinus: dMinus, Exact: true}
	switch alt {
	case TwoSided:
		res.Statistic = max(dPlus, dMinus)
		res.PValue, res.Exact = ksTwoSidedSurvival(n, res.Statistic)
	case Less:
		res.Statistic = dMinus
		res.PValue = smirnovSurvival(n, dMinus)
	case Greater:
		res.Statistic = dPlus
		res.PValue = smirnovSurvival(n, dPlus)
	}
	return res, nil
}

// Lilliefors tests composite normality with the Kolmogorov-Smirnov
// statistic of the standardized sample (Lilliefors 1967).
//
// Statistic: D = max(D+, D-) of z_i = (x_i - mean)/sd against N(0, 1), with
// sd using divisor n-1.
//
// Null hypothesis: x comes from some normal distribution.
//
// P-value: the Dallal and Wilkinson (1986) formula
// exp(-7.01256 K^2 (n+2.78019) + 2.99587 K sqrt(n+2.78019) - 0.122119
// + 0.974598/sqrt(n) + 1.67997/n), with K = D (n/100)^0.49 and n = 100 when
// n > 100. When it exceeds 0.1, Stephens' (1974) quartic polynomials in the
// modified statistic (sqrt(n) - 0.01 + 0.85/sqrt(n)) D replace it, as R's
// nortest::lillie.test does (matched to 1e-9 relative). Both are fitted
// approximations: about two decimal digits, and the p-value is 1 below
// modified D = 0.302 and 0 above 1.31. The result is clamped to [0, 1].
//
// Valid n: 5 or more.
//
// Special cases: NaN or ±Inf, fewer than 5 values and constant data give
// an error; ties are allowed (the p-value assumes continuous data).
func Lilliefors(x []float64) (Result, error) {
	if err := checkSample(x, 5, 0, "lilliefors"); err != nil {
		return Result{}, err
	}
	s := sortedCopy(x)
	scaleInPlace(s, unitScale(s))
	n := len(s)
	mean, sd := meanSD(s)
	dPlus, dMinus := ksStatistics(s, func(v float64) float64 { return NormalCDF((v - mean) / sd) })
	k := max(dPlus, dMinus)
	return Result{Statistic: k, PValue: lillieforsPValue(k, n)}, nil
}

func lillieforsPValue(k float64, n int) float64 {
	nf := float64(n)
	kd, nd := k, nf
	if n > 100 {
		kd = k * math.Pow(nf/100, 0.49)
		nd = 100
	}
	p := math.Exp(-7.01256*kd*kd*(nd+2.78019) + 2.99587*kd*math.Sqrt(nd+2.78019) -
		0.122119 + 0.974598/math.Sqrt(nd) + 1.67997/nd)
	if p <= 0.1 {
		return clampProbability(p)
	}
	kk := (math.Sqrt(nf) - 0.01 + 0.85/math.Sqrt(nf)) * k
	switch {
	case kk <= 0.302:
		p = 1
	case kk <= 0.5:
		p = 2.76773 - 19.828315*kk + 80.709644*kk*kk - 138.55152*kk*kk*kk + 81.218052*kk*kk*kk*kk
	case kk <= 0.9:
		p = -4.901232 + 40.662806*kk - 97.490286*kk*kk + 94.029866*kk*kk*kk - 32.355711*kk*kk*kk*kk
	case kk <= 1.31:
		p = 6.198765 - 19.558097*kk + 23.186922*kk*kk - 12.234627*kk*kk*kk + 2.423045*kk*kk*kk*kk
	default:
		p = 0
	}
	return clampProbability(p)
}
