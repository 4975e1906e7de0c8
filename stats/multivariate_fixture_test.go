package stats

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// mvCase is one case of testdata/multivariate.json (reference values from
// numpy 1.24.2 / scipy 1.10.1 and R 4.2.2 energy 1.7-11; see the file's
// meta object).
type mvCase struct {
	ID     string `json:"id"`
	Test   string `json:"test"`
	Params struct {
		N            int    `json:"n"`
		D            int    `json:"d"`
		Distribution string `json:"distribution"`
	} `json:"params"`
	X                 [][]float64            `json:"x"`
	Statistic         float64                `json:"statistic"`
	PValue            float64                `json:"pvalue"`
	KurtosisStatistic float64                `json:"kurtosis_statistic"`
	KurtosisPValue    float64                `json:"kurtosis_pvalue"`
	SkewSmall         float64                `json:"skewness_small_sample_statistic"`
	SkewSmallP        float64                `json:"skewness_small_sample_pvalue"`
	B1                float64                `json:"b1"`
	B2                float64                `json:"b2"`
	Beta              float64                `json:"beta"`
	LognormalMean     float64                `json:"lognormal_mean_of_hz"`
	LognormalVar      float64                `json:"lognormal_var_of_hz"`
	MCReplicates      int                    `json:"pvalue_mc_replicates"`
	Tolerance         map[string]mvTolerance `json:"tolerance"`
}

type mvTolerance struct {
	Abs float64 `json:"abs"`
	Rel float64 `json:"rel"`
}

// readMultivariateCases returns every case of testdata/multivariate.json.
func readMultivariateCases(t *testing.T) []mvCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "multivariate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []mvCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

func loadMultivariateCases(t *testing.T, test string) []mvCase {
	t.Helper()
	var out []mvCase
	for _, c := range readMultivariateCases(t) {
		if c.Test == test {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s cases in multivariate.json", test)
	}
	return out
}

func (c mvCase) matrix(t *testing.T) Matrix {
	t.Helper()
	m := Matrix{N: len(c.X), D: len(c.X[0])}
	for _, row := range c.X {
		m.Data = append(m.Data, row...)
	}
	if m.N != c.Params.N || m.D != c.Params.D {
		t.Fatalf("%s: sample is %d x %d, params say %d x %d", c.ID, m.N, m.D, c.Params.N, c.Params.D)
	}
	return m
}

// checkTol fails unless |got - want| <= abs + rel·|want| for the tolerance
// stored under key. A NaN got fails.
func (c mvCase) checkTol(t *testing.T, key string, got, want float64) {
	t.Helper()
	tol, ok := c.Tolerance[key]
	if !ok {
		t.Fatalf("%s: no tolerance for %s", c.ID, key)
	}
	checkClose(t, c.ID+" "+key, got, want, tol.Abs, tol.Rel)
}

// checkClose fails unless |got - want| <= abs + rel·|want|; NaN fails.
func checkClose(t *testing.T, what string, got, want, abs, rel float64) {
	t.Helper()
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	bound := abs + rel*max(want, -want)
	if !(diff <= bound) {
		t.Errorf("%s = %.17g, want %.17g (diff %.3g > bound %.3g)", what, got, want, diff, bound)
	}
}
