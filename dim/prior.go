package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Prior is the target distribution of the normalized embedding together
// with the noise channel that makes it the capacity-achieving input.
type Prior interface {
	// Name returns "gaussian" or "uniform".
	Name() string
	// Validate reports a noise level that the channel cannot use.
	Validate() error
	// NoiseLevel returns sigma for the Gaussian prior and eps for the
	// uniform one.
	NoiseLevel() float64
	// Capacity returns, in nats, the capacity of d parallel noisy channels
	// with a normalized input: the maximum of I(f(X); f(X)+Z).
	Capacity(d int) float64
	// PriorMI returns, in nats, I(U; U+Z) for U drawn from the prior. It
	// equals Capacity for the Gaussian prior and is below it for the
	// uniform one.
	PriorMI(d int) float64
	// TwoViewMI returns, in nats, I(U+Z1; U+Z2) for U drawn from the prior
	// and independent noises Z1, Z2: what InfoNCE can reach when both
	// views are noisy and the encoder maps both views to the same point.
	TwoViewMI(d int) float64
	// AddNoise adds independent channel noise to every element of x.
	AddNoise(x []float32, rng *rand.Rand)
}

// NewPrior returns the training channel of the prior called name with
// noise level sigma (Gaussian) or eps (uniform). The priors reached by the
// probability integral transform (logistic, laplace, exponential) train
// with the Gaussian channel, which NewPrior returns for them.
func NewPrior(name string, level float64) (Prior, error) {
	var p Prior
	_, transformed := TransformTarget(name)
	switch {
	case name == "gaussian" || transformed:
		p = Gaussian{Sigma: level}
	case name == "uniform":
		p = Uniform{Eps: level}
	default:
		return nil, fmt.Errorf("dim: unknown prior %q; use one of %s", name, strings.Join(PriorNames, ", "))
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Gaussian is the standard normal prior N(0, I) with the additive channel
// Z ~ N(0, Sigma^2 I). The encoder output is batch-normalized without
// affine parameters.
type Gaussian struct{ Sigma float64 }

func (Gaussian) Name() string          { return "gaussian" }
func (g Gaussian) NoiseLevel() float64 { return g.Sigma }

func (g Gaussian) Validate() error {
	if !(g.Sigma > 0) || math.IsInf(g.Sigma, 0) {
		return fmt.Errorf("dim: Gaussian noise level sigma = %v is invalid; it must be a positive finite number such as 0.5", g.Sigma)
	}
	return nil
}

// Capacity returns (d/2) ln(1 + 1/sigma^2), the capacity of a Gaussian
// channel with unit input power and noise variance sigma^2 per component.
func (g Gaussian) Capacity(d int) float64 {
	return 0.5 * float64(d) * math.Log1p(1/(g.Sigma*g.Sigma))
}

// PriorMI returns the capacity, which the Gaussian input reaches.
func (g Gaussian) PriorMI(d int) float64 { return g.Capacity(d) }

// TwoViewMI returns -(d/2) ln(1 - rho^2) with rho = 1/(1+sigma^2), the
// correlation between U+Z1 and U+Z2 for U ~ N(0, 1).
func (g Gaussian) TwoViewMI(d int) float64 {
	rho := 1 / (1 + g.Sigma*g.Sigma)
	return -0.5 * float64(d) * math.Log1p(-rho*rho)
}

func (g Gaussian) AddNoise(x []float32, rng *rand.Rand) {
	s := g.Sigma
	for i := range x {
		x[i] += float32(s * rng.NormFloat64())
	}
}

// Uniform is the uniform prior on [0, 1]^d with the additive channel
// Z ~ U[-Eps, Eps]^d. The encoder output is batch-normalized and squashed
// by the standard normal CDF, so the uniform prior is the probability
// integral transform of the Gaussian one.
type Uniform struct{ Eps float64 }

func (Uniform) Name() string          { return "uniform" }
func (u Uniform) NoiseLevel() float64 { return u.Eps }

func (u Uniform) Validate() error {
	if !(u.Eps > 0) || math.IsInf(u.Eps, 0) {
		return fmt.Errorf("dim: uniform noise half-width eps = %v is invalid; it must be a positive finite number such as 0.1", u.Eps)
	}
	return nil
}

// Capacity returns d ln(1 + 1/(2 eps)), an upper bound on I(X; X+Z) for
// any input confined to [0, 1]. The output then lies in an interval of
// length 1 + 2 eps, so h(X+Z) <= ln(1 + 2 eps), while h(Z) = ln(2 eps).
func (u Uniform) Capacity(d int) float64 {
	return float64(d) * math.Log1p(1/(2*u.Eps))
}

// PriorMI returns d (h(U+Z) - ln(2 eps)) for U ~ U[0, 1]. U+Z has a
// trapezoidal density with linear ramps, whose entropy above ln(2 eps) is
// eps - ln(2 eps) for eps <= 1/2 and 1/(4 eps) for larger eps.
func (u Uniform) PriorMI(d int) float64 {
	e := u.Eps
	if e <= 0.5 {
		return float64(d) * (e - math.Log(2*e))
	}
	return float64(d) / (4 * e)
}

// TwoViewMI returns d I(U+Z1; U+Z2) for U ~ U[0, 1], computed by midpoint
// integration of the joint density on a grid; the relative error is below
// 1e-3 for eps >= 0.01.
func (u Uniform) TwoViewMI(d int) float64 {
	return float64(d) * uniformTwoViewMI(u.Eps, 2000)
}

func (u Uniform) AddNoise(x []float32, rng *rand.Rand) {
	e := u.Eps
	for i := range x {
		x[i] += float32(e * (2*rng.Float64() - 1))
	}
}

// uniformTwoViewMI integrates p(a, b) ln(p(a, b) / (p(a) p(b))) over the
// square [-eps, 1+eps]^2, where p(a) = |[a-eps, a+eps] n [0, 1]| / (2 eps)
// and p(a, b) = |[a-eps, a+eps] n [b-eps, b+eps] n [0, 1]| / (2 eps)^2.
func uniformTwoViewMI(eps float64, n int) float64 {
	overlap := func(lo, hi float64) float64 {
		lo, hi = max(lo, 0), min(hi, 1)
		return max(hi-lo, 0)
	}
	lo, hi := -eps, 1+eps
	h := (hi - lo) / float64(n)
	marginal := make([]float64, n)
	for i := range marginal {
		a := lo + (float64(i)+0.5)*h
		marginal[i] = overlap(a-eps, a+eps) / (2 * eps)
	}
	sum := 0.0
	for i := 0; i < n; i++ {
		a := lo + (float64(i)+0.5)*h
		for j := 0; j < n; j++ {
			b := lo + (float64(j)+0.5)*h
			if math.Abs(a-b) >= 2*eps {
				continue
			}
			joint := overlap(max(a, b)-eps, min(a, b)+eps) / (4 * eps * eps)
			if joint > 0 {
				sum += joint * math.Log(joint/(marginal[i]*marginal[j]))
			}
		}
	}
	return sum * h * h
}
