package nn

import "math"

// Schedule returns the factor that multiplies the base learning rate at a
// step, counted from 0.
type Schedule func(step int) float64

// Constant returns the schedule whose factor is always 1.
func Constant() Schedule {
	return func(int) float64 { return 1 }
}

// Step returns the schedule gamma^floor(step / every): the factor is
// multiplied by gamma every `every` steps. every must be positive.
func Step(every int, gamma float64) Schedule {
	every = max(every, 1)
	return func(step int) float64 {
		return math.Pow(gamma, float64(max(step, 0)/every))
	}
}

// CosineWarmup returns a linear warm-up from 1/warmupSteps to 1 over steps
// 0 to warmupSteps-1, followed by a half cosine from 1 at step warmupSteps
// down to minFactor at step totalSteps, and minFactor after that.
func CosineWarmup(warmupSteps, totalSteps int, minFactor float64) Schedule {
	warmupSteps = max(warmupSteps, 0)
	return func(step int) float64 {
		step = max(step, 0)
		if step < warmupSteps {
			return float64(step+1) / float64(warmupSteps)
		}
		decay := totalSteps - warmupSteps
		if decay <= 0 || step >= totalSteps {
			return minFactor
		}
		progress := float64(step-warmupSteps) / float64(decay)
		return minFactor + (1-minFactor)*0.5*(1+math.Cos(math.Pi*progress))
	}
}

// ClipGradNorm scales the gradients of params so that their joint L2 norm
// is at most maxNorm and returns the norm before clipping. As in PyTorch,
// the scale is maxNorm / (norm + 1e-6), applied only when it is below 1. A
// NaN or infinite norm is returned without changing the gradients.
func ClipGradNorm(params []*Param, maxNorm float64) float64 {
	var sq float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			sq += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(sq)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	scale := maxNorm / (norm + 1e-6)
	if scale >= 1 {
		return norm
	}
	s := float32(scale)
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for i := range p.Grad.Data {
			p.Grad.Data[i] *= s
		}
	}
	return norm
}
