package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// moments returns the mean, variance and excess kurtosis of x.
func moments(x []float32) (mean, variance, kurtosis float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += float64(v) / n
	}
	m2, m4 := 0.0, 0.0
	for _, v := range x {
		d := float64(v) - mean
		m2 += d * d / n
		m4 += d * d * d * d / n
	}
	return mean, m2, m4/(m2*m2) - 3
}

// The sampled moments must match the formulas that the table prints: unit
// variance, and the excess kurtosis of the shape. With 400,000 draws the
// standard error of the kurtosis is about 0.01 for these shapes.
func TestGeneralizedNormalMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 400_000)
	for _, shape := range []float64{1.7, 2, 2.5} {
		generalizedNormal(shape).draw(rng, x, 1)
		mean, variance, kurtosis := moments(x)
		assert.InDelta(t, 0, mean, 0.01, "shape %v mean", shape)
		assert.InDelta(t, 1, variance, 0.01, "shape %v variance", shape)
		assert.InDelta(t, excessKurtosis(shape), kurtosis, 0.04, "shape %v kurtosis", shape)
	}
	assert.InDelta(t, 0, excessKurtosis(2), 1e-12, "shape 2 is the normal")
	assert.InDelta(t, -0.369, excessKurtosis(2.5), 5e-4)
}

// Each component of the mixture is centered and scaled to unit variance,
// and its printed kurtosis is that of the draws.
func TestMixtureMoments(t *testing.T) {
	const d = 3
	m := mixture(4, 0.6, d, 7)
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 300_000*d)
	m.draw(rng, x, d)
	kurtosis := 0.0
	for j := range d {
		column := make([]float32, len(x)/d)
		for r := range column {
			column[r] = x[r*d+j]
		}
		mean, variance, k := moments(column)
		assert.InDelta(t, 0, mean, 0.01, "component %d mean", j)
		assert.InDelta(t, 1, variance, 0.01, "component %d variance", j)
		kurtosis += k / d
	}
	assert.InDelta(t, m.kurtosis, kurtosis, 0.03)
	assert.False(t, math.IsNaN(m.kurtosis))
}

// The radial row has unit variance per component and the excess kurtosis
// of its formula: 3 d (k+1) / (k (d+2)) - 3, which is 0 at k = d/2.
func TestRadialMoments(t *testing.T) {
	const d = 4
	for _, k := range []float64{2, 4} {
		r := radialGamma(k, d)
		rng := rand.New(rand.NewPCG(5, 6))
		x := make([]float32, 200_000*d)
		r.draw(rng, x, d)
		column := make([]float32, len(x)/d)
		for i := range column {
			column[i] = x[i*d+1]
		}
		mean, variance, kurtosis := moments(column)
		assert.InDelta(t, 0, mean, 0.01, "k %v mean", k)
		assert.InDelta(t, 1, variance, 0.015, "k %v variance", k)
		assert.InDelta(t, r.kurtosis, kurtosis, 0.05, "k %v kurtosis", k)
	}
	assert.InDelta(t, 0, radialGamma(2, 4).kurtosis, 1e-12, "k = d/2 is N(0, I)")
	assert.InDelta(t, -0.5, radialGamma(4, 4).kurtosis, 1e-12)
}
