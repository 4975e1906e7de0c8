package stats

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures in testdata/ are copies of the project's reference set. Each
// file's "meta" names its generator and the tool versions behind the values:
// Python 3.11.2, scipy 1.10.1, mpmath 1.2.1, and R 4.2.2 with nortest 1.0-4
// and goftest 1.2-3.

type tolerance struct{ Abs, Rel float64 }

type fixtureCase struct {
	ID        string               `json:"id"`
	Test      string               `json:"test"`
	Params    map[string]any       `json:"params"`
	X         json.RawMessage      `json:"x"`
	Statistic json.RawMessage      `json:"statistic"`
	PValue    json.RawMessage      `json:"pvalue"`
	Tolerance map[string]tolerance `json:"tolerance"`
	raw       map[string]json.RawMessage
}

type fixtureFile struct {
	Meta  map[string]any    `json:"meta"`
	Cases []json.RawMessage `json:"cases"`
}

func loadFixture(t *testing.T, name string) []fixtureCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var f fixtureFile
	require.NoError(t, json.Unmarshal(data, &f))
	require.NotEmpty(t, f.Meta["generator"], "fixture %s has no generator in meta", name)
	cases := make([]fixtureCase, len(f.Cases))
	for i, raw := range f.Cases {
		require.NoError(t, json.Unmarshal(raw, &cases[i]))
		require.NoError(t, json.Unmarshal(raw, &cases[i].raw))
	}
	return cases
}

func (c fixtureCase) floats(t *testing.T) []float64 {
	t.Helper()
	var x []float64
	require.NoError(t, json.Unmarshal(c.X, &x))
	return x
}

func (c fixtureCase) matrix(t *testing.T) [][]float64 {
	t.Helper()
	var x [][]float64
	require.NoError(t, json.Unmarshal(c.X, &x))
	return x
}

// value returns the stored float for key (NaN when null or absent).
func (c fixtureCase) value(t *testing.T, key string) float64 {
	t.Helper()
	raw, ok := c.raw[key]
	if !ok || string(raw) == "null" {
		return math.NaN()
	}
	var v float64
	require.NoError(t, json.Unmarshal(raw, &v), "case %s key %s", c.ID, key)
	return v
}

func (c fixtureCase) values(t *testing.T, key string) []float64 {
	t.Helper()
	var v []float64
	require.NoError(t, json.Unmarshal(c.raw[key], &v), "case %s key %s", c.ID, key)
	return v
}

// within reports whether got is within abs + rel*|want| of want; a NaN got
// or want fails.
func within(got, want float64, tol tolerance) bool {
	diff := math.Abs(got - want)
	return diff <= tol.Abs+tol.Rel*math.Abs(want)
}

// checkKey compares got with the case's stored value for key under the
// case's tolerance for tolKey.
func checkKey(t *testing.T, c fixtureCase, key, tolKey string, got float64) {
	t.Helper()
	tol, ok := c.Tolerance[tolKey]
	require.True(t, ok, "case %s has no tolerance for %s", c.ID, tolKey)
	want := c.value(t, key)
	if !within(got, want, tol) {
		t.Errorf("%s: %s = %.17g, want %.17g (abs %g + rel %g; diff %.3g)", c.ID, key, got, want, tol.Abs, tol.Rel, math.Abs(got-want))
	}
}

// checkAllKeysCovered fails when the case has a toleranced key outside
// compared, so no stored value with a tolerance goes unchecked.
func checkAllKeysCovered(t *testing.T, c fixtureCase, compared ...string) {
	t.Helper()
	for key := range c.Tolerance {
		if !slices.Contains(compared, key) {
			t.Errorf("%s: toleranced key %s is not compared", c.ID, key)
		}
	}
}

func TestWithinRejectsNaN(t *testing.T) {
	tol := tolerance{Abs: 1, Rel: 1}
	require.False(t, within(math.NaN(), 0.5, tol))
	require.False(t, within(0.5, math.NaN(), tol))
	require.True(t, within(0.5, 0.5, tolerance{}))
	require.False(t, within(0.51, 0.5, tolerance{Abs: 1e-3}))
}

func TestFixtureShapiroWilk(t *testing.T) {
	cases := loadFixture(t, "shapiro_wilk.json")
	require.Len(t, cases, 92)
	for _, c := range cases {
		require.Equal(t, "shapiro_wilk", c.Test, c.ID)
		r, err := ShapiroWilk(c.floats(t))
		require.NoError(t, err, c.ID)
		checkKey(t, c, "statistic", "statistic", r.Statistic)
		checkKey(t, c, "pvalue", "pvalue", r.PValue)
		checkAllKeysCovered(t, c, "statistic", "pvalue")
	}
}

func TestFixtureNormalityComposite(t *testing.T) {
	cases := loadFixture(t, "normality_composite.json")
	require.Len(t, cases, 190)
	counts := map[string]int{}
	for _, c := range cases {
		x := c.floats(t)
		var r Result
		var err error
		switch c.Test {
		case "shapiro_francia":
			r, err = ShapiroFrancia(x)
		case "anderson_darling_normal_composite":
			r, err = AndersonDarlingNormal(x)
		case "cramer_von_mises_normal_composite":
			r, err = CramerVonMisesNormal(x)
		case "lilliefors":
			r, err = Lilliefors(x)
		case "pearson_chisq_normal":
			r, err = PearsonChiSquareNormal(x)
		default:
			t.Fatalf("%s: unknown test %q", c.ID, c.Test)
		}
		require.NoError(t, err, c.ID)
		counts[c.Test]++
		checkKey(t, c, "statistic", "statistic", r.Statistic)
		checkKey(t, c, "pvalue", "pvalue", r.PValue)
		checkAllKeysCovered(t, c, "statistic", "pvalue")
	}
	t.Logf("cases per test: %v", counts)
}

func TestFixtureOneSampleSpecified(t *testing.T) {
	cases := loadFixture(t, "onesample_specified.json")
	require.Len(t, cases, 116)
	for _, c := range cases {
		x := c.floats(t)
		var d Continuous
		switch c.Params["null"] {
		case "N(0,1)":
			d = StdNormal
		case "U(0,1)":
			d = Uniform{0, 1}
		default:
			t.Fatalf("%s: unknown null %v", c.ID, c.Params["null"])
		}
		n := len(x)
		switch c.Test {
		case "ks_exact":
			r, err := KolmogorovSmirnov(x, d, TwoSided)
			require.NoError(t, err, c.ID)
			checkKey(t, c, "statistic", "statistic", r.Statistic)
			checkKey(t, c, "pvalue", "pvalue", r.PValue)
			checkKey(t, c, "d_plus", "statistic", r.DPlus)
			checkKey(t, c, "d_minus", "statistic", r.DMinus)
			require.True(t, r.Exact, c.ID)
		case "ks_asymp":
			r, err := KolmogorovSmirnov(x, d, TwoSided)
			require.NoError(t, err, c.ID)
			checkKey(t, c, "statistic", "statistic", r.Statistic)
			checkKey(t, c, "pvalue", "pvalue", KolmogorovSurvival(math.Sqrt(float64(n))*r.Statistic))
		case "cramer_von_mises_specified":
			r, err := CramerVonMises(x, d)
			require.NoError(t, err, c.ID)
			checkKey(t, c, "statistic", "statistic", r.Statistic)
			checkKey(t, c, "pvalue", "pvalue", r.PValue)
		case "anderson_darling_specified":
			r, err := AndersonDarling(x, d)
			require.NoError(t, err, c.ID)
			checkKey(t, c, "statistic", "statistic", r.Statistic)
			// pvalue is the short approximation of Marsaglia and Marsaglia
			// (2004), 1 - adInf, off by up to 2e-5 (35 % relative at
			// A^2 = 9.58); the p-value is the exact limiting tail, which the
			// fixtures store as pvalue_asymptotic_exact.
			checkKey(t, c, "pvalue", "pvalue", 1-adInf(r.Statistic))
			checkKey(t, c, "pvalue_finite_n", "pvalue_finite_n", 1-adFiniteN(n, r.Statistic))
			checkKey(t, c, "pvalue_asymptotic_exact", "pvalue_asymptotic_exact", r.PValue)
			checkKey(t, c, "pvalue_asymptotic_exact", "pvalue_asymptotic_exact", 1-adInfSeries(r.Statistic))
		default:
			t.Fatalf("%s: unknown test %q", c.ID, c.Test)
		}
		checkAllKeysCovered(t, c, "statistic", "pvalue", "pvalue_finite_n", "pvalue_asymptotic_exact")
	}
}

func TestFixtureMomentTests(t *testing.T) {
	cases := loadFixture(t, "moment_tests.json")
	require.Len(t, cases, 80)
	for _, c := range cases {
		x := c.floats(t)
		var r Result
		var err error
		switch c.Test {
		case "skewtest":
			r, err = SkewTest(x)
		case "kurtosistest":
			r, err = KurtosisTest(x)
		case "dagostino_pearson":
			r, err = DAgostinoK2(x)
		case "jarque_bera":
			r, err = JarqueBera(x)
		default:
			t.Fatalf("%s: unknown test %q", c.ID, c.Test)
		}
		require.NoError(t, err, c.ID)
		checkKey(t, c, "statistic", "statistic", r.Statistic)
		checkKey(t, c, "pvalue", "pvalue", r.PValue)
		checkAllKeysCovered(t, c, "statistic", "pvalue")
		m := ComputeMoments(x)
		tol := tolerance{Rel: 1e-10, Abs: 1e-14}
		if want := c.value(t, "sample_skewness"); !within(m.Skewness, want, tol) {
			t.Errorf("%s: skewness %.17g, want %.17g", c.ID, m.Skewness, want)
		}
		if want := c.value(t, "sample_kurtosis") - 3; !within(m.ExcessKurtosis, want, tol) {
			t.Errorf("%s: excess kurtosis %.17g, want %.17g", c.ID, m.ExcessKurtosis, want)
		}
	}
}

func TestFixtureMarginalUniformity(t *testing.T) {
	cases := loadFixture(t, "marginal_uniformity.json")
	require.Len(t, cases, 8)
	for _, c := range cases {
		rows := c.matrix(t)
		d := len(rows[0])
		wantStat := c.values(t, "statistic")
		wantP := c.values(t, "pvalue")
		require.Len(t, wantStat, d)
		for j := 0; j < d; j++ {
			col := make([]float64, len(rows))
			for i, row := range rows {
				col[i] = row[j]
			}
			var r Result
			switch c.Test {
			case "marginal_ks_uniform":
				ks, err := KolmogorovSmirnov(col, Uniform{0, 1}, TwoSided)
				require.NoError(t, err, c.ID)
				r = ks.Result
			case "marginal_cvm_uniform":
				var err error
				r, err = CramerVonMises(col, Uniform{0, 1})
				require.NoError(t, err, c.ID)
			default:
				t.Fatalf("%s: unknown test %q", c.ID, c.Test)
			}
			if tol := c.Tolerance["statistic"]; !within(r.Statistic, wantStat[j], tol) {
				t.Errorf("%s column %d: statistic %.17g, want %.17g", c.ID, j, r.Statistic, wantStat[j])
			}
			if tol := c.Tolerance["pvalue"]; !within(r.PValue, wantP[j], tol) {
				t.Errorf("%s column %d: p %.17g, want %.17g", c.ID, j, r.PValue, wantP[j])
			}
		}
	}
}
