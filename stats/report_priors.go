package stats

import (
	"fmt"
	"math"
	"slices"
)

// slicedEPDirections is the number of random directions of the report's
// sliced Epps-Pulley test, whose cost is B · directions pairwise sums over
// at most EnergySamples rows.
const slicedEPDirections = 8

// streamEppsPulley + j is the PCG stream of column j's Epps-Pulley
// subsample.
const streamEppsPulley = 0x5eed_3000_0000_0000

// isTransformPrior reports whether the report maps the prior to N(0, 1)
// with ToGaussian for the normality tests.
func isTransformPrior(prior string) bool {
	return prior == "logistic" || prior == "laplace" || prior == "exponential"
}

// testApplies reports whether the report test name applies to prior.
func testApplies(name, prior string) bool {
	switch {
	case prior == "uniform":
		return !testSpecs[name].composite && name != "sliced-epps-pulley" && name != "mean-covariance"
	case name == "grid":
		return false
	}
	return true
}

// applyReason explains why a test does not apply to prior.
func applyReason(name, prior string) string {
	switch {
	case name == "grid":
		return fmt.Sprintf("test %q checks the lattice of the uniform prior's channel and does not apply to prior %s", name, prior)
	case name == "sliced-epps-pulley" || name == "mean-covariance":
		return fmt.Sprintf("test %q checks N(0, I) and does not apply to prior %s; use energy-prior", name, prior)
	}
	return fmt.Sprintf("test %q checks normality and does not apply to prior %s", name, prior)
}

// reportMarginal returns the prior's marginal distribution.
func reportMarginal(prior string) Continuous {
	d, err := PriorByName(prior)
	if err != nil {
		return StdNormal
	}
	return d
}

// marginalLabel names the prior's marginal in report text.
func marginalLabel(prior string) string {
	switch prior {
	case "uniform":
		return "U[0, 1]"
	case "logistic":
		return "Logistic(0, 1)"
	case "laplace":
		return "Laplace(0, 1)"
	case "exponential":
		return "Exponential(1)"
	}
	return "N(0, 1)"
}

// gaussianSide returns the matrix the normality tests run on: m itself,
// or for a transform prior the matrix of ToGaussian values together with,
// per column, the reason it has a non-finite value ("" when it has none).
func gaussianSide(m Matrix, prior string) (Matrix, []string) {
	reasons := make([]string, m.D)
	if !isTransformPrior(prior) {
		return m, reasons
	}
	d := reportMarginal(prior)
	g := Matrix{N: m.N, D: m.D, Data: make([]float64, len(m.Data))}
	for i, v := range m.Data {
		z := ToGaussian(d, v)
		g.Data[i] = z
		if j := i % m.D; reasons[j] == "" && (math.IsInf(z, 0) || math.IsNaN(z)) {
			// Rows count from 1, as in the other messages about rows, and
			// components from 0, as in the report's component column.
			reasons[j] = fmt.Sprintf("the value %v of component %d in row %d (counting rows from 1) maps to %v under the %s prior (outside its support or beyond its float64 tail), so the normality tests of the mapped values cannot run",
				v, j, i/m.D+1, z, prior)
		}
	}
	return g, reasons
}

// unmappedEntries lists the selected tests that need the mapped values as
// unable to run, for component j (or -1 for the multivariate tests).
func unmappedEntries(opts ReportOptions, j int, reason string) []TestEntry {
	var out []TestEntry
	for _, name := range opts.Tests {
		spec := testSpecs[name]
		isPer := spec.perComponent && spec.composite
		if (j >= 0 && !isPer) || (j < 0 && !spec.multivariate) {
			continue
		}
		e := TestEntry{Name: name, Component: j}
		out = append(out, finishEntry(e, Result{}, fmt.Errorf("%s: %s", name, reason)))
	}
	return out
}

// eppsPulleySamples caps the rows of the per-component Epps-Pulley test
// below MaxSamples. The cap was set when the statistic cost one exp per
// pair of rows (64 components of 2000 rows took about 1 s of the 2 s
// gaussian battery on a 2-core Xeon). The series sum made that cheap for
// standardized samples within ±8, but a heavy-tailed column still takes
// the pairwise sum, so the cap stays.
const eppsPulleySamples = 1000

// eppsPulleyEntry runs the composite Epps-Pulley test on a column,
// subsampled to min(opts.MaxSamples, eppsPulleySamples) rows.
func eppsPulleyEntry(col []float64, j int, opts ReportOptions) (TestEntry, Result, error) {
	x, subsampled := subsampleSlice(col, min(opts.MaxSamples, eppsPulleySamples), opts.Seed, streamEppsPulley+uint64(j))
	res, err := EppsPulley(x)
	e := TestEntry{Name: "epps-pulley", Component: j, Extra: map[string]any{"subsampled": subsampled, "used_n": len(x)},
		rowCap: min(opts.MaxSamples, eppsPulleySamples)}
	return e, res, err
}

// gridEntry runs GridArtefacts on a column. The entry's statistic is the
// periodicity statistic Q, and its p-value the Bonferroni combination
// min(1, 2 min(p_chi2, p_periodicity)) of the two tests.
func gridEntry(col []float64, j int, opts ReportOptions) (TestEntry, Result, error) {
	e := TestEntry{Name: "grid", Component: j}
	g, err := GridArtefacts(col, opts.Eps)
	if err != nil {
		return e, Result{}, err
	}
	e.Extra = map[string]any{
		"spacing": g.Spacing, "bins": g.Bins, "bin_width": g.BinWidth, "resolved": g.Resolved,
		"chi_square": g.ChiSquare.Statistic, "chi_square_p": g.ChiSquare.PValue,
		"periodicity_p": g.Rayleigh.PValue, "mean_resultant": g.MeanResultant,
		"offset": g.Offset, "finding": g.Finding,
	}
	p := min(1, 2*min(g.ChiSquare.PValue, g.Rayleigh.PValue))
	return e, Result{Statistic: g.Rayleigh.Statistic, PValue: p}, nil
}

// slicedEPEntry runs the sliced Epps-Pulley test against N(0, I) on the
// rows of m, capped at the energy tests' row count.
func slicedEPEntry(m Matrix, opts ReportOptions) TestEntry {
	mc := opts.monteCarlo()
	mc.MaxSamples = min(opts.EnergySamples, opts.MaxSamples)
	res, err := SlicedEppsPulley(m, slicedEPDirections, mc)
	e := TestEntry{Name: "sliced-epps-pulley", Component: -1, rowCap: mc.MaxSamples}
	if err == nil {
		e.Extra = mcExtra(res)
		e.Extra["directions"] = slicedEPDirections
	}
	return finishEntry(e, res.Result, err)
}

// gridFindings returns the finding of each grid entry that ran, in
// component order, for the report text.
func (r *Report) gridFindings() []string {
	var out []string
	for _, e := range r.Tests {
		if e.Name != "grid" || e.Err != "" {
			continue
		}
		if f, ok := e.Extra["finding"].(string); ok {
			out = append(out, fmt.Sprintf("component %d: %s", e.Component, f))
		}
	}
	return slices.Clip(out)
}
