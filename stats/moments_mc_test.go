package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These 200 normal values have a Jarque-Bera χ²(2) p-value of 2.1e-8 and
// a K² one of 3.4e-4, so Holm over 52 tests at alpha 0.01 would reject on
// Jarque-Bera alone. The Monte Carlo p-values at n = 200 are 7e-4 and
// 3e-3.
func TestMomentMonteCarloNormalTail(t *testing.T) {
	x := normalMatrix(200, 1, 87).Data
	jb, err := JarqueBera(x)
	require.NoError(t, err)
	require.Less(t, jb.PValue, 1e-7, "the χ²(2) p-value this test is about")
	mc := MonteCarlo{Replicates: 19999, StopAfter: DefaultStopAfter, Seed: 1}
	res, err := JarqueBeraMonteCarlo(x, mc)
	require.NoError(t, err)
	assert.Equal(t, jb.Statistic, res.Statistic)
	assert.True(t, res.StoppedEarly)
	// h/L with h = 10 has a relative standard error of about a third.
	assert.InDelta(t, 7.3e-4, res.PValue, 4e-4)
	assert.Greater(t, res.PValue, 0.01/52)

	k2, err := DAgostinoK2(x)
	require.NoError(t, err)
	res, err = DAgostinoK2MonteCarlo(x, mc)
	require.NoError(t, err)
	assert.Equal(t, k2.Statistic, res.Statistic)
	assert.Greater(t, res.PValue, 5*k2.PValue)
	assert.InDelta(t, 2.8e-3, res.PValue, 1.5e-3)
}

// Under normality the Monte Carlo p-values are exact at every n: over 3000
// seeded samples of 12 values, P(p <= a) stays within a binomial bound of
// a, while Jarque-Bera's χ²(2) p-value is at most 0.05 for 1.4 % of them.
func TestMomentMonteCarloValidUnderNull(t *testing.T) {
	const samples, n = 3000, 12
	jb := make([]float64, samples)
	k2 := make([]float64, samples)
	asymptoticJB := make([]float64, samples)
	for s := range samples {
		x := normalMatrix(n, 1, uint64(5000+s)).Data
		mc := MonteCarlo{Replicates: 199, Seed: uint64(s), Workers: 1}
		r, err := JarqueBeraMonteCarlo(x, mc)
		require.NoError(t, err)
		jb[s] = r.PValue
		r, err = DAgostinoK2MonteCarlo(x, mc)
		require.NoError(t, err)
		k2[s] = r.PValue
		a, err := JarqueBera(x)
		require.NoError(t, err)
		asymptoticJB[s] = a.PValue
	}
	for _, a := range []float64{0.1, 0.05, 0.01} {
		checkNullRate(t, "jarque-bera", jb, a)
		checkNullRate(t, "dagostino-k2", k2, a)
	}
	assert.Less(t, nullFraction(asymptoticJB, 0.05), 0.03)
}

// The p-values do not depend on the worker count. Data far from normal
// beat every replicate, and then a sequential run that draws all n
// replicates gives the fixed p-value of n.
func TestMomentMonteCarloDraws(t *testing.T) {
	x := normalMatrix(60, 1, 3).Data
	oneWorker, err := JarqueBeraMonteCarlo(x, MonteCarlo{Replicates: 500, Seed: 9, Workers: 1})
	require.NoError(t, err)
	twoWorkers, err := JarqueBeraMonteCarlo(x, MonteCarlo{Replicates: 500, Seed: 9, Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, oneWorker, twoWorkers)

	skewed := make([]float64, 60)
	for i := range skewed {
		skewed[i] = math.Exp(x[i])
	}
	fixed, err := DAgostinoK2MonteCarlo(skewed, MonteCarlo{Replicates: 300, Seed: 9})
	require.NoError(t, err)
	assert.Equal(t, 1.0/301, fixed.PValue)
	seq, err := DAgostinoK2MonteCarlo(skewed, MonteCarlo{Replicates: 300, StopAfter: 10, Seed: 9})
	require.NoError(t, err)
	assert.Equal(t, fixed.PValue, seq.PValue)
	assert.Equal(t, 300, seq.Replicates)
	assert.False(t, seq.StoppedEarly)

	_, err = DAgostinoK2MonteCarlo(x[:7], MonteCarlo{Replicates: 10})
	assert.ErrorContains(t, err, "dagostino-k2")

	// An infinite statistic beats every replicate.
	inf := &momentTest{kind: momentJarqueBera, stat: math.Inf(1)}
	momentPValues([]*momentTest{inf}, 50, MonteCarlo{Replicates: 99, Seed: 9})
	assert.Equal(t, 1.0/100, inf.draws.pValue())

	// Every sample of 2 values has the same Jarque-Bera statistic, 1/3,
	// up to rounding, so every replicate ties with the observed one.
	pair, err := JarqueBeraMonteCarlo(x[:2], MonteCarlo{Replicates: 99, Seed: 9})
	require.NoError(t, err)
	assert.Equal(t, 1.0, pair.PValue)
}

// In a report every jarque-bera and dagostino-k2 entry gets the p-value
// that the single-column functions give with the report's seed, from one
// set of replicates, and keeps its χ²(2) p-value.
func TestReportMomentEntries(t *testing.T) {
	m := normalMatrix(300, 3, 11)
	for j := 0; j < m.N; j++ {
		m.Data[j*m.D+2] = math.Exp(m.Data[j*m.D+2]) // column 2 is skewed
	}
	opts := ReportOptions{Tests: []string{"dagostino-k2", "jarque-bera"}, Seed: 5}
	r, err := BuildReport(m, opts)
	require.NoError(t, err)
	require.Len(t, r.Tests, 6)
	// Holm over 6 p-values at alpha 0.01 needs 599 replicates; the
	// report draws at least minReportReplicates.
	mc := MonteCarlo{Replicates: 999, StopAfter: DefaultStopAfter, Seed: 5}
	for _, e := range r.Tests {
		col := m.Col(e.Component)
		single, asymptotic := JarqueBeraMonteCarlo, JarqueBera
		if e.Name == "dagostino-k2" {
			single, asymptotic = DAgostinoK2MonteCarlo, DAgostinoK2
		}
		want, err := single(col, mc)
		require.NoError(t, err)
		assert.Equal(t, want.PValue, e.PValue, "%s on component %d", e.Name, e.Component)
		assert.Equal(t, want.Replicates, e.Extra["replicates"], "%s on component %d", e.Name, e.Component)
		chi2, err := asymptotic(col)
		require.NoError(t, err)
		assert.Equal(t, chi2.PValue, e.Extra["asymptotic_p_value"])
	}
	// The skewed column beats all 999 replicates.
	assert.Equal(t, 1.0/1000, r.Tests[2].PValue)
	assert.True(t, r.Reject)
}

// The one-pass power sums of a replicate give the statistics that
// JarqueBera and DAgostinoK2 compute in two passes on the same values.
func TestMomentReplicateMatchesTwoPass(t *testing.T) {
	for _, n := range []int{8, 200, 20000} {
		for r := range 5 {
			jb, k2 := momentReplicate(3, r, n)
			rng := newRand(3, streamMoments+uint64(r))
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			wantJB, err := JarqueBera(x)
			require.NoError(t, err)
			wantK2, err := DAgostinoK2(x)
			require.NoError(t, err)
			assert.InEpsilon(t, wantJB.Statistic, jb, 1e-9, "n %d replicate %d", n, r)
			assert.InEpsilon(t, wantK2.Statistic, k2, 1e-9, "n %d replicate %d", n, r)
		}
	}
}
