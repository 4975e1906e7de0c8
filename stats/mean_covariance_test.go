package stats

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mcFixture is testdata/mean_covariance.json (gen_mean_covariance.py: numpy
// and mpmath, sharing no formula with the Go code but the definitions).
type mcFixture struct {
	Cases []struct {
		ID             string                 `json:"id"`
		SourceCase     string                 `json:"source_case"` // a case of multivariate.json that holds the sample
		X              [][]float64            `json:"x"`
		Statistic      float64                `json:"statistic"`
		MeanPart       float64                `json:"mean_part"`
		CovariancePart float64                `json:"covariance_part"`
		DF             float64                `json:"df"`
		Scale          float64                `json:"scale"`
		PValue         float64                `json:"pvalue"`
		Tolerance      map[string]mvTolerance `json:"tolerance"`
	} `json:"cases"`
	PsiMinusLog []struct {
		X    float64 `json:"x"`
		Want float64 `json:"psi_minus_log"`
	} `json:"psi_minus_log"`
}

func loadMCFixture(t *testing.T) mcFixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "mean_covariance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f mcFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// multivariateSamples returns the samples of testdata/multivariate.json by
// case id.
func multivariateSamples(t *testing.T) map[string][][]float64 {
	t.Helper()
	out := map[string][][]float64{}
	for _, c := range readMultivariateCases(t) {
		out[c.ID] = c.X
	}
	return out
}

func rowsMatrix(rows [][]float64) Matrix {
	m := Matrix{N: len(rows), D: len(rows[0])}
	for _, r := range rows {
		m.Data = append(m.Data, r...)
	}
	return m
}

func TestMeanCovarianceFixture(t *testing.T) {
	f := loadMCFixture(t)
	samples := multivariateSamples(t)
	if len(f.Cases) < 30 {
		t.Fatalf("%d cases in mean_covariance.json, want at least 30", len(f.Cases))
	}
	for _, c := range f.Cases {
		rows := c.X
		if c.SourceCase != "" {
			rows = samples[c.SourceCase]
		}
		if len(rows) == 0 {
			t.Fatalf("%s: no sample (source case %q)", c.ID, c.SourceCase)
		}
		got, err := MeanCovariance(rowsMatrix(rows))
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		check := func(key string, got, want float64) {
			tol := c.Tolerance[key]
			checkClose(t, c.ID+" "+key, got, want, tol.Abs, tol.Rel)
		}
		check("statistic", got.Statistic, c.Statistic)
		check("mean_part", got.MeanPart, c.MeanPart)
		check("covariance_part", got.CovariancePart, c.CovariancePart)
		check("scale", got.Scale, c.Scale)
		check("pvalue", got.PValue, c.PValue)
		if got.DF != c.DF {
			t.Errorf("%s: df %v, want %v", c.ID, got.DF, c.DF)
		}
	}
}

func TestPsiMinusLog(t *testing.T) {
	for _, c := range loadMCFixture(t).PsiMinusLog {
		checkClose(t, "psiMinusLog", psiMinusLog(c.X), c.Want, 0, 1e-14)
	}
}

// TestMeanCovarianceLevel checks the Bartlett-corrected p-value on null
// samples at n = 30 and d = 5, where the uncorrected χ² rejects 1.8 times
// too often at 0.05 (0.088 in 100,000 numpy samples). The corrected test
// must stay within three standard errors of the nominal rate.
func TestMeanCovarianceLevel(t *testing.T) {
	const reps, alpha = 4000, 0.05
	rejected := 0
	for r := range reps {
		res, err := MeanCovariance(normalMatrix(30, 5, uint64(1000+r)))
		if err != nil {
			t.Fatal(err)
		}
		if res.PValue <= alpha {
			rejected++
		}
	}
	rate := float64(rejected) / reps
	se := math.Sqrt(alpha * (1 - alpha) / reps)
	if math.Abs(rate-alpha) > 3*se {
		t.Errorf("null rejection rate %.4f at alpha %v over %d samples; want within %.4f", rate, alpha, reps, 3*se)
	}
}

// TestReportRejectsScaleChange is the case that the battery missed before
// mean-covariance joined it: N(0, 1.1² I), 1,000 rows, 8 components.
func TestReportRejectsScaleChange(t *testing.T) {
	var sample [][]float64
	for _, c := range loadMCFixture(t).Cases {
		if c.ID == "mc_scale1.1_n1000_d8" {
			sample = c.X
		}
	}
	if sample == nil {
		t.Fatal("no case mc_scale1.1_n1000_d8 in mean_covariance.json")
	}

	r, err := BuildReport(rowsMatrix(sample), ReportOptions{Replicates: 19, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reject || r.Worst < 0 || r.Tests[r.Worst].Name != "mean-covariance" {
		t.Fatalf("report %s; want a rejection by mean-covariance", r.Verdict())
	}

	e := r.Tests[r.Worst]
	if !(e.AdjustedP < 1e-12) {
		t.Errorf("mean-covariance adjusted p %g, want below 1e-12", e.AdjustedP)
	}
	// The scale change sits in the covariance part; the mean part stays
	// in the bulk of its χ²(8).
	if mp := e.Extra["mean_part"].(float64); !(mp < 30) {
		t.Errorf("mean part %v, want below 30", mp)
	}

	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "(null mean 8), covariance part") {
		t.Errorf("the text report does not give the two parts:\n%s", text.String())
	}
	// The note named a χ² law after the report's p-value moved to the
	// exact law.
	if !strings.Contains(text.String(), "p from the statistic's exact law under N(0, I)") {
		t.Errorf("the text report does not name the law of the p-value:\n%s", text.String())
	}
}

func TestMeanCovarianceErrors(t *testing.T) {
	cases := []struct {
		name string
		m    Matrix
		want string
	}{
		{"n equal to d", normalMatrix(3, 3, 1), "more rows than columns"},
		{"NaN", Matrix{N: 4, D: 1, Data: []float64{0, 1, math.NaN(), 2}}, "of component 0 in row 3"},
	}
	for _, c := range cases {
		_, err := MeanCovariance(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// A singular sample covariance has probability 0 under N(0, I), so a
// constant or duplicated component rejects with p = 0 instead of leaving
// the test unrun.
func TestMeanCovarianceSingular(t *testing.T) {
	constant := Matrix{N: 4, D: 2, Data: []float64{1, 0, 1, 2, 1, -1, 1, 3}}
	duplicate := normalMatrix(200, 3, 5)
	for i := 0; i < duplicate.N; i++ {
		duplicate.Row(i)[2] = duplicate.Row(i)[0]
	}
	for _, c := range []struct {
		name      string
		m         Matrix
		component int
	}{
		{"constant column", constant, 0},
		{"duplicated column", duplicate, 2},
	} {
		res, err := MeanCovariance(c.m)
		if err != nil {
			t.Errorf("%s: error %v, want p = 0", c.name, err)
			continue
		}
		if res.PValue != 0 {
			t.Errorf("%s: p-value %v, want 0", c.name, res.PValue)
		}
		if !math.IsInf(res.Statistic, 1) || !math.IsInf(res.CovariancePart, 1) {
			t.Errorf("%s: statistic %v and covariance part %v, want +Inf", c.name, res.Statistic, res.CovariancePart)
		}
		if res.SingularComponent != c.component {
			t.Errorf("%s: singular component %d, want %d", c.name, res.SingularComponent, c.component)
		}
	}
	res, err := MeanCovariance(normalMatrix(200, 3, 5))
	if err != nil || res.SingularComponent != -1 {
		t.Errorf("full-rank sample: singular component %d, error %v, want -1 and none", res.SingularComponent, err)
	}
}

// Two equal columns (a collapse of two components into one) must fail the
// report. It used to pass: every multivariate test refused the singular
// covariance, and each column alone is N(0, 1).
func TestReportRejectsDuplicatedComponent(t *testing.T) {
	for _, prior := range []string{"gaussian", "laplace"} {
		m := normalMatrix(500, 4, 9)
		for i := 0; i < m.N; i++ {
			row := m.Row(i)
			if prior == "laplace" {
				for j := range row {
					row[j] = FromGaussian(Laplace{0, 1}, row[j])
				}
			}
			row[3] = row[2]
		}
		r, err := BuildReport(m, ReportOptions{Prior: prior, Replicates: 19})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Reject {
			t.Errorf("%s prior, column 3 equal to column 2: %s", prior, r.Verdict())
		}
		for _, e := range r.Tests {
			if e.Name != "mean-covariance" {
				continue
			}
			if e.AdjustedP > r.Alpha {
				t.Errorf("%s prior: mean-covariance adjusted p %v, want at most %v", prior, e.AdjustedP, r.Alpha)
			}
			if e.Extra["singular_component"] != 3 {
				t.Errorf("%s prior: mean-covariance extra %v, want singular_component 3", prior, e.Extra)
			}
		}
	}
}

// The text note used to give d(d+1)/2 as the covariance part's null mean,
// 36 at d = 8, which at n = 9 is far below the true 83.16 and made a
// passing sample look off in its covariance.
func TestMeanCovarianceNoteNullMean(t *testing.T) {
	r, err := BuildReport(normalMatrix(9, 8, 2), ReportOptions{Tests: []string{"mean-covariance"}})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "(null mean 83.16)") {
		t.Errorf("n = 9, d = 8: the note does not give the covariance part's null mean 83.16:\n%s", text.String())
	}
	if got := meanCovarianceNullMean(9, 8) - 8; math.Abs(got-83.16) > 0.005 {
		t.Errorf("covariance part null mean %v, want 83.16 (E[T] = 91.16 minus d; 20,000 null samples in numpy averaged 91.25)", got)
	}
}
