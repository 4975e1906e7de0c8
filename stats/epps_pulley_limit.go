package stats

import (
	"math"
	"slices"
	"sync"
)

// The limit laws of the Epps-Pulley statistic T under the null. T
// converges in distribution to ∫ Z(t)² φ(t) dt for a centred Gaussian
// process Z with covariance K(s, t),
// which is Σ_k λ_k χ²_1,k with λ_k the eigenvalues of the integral operator
// f ↦ ∫ K(·, t) f(t) φ(t) dt. For the specified test
// K(s, t) = exp(-(s-t)²/2) - exp(-(s²+t²)/2), the covariance of
// cos(tY) + sin(tY) for Y ~ N(0, 1). Estimating the mean and variance
// subtracts the projections on the score directions t e^(-t²/2) and
// (t²/2) e^(-t²/2), which adds -(st + s²t²/2) exp(-(s²+t²)/2).

var (
	compositeEPOnce, specifiedEPOnce     sync.Once
	compositeEPLambda, specifiedEPLambda []float64
)

func compositeEPEigenvalues() []float64 {
	compositeEPOnce.Do(func() {
		compositeEPLambda = epLimitEigenvalues(func(s, t float64) float64 {
			return math.Exp(-0.5*(s-t)*(s-t)) - math.Exp(-0.5*(s*s+t*t))*(1+s*t+0.5*s*s*t*t)
		})
	})
	return compositeEPLambda
}

func specifiedEPEigenvalues() []float64 {
	specifiedEPOnce.Do(func() {
		specifiedEPLambda = epLimitEigenvalues(func(s, t float64) float64 {
			return math.Exp(-0.5*(s-t)*(s-t)) - math.Exp(-0.5*(s*s+t*t))
		})
	})
	return specifiedEPLambda
}

// Nyström grid of epLimitEigenvalues: the trapezoidal rule on [-10, 10]
// with step 1/4. The rule converges faster than any power of the step for
// smooth, rapidly decaying integrands like these, and the truncation drops
// weight φ(10) ≈ 8e-23. The tests find the trace within 1e-13 of the
// closed-form limit mean.
const (
	epNystromHalfWidth = 10.0
	epNystromStep      = 0.25
)

// epLimitEigenvalues returns the positive eigenvalues, in decreasing order,
// of the operator with kernel kernel with respect to φ, by the Nyström
// method: the eigenvalues of the symmetric matrix
// A_ij = √w_i K(t_i, t_j) √w_j on the trapezoidal nodes t_i with weights
// w_i = h φ(t_i). Eigenvalues below 1e-15 times the largest are dropped:
// they are rounding noise and would not change a p-value.
func epLimitEigenvalues(kernel func(s, t float64) float64) []float64 {
	m := int(math.Round(2*epNystromHalfWidth/epNystromStep)) + 1
	nodes := make([]float64, m)
	sqrtW := make([]float64, m)
	for i := range nodes {
		t := -epNystromHalfWidth + float64(i)*epNystromStep
		nodes[i] = t
		sqrtW[i] = math.Sqrt(epNystromStep * NormalPDF(t))
	}
	a := make([]float64, m*m)
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			a[i*m+j] = sqrtW[i] * kernel(nodes[i], nodes[j]) * sqrtW[j]
		}
	}
	eig := symmetricEigenvalues(a, m)
	slices.Sort(eig)
	slices.Reverse(eig)
	var out []float64
	for _, v := range eig {
		if v > 1e-15*eig[0] {
			out = append(out, v)
		}
	}
	return out
}

// symmetricEigenvalues returns the eigenvalues of the symmetric m x m
// row-major matrix a, which it overwrites, by the cyclic Jacobi method.
// Each rotation zeroes one off-diagonal pair, using the tangent of the
// smaller rotation angle and the τ = s/(1+c) form of the update. Sweeps
// stop when the off-diagonal mass falls below 1e-30 of the total or after
// 100 sweeps.
func symmetricEigenvalues(a []float64, m int) []float64 {
	total := 0.0
	for _, v := range a {
		total += v * v
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := 0; i < m; i++ {
			for j := i + 1; j < m; j++ {
				off += a[i*m+j] * a[i*m+j]
			}
		}
		if off <= 1e-30*total {
			break
		}
		for p := 0; p < m; p++ {
			for q := p + 1; q < m; q++ {
				apq := a[p*m+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*m+q] - a[p*m+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				tau := s / (1 + c)
				a[p*m+p] -= t * apq
				a[q*m+q] += t * apq
				a[p*m+q], a[q*m+p] = 0, 0
				for r := 0; r < m; r++ {
					if r == p || r == q {
						continue
					}
					arp, arq := a[r*m+p], a[r*m+q]
					a[r*m+p] = arp - s*(arq+tau*arp)
					a[r*m+q] = arq + s*(arp-tau*arq)
					a[p*m+r], a[q*m+r] = a[r*m+p], a[r*m+q]
				}
			}
		}
	}
	eig := make([]float64, m)
	for i := range eig {
		eig[i] = a[i*m+i]
	}
	return eig
}

// weightedChiSquareSurvival returns an approximation of P(Q > x) for
// Q = Σ_k λ_k χ²_1,k with λ_k > 0 in decreasing order, by the saddlepoint
// approximation of Lugannani and Rice (1980) for the upper tail: with the
// cumulant generating function
// K(s) = -½ Σ log(1 - 2λ_k s) and the saddlepoint ŝ < 1/(2λ_1) solving
// K'(ŝ) = x,
//
//	w = sign(ŝ) √(2(ŝx - K(ŝ))),  v = ŝ √K''(ŝ),
//	P(Q > x) ≈ 1 - Φ(w) + φ(w)(1/v - 1/w).
//
// Within |w| < 1e-3 of the mean, where 1/v - 1/w cancels, it uses the
// first-order Edgeworth expansion at the mean instead, which takes the
// saddlepoint formula's limit 1/2 - κ₃/(6√(2π) κ₂^(3/2)) at x = mean
// (κ_r the cumulants). x <= 0 gives 1.
func weightedChiSquareSurvival(x float64, lambda []float64) float64 {
	if math.IsNaN(x) {
		return math.NaN()
	}
	if x <= 0 {
		return 1
	}
	cgf := func(s float64) (k, k1, k2 float64) {
		for _, l := range lambda {
			a := 1 - 2*l*s
			k -= 0.5 * math.Log1p(-2*l*s)
			k1 += l / a
			k2 += 2 * l * l / (a * a)
		}
		return k, k1, k2
	}

	// K' increases from 0 (s → -Inf) to +Inf (s → 1/(2λ_1)), and
	// K'(-N/(2x)) < x because each term is below 1/(2|s|), so the root lies
	// in [lo, hi).
	lo, hi := -float64(len(lambda))/(2*x), 1/(2*lambda[0])
	if p, ok := lugannaniRice(x, cgf, lo, hi); ok {
		return p
	}
	_, mean, variance := cgf(0)
	k3 := 0.0
	for _, l := range lambda {
		k3 += 8 * l * l * l
	}
	sd := math.Sqrt(variance)
	return clampProbability(0.5 - k3/(6*math.Sqrt(2*math.Pi)*sd*sd*sd) - NormalPDF(0)*(x-mean)/sd)
}
