package stats

import (
	"fmt"
	"math"
	"strings"
)

// Priors other than the Gaussian one are reached from N(0, 1) embeddings by
// the probability integral transform x = F⁻¹(Φ(z)) (FromGaussian). This file
// holds the extra target distributions, their inverse survival functions,
// which keep that transform accurate in the upper tail, and the registry of
// named priors.

// SurvivalInverter is implemented by distributions that invert their
// survival function directly. InverseSurvival(q) is the x with
// Survival(x) = q (scipy's isf). It keeps full relative accuracy for small
// q, where Quantile(1 - q) would lose the digits of q that 1 - q rounds
// away.
type SurvivalInverter interface {
	InverseSurvival(q float64) float64
}

// tailInverter is implemented by the distributions of this package whose
// quantile can be computed from a tail probability together with its log,
// so that FromGaussian stays finite and accurate where Φ(z) or Φ(-z)
// underflows to 0 (|z| > 38.4) while its log is still finite. Each method
// uses whichever of the two is more accurate for its formula.
type tailInverter interface {
	// lowerTailQuantile returns the x with CDF(x) = p, given logp = log p.
	lowerTailQuantile(p, logp float64) float64
	// upperTailQuantile returns the x with Survival(x) = q, given logq = log q.
	upperTailQuantile(q, logq float64) float64
}

// FromGaussian returns d.Quantile(Φ(z)), the value of the prior d that has
// the same probability below it as z has under N(0, 1). It maps N(0, 1)
// embeddings to the prior d.
//
// Algorithm: for z <= 0 the lower tail probability Φ(z) is accurate, and for
// z > 0 the upper one Φ(-z) is, so the transform inverts the CDF or the
// survival function from the accurate tail. For the distributions of this
// package other than Normal and Uniform it works from log Φ(±z), which is
// finite for every finite z, so FromGaussian(Logistic{0, 1}, 40) = 804.6
// and not +Inf. For Normal it is Mu + Sigma z exactly. Other types use
// InverseSurvival when they implement SurvivalInverter, else
// Quantile(1 - Φ(-z)), which loses relative accuracy in the upper tail.
//
// Special cases: NaN gives NaN. z = ±Inf gives the ends of the support
// (Quantile(0) and Quantile(1)).
func FromGaussian(d Continuous, z float64) float64 {
	if math.IsNaN(z) {
		return math.NaN()
	}
	if normal, ok := d.(Normal); ok {
		return normal.Mu + normal.Sigma*z
	}
	if math.IsInf(z, 0) {
		if z < 0 {
			return d.Quantile(0)
		}
		return d.Quantile(1)
	}
	if inv, ok := d.(tailInverter); ok {
		if z <= 0 {
			return inv.lowerTailQuantile(NormalCDF(z), normalLogCDF(z))
		}
		return inv.upperTailQuantile(NormalSurvival(z), normalLogCDF(-z))
	}
	if z <= 0 {
		return d.Quantile(NormalCDF(z))
	}
	q := NormalSurvival(z)
	if inv, ok := d.(SurvivalInverter); ok {
		return inv.InverseSurvival(q)
	}
	return d.Quantile(1 - q)
}

// ToGaussian returns Φ⁻¹(d.CDF(x)), the inverse of FromGaussian: it maps
// values of the prior d to N(0, 1), so that a sample from d can be checked
// with the normality tests. It inverts Φ from the smaller tail, using
// -Φ⁻¹(d.Survival(x)) where the survival probability is below 1/2, so that
// both tails keep their relative accuracy. Where that tail probability is
// below 1e-300 (|z| above about 37) or underflows to 0, it works from the
// log of the tail probability, d.LogSurvival(x) or d.LogCDF(x), which
// stays finite: ToGaussian(Logistic{0, 1}, 800) = 39.88 and not +Inf.
//
// Special cases: NaN gives NaN, and x outside the support gives ±Inf
// (the log tail probability is -Inf there).
func ToGaussian(d Continuous, x float64) float64 {
	if normal, ok := d.(Normal); ok {
		return (x - normal.Mu) / normal.Sigma
	}
	if math.IsNaN(x) {
		return math.NaN()
	}
	if q := d.Survival(x); q < 0.5 {
		if q >= farTail {
			return -NormalQuantile(q)
		}
		return normalTailQuantile(d.LogSurvival(x))
	}
	if p := d.CDF(x); p >= farTail {
		return NormalQuantile(p)
	}
	return -normalTailQuantile(d.LogCDF(x))
}

// farTail is the tail probability below which ToGaussian inverts Φ from
// the log of the probability: AS 241 is accurate down to about 1e-300, and
// the subnormal numbers below 2.2e-308 lose digits.
const farTail = 1e-300

// normalTailQuantile returns the z > 0 with log Φ(-z) = logq, for the far
// tail logq < log(1e-300), where z > 37: -Inf gives +Inf.
//
// Algorithm: Newton's method on g(z) = log Φ(-z) - logq, whose derivative
// is -φ(z)/Φ(-z) = -1/R(z) with R the Mills ratio (millsRatio), so each
// step adds g(z) R(z). The start is the two-term asymptotic solution
// z0² = t - log t with t = -2 logq - log 2π, from Φ(-z) ≈ φ(z)/z; it is
// within 1e-4 of the root at z = 37 and closer further out, so two or
// three steps reach full precision. The result has relative error about 1e-16: g loses the absolute digits of
// logq (1e-13 at logq = -700), which R ≈ 1/z shrinks in the step.
func normalTailQuantile(logq float64) float64 {
	if math.IsNaN(logq) {
		return math.NaN()
	}
	if math.IsInf(logq, -1) {
		return math.Inf(1)
	}
	if logq > math.Log(farTail) {
		return -NormalQuantile(math.Exp(logq))
	}
	t := -2*logq - math.Log(2*math.Pi)
	z := math.Sqrt(t - math.Log(t))
	for range 20 {
		step := (normalLogCDF(-z) - logq) * millsRatio(z)
		z += step
		if math.Abs(step) <= 1e-16*z {
			break
		}
	}
	return z
}

// PriorNames lists the priors PriorByName accepts, in help-text order.
var PriorNames = []string{"gaussian", "uniform", "logistic", "laplace", "exponential"}

// PriorByName returns the standard prior called name: "gaussian" N(0, 1),
// "uniform" U(0, 1), "logistic" Logistic{0, 1}, "laplace" Laplace{0, 1} and
// "exponential" Exponential{1}. An unknown name gives an error that lists
// the valid names.
func PriorByName(name string) (Continuous, error) {
	switch name {
	case "gaussian":
		return StdNormal, nil
	case "uniform":
		return Uniform{0, 1}, nil
	case "logistic":
		return Logistic{0, 1}, nil
	case "laplace":
		return Laplace{0, 1}, nil
	case "exponential":
		return Exponential{1}, nil
	}
	return nil, fmt.Errorf("stats: unknown prior %q: use one of %s", name, strings.Join(PriorNames, ", "))
}

// InverseSurvival returns the x with Survival(x) = q, Mu - Sigma Φ⁻¹(q).
// Special cases as NormalQuantile.
func (d Normal) InverseSurvival(q float64) float64 { return d.Mu - d.Sigma*NormalQuantile(q) }

// InverseSurvival returns B - q(B-A) for q in [0, 1] and NaN otherwise.
func (d Uniform) InverseSurvival(q float64) float64 {
	if math.IsNaN(q) || q < 0 || q > 1 {
		return math.NaN()
	}
	return d.B - q*(d.B-d.A)
}

// softplus returns log(1 + e^t) without overflow for large t and with full
// relative accuracy for very negative t.
func softplus(t float64) float64 {
	if t > 0 {
		return t + math.Log1p(math.Exp(-t))
	}
	return math.Log1p(math.Exp(t))
}

// log1mExp returns log(1 - e^a) for a <= 0, by log(-expm1(a)) for
// a > -ln 2 and log1p(-e^a) below. This is the split of M. Mächler,
// "Accurately Computing log(1 - exp(-|a|))", Rmpfr package vignette (2012),
// which keeps full relative accuracy on both sides. a = 0 gives -Inf.
func log1mExp(a float64) float64 {
	if a > -math.Ln2 {
		return logSubnormal(-math.Expm1(a))
	}
	return math.Log1p(-math.Exp(a))
}

// logSubnormal returns log x, also for subnormal x (below 2^-1022), where
// math.Log on amd64 (its assembly, Go 1.26) is wrong: it stays between
// -708.4 and -709.09, so math.Log(1e-310) gives -709.085, not -713.801,
// and math.Log(5e-324) -709.09, not -744.44. A subnormal x is split by
// math.Frexp into a normal fraction and a power of 2.
func logSubnormal(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		frac, exp := math.Frexp(x)
		return math.Log(frac) + float64(exp)*math.Ln2
	}
	return math.Log(x)
}

// Logistic is the logistic distribution with location Mu and scale S > 0:
// CDF(x) = 1/(1 + exp(-(x-Mu)/S)), mean Mu, variance π²S²/3. It implements
// Continuous and SurvivalInverter. Every method returns NaN unless S > 0.
type Logistic struct{ Mu, S float64 }

func (d Logistic) z(x float64) float64 {
	if !(d.S > 0) {
		return math.NaN()
	}
	return (x - d.Mu) / d.S
}

// logisticCDF returns 1/(1 + e^-z), formed from e^-|z| so that neither
// tail overflows and the lower tail keeps its relative accuracy.
func logisticCDF(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// logit returns log(p/(1-p)) as log p - log1p(-p), accurate at both ends.
func logit(p float64) float64 { return math.Log(p) - math.Log1p(-p) }

// PDF returns e^-|z|/(S(1 + e^-|z|)²) with z = (x-Mu)/S.
func (d Logistic) PDF(x float64) float64 {
	e := math.Exp(-math.Abs(d.z(x)))
	return e / (d.S * (1 + e) * (1 + e))
}

// CDF returns P(X <= x).
func (d Logistic) CDF(x float64) float64 { return logisticCDF(d.z(x)) }

// Survival returns P(X > x) = CDF(Mu - (x-Mu)), accurate in the upper tail.
func (d Logistic) Survival(x float64) float64 { return logisticCDF(-d.z(x)) }

// LogCDF returns log P(X <= x) = -log(1 + e^-z), finite for every finite x.
func (d Logistic) LogCDF(x float64) float64 { return -softplus(-d.z(x)) }

// LogSurvival returns log P(X > x) = -log(1 + e^z), finite for every finite x.
func (d Logistic) LogSurvival(x float64) float64 { return -softplus(d.z(x)) }

// Quantile returns Mu + S log(p/(1-p)): -Inf at p = 0, +Inf at p = 1, NaN
// outside [0, 1].
func (d Logistic) Quantile(p float64) float64 {
	if !(p >= 0 && p <= 1 && d.S > 0) {
		return math.NaN()
	}
	return d.Mu + d.S*logit(p)
}

// InverseSurvival returns the x with Survival(x) = q, Mu - S log(q/(1-q)).
func (d Logistic) InverseSurvival(q float64) float64 {
	if !(q >= 0 && q <= 1 && d.S > 0) {
		return math.NaN()
	}
	return d.Mu - d.S*logit(q)
}

func (d Logistic) lowerTailQuantile(p, logp float64) float64 {
	if !(d.S > 0) {
		return math.NaN()
	}
	return d.Mu + d.S*(logp-math.Log1p(-p))
}

func (d Logistic) upperTailQuantile(q, logq float64) float64 {
	if !(d.S > 0) {
		return math.NaN()
	}
	return d.Mu - d.S*(logq-math.Log1p(-q))
}

// Laplace is the Laplace (double exponential) distribution with location Mu
// and scale B > 0: density exp(-|x-Mu|/B)/(2B), variance 2B². It implements
// Continuous and SurvivalInverter. Every method returns NaN unless B > 0.
type Laplace struct{ Mu, B float64 }

func (d Laplace) z(x float64) float64 {
	if !(d.B > 0) {
		return math.NaN()
	}
	return (x - d.Mu) / d.B
}

// laplaceLowerTail returns CDF(z) of the standard Laplace law for z <= 0
// and the survival function of -z otherwise: e^-|z|/2 on the small side and
// 1 - e^-|z|/2 on the other.
func laplaceLowerTail(z float64) float64 {
	if z < 0 {
		return 0.5 * math.Exp(z)
	}
	return 1 - 0.5*math.Exp(-z)
}

// laplaceLogLowerTail returns log laplaceLowerTail(z).
func laplaceLogLowerTail(z float64) float64 {
	if z < 0 {
		return z - math.Ln2
	}
	return math.Log1p(-0.5 * math.Exp(-z))
}

// PDF returns exp(-|x-Mu|/B)/(2B).
func (d Laplace) PDF(x float64) float64 { return math.Exp(-math.Abs(d.z(x))) / (2 * d.B) }

// CDF returns P(X <= x).
func (d Laplace) CDF(x float64) float64 { return laplaceLowerTail(d.z(x)) }

// Survival returns P(X > x), accurate in the upper tail.
func (d Laplace) Survival(x float64) float64 { return laplaceLowerTail(-d.z(x)) }

// LogCDF returns log P(X <= x), finite for every finite x.
func (d Laplace) LogCDF(x float64) float64 { return laplaceLogLowerTail(d.z(x)) }

// LogSurvival returns log P(X > x), finite for every finite x.
func (d Laplace) LogSurvival(x float64) float64 { return laplaceLogLowerTail(-d.z(x)) }

// Quantile returns Mu + B log(2p) for p <= 1/2 and Mu - B log(2(1-p))
// above: -Inf at p = 0, +Inf at p = 1, NaN outside [0, 1].
func (d Laplace) Quantile(p float64) float64 {
	if !(p >= 0 && p <= 1 && d.B > 0) {
		return math.NaN()
	}
	if p <= 0.5 {
		return d.Mu + d.B*math.Log(2*p)
	}
	return d.Mu - d.B*math.Log(2*(1-p)) // 1-p is exact for p >= 1/2
}

// InverseSurvival returns the x with Survival(x) = q: Mu - B log(2q) for
// q <= 1/2 and Mu + B log(2(1-q)) above, mirroring Quantile without
// forming 1-q.
func (d Laplace) InverseSurvival(q float64) float64 {
	if !(q >= 0 && q <= 1 && d.B > 0) {
		return math.NaN()
	}
	if q <= 0.5 {
		return d.Mu - d.B*math.Log(2*q)
	}
	return d.Mu + d.B*math.Log(2*(1-q))
}

// lowerTailQuantile works from logp for p <= 1/2, where it is exact, and
// from p above.
func (d Laplace) lowerTailQuantile(p, logp float64) float64 {
	if p > 0.5 || !(d.B > 0) {
		return d.Quantile(p)
	}
	return d.Mu + d.B*(math.Ln2+logp)
}

func (d Laplace) upperTailQuantile(q, logq float64) float64 {
	if q > 0.5 || !(d.B > 0) {
		return d.InverseSurvival(q)
	}
	return d.Mu - d.B*(math.Ln2+logq)
}

// Exponential is the exponential distribution with rate Rate > 0 on
// [0, +Inf): density Rate e^(-Rate x), mean 1/Rate. Below 0 its CDF is 0
// and its LogCDF -Inf. It implements Continuous and SurvivalInverter. Every
// method returns NaN unless Rate > 0.
type Exponential struct{ Rate float64 }

// PDF returns Rate e^(-Rate x) for x >= 0 and 0 below.
func (d Exponential) PDF(x float64) float64 {
	switch {
	case !(d.Rate > 0) || math.IsNaN(x):
		return math.NaN()
	case x < 0:
		return 0
	}
	return d.Rate * math.Exp(-d.Rate*x)
}

// CDF returns 1 - e^(-Rate x) by expm1, accurate for small x, and 0 below 0.
func (d Exponential) CDF(x float64) float64 {
	switch {
	case !(d.Rate > 0) || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 0
	}
	return -math.Expm1(-d.Rate * x)
}

// Survival returns e^(-Rate x), and 1 below 0.
func (d Exponential) Survival(x float64) float64 {
	switch {
	case !(d.Rate > 0) || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	}
	return math.Exp(-d.Rate * x)
}

// LogCDF returns log(1 - e^(-Rate x)), finite for every x > 0, and -Inf for
// x <= 0.
func (d Exponential) LogCDF(x float64) float64 {
	switch {
	case !(d.Rate > 0) || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return math.Inf(-1)
	}
	return log1mExp(-d.Rate * x)
}

// LogSurvival returns -Rate x, and 0 below 0.
func (d Exponential) LogSurvival(x float64) float64 {
	switch {
	case !(d.Rate > 0) || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 0
	}
	return -d.Rate * x
}

// Quantile returns -log(1-p)/Rate by log1p: 0 at p = 0, +Inf at p = 1, NaN
// outside [0, 1].
func (d Exponential) Quantile(p float64) float64 {
	if !(p >= 0 && p <= 1 && d.Rate > 0) {
		return math.NaN()
	}
	return 0 - math.Log1p(-p)/d.Rate // 0 - turns -0 at p = 0 into +0
}

// InverseSurvival returns -log(q)/Rate: +Inf at q = 0, 0 at q = 1, NaN
// outside [0, 1].
func (d Exponential) InverseSurvival(q float64) float64 {
	if !(q >= 0 && q <= 1 && d.Rate > 0) {
		return math.NaN()
	}
	return 0 - math.Log(q)/d.Rate
}

// lowerTailQuantile uses p alone: where p underflows to 0 the quantile,
// about p/Rate, is below the smallest float64 as well.
func (d Exponential) lowerTailQuantile(p, _ float64) float64 { return d.Quantile(p) }

func (d Exponential) upperTailQuantile(_, logq float64) float64 {
	if !(d.Rate > 0) {
		return math.NaN()
	}
	return 0 - logq/d.Rate
}
