package stats

import (
	"math"
	"testing"
)

func TestMardiaFixtures(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "mardia") {
		got, err := Mardia(c.matrix(t))
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		c.checkTol(t, "statistic", got.Skewness.Statistic, c.Statistic)
		c.checkTol(t, "pvalue", got.Skewness.PValue, c.PValue)
		c.checkTol(t, "kurtosis_statistic", got.Kurtosis.Statistic, c.KurtosisStatistic)
		c.checkTol(t, "kurtosis_pvalue", got.Kurtosis.PValue, c.KurtosisPValue)
		checkClose(t, c.ID+" small-sample skewness", got.SkewnessSmallSample.Statistic, c.SkewSmall, 0, 1e-9)
		checkClose(t, c.ID+" small-sample skewness p", got.SkewnessSmallSample.PValue, c.SkewSmallP, 1e-15, 1e-8)
		checkClose(t, c.ID+" b1", got.B1, c.B1, 0, 1e-9)
		checkClose(t, c.ID+" b2", got.B2, c.B2, 0, 1e-9)
	}
}

// The iris setosa values printed in the MVN 5.9 vignette.
func TestMardiaIrisSetosa(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "mardia") {
		if c.ID != "mardia_iris_setosa_d4_n50" {
			continue
		}
		got, err := Mardia(c.matrix(t))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "skewness", got.Skewness.Statistic, 25.6643445196298, 0, 1e-13)
		checkClose(t, "skewness p", got.Skewness.PValue, 0.177185884467652, 0, 1e-12)
		checkClose(t, "kurtosis", got.Kurtosis.Statistic, 1.29499223711605, 0, 1e-13)
		checkClose(t, "kurtosis p", got.Kurtosis.PValue, 0.195322907441935, 0, 1e-12)
		return
	}
	t.Fatal("iris setosa case missing")
}

// The tensor and pairwise forms of Σ_ij m_ij³ are the same sum.
func TestMardiaTensorMatchesPairs(t *testing.T) {
	for _, shape := range [][2]int{{40, 1}, {60, 3}, {200, 9}, {90, 17}} {
		x := normalMatrix(shape[0], shape[1], uint64(shape[1]))
		for k := range x.Data {
			x.Data[k] = math.Exp(x.Data[k] / 2) // skewed, so the sum is far from 0
		}
		z, err := whiten(x, float64(x.N))
		if err != nil {
			t.Fatal(err)
		}
		pairs := mardiaCubesPairs(z, 3)
		tensor := mardiaCubesTensor(z, 2)
		checkClose(t, "cubes", tensor, pairs, 0, 1e-11)
		if again := mardiaCubesTensor(z, 1); again != tensor {
			t.Errorf("tensor form depends on workers: %v vs %v", again, tensor)
		}
		if again := mardiaCubesPairs(z, 1); again != pairs {
			t.Errorf("pair form depends on workers: %v vs %v", again, pairs)
		}
	}
}

func TestMardiaBadInput(t *testing.T) {
	m := normalMatrix(30, 2, 1)
	m.Data[9] = math.NaN()
	if _, err := Mardia(m); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := Mardia(normalMatrix(2, 2, 1)); err == nil {
		t.Error("n = d accepted")
	}
	// Third column = first + second: singular covariance.
	c := normalMatrix(40, 3, 2)
	for i := 0; i < c.N; i++ {
		r := c.Row(i)
		r[2] = r[0] + r[1]
	}
	if _, err := Mardia(c); err == nil {
		t.Error("collinear components accepted")
	}
}

// Under normality the finite-n kurtosis statistic has mean 0 and variance 1
// even when d is large against n, where the asymptotic one does not.
func TestMardiaKurtosisFiniteCalibrated(t *testing.T) {
	const sims, n, d = 1500, 30, 10
	var sum, sumSq, asym float64
	for k := 0; k < sims; k++ {
		r, err := Mardia(normalMatrix(n, d, uint64(50000+k)))
		if err != nil {
			t.Fatal(err)
		}
		z := r.KurtosisFinite.Statistic
		sum += z
		sumSq += z * z
		asym += r.Kurtosis.Statistic
	}
	mean := sum / sims
	variance := sumSq/sims - mean*mean
	// Standard errors: 1/sqrt(1500) = 0.026 for the mean, about 0.04 for
	// the variance.
	checkClose(t, "mean of finite-n z", mean, 0, 0.1, 0)
	checkClose(t, "variance of finite-n z", variance, 1, 0.15, 0)
	// The asymptotic z is centred near (E b2 - d(d+2))/sqrt(8d(d+2)/n) = -1.37.
	checkClose(t, "mean of asymptotic z", asym/sims, -1.37, 0.1, 0)
}
