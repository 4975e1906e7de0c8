package stats

import (
	"math"
	"testing"
)

func TestEnergyNormalityFixtures(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "energy_mvnorm") {
		got, err := EnergyNormality(c.matrix(t), MonteCarlo{Replicates: 999, Seed: 11})
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		c.checkTol(t, "statistic", got.Statistic, c.Statistic)
		// The reference p is itself a bootstrap estimate; the stored band is
		// max(0.02, 4 standard errors).
		c.checkTol(t, "pvalue", got.PValue, c.PValue)
		if got.Replicates != 999 || got.Subsampled || got.UsedN != c.Params.N {
			t.Errorf("%s: Replicates %d Subsampled %v UsedN %d", c.ID, got.Replicates, got.Subsampled, got.UsedN)
		}
	}
}

func TestEnergyPriorGaussianFixtures(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "energy_std_normal") {
		got, err := EnergyPrior(c.matrix(t), "gaussian", MonteCarlo{Replicates: 999, Seed: 12})
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		c.checkTol(t, "statistic", got.Statistic, c.Statistic)
		c.checkTol(t, "pvalue", got.PValue, c.PValue)
	}
}

func TestEnergyIrisSetosa(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "energy_mvnorm") {
		if c.ID != "energy_mvn_iris_setosa_d4_n50" {
			continue
		}
		got, err := EnergyNormality(c.matrix(t), MonteCarlo{Replicates: 9})
		if err != nil {
			t.Fatal(err)
		}
		// E as printed in the MVN 5.9 vignette.
		checkClose(t, "E", got.Statistic, 1.203397, 5e-7, 0)
		return
	}
	t.Fatal("iris setosa case missing")
}

// For d = 1 and d = 3 the noncentral chi mean has elementary closed forms.
func TestExpectedNormalDistanceClosedForms(t *testing.T) {
	for _, a := range []float64{0, 1e-8, 0.1, 0.5, 1, 2, 3.7, 8, 20, 44, 45, 60, 300, 1e4} {
		want1 := math.Sqrt(2/math.Pi)*math.Exp(-a*a/2) + a*math.Erf(a/math.Sqrt2)
		checkClose(t, "d=1", expectedNormalDistance(a*a, 1), want1, 0, 4e-15)
		if a == 0 {
			continue
		}
		want3 := math.Sqrt(2/math.Pi)*math.Exp(-a*a/2) + (a+1/a)*math.Erf(a/math.Sqrt2)
		checkClose(t, "d=3", expectedNormalDistance(a*a, 3), want3, 0, 4e-15)
	}
	// a = 0: E|Z| = √2 Γ((d+1)/2)/Γ(d/2).
	for _, d := range []int{1, 2, 5, 64, 301} {
		want := math.Sqrt2 * math.Gamma(float64(d+1)/2) / math.Gamma(float64(d)/2)
		checkClose(t, "E|Z|", expectedNormalDistance(0, d), want, 0, 1e-13)
	}
}

// The Poisson-mixture and asymptotic forms must agree where the function
// switches between them, for small and large d.
func TestExpectedNormalDistanceBranchesAgree(t *testing.T) {
	for _, d := range []int{1, 2, 7, 64, 100, 512} {
		b := float64(d) / 2
		for _, x := range []float64{max(1000, 64*b), 1.5 * max(1000, 64*b)} {
			p := normalDistancePoisson(x, b)
			a := normalDistanceAsymptotic(x, b)
			checkClose(t, "branches", a, p, 0, 2e-14)
		}
	}
}

// E|a - Z| against a plain Monte Carlo average, for a dimension and radius
// that the fixtures do not cover.
func TestExpectedNormalDistanceMonteCarlo(t *testing.T) {
	const d, draws = 64, 200000
	rng := newRand(5, 5)
	a := make([]float64, d)
	for k := range a {
		a[k] = 0.9
	}
	sum, sumSq := 0.0, 0.0
	z := make([]float64, d)
	for i := 0; i < draws; i++ {
		for k := range z {
			z[k] = rng.NormFloat64()
		}
		v := euclideanDistance(a, z)
		sum += v
		sumSq += v * v
	}
	mean := sum / draws
	se := math.Sqrt((sumSq/draws - mean*mean) / draws)
	checkClose(t, "E|a-Z| d=64", expectedNormalDistance(squaredNorm(a), d), mean, 4*se, 0)
}

func TestGammaHalfRatio(t *testing.T) {
	for _, y := range []float64{0.5, 1, 1.5, 2.25, 7, 15.5, 29.9, 30, 30.1, 80, 150} {
		want := math.Gamma(y+0.5) / math.Gamma(y)
		checkClose(t, "ratio", gammaHalfRatio(y), want, 0, 1e-14)
	}
	// The recurrence Γ(y+3/2)/Γ(y+1) = ((y+1/2)/y) Γ(y+1/2)/Γ(y) far out.
	for _, y := range []float64{29.5, 1e3, 1e6, 1e12} {
		checkClose(t, "recurrence", gammaHalfRatio(y+1), gammaHalfRatio(y)*(y+0.5)/y, 0, 4e-15)
	}
}

func TestUniformTargets(t *testing.T) {
	// E|a - U| in one dimension against a midpoint rule.
	for _, a := range []float64{-0.5, 0, 0.3, 0.5, 1, 1.7} {
		const steps = 100000
		s := 0.0
		for i := 0; i < steps; i++ {
			s += math.Abs(a - (float64(i)+0.5)/steps)
		}
		checkClose(t, "E|a-U|", uniform1DTarget{}.meanDistance([]float64{a}), s/steps, 1e-9, 0)
	}
	// Mean distance in the unit square, (2 + √2 + 5 log(1+√2))/15.
	want := (2 + math.Sqrt2 + 5*math.Log(1+math.Sqrt2)) / 15
	ref := newReferenceTarget(2, 4000, 1, 2)
	checkClose(t, "E|U-U'| d=2", ref.selfDistance(), want, 0.01, 0)
}

func TestEnergyWorkersDoNotChangeResult(t *testing.T) {
	m := normalMatrix(120, 3, 4)
	var firstNormality, firstPrior MCResult
	for i, w := range []int{1, 2, 5} {
		mc := MonteCarlo{Replicates: 50, Seed: 9, Workers: w}
		a, err := EnergyNormality(m, mc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := EnergyPrior(m, "uniform", mc)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstNormality, firstPrior = a, b
			continue
		}
		if a != firstNormality {
			t.Errorf("EnergyNormality, workers %d: %+v, want %+v", w, a, firstNormality)
		}
		if b != firstPrior {
			t.Errorf("EnergyPrior, workers %d: %+v, want %+v", w, b, firstPrior)
		}
	}
}

// Under the null the Monte Carlo p-values must be close to uniform: check
// the rejection rate at 0.1 over seeded null samples.
func TestEnergyNullCalibration(t *testing.T) {
	const trials = 300
	cases := []struct {
		name string
		gen  func(seed uint64) Matrix
		run  func(Matrix, MonteCarlo) (MCResult, error)
	}{
		{"normality", func(s uint64) Matrix { return normalMatrix(15, 2, s) }, EnergyNormality},
		{"gaussian prior", func(s uint64) Matrix { return normalMatrix(15, 2, s) },
			func(m Matrix, mc MonteCarlo) (MCResult, error) { return EnergyPrior(m, "gaussian", mc) }},
		{"uniform prior", func(s uint64) Matrix { return uniformMatrix(15, 3, s) },
			func(m Matrix, mc MonteCarlo) (MCResult, error) { return EnergyPrior(m, "uniform", mc) }},
	}
	for _, c := range cases {
		rejected := 0
		for s := uint64(0); s < trials; s++ {
			r, err := c.run(c.gen(1000+s), MonteCarlo{Replicates: 99, Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			if r.PValue <= 0.1 {
				rejected++
			}
		}
		// Binomial(300, 0.1): mean 30, sd 5.2.
		if rejected < 14 || rejected > 46 {
			t.Errorf("%s: %d of %d null samples rejected at 0.1, want about 30", c.name, rejected, trials)
		}
	}
}

func TestEnergyPriorDetectsShiftAndDependence(t *testing.T) {
	shifted := normalMatrix(200, 4, 2)
	for k := range shifted.Data {
		shifted.Data[k] += 0.3
	}
	r, err := EnergyPrior(shifted, "gaussian", MonteCarlo{Replicates: 199})
	if err != nil {
		t.Fatal(err)
	}
	if r.PValue != 1.0/200 {
		t.Errorf("shifted normal: p = %v, want the minimum 1/200", r.PValue)
	}
	// Uniform marginals, perfectly dependent components.
	dep := uniformMatrix(200, 3, 3)
	for i := 0; i < dep.N; i++ {
		row := dep.Row(i)
		row[1], row[2] = row[0], 1-row[0]
	}
	r, err = EnergyPrior(dep, "uniform", MonteCarlo{Replicates: 199})
	if err != nil {
		t.Fatal(err)
	}
	if r.PValue != 1.0/200 {
		t.Errorf("dependent uniform: p = %v, want the minimum 1/200", r.PValue)
	}
}

func TestEnergyBadInput(t *testing.T) {
	m := normalMatrix(30, 2, 1)
	m.Data[5] = math.Inf(1)
	if _, err := EnergyNormality(m, MonteCarlo{Replicates: 9}); err == nil {
		t.Error("EnergyNormality accepted +Inf")
	}
	if _, err := EnergyPrior(m, "gaussian", MonteCarlo{Replicates: 9}); err == nil {
		t.Error("EnergyPrior accepted +Inf")
	}
	if _, err := EnergyPrior(normalMatrix(30, 2, 1), "laplace", MonteCarlo{Replicates: 9}); err == nil {
		t.Error("EnergyPrior accepted an unknown prior")
	}
	if _, err := EnergyNormality(normalMatrix(2, 2, 1), MonteCarlo{Replicates: 9}); err == nil {
		t.Error("EnergyNormality accepted n = d")
	}
}

func uniformMatrix(n, d int, seed uint64) Matrix {
	rng := newRand(seed, 98)
	m := Matrix{N: n, D: d, Data: make([]float64, n*d)}
	for k := range m.Data {
		m.Data[k] = rng.Float64()
	}
	return m
}

// Each column's result equals EnergyPrior on that column alone: same
// statistic, and the same replicate streams give the same p-value.
func TestEnergyPriorColumnsMatchesSingleColumn(t *testing.T) {
	m := uniformMatrix(80, 3, 6)
	for k := 0; k < m.N; k++ {
		m.Data[k*3+2] = m.Data[k*3+2] * 0.8 // column 2 is U[0, 0.8]
	}
	for _, prior := range []string{"gaussian", "uniform"} {
		mc := MonteCarlo{Replicates: 199, Seed: 21}
		cols, err := EnergyPriorColumns(m, prior, mc)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < m.D; j++ {
			single, err := EnergyPrior(Matrix{N: m.N, D: 1, Data: m.Col(j)}, prior, mc)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, prior+" statistic", cols[j].Statistic, single.Statistic, 0, 1e-13)
			if cols[j].PValue != single.PValue {
				t.Errorf("%s column %d: p %v, single-column run %v", prior, j, cols[j].PValue, single.PValue)
			}
		}
	}
}

func TestSumPairs1D(t *testing.T) {
	x := normalMatrix(57, 1, 3)
	checkClose(t, "pairs", sumPairs1D(x.Data), sumPairs(x, 1, euclideanDistance), 0, 1e-13)
}

// The inner-product form of the pair sums agrees with subtracting
// coordinates, for odd and even n and n not a multiple of the block sizes,
// and is exactly 0 for equal rows.
func TestSumPairsSquaredMatchesDirect(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 16, 17, 33, 70} {
		x := normalMatrix(n, 7, uint64(n))
		for k := range x.Data {
			x.Data[k] += 3 // an offset makes the cancellation visible
		}
		direct := sumPairs(x, 1, euclideanDistance)
		fast := sumPairsSquared(x, 3, math.Sqrt)
		checkClose(t, "distance sum", fast, direct, 1e-12, 1e-12)
		if again := sumPairsSquared(x, 1, math.Sqrt); again != fast {
			t.Errorf("n %d: depends on workers: %v vs %v", n, again, fast)
		}
	}
	same := Matrix{N: 6, D: 3, Data: make([]float64, 18)}
	for k := range same.Data {
		same.Data[k] = math.Pi * float64(k%3+1) / 7
	}
	if got := sumPairsSquared(same, 1, math.Sqrt); got != 0 {
		t.Errorf("equal rows: distance sum %v, want 0", got)
	}
}
