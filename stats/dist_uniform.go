package stats

import "math"

// Uniform is the continuous uniform distribution on [A, B] with A < B. It
// implements Continuous; values outside [A, B] get CDF 0 or 1, so their
// LogCDF or LogSurvival is -Inf.
type Uniform struct{ A, B float64 }

// PDF returns 1/(B-A) on [A, B] and 0 elsewhere.
func (d Uniform) PDF(x float64) float64 {
	if x < d.A || x > d.B {
		return 0
	}
	return 1 / (d.B - d.A)
}

// CDF returns (x-A)/(B-A) clamped to [0, 1].
func (d Uniform) CDF(x float64) float64 {
	switch {
	case x <= d.A:
		return 0
	case x >= d.B:
		return 1
	}
	return (x - d.A) / (d.B - d.A)
}

// Survival returns (B-x)/(B-A) clamped to [0, 1].
func (d Uniform) Survival(x float64) float64 {
	switch {
	case x <= d.A:
		return 1
	case x >= d.B:
		return 0
	}
	return (d.B - x) / (d.B - d.A)
}

// LogCDF returns log CDF(x).
func (d Uniform) LogCDF(x float64) float64 { return math.Log(d.CDF(x)) }

// LogSurvival returns log Survival(x).
func (d Uniform) LogSurvival(x float64) float64 { return math.Log(d.Survival(x)) }

// Quantile returns A + p(B-A) for p in [0, 1] and NaN otherwise.
func (d Uniform) Quantile(p float64) float64 {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return math.NaN()
	}
	return d.A + p*(d.B-d.A)
}
