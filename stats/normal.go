package stats

import "math"

// Normal is the normal distribution with mean Mu and standard deviation
// Sigma > 0. It implements Continuous.
type Normal struct{ Mu, Sigma float64 }

// StdNormal is the standard normal distribution N(0, 1).
var StdNormal = Normal{0, 1}

func (d Normal) z(x float64) float64 { return (x - d.Mu) / d.Sigma }

// PDF returns the density at x.
func (d Normal) PDF(x float64) float64 { return NormalPDF(d.z(x)) / d.Sigma }

// CDF returns P(X <= x).
func (d Normal) CDF(x float64) float64 { return NormalCDF(d.z(x)) }

// Survival returns P(X > x).
func (d Normal) Survival(x float64) float64 { return NormalSurvival(d.z(x)) }

// LogCDF returns log P(X <= x), finite for every finite x.
func (d Normal) LogCDF(x float64) float64 { return normalLogCDF(d.z(x)) }

// LogSurvival returns log P(X > x), finite for every finite x.
func (d Normal) LogSurvival(x float64) float64 { return normalLogCDF(-d.z(x)) }

// Quantile returns the x with CDF(x) = p.
func (d Normal) Quantile(p float64) float64 { return d.Mu + d.Sigma*NormalQuantile(p) }

const (
	logSqrt2Pi = 0.91893853320467274178 // log(sqrt(2*pi))
	invSqrt2Pi = 0.39894228040143267794 // 1/sqrt(2*pi)
	// millsCutoff is where the lower tail switches from erfc to the Mills
	// ratio: below it the rounding of x/sqrt(2) would cost up to x^2 ulps
	// of relative accuracy in erfc.
	millsCutoff = 3.0
)

// NormalPDF returns the standard normal density exp(-x^2/2)/sqrt(2*pi).
// x^2 is split as h^2 + (x-h)(x+h) with h = x rounded to 1/16, so the
// exponent carries no rounding error of x*x and the relative error stays
// within a few ulps even where the density is near underflow.
func NormalPDF(x float64) float64 {
	h := math.Trunc(x*16) / 16
	return invSqrt2Pi * math.Exp(-0.5*h*h) * math.Exp(-0.5*(x-h)*(x+h))
}

// NormalCDF returns the standard normal cdf Phi(x) with full relative
// accuracy in both tails: erfc(-x/sqrt(2))/2 for x >= -3 and the density
// times the Mills ratio below, so Phi(-37) = 5.7e-300 keeps about 15
// digits (2e-15 relative against mpmath in the tests). It underflows to 0
// only below x = -38.4.
func NormalCDF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x < -millsCutoff:
		return NormalPDF(x) * millsRatio(-x)
	}
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// NormalSurvival returns 1 - Phi(x) = Phi(-x) with full relative accuracy
// in the upper tail.
func NormalSurvival(x float64) float64 { return NormalCDF(-x) }

// normalLogCDF returns log Phi(x), finite for every finite x: log1p of the
// survival for x > 0, log Phi(x) for moderate negative x, and
// -x^2/2 - log sqrt(2 pi) + log R(-x) (Mills ratio R) in the far lower tail.
func normalLogCDF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x > 0:
		return math.Log1p(-NormalCDF(-x))
	case x >= -millsCutoff:
		return math.Log(NormalCDF(x))
	}
	return -0.5*x*x - logSqrt2Pi + math.Log(millsRatio(-x))
}

// millsRatio returns R(t) = (1 - Phi(t))/phi(t) for t >= 3 from Laplace's
// continued fraction R(t) = 1/(t + 1/(t + 2/(t + 3/(t + ...)))), evaluated
// backwards from a fixed depth: 500 terms below t = 10 (the truncation
// error at t = 3 is below 1e-17 relative) and 60 above.
func millsRatio(t float64) float64 {
	depth := 500
	if t > 10 {
		depth = 60
	}
	f := t
	for k := depth; k >= 1; k-- {
		f = t + float64(k)/f
	}
	return 1 / f
}

// Coefficients of Wichura's algorithm AS 241 (PPND16), Applied Statistics
// 37(3), 477-484, 1988: rational approximations in r = 0.180625 - q^2 for
// |p - 0.5| <= 0.425, in sqrt(-log min(p, 1-p)) - 1.6 up to 5, and beyond.
var (
	as241A = [8]float64{3.3871328727963666080, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4,
		4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3}
	as241B = [8]float64{1, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
		2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3}
	as241C = [8]float64{1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550, 3.64784832476320460504,
		1.27045825245236838258, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4}
	as241D = [8]float64{1, 2.05319162663775882187, 1.67638483018380384940, 6.89767334985100004550e-1,
		1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9}
	as241E = [8]float64{6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580, 2.96560571828504891230e-1,
		2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7}
	as241F = [8]float64{1, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
		7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15}
)

// horner evaluates c[0] + c[1] x + ... + c[len-1] x^(len-1).
func horner(c []float64, x float64) float64 {
	v := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		v = v*x + c[i]
	}
	return v
}

// NormalQuantile returns the standard normal quantile Phi^-1(p) by
// Wichura's AS 241 (PPND16), whose rational approximations Wichura (1988)
// gives as accurate to about 1 part in 1e16; the tests check 1e-15 relative
// against mpmath from p = 1e-300 to 1 - 2^-20. It is the algorithm of R's
// qnorm up to R 4.2, so the Shapiro-Wilk coefficients agree with R's.
//
// Special cases: NormalQuantile(0) = -Inf, NormalQuantile(1) = +Inf, and p
// outside [0, 1] or NaN gives NaN.
func NormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * horner(as241A[:], r) / horner(as241B[:], r)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var v float64
	if r <= 5 {
		r -= 1.6
		v = horner(as241C[:], r) / horner(as241D[:], r)
	} else {
		r -= 5
		v = horner(as241E[:], r) / horner(as241F[:], r)
	}
	if q < 0 {
		return -v
	}
	return v
}
