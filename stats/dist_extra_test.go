package stats

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonFloat is a fixture number that may be the string "+Inf" or "-Inf".
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+Inf"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jsonFloat(v)
	return err
}

type extraDistCase struct {
	Name   string             `json:"name"`
	Params map[string]float64 `json:"params"`
	Points []struct {
		X           float64   `json:"x"`
		PDF         jsonFloat `json:"pdf"`
		CDF         jsonFloat `json:"cdf"`
		Survival    jsonFloat `json:"survival"`
		LogCDF      jsonFloat `json:"logcdf"`
		LogSurvival jsonFloat `json:"logsurvival"`
	} `json:"points"`
	Quantiles []struct {
		P               float64   `json:"p"`
		Quantile        jsonFloat `json:"quantile"`
		InverseSurvival jsonFloat `json:"inverse_survival"`
	} `json:"quantiles"`
	FromGaussian []struct {
		Z     float64   `json:"z"`
		Value jsonFloat `json:"value"`
	} `json:"from_gaussian"`
}

func (c extraDistCase) dist(t *testing.T) Continuous {
	t.Helper()
	switch c.Name {
	case "logistic":
		return Logistic{c.Params["mu"], c.Params["s"]}
	case "laplace":
		return Laplace{c.Params["mu"], c.Params["b"]}
	case "exponential":
		return Exponential{c.Params["rate"]}
	}
	t.Fatalf("fixture names unknown distribution %q", c.Name)
	return nil
}

func loadExtraDists(t *testing.T) []extraDistCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "extra_dists.json"))
	require.NoError(t, err)
	var f struct {
		Meta  map[string]any  `json:"meta"`
		Cases []extraDistCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	require.Equal(t, "stats/testdata/gen_extra.py", f.Meta["generator"])
	require.Len(t, f.Cases, 6)
	return f.Cases
}

// closeTo reports whether got is within abs + rel·|want| of want. Equal
// infinities match; NaN never does.
func closeTo(got, want, abs, rel float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

// The fixture values are mpmath at 800 digits. The relative tolerance allows
// a few ulps of the exp and log calls behind each formula. The absolute
// one only matters for subnormal results such as the PDF at x = -745,
// whose spacing is 5e-324.
const (
	distRel    = 1e-14
	distAbs    = 1e-320
	inverseAbs = 1e-14 // quantiles near the median, where |x| is near 0
)

func TestExtraDistsFixture(t *testing.T) {
	for _, c := range loadExtraDists(t) {
		d := c.dist(t)
		name := c.Name
		for _, p := range c.Points {
			check := func(what string, got float64, want jsonFloat) {
				if !closeTo(got, float64(want), distAbs, distRel) {
					t.Errorf("%s %v %s(%g) = %.17g, want %.17g", name, c.Params, what, p.X, got, float64(want))
				}
			}
			check("PDF", d.PDF(p.X), p.PDF)
			check("CDF", d.CDF(p.X), p.CDF)
			check("Survival", d.Survival(p.X), p.Survival)
			check("LogCDF", d.LogCDF(p.X), p.LogCDF)
			check("LogSurvival", d.LogSurvival(p.X), p.LogSurvival)
		}
		inv := d.(SurvivalInverter)
		for _, q := range c.Quantiles {
			if got := d.Quantile(q.P); !closeTo(got, float64(q.Quantile), inverseAbs, distRel) {
				t.Errorf("%s %v Quantile(%g) = %.17g, want %.17g", name, c.Params, q.P, got, float64(q.Quantile))
			}
			if got := inv.InverseSurvival(q.P); !closeTo(got, float64(q.InverseSurvival), inverseAbs, distRel) {
				t.Errorf("%s %v InverseSurvival(%g) = %.17g, want %.17g", name, c.Params, q.P, got, float64(q.InverseSurvival))
			}
		}
		for _, g := range c.FromGaussian {
			// Φ(z) carries about 2e-15 relative error, which the
			// transform passes on as an absolute error of that size
			// times x's derivative with respect to log p (at most a few
			// units near the median).
			if got := FromGaussian(d, g.Z); !closeTo(got, float64(g.Value), 1e-14, 1e-14) {
				t.Errorf("%s %v FromGaussian(%g) = %.17g, want %.17g", name, c.Params, g.Z, got, float64(g.Value))
			}
		}
	}
}

// extraDists are the distributions of the property tests, with non-trivial
// parameters.
var extraDists = []struct {
	name string
	d    Continuous
}{
	{"logistic", Logistic{0.3, 1.7}},
	{"laplace", Laplace{-1, 0.4}},
	{"exponential", Exponential{3}},
}

func TestExtraDistsInversion(t *testing.T) {
	probs := []float64{1e-300, 1e-200, 1e-50, 1e-12, 1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6, 1 - 1e-12}
	for _, c := range extraDists {
		inv := c.d.(SurvivalInverter)
		for _, p := range probs {
			x := c.d.Quantile(p)
			assert.True(t, closeTo(c.d.CDF(x), p, 0, 1e-12), "%s: CDF(Quantile(%g)) = %g", c.name, p, c.d.CDF(x))
			// The survival side at the same tiny probabilities is the
			// upper tail, which Quantile(1 - q) cannot reach.
			y := inv.InverseSurvival(p)
			assert.True(t, closeTo(c.d.Survival(y), p, 0, 1e-12), "%s: Survival(InverseSurvival(%g)) = %g", c.name, p, c.d.Survival(y))
		}
	}
}

// adaptiveSimpson integrates f over [a, b] to an absolute tolerance tol.
func adaptiveSimpson(f func(float64) float64, a, b, tol float64) float64 {
	m := (a + b) / 2
	fa, fm, fb := f(a), f(m), f(b)
	whole := (b - a) / 6 * (fa + 4*fm + fb)
	return simpsonStep(f, a, b, fa, fm, fb, whole, tol, 50)
}

func simpsonStep(f func(float64) float64, a, b, fa, fm, fb, whole, tol float64, depth int) float64 {
	m := (a + b) / 2
	lm, rm := (a+m)/2, (m+b)/2
	flm, frm := f(lm), f(rm)
	left := (m - a) / 6 * (fa + 4*flm + fm)
	right := (b - m) / 6 * (fm + 4*frm + fb)
	if depth == 0 || math.Abs(left+right-whole) <= 15*tol {
		return left + right + (left+right-whole)/15
	}
	return simpsonStep(f, a, m, fa, flm, fm, left, tol/2, depth-1) +
		simpsonStep(f, m, b, fm, frm, fb, right, tol/2, depth-1)
}

func TestExtraDistsPDFIntegratesToCDF(t *testing.T) {
	for _, c := range extraDists {
		// Intervals that cross a kink of the density (Laplace at Mu) are
		// split there, so Simpson's rule sees smooth integrands. The
		// exponential's kink at 0 is the end of its support.
		lo, mid, hi := c.d.Quantile(1e-9), c.d.Quantile(0.5), c.d.Quantile(1-1e-9)
		_, isLaplace := c.d.(Laplace)
		for _, iv := range [][2]float64{{lo, mid}, {mid, hi}, {lo, hi}, {c.d.Quantile(0.1), c.d.Quantile(0.3)}} {
			var got float64
			if isLaplace && iv[0] < mid && iv[1] > mid {
				got = adaptiveSimpson(c.d.PDF, iv[0], mid, 1e-13) + adaptiveSimpson(c.d.PDF, mid, iv[1], 1e-13)
			} else {
				got = adaptiveSimpson(c.d.PDF, iv[0], iv[1], 1e-13)
			}
			want := c.d.CDF(iv[1]) - c.d.CDF(iv[0])
			assert.InDelta(t, want, got, 1e-11, "%s: integral of PDF over [%g, %g]", c.name, iv[0], iv[1])
		}
	}
}

func TestExtraDistsFarTails(t *testing.T) {
	// Where the CDF underflows the logs stay finite and exact.
	assert.Equal(t, -1e5, Logistic{0, 1}.LogCDF(-1e5))
	assert.Equal(t, -1e5, Logistic{0, 1}.LogSurvival(1e5))
	assert.Equal(t, -1e6-math.Ln2, Laplace{0, 1}.LogCDF(-1e6))
	assert.Equal(t, -1e6-math.Ln2, Laplace{0, 1}.LogSurvival(1e6))
	assert.Equal(t, -2e6, Exponential{2}.LogSurvival(1e6))
	assert.Equal(t, 0.0, Logistic{0, 1}.CDF(-1e5))
	assert.Equal(t, 0.0, Laplace{0, 1}.Survival(1e6))

	// Near the centre the log1p and expm1 forms keep relative accuracy.
	assert.InEpsilon(t, 1e-300, Exponential{1}.CDF(1e-300), 1e-15)
	assert.InEpsilon(t, math.Log(1e-300), Exponential{1}.LogCDF(1e-300), 1e-15)
	assert.InEpsilon(t, -math.Exp(-40), Exponential{1}.LogCDF(40), 1e-14)
	assert.InEpsilon(t, -0.5*math.Exp(-40), Laplace{0, 1}.LogCDF(40), 1e-14)
	assert.InEpsilon(t, -math.Exp(-40), Logistic{0, 1}.LogCDF(40), 1e-14)

	// Quantiles at the ends of [0, 1].
	assert.Equal(t, math.Inf(-1), Logistic{0, 1}.Quantile(0))
	assert.Equal(t, math.Inf(1), Logistic{0, 1}.Quantile(1))
	assert.Equal(t, math.Inf(-1), Laplace{0, 1}.Quantile(0))
	assert.Equal(t, math.Inf(1), Laplace{0, 1}.Quantile(1))
	assert.Equal(t, 0.0, Exponential{1}.Quantile(0))
	assert.False(t, math.Signbit(Exponential{1}.Quantile(0)), "Quantile(0) must be +0")
	assert.Equal(t, math.Inf(1), Exponential{1}.Quantile(1))
	assert.Equal(t, math.Inf(1), Exponential{1}.InverseSurvival(0))
	assert.Equal(t, 0.0, Exponential{1}.InverseSurvival(1))
}

func TestExponentialBelowSupport(t *testing.T) {
	d := Exponential{2}
	for _, x := range []float64{-1e300, -1, -1e-300} {
		assert.Equal(t, 0.0, d.PDF(x))
		assert.Equal(t, 0.0, d.CDF(x))
		assert.Equal(t, 1.0, d.Survival(x))
		assert.Equal(t, math.Inf(-1), d.LogCDF(x))
		assert.Equal(t, 0.0, d.LogSurvival(x))
	}
	assert.Equal(t, math.Inf(-1), d.LogCDF(0))
	assert.Equal(t, 2.0, d.PDF(0))
}

func TestExtraDistsInvalidArguments(t *testing.T) {
	bad := []Continuous{Logistic{0, 0}, Logistic{0, -1}, Laplace{0, 0}, Laplace{0, math.NaN()}, Exponential{0}, Exponential{-2}}
	for _, d := range bad {
		for _, v := range []float64{d.PDF(0.5), d.CDF(0.5), d.Survival(0.5), d.LogCDF(0.5), d.LogSurvival(0.5), d.Quantile(0.5), FromGaussian(d, 0.5)} {
			assert.True(t, math.IsNaN(v), "%#v with an invalid scale gave %g, want NaN", d, v)
		}
	}
	for _, c := range extraDists {
		inv := c.d.(SurvivalInverter)
		for _, p := range []float64{-0.1, 1.1, math.NaN()} {
			assert.True(t, math.IsNaN(c.d.Quantile(p)), "%s Quantile(%g)", c.name, p)
			assert.True(t, math.IsNaN(inv.InverseSurvival(p)), "%s InverseSurvival(%g)", c.name, p)
		}
		assert.True(t, math.IsNaN(c.d.CDF(math.NaN())), "%s CDF(NaN)", c.name)
		assert.True(t, math.IsNaN(FromGaussian(c.d, math.NaN())), "%s FromGaussian(NaN)", c.name)
	}
}

func TestPriorByName(t *testing.T) {
	want := map[string]Continuous{
		"gaussian":    Normal{0, 1},
		"uniform":     Uniform{0, 1},
		"logistic":    Logistic{0, 1},
		"laplace":     Laplace{0, 1},
		"exponential": Exponential{1},
	}
	require.Len(t, PriorNames, len(want))
	for _, name := range PriorNames {
		d, err := PriorByName(name)
		require.NoError(t, err)
		assert.Equal(t, want[name], d, name)
	}
	_, err := PriorByName("cauchy")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"cauchy"`)
	assert.Contains(t, err.Error(), "gaussian, uniform, logistic, laplace, exponential")
}

// withoutInverse hides every method but Continuous's, so FromGaussian takes
// its generic Quantile(1 - Φ(-z)) path.
type withoutInverse struct{ Continuous }

func TestFromGaussianPaths(t *testing.T) {
	// Normal maps exactly.
	assert.Equal(t, 1+2*3.5, FromGaussian(Normal{1, 2}, 3.5))

	// Uniform gives Φ(z), from the upper tail for z > 0.
	assert.InEpsilon(t, NormalCDF(-2), FromGaussian(Uniform{0, 1}, -2), 1e-15)
	assert.Equal(t, 1-NormalSurvival(2), FromGaussian(Uniform{0, 1}, 2))
	assert.Equal(t, 0.0, FromGaussian(Uniform{0, 1}, math.Inf(-1)))
	assert.Equal(t, 1.0, FromGaussian(Uniform{0, 1}, math.Inf(1)))

	// The generic path agrees in the body and loses the far upper tail,
	// which is why the inverse survival exists.
	l := Logistic{0, 1}
	for _, z := range []float64{-5, -1, 0, 0.5, 2} {
		assert.InDelta(t, FromGaussian(l, z), FromGaussian(withoutInverse{l}, z), 1e-13, "z = %g", z)
	}
	assert.Equal(t, math.Inf(1), FromGaussian(withoutInverse{l}, 9), "1 - Φ(-9) rounds to 1")
	assert.InEpsilon(t, -normalLogCDF(-9), FromGaussian(l, 9), 1e-12, "logit(Φ(9)) ≈ -log Φ(-9)")

	// Monotone and, for the symmetric priors, odd in z.
	for _, c := range extraDists {
		prev := math.Inf(-1)
		for z := -30.0; z <= 30; z += 0.37 {
			v := FromGaussian(c.d, z)
			require.Greater(t, v, prev, "%s not increasing at z = %g", c.name, z)
			prev = v
		}
	}
	for _, z := range []float64{0.1, 1, 7, 39} {
		assert.InDelta(t, -FromGaussian(Logistic{0, 1}, z), FromGaussian(Logistic{0, 1}, -z), 1e-12*z)
		assert.InDelta(t, -FromGaussian(Laplace{0, 1}, z), FromGaussian(Laplace{0, 1}, -z), 1e-12*z)
	}
}

func TestToGaussianInvertsFromGaussian(t *testing.T) {
	priors := append([]struct {
		name string
		d    Continuous
	}{{"uniform", Uniform{0, 1}}, {"normal", Normal{2, 3}}}, extraDists...)
	for _, c := range priors {
		for z := -30.0; z <= 30; z += 0.61 {
			// Uniform values near 1 are spaced 1.1e-16 apart, which is
			// 1.1e-16/φ(z) in z: 1e-10 at z = 5 but 1e-3 at z = 7.8.
			if _, ok := c.d.(Uniform); ok && z > 5 {
				continue
			}
			x := FromGaussian(c.d, z)
			assert.InDelta(t, z, ToGaussian(c.d, x), 1e-9*max(1, math.Abs(z)), "%s: z = %g, x = %g", c.name, z, x)
		}
	}
	assert.True(t, math.IsNaN(ToGaussian(Logistic{0, 1}, math.NaN())))
	assert.Equal(t, math.Inf(-1), ToGaussian(Exponential{1}, -1))
	assert.Equal(t, math.Inf(1), ToGaussian(Uniform{0, 1}, 2))
}

// Far tails where the tail probability underflows, or is below the 1e-300
// at which ToGaussian switches to log probabilities. The expected z solve
// log Φ(-|z|) = log tail with mpmath at 50 digits (mp.findroot on
// mp.log(mp.ncdf(-z))), the tail from the closed forms: logistic
// -log(1 + e^|x|), Laplace -|x| - log 2, exponential -x, and for the
// exponential near 0 log(1 - e^-x).
func TestToGaussianFarTails(t *testing.T) {
	for _, c := range []struct {
		name string
		d    Continuous
		x, z float64
	}{
		{"logistic", Logistic{0, 1}, 30, 7.357666815008762423},
		{"logistic", Logistic{0, 1}, -40, -8.5926757184737721492},
		{"logistic", Logistic{0, 1}, 700, 37.295079632647416957},
		{"logistic", Logistic{0, 1}, 800, 39.884694838256677568},
		{"logistic", Logistic{0, 1}, -800, -39.884694838256677568},
		{"logistic", Logistic{0, 1}, 1e4, 141.3798398731271637},
		{"logistic", Logistic{0, 1}, -1e4, -141.3798398731271637},
		{"laplace", Laplace{0, 1}, 30, 7.4496668469581430904},
		{"laplace", Laplace{0, 1}, -700, -37.313647170039451},
		{"laplace", Laplace{0, 1}, 800, 39.902058935188113019},
		{"laplace", Laplace{0, 1}, -800, -39.902058935188113019},
		{"laplace", Laplace{0, 1}, 1e4, 141.38474227288309321},
		{"exponential", Exponential{1}, 40, 8.5926757184737721488},
		{"exponential", Exponential{1}, 700, 37.295079632647416957},
		{"exponential", Exponential{1}, 800, 39.884694838256677568},
		{"exponential", Exponential{1}, 1e4, 141.3798398731271637},
		{"exponential", Exponential{1}, 1e-300, -37.047096299361199237},
		{"exponential", Exponential{1}, 1e-310, -37.663060331949523732},
	} {
		got := ToGaussian(c.d, c.x)
		assert.InDelta(t, c.z, got, 4e-16*math.Abs(c.z), "%s at %g", c.name, c.x)
		// The forward transform takes it back. In the upper tails x grows
		// like z²/2, so its relative error is about twice that of z; near
		// 0 the exponential x is about Φ(z), whose relative error is
		// |z| times the absolute error of z, 37² times its relative one.
		tol := 2e-15
		if math.Abs(c.x) < 1 {
			tol = 3e-13
		}
		assert.InDelta(t, c.x, FromGaussian(c.d, got), tol*math.Abs(c.x), "%s at %g", c.name, c.x)
	}
}

// The logs of subnormal numbers, checked against mpmath: math.Log on amd64
// gets them wrong, and the exponential LogCDF near 0 depends on them.
func TestLogSubnormal(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{2e-308, -708.50306146160612546},
		{1e-310, -713.8013788281541651},
		{5e-324, -744.44007192138126231},
		{0.5, -0.69314718055994530942},
	} {
		assert.InDelta(t, c.want, logSubnormal(c.x), 1e-15*math.Abs(c.want), "x = %g", c.x)
	}
	assert.Equal(t, math.Inf(-1), logSubnormal(0))
	assert.InDelta(t, -713.8013788281541651, Exponential{1}.LogCDF(1e-310), 1e-12)
}

// normalTailQuantile is continuous with -NormalQuantile where ToGaussian
// switches between them, and follows the asymptotic z² ≈ -2 log q - log(2π)
// - log(z²) (from Φ(-z) ≈ φ(z)/z) far out.
func TestNormalTailQuantile(t *testing.T) {
	logq := math.Log(farTail)
	assert.InDelta(t, -NormalQuantile(farTail), normalTailQuantile(logq), 1e-14*37)
	below := math.Nextafter(logq, math.Inf(-1))
	assert.InDelta(t, -NormalQuantile(math.Exp(below)), normalTailQuantile(below), 1e-14*37)
	for _, lq := range []float64{-1e4, -1e6, -1e10, -1e300} {
		z := normalTailQuantile(lq)
		// Φ(-z) = φ(z)/z (1 - 1/z² + ...), so log Φ(-z) + z²/2 + log(z√2π)
		// is -1/z² to first order.
		rest := lq + z*z/2 + math.Log(z) + 0.5*math.Log(2*math.Pi)
		assert.InDelta(t, -1/(z*z), rest, 3/math.Pow(z, 4)+1e-15*math.Abs(lq), "log q = %g, z = %g", lq, z)
	}
	assert.Equal(t, math.Inf(1), normalTailQuantile(math.Inf(-1)))
	assert.True(t, math.IsNaN(normalTailQuantile(math.NaN())))
}

func BenchmarkFromGaussianLogistic(b *testing.B) {
	x := normalSample(4096, 1)
	d := Logistic{0, 1}
	sum := 0.0
	for b.Loop() {
		for _, z := range x {
			sum += FromGaussian(d, z)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
	_ = sum
}
