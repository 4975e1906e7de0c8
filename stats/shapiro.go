package stats

import (
	"math"
	"sync"
)

// Polynomial coefficients of Royston (1995), algorithm AS R94, Applied
// Statistics 44(4), 547-551, in increasing powers.
var (
	swC1 = []float64{0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056} // a_n in 1/sqrt(n)
	swC2 = []float64{0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633} // a_(n-1) in 1/sqrt(n)
	swC3 = []float64{0.5440, -0.39978, 0.025054, -6.714e-4}                  // mean, n 4..11
	swC4 = []float64{1.3822, -0.77857, 0.062767, -0.0020322}                 // log sd, n 4..11
	swC5 = []float64{-1.5861, -0.31082, -0.083751, 0.0038915}                // mean, n >= 12, in log n
	swC6 = []float64{-0.4803, -0.082676, 0.0030302}                          // log sd, n >= 12, in log n
	swG  = []float64{-2.273, 0.459}                                          // gamma bound, n 4..11
)

// ShapiroWilk tests normality with the Shapiro-Wilk W statistic, by
// Royston's (1995) algorithm AS R94 as R's shapiro.test uses it.
//
// Statistic: W = (sum a_i x_(i))^2 / sum (x_i - mean)^2, with Royston's
// approximations to the normalized expected normal order statistics a_i:
// m_i = Phi^-1((i - 3/8)/(n + 1/4)), the two extreme coefficients from
// polynomials in 1/sqrt(n) (only the extreme one for n <= 5), the rest
// m_i rescaled so that sum a_i^2 = 1. The sample is first centred on its
// median, which leaves W unchanged but avoids the cancellation a large
// common offset (1e6 + N(0, 1)) would cause.
//
// Null hypothesis: x comes from some normal distribution.
//
// P-value: exact for n = 3, (6/pi)(asin(sqrt(W)) - pi/3). For n = 4..11,
// -log(gamma - log(1 - W)) with gamma = -2.273 + 0.459 n is taken as normal
// with mean and log standard deviation cubic in n; for n = 12..5000,
// log(1 - W) is taken as normal with mean cubic and log sd quadratic in
// log n, fitted by Royston to simulated null distributions. The code
// reproduces R 4.2.2 shapiro.test to 1e-14 in W and 2e-11 relative in p on
// the fixtures.
//
// Valid n: 3 to 5000, the range the approximations were fitted on.
//
// Special cases:
//   - NaN or ±Inf in x: error naming the index.
//   - n < 3 or n > 5000: error.
//   - all values equal: error (W is undefined).
//   - ties: allowed; heavy ties lower W, as for any non-normal data.
func ShapiroWilk(x []float64) (Result, error) {
	if err := checkSample(x, 3, 5000, "shapiro-wilk"); err != nil {
		return Result{}, err
	}
	s := sortedCopy(x)
	n := len(s)
	centerOnMedian(s)
	scaleInPlace(s, unitScale(s))

	a := shapiroWilkCoefficients(n)
	var num, mean float64
	for i := 0; i < n/2; i++ {
		num += a[i] * (s[n-1-i] - s[i])
	}
	for _, v := range s {
		mean += v
	}
	mean /= float64(n)
	var ss float64
	for _, v := range s {
		d := v - mean
		ss += d * d
	}
	w := min(num*num/ss, 1)
	return Result{Statistic: w, PValue: shapiroWilkPValue(w, n)}, nil
}

// centerOnMedian subtracts the median from the sorted slice s in place.
func centerOnMedian(s []float64) {
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = s[n/2-1] + (s[n/2]-s[n/2-1])/2
	}
	for i := range s {
		s[i] -= med
	}
}

// swCoefficientCache keeps the coefficients of the last n, because a report
// tests many columns of the same length. The cached slice is never modified.
var swCoefficientCache struct {
	sync.Mutex
	n int
	a []float64
}

// shapiroWilkCoefficients returns a_1 >= ... >= a_(n/2) > 0, the weights of
// x_(n+1-i) - x_(i) in W, normalized so that 2 sum a_i^2 = 1. The result is
// shared and must not be modified.
func shapiroWilkCoefficients(n int) []float64 {
	c := &swCoefficientCache
	c.Lock()
	defer c.Unlock()
	if c.n != n {
		c.a = computeShapiroWilkCoefficients(n)
		c.n = n
	}
	return c.a
}

func computeShapiroWilkCoefficients(n int) []float64 {
	half := n / 2
	a := make([]float64, half)
	if n == 3 {
		a[0] = math.Sqrt(0.5)
		return a
	}
	nf := float64(n)
	m := make([]float64, half) // m_i > 0: the upper order-statistic scores
	var summ2 float64
	for i := range m {
		m[i] = -NormalQuantile((float64(i+1) - 0.375) / (nf + 0.25))
		summ2 += m[i] * m[i]
	}
	summ2 *= 2
	ssumm2 := math.Sqrt(summ2)
	rsn := 1 / math.Sqrt(nf)
	a[0] = horner(swC1, rsn) + m[0]/ssumm2
	first := 1
	var fac float64
	if n > 5 {
		first = 2
		a[1] = horner(swC2, rsn) + m[1]/ssumm2
		fac = math.Sqrt((summ2 - 2*m[0]*m[0] - 2*m[1]*m[1]) / (1 - 2*a[0]*a[0] - 2*a[1]*a[1]))
	} else {
		fac = math.Sqrt((summ2 - 2*m[0]*m[0]) / (1 - 2*a[0]*a[0]))
	}
	for i := first; i < half; i++ {
		a[i] = m[i] / fac
	}
	return a
}

func shapiroWilkPValue(w float64, n int) float64 {
	if n == 3 {
		return clampProbability(6 / math.Pi * (math.Asin(math.Sqrt(w)) - math.Pi/3))
	}
	nf := float64(n)
	y := math.Log1p(-w)
	var mu, sigma float64
	if n <= 11 {
		gamma := horner(swG, nf)
		if y >= gamma {
			return 0 // W below the range of the approximation: p < 1e-99 in R
		}
		y = -math.Log(gamma - y)
		mu = horner(swC3, nf)
		sigma = math.Exp(horner(swC4, nf))
	} else {
		ln := math.Log(nf)
		mu = horner(swC5, ln)
		sigma = math.Exp(horner(swC6, ln))
	}
	return clampProbability(NormalSurvival((y - mu) / sigma))
}

// ShapiroFrancia tests normality with the Shapiro-Francia W' statistic
// (Shapiro and Francia 1972), as R's nortest::sf.test computes it.
//
// Statistic: W' = squared correlation between the sorted sample and the
// normal scores Phi^-1((i - 3/8)/(n + 1/4)) (Blom's plotting positions).
//
// Null hypothesis: x comes from some normal distribution.
//
// P-value: Royston's (1993) approximation: log(1 - W') is normal with mean
// -1.2725 + 1.0521 (v - u) and sd 1.0308 - 0.26758 (v + 2/u), u = log n,
// v = log u, fitted for 5 <= n <= 5000. The code matches nortest 1.0-4
// sf.test to 1e-12 relative on the fixtures.
//
// Valid n: 5 to 5000.
//
// Special cases: NaN or ±Inf, n outside 5..5000 and constant data give an
// error; ties are allowed.
func ShapiroFrancia(x []float64) (Result, error) {
	if err := checkSample(x, 5, 5000, "shapiro-francia"); err != nil {
		return Result{}, err
	}
	s := sortedCopy(x)
	n := len(s)
	nf := float64(n)
	centerOnMedian(s)
	scaleInPlace(s, unitScale(s))
	scores := make([]float64, n)
	for i := range scores {
		scores[i] = NormalQuantile((float64(i+1) - 0.375) / (nf + 0.25))
	}
	w := squaredCorrelation(s, scores)
	u := math.Log(nf)
	v := math.Log(u)
	mu := -1.2725 + 1.0521*(v-u)
	sigma := 1.0308 - 0.26758*(v+2/u)
	p := NormalSurvival((math.Log1p(-w) - mu) / sigma)
	return Result{Statistic: w, PValue: clampProbability(p)}, nil
}

// squaredCorrelation returns the squared Pearson correlation of x and y.
func squaredCorrelation(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return min(sxy*sxy/(sxx*syy), 1)
}
