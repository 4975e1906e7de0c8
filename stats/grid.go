package stats

import (
	"fmt"
	"math"
)

// Grid artefacts of the uniform prior. With the channel Y = X + Z,
// Z ~ U[-eps, eps], and X confined to [0, 1], the input distribution that
// maximizes I(X; Y) is discrete, on points about 2·eps apart: outputs of
// neighbouring points then just fail to overlap. An encoder trained with
// uniform noise can find this optimum and put its embeddings on such a
// lattice, which looks uniform at coarse scales but is not. GridArtefacts
// looks for it in one component.

// gridAlpha is the level at which GridResult.Finding calls a test
// significant.
const gridAlpha = 0.01

// The thresholds on the mean resultant length R̄ by which GridResult.Finding
// words a significant periodicity. For values spread uniformly over a
// fraction h of each lattice period, R̄ = sin(πh)/(πh): R̄ = 0.5 for
// h ≈ 0.6, where two fifths of each period are empty, and R̄ = 0.1 for
// h ≈ 0.94. Uniform data have R̄ of order 1/√n, plus at most 2·eps/π when
// the period does not divide [0, 1], so a large sample can make a faint
// lean significant. R̄ measures how much of a lattice there is.
const (
	// gridStrongResultant and above: a lattice, the discrete input found.
	gridStrongResultant = 0.5
	// Below gridWeakResultant: weak periodicity, the values are close to
	// uniform; in between: partial clustering.
	gridWeakResultant = 0.1
)

// GridResult is the outcome of GridArtefacts for one component.
type GridResult struct {
	// Spacing is the lattice spacing looked for, 2·eps.
	Spacing float64
	// Bins and BinWidth describe the chi-square test of uniformity on
	// [0, 1]: Bins equal bins of width BinWidth = 1/Bins.
	Bins     int
	BinWidth float64
	// Resolved is true when BinWidth <= eps/2, four or more bins per
	// lattice period, so that the chi-square test can see a lattice at any
	// offset. With fewer values the bins are capped at n/5 and may be too
	// wide.
	Resolved bool
	// ChiSquare is Pearson's statistic over the bins and its p-value from
	// the chi-square law with Bins-1 degrees of freedom.
	ChiSquare Result
	// Rayleigh is the periodicity statistic Q and its p-value from the
	// chi-square law with 2 degrees of freedom (see GridArtefacts).
	Rayleigh Result
	// MeanResultant is R̄ = |(1/n) Σ exp(iθ_j)|, the concentration of the
	// phases θ_j = 2π x_j/Spacing: 0 for phases spread evenly, 1 for
	// values exactly on a lattice.
	MeanResultant float64
	// Offset in [0, Spacing) is where the mean phase puts the lattice:
	// values cluster near Offset + k·Spacing.
	Offset float64
	// Finding states the outcome in one or two plain sentences. A
	// significant periodicity is worded by MeanResultant as weak (below
	// 0.1), partial (0.1 to 0.5) or a lattice (0.5 and above).
	Finding string
}

// GridArtefacts checks whether the values x, one component of embeddings
// trained for the uniform prior on [0, 1] with noise U[-eps, eps], cluster
// on a lattice of spacing 2·eps. It runs two tests of the null hypothesis
// that x are independent U(0, 1) draws.
//
// Chi-square: Pearson's test on Bins equal bins of [0, 1], with
// Bins = ceil(2/eps) (width at most eps/2) capped at n/5 so that every bin
// expects at least 5 values. Resolved reports whether the cap left the bins
// narrow enough to see the lattice.
//
// Periodicity: the phases θ_j = π x_j/eps, which a lattice of spacing 2·eps
// concentrates. With c̄ and s̄ the means of cos θ_j and sin θ_j, and μ and Σ
// their exact mean and covariance for one U(0, 1) value,
// Q = n (c̄ - μ_c, s̄ - μ_s) Σ⁻¹ (c̄ - μ_c, s̄ - μ_s)ᵀ is asymptotically
// χ²_2 under the null, so p = exp(-Q/2). When 1/(2·eps) is an integer,
// μ = 0 and Σ = I/2, and Q = 2n R̄² is the statistic of the Rayleigh test
// of circular uniformity, whose p-value exp(-n R̄²) this then is. Otherwise the period does not divide [0, 1], the phases of
// uniform data are not uniform, and the exact μ and Σ keep the test valid.
// The p-value is asymptotic; the tests check that null p-values are
// uniform at n = 100 for an eps with and without an integer 1/(2·eps).
//
// NOTE: the periodicity test is tuned to the spacing 2·eps. A lattice whose
// spacing differs by a fraction f drifts in phase by f/(2·eps) periods
// across [0, 1] and is seen less well once that exceeds about 1/4; the
// chi-square test still catches it if Resolved.
//
// Special cases:
//   - eps not in (0, 0.5), NaN or ±Inf: error.
//   - n < 10: error, two bins need at least 10 values.
//   - a value outside [0, 1], NaN or ±Inf: error naming the index. Test the
//     embeddings before noise is added, which lie in [0, 1].
func GridArtefacts(x []float64, eps float64) (GridResult, error) {
	const test = "grid artefact check"
	if !(eps > 0 && eps < 0.5) {
		return GridResult{}, fmt.Errorf("stats: %s: invalid noise half-width eps = %v; use a value in (0, 0.5)", test, eps)
	}
	n := len(x)
	if n < 10 {
		return GridResult{}, tooFewRows(10, n, "stats: %s: need at least 10 values, got %d", test, n)
	}
	for i, v := range x {
		if !(v >= 0 && v <= 1) {
			return GridResult{}, fmt.Errorf("stats: %s: value %v at index %d is outside [0, 1]; test uniform-prior embeddings before noise is added", test, v, i)
		}
	}

	r := GridResult{Spacing: 2 * eps}
	fineBins := int(math.Ceil(2 / eps))
	r.Bins = max(2, min(fineBins, n/5))
	r.BinWidth = 1 / float64(r.Bins)
	r.Resolved = r.Bins >= fineBins
	r.ChiSquare = uniformBinsChiSquare(x, r.Bins)
	gridPeriodicity(x, eps, &r)
	r.Finding = gridFinding(r, eps, n, fineBins)
	return r, nil
}

// GridArtefactsColumns runs GridArtefacts on every column of m.
func GridArtefactsColumns(m Matrix, eps float64) ([]GridResult, error) {
	if err := checkMatrix(m, 10, false, "grid artefact check"); err != nil {
		return nil, err
	}
	out := make([]GridResult, m.D)
	for j := range out {
		r, err := GridArtefacts(m.Col(j), eps)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", j, err)
		}
		out[j] = r
	}
	return out, nil
}

// uniformBinsChiSquare returns Pearson's chi-square statistic of x in
// [0, 1] over bins equal bins, x = 1 counted in the last bin, and its
// p-value with bins-1 degrees of freedom.
func uniformBinsChiSquare(x []float64, bins int) Result {
	counts := make([]int, bins)
	for _, v := range x {
		counts[min(bins-1, int(v*float64(bins)))]++
	}
	expected := float64(len(x)) / float64(bins)
	stat := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		stat += d * d / expected
	}
	return Result{Statistic: stat, PValue: ChiSquareSurvival(stat, float64(bins-1))}
}

// gridPeriodicity fills the periodicity fields of r: Q, its p-value, R̄ and
// the offset. For θ = aU with U ~ U(0, 1) and a = π/eps:
//
//	E cos θ = sin a / a,  E sin θ = (1 - cos a)/a,
//	E cos²θ = 1/2 + sin 2a/(4a),  E sin²θ = 1/2 - sin 2a/(4a),
//	E sin θ cos θ = (1 - cos 2a)/(4a).
func gridPeriodicity(x []float64, eps float64, r *GridResult) {
	a := math.Pi / eps
	var c, s float64
	for _, v := range x {
		sin, cos := math.Sincos(a * v)
		c += cos
		s += sin
	}
	n := float64(len(x))
	c /= n
	s /= n

	muC := math.Sin(a) / a
	muS := (1 - math.Cos(a)) / a
	vCC := 0.5 + math.Sin(2*a)/(4*a) - muC*muC
	vSS := 0.5 - math.Sin(2*a)/(4*a) - muS*muS
	vCS := (1-math.Cos(2*a))/(4*a) - muC*muS
	det := vCC*vSS - vCS*vCS // > 0 for a > 2π, which eps < 0.5 ensures
	dc, ds := c-muC, s-muS
	q := n * (vSS*dc*dc - 2*vCS*dc*ds + vCC*ds*ds) / det

	r.Rayleigh = Result{Statistic: q, PValue: math.Exp(-q / 2)}
	r.MeanResultant = math.Hypot(c, s)
	phase := math.Atan2(s, c) // in (-π, π]
	if phase < 0 {
		phase += 2 * math.Pi
	}
	r.Offset = phase / (2 * math.Pi) * r.Spacing
	if r.Offset >= r.Spacing {
		r.Offset = 0
	}
}

// gridFinding words the outcome of GridArtefacts.
func gridFinding(r GridResult, eps float64, n, fineBins int) string {
	var f string
	switch {
	case r.Rayleigh.PValue < gridAlpha && r.MeanResultant < gridWeakResultant:
		f = fmt.Sprintf("Weak lattice periodicity (mean resultant length %.3f, periodicity p = %.2g): the values lean towards a lattice of spacing %.3g (2·eps) near offset %.3g, "+
			"but far from the discrete input that is optimal for uniform noise; below %.1f the values stay close to uniform at scales of %.3g.",
			r.MeanResultant, r.Rayleigh.PValue, r.Spacing, r.Offset, gridWeakResultant, r.Spacing)
	case r.Rayleigh.PValue < gridAlpha && r.MeanResultant < gridStrongResultant:
		f = fmt.Sprintf("Partial lattice periodicity (mean resultant length %.3f, periodicity p = %.2g): the values gather around a lattice of spacing %.3g (2·eps) near offset %.3g "+
			"but still cover every part of each period; the encoder is moving towards the discrete input that is optimal for uniform noise, which gives %.1f or more.",
			r.MeanResultant, r.Rayleigh.PValue, r.Spacing, r.Offset, gridStrongResultant)
	case r.Rayleigh.PValue < gridAlpha:
		f = fmt.Sprintf("The values cluster on a lattice of spacing %.3g (2·eps) near offset %.3g: mean resultant length %.3f, periodicity p = %.2g. "+
			"The encoder has found the discrete input that is optimal for uniform noise, so the embeddings are not uniform at scales below %.3g.",
			r.Spacing, r.Offset, r.MeanResultant, r.Rayleigh.PValue, r.Spacing)
	case r.ChiSquare.PValue < gridAlpha:
		f = fmt.Sprintf("The values are not uniform in bins of width %.3g (chi-square p = %.2g) but show no periodicity at spacing %.3g (p = %.2g): the departure is not a lattice of that spacing.",
			r.BinWidth, r.ChiSquare.PValue, r.Spacing, r.Rayleigh.PValue)
	default:
		f = fmt.Sprintf("No grid artefact: the values look uniform in bins of width %.3g (chi-square p = %.2g) and show no periodicity at spacing %.3g (p = %.2g).",
			r.BinWidth, r.ChiSquare.PValue, r.Spacing, r.Rayleigh.PValue)
	}
	if !r.Resolved {
		f += fmt.Sprintf(" The chi-square bins are coarse: %d values allow %d bins of width %.3g, wider than eps/2 = %.3g, so that test cannot resolve the lattice; %d values would.",
			n, r.Bins, r.BinWidth, eps/2, 5*fineBins)
	}
	return f
}
