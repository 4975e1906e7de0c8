package nn

import (
	"math"

	"github.com/nidim/nidim/tensor"
)

// RNG is the random generator that initializers and dropout draw from.
// Pass a *tensor.RNG, whose values are the same on every architecture for
// the same seed. A *rand.Rand from math/rand/v2 also works, but its
// NormFloat64 evaluates math.Exp, whose last bit can differ between
// architectures, so only the uniform initializers are then reproducible
// everywhere.
type RNG interface {
	Float64() float64     // uniform in [0, 1)
	NormFloat64() float64 // standard normal
}

// The initializers fill a weight tensor from rng. Uniform values are
// computed as float32(bound * (2u - 1)) with u = rng.Float64(), which is
// exact up to the final rounding, so fused and separate multiply-adds give
// the same values. Normal values are float32(std * rng.NormFloat64()).

// KaimingUniform fills w from U(-b, b) with b = gain * sqrt(3 / fanIn), so
// that the variance is gain^2 / fanIn (He et al., 2015). With gain
// 1/sqrt(3) it is PyTorch's default for Linear and Conv2d weights.
func KaimingUniform(w *tensor.Tensor, fanIn int, gain float64, rng RNG) {
	fillUniform(w.Data, gain*math.Sqrt(3/float64(fanIn)), rng)
}

// UniformFanIn fills weight, then bias, from U(-b, b) with b =
// 1/sqrt(fanIn). This is PyTorch's default for Linear and Conv2d, as its
// nn.Linear documentation states and PyTorch 1.13 draws. These weights are
// sqrt(6) times smaller than KaimingUniform's with GainReLU. A nil bias is
// skipped.
func UniformFanIn(weight, bias *tensor.Tensor, fanIn int, rng RNG) {
	bound := 1 / math.Sqrt(float64(fanIn))
	fillUniform(weight.Data, bound, rng)
	if bias != nil {
		fillUniform(bias.Data, bound, rng)
	}
}

// KaimingNormal fills w from N(0, gain^2 / fanIn).
func KaimingNormal(w *tensor.Tensor, fanIn int, gain float64, rng RNG) {
	fillNormal(w.Data, gain/math.Sqrt(float64(fanIn)), rng)
}

// XavierUniform fills w from U(-b, b) with b = gain * sqrt(6 / (fanIn +
// fanOut)) (Glorot and Bengio, 2010).
func XavierUniform(w *tensor.Tensor, fanIn, fanOut int, gain float64, rng RNG) {
	fillUniform(w.Data, gain*math.Sqrt(6/float64(fanIn+fanOut)), rng)
}

// XavierNormal fills w from N(0, 2 gain^2 / (fanIn + fanOut)).
func XavierNormal(w *tensor.Tensor, fanIn, fanOut int, gain float64, rng RNG) {
	fillNormal(w.Data, gain*math.Sqrt(2/float64(fanIn+fanOut)), rng)
}

func fillUniform(x []float32, bound float64, rng RNG) {
	for i := range x {
		u := 2*rng.Float64() - 1 // exact, so fused and separate operations agree
		x[i] = float32(bound * u)
	}
}

func fillNormal(x []float32, std float64, rng RNG) {
	for i := range x {
		x[i] = float32(std * rng.NormFloat64())
	}
}
