package stats

import "math"

// The limiting laws of the Anderson-Darling and Cramér-von Mises statistics
// are those of A = sum_j lambda_j X_j with independent chi-square X_j of one
// degree of freedom. Their upper tails are computed here without forming
// 1 - cdf, which loses every digit once the p-value is below about 1e-16.
//
// With s_j = 1/(2 lambda_j) in increasing order, the moment generating
// function M(s) = E exp(sA) = prod_j (1 - s/s_j)^(-1/2) is analytic off
// the real axis, and the inversion integral
// P(A > z) = (1/(2 pi i)) int M(s) exp(-sz)/s ds along Re s = c in
// (0, s_1) can be moved onto the positive real axis. M is imaginary on
// (s_k, s_(k+1)) for odd k, because an odd number of factors is negative
// there, and real elsewhere, so only those cuts contribute:
//
//	P(A > z) = (1/pi) sum_{m>=1} (-1)^(m-1) int_{s_k}^{s_(k+1)} exp(-sz) |M(s)|/s ds,  k = 2m - 1.
//
// Every integral is positive, and the first carries all but a fraction of
// about exp(-(s_3 - s_1) z) of the sum, so for large z nothing cancels.

// cutSurvival returns the sum above for cuts (lo_m, hi_m) = cut(m),
// m = 1, 2, ..., stopping when exp(-lo_m z) falls below 1e-18 of the
// sum. modulus(m, s, fromLo, fromHi) returns |M(s)|/s on cut m, given
// s - lo and hi - s exactly, so that it can form the factors that vanish
// at the ends of the cut without cancellation.
//
// The substitution s = lo + (hi - lo) sin^2(t) removes the inverse
// square-root singularities at both ends: the integrand in t is analytic,
// even and of period pi, so the midpoint rule on [0, pi/2] converges
// geometrically. Its nodes are spaced well below the width
// 1/sqrt(z (hi - lo)) of the factor exp(-(s - lo) z).
func cutSurvival(z float64, cut func(m int) (lo, hi float64), modulus func(m int, s, fromLo, fromHi float64) float64) float64 {
	var sum float64
	for m := 1; m <= 100; m++ {
		lo, hi := cut(m)
		scale := math.Exp(-lo * z) // exp(-sz) at the start of the cut
		if scale == 0 || (m > 1 && scale < 1e-18*math.Abs(sum)) {
			break
		}
		width := hi - lo
		nodes := 128 + int(12*math.Sqrt(width*z))
		h := math.Pi / 2 / float64(nodes)
		var part float64
		for i := 0; i < nodes; i++ {
			sin, cos := math.Sincos((float64(i) + 0.5) * h)
			fromLo, fromHi := width*sin*sin, width*cos*cos
			// ds = 2 (hi - lo) sin(t) cos(t) dt
			part += math.Exp(-fromLo*z) * 2 * width * sin * cos * modulus(m, lo+fromLo, fromLo, fromHi)
		}
		term := scale * part * h / math.Pi
		if m%2 == 0 {
			term = -term
		}
		sum += term
	}
	return clampProbability(sum)
}

// adLimitSurvival returns P(A > z) for the limiting distribution of the
// Anderson-Darling statistic, A = sum_{j>=1} X_j/(j(j+1)): 1 -
// adInfSeries(z) for z < 1, where the p-value is above 0.35, and
// cutSurvival above, with s_j = j(j+1)/2 and the closed form
//
//	M(s) = sqrt(-2 pi s / cos(pi r)),  r = sqrt(1/4 + 2s),
//
// which follows from prod_j (1 - x/(j(j+1))) = 1/(Gamma(3/2 - q) Gamma(3/2 + q))
// = -cos(pi q)/(pi x) with q = sqrt(1/4 + x) (Gamma's product formula and
// reflection formula). On the cut from s_k to s_(k+1), r runs from k + 1/2
// to k + 3/2, and |cos(pi r)| = sin(pi e) with e the distance of r from
// the nearer end, formed from r^2 - (k + 1/2)^2 = 2(s - s_k). The tail
// decays like sqrt(3) erfc(sqrt(z)). The tests check it against mpmath
// evaluations of the series that adInfSeries sums (z up to 100) and of
// the cut integral (z up to 690) at 40 or more digits.
func adLimitSurvival(z float64) float64 {
	switch {
	case math.IsNaN(z):
		return math.NaN()
	case z < 1:
		return clampProbability(1 - adInfSeries(z))
	}
	cut := func(m int) (lo, hi float64) {
		k := float64(2*m - 1)
		return k * (k + 1) / 2, (k + 1) * (k + 2) / 2
	}
	modulus := func(m int, s, fromLo, fromHi float64) float64 {
		k := float64(2*m - 1)
		r := math.Sqrt(0.25 + 2*s)
		e := 2 * fromLo / (r + k + 0.5)
		if fromHi < fromLo {
			e = 2 * fromHi / (r + k + 1.5)
		}
		return math.Sqrt(2 * math.Pi / (s * math.Sin(math.Pi*e)))
	}
	return cutSurvival(z, cut, modulus)
}

// cvmLimitSurvival returns P(W > t) for the limiting distribution of the
// Cramér-von Mises statistic, W = sum_{j>=1} X_j/(j^2 pi^2), by
// cutSurvival with s_j = j^2 pi^2/2 and M(s) = sqrt(u/sin(u)), u = sqrt(2s)
// (Euler's product for sin). On the cut from s_k to s_(k+1), u runs from
// k pi to (k + 1) pi and |sin(u)| = sin(e) with e the distance of u from
// the nearer end, formed from u^2 - (k pi)^2 = 2(s - s_k). The tail decays
// like exp(-pi^2 t/2). It is meant for t >= 1 (p below 0.0025), where at
// most a few cuts contribute.
func cvmLimitSurvival(t float64) float64 {
	if math.IsNaN(t) {
		return math.NaN()
	}
	cut := func(m int) (lo, hi float64) {
		k := float64(2*m - 1)
		return k * k * math.Pi * math.Pi / 2, (k + 1) * (k + 1) * math.Pi * math.Pi / 2
	}
	modulus := func(m int, s, fromLo, fromHi float64) float64 {
		k := float64(2*m - 1)
		u := math.Sqrt(2 * s)
		e := 2 * fromLo / (u + k*math.Pi)
		if fromHi < fromLo {
			e = 2 * fromHi / (u + (k+1)*math.Pi)
		}
		return math.Sqrt(u/math.Sin(e)) / s
	}
	return cutSurvival(t, cut, modulus)
}
