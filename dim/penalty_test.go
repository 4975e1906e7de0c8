package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eppsPulleyByQuadrature integrates |phi_n(t) - exp(-t^2/2)|^2 against the
// N(0, 1) density with the trapezoid rule on [-12, 12].
func eppsPulleyByQuadrature(z []float64) float64 {
	const lo, hi, steps = -12.0, 12.0, 24000
	h := (hi - lo) / steps
	sum := 0.0
	for i := 0; i <= steps; i++ {
		t := lo + float64(i)*h
		re, im := 0.0, 0.0
		for _, v := range z {
			re += math.Cos(t * v)
			im += math.Sin(t * v)
		}
		re = re/float64(len(z)) - math.Exp(-t*t/2)
		im /= float64(len(z))
		f := (re*re + im*im) * math.Exp(-t*t/2) / math.Sqrt(2*math.Pi)
		if i == 0 || i == steps {
			f /= 2
		}
		sum += f * h
	}
	return sum
}

func TestEppsPulleyMatchesIntegral(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shift := range []float64{0, 0.5, 2} {
		z := make([]float64, 40)
		for i := range z {
			z[i] = rng.NormFloat64() + shift
		}
		assert.InDelta(t, eppsPulleyByQuadrature(z), EppsPulleyDistance(z, nil), 1e-9, "shift %v", shift)
	}
}

func TestEppsPulleyOrdersDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 2000
	normal, wide, skewed := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		normal[i] = rng.NormFloat64()
		wide[i] = 1.5 * rng.NormFloat64()
		skewed[i] = rng.ExpFloat64() - 1 // mean 0, variance 1
	}
	dn := EppsPulleyDistance(normal, nil)
	// The expectation under H0 is of order 1/n.
	assert.Less(t, dn, 5.0/float64(n))
	assert.Greater(t, EppsPulleyDistance(wide, nil), 10*dn)
	assert.Greater(t, EppsPulleyDistance(skewed, nil), 10*dn)
}

func TestEppsPulleyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	z := make([]float64, 17)
	for i := range z {
		z[i] = 1.3*rng.NormFloat64() + 0.2
	}
	grad := make([]float64, len(z))
	EppsPulleyDistance(z, grad)
	const h = 1e-6
	for i := range z {
		orig := z[i]
		z[i] = orig + h
		up := EppsPulleyDistance(z, nil)
		z[i] = orig - h
		down := EppsPulleyDistance(z, nil)
		z[i] = orig
		assert.InDelta(t, (up-down)/(2*h), grad[i], 1e-8, "component %d", i)
	}
}

func TestSlicedNormalityGradient(t *testing.T) {
	const b, d, seed = 12, 3, 9
	rng := rand.New(rand.NewPCG(7, 8))
	y := make([]float32, b*d)
	for i := range y {
		y[i] = float32(rng.NormFloat64() * (1 + float64(i%d)))
	}
	p := &SlicedNormality{Directions: 5}
	eval := func(grad []float32, scale float64) float64 {
		v, err := p.Evaluate(y, b, d, rand.New(rand.NewPCG(seed, 0)), scale, grad)
		require.NoError(t, err)
		return v
	}
	grad := make([]float32, b*d)
	for i := range grad {
		grad[i] = 1 // Evaluate adds to what is there
	}
	const scale = 3.0
	eval(grad, scale)
	const h = 1e-2
	for i := range y {
		orig := y[i]
		y[i] = orig + h
		up := eval(nil, 0)
		y[i] = orig - h
		down := eval(nil, 0)
		y[i] = orig
		want := 1 + scale*(up-down)/(2*h)
		assert.InDelta(t, want, float64(grad[i]), 2e-3*math.Max(1, math.Abs(want)), "element %d", i)
	}
}

func TestSlicedNormalitySeesCorrelation(t *testing.T) {
	// Both marginals are N(0, 1), but the components are equal, so the
	// projections on most directions are not N(0, 1).
	const b, d = 1000, 2
	rng := rand.New(rand.NewPCG(10, 11))
	indep, equal := make([]float32, b*d), make([]float32, b*d)
	for i := 0; i < b; i++ {
		v := rng.NormFloat64()
		equal[i*d], equal[i*d+1] = float32(v), float32(v)
		indep[i*d], indep[i*d+1] = float32(v), float32(rng.NormFloat64())
	}
	p := &SlicedNormality{Directions: 32}
	vi, err := p.Evaluate(indep, b, d, rand.New(rand.NewPCG(1, 0)), 1, nil)
	require.NoError(t, err)
	ve, err := p.Evaluate(equal, b, d, rand.New(rand.NewPCG(1, 0)), 1, nil)
	require.NoError(t, err)
	assert.Greater(t, ve, 10*vi)
}

func TestSlicedNormalityRejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 0))
	_, err := (&SlicedNormality{}).Evaluate(make([]float32, 4), 2, 2, rng, 1, nil)
	assert.ErrorContains(t, err, "at least 1 direction")
	_, err = (&SlicedNormality{Directions: 2}).Evaluate(make([]float32, 5), 2, 2, rng, 1, nil)
	assert.ErrorContains(t, err, "want b x d")
	_, err = (&SlicedNormality{Directions: 2}).Evaluate(make([]float32, 4), 2, 2, rng, 1, make([]float32, 3))
	assert.ErrorContains(t, err, "gradient buffer")
	_, err = ParsePenalty("sigreg")
	assert.ErrorContains(t, err, "unknown penalty")
}
