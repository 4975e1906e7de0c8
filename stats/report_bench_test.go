package stats

import (
	"fmt"
	"testing"
)

// BenchmarkReportGaussian times the whole gaussian battery on 10,000 x 64
// standard normal values with the default options: Henze-Zirkler on a
// subsample of 2000 rows, the energy tests on 500 rows with sequential
// p-values (at most 19999 replicates; far fewer on this null sample).
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

// BenchmarkMonteCarloPValue times the energy test against N(0, I) on 500
// rows, as the report runs it, with the old fixed 199 replicates and with
// sequential p-values (h = 10 and the maximum of a report with d
// components, 5199 at d = 4 and 18399 at d = 16), on N(0, I) rows and on
// rows whose first component is shifted by 0.5. It reports the replicates
// drawn. Run it with -benchtime 1x: a shifted sequential run at d = 16
// takes seconds.
func BenchmarkMonteCarloPValue(b *testing.B) {
	for _, d := range []int{4, 16} {
		null := normalMatrix(500, d, 5)
		shifted := normalMatrix(500, d, 6)
		for i := range shifted.N {
			shifted.Data[i*d] += 0.5
		}
		most := reportMaxReplicates(ReportOptions{Tests: ReportTestNames("gaussian"), Alpha: DefaultAlpha}, d)
		for _, data := range []struct {
			name string
			m    Matrix
		}{{"null", null}, {"shifted", shifted}} {
			for _, mode := range []struct {
				name string
				mc   MonteCarlo
			}{{"fixed199", MonteCarlo{Replicates: 199}}, {"sequential", MonteCarlo{Replicates: most, StopAfter: DefaultStopAfter}}} {
				b.Run(fmt.Sprintf("d%d/%s/%s", d, data.name, mode.name), func(b *testing.B) {
					var res MCResult
					for b.Loop() {
						var err error
						if res, err = EnergyPrior(data.m, "gaussian", mode.mc); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(res.Replicates), "replicates")
				})
			}
		}
	}
}

// BenchmarkMomentMonteCarlo times the Monte Carlo p-values of
// Jarque-Bera and K² on one skewed column, which no replicate reaches,
// so that the run draws all of the 5199 replicates of a 4-column report.
// It reports the normal values drawn per second.
func BenchmarkMomentMonteCarlo(b *testing.B) {
	for _, n := range []int{200, 10000} {
		b.Run(fmt.Sprintf("n%d", n), func(b *testing.B) {
			x := normalMatrix(n, 1, 7).Data
			for i := range x {
				x[i] *= x[i]
			}
			// The statistics of the column itself: with +Inf, the tie
			// tolerance made the threshold NaN, which every replicate
			// reached, so the run stopped after 10.
			jb, err := JarqueBera(x)
			if err != nil {
				b.Fatal(err)
			}
			k2, err := DAgostinoK2(x)
			if err != nil {
				b.Fatal(err)
			}
			tests := []*momentTest{{kind: momentJarqueBera, stat: jb.Statistic}, {kind: momentK2, stat: k2.Statistic}}
			const reps = 5199
			for b.Loop() {
				for _, t := range tests {
					t.draws, t.done = mcDraws{}, false
				}
				momentPValues(tests, n, MonteCarlo{Replicates: reps, StopAfter: DefaultStopAfter, Seed: 1})
			}
			if tests[0].draws.drawn != reps {
				b.Fatalf("drew %d replicates, want %d", tests[0].draws.drawn, reps)
			}
			b.ReportMetric(float64(reps*n)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
		})
	}
}
