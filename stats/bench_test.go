package stats

import (
	"math/rand/v2"
	"testing"
)

// The sizes match the scipy 1.10.1 speed anchor of the project (Shapiro-Wilk
// at n = 5000, KS and Cramér-von Mises against N(0, 1)). Machine load moves
// both by a factor of two, so compare them from runs in the same minute.

func normalSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func BenchmarkShapiroWilk5000(b *testing.B) {
	x := normalSample(5000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ShapiroWilk(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkShapiroWilk5000Uncached recomputes the coefficients (2500 normal
// quantiles) on every call, as scipy does.
func BenchmarkShapiroWilk5000Uncached(b *testing.B) {
	x := normalSample(5000, 1)
	b.ReportAllocs()
	for b.Loop() {
		swCoefficientCache.Lock()
		swCoefficientCache.n = 0
		swCoefficientCache.Unlock()
		if _, err := ShapiroWilk(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkKolmogorovSmirnov10000(b *testing.B) {
	x := normalSample(10000, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KolmogorovSmirnov(x, StdNormal, TwoSided); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkKolmogorovSmirnov5000(b *testing.B) {
	x := normalSample(5000, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KolmogorovSmirnov(x, StdNormal, TwoSided); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkCramerVonMises10000(b *testing.B) {
	x := normalSample(10000, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CramerVonMises(x, StdNormal); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkCramerVonMises5000(b *testing.B) {
	x := normalSample(5000, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CramerVonMises(x, StdNormal); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkAndersonDarling10000(b *testing.B) {
	x := normalSample(10000, 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AndersonDarling(x, StdNormal); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkDAgostinoK210000(b *testing.B) {
	x := normalSample(10000, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DAgostinoK2(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkPValueTails times the upper-tail p-values: the Anderson-Darling
// limiting tail, Csörgő and Faraway's cdf and the search for the start of
// the Cramér-von Mises tail (uncached, a new n each time).
func BenchmarkPValueTails(b *testing.B) {
	b.Run("anderson-darling-limit", func(b *testing.B) {
		for b.Loop() {
			adLimitSurvival(7.5)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/p-value")
	})
	b.Run("cramer-von-mises-cdf", func(b *testing.B) {
		for b.Loop() {
			cvmCDF(2.5, 1000)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/cdf")
	})
	b.Run("cramer-von-mises-tail-start", func(b *testing.B) {
		n := 1000
		for b.Loop() {
			n++
			cvmTailStart(n)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/search")
	})
}
