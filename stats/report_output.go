package stats

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// WriteText writes the report as aligned tables for a terminal: a header,
// the moments of each component, the two summary distances, one row per
// test (component, statistic, p-value, Holm-adjusted p-value, verdict and
// notes), and the verdict line last. When more than half of the requested
// tests, or of the multivariate ones, could not run, a warning right above
// the verdict reports it.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Prior-matching tests: %d x %d sample against %s, alpha %g, Holm adjustment over %s\n\n",
		r.N, r.D, r.priorLabel(), r.Alpha, count(r.Ran(), "p-value", "p-values"))

	fmt.Fprintf(bw, "%9s  %10s  %10s  %10s  %10s  %10s  %10s\n", "component", "mean", "sd", "skewness", "ex.kurt", "min", "max")
	for j, c := range r.Components {
		fmt.Fprintf(bw, "%9d  %10.4g  %10.4g  %10.4g  %10.4g  %10.4g  %10.4g\n",
			j, c.Mean, c.SD, c.Skewness, c.ExcessKurtosis, c.Min, c.Max)
	}
	marginal := marginalLabel(r.Prior)
	fmt.Fprintf(bw, "\nLargest Kolmogorov-Smirnov distance to %s: %.4g (component %d)\n", marginal, r.MaxKSDistance, r.MaxKSComponent)
	switch {
	case r.D >= 2 && r.MaxCorrelationPair[0] >= 0:
		fmt.Fprintf(bw, "Largest absolute correlation between components: %.4g (components %d and %d)\n",
			r.MaxAbsCorrelation, r.MaxCorrelationPair[0], r.MaxCorrelationPair[1])
	case r.D >= 2:
		fmt.Fprintf(bw, "Largest absolute correlation between components: not defined, because no two components both have a finite, non-zero variance\n")
	}

	if len(r.Tests) > 0 {
		width := len("test")
		for _, e := range r.Tests {
			width = max(width, len(e.Name))
		}
		fmt.Fprintf(bw, "\n%-*s  %9s  %12s  %10s  %10s  %-7s  %s\n", width, "test", "component", "statistic", "p", "adjusted p", "verdict", "notes")
		for _, e := range r.Tests {
			comp := "all"
			if e.Component >= 0 {
				comp = fmt.Sprint(e.Component)
			}
			if e.Err != "" {
				fmt.Fprintf(bw, "%-*s  %9s  %12s  %10s  %10s  %-7s  could not run: %s\n", width, e.Name, comp, "-", "-", "-", "-", e.Err)
				continue
			}
			verdict := "ok"
			if e.AdjustedP <= r.Alpha {
				verdict = "reject"
			}
			fmt.Fprintf(bw, "%-*s  %9s  %12.6g  %10.4g  %10.4g  %-7s  %s\n", width, e.Name, comp, e.Statistic, e.PValue, e.AdjustedP, verdict, e.notes(r.N, r.D))
		}
	}
	for _, skip := range r.Skipped {
		fmt.Fprintf(bw, "\nSkipped: %s, because %s.\n", skip.Name, skip.Reason)
	}
	if findings := r.gridFindings(); len(findings) > 0 {
		fmt.Fprintf(bw, "\nGrid check:\n")
		for _, f := range findings {
			fmt.Fprintf(bw, "  %s\n", f)
		}
	}
	if note := r.sequentialNote(); note != "" {
		fmt.Fprintf(bw, "\nNote: %s\n", note)
	}
	if note := r.monteCarloNote(); note != "" {
		fmt.Fprintf(bw, "\nNote: %s\n", note)
	}
	// The warning goes right above the verdict, which stays the last line.
	if warning := r.coverageWarning(); warning != "" {
		fmt.Fprintf(bw, "\nWarning: %s\n%s\n", warning, r.Verdict())
	} else {
		fmt.Fprintf(bw, "\n%s\n", r.Verdict())
	}
	return bw.Flush()
}

// notes describes an entry for the text table: subsampling, replicates,
// a value outside the prior's support, or the parts of the
// mean-covariance statistic.
func (e TestEntry) notes(n, d int) string {
	var parts []string
	switch e.Extra["statistic_form"] {
	case "schott":
		parts = append(parts, "Schott's standardized sum of squared correlations, because Bartlett's statistic needs more rows than columns, p by Monte Carlo from samples of independent columns")
	case "quadratic":
		parts = append(parts, fmt.Sprintf("n |mean|^2 + (n/2) |S - I|^2, because the likelihood ratio needs more rows than columns: mean part %.4g (null mean %d), covariance part %.4g (null mean %.4g), p by Monte Carlo from N(0, I) samples",
			e.Extra["mean_part"], d, e.Extra["covariance_part"], e.Extra["covariance_null_mean"]))
	}
	if mean, ok := e.Extra["mean_part"].(float64); ok && e.Extra["statistic_form"] == nil {
		// Under the null the mean part is χ² with d degrees of freedom, and
		// the covariance part has mean E[T] - d, with E[T] = df/scale.
		// That is about d(d+1)/2 for large n, but larger when n is close
		// to d. The part far above its mean shows which moment is off.
		df, _ := e.Extra["df"].(float64)
		scale, _ := e.Extra["bartlett_scale"].(float64)
		// The note names the law of the p-value, the statistic's exact
		// law (see MeanCovarianceExact), because the statistic column
		// alone would be read against χ²(df).
		parts = append(parts, fmt.Sprintf("mean part %.4g (null mean %d), covariance part %.4g (null mean %.4g), p from the statistic's exact law under N(0, I)",
			mean, d, e.Extra["covariance_part"], df/scale-float64(d)))
	}
	if j, ok := e.Extra["singular_component"].(int); ok {
		parts = append(parts, fmt.Sprintf("singular covariance: component %d is constant or a linear combination of earlier components", j))
	}
	if v, ok := e.Extra["outside_support"].(float64); ok {
		parts = append(parts, fmt.Sprintf("value %v outside the prior's support", v))
	}
	if reps, ok := e.Extra["replicates"].(int); ok && reps > 0 {
		maxReps, sequential := e.Extra["max_replicates"].(int)
		switch {
		case !sequential:
			parts = append(parts, fmt.Sprintf("%d replicates", reps))
		case e.Extra["stopped_early"] == true:
			parts = append(parts, fmt.Sprintf("sequential, stopped after %d of at most %d replicates", reps, maxReps))
		default:
			parts = append(parts, fmt.Sprintf("sequential, all %d replicates", reps))
		}
	}
	if sub, ok := e.Extra["subsampled"].(bool); ok && sub {
		parts = append(parts, fmt.Sprintf("subsample of %v of %d rows", e.Extra["used_n"], n))
	}
	return strings.Join(parts, ", ")
}

// sequentialNote explains how the notes "sequential, stopped after L" and
// "sequential, all n replicates" turn into p-values, or returns "" when no
// test that ran has a sequential p-value.
func (r *Report) sequentialNote() string {
	for _, e := range r.Tests {
		h, sequential := e.Extra["stop_after"].(int)
		if !sequential || e.Err != "" {
			continue
		}
		return fmt.Sprintf("a sequential Monte Carlo p-value (Besag and Clifford, 1991) draws replicates of its statistic under the null until %d are at least as large as the observed statistic, so a test that stopped after L replicates has p = %d/L. A test that drew all n replicates, g of them that large, has p = (g + 1)/(n + 1), as a fixed count of n would give.",
			h, h)
	}
	return ""
}

// monteCarloNote explains, when it applies, that Monte Carlo p-values are
// too coarse for Holm to reject on them unless many other tests reject
// first. Holm multiplies the i-th smallest of k p-values by k - i + 1, and
// a Monte Carlo p-value is at least 1/(B+1) with B replicates, or with at
// most B for a sequential one, so it can reject only at a rank
// i >= k + 1 - alpha (B+1). The note is about the entry with the
// fewest replicates, or the smallest maximum of a sequential one, because
// a report can give its Monte Carlo tests different counts (see
// ReportOptions.HolmMomentReplicates).
func (r *Report) monteCarloNote() string {
	k := r.Ran()
	coarsest, fewest := -1, 0
	for i, e := range r.Tests {
		reps, ok := e.Extra["replicates"].(int)
		if maxReps, sequential := e.Extra["max_replicates"].(int); sequential {
			reps = maxReps
		}
		if ok && e.Err == "" && (coarsest < 0 || reps < fewest) {
			coarsest, fewest = i, reps
		}
	}
	if coarsest < 0 {
		return ""
	}
	e := r.Tests[coarsest]
	reps := e.Extra["replicates"].(int)
	need := holmReplicates(k, r.Alpha)
	from := fmt.Sprintf("from %d replicates", reps)
	// The report also ends nidim train, eval and sweep, which have no
	// flags for the replicates, so the advice names nidim test. Its
	// default sequential p-values suffice unless need exceeds their
	// largest maximum.
	advice := fmt.Sprintf("nidim test, whose default sequential p-values let Holm reject on them alone (or nidim test --replicates %d or more for a fixed count)", need)
	if need > DefaultMaxReplicates {
		advice = fmt.Sprintf("nidim test --replicates %d or more, which lets Holm reject on them alone", need)
	}
	if maxReps, sequential := e.Extra["max_replicates"].(int); sequential {
		reps = maxReps
		from = fmt.Sprintf("from at most %d replicates", reps)
		advice = fmt.Sprintf("nidim test --max-replicates %d or more, which lets Holm reject on them alone", need)
	}
	reach := r.Alpha * float64(reps+1)
	if float64(k) <= reach {
		return ""
	}
	next := fmt.Sprintf("read them on their own, or test the embeddings with %s", advice)
	if need >= MaxHolmReplicates {
		next = fmt.Sprintf("read them on their own, because no count of replicates that could be drawn lets Holm reject on them alone at alpha %g", r.Alpha)
	}
	// Holm compares the largest p-value with alpha itself, so when
	// 1/(B+1) exceeds alpha no number of other rejections helps.
	others := int(math.Ceil(float64(k) - reach))
	if others >= k {
		return fmt.Sprintf("Monte Carlo p-values %s are at least 1/%d, above alpha %g, so Holm over %s cannot reject on them even when every other test rejects; %s.",
			from, reps+1, r.Alpha, count(k, "test", "tests"), next)
	}
	return fmt.Sprintf("Monte Carlo p-values %s are at least 1/%d, so Holm over %d tests at alpha %g rejects on them only after %s; %s.",
		from, reps+1, k, r.Alpha, count(others, "other test rejects", "other tests reject"), next)
}

// coverageWarning returns, when more than half of the requested tests did
// not run at all, a warning that the verdict rests on the others, with the
// rows that the failed tests need when their errors give that number. When
// the battery as a whole ran but more than half of the multivariate tests
// did not, as with fewer rows than columns, the warning states that only
// the few that ran checked the joint distribution. It returns "" when
// neither holds, and when no test ran, which the verdict states.
func (r *Report) coverageWarning() string {
	if r.Ran() == 0 {
		return ""
	}
	all := func(string) bool { return true }
	if failed, requested, notRun := r.notRunTests(all); 2*notRun > requested {
		return fmt.Sprintf("%d of the %d requested tests could not run on this %d x %d sample, so the verdict below rests on the other %d alone%s.",
			notRun, requested, r.N, r.D, requested-notRun, r.failedTestsText(failed))
	}
	multivariate := func(name string) bool { return testSpecs[name].multivariate }
	failed, requested, notRun := r.notRunTests(multivariate)
	switch {
	case 2*notRun <= requested:
		return ""
	case notRun == requested:
		none := fmt.Sprintf("none of the %d requested multivariate tests could run", requested)
		if requested == 1 {
			none = "the one requested multivariate test could not run"
		}
		return fmt.Sprintf("%s on this %d x %d sample, so the verdict below does not check the joint distribution, such as the dependence between components%s.",
			none, r.N, r.D, r.failedTestsText(failed))
	}
	return fmt.Sprintf("%d of the %d requested multivariate tests could not run on this %d x %d sample, so the verdict below checks the joint distribution, such as the dependence between components, with the other %d alone%s.",
		notRun, requested, r.N, r.D, requested-notRun, r.failedTestsText(failed))
}

// notRunTests returns the tests selected by keep that could not run on
// any entry, in report order, and the counts of requested and of not-run
// tests among those selected. A test that ran on some components counts
// as run, and a skipped test (see Report.Skipped) as requested but not run.
func (r *Report) notRunTests(keep func(name string) bool) (failed []string, requested, notRun int) {
	var names []string
	ran := map[string]bool{}
	for _, e := range r.Tests {
		if !keep(e.Name) {
			continue
		}
		if !slices.Contains(names, e.Name) {
			names = append(names, e.Name)
		}
		if e.Err == "" {
			ran[e.Name] = true
		}
	}
	for _, name := range names {
		if !ran[name] {
			failed = append(failed, name)
		}
	}
	skipped := 0
	for _, skip := range r.Skipped {
		if keep(skip.Name) {
			skipped++
		}
	}
	return failed, len(names) + skipped, len(failed) + skipped
}

// failedTestsText names the tests that failed on this data for the
// coverage warning, with the rows they need when rowsNeeded finds that
// number.
func (r *Report) failedTestsText(failed []string) string {
	if len(failed) == 0 {
		return ""
	}
	if need := r.rowsNeeded(failed); need > 0 {
		return fmt.Sprintf(". Those that failed on this data (%s) need at least %d rows, and the sample has %d",
			strings.Join(failed, ", "), need, r.N)
	}
	return fmt.Sprintf(". Those that failed on this data are %s, for the reasons in the table above", strings.Join(failed, ", "))
}

// rowsNeeded returns the largest row count that an entry of the tests
// names needs, or 0 when adding rows to the sample may not let them all
// run: when some entry failed for a reason other than too few rows, ran on
// a subsample, or would need more rows than its subsample size.
func (r *Report) rowsNeeded(names []string) int {
	need := 0
	for _, e := range r.Tests {
		if e.Err == "" || !slices.Contains(names, e.Name) {
			continue
		}
		if e.needRows == 0 || e.gotRows != r.N || (e.rowCap > 0 && e.rowCap < e.needRows) {
			return 0
		}
		need = max(need, e.needRows)
	}
	return need
}

// MarshalJSON encodes the report as one object, the output contract of
// "nidim test --json":
//
//	n, d, prior, alpha
//	tests: [{name, component (-1 for multivariate), statistic, p_value,
//	        p_adjusted, test-specific fields such as d_plus, d_minus, exact,
//	        subsampled, used_n, df, b1, b2, outside_support (a value where
//	        the prior's CDF is 0 or 1), and error when the test could not
//	        run; a Monte Carlo test adds replicates (the number drawn) and
//	        stopped_early (a sequential run stopped when stop_after
//	        replicates were at least as extreme, so p = stop_after /
//	        replicates), and a sequential one also stop_after and
//	        max_replicates; jarque-bera, dagostino-k2, sphericity
//	        and mean-covariance add asymptotic_p_value, their χ²
//	        p-value, except as follows. On no more rows than columns
//	        sphericity and mean-covariance are Monte Carlo tests with
//	        statistic_form "schott" and "quadratic": sphericity's
//	        asymptotic_p_value is then the normal upper tail of
//	        Schott's statistic, and mean-covariance has none but
//	        mean_part, covariance_part and covariance_null_mean}]
//	components: [{component, mean, sd, skewness, excess_kurtosis, min, max}]
//	max_ks_distance, max_ks_component, max_abs_correlation,
//	max_correlation_pair ([a, b], null when d = 1 or when no pair of
//	columns has finite, non-zero variances)
//	tests_run, tests_rejected (adjusted p-value at most alpha),
//	tests_failed (tests that could not run), reject, verdict
//	skipped: [{name, reason}], the tests left out because an option they
//	        need is missing, such as grid without eps; absent when none
//
// Numbers that are NaN or infinite (a test that could not run) are null.
func (r *Report) MarshalJSON() ([]byte, error) {
	type component struct {
		Component      int `json:"component"`
		Mean           any `json:"mean"`
		SD             any `json:"sd"`
		Skewness       any `json:"skewness"`
		ExcessKurtosis any `json:"excess_kurtosis"`
		Min            any `json:"min"`
		Max            any `json:"max"`
	}
	out := struct {
		N                  int              `json:"n"`
		D                  int              `json:"d"`
		Prior              string           `json:"prior"`
		Alpha              float64          `json:"alpha"`
		Tests              []map[string]any `json:"tests"`
		Components         []component      `json:"components"`
		MaxKSDistance      any              `json:"max_ks_distance"`
		MaxKSComponent     int              `json:"max_ks_component"`
		MaxAbsCorrelation  any              `json:"max_abs_correlation"`
		MaxCorrelationPair []int            `json:"max_correlation_pair"`
		TestsRun           int              `json:"tests_run"`
		TestsRejected      int              `json:"tests_rejected"`
		TestsFailed        int              `json:"tests_failed"`
		Reject             bool             `json:"reject"`
		Verdict            string           `json:"verdict"`
		Skipped            []skippedJSON    `json:"skipped,omitempty"`
	}{
		N: r.N, D: r.D, Prior: r.Prior, Alpha: r.Alpha,
		Tests:             make([]map[string]any, 0, len(r.Tests)),
		MaxKSDistance:     jsonNumber(r.MaxKSDistance),
		MaxKSComponent:    r.MaxKSComponent,
		MaxAbsCorrelation: jsonNumber(r.MaxAbsCorrelation),
		TestsRun:          r.Ran(),
		TestsRejected:     r.Rejected(),
		TestsFailed:       r.Failed,
		Reject:            r.Reject,
		Verdict:           r.Verdict(),
	}
	if r.D >= 2 && r.MaxCorrelationPair[0] >= 0 {
		out.MaxCorrelationPair = r.MaxCorrelationPair[:]
	}
	for _, e := range r.Tests {
		entry := map[string]any{}
		for k, v := range e.Extra {
			if f, ok := v.(float64); ok {
				v = jsonNumber(f)
			}
			entry[k] = v
		}
		entry["name"] = e.Name
		entry["component"] = e.Component
		entry["statistic"] = jsonNumber(e.Statistic)
		entry["p_value"] = jsonNumber(e.PValue)
		entry["p_adjusted"] = jsonNumber(e.AdjustedP)
		if e.Err != "" {
			entry["error"] = e.Err
		}
		out.Tests = append(out.Tests, entry)
	}
	for _, skip := range r.Skipped {
		out.Skipped = append(out.Skipped, skippedJSON{Name: skip.Name, Reason: skip.Reason})
	}
	for j, c := range r.Components {
		out.Components = append(out.Components, component{
			Component: j, Mean: jsonNumber(c.Mean), SD: jsonNumber(c.SD),
			Skewness: jsonNumber(c.Skewness), ExcessKurtosis: jsonNumber(c.ExcessKurtosis),
			Min: jsonNumber(c.Min), Max: jsonNumber(c.Max),
		})
	}
	return json.Marshal(out)
}

type skippedJSON struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// jsonNumber returns v, or nil (JSON null) when v is NaN or infinite.
func jsonNumber(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}
