package stats

import (
	"fmt"
	"math"
)

// MardiaResult holds Mardia's two tests of multivariate normality.
type MardiaResult struct {
	// Skewness: statistic n·b1/6, p-value from χ² with d(d+1)(d+2)/6
	// degrees of freedom.
	Skewness Result
	// Kurtosis: statistic z = (b2 - d(d+2))/√(8d(d+2)/n), two-sided p-value
	// from N(0, 1).
	Kurtosis Result
	// SkewnessSmallSample is the skewness test with the small-sample
	// factor k = (d+1)(n+1)(n+3)/(n((n+1)(d+1) - 6)): statistic n·k·b1/6,
	// same χ² reference.
	SkewnessSmallSample Result
	// KurtosisFinite standardizes b2 with its exact mean and variance under
	// normality, E b2 = d(d+2)(n-1)/(n+1) and
	// Var b2 = 8d(d+2)(n-3)(n-d-1)(n-d+1)/((n+1)²(n+3)(n+5)), with a
	// two-sided N(0, 1) p-value. The asymptotic Kurtosis statistic is biased
	// by about -2d(d+2)/(n·√(8d(d+2)/n)) and overdispersed when d is not
	// small against n (d = 10, n = 30: variance 32 against the true 9.3),
	// which KurtosisFinite avoids.
	KurtosisFinite Result
	// B1 and B2 are Mardia's multivariate skewness and kurtosis.
	B1, B2 float64
}

// Mardia computes Mardia's multivariate skewness and kurtosis tests
// (K. V. Mardia, "Measures of multivariate skewness and kurtosis with
// applications", Biometrika 57 (1970) 519-530). The values match those the
// R package MVN 5.9 prints for iris setosa (tested).
//
// Null hypothesis: the rows are independent draws from some d-variate
// normal distribution with unknown mean and non-singular covariance.
//
// Statistics: with S the covariance matrix with divisor n and
// m_ij = (x_i - x̄)ᵀS⁻¹(x_j - x̄), b1 = (1/n²) Σ_ij m_ij³ and
// b2 = (1/n) Σ_i m_ii². Under the null n·b1/6 is asymptotically χ² with
// d(d+1)(d+2)/6 degrees of freedom and b2 asymptotically normal with mean
// d(d+2) and variance 8d(d+2)/n. b1 is computed either from the pairs
// (O(n² d)) or, when cheaper, from the third-moment tensor of the whitened
// rows, Σ_ij m_ij³ = Σ_abc (Σ_i z_ia z_ib z_ic)² (O(n d³)); both run over
// goroutines with a fixed partition, so results do not depend on the CPU
// count.
//
// P-values: Skewness and Kurtosis use the asymptotic laws above, as MVN
// does for n >= 20, so they need n well above d, and the error of either
// approximation is not bounded. SkewnessSmallSample applies the
// small-sample factor k to the skewness statistic, and KurtosisFinite
// standardizes b2 with its exact mean and variance, which
// TestMardiaKurtosisFiniteCalibrated checks by simulation. The
// prior-matching report uses these two.
//
// NOTE: neither finite-n p-value is valid far in the upper tail, because
// the null laws of b1 and b2 have heavier right tails than the chi-square
// and the normal. On N(0, I) samples with d = 4, p <= 1.9e-4 came 9.8
// (skewness) and 12.9 (kurtosis) times as often as it should at n = 50,
// 3.2 and 6.9 times at n = 200, and 1.4 and 2.4 times at n = 1000
// (docs/calibration.md).
//
// Special cases:
//   - NaN or ±Inf anywhere: error naming the row and column.
//   - n <= d, or n < 3: error, the covariance cannot be inverted.
//   - n <= d + 1 or n <= 3: KurtosisFinite is NaN because its variance
//     is 0.
//   - singular covariance (a constant component, collinear components):
//     error naming the component.
//   - ties: allowed.
func Mardia(m Matrix) (MardiaResult, error) {
	const test = "Mardia test"
	if err := checkMatrix(m, 3, true, test); err != nil {
		return MardiaResult{}, err
	}
	z, err := whiten(m, float64(m.N))
	if err != nil {
		return MardiaResult{}, fmt.Errorf("stats: %s: %w", test, err)
	}
	n, d := float64(z.N), float64(z.D)

	var cubes float64
	if mardiaUseTensor(z.N, z.D) {
		cubes = mardiaCubesTensor(z, 0)
	} else {
		cubes = mardiaCubesPairs(z, 0)
	}
	b1 := cubes / (n * n)
	b2 := 0.0
	for i := 0; i < z.N; i++ {
		s := squaredNorm(z.Row(i))
		b2 += s * s
	}
	b2 /= n

	skew := n * b1 / 6
	df := d * (d + 1) * (d + 2) / 6
	k := (d + 1) * (n + 1) * (n + 3) / (n * ((n+1)*(d+1) - 6))
	kurt := (b2 - d*(d+2)) / math.Sqrt(8*d*(d+2)/n)
	mean := d * (d + 2) * (n - 1) / (n + 1)
	variance := 8 * d * (d + 2) * (n - 3) * (n - d - 1) * (n - d + 1) / ((n + 1) * (n + 1) * (n + 3) * (n + 5))
	finite := math.NaN()
	if variance > 0 {
		finite = (b2 - mean) / math.Sqrt(variance)
	}
	return MardiaResult{
		Skewness:            Result{Statistic: skew, PValue: ChiSquareSurvival(skew, df)},
		Kurtosis:            Result{Statistic: kurt, PValue: twoSidedNormal(kurt)},
		SkewnessSmallSample: Result{Statistic: k * skew, PValue: ChiSquareSurvival(k*skew, df)},
		KurtosisFinite:      Result{Statistic: finite, PValue: twoSidedNormal(finite)},
		B1:                  b1,
		B2:                  b2,
	}, nil
}

// twoSidedNormal returns P(|Z| >= |z|) for Z ~ N(0, 1).
func twoSidedNormal(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// mardiaUseTensor reports whether the tensor form of Σ_ij m_ij³, about
// n d³/6 multiply-adds, is cheaper than the pairwise form, about n² d/2.
func mardiaUseTensor(n, d int) bool {
	return float64(d)*float64(d) < 3*float64(n)
}

// mardiaCubesPairs returns Σ_ij (z_i·z_j)³ over all ordered pairs.
func mardiaCubesPairs(z Matrix, workers int) float64 {
	if workers <= 0 {
		workers = MonteCarlo{}.workers()
	}
	diag := 0.0
	for i := 0; i < z.N; i++ {
		s := squaredNorm(z.Row(i))
		diag += s * s * s
	}
	off := sumPairs(z, workers, func(a, b []float64) float64 {
		p := dot(a, b)
		return p * p * p
	})
	return diag + 2*off
}

// mardiaCubesTensor returns Σ_ij (z_i·z_j)³ as Σ_abc T_abc² with
// T_abc = Σ_i z_ia z_ib z_ic. Only a <= b <= c is stored, and each entry is
// weighted by the number of its distinct permutations. Block a computes
// every T_abc with that first index over all rows, so blocks are
// independent and are combined in order of a.
func mardiaCubesTensor(z Matrix, workers int) float64 {
	if workers <= 0 {
		workers = MonteCarlo{}.workers()
	}
	d := z.D
	partial := make([]float64, d)
	forEachBlock(d, workers, func(a int) {
		// t holds T_abc for b >= a, c >= b, row b first.
		size := 0
		for b := a; b < d; b++ {
			size += d - b
		}
		t := make([]float64, size)
		// Four rows at a time, so each T entry is loaded and stored once
		// per four products.
		i := 0
		for ; i+4 <= z.N; i += 4 {
			r0, r1, r2, r3 := z.Row(i), z.Row(i+1), z.Row(i+2), z.Row(i+3)
			off := 0
			for b := a; b < d; b++ {
				p0, p1, p2, p3 := r0[a]*r0[b], r1[a]*r1[b], r2[a]*r2[b], r3[a]*r3[b]
				n := d - b
				tc := t[off : off+n]
				c0, c1, c2, c3 := r0[b:b+n], r1[b:b+n], r2[b:b+n], r3[b:b+n]
				for c := range tc {
					tc[c] += p0*c0[c] + p1*c1[c] + p2*c2[c] + p3*c3[c]
				}
				off += n
			}
		}
		for ; i < z.N; i++ {
			row := z.Row(i)
			off := 0
			for b := a; b < d; b++ {
				p := row[a] * row[b]
				zc := row[b:]
				tc := t[off : off+len(zc)]
				for c, v := range zc {
					tc[c] += p * v
				}
				off += len(zc)
			}
		}
		s := 0.0
		off := 0
		for b := a; b < d; b++ {
			for c := b; c < d; c++ {
				v := t[off]
				off++
				w := 6.0
				switch {
				case a == b && b == c:
					w = 1
				case a == b || b == c:
					w = 3
				}
				s += w * v * v
			}
		}
		partial[a] = s
	})
	total := 0.0
	for _, s := range partial {
		total += s
	}
	return total
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}
