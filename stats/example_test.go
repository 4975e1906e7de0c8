package stats_test

import (
	"fmt"
	"log"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// normalSample returns an n x d sample of N(0, scale² I) drawn from a
// tensor.RNG, whose values are the same on every architecture.
func normalSample(n, d int, scale float64, seed uint64) stats.Matrix {
	rng := tensor.NewRNG(seed)
	data := make([]float64, n*d)
	for i := range data {
		data[i] = scale * rng.NormFloat64()
	}
	return stats.Matrix{N: n, D: d, Data: data}
}

// BuildReport runs the prior-matching battery on a matrix of embeddings,
// one row per embedding, and Holm-adjusts all its p-values together. Here
// it runs four of the tests on 500 draws of N(0, I) in 3 dimensions.
// Leaving ReportOptions.Tests empty runs every test valid for the prior;
// Report.WriteText prints the whole report as tables.
func ExampleBuildReport() {
	m := normalSample(500, 3, 1, 7)
	report, err := stats.BuildReport(m, stats.ReportOptions{
		Prior: "gaussian",
		Tests: []string{"ks-prior", "shapiro-wilk", "henze-zirkler", "mean-covariance"},
		Seed:  1,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range report.Tests {
		component := "all" // a multivariate test has Component -1
		if t.Component >= 0 {
			component = fmt.Sprint(t.Component)
		}
		fmt.Printf("%-16s %3s  p %.3f  Holm %.3f\n", t.Name, component, t.PValue, t.AdjustedP)
	}
	fmt.Printf("largest KS distance %.3f (component %d)\n", report.MaxKSDistance, report.MaxKSComponent)
	fmt.Println(report.Verdict())
	// Output:
	// shapiro-wilk       0  p 0.956  Holm 1.000
	// shapiro-wilk       1  p 0.406  Holm 1.000
	// shapiro-wilk       2  p 0.318  Holm 1.000
	// ks-prior           0  p 0.933  Holm 1.000
	// ks-prior           1  p 0.195  Holm 1.000
	// ks-prior           2  p 0.245  Holm 1.000
	// henze-zirkler    all  p 0.292  Holm 1.000
	// mean-covariance  all  p 0.427  Holm 1.000
	// largest KS distance 0.048 (component 1)
	// PASS: no test rejects N(0, I) at alpha 0.01 after Holm adjustment (8 tests)
}

// KolmogorovSmirnov tests one column against a fully specified law, here
// N(0, 1). A sample with standard deviation 1.3 is rejected.
func ExampleKolmogorovSmirnov() {
	for _, scale := range []float64{1, 1.3} {
		x := normalSample(400, 1, scale, 3).Col(0)
		r, err := stats.KolmogorovSmirnov(x, stats.StdNormal, stats.TwoSided)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("sd %.1f: D = %.4f, p = %.4f, exact %v\n", scale, r.Statistic, r.PValue, r.Exact)
	}
	// Output:
	// sd 1.0: D = 0.0573, p = 0.1385, exact true
	// sd 1.3: D = 0.0855, p = 0.0054, exact true
}

// ShapiroWilk tests composite normality: the mean and variance are free,
// so a scaled normal sample passes and a uniform one does not.
func ExampleShapiroWilk() {
	normal := normalSample(200, 1, 2.5, 5).Col(0)
	rng := tensor.NewRNG(5)
	uniform := make([]float64, 200)
	for i := range uniform {
		uniform[i] = rng.Float64()
	}
	for _, s := range []struct {
		name string
		x    []float64
	}{{"normal", normal}, {"uniform", uniform}} {
		r, err := stats.ShapiroWilk(s.x)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-7s W = %.4f, p = %.3g\n", s.name, r.Statistic, r.PValue)
	}
	// Output:
	// normal  W = 0.9980, p = 0.997
	// uniform W = 0.9557, p = 7.01e-06
}

// HenzeZirkler tests multivariate normality on the rows of a matrix.
// Components that are each normal but depend on each other through a
// common sign fail it.
func ExampleHenzeZirkler() {
	m := normalSample(300, 2, 1, 11)
	r, err := stats.HenzeZirkler(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("independent: HZ = %.3f, p = %.3f\n", r.Statistic, r.PValue)

	// Give the second component the sign of the first: both marginals stay
	// N(0, 1), but the joint law is not normal.
	for i := 0; i < m.N; i++ {
		row := m.Row(i)
		if (row[0] < 0) != (row[1] < 0) {
			row[1] = -row[1]
		}
	}
	r, err = stats.HenzeZirkler(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("same sign:   HZ = %.3f, p = %.2g\n", r.Statistic, r.PValue)
	// Output:
	// independent: HZ = 0.788, p = 0.260
	// same sign:   HZ = 3.189, p = 1.2e-07
}

// Holm adjusts a family of p-values for multiple testing, and Bonferroni
// is the simpler bound it improves on.
func ExampleHolm() {
	p := []float64{0.01, 0.04, 0.03, 0.005}
	fmt.Printf("%.3f\n", stats.Holm(p))
	fmt.Printf("%.3f\n", stats.Bonferroni(p))
	// Output:
	// [0.030 0.060 0.060 0.020]
	// [0.040 0.160 0.120 0.020]
}
