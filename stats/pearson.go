package stats

import "math"

// PearsonChiSquareNormal tests composite normality with Pearson's
// chi-square statistic on equiprobable classes, as R's
// nortest::pearson.test does with its default adjust = TRUE.
//
// Statistic: P = sum_j (C_j - n/k)^2 / (n/k) over k = ceil(2 n^(2/5))
// classes of equal probability under N(mean, sd^2) (sd with divisor n-1),
// where point i falls in class floor(1 + k Phi(z_i)) (Moore 1986).
//
// Null hypothesis: x comes from some normal distribution.
//
// P-value: chi-square with k - 3 degrees of freedom (two parameters
// estimated), the usual approximation; the true law lies between the
// chi-square with k-3 and k-1 degrees of freedom, so p is somewhat too
// small.
//
// Valid n: 8 or more (k - 3 >= 2 then).
//
// Special cases: NaN or ±Inf, fewer than 8 values and constant data give
// an error; ties are allowed.
func PearsonChiSquareNormal(x []float64) (Result, error) {
	if err := checkSample(x, 8, 0, "pearson-chi-square"); err != nil {
		return Result{}, err
	}
	n := len(x)
	nf := float64(n)
	k := int(math.Ceil(2 * math.Pow(nf, 0.4)))
	s := append([]float64(nil), x...)
	scaleInPlace(s, unitScale(s))
	mean, sd := meanSD(s)
	counts := make([]int, k)
	for _, v := range s {
		class := int(math.Floor(1 + float64(k)*NormalCDF((v-mean)/sd)))
		if class >= 1 && class <= k { // Phi = 1 exactly lands past the last class, as in R's tabulate
			counts[class-1]++
		}
	}
	expected := nf / float64(k)
	var p float64
	for _, c := range counts {
		d := float64(c) - expected
		p += d * d / expected
	}
	return Result{Statistic: p, PValue: clampProbability(ChiSquareSurvival(p, float64(k-3)))}, nil
}
