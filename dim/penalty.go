package dim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nidim/nidim/stats"
)

// PenaltyEppsPulley names the sliced Epps-Pulley normality penalty, the
// only penalty there is. An empty Config.Penalty or "none" turns it off.
const PenaltyEppsPulley = "epps-pulley"

// ParsePenalty checks a penalty name and returns it with "none" mapped to "".
func ParsePenalty(name string) (string, error) {
	switch name {
	case "", "none":
		return "", nil
	case PenaltyEppsPulley:
		return name, nil
	}
	return "", fmt.Errorf("dim: unknown penalty %q; use none or %s", name, PenaltyEppsPulley)
}

// SlicedNormality is a penalty that pushes the rows of a batch toward
// N(0, I) directly, in the style of SIGReg: the batch is projected on
// random unit directions, and each projection's Epps-Pulley distance to
// N(0, 1) is averaged. A distribution is N(0, I) exactly when every 1-D
// projection is N(0, 1) (Cramér-Wold), so the penalty covers correlations
// and scale as well as the shape of the marginals. Projections are not
// re-standardized. It is the strongest competing way to reach the prior
// that nidim's sweep compares noise injection with.
type SlicedNormality struct {
	Directions int // random directions per batch

	dirs  []float64 // Directions x d unit vectors
	z, gz []float64 // one projection and its gradient
}

// Evaluate draws Directions unit vectors from rng and returns the mean over
// them of EppsPulleyDistance of the projections of the b x d batch y. When
// grad is not nil it adds scale times the gradient of that mean with
// respect to y to grad.
func (p *SlicedNormality) Evaluate(y []float32, b, d int, rng *rand.Rand, scale float64, grad []float32) (float64, error) {
	switch {
	case p.Directions < 1:
		return 0, fmt.Errorf("dim: the penalty needs at least 1 direction, got %d", p.Directions)
	case b < 2 || d < 1 || len(y) != b*d:
		return 0, fmt.Errorf("dim: penalty batch has %d values, want b x d = %d x %d with b >= 2", len(y), b, d)
	case grad != nil && len(grad) != b*d:
		return 0, fmt.Errorf("dim: penalty gradient buffer has %d values, want %d", len(grad), b*d)
	}
	p.z = resize(p.z, b)
	p.gz = resize(p.gz, b)
	p.drawDirections(d, rng)

	total := 0.0
	w := scale / float64(p.Directions)
	for k := 0; k < p.Directions; k++ {
		u := p.dirs[k*d : (k+1)*d]
		for i := 0; i < b; i++ {
			s := 0.0
			for j, uj := range u {
				s += float64(y[i*d+j]) * uj
			}
			p.z[i] = s
		}
		var gz []float64
		if grad != nil {
			gz = p.gz
		}
		total += EppsPulleyDistance(p.z, gz)
		if grad == nil {
			continue
		}
		for i := 0; i < b; i++ {
			g := w * p.gz[i]
			for j, uj := range u {
				grad[i*d+j] += float32(g * uj)
			}
		}
	}
	return total / float64(p.Directions), nil
}

// drawDirections draws Directions unit vectors in d dimensions from rng
// into p.dirs. Its draws depend only on d, Directions and rng, so a
// resumed run skips a step's penalty by calling it alone.
func (p *SlicedNormality) drawDirections(d int, rng *rand.Rand) {
	p.dirs = resize(p.dirs, p.Directions*d)
	for k := 0; k < p.Directions; k++ {
		u := p.dirs[k*d : (k+1)*d]
		norm := 0.0
		for norm == 0 {
			for j := range u {
				u[j] = rng.NormFloat64()
				norm += u[j] * u[j]
			}
		}
		norm = math.Sqrt(norm)
		for j := range u {
			u[j] /= norm
		}
	}
}

// EppsPulleyDistance returns the Epps-Pulley statistic of z against the
// standard normal (stats.EppsPulleyStatGrad) divided by n = len(z): the
// integral of |phi_n(t) - exp(-t^2/2)|^2 against the N(0, 1) density,
// where phi_n is the empirical characteristic function of z. It is 0 only
// when phi_n equals the normal one, its expectation under H0 is of order
// 1/n, and unlike the statistic it does not grow with n under an
// alternative, so a penalty weight means the same at every batch size.
// When grad is not nil (length n) it receives the gradient with respect to
// z. The cost is O(n^2) below 1024 values and O(n M) from there, with a
// series of M = 30 to 100 terms (see stats.EppsPulleyStatGrad).
func EppsPulleyDistance(z, grad []float64) float64 {
	n := float64(len(z))
	t := stats.EppsPulleyStatGrad(z, grad)
	for i := range grad {
		grad[i] /= n
	}
	return t / n
}
