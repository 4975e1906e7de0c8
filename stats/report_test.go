package stats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportJSON mirrors the JSON contract of Report.MarshalJSON, as a script
// would decode it.
type reportJSON struct {
	N     int     `json:"n"`
	D     int     `json:"d"`
	Prior string  `json:"prior"`
	Alpha float64 `json:"alpha"`
	Tests []struct {
		Name       string   `json:"name"`
		Component  int      `json:"component"`
		Statistic  *float64 `json:"statistic"`
		PValue     *float64 `json:"p_value"`
		PAdjusted  *float64 `json:"p_adjusted"`
		DPlus      *float64 `json:"d_plus"`
		Subsampled *bool    `json:"subsampled"`
		UsedN      *int     `json:"used_n"`
		Replicates *int     `json:"replicates"`
		Error      string   `json:"error"`
	} `json:"tests"`
	Components []struct {
		Component      int     `json:"component"`
		Mean           float64 `json:"mean"`
		SD             float64 `json:"sd"`
		Skewness       float64 `json:"skewness"`
		ExcessKurtosis float64 `json:"excess_kurtosis"`
		Min            float64 `json:"min"`
		Max            float64 `json:"max"`
	} `json:"components"`
	MaxKSDistance      float64 `json:"max_ks_distance"`
	MaxAbsCorrelation  float64 `json:"max_abs_correlation"`
	MaxCorrelationPair []int   `json:"max_correlation_pair"`
	TestsRun           int     `json:"tests_run"`
	TestsRejected      int     `json:"tests_rejected"`
	TestsFailed        int     `json:"tests_failed"`
	Reject             bool    `json:"reject"`
	Verdict            string  `json:"verdict"`
}

func decodeReport(t *testing.T, r *Report) reportJSON {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out reportJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return out
}

func TestReportJSONContract(t *testing.T) {
	m := normalMatrix(200, 3, 31)
	r, err := BuildReport(m, ReportOptions{Replicates: 49, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	j := decodeReport(t, r)
	if j.N != 200 || j.D != 3 || j.Prior != "gaussian" || j.Alpha != 0.01 {
		t.Errorf("header n %d d %d prior %q alpha %v", j.N, j.D, j.Prior, j.Alpha)
	}
	// 11 per-component tests on 3 columns and 8 multivariate entries.
	if len(j.Tests) != 41 || j.TestsRun != 41 || j.TestsFailed != 0 {
		t.Fatalf("%d tests, %d run, %d failed; want 41, 41, 0", len(j.Tests), j.TestsRun, j.TestsFailed)
	}
	var p []float64
	rejected := 0
	for _, e := range j.Tests {
		if e.Statistic == nil || e.PValue == nil || e.PAdjusted == nil {
			t.Fatalf("%s/%d: missing statistic or p-value", e.Name, e.Component)
		}
		if *e.PAdjusted <= j.Alpha {
			rejected++
		}
		p = append(p, *e.PValue)
		multivariate := !testSpecs[e.Name].perComponent
		if multivariate && e.Component != -1 || !multivariate && (e.Component < 0 || e.Component >= 3) {
			t.Errorf("%s: component %d", e.Name, e.Component)
		}
		switch e.Name {
		case "ks-prior":
			if e.DPlus == nil {
				t.Errorf("ks-prior/%d: no d_plus", e.Component)
			}
		case "shapiro-wilk", "henze-zirkler":
			if e.Subsampled == nil || *e.Subsampled || e.UsedN == nil || *e.UsedN != 200 {
				t.Errorf("%s: subsampled/used_n missing or wrong", e.Name)
			}
		case "energy", "energy-prior":
			if e.Replicates == nil || *e.Replicates != 49 {
				t.Errorf("%s: replicates missing or not 49", e.Name)
			}
		}
	}
	holm := Holm(p)
	for i, e := range j.Tests {
		checkClose(t, "p_adjusted", *e.PAdjusted, holm[i], 0, 0)
	}
	if len(j.Components) != 3 {
		t.Fatalf("%d components, want 3", len(j.Components))
	}
	col := m.Col(1)
	mo := ComputeMoments(col)
	checkClose(t, "mean", j.Components[1].Mean, mo.Mean, 0, 0)
	checkClose(t, "sd", j.Components[1].SD, math.Sqrt(mo.Variance), 0, 0)
	s := sortedCopy(col)
	checkClose(t, "min", j.Components[1].Min, s[0], 0, 0)
	checkClose(t, "max", j.Components[1].Max, s[len(s)-1], 0, 0)
	if j.Reject != r.Reject || j.Verdict != r.Verdict() {
		t.Errorf("reject %v verdict %q, report says %v %q", j.Reject, j.Verdict, r.Reject, r.Verdict())
	}
	if j.TestsRejected != rejected {
		t.Errorf("tests_rejected %d, but %d tests have p_adjusted <= alpha", j.TestsRejected, rejected)
	}
	if len(j.MaxCorrelationPair) != 2 {
		t.Errorf("max_correlation_pair %v", j.MaxCorrelationPair)
	}

	// Shifted data: the count in the JSON is the one in the verdict.
	for i := range m.Data {
		m.Data[i] += 0.5
	}
	r, err = BuildReport(m, ReportOptions{Replicates: 49, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	j = decodeReport(t, r)
	if j.TestsRejected == 0 || !strings.Contains(j.Verdict, fmt.Sprintf("FAIL: %d of %d tests reject", j.TestsRejected, j.TestsRun)) {
		t.Errorf("shifted data: tests_rejected %d, verdict %q", j.TestsRejected, j.Verdict)
	}
}

func TestReportSummaryDistances(t *testing.T) {
	m := normalMatrix(500, 4, 8)
	for i := 0; i < m.N; i++ {
		r := m.Row(i)
		r[3] = 0.6*r[1] + 0.8*r[3]
		r[2] += 0.4 // column 2 is shifted
	}
	r, err := BuildReport(m, ReportOptions{Tests: []string{"sphericity"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxCorrelationPair != [2]int{1, 3} {
		t.Errorf("largest correlation at %v, want [1 3]", r.MaxCorrelationPair)
	}
	a, b := m.Col(1), m.Col(3)
	ma, _ := meanSD(a)
	mb, _ := meanSD(b)
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	checkClose(t, "max |r|", r.MaxAbsCorrelation, math.Abs(sab/math.Sqrt(saa*sbb)), 0, 1e-12)
	if r.MaxKSComponent != 2 {
		t.Errorf("largest KS distance at component %d, want the shifted 2", r.MaxKSComponent)
	}
	ks, err := KolmogorovSmirnov(m.Col(2), StdNormal, TwoSided)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "max KS", r.MaxKSDistance, ks.Statistic, 0, 1e-15)
}

func TestReportRejectsShiftedSample(t *testing.T) {
	m := normalMatrix(400, 3, 12)
	for i := 0; i < m.N; i++ {
		m.Row(i)[1] += 0.5
	}
	r, err := BuildReport(m, ReportOptions{Replicates: 19})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reject {
		t.Fatalf("shifted sample not rejected: %s", r.Verdict())
	}
	w := r.Tests[r.Worst]
	if w.Component != 1 {
		t.Errorf("worst test %s on component %d, want component 1", w.Name, w.Component)
	}
	if v := r.Verdict(); !strings.HasPrefix(v, "FAIL: ") || !strings.Contains(v, w.Name) {
		t.Errorf("verdict %q does not name the worst test %s", v, w.Name)
	}
	// The composite tests ignore the shift: none of them rejects.
	for _, e := range r.Tests {
		if e.Name == "shapiro-wilk" && e.AdjustedP <= r.Alpha {
			t.Errorf("shapiro-wilk rejects a shifted normal: %+v", e)
		}
	}
}

func TestReportPassesNullSample(t *testing.T) {
	r, err := BuildReport(uniformMatrix(400, 3, 40), ReportOptions{Prior: "uniform", Replicates: 19})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reject || !strings.HasPrefix(r.Verdict(), "PASS: no test rejects U[0,1]^d at alpha 0.01 after Holm adjustment (14 tests)") {
		t.Errorf("uniform sample: %s", r.Verdict())
	}
}

func TestReportShapiroSubsample(t *testing.T) {
	m := normalMatrix(6000, 1, 5)
	r, err := BuildReport(m, ReportOptions{Tests: []string{"shapiro-wilk", "shapiro-francia"}, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tests) != 2 {
		t.Fatalf("%d entries, want 2", len(r.Tests))
	}
	for _, e := range r.Tests {
		if e.Err != "" || e.Extra["subsampled"] != true || e.Extra["used_n"] != 5000 {
			t.Errorf("%s: error %q, extra %v; want subsampled to 5000", e.Name, e.Err, e.Extra)
		}
	}
	// The entry is Shapiro-Wilk on the seeded subsample.
	sub, _ := subsampleSlice(m.Col(0), 5000, 4, streamShapiro)
	want, err := ShapiroWilk(sub)
	if err != nil {
		t.Fatal(err)
	}
	if r.Tests[0].Statistic != want.Statistic || r.Tests[0].PValue != want.PValue {
		t.Errorf("entry %v %v, direct %v", r.Tests[0].Statistic, r.Tests[0].PValue, want)
	}
}

func TestReportListsTestsThatCannotRun(t *testing.T) {
	m := normalMatrix(6, 2, 3) // too few rows for Anderson-Darling (n >= 8)
	r, err := BuildReport(m, ReportOptions{Tests: []string{"anderson-darling", "ks-prior", "sphericity"}, Replicates: 9})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range r.Tests {
		if e.Name == "anderson-darling" {
			if e.Err == "" || !math.IsNaN(e.PValue) {
				t.Errorf("anderson-darling on 6 rows: error %q p %v", e.Err, e.PValue)
			}
			failed++
		}
	}
	if failed != 2 || r.Failed != 2 || r.Ran() != 3 {
		t.Errorf("failed entries %d, Failed %d, Ran %d; want 2, 2, 3", failed, r.Failed, r.Ran())
	}
	j := decodeReport(t, r)
	for _, e := range j.Tests {
		if e.Name == "anderson-darling" && (e.Statistic != nil || e.PValue != nil || e.Error == "") {
			t.Errorf("JSON entry of a failed test: %+v", e)
		}
	}
	if !strings.Contains(r.Verdict(), "2 could not run") {
		t.Errorf("verdict %q does not count the failed tests", r.Verdict())
	}
}

func TestReportOptionErrors(t *testing.T) {
	m := normalMatrix(50, 2, 1)
	cases := []struct {
		opts ReportOptions
		want string
	}{
		{ReportOptions{Prior: "uniform", Tests: []string{"shapiro-wilk"}}, "does not apply to prior uniform"},
		{ReportOptions{Tests: []string{"shapiro"}}, "unknown test \"shapiro\"; valid tests for prior gaussian: shapiro-wilk, "},
		{ReportOptions{Prior: "cauchy"}, "unknown prior"},
		{ReportOptions{Alpha: 1.5}, "alpha 1.5"},
		{ReportOptions{Replicates: -1}, "must not be negative"},
	}
	for _, c := range cases {
		_, err := BuildReport(m, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
	bad := normalMatrix(50, 2, 1)
	bad.Data[2*7+1] = math.NaN()
	if _, err := BuildReport(bad, ReportOptions{}); err == nil || !strings.Contains(err.Error(), "of component 1 in row 8 (counting components from 0 and rows from 1)") {
		t.Errorf("NaN: error %v, want one naming component 1 in row 8", err)
	}
}

func TestReportWriteText(t *testing.T) {
	r, err := BuildReport(normalMatrix(100, 2, 9), ReportOptions{Replicates: 19})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != r.Verdict() {
		t.Errorf("last line %q, want the verdict %q", last, r.Verdict())
	}
	rows := 0
	for _, l := range lines {
		for _, name := range TestNames {
			if strings.HasPrefix(l, name+" ") {
				rows++
			}
		}
	}
	if rows != len(r.Tests) {
		t.Errorf("%d test rows, want %d", rows, len(r.Tests))
	}
	if !strings.Contains(buf.String(), "adjusted p") || !strings.Contains(buf.String(), "ex.kurt") {
		t.Errorf("table headers missing:\n%s", buf.String())
	}
}

func TestReportWorkersDoNotChangeResult(t *testing.T) {
	checkReportSameForWorkers(t, normalMatrix(150, 3, 17), ReportOptions{Replicates: 29, Seed: 5}, 1, 2, 4)
}

// checkReportSameForWorkers reports an error unless BuildReport of m with
// opts gives the same JSON for each worker count in workers.
func checkReportSameForWorkers(t *testing.T, m Matrix, opts ReportOptions, workers ...int) {
	t.Helper()
	var first []byte
	for _, w := range workers {
		opts.Workers = w
		r, err := BuildReport(m, opts)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = raw
		} else if !bytes.Equal(raw, first) {
			t.Errorf("workers %d changed the report", w)
		}
	}
}

// The report's energy p-value is (1 + count)/(B + 1), never 0, while
// EnergyNormality returns energy's count/B.
func TestReportEnergyPValueNeverZero(t *testing.T) {
	m := uniformMatrix(300, 2, 3) // far from normal: no replicate reaches E
	r, err := BuildReport(m, ReportOptions{Tests: []string{"energy"}, Replicates: 49, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := EnergyNormality(m, MonteCarlo{Replicates: 49, Seed: 2, MaxSamples: DefaultEnergySamples})
	if err != nil {
		t.Fatal(err)
	}
	if raw.PValue != 0 {
		t.Fatalf("EnergyNormality p = %v, want 0 for this sample", raw.PValue)
	}
	checkClose(t, "report p", r.Tests[0].PValue, 1.0/50, 0, 1e-15)
}

func TestReportMardiaSubsampledWhenCostly(t *testing.T) {
	// The cheaper pair form costs n²d/2 = 4000²·300/2 = 2.4e9 > 2e9.
	if testing.Short() {
		t.Skip("builds a 4000 x 300 report")
	}
	m := normalMatrix(4000, 300, 2)
	r, err := BuildReport(m, ReportOptions{Tests: []string{"mardia-kurtosis"}, MaxSamples: 400, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	e := r.Tests[0]
	if e.Err != "" || e.Extra["subsampled"] != true || e.Extra["used_n"] != 400 {
		t.Errorf("entry %+v, want Mardia on a 400-row subsample", e)
	}
	small, err := BuildReport(normalMatrix(300, 5, 2), ReportOptions{Tests: []string{"mardia-kurtosis"}, MaxSamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	if small.Tests[0].Extra["subsampled"] != false || small.Tests[0].Extra["used_n"] != 300 {
		t.Errorf("cheap case subsampled: %+v", small.Tests[0])
	}
}

func TestReportMardiaKurtosisNeedsTwoMoreRows(t *testing.T) {
	r, err := BuildReport(normalMatrix(4, 3, 1), ReportOptions{Tests: []string{"mardia-skewness", "mardia-kurtosis"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Tests[0].Err != "" {
		t.Errorf("skewness on 4 x 3: %q", r.Tests[0].Err)
	}
	if r.Tests[1].Err == "" || !math.IsNaN(r.Tests[1].PValue) {
		t.Errorf("kurtosis on 4 x 3: error %q p %v, want an error", r.Tests[1].Err, r.Tests[1].PValue)
	}
}

// The report's per-component tests against U[0, 1] reproduce the
// per-column scipy values of testdata/marginal_uniformity.json, and
// Bonferroni over the stored p-values gives the stored summary.
func TestReportMarginalUniformityFixtures(t *testing.T) {
	names := map[string]string{"marginal_ks_uniform": "ks-prior", "marginal_cvm_uniform": "cramer-von-mises-prior"}
	for _, c := range loadFixture(t, "marginal_uniformity.json") {
		rows := c.matrix(t)
		m := Matrix{N: len(rows), D: len(rows[0])}
		for _, r := range rows {
			m.Data = append(m.Data, r...)
		}
		name := names[c.Test]
		r, err := BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{name}})
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		stat, p := c.values(t, "statistic"), c.values(t, "pvalue")
		if len(r.Tests) != m.D {
			t.Fatalf("%s: %d entries, want %d", c.ID, len(r.Tests), m.D)
		}
		for j, e := range r.Tests {
			if e.Name != name || e.Component != j {
				t.Errorf("%s: entry %d is %s/%d", c.ID, j, e.Name, e.Component)
			}
			tol := c.Tolerance["statistic"]
			checkClose(t, fmt.Sprintf("%s statistic %d", c.ID, j), e.Statistic, stat[j], tol.Abs, tol.Rel)
			tol = c.Tolerance["pvalue"]
			checkClose(t, fmt.Sprintf("%s p %d", c.ID, j), e.PValue, p[j], tol.Abs, tol.Rel)
		}
		bonferroni := slices.Min(Bonferroni(p))
		checkClose(t, c.ID+" bonferroni", bonferroni, c.value(t, "bonferroni_pvalue"), 0, 1e-15)
	}
}

// A collapsed component (every row the same value, a common failure of
// representation learning) must fail the report. It used to pass: every
// test refused constant data and dropped out of the family.
func TestReportRejectsCollapsedComponent(t *testing.T) {
	for _, tc := range []struct {
		prior string
		m     Matrix
		c     float64
	}{
		{"gaussian", normalMatrix(300, 3, 7), 0},
		{"gaussian", normalMatrix(300, 3, 7), 2},
		{"uniform", uniformMatrix(300, 3, 7), 0},
		{"uniform", uniformMatrix(300, 3, 7), 0.5},
	} {
		for i := 0; i < tc.m.N; i++ {
			tc.m.Row(i)[1] = tc.c
		}
		r, err := BuildReport(tc.m, ReportOptions{Prior: tc.prior, Replicates: 19})
		require.NoError(t, err)
		require.Truef(t, r.Reject, "%s prior, component 1 constant at %v: %s", tc.prior, tc.c, r.Verdict())
		// The worst entry is on component 1, unless it is a multivariate
		// test that finds the covariance singular, which gives p = 0.
		if w := r.Tests[r.Worst]; w.Component != 1 {
			assert.Equalf(t, -1, w.Component, "%s prior, constant %v: worst entry %s", tc.prior, tc.c, w.Name)
			assert.Equalf(t, 0.0, w.PValue, "%s prior, constant %v: worst entry %s", tc.prior, tc.c, w.Name)
		}
		worstComponent, worstP := -1, math.Inf(1)
		for _, e := range r.Tests {
			if e.Component >= 0 && e.PValue < worstP {
				worstComponent, worstP = e.Component, e.PValue
			}
		}
		assert.Equalf(t, 1, worstComponent, "%s prior, constant %v: component of the smallest per-component p-value", tc.prior, tc.c)
		for _, e := range r.Tests {
			if e.Component == 1 && e.Name == "ks-prior" {
				assert.Emptyf(t, e.Err, "%s prior: ks-prior on the constant component", tc.prior)
				assert.LessOrEqualf(t, e.AdjustedP, r.Alpha, "%s prior, constant %v: ks-prior", tc.prior, tc.c)
			}
		}
	}
}

// With two columns of which one is constant, or whose variance overflows,
// no pair has a correlation. The report must not show 0 at the pair
// (0, 0), which reads as two perfectly uncorrelated components.
func TestReportCorrelationUndefinedWithoutPair(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(i int) float64
	}{
		// A column whose variance overflows, such as values near 1e300,
		// no longer reaches the correlation: BuildReport rejects values
		// beyond 1e150 (TestReportRejectsHugeValues).
		{"constant column", func(int) float64 { return 0.5 }},
	} {
		m := normalMatrix(200, 2, 3)
		for i := 0; i < m.N; i++ {
			m.Row(i)[1] = tc.value(i)
		}
		r, err := BuildReport(m, ReportOptions{Tests: []string{"ks-prior"}})
		require.NoError(t, err, tc.name)
		assert.True(t, math.IsNaN(r.MaxAbsCorrelation), "%s: max |r| %v", tc.name, r.MaxAbsCorrelation)
		assert.Equal(t, [2]int{-1, -1}, r.MaxCorrelationPair, tc.name)

		var text bytes.Buffer
		require.NoError(t, r.WriteText(&text), tc.name)
		assert.Contains(t, text.String(), "Largest absolute correlation between components: not defined", tc.name)
		assert.NotContains(t, text.String(), "components 0 and 0", tc.name)

		j := decodeReport(t, r)
		assert.Nil(t, j.MaxCorrelationPair, tc.name)
	}
}

// One test used to read "Holm adjustment over 1 p-values" and "(1 tests)".
func TestReportCountsOneTestInTheSingular(t *testing.T) {
	r, err := BuildReport(normalMatrix(50, 1, 3), ReportOptions{Tests: []string{"ks-prior"}})
	require.NoError(t, err)
	require.False(t, r.Reject, r.Verdict())
	assert.Equal(t, "PASS: no test rejects N(0, I) at alpha 0.01 after Holm adjustment (1 test)", r.Verdict())
	var b bytes.Buffer
	require.NoError(t, r.WriteText(&b))
	assert.Contains(t, b.String(), "Holm adjustment over 1 p-value\n")

	r, err = BuildReport(normalMatrix(50, 2, 3), ReportOptions{Tests: []string{"ks-prior"}})
	require.NoError(t, err)
	assert.Contains(t, r.Verdict(), "(2 tests)")
}

func TestCheckReportOptionsMatchesBuildReport(t *testing.T) {
	m := normalMatrix(30, 2, 1)
	for _, opts := range []ReportOptions{
		{Prior: "cauchy"},
		{Tests: []string{"shapiro"}},
		{Prior: "uniform", Tests: []string{"lilliefors"}},
		{Alpha: 2},
	} {
		err := CheckReportOptions(opts)
		require.Error(t, err, "%+v", opts)
		_, buildErr := BuildReport(m, opts)
		assert.EqualError(t, buildErr, err.Error(), "%+v", opts)
	}
	assert.NoError(t, CheckReportOptions(ReportOptions{Prior: "uniform", Tests: []string{"ks-prior"}}))
}

// The note used to say that Holm cannot reject on Monte Carlo p-values,
// although it can once enough other tests reject first.
func TestMonteCarloNoteCountsRejections(t *testing.T) {
	const k, reps, alpha = 51, 199, 0.01
	r := &Report{Alpha: alpha, Tests: make([]TestEntry, k)}
	r.Tests[0].Extra = map[string]any{"replicates": reps}
	assert.Contains(t, r.monteCarloNote(), "Holm over 51 tests at alpha 0.01 rejects on them only after 49 other tests reject")
	assert.Contains(t, r.monteCarloNote(), "nidim test --replicates 5099 or more")

	// With the suggested 5099 replicates the note no longer applies.
	r.Tests[0].Extra["replicates"] = 5099
	assert.Empty(t, r.monteCarloNote())
	r.Tests[0].Extra["replicates"] = 5098
	assert.NotEmpty(t, r.monteCarloNote())
	r.Tests[0].Extra["replicates"] = reps

	// With 48 small p-values the smallest Monte Carlo p-value stays above
	// alpha after Holm; with 49 it reaches alpha.
	for others, rejects := range map[int]bool{48: false, 49: true} {
		p := make([]float64, k)
		for i := range p {
			p[i] = 0.5
		}
		for i := range others {
			p[i] = 1e-9
		}
		p[k-1] = 1.0 / (reps + 1)
		assert.Equal(t, rejects, Holm(p)[k-1] <= alpha, "%d other rejections", others)
	}
}

// The non-finite value error counts components from 0, as the report's
// table does, and rows from 1, as the messages of the nidim commands do.
// It used to count both from 1, so its component was one above the
// report's.
func TestReportNonFiniteComponentNumbering(t *testing.T) {
	for _, c := range []struct {
		index int
		value float64
		want  string
	}{
		{0, math.NaN(), "stats: report: non-finite value NaN of component 0 in row 1 (counting components from 0 and rows from 1); remove or replace it"},
		{2*3 + 2, math.Inf(1), "stats: report: non-finite value +Inf of component 2 in row 3 (counting components from 0 and rows from 1); remove or replace it"},
		{4*3 + 1, math.Inf(-1), "stats: report: non-finite value -Inf of component 1 in row 5 (counting components from 0 and rows from 1); remove or replace it"},
	} {
		m := normalMatrix(20, 3, 1)
		m.Data[c.index] = c.value
		_, err := BuildReport(m, ReportOptions{})
		assert.EqualError(t, err, c.want, "value at index %d", c.index)
	}
}

// A value where the prior's CDF is 0 or 1 makes Anderson-Darling's A^2
// infinite. The report used to list the test as one that could not run;
// it is the strongest evidence against the prior.
func TestReportOutsideSupportRejects(t *testing.T) {
	m := uniformMatrix(400, 2, 41)
	m.Data[5*2+1] = 1.5 // row 5, component 1, outside [0, 1]
	r, err := BuildReport(m, ReportOptions{Prior: "uniform", Tests: []string{"anderson-darling-prior", "ks-prior"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 0 {
		t.Errorf("%d tests could not run; want 0: %s", r.Failed, r.Verdict())
	}
	found := false
	for _, e := range r.Tests {
		if e.Name != "anderson-darling-prior" {
			continue
		}
		switch e.Component {
		case 1:
			found = true
			if e.PValue != 0 || e.AdjustedP != 0 || !math.IsInf(e.Statistic, 1) || e.Extra["outside_support"] != 1.5 {
				t.Errorf("component 1: statistic %v, p %v, adjusted %v, extra %v; want +Inf, 0, 0 and outside_support 1.5", e.Statistic, e.PValue, e.AdjustedP, e.Extra)
			}
		case 0:
			if e.PValue < 0.001 {
				t.Errorf("component 0 is uniform, but p = %v", e.PValue)
			}
		}
	}
	if !found || !r.Reject || !strings.Contains(r.Verdict(), "worst: anderson-darling-prior on component 1") {
		t.Errorf("verdict %q", r.Verdict())
	}
	j := decodeReport(t, r)
	if j.TestsFailed != 0 || j.TestsRejected < 1 {
		t.Errorf("JSON: tests_failed %d, tests_rejected %d", j.TestsFailed, j.TestsRejected)
	}
}

// With 1/(B+1) above alpha, Holm cannot reject on a Monte Carlo p-value
// even after every other test rejects. The note used to ask for 1 other
// test of a family of 1, and for k other tests of a family of k.
func TestMonteCarloNoteWhenHolmCannotReject(t *testing.T) {
	r := &Report{Alpha: 0.01, Tests: make([]TestEntry, 1)}
	r.Tests[0].Extra = map[string]any{"replicates": 5, "stopped_early": false, "stop_after": 10, "max_replicates": 5}
	assert.Equal(t, "Monte Carlo p-values from at most 5 replicates are at least 1/6, above alpha 0.01, so Holm over 1 test cannot reject on them even when every other test rejects; read them on their own, or test the embeddings with nidim test --max-replicates 99 or more, which lets Holm reject on them alone.", r.monteCarloNote())

	r.Tests = make([]TestEntry, 3)
	r.Tests[0].Extra = map[string]any{"replicates": 10}
	assert.Contains(t, r.monteCarloNote(), "at least 1/11, above alpha 0.01, so Holm over 3 tests cannot reject on them even when every other test rejects")

	// At 1/(B+1) = alpha the last step of Holm can reject, after the
	// other two tests.
	r.Tests[0].Extra["replicates"] = 99
	assert.Contains(t, r.monteCarloNote(), "Holm over 3 tests at alpha 0.01 rejects on them only after 2 other tests reject")
	r.Tests = r.Tests[:2]
	assert.Contains(t, r.monteCarloNote(), "Holm over 2 tests at alpha 0.01 rejects on them only after 1 other test rejects;")
}
