package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGaussianCapacity(t *testing.T) {
	g := Gaussian{Sigma: 1}
	assert.InDelta(t, 2*math.Ln2, g.Capacity(4), 1e-12) // (4/2) ln 2
	// rho = 1/2, so -(d/2) ln(3/4).
	assert.InDelta(t, -2*math.Log(0.75), g.TwoViewMI(4), 1e-12)
	g = Gaussian{Sigma: 0.1}
	assert.InDelta(t, 4*math.Log(101), g.Capacity(8), 1e-12)
	assert.Less(t, g.TwoViewMI(8), g.Capacity(8))
}

func TestUniformCapacity(t *testing.T) {
	u := Uniform{Eps: 0.5}
	assert.InDelta(t, 3*math.Ln2, u.Capacity(3), 1e-12) // 3 ln(1 + 1)
	assert.InDelta(t, 1.5, u.PriorMI(3), 1e-12)
	assert.Less(t, u.TwoViewMI(3), u.PriorMI(3))
	assert.Less(t, u.PriorMI(3), u.Capacity(3))
	assert.Equal(t, Gaussian{Sigma: 0.3}.Capacity(5), Gaussian{Sigma: 0.3}.PriorMI(5))
}

// TestUniformPriorMIMonteCarlo checks the closed form against a Monte
// Carlo mean of ln p(y|u)/p(y) = -ln |[y-eps, y+eps] n [0, 1]|.
func TestUniformPriorMIMonteCarlo(t *testing.T) {
	for _, eps := range []float64{0.05, 0.3, 0.5, 2} {
		rng := rand.New(rand.NewPCG(8, 9))
		const n = 200000
		sum, sumSq := 0.0, 0.0
		for range n {
			y := rng.Float64() + eps*(2*rng.Float64()-1)
			r := -math.Log(min(y+eps, 1) - max(y-eps, 0))
			sum += r
			sumSq += r * r
		}
		mean := sum / n
		se := math.Sqrt((sumSq/n - mean*mean) / n)
		assert.InDelta(t, mean, Uniform{Eps: eps}.PriorMI(1), 4*se+1e-4, "eps %v", eps)
	}
}

// TestUniformTwoViewMIMonteCarlo checks the grid integral against a Monte
// Carlo mean of the exact log density ratio ln p(a,b)/(p(a)p(b)) over
// sampled (U+Z1, U+Z2).
func TestUniformTwoViewMIMonteCarlo(t *testing.T) {
	for _, eps := range []float64{0.05, 0.25, 1} {
		grid := uniformTwoViewMI(eps, 2000)
		overlap := func(lo, hi float64) float64 { return max(min(hi, 1)-max(lo, 0), 0) }
		rng := rand.New(rand.NewPCG(5, 6))
		const n = 200000
		sum, sumSq := 0.0, 0.0
		for range n {
			u := rng.Float64()
			a := u + eps*(2*rng.Float64()-1)
			b := u + eps*(2*rng.Float64()-1)
			joint := overlap(max(a, b)-eps, min(a, b)+eps) / (4 * eps * eps)
			pa := overlap(a-eps, a+eps) / (2 * eps)
			pb := overlap(b-eps, b+eps) / (2 * eps)
			r := math.Log(joint / (pa * pb))
			sum += r
			sumSq += r * r
		}
		mean := sum / n
		se := math.Sqrt((sumSq/n - mean*mean) / n)
		assert.InDelta(t, mean, grid, 4*se+1e-3, "eps %v", eps)
	}
}

func TestNewPrior(t *testing.T) {
	p, err := NewPrior("gaussian", 0.5)
	require.NoError(t, err)
	assert.Equal(t, "gaussian", p.Name())
	assert.Equal(t, 0.5, p.NoiseLevel())
	p, err = NewPrior("uniform", 0.1)
	require.NoError(t, err)
	assert.Equal(t, "uniform", p.Name())

	for _, c := range []struct {
		name  string
		level float64
		want  string
	}{
		{"cauchy", 1, "unknown prior"},
		{"laplace", 0, "sigma = 0"},
		{"gaussian", 0, "sigma = 0"},
		{"gaussian", math.Inf(1), "sigma = +Inf"},
		{"uniform", -0.1, "eps = -0.1"},
		{"uniform", math.NaN(), "eps = NaN"},
	} {
		_, err := NewPrior(c.name, c.level)
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want)
	}
}

func TestAddNoiseMoments(t *testing.T) {
	const n = 100000
	x := make([]float32, n)
	Gaussian{Sigma: 0.5}.AddNoise(x, rand.New(rand.NewPCG(1, 1)))
	mean, variance := moments(x)
	// Standard errors: 0.5/sqrt(n) = 0.0016 for the mean, and about
	// 0.25*sqrt(2/n) = 0.0011 for the variance.
	assert.InDelta(t, 0, mean, 0.007)
	assert.InDelta(t, 0.25, variance, 0.005)

	clear(x)
	Uniform{Eps: 0.2}.AddNoise(x, rand.New(rand.NewPCG(1, 1)))
	mean, variance = moments(x)
	assert.InDelta(t, 0, mean, 0.003)
	assert.InDelta(t, 0.04/3, variance, 0.0005)
	for _, v := range x {
		require.True(t, v >= -0.2 && v <= 0.2, "uniform noise %v outside [-eps, eps]", v)
	}

	// The same seed gives the same noise.
	y := make([]float32, 10)
	z := make([]float32, 10)
	Gaussian{Sigma: 1}.AddNoise(y, rand.New(rand.NewPCG(9, 9)))
	Gaussian{Sigma: 1}.AddNoise(z, rand.New(rand.NewPCG(9, 9)))
	assert.Equal(t, y, z)
}

func moments(x []float32) (mean, variance float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, variance / float64(len(x))
}
