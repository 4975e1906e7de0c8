package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference values in this file were computed with mpmath 1.3.0 at 40 to
// 50 significant digits (ncdf, log(ncdf), findroot on ncdf for quantiles,
// gammainc with regularized=True, besselk, and the alternating Kolmogorov
// series) and rounded to 20 digits.

// relClose reports whether got is within rel*|want| of want; NaN fails.
func relClose(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestNormalCDFTails(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{-37, 5.7255712225245768227e-300},
		{-20, 2.7536241186062336951e-89},
		{-10, 7.619853024160526066e-24},
		{-8.5, 9.4795348222033183542e-18},
		{-5.5, 1.8989562465887719384e-8},
		{-5, 2.8665157187919391167e-7},
		{-3, 0.0013498980316300945267},
		{-1, 0.15865525393145705141},
		{0, 0.5},
		{0.5, 0.69146246127401310364},
		{2, 0.9772498680518207928},
		{6, 0.99999999901341235496},
	}
	for _, c := range cases {
		got := NormalCDF(c.x)
		assert.Truef(t, relClose(got, c.want, 2e-15), "NormalCDF(%v) = %.17g, want %.17g", c.x, got, c.want)
		sf := NormalSurvival(-c.x)
		assert.Truef(t, relClose(sf, c.want, 2e-15), "NormalSurvival(%v) = %.17g, want %.17g", -c.x, sf, c.want)
	}
	// The naive 0.5*(1+erf(x/sqrt2)) collapses to 0 beyond about 8.3 sd.
	assert.Equal(t, 0.0, 0.5*(1+math.Erf(-9/math.Sqrt2)))
	assert.Greater(t, NormalCDF(-9), 1e-19)
	assert.Equal(t, 0.0, NormalCDF(-40))
	assert.Equal(t, 1.0, NormalCDF(40))
	assert.True(t, math.IsNaN(NormalCDF(math.NaN())))
}

func TestNormalLogCDFFarTails(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{-1000, -500007.82669481218431},
		{-100, -5005.5242086942050886},
		{-40, -804.60844201375378817},
		{-38.5, -745.69527029041108133},
		{-6, -20.736768949974705655},
		{-4, -10.360101486527290828},
		{3, -0.0013508099647481937988},
		{10, -7.6198530241605260704e-24},
	}
	for _, c := range cases {
		got := StdNormal.LogCDF(c.x)
		assert.Truef(t, relClose(got, c.want, 4e-15), "LogCDF(%v) = %.17g, want %.17g", c.x, got, c.want)
		got = StdNormal.LogSurvival(-c.x)
		assert.Truef(t, relClose(got, c.want, 4e-15), "LogSurvival(%v) = %.17g, want %.17g", -c.x, got, c.want)
	}
}

func TestNormalPDF(t *testing.T) {
	assert.InDelta(t, 0.3989422804014327, NormalPDF(0), 1e-17)
	// phi(-37) = exp(-684.5)/sqrt(2 pi) = 2.12000655152460563e-298 (mpmath).
	assert.True(t, relClose(NormalPDF(-37), 2.1200065515246056e-298, 1e-15), "%g", NormalPDF(-37))
	assert.InDelta(t, NormalPDF(1.3), NormalPDF(-1.3), 0)
	assert.InDelta(t, 0.5*NormalPDF(1), Normal{2, 2}.PDF(4), 1e-17)
}

func TestNormalQuantile(t *testing.T) {
	cases := []struct{ p, want float64 }{
		{1e-300, -37.047096299361199237},
		{1e-100, -21.273453560965324295},
		{1e-20, -9.2623400897984075737},
		{1e-10, -6.3613409024040562047},
		{0.001, -3.0902323061678135415},
		{0.025, -1.9599639845400542355},
		{0.2, -0.84162123357291420518},
		{0.7, 0.52440051270804078404},
		{0.975, 1.9599639845400542355},
		{1 - 0x1p-20, 4.763001034267813957},
	}
	for _, c := range cases {
		got := NormalQuantile(c.p)
		assert.Truef(t, relClose(got, c.want, 1e-15), "NormalQuantile(%v) = %.17g, want %.17g", c.p, got, c.want)
	}
	assert.Equal(t, 0.0, NormalQuantile(0.5))
	assert.True(t, math.IsInf(NormalQuantile(0), -1))
	assert.True(t, math.IsInf(NormalQuantile(1), 1))
	assert.True(t, math.IsNaN(NormalQuantile(1.5)))
	assert.True(t, math.IsNaN(NormalQuantile(math.NaN())))
	// Round trip through the cdf, relative to the density-scaled step.
	for _, p := range []float64{1e-15, 1e-5, 0.01, 0.3, 0.6, 0.99} {
		x := NormalQuantile(p)
		assert.Truef(t, relClose(NormalCDF(x), p, 1e-13), "CDF(Quantile(%v)) = %.17g", p, NormalCDF(x))
	}
	assert.InDelta(t, 3+2*1.9599639845400542355, Normal{3, 2}.Quantile(0.975), 1e-14)
}

func TestGammaInc(t *testing.T) {
	cases := []struct{ a, x, p, q float64 }{
		{0.5, 0.1, 0.3452791539814229706, 0.6547208460185770294},
		{1, 2, 0.86466471676338730811, 0.13533528323661269189},
		{2.5, 1, 0.15085496391539036377, 0.84914503608460963623},
		{10, 15, 0.93014633930059023231, 0.069853660699409767692},
		{50, 40, 0.070335066659394954437, 0.92966493334060504556},
		{1, 50, 1.0, 1.928749847963917783e-22},
		{3, 0.001, 1.6654171665278075345e-10, 0.99999999983345828335},
		{100, 130, 0.99724959163269347372, 0.002750408367306526277},
	}
	for _, c := range cases {
		p, q := GammaIncP(c.a, c.x), GammaIncQ(c.a, c.x)
		assert.Truef(t, relClose(p, c.p, 1e-13), "P(%v, %v) = %.17g, want %.17g", c.a, c.x, p, c.p)
		assert.Truef(t, relClose(q, c.q, 1e-13), "Q(%v, %v) = %.17g, want %.17g", c.a, c.x, q, c.q)
	}
	assert.Equal(t, 0.0, GammaIncP(2, 0))
	assert.Equal(t, 1.0, GammaIncQ(2, 0))
	assert.Equal(t, 1.0, GammaIncP(2, math.Inf(1)))
	assert.True(t, math.IsNaN(GammaIncP(0, 1)))
	assert.True(t, math.IsNaN(GammaIncQ(-1, 1)))
	// Chi-square with 2 df has survival exp(-x/2).
	// The prefactor exp(a log x - x - lgamma(a)) bounds the relative
	// accuracy to about 1e-16 (a + x).
	for _, x := range []float64{0.1, 1, 10, 100, 700} {
		assert.Truef(t, relClose(ChiSquareSurvival(x, 2), math.Exp(-x/2), 1e-15+2e-16*x), "x=%v", x)
	}
	assert.InDelta(t, 0.95, ChiSquareCDF(3.841458820694124, 1), 1e-14)
}

func TestLognormalSurvival(t *testing.T) {
	assert.Equal(t, 1.0, LognormalSurvival(0, 0, 1))
	assert.Equal(t, 1.0, LognormalSurvival(-1, 0, 1))
	assert.InDelta(t, 0.5, LognormalSurvival(math.Exp(1.5), 1.5, 0.3), 1e-15)
	assert.InDelta(t, NormalSurvival(2), LognormalSurvival(math.Exp(0.2+2*0.7), 0.2, 0.7), 1e-15)
}

func TestKolmogorovSurvival(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{0.2, 0.99999999999949495927},
		{0.3, 0.99999069419866543337},
		{0.5, 0.96394524366487509439},
		{0.8, 0.544142411574198149},
		{0.99, 0.28087383922554891197},
		{1, 0.2699996716773545212},
		{1.2, 0.11224966667072496091},
		{2, 0.00067092525577969534654},
		{3, 3.0459959489425256872e-8},
		{5, 3.857499695927835566e-22},
	}
	for _, c := range cases {
		got := KolmogorovSurvival(c.x)
		assert.Truef(t, math.Abs(got-c.want) <= 1e-16+2e-15*c.want, "Q(%v) = %.17g, want %.17g", c.x, got, c.want)
	}
	assert.Equal(t, 1.0, KolmogorovSurvival(0))
	assert.Equal(t, 1.0, KolmogorovSurvival(0.01))
	assert.Equal(t, 0.0, KolmogorovSurvival(math.Inf(1)))
}

func TestBesselKScaled(t *testing.T) {
	cases := []struct{ nu, z, want float64 }{
		{0.25, 1e-4, 21.354051162747697173},
		{0.25, 0.01, 6.227707994041589091},
		{0.25, 0.3, 1.9546530988058694037},
		{0.25, 1, 1.1708721016781377931},
		{0.25, 2.5, 0.76770615892137279442},
		{0.25, 10, 0.39280202707587487599},
		{0.25, 99, 0.12584417943354468183},
		{0.25, 101, 0.12459428073637881032},
		{0.25, 1000, 0.039629559386605639105},
		{0.25, 1e4, 0.012533023881379649469},
		{0.75, 1e-4, 1030.550135260059386},
		{0.75, 0.01, 32.870519923345605807},
		{0.75, 0.3, 2.946477007486816997},
		{0.75, 1, 1.4020226274497155561},
		{0.75, 2.5, 0.83593262164606629818},
		{0.75, 10, 0.40228589630544159827},
		{0.75, 99, 0.12616077599466357495},
		{0.75, 101, 0.12490154853261410974},
		{0.75, 1000, 0.039639463064890633965},
		{0.75, 1e4, 0.012533337195228148861},
		{1.25, 1e-4, 107800.80594899854525},
		{1.25, 0.01, 344.25591962542506036},
		{1.25, 0.3, 6.2042321721632660031},
		{1.25, 1, 1.9874586782887844527},
		{1.25, 2.5, 0.98947385343034085707},
		{1.25, 10, 0.42192599765923534206},
		{1.25, 99, 0.12679635265846935617},
		{1.25, 101, 0.12551835190259618306},
		{1.25, 1000, 0.039659277844583936785},
		{1.25, 1e4, 0.012533963846422217843},
	}
	for _, c := range cases {
		got := besselKScaled(c.nu, c.z)
		assert.Truef(t, relClose(got, c.want, 1e-15), "exp(z) K_%v(%v) = %.17g, want %.17g", c.nu, c.z, got, c.want)
	}
}

func TestUniformDistribution(t *testing.T) {
	u := Uniform{2, 6}
	assert.Equal(t, 0.25, u.PDF(3))
	assert.Equal(t, 0.0, u.PDF(7))
	assert.Equal(t, 0.25, u.CDF(3))
	assert.Equal(t, 0.75, u.Survival(3))
	assert.Equal(t, 0.0, u.CDF(1))
	assert.Equal(t, 1.0, u.CDF(9))
	assert.True(t, math.IsInf(u.LogCDF(2), -1))
	assert.InDelta(t, math.Log(0.75), u.LogSurvival(3), 1e-16)
	assert.Equal(t, 5.0, u.Quantile(0.75))
	require.True(t, math.IsNaN(u.Quantile(-0.1)))
}

func TestNormalCDFAcrossMillsCutoff(t *testing.T) {
	// Both sides of the switch from erfc to the Mills ratio agree with
	// mpmath ncdf: Phi(-3 -/+ 1e-9) (40 digits, rounded).
	assert.True(t, relClose(NormalCDF(-3.000000001), 0.0013498980271982457547, 2e-15), "%.17g", NormalCDF(-3.000000001))
	assert.True(t, relClose(NormalCDF(-2.999999999), 0.0013498980360619433119, 2e-15), "%.17g", NormalCDF(-2.999999999))
}
