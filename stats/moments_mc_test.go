package stats

import (
	"math"
	"runtime"
	"slices"
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

// A replicate gives the statistics that JarqueBera and DAgostinoK2
// compute on the same values.
func TestMomentReplicateMatchesTwoPass(t *testing.T) {
	for _, n := range []int{8, 200, 20000} {
		for r := range 5 {
			jb, k2 := momentReplicateInto(make([]float64, n), 3, r)
			rng := newRand(3, streamMoments+uint64(r))
			x := make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			wantJB, err := JarqueBera(x)
			require.NoError(t, err)
			wantK2, err := DAgostinoK2(x)
			require.NoError(t, err)
			assert.InEpsilon(t, wantJB.Statistic, jb, 1e-12, "n %d replicate %d", n, r)
			assert.InEpsilon(t, wantK2.Statistic, k2, 1e-12, "n %d replicate %d", n, r)
		}
	}
}

// The K² of the replicates is kept per block, not for every replicate
// up to the maximum. A sequential run with a maximum of 2^28 allocated
// 2 GB before its first replicate. nidim test allows such maximums at a
// small alpha, and at 4e9 it stopped with a fatal out-of-memory error.
func TestMomentMonteCarloLargeMaximum(t *testing.T) {
	x := normalMatrix(30, 1, 4).Data
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	huge, err := DAgostinoK2MonteCarlo(x, MonteCarlo{Replicates: 1 << 28, StopAfter: DefaultStopAfter, Seed: 2, Workers: 2})
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated")
	assert.True(t, huge.StoppedEarly)

	// A sequential run draws the replicates of a fixed run with the same
	// seed, so it stops where the smaller maximum stops.
	small, err := DAgostinoK2MonteCarlo(x, MonteCarlo{Replicates: 999, StopAfter: DefaultStopAfter, Seed: 2, Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, small.PValue, huge.PValue)
	assert.Equal(t, small.Replicates, huge.Replicates)
}

// A fixed count of more replicates than one block counts the K² of
// every replicate once, also when blocks wrap around the kept values.
func TestMomentMonteCarloManyBlocks(t *testing.T) {
	const n, reps = 9, maxBlock + 4321
	x := normalMatrix(n, 1, 6).Data
	stat, err := DAgostinoK2(x)
	require.NoError(t, err)
	atLeast := 0
	for r := range reps {
		_, k2 := momentReplicateInto(make([]float64, n), 3, r)
		if k2 >= stat.Statistic*(1-tieTolerance) {
			atLeast++
		}
	}
	require.Positive(t, atLeast)
	// With a progress function the blocks grow from 64 replicates by a
	// quarter of those drawn, so they do not line up with the kept values.
	for _, progress := range []bool{false, true} {
		for _, workers := range []int{1, 3} {
			mc := MonteCarlo{Replicates: reps, Seed: 3, Workers: workers}
			calls := 0
			if progress {
				mc.progress = func(int) { calls++ }
			}
			res, err := DAgostinoK2MonteCarlo(x, mc)
			require.NoError(t, err)
			assert.Equal(t, reps, res.Replicates, "workers %d, progress %v", workers, progress)
			assert.Equal(t, float64(1+atLeast)/float64(1+reps), res.PValue, "workers %d, progress %v", workers, progress)
			assert.Equal(t, progress, calls > 0)
		}
	}
}

// With a fixed QuickReplicates, as the reports that end nidim train, eval
// and sweep use, HolmMomentReplicates gives jarque-bera and dagostino-k2
// the count that lets Holm reject on them alone, and the energy tests
// keep their 199. The note on coarse Monte Carlo p-values is about the
// energy tests, whatever order the entries come in.
func TestReportHolmMomentReplicates(t *testing.T) {
	m := normalMatrix(300, 4, 21)
	for j := 0; j < m.N; j++ {
		m.Data[j*m.D+1] = math.Exp(m.Data[j*m.D+1]) // column 1 is skewed
	}
	opts := ReportOptions{Seed: 3, Replicates: QuickReplicates, HolmMomentReplicates: true}
	r, err := BuildReport(m, opts)
	require.NoError(t, err)
	require.Equal(t, 52, r.Ran())
	const holm = 5199 // the least B with 52/(B+1) <= 0.01
	for _, e := range r.Tests {
		switch e.Name {
		case "jarque-bera", "dagostino-k2":
			assert.Equal(t, holm, e.Extra["replicates"], "%s on component %d", e.Name, e.Component)
		case "energy", "energy-prior", "sliced-epps-pulley":
			assert.Equal(t, QuickReplicates, e.Extra["replicates"], e.Name)
		}
	}
	for _, name := range []string{"jarque-bera", "dagostino-k2"} {
		i := slices.IndexFunc(r.Tests, func(e TestEntry) bool { return e.Name == name && e.Component == 1 })
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, 1.0/5200, r.Tests[i].PValue, name)
		assert.LessOrEqual(t, r.Tests[i].AdjustedP, r.Alpha, name)
	}
	assert.Contains(t, r.monteCarloNote(), "Monte Carlo p-values from 199 replicates are at least 1/200")

	// Without it every Monte Carlo test draws the fixed 199.
	opts.HolmMomentReplicates = false
	r, err = BuildReport(m, opts)
	require.NoError(t, err)
	for _, e := range r.Tests {
		if e.Name == "jarque-bera" {
			assert.Equal(t, QuickReplicates, e.Extra["replicates"], "component %d", e.Component)
		}
	}
}

// The note on coarse Monte Carlo p-values takes the entry with the fewest
// replicates, also when a finer one comes first.
func TestMonteCarloNoteCoarsestEntry(t *testing.T) {
	entry := func(name string, reps int) TestEntry {
		return TestEntry{Name: name, PValue: 0.5, AdjustedP: 1, Extra: map[string]any{"replicates": reps}}
	}
	r := &Report{N: 100, D: 1, Alpha: 0.01, Tests: []TestEntry{entry("jarque-bera", 5199), entry("energy", 199)}}
	for range 50 {
		r.Tests = append(r.Tests, TestEntry{Name: "ks-prior", PValue: 0.5, AdjustedP: 1})
	}
	assert.Contains(t, r.monteCarloNote(), "Monte Carlo p-values from 199 replicates are at least 1/200, so Holm over 52 tests")
}

// Every sample of 2 values has Jarque-Bera statistic 1/3. Raw power sums
// lost the digits of m2 when the two draws were close: 343 of 5199
// replicates were more than 1e-12 off 1/3, 46 more than tieTolerance
// below it, and a 2-row report with 5199 replicates gave p = 0.9912
// instead of 1.
func TestMomentReplicatePairsTie(t *testing.T) {
	off := 0
	for r := range 5199 {
		jb, _ := momentReplicateInto(make([]float64, 2), 1, r)
		if math.Abs(jb-1.0/3) > 1e-12 {
			off++
		}
	}
	assert.Zero(t, off, "replicates of 2 values whose statistic is not 1/3 to 1e-12")

	m := Matrix{N: 2, D: 1, Data: []float64{0.25, -1.5}}
	r, err := BuildReport(m, ReportOptions{Tests: []string{"jarque-bera"}, Replicates: 5199, Seed: 1})
	require.NoError(t, err)
	require.Len(t, r.Tests, 1)
	assert.Equal(t, 1.0, r.Tests[0].PValue)
}

// A column longer than MaxSamples gets its moment tests on a seeded
// subsample of that many rows, with replicates of the same size: each
// replicate draws as many values as the test reads.
func TestReportMomentEntriesSubsample(t *testing.T) {
	m := normalMatrix(1200, 2, 21)
	opts := ReportOptions{Tests: []string{"jarque-bera"}, MaxSamples: 300, Seed: 4}
	r, err := BuildReport(m, opts)
	require.NoError(t, err)
	require.Len(t, r.Tests, 2)
	for _, e := range r.Tests {
		assert.Equal(t, 300, e.Extra["used_n"])
		assert.Equal(t, true, e.Extra["subsampled"])
		x, _ := subsampleSlice(m.Col(e.Component), 300, 4, streamMomentRows+uint64(e.Component))
		want, err := JarqueBeraMonteCarlo(x, MonteCarlo{Replicates: 999, StopAfter: DefaultStopAfter, Seed: 4})
		require.NoError(t, err)
		assert.Equal(t, want.Statistic, e.Statistic)
		assert.Equal(t, want.PValue, e.PValue)
	}
}
