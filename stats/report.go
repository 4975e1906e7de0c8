package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// TestNames lists every test the report can run, in report order.
var TestNames = []string{
	"shapiro-wilk", "shapiro-francia", "anderson-darling", "anderson-darling-prior",
	"ks-prior", "lilliefors", "cramer-von-mises-prior", "cramer-von-mises",
	"dagostino-k2", "jarque-bera", "epps-pulley", "grid", "mardia-skewness", "mardia-kurtosis",
	"henze-zirkler", "energy", "energy-prior", "sliced-epps-pulley", "sphericity",
	"mean-covariance",
}

// testSpec describes one report test: a one-line summary for help text and
// where it applies.
type testSpec struct {
	summary string
	// composite tests check normality with estimated parameters, which
	// means nothing for the uniform prior.
	composite bool
	// perComponent tests run on each column; multivariate ones on all
	// columns at once. energy-prior is per-component for the uniform prior
	// as well as multivariate.
	perComponent, multivariate bool
}

var testSpecs = map[string]testSpec{
	"shapiro-wilk":           {"Shapiro-Wilk W per component, composite normality (n 3..5000, a seeded subsample of 5000 above)", true, true, false},
	"shapiro-francia":        {"Shapiro-Francia W' per component, composite normality (n 5..5000, a seeded subsample of 5000 above)", true, true, false},
	"anderson-darling":       {"Anderson-Darling A² per component, composite normality with estimated mean and sd (n >= 8)", true, true, false},
	"anderson-darling-prior": {"Anderson-Darling A² per component against the prior's marginal, such as N(0, 1) or U[0, 1]", false, true, false},
	"ks-prior":               {"Kolmogorov-Smirnov D per component against the prior's marginal", false, true, false},
	"lilliefors":             {"Lilliefors D per component, Kolmogorov-Smirnov with estimated mean and sd", true, true, false},
	"cramer-von-mises-prior": {"Cramér-von Mises W² per component against the prior's marginal", false, true, false},
	"cramer-von-mises":       {"Cramér-von Mises W² per component, composite normality (n >= 8)", true, true, false},
	"dagostino-k2":           {"D'Agostino-Pearson K² per component, from skewness and kurtosis (n >= 8), Monte Carlo p from normal samples of n rows (O(B n); a seeded subsample of max-samples rows), exact where the χ²(2) p-value is too small far in the tail", true, true, false},
	"jarque-bera":            {"Jarque-Bera per component, from skewness and kurtosis, Monte Carlo p like dagostino-k2", true, true, false},
	"mardia-skewness":        {"Mardia's multivariate skewness with the small-sample factor, composite normality (needs n > d; subsampled when n·min(n, d²)·d is large). Its χ² p-value is too small far in the tail: on normal samples with d = 4, p <= 1.9e-4 comes 9.8 times as often as it should at 50 rows, 3.2 times at 200 and 1.4 times at 1000", true, false, true},
	"mardia-kurtosis":        {"Mardia's multivariate kurtosis standardized with its exact finite-n mean and variance, composite normality (needs n > d + 1). Its normal p-value is too small far in the tail: on normal samples with d = 4, p <= 1.9e-4 comes 12.9 times as often as it should at 50 rows, 6.9 times at 200 and 2.4 times at 1000", true, false, true},
	"henze-zirkler":          {"Henze-Zirkler, composite multivariate normality (needs n > d; O(n²d), subsampled). Its log-normal p-value is too small far in the tail: on normal samples p <= 1.9e-4 comes 2.5 times as often as it should at 200 rows with d = 4 and 4.8 times with d = 16", true, false, true},
	"energy":                 {"energy test of composite multivariate normality, parametric bootstrap (needs n > d; O(B n² d), subsampled)", true, false, true},
	"energy-prior":           {"energy distance to the prior, N(0, I) or U[0,1]^d, Monte Carlo p (O(B n² d), subsampled); also per component for uniform", false, false, true},
	"sphericity":             {"Bartlett's test that the components are uncorrelated (needs d >= 2), p from the statistic's exact law for normal data, where the χ² p-value is too small when n is not large against d. With 3 <= n <= d, where det R = 0, Schott's sum of squared correlations instead, Monte Carlo p from samples of independent columns (O(B n² d))", false, false, true},
	"mean-covariance":        {"likelihood-ratio test of mean 0 and covariance I, p from the statistic's exact law, where the Bartlett-corrected χ² p-value is too small with fewer than about 3d rows. With 2 <= n <= d, where det S = 0, its quadratic form n|mean|² + (n/2)|S - I|² instead, Monte Carlo p from N(0, I) samples (O(B n² d))", false, false, true},
	"epps-pulley":            {"Epps-Pulley characteristic-function test per component, composite normality (n >= 8; a seeded subsample of at most 1000 rows and max-samples)", true, true, false},
	"grid":                   {"grid-artefact check per component for the uniform prior: fine-binned chi-square and periodicity at spacing 2·eps (needs eps)", false, true, false},
	"sliced-epps-pulley":     {"sliced Epps-Pulley test against N(0, I) over 8 random directions, Monte Carlo p (subsampled like energy)", false, false, true},
}

// TestSummary returns the one-line description of a report test, or "" for
// an unknown name.
func TestSummary(name string) string { return testSpecs[name].summary }

// Report defaults.
const (
	DefaultAlpha = 0.01
	// DefaultMaxSamples caps the rows of the Henze-Zirkler test, whose cost
	// is O(n² d).
	DefaultMaxSamples = 2000
	// DefaultEnergySamples caps the rows of the multivariate energy tests,
	// whose bootstrap costs O(B n² d). BenchmarkReportGaussian measures the
	// resulting time.
	DefaultEnergySamples = 500
	// QuickReplicates is a fixed Monte Carlo replicate count for reports
	// that must stay fast on any data, such as the summaries that end
	// nidim train, eval and sweep, which set HolmMomentReplicates too.
	// It was the report's default before its p-values became sequential.
	// A sequential p-value draws all of its thousands of replicates when
	// its test rejects, which took a d = 16 report from about 0.5 s to
	// 19 s.
	QuickReplicates = 199
	// minReportReplicates is the least maximum the report chooses for its
	// sequential p-values, so that a p-value read on its own resolves
	// 1/1000 even when few tests run.
	minReportReplicates = 999
	// shapiroMaxN is the largest sample Shapiro-Wilk and Shapiro-Francia
	// accept; larger columns are subsampled to it.
	shapiroMaxN = 5000
)

// ReportOptions configures BuildReport. Zero values select the defaults.
type ReportOptions struct {
	// Prior is "gaussian" (N(0, I), the default), "uniform" (U[0,1]^d), or
	// "logistic", "laplace" or "exponential" (independent components with
	// that marginal; see Report priors other than gaussian and uniform in
	// the package documentation).
	Prior string
	Tests []string // names from TestNames; empty runs every test valid for the prior
	Alpha float64  // family-wise significance level, default DefaultAlpha
	// MaxSamples caps the rows of Henze-Zirkler, and of Mardia's test when
	// its cost, n·min(n, d²)·d/6 or so, exceeds 2e9 multiply-adds. Default
	// DefaultMaxSamples.
	MaxSamples int
	// EnergySamples caps the rows of the multivariate energy tests, default
	// min(DefaultEnergySamples, MaxSamples).
	EnergySamples int
	// Replicates, when positive, is a fixed Monte Carlo replicate count
	// for the energy tests, the sliced Epps-Pulley test, Jarque-Bera and
	// K² (unless HolmMomentReplicates raises it for the last two), whose
	// p-values are then (1 + g)/(B + 1) with B = Replicates. Sphericity
	// and mean-covariance on n <= d rows are Monte Carlo tests too, and
	// draw at least the count that lets Holm reject on one of them alone
	// when that count is at most DefaultMaxReplicates. 0, the default,
	// makes those p-values sequential (Besag and Clifford; see
	// MonteCarlo and Monte Carlo p-values in the package documentation),
	// with StopAfter and MaxReplicates.
	Replicates int
	// StopAfter is the h of the sequential p-values: a test stops drawing
	// once h replicates are at least as extreme as its statistic. Default
	// DefaultStopAfter. Only without Replicates.
	StopAfter int
	// MaxReplicates is the largest number of replicates a sequential
	// p-value draws. The default is the least count whose smallest
	// p-value lets Holm over the report's K p-values reject on it alone,
	// about K/Alpha - 1, but at least 999 and at most
	// DefaultMaxReplicates. K counts every requested entry, including
	// those that then cannot run. Only without Replicates.
	MaxReplicates int
	// HolmMomentReplicates, with a fixed Replicates, gives jarque-bera
	// and dagostino-k2 a fixed count of their own that lets Holm reject
	// on either alone: the default MaxReplicates, when it is larger than
	// Replicates. Their replicates cost O(B n), against O(B n² d) for the
	// energy tests, so a report that fixes Replicates at QuickReplicates
	// to stay fast keeps the power of these two tests at little cost.
	HolmMomentReplicates bool
	// Eps is the uniform channel's noise half-width, which the grid test
	// needs. 0 means unknown: the grid test then does not run and is listed
	// in Report.Skipped, not in Report.Tests.
	Eps     float64
	Seed    uint64 // seeds every subsample and Monte Carlo draw
	Workers int    // goroutines, default runtime.GOMAXPROCS(0); results do not depend on it
	// Progress, when not nil, receives a description of each step of the
	// battery as it starts, such as "step 3 of 8: henze-zirkler", and of
	// each column that the per-component tests finish. Calls do not
	// overlap, but they can come from different goroutines.
	Progress func(step string)

	progress *reportProgress // set by BuildReport from Progress
}

// TestEntry is one test result of the report.
type TestEntry struct {
	Name      string
	Component int // column index, or -1 for a multivariate test
	Statistic float64
	PValue    float64
	AdjustedP float64 // Holm-adjusted over every p-value of the report
	// Extra holds test-specific values under their JSON names, such as
	// d_plus, subsampled, used_n and replicates.
	Extra map[string]any
	// Err is the reason the test could not run on this data. Statistic,
	// PValue and AdjustedP are NaN then.
	Err string
	// needRows and gotRows are the rows the test needs and the rows it
	// got when it could not run for too few rows, and 0 otherwise. gotRows
	// is below Report.N when the test ran on a subsample.
	needRows, gotRows int
	// rowCap is the size of the subsample the test takes from a larger
	// sample, or 0 when it uses every row. More rows than rowCap do not
	// reach the test.
	rowCap int
}

// ComponentStats holds the moments of one column.
type ComponentStats struct {
	Mean, SD                 float64 // SD with divisor n-1
	Skewness, ExcessKurtosis float64 // biased (1/n) moments
	Min, Max                 float64
}

// Report is the outcome of the prior-matching battery on an n x d sample.
type Report struct {
	N, D  int
	Prior string
	Alpha float64
	Tests []TestEntry
	// Moments and Components describe each column.
	Moments    []Moments
	Components []ComponentStats
	// MaxKSDistance is the largest Kolmogorov-Smirnov distance between a
	// column and the prior's marginal, reached at MaxKSComponent.
	MaxKSDistance  float64
	MaxKSComponent int
	// MaxAbsCorrelation is the largest absolute Pearson correlation between
	// two different columns, at MaxCorrelationPair; 0 when d = 1. Constant
	// columns and columns whose variance overflows are left out, and when
	// that leaves no pair, MaxAbsCorrelation is NaN and MaxCorrelationPair
	// is {-1, -1}.
	MaxAbsCorrelation  float64
	MaxCorrelationPair [2]int
	// Reject is true when some Holm-adjusted p-value is <= Alpha.
	Reject bool
	// Worst indexes the entry of Tests with the smallest adjusted p-value,
	// or -1 when no test ran.
	Worst int
	// Failed counts entries that could not run.
	Failed int
	// Skipped lists the requested tests that did not run because an option
	// they need is missing. They have no entry in Tests and do not count
	// as failed.
	Skipped []SkippedTest
}

// SkippedTest is a test that the report left out, and the reason.
type SkippedTest struct {
	Name   string
	Reason string // a sentence fragment without a final period
}

// ReportTestNames returns the tests valid for prior, in report order.
func ReportTestNames(prior string) []string {
	var out []string
	for _, name := range TestNames {
		if !testApplies(name, prior) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// CheckReportOptions returns the error BuildReport would return for opts
// before looking at any data, or nil, so that a program can check its
// options before it reads a large file.
func CheckReportOptions(opts ReportOptions) error {
	_, err := normalizeOptions(opts)
	return err
}

// normalizeOptions fills defaults and validates opts.
func normalizeOptions(opts ReportOptions) (ReportOptions, error) {
	if opts.Prior == "" {
		opts.Prior = "gaussian"
	}
	if !slices.Contains(PriorNames, opts.Prior) {
		return opts, fmt.Errorf("stats: report: unknown prior %q; use one of %s", opts.Prior, strings.Join(PriorNames, ", "))
	}
	if !(opts.Eps >= 0) || math.IsInf(opts.Eps, 0) {
		return opts, fmt.Errorf("stats: report: noise half-width eps %v is invalid; use a positive number, or 0 when it is unknown", opts.Eps)
	}

	if opts.Alpha == 0 {
		opts.Alpha = DefaultAlpha
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return opts, fmt.Errorf("stats: report: alpha %v is outside (0, 1); use a level such as 0.01", opts.Alpha)
	}
	if opts.MaxSamples < 0 || opts.EnergySamples < 0 || opts.Replicates < 0 || opts.StopAfter < 0 || opts.MaxReplicates < 0 || opts.Workers < 0 {
		return opts, errors.New("stats: report: MaxSamples, EnergySamples, Replicates, StopAfter, MaxReplicates and Workers must not be negative; use 0 for the default")
	}
	if opts.Replicates > 0 && (opts.StopAfter > 0 || opts.MaxReplicates > 0) {
		return opts, fmt.Errorf("stats: report: Replicates %d fixes the replicate count, which StopAfter and MaxReplicates, the settings of sequential p-values, contradict; set one or the other", opts.Replicates)
	}
	if opts.MaxSamples == 0 {
		opts.MaxSamples = DefaultMaxSamples
	}
	if opts.EnergySamples == 0 {
		opts.EnergySamples = min(DefaultEnergySamples, opts.MaxSamples)
	}
	if opts.Replicates == 0 && opts.StopAfter == 0 {
		opts.StopAfter = DefaultStopAfter
	}

	valid := ReportTestNames(opts.Prior)
	if len(opts.Tests) == 0 {
		opts.Tests = valid
		return opts, nil
	}
	seen := map[string]bool{}
	for _, name := range opts.Tests {
		_, known := testSpecs[name]
		switch {
		case !known:
			return opts, fmt.Errorf("stats: report: unknown test %q; valid tests for prior %s: %s", name, opts.Prior, strings.Join(valid, ", "))
		case !testApplies(name, opts.Prior):
			return opts, fmt.Errorf("stats: report: %s; valid tests for prior %s: %s", applyReason(name, opts.Prior), opts.Prior, strings.Join(valid, ", "))
		}
		seen[name] = true
	}
	// Run in report order whatever order was requested.
	opts.Tests = nil
	for _, name := range TestNames {
		if seen[name] {
			opts.Tests = append(opts.Tests, name)
		}
	}
	return opts, nil
}

// maxReportMagnitude is the largest absolute value that BuildReport takes.
// The covariance of the multivariate tests sums squares and products of
// the values, which overflow float64 a little above 1e154.
const maxReportMagnitude = 1e150

// checkMagnitude returns an error naming the first value of m whose
// magnitude exceeds maxReportMagnitude.
func checkMagnitude(m Matrix) error {
	for k, v := range m.Data {
		if math.Abs(v) > maxReportMagnitude {
			return fmt.Errorf("stats: report: value %g of component %d in row %d (counting components from 0 and rows from 1) is beyond 1e150 in magnitude, where the covariance of the multivariate tests overflows float64; such values are far from every prior the report tests, so check how the embeddings were made, or rescale them", v, k%m.D, k/m.D+1)
		}
	}
	return nil
}

// BuildReport runs the prior-matching battery on the rows of m: the moments
// of each column, the requested per-component and multivariate tests, and a
// family verdict. All p-values of the report form one family: they are
// Holm-adjusted together, and the sample is rejected when some adjusted
// p-value is <= opts.Alpha. Holm's method controls the family-wise error
// rate under any dependence between the tests.
//
// A test that cannot run on this data (too few rows, a constant column, a
// singular covariance) is listed with its error and left out of the
// family. Invalid options and non-finite values in m return an error.
//
// NOTE: a Monte Carlo p-value is at least 1/(B+1) with at most B
// replicates, and Holm multiplies the smallest of K p-values by K. When
// K/(B+1) > alpha, Holm can reject on a Monte Carlo test only after at
// least K - alpha (B+1) other tests reject, and WriteText prints a note
// saying so. The default sequential p-values choose B so that this does
// not happen up to K = 200 at alpha 0.01 (see ReportOptions.MaxReplicates);
// a fixed Replicates of 199 avoids it only up to K = 2.
func BuildReport(m Matrix, opts ReportOptions) (*Report, error) {
	opts, err := normalizeOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := checkMatrix(m, 1, false, "report"); err != nil {
		return nil, err
	}
	if err := checkMagnitude(m); err != nil {
		return nil, err
	}
	r := &Report{N: m.N, D: m.D, Prior: opts.Prior, Alpha: opts.Alpha, Worst: -1}
	opts.Tests, r.Skipped = skipTests(opts)
	if opts.Replicates == 0 && opts.MaxReplicates == 0 {
		opts.MaxReplicates = reportMaxReplicates(opts, m.D)
	}
	r.describeComponents(m, opts)

	// The normality tests run on g, the values mapped to N(0, 1) for a
	// transform prior (see gaussianSide).
	g, unmapped := gaussianSide(m, opts.Prior)
	mapped := !isTransformPrior(opts.Prior) || firstNonEmpty(unmapped) == ""
	opts.progress = newReportProgress(opts, mapped)
	perComponent := make([][]TestEntry, m.D)
	if slices.ContainsFunc(opts.Tests, func(name string) bool { return testSpecs[name].perComponent }) {
		opts.progress.startComponents(m.D)
	}
	forEachBlock(m.D, (MonteCarlo{Workers: opts.Workers}).workers(), func(j int) {
		perComponent[j] = componentTests(m.Col(j), g.Col(j), j, opts, unmapped[j])
		if len(perComponent[j]) > 0 {
			opts.progress.componentDone(m.D)
		}
	})
	for _, name := range opts.Tests {
		for j := range perComponent {
			for _, e := range perComponent[j] {
				if e.Name == name {
					r.Tests = append(r.Tests, e)
				}
			}
		}
		if name == "energy-prior" && opts.Prior == "uniform" {
			opts.progress.start("energy-prior on each component")
			r.Tests = append(r.Tests, energyColumnEntries(m, opts)...)
		}
	}
	if momentTestsSelected(opts.Tests) {
		momentOpts := opts
		if opts.HolmMomentReplicates && opts.Replicates > 0 {
			momentOpts.Replicates = max(opts.Replicates, reportMaxReplicates(opts, m.D))
		}
		opts.progress.start(momentStepName(opts.Tests))
		calibrateMomentEntries(r.Tests, min(m.N, opts.MaxSamples), momentOpts)
	}
	if isTransformPrior(opts.Prior) {
		if reason := firstNonEmpty(unmapped); reason != "" {
			r.Tests = append(r.Tests, unmappedEntries(opts, -1, reason)...)
		} else {
			gOpts := opts
			gOpts.Prior = "gaussian"
			r.Tests = append(r.Tests, multivariateTests(g, gOpts)...)
		}
	} else {
		r.Tests = append(r.Tests, multivariateTests(m, opts)...)
	}
	r.adjust()
	return r, nil
}

// familySize returns the number of entries that the tests of opts give
// on d columns, the K of Holm's adjustment when every entry runs.
func familySize(opts ReportOptions, d int) int {
	k := 0
	for _, name := range opts.Tests {
		switch {
		case testSpecs[name].perComponent:
			k += d
		case name == "energy-prior" && opts.Prior == "uniform":
			k += d + 1 // each component, and the multivariate test
		default:
			k++
		}
	}
	return k
}

// reportMaxReplicates returns the default maximum of the sequential
// p-values of a report with the tests of opts on d columns: the least
// count that lets Holm reject on one of them alone, at least
// minReportReplicates and at most DefaultMaxReplicates.
func reportMaxReplicates(opts ReportOptions, d int) int {
	return min(DefaultMaxReplicates, max(minReportReplicates, holmReplicates(familySize(opts, d), opts.Alpha)))
}

// HolmReplicates returns the least Monte Carlo replicate count whose
// smallest p-value lets Holm's adjustment reject on that p-value alone in
// a report with opts on d columns. family is the number of p-values that
// Holm adjusts when every requested entry runs. The count is about
// family/alpha - 1, the default maximum of the sequential p-values before
// its floor of 999 and its cap of DefaultMaxReplicates. It saturates at
// MaxHolmReplicates.
func HolmReplicates(opts ReportOptions, d int) (replicates, family int, err error) {
	opts, err = normalizeOptions(opts)
	if err != nil {
		return 0, 0, err
	}
	opts.Tests, _ = skipTests(opts)
	family = familySize(opts, d)
	return holmReplicates(family, opts.Alpha), family, nil
}

// MaxHolmReplicates, 2^53, is the largest count that HolmReplicates
// returns, when Holm would need that many replicates or more. No run could
// draw that many. Past it float64 skips integers, so that the search for
// the least count could stop advancing, and past 2^63 the count
// overflows int.
const MaxHolmReplicates = 1 << 53

// holmReplicates returns the least replicate count B whose smallest
// Monte Carlo p-value, 1/(B+1), Holm over k p-values at level alpha
// turns into an adjusted p-value of at most alpha: k/(B+1) <= alpha,
// checked as Holm and monteCarloNote compute it in floating point. The
// count saturates at MaxHolmReplicates.
func holmReplicates(k int, alpha float64) int {
	if float64(k)/alpha >= MaxHolmReplicates {
		return MaxHolmReplicates
	}
	b := max(0, int(math.Ceil(float64(k)/alpha))-1)
	for alpha*float64(b+1) < float64(k) || float64(k)*(1/float64(b+1)) > alpha {
		b++
	}
	return b
}

// monteCarlo returns the Monte Carlo settings of the report's tests:
// a fixed count, or sequential p-values. Every Monte Carlo test of the
// report gets the same Seed, so replicate r of energy, energy-prior and
// sliced-epps-pulley comes from the same PCG stream, streamReplicate + r.
// With the gaussian prior it is even the same n x d sample. The
// jarque-bera and dagostino-k2 entries of all columns share the
// replicates of streamMoments + r. Their Monte Carlo errors are therefore
// correlated, which Holm's adjustment allows.
func (opts ReportOptions) monteCarlo() MonteCarlo {
	mc := MonteCarlo{Replicates: opts.Replicates, Seed: opts.Seed, Workers: opts.Workers}
	if opts.Replicates == 0 {
		mc.Replicates, mc.StopAfter = opts.MaxReplicates, opts.StopAfter
	}
	mc.progress = opts.progress.replicatesDrawn(mc.maxReplicates(0), mc.StopAfter > 0)
	return mc
}

// skipTests returns the tests of opts that can run with its options and
// the ones that cannot. Only the grid test can be skipped: it needs eps,
// which a file of embeddings does not record, so a missing eps is expected
// and not a failure of the test on the data.
func skipTests(opts ReportOptions) ([]string, []SkippedTest) {
	if opts.Eps != 0 || !slices.Contains(opts.Tests, "grid") {
		return opts.Tests, nil
	}
	run := slices.DeleteFunc(slices.Clone(opts.Tests), func(name string) bool { return name == "grid" })
	return run, []SkippedTest{{Name: "grid", Reason: "the noise half-width eps of the uniform channel is unknown; " +
		"pass it with nidim test --eps E to check each component for a lattice of spacing 2·eps"}}
}

// describeComponents fills the moments, the largest KS distance to the
// prior's marginal and the largest absolute correlation.
func (r *Report) describeComponents(m Matrix, opts ReportOptions) {
	r.Moments = make([]Moments, m.D)
	r.Components = make([]ComponentStats, m.D)
	marginal := reportMarginal(opts.Prior)
	for j := 0; j < m.D; j++ {
		col := m.Col(j)
		mo := ComputeMoments(col)
		r.Moments[j] = mo
		s := sortedCopy(col)
		r.Components[j] = ComponentStats{
			Mean: mo.Mean, SD: math.Sqrt(mo.Variance),
			Skewness: mo.Skewness, ExcessKurtosis: mo.ExcessKurtosis,
			Min: s[0], Max: s[len(s)-1],
		}
		dPlus, dMinus := ksStatistics(s, marginal.CDF)
		if d := max(dPlus, dMinus); d > r.MaxKSDistance || j == 0 {
			r.MaxKSDistance, r.MaxKSComponent = d, j
		}
	}
	if m.D < 2 {
		return
	}
	r.MaxAbsCorrelation, r.MaxCorrelationPair = math.NaN(), [2]int{-1, -1}
	if m.N < 2 {
		return
	}
	cov := covariance(m, meanVector(m), float64(m.N))
	d := m.D
	for a := 0; a < d; a++ {
		for b := a + 1; b < d; b++ {
			den := math.Sqrt(cov[a*d+a] * cov[b*d+b])
			c := math.Abs(cov[a*d+b] / den)
			if !(den > 0) || math.IsInf(den, 0) || math.IsNaN(c) {
				continue
			}
			if r.MaxCorrelationPair[0] < 0 || c > r.MaxAbsCorrelation {
				r.MaxAbsCorrelation, r.MaxCorrelationPair = c, [2]int{a, b}
			}
		}
	}
}

// componentTests runs the selected per-component tests on column j: the
// tests against the prior on col, the normality tests on gcol, its values
// mapped to N(0, 1) (the same as col except for a transform prior). When
// unmapped is not "", gcol has non-finite values and the normality tests
// are listed with that reason. It only reads opts, so columns can run in
// parallel.
func componentTests(priorCol, gcol []float64, j int, opts ReportOptions, unmapped string) []TestEntry {
	marginal := reportMarginal(opts.Prior)
	// The two Shapiro tests share one subsample of gcol, and so do
	// Jarque-Bera and K², so each pair draws it once.
	type drawn struct {
		x          []float64
		subsampled bool
	}
	subsamples := map[uint64]drawn{}
	subsample := func(k int, stream uint64) ([]float64, bool) {
		if d, ok := subsamples[stream]; ok {
			return d.x, d.subsampled
		}
		x, subsampled := subsampleSlice(gcol, k, opts.Seed, stream)
		subsamples[stream] = drawn{x, subsampled}
		return x, subsampled
	}

	var out []TestEntry
	for _, name := range opts.Tests {
		if !testSpecs[name].perComponent {
			continue
		}
		e := TestEntry{Name: name, Component: j}
		col := priorCol
		if testSpecs[name].composite {
			if unmapped != "" {
				out = append(out, finishEntry(e, Result{}, fmt.Errorf("%s: %s", name, unmapped)))
				continue
			}
			col = gcol
		}
		var res Result
		var err error
		switch name {
		case "shapiro-wilk", "shapiro-francia":
			x, subsampled := subsample(shapiroMaxN, streamShapiro+uint64(j))
			e.rowCap = shapiroMaxN
			if name == "shapiro-wilk" {
				res, err = ShapiroWilk(x)
			} else {
				res, err = ShapiroFrancia(x)
			}
			e.Extra = map[string]any{"subsampled": subsampled, "used_n": len(x)}
		case "anderson-darling":
			res, err = AndersonDarlingNormal(col)
		case "anderson-darling-prior":
			res, err = AndersonDarling(col, marginal)
			// A value where the prior's CDF is 0 or 1 makes A^2 infinite:
			// the strongest evidence against the prior, not a test that
			// could not run.
			var outside *OutsideSupportError
			if errors.As(err, &outside) {
				res, err = Result{Statistic: math.Inf(1), PValue: 0}, nil
				e.Extra = map[string]any{"outside_support": outside.Value}
			}
		case "ks-prior":
			var ks KSResult
			ks, err = KolmogorovSmirnov(col, marginal, TwoSided)
			res = ks.Result
			e.Extra = map[string]any{"d_plus": ks.DPlus, "d_minus": ks.DMinus, "exact": ks.Exact}
		case "lilliefors":
			res, err = Lilliefors(col)
		case "cramer-von-mises-prior":
			res, err = CramerVonMises(col, marginal)
		case "cramer-von-mises":
			res, err = CramerVonMisesNormal(col)
		case "dagostino-k2", "jarque-bera":
			// Each Monte Carlo replicate draws as many values as the test
			// reads, so the test reads a seeded subsample of MaxSamples
			// rows (see calibrateMomentEntries).
			x, subsampled := subsample(opts.MaxSamples, streamMomentRows+uint64(j))
			e.rowCap = opts.MaxSamples
			if name == "dagostino-k2" {
				res, err = DAgostinoK2(x)
			} else {
				res, err = JarqueBera(x)
			}
			e.Extra = map[string]any{"subsampled": subsampled, "used_n": len(x)}
		case "epps-pulley":
			e, res, err = eppsPulleyEntry(col, j, opts)
		case "grid":
			e, res, err = gridEntry(col, j, opts)
		}
		out = append(out, finishEntry(e, res, err))
	}
	return out
}

// streamShapiro + j is the PCG stream of column j's Shapiro subsample,
// and streamMomentRows + j that of its Jarque-Bera and K² subsample.
const (
	streamShapiro    = 0x5eed_2000_0000_0000
	streamMomentRows = 0x5eed_5000_0000_0000
)

// subsampleSlice returns x when len(x) <= k, else k values of x chosen
// without replacement with a seeded PCG, in their original order.
func subsampleSlice(x []float64, k int, seed, stream uint64) ([]float64, bool) {
	sub, ok := MonteCarlo{Seed: seed, MaxSamples: k}.subsampleStream(Matrix{N: len(x), D: 1, Data: x}, stream)
	return sub.Data, ok
}

// energyColumnEntries runs the per-component energy tests against U[0, 1].
func energyColumnEntries(m Matrix, opts ReportOptions) []TestEntry {
	res, err := EnergyPriorColumns(m, opts.Prior, opts.monteCarlo())
	out := make([]TestEntry, m.D)
	for j := range out {
		e := TestEntry{Name: "energy-prior", Component: j}
		if err != nil {
			out[j] = finishEntry(e, Result{}, err)
			continue
		}
		e.Extra = mcExtra(res[j])
		out[j] = finishEntry(e, res[j].Result, nil)
	}
	return out
}

// multivariateTests runs the selected multivariate tests, in report order.
func multivariateTests(m Matrix, opts ReportOptions) []TestEntry {
	selected := func(name string) bool { return slices.Contains(opts.Tests, name) }
	var out []TestEntry
	if selected("mardia-skewness") || selected("mardia-kurtosis") {
		opts.progress.start(wholeSampleSteps(opts.Tests)[0])
		out = append(out, mardiaEntries(m, opts, selected("mardia-skewness"), selected("mardia-kurtosis"))...)
	}

	mc := opts.monteCarlo()
	if selected("henze-zirkler") {
		opts.progress.start("henze-zirkler")
		hz := mc
		hz.MaxSamples = opts.MaxSamples
		res, err := HenzeZirklerSampled(m, hz)
		e := TestEntry{Name: "henze-zirkler", Component: -1, rowCap: hz.MaxSamples}
		if err == nil {
			e.Extra = map[string]any{"subsampled": res.Subsampled, "used_n": res.UsedN}
		}
		out = append(out, finishEntry(e, res.Result, err))
	}
	energy := mc
	energy.MaxSamples = min(opts.EnergySamples, opts.MaxSamples)
	if selected("energy") {
		opts.progress.start("energy")
		res, err := EnergyNormality(m, energy)
		// With a fixed count EnergyNormality returns energy's fraction of
		// replicates >= E, which is 0 when E beats them all. Holm would
		// read 0 as certain rejection, so the report uses the valid
		// (1 + count)/(B + 1). A sequential p-value is valid as it is.
		if reps := float64(res.Replicates); res.StopAfter == 0 {
			res.PValue = (math.Round(res.PValue*reps) + 1) / (reps + 1)
		}
		out = append(out, finishEntry(TestEntry{Name: "energy", Component: -1, Extra: mcExtraOrNil(res, err), rowCap: energy.MaxSamples}, res.Result, err))
	}
	if selected("energy-prior") {
		opts.progress.start("energy-prior")
		res, err := EnergyPrior(m, opts.Prior, energy)
		out = append(out, finishEntry(TestEntry{Name: "energy-prior", Component: -1, Extra: mcExtraOrNil(res, err), rowCap: energy.MaxSamples}, res.Result, err))
	}
	if selected("sliced-epps-pulley") {
		opts.progress.start("sliced-epps-pulley")
		out = append(out, slicedEPEntry(m, opts))
	}
	if selected("sphericity") && m.N <= m.D {
		opts.progress.start("sphericity")
		out = append(out, schottEntry(m, opts))
	} else if selected("sphericity") {
		opts.progress.start("sphericity")
		df := float64(m.D*(m.D-1)) / 2
		e := TestEntry{Name: "sphericity", Component: -1, Extra: map[string]any{"df": df}}
		res, err := SphericityExact(m)
		if err == nil {
			e.Extra["asymptotic_p_value"] = ChiSquareSurvival(res.Statistic, df)
		}
		out = append(out, finishEntry(e, res, err))
	}
	if selected("mean-covariance") && m.N <= m.D {
		opts.progress.start("mean-covariance")
		out = append(out, meanCovarianceQuadEntry(m, opts))
	} else if selected("mean-covariance") {
		opts.progress.start("mean-covariance")
		res, err := MeanCovarianceExact(m)
		e := TestEntry{Name: "mean-covariance", Component: -1}
		if err == nil {
			e.Extra = map[string]any{"df": res.DF, "bartlett_scale": res.Scale, "mean_part": res.MeanPart, "covariance_part": res.CovariancePart,
				"asymptotic_p_value": ChiSquareSurvival(res.Statistic*res.Scale, res.DF)}
			if res.SingularComponent >= 0 {
				e.Extra["singular_component"] = res.SingularComponent
			}
		}
		out = append(out, finishEntry(e, res.Result, err))
	}
	return out
}

// mardiaEntries runs Mardia's test and returns the requested skewness and
// kurtosis entries. They use the finite-n forms (SkewnessSmallSample and
// KurtosisFinite), which suit d that is not small against n, as it often
// is for embeddings. NOTE: their p-values are too small far in the upper
// tail: on N(0, I) samples with d = 4, p <= 1.9e-4 comes 3.2 and 6.9
// times too often at n = 200 (docs/calibration.md).
func mardiaEntries(m Matrix, opts ReportOptions, skew, kurt bool) []TestEntry {
	// The cost grows as n·min(n, d²)·d. Above mardiaMaxCost the test runs
	// on the MaxSamples subsample, like Henze-Zirkler.
	x, subsampled := m, false
	if mardiaCost(m.N, m.D) > mardiaMaxCost {
		x, subsampled = MonteCarlo{Seed: opts.Seed, MaxSamples: opts.MaxSamples}.subsample(m)
	}
	res, err := Mardia(x)
	df := float64(m.D*(m.D+1)*(m.D+2)) / 6
	// A sample with the max(4, d + 2) rows that the kurtosis needs would
	// be subsampled when d is above about 1590.
	rowCap := 0
	if mardiaCost(max(4, m.D+2), m.D) > mardiaMaxCost {
		rowCap = opts.MaxSamples
	}

	var out []TestEntry
	if skew {
		e := TestEntry{Name: "mardia-skewness", Component: -1, rowCap: rowCap,
			Extra: map[string]any{"df": df, "subsampled": subsampled, "used_n": x.N}}
		if err == nil {
			e.Extra["b1"] = res.B1
		}
		out = append(out, finishEntry(e, res.SkewnessSmallSample, err))
	}
	if kurt {
		e := TestEntry{Name: "mardia-kurtosis", Component: -1, rowCap: rowCap,
			Extra: map[string]any{"subsampled": subsampled, "used_n": x.N}}
		kerr := err
		var short *rowCountError
		switch {
		case errors.As(err, &short):
			// The kurtosis needs more rows than the skewness, which is all
			// that Mardia checks.
			kerr = &rowCountError{msg: short.msg, need: max(short.need, 4, m.D+2), got: short.got}
		case err == nil:
			e.Extra["b2"] = res.B2
			if math.IsNaN(res.KurtosisFinite.Statistic) {
				kerr = tooFewRows(max(4, m.D+2), x.N, "mardia-kurtosis: needs at least max(4, d + 2) = %d rows for the finite-n variance of b2, got %d; add rows", max(4, m.D+2), x.N)
			}
		}
		out = append(out, finishEntry(e, res.KurtosisFinite, kerr))
	}
	return out
}

// mardiaMaxCost is the number of multiply-adds above which the report runs
// Mardia's test on a subsample: 2e9, about a second of one core.
const mardiaMaxCost = 2e9

// mardiaCost estimates the multiply-adds of Mardia's skewness, the cheaper
// of the tensor and pairwise forms.
func mardiaCost(n, d int) float64 {
	fn, fd := float64(n), float64(d)
	return min(fn*fd*fd*fd/6, fn*fn*fd/2)
}

// mcExtra returns the fields of a Monte Carlo test: the replicates drawn,
// whether a sequential run stopped early, and for a sequential run its h
// and its maximum.
func mcExtra(r MCResult) map[string]any {
	e := map[string]any{"replicates": r.Replicates, "stopped_early": r.StoppedEarly, "subsampled": r.Subsampled, "used_n": r.UsedN}
	if r.StopAfter > 0 {
		e["stop_after"], e["max_replicates"] = r.StopAfter, r.MaxReplicates
	}
	return e
}

func mcExtraOrNil(r MCResult, err error) map[string]any {
	if err != nil {
		return nil
	}
	return mcExtra(r)
}

// finishEntry stores a test's result or its error in e.
func finishEntry(e TestEntry, res Result, err error) TestEntry {
	if err != nil {
		e.Statistic, e.PValue, e.AdjustedP = math.NaN(), math.NaN(), math.NaN()
		// Drop the "stats: test name: " prefix; the entry names the test.
		msg := strings.TrimPrefix(err.Error(), "stats: ")
		if _, rest, ok := strings.Cut(msg, ": "); ok && rest != "" {
			msg = rest
		}
		e.Err = msg
		var short *rowCountError
		if errors.As(err, &short) {
			e.needRows, e.gotRows = short.need, short.got
		}
		return e
	}
	e.Statistic, e.PValue = res.Statistic, res.PValue
	return e
}

// adjust Holm-adjusts every p-value and sets the verdict fields.
func (r *Report) adjust() {
	p := make([]float64, len(r.Tests))
	for i, e := range r.Tests {
		p[i] = e.PValue
		if e.Err != "" {
			r.Failed++
		}
	}
	adj := Holm(p)
	for i := range r.Tests {
		r.Tests[i].AdjustedP = adj[i]
		a := adj[i]
		if math.IsNaN(a) {
			continue
		}
		if r.Worst < 0 || a < r.Tests[r.Worst].AdjustedP ||
			(a == r.Tests[r.Worst].AdjustedP && r.Tests[i].PValue < r.Tests[r.Worst].PValue) {
			r.Worst = i
		}
		if a <= r.Alpha {
			r.Reject = true
		}
	}
}

// Ran returns the number of tests that produced a p-value.
func (r *Report) Ran() int { return len(r.Tests) - r.Failed }

// Rejected returns the number of tests whose adjusted p-value is <= Alpha.
func (r *Report) Rejected() int {
	k := 0
	for _, e := range r.Tests {
		if e.AdjustedP <= r.Alpha {
			k++
		}
	}
	return k
}

// priorLabel returns the name of the prior used in the verdict.
func (r *Report) priorLabel() string {
	switch r.Prior {
	case "uniform":
		return "U[0,1]^d"
	case "gaussian", "":
		return "N(0, I)"
	}
	return marginalLabel(r.Prior) + "^d"
}

// Verdict returns the one-line conclusion of the report.
func (r *Report) Verdict() string {
	var b strings.Builder
	ran := r.Ran()
	switch {
	case ran == 0 && len(r.Tests) == 0:
		fmt.Fprintf(&b, "NO VERDICT: no test ran, because every requested test was skipped")
	case ran == 0:
		fmt.Fprintf(&b, "NO VERDICT: none of the %d tests could run on this data", len(r.Tests))
	case !r.Reject:
		fmt.Fprintf(&b, "PASS: no test rejects %s at alpha %g after Holm adjustment (%s)", r.priorLabel(), r.Alpha, count(ran, "test", "tests"))
	default:
		w := r.Tests[r.Worst]
		fmt.Fprintf(&b, "FAIL: %d of %d tests reject %s at alpha %g after Holm adjustment; worst: %s (p = %.3g, adjusted %.3g)",
			r.Rejected(), ran, r.priorLabel(), r.Alpha, w.label(), w.PValue, w.AdjustedP)
	}
	if r.Failed > 0 && ran > 0 {
		fmt.Fprintf(&b, "; %d could not run", r.Failed)
	}
	return b.String()
}

// count returns n with the singular or plural noun, such as "1 test" or
// "3 tests".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// label names the test and its component for messages.
func (e TestEntry) label() string {
	if e.Component < 0 {
		return e.Name
	}
	return fmt.Sprintf("%s on component %d", e.Name, e.Component)
}

// firstNonEmpty returns the first non-empty string of s, or "".
func firstNonEmpty(s []string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
