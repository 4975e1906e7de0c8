package stats

import (
	"math"
	"slices"
)

// Monte Carlo p-values for Jarque-Bera and D'Agostino's K².
//
// Both statistics are functions of the standardized sample skewness and
// kurtosis, so under normality their law depends on n alone, not on the
// mean or the variance. Replicates of n standard normal values therefore
// give exact Monte Carlo p-values at the sample's n, where the χ²(2) law
// of JarqueBera and DAgostinoK2 holds only as n grows and is too small far
// in the tail (see their comments). Replicate r draws from PCG stream
// streamMoments + r and gives both statistics, so the p-values of every
// column of a report share one set of replicates. A column far from
// normal makes the run draw all of its maximum, and the other columns
// then cost nothing more.

// streamMoments + r is the PCG stream of replicate r of the moment tests.
const streamMoments = 0x5eed_4000_0000_0000

// momentKind selects the statistic of a moment test.
type momentKind int

const (
	momentJarqueBera momentKind = iota
	momentK2
)

// momentTest is one Monte Carlo p-value to compute: the observed
// statistic of a test on a column of n values, and its draws so far.
type momentTest struct {
	kind  momentKind
	stat  float64
	draws mcDraws
	done  bool
}

// momentStatistics returns Jarque-Bera's statistic and D'Agostino's K²
// for skewness s = m3/m2^(3/2) and kurtosis k = m4/m2² of n values. K² is
// NaN below 8 values, where its transforms are undefined.
func momentStatistics(s, k float64, n int) (jb, k2 float64) {
	k2 = math.NaN()
	if n >= 8 {
		k2 = dagostinoK2Statistic(s, k, n)
	}
	return jarqueBeraStatistic(s, k, n), k2
}

// momentPValues draws replicates of n standard normal values, as mc sets
// their count, and fills the draws of every test. Sequential tests stop
// on their own: drawing goes on while one of them has not stopped.
func momentPValues(tests []*momentTest, n int, mc MonteCarlo) {
	if len(tests) == 0 {
		return
	}
	reps, workers := mc.maxReplicates(defaultMomentReplicates), mc.workers()
	// drawReplicates carries Jarque-Bera's statistic, and k2 the K² of
	// replicate r at r mod len(k2) until the block of r is scanned. A
	// block holds at most len(k2) consecutive replicates, so they do not
	// collide, and a slice of all reps would take 8 bytes per replicate of
	// a --max-replicates that can reach 10 K/alpha.
	k2 := make([]float64, largestBlock(reps, mc.StopAfter, workers))
	replicate := func(r int, buf Matrix) float64 {
		jb, kk := momentReplicateInto(buf.Data, mc.Seed, r)
		k2[r%len(k2)] = kk
		return jb
	}
	blockK2 := make([]float64, 0, len(k2))
	drawReplicates(reps, mc.StopAfter, n, 1, workers, mc.progress, replicate, func(first int, jb []float64) bool {
		blockK2 = blockK2[:0]
		for r := first; r < first+len(jb); r++ {
			blockK2 = append(blockK2, k2[r%len(k2)])
		}
		pending := false
		for _, t := range tests {
			if t.done {
				continue
			}
			values := jb
			if t.kind == momentK2 {
				values = blockK2
			}
			t.done = t.draws.count(tieFloor(t.stat), mc.StopAfter, first, values)
			pending = pending || !t.done
		}
		return !pending
	})
}

// tieTolerance is the relative difference below which a replicate's
// statistic counts as equal to the observed one. Statistics that are
// equal in exact arithmetic, such as Jarque-Bera's 1/3 for every sample
// of 2 values, differ in their last bits when they come from other
// values. Ties count against the observed statistic, which keeps the
// p-value valid.
const tieTolerance = 1e-9

// tieFloor returns the least replicate statistic that counts as at least
// stat. An infinite stat stays as it is, since Inf - Inf would be NaN,
// which every replicate would pass.
func tieFloor(stat float64) float64 {
	if math.IsInf(stat, 0) {
		return stat
	}
	return stat - tieTolerance*math.Abs(stat)
}

// momentReplicateInto returns Jarque-Bera's statistic and K² of len(buf)
// standard normal values, which it draws into buf from PCG stream
// streamMoments + r. The moments are taken about the mean in two passes,
// as for the observed sample: raw power sums lose the digits of m2 when
// the draws lie close together, as 46 of 5199 pairs of draws did.
func momentReplicateInto(buf []float64, seed uint64, r int) (jb, k2 float64) {
	rng := newRand(seed, streamMoments+uint64(r))
	for i := range buf {
		buf[i] = rng.NormFloat64()
	}
	m2, m3, m4, _ := centralMoments(buf, 1)
	return momentStatistics(m3/math.Pow(m2, 1.5), m4/(m2*m2), len(buf))
}

// defaultMomentReplicates is the fixed replicate count of
// JarqueBeraMonteCarlo and DAgostinoK2MonteCarlo when mc sets none.
const defaultMomentReplicates = 9999

// JarqueBeraMonteCarlo is JarqueBera with a Monte Carlo p-value from
// replicates of len(x) standard normal values. With B replicates, g of
// which reach the statistic of x, it is (1 + g)/(B + 1), or sequential as
// mc sets it (9999 replicates when mc sets no count). The p-value is
// exact up to its Monte Carlo error at every n, where JarqueBera's χ²(2)
// p-value is too small far in the tail. mc.MaxSamples is ignored, so the
// test reads every value.
func JarqueBeraMonteCarlo(x []float64, mc MonteCarlo) (MCResult, error) {
	return momentMonteCarlo(x, mc, momentJarqueBera, JarqueBera)
}

// DAgostinoK2MonteCarlo is DAgostinoK2 with a Monte Carlo p-value, as
// JarqueBeraMonteCarlo computes it. It needs 8 values or more.
func DAgostinoK2MonteCarlo(x []float64, mc MonteCarlo) (MCResult, error) {
	return momentMonteCarlo(x, mc, momentK2, DAgostinoK2)
}

// momentMonteCarlo runs test on x and replaces its p-value with the Monte
// Carlo p-value of the statistic of kind.
func momentMonteCarlo(x []float64, mc MonteCarlo, kind momentKind, test func([]float64) (Result, error)) (MCResult, error) {
	res, err := test(x)
	if err != nil {
		return MCResult{}, err
	}
	t := &momentTest{kind: kind, stat: res.Statistic}
	momentPValues([]*momentTest{t}, len(x), mc)
	return mc.result(res.Statistic, t.draws.pValue(), t.draws, false, len(x)), nil
}

// calibrateMomentEntries gives the jarque-bera and dagostino-k2 entries
// of tests, which ran on n values of their column, Monte Carlo p-values
// from one set of replicates of n values, with the settings of opts. Each entry keeps its χ²(2) p-value
// under "asymptotic_p_value" in Extra.
func calibrateMomentEntries(tests []TestEntry, n int, opts ReportOptions) {
	var pending []*momentTest
	var index []int
	for i, e := range tests {
		if e.Err != "" {
			continue
		}
		switch e.Name {
		case "jarque-bera":
			pending = append(pending, &momentTest{kind: momentJarqueBera, stat: e.Statistic})
		case "dagostino-k2":
			pending = append(pending, &momentTest{kind: momentK2, stat: e.Statistic})
		default:
			continue
		}
		index = append(index, i)
	}
	if len(pending) == 0 {
		return
	}
	mc := opts.monteCarlo()
	momentPValues(pending, n, mc)
	for k, t := range pending {
		e := &tests[index[k]]
		subsampled, _ := e.Extra["subsampled"].(bool)
		res := mc.result(e.Statistic, t.draws.pValue(), t.draws, subsampled, n)
		asymptotic := e.PValue
		e.Extra = mcExtra(res)
		e.Extra["asymptotic_p_value"] = asymptotic
		e.PValue = res.PValue
	}
}

// momentTestsSelected reports whether tests contains jarque-bera or
// dagostino-k2, whose p-values calibrateMomentEntries computes.
func momentTestsSelected(tests []string) bool {
	for _, name := range tests {
		if name == "jarque-bera" || name == "dagostino-k2" {
			return true
		}
	}
	return false
}

// momentStepName returns the progress step of the replicates of the
// moment tests among tests.
func momentStepName(tests []string) string {
	jb, k2 := slices.Contains(tests, "jarque-bera"), slices.Contains(tests, "dagostino-k2")
	switch {
	case jb && k2:
		return "jarque-bera and dagostino-k2 replicates"
	case jb:
		return "jarque-bera replicates"
	}
	return "dagostino-k2 replicates"
}
