package stats

import (
	"testing"
)

// BenchmarkReportGaussian times the whole gaussian battery on 10,000 x 64
// standard normal values with the default options: Henze-Zirkler on a
// subsample of 2000 rows, the energy tests on 500 rows with 199 replicates.
// The multivariate sub-benchmark runs only the tests of this half of the
// package (Mardia, Henze-Zirkler, energy, sphericity).
func BenchmarkReportGaussian(b *testing.B) {
	m := normalMatrix(10000, 64, 1)
	cases := []struct {
		name  string
		tests []string
	}{
		{"all", nil},
		{"multivariate", []string{"mardia-skewness", "mardia-kurtosis", "henze-zirkler", "energy", "energy-prior", "sphericity", "mean-covariance"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := BuildReport(m, ReportOptions{Tests: c.tests}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/report")
		})
	}
}

// BenchmarkMultivariateTests times each multivariate test alone on
// 2000 x 64 normal values (energy tests: 199 replicates).
func BenchmarkMultivariateTests(b *testing.B) {
	m := normalMatrix(2000, 64, 2)
	mc := MonteCarlo{Replicates: 199}
	run := map[string]func() error{
		"Mardia":       func() error { _, err := Mardia(m); return err },
		"HenzeZirkler": func() error { _, err := HenzeZirkler(m); return err },
		"EnergyNormality500": func() error {
			_, err := EnergyNormality(m, MonteCarlo{Replicates: 199, MaxSamples: 500})
			return err
		},
		"EnergyPrior500": func() error {
			_, err := EnergyPrior(m, "gaussian", MonteCarlo{Replicates: 199, MaxSamples: 500})
			return err
		},
		"EnergyPriorColumns": func() error { _, err := EnergyPriorColumns(m, "uniform", mc); return err },
		"Sphericity":         func() error { _, err := Sphericity(m); return err },
		"MeanCovariance":     func() error { _, err := MeanCovariance(m); return err },
	}
	for _, name := range []string{"Mardia", "HenzeZirkler", "EnergyNormality500", "EnergyPrior500", "EnergyPriorColumns", "Sphericity", "MeanCovariance"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := run[name](); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
