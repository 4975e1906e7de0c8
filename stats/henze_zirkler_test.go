package stats

import (
	"math"
	"testing"
)

func TestHenzeZirklerFixtures(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "henze_zirkler") {
		m := c.matrix(t)
		got, err := HenzeZirkler(m)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		c.checkTol(t, "statistic", got.Statistic, c.Statistic)
		c.checkTol(t, "pvalue", got.PValue, c.PValue)

		beta := henzeZirklerBeta(m.N, m.D)
		checkClose(t, c.ID+" beta", beta, c.Beta, 0, 1e-14)
		mean, variance := henzeZirklerMoments(beta, m.D)
		checkClose(t, c.ID+" lognormal mean", mean, c.LognormalMean, 0, 1e-12)
		checkClose(t, c.ID+" lognormal variance", variance, c.LognormalVar, 0, 1e-10)
	}
}

// The iris setosa values printed in the MVN 5.9 vignette.
func TestHenzeZirklerIrisSetosa(t *testing.T) {
	for _, c := range loadMultivariateCases(t, "henze_zirkler") {
		if c.ID != "hz_iris_setosa_d4_n50" {
			continue
		}
		got, err := HenzeZirkler(c.matrix(t))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "HZ", got.Statistic, 0.9488453, 5e-8, 0)
		checkClose(t, "p", got.PValue, 0.04995356, 5e-9, 0)
		return
	}
	t.Fatal("iris setosa case missing")
}

func TestHenzeZirklerWorkersAndSubsample(t *testing.T) {
	m := normalMatrix(300, 4, 7)
	one, err := HenzeZirklerSampled(m, MonteCarlo{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{2, 3, 8} {
		got, err := HenzeZirklerSampled(m, MonteCarlo{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if got != one {
			t.Errorf("workers %d: %+v, want %+v (identical)", w, got, one)
		}
	}
	if one.Subsampled || one.UsedN != 300 {
		t.Errorf("full run reports Subsampled %v UsedN %d", one.Subsampled, one.UsedN)
	}

	sub, err := HenzeZirklerSampled(m, MonteCarlo{MaxSamples: 100, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !sub.Subsampled || sub.UsedN != 100 {
		t.Errorf("subsample reports Subsampled %v UsedN %d, want true 100", sub.Subsampled, sub.UsedN)
	}
	// The subsampled statistic is the full test run on the chosen rows.
	rows, _ := MonteCarlo{MaxSamples: 100, Seed: 3}.subsample(m)
	direct, err := HenzeZirkler(rows)
	if err != nil {
		t.Fatal(err)
	}
	if direct != sub.Result {
		t.Errorf("subsampled result %+v, direct run on the subsample %+v", sub.Result, direct)
	}
}

func TestHenzeZirklerBadInput(t *testing.T) {
	m := normalMatrix(50, 3, 1)
	m.Data[7] = math.NaN()
	if _, err := HenzeZirkler(m); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := HenzeZirkler(normalMatrix(3, 3, 1)); err == nil {
		t.Error("n = d accepted")
	}
	c := normalMatrix(50, 3, 1)
	for i := 0; i < c.N; i++ {
		c.Data[i*3+1] = 2.5
	}
	if _, err := HenzeZirkler(c); err == nil {
		t.Error("constant component accepted")
	}
}

// normalMatrix returns n x d standard normal draws from a seeded PCG.
func normalMatrix(n, d int, seed uint64) Matrix {
	rng := newRand(seed, 99)
	m := Matrix{N: n, D: d, Data: make([]float64, n*d)}
	for k := range m.Data {
		m.Data[k] = rng.NormFloat64()
	}
	return m
}
