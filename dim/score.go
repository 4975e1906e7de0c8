package dim

import (
	"fmt"
	"math"
	"strings"

	"github.com/nidim/nidim/stats"
)

// RowError is an error caused by one embedding row, such as a non-finite
// component. Row indexes the row from 0.
type RowError struct {
	Row int
	Msg string
}

func (e *RowError) Error() string { return e.Msg }

// OutlierScores returns, for each of the n embeddings of dimension d in emb
// (row-major), an outlier statistic s and its p-value P(S >= s) for an
// embedding drawn from the prior. Every prior is first mapped back to
// N(0, 1) per component, and s = sum_k z_k^2 is chi-square with d degrees
// of freedom when the embedding follows the prior:
//
//   - gaussian: z_k = e_k.
//   - uniform: z_k = Phi^-1(u_k), the inverse of the encoder's squashing.
//   - logistic, laplace, exponential and the other PIT priors:
//     z_k = stats.ToGaussian(prior, e_k), the inverse of the transform that
//     Model.Embed applies to the Gaussian output.
//
// The scores are therefore a function of what "nidim embed" writes, and
// scoring an embedding file gives the same values as scoring the inputs.
// They are computed in float64, in component order, so the result depends
// only on the row. A non-finite component, or one outside the support of
// the prior, returns a *RowError naming the row.
func OutlierScores(prior string, emb []float32, n, d int) (scores, pValues []float64, err error) {
	if n < 0 || d < 1 || len(emb) != n*d {
		return nil, nil, fmt.Errorf("dim: %d values do not form %d embeddings of dimension %d", len(emb), n, d)
	}
	toNormal, err := normalMap(prior)
	if err != nil {
		return nil, nil, err
	}

	scores = make([]float64, n)
	pValues = make([]float64, n)
	for i := range n {
		s := 0.0
		for k, v := range emb[i*d : (i+1)*d] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, &RowError{Row: i, Msg: fmt.Sprintf("embedding %d has the non-finite component %d = %v", i, k, v)}
			}
			z := toNormal(v)
			s += z * z
		}
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, nil, &RowError{Row: i, Msg: fmt.Sprintf("embedding %d lies outside the support of the %s prior", i, prior)}
		}
		scores[i] = s
		pValues[i] = stats.ChiSquareSurvival(s, float64(d))
	}
	return scores, pValues, nil
}

// normalMap returns the per-component map of the named prior to N(0, 1).
func normalMap(prior string) (func(float32) float64, error) {
	switch prior {
	case "gaussian":
		return func(v float32) float64 { return float64(v) }, nil
	case "uniform":
		return uniformToNormal, nil
	}
	target, ok := TransformTarget(prior)
	if !ok {
		return nil, fmt.Errorf("dim: unknown prior %q; use one of %s", prior, strings.Join(PriorNames, ", "))
	}
	median := target.Quantile(0.5)
	return func(v float32) float64 {
		z := stats.ToGaussian(target, float64(v))
		if math.IsInf(z, 0) {
			// The transform stores values as float32, which rounds the
			// end of the support (0 for the exponential prior below
			// z = -13.5 or so) onto the boundary. One float32 step inside
			// gives a finite statistic that is a lower bound.
			z = stats.ToGaussian(target, float64(math.Nextafter32(v, float32(median))))
		}
		return z
	}, nil
}

// uniformToNormal maps a uniform component to N(0, 1) with Phi^-1. The
// encoder stores Phi(h) as float32, which rounds to exactly 1 for h above
// about 5.4 and to 0 below about -14. Such components are moved half a
// float32 spacing inside (0, 1), so the statistic of a saturated component
// is a lower bound and its p-value an upper bound. Values outside [0, 1]
// give NaN.
func uniformToNormal(v float32) float64 {
	u := float64(v)
	switch {
	case u == 1:
		u = 1 - 0x1p-25
	case u == 0:
		u = 0x1p-150
	}
	return stats.NormalQuantile(u)
}
