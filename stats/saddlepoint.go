package stats

import "math"

// positiveSumSurvival returns P(X >= x) for a variable X >= 0 whose
// cumulant generating function cgf gives K(s) and its first two
// derivatives for s < hi, with K' rising from 0 as s → -∞ to +∞ as
// s → hi. It uses the saddlepoint approximation of Lugannani and Rice,
// and the normal law with X's mean and variance within |w| < 1e-3 of the
// mean, where that formula cancels and the p-value is near 1/2. NaN gives
// NaN, and x <= 0 gives 1.
func positiveSumSurvival(x float64, cgf func(s float64) (k, k1, k2 float64), hi float64) float64 {
	if math.IsNaN(x) {
		return math.NaN()
	}
	if x <= 0 {
		return 1
	}
	// Double lo until K'(lo) < x; 1100 doublings reach past -1e300.
	lo := -1.0
	for iter := 0; iter < 1100; iter++ {
		if _, k1, _ := cgf(lo); k1 < x {
			break
		}
		lo *= 2
	}
	if p, ok := lugannaniRice(x, cgf, lo, hi); ok {
		return p
	}
	_, mean, variance := cgf(0)
	return clampProbability(NormalSurvival((x - mean) / math.Sqrt(variance)))
}

// lugannaniRice returns the saddlepoint approximation of Lugannani and
// Rice (1980) to P(X > x) for a variable X whose cumulant generating
// function cgf returns K(s) and its first two derivatives, with K'
// increasing on (lo, hi) and K'(lo) < x < K'(hi). It reports false
// within |w| < 1e-3 of the mean, where 1/v - 1/w cancels, and the caller
// then needs another approximation.
func lugannaniRice(x float64, cgf func(s float64) (k, k1, k2 float64), lo, hi float64) (float64, bool) {
	s := 0.0
	if _, k1, _ := cgf(0); x < k1 {
		hi = 0
		s = lo / 2
	} else {
		lo = 0
		s = hi / 2
	}
	// Newton steps that leave the bracket become bisections.
	for iter := 0; iter < 200; iter++ {
		_, k1, k2 := cgf(s)
		if k1 < x {
			lo = s
		} else {
			hi = s
		}
		next := s - (k1-x)/k2
		if !(next > lo && next < hi) {
			next = lo + (hi-lo)/2
		}
		if math.Abs(next-s) <= 1e-15*math.Abs(s) {
			s = next
			break
		}
		s = next
	}

	k, _, k2 := cgf(s)
	w := math.Sqrt(max(0, 2*(s*x-k)))
	if s < 0 {
		w = -w
	}
	if math.Abs(w) < 1e-3 {
		return 0, false
	}
	v := s * math.Sqrt(k2)
	return clampProbability(NormalSurvival(w) + NormalPDF(w)*(1/v-1/w)), true
}
