package stats

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nullFraction returns the fraction of p at most a.
func nullFraction(p []float64, a float64) float64 {
	k := 0
	for _, v := range p {
		if v <= a {
			k++
		}
	}
	return float64(k) / float64(len(p))
}

// checkNullRate checks that the fraction of p at most a lies within four
// binomial standard errors of a, the rate of an exact p-value.
func checkNullRate(t *testing.T, what string, p []float64, a float64) {
	t.Helper()
	got := nullFraction(p, a)
	if bound := 4 * math.Sqrt(a*(1-a)/float64(len(p))); math.Abs(got-a) > bound {
		t.Errorf("%s: %.4f of %d null p-values are <= %g, want within %.4f of %g", what, got, len(p), a, bound, a)
	}
}

// Under the null the sequential p-value is exact: P(p <= a) = a for a in
// {h/l} and {(g+1)/(n+1)}. Here the statistics are uniform draws, which
// are exchangeable with the observed one, over 40,000 seeds; 0.05 = 10/200
// and 0.01 = 10/1000 are values the p-value takes with h = 10, n = 999.
func TestSequentialPValueExactUnderNull(t *testing.T) {
	const samples = 40000
	p := make([]float64, samples)
	drawn := 0
	for s := range samples {
		mc := MonteCarlo{Replicates: 999, StopAfter: 10, Seed: uint64(s), Workers: 1}
		observed := newRand(mc.Seed, streamReference).Float64()
		o := mc.countReplicates(observed, 0, 1, 1, func(r int, _ Matrix) float64 {
			return newRand(mc.Seed, streamReplicate+uint64(r)).Float64()
		})
		p[s] = o.pValue()
		drawn += o.drawn
	}
	for _, a := range []float64{0.5, 0.1, 0.05, 0.01, 0.002} {
		checkNullRate(t, "uniform statistics", p, a)
		t.Logf("P(p <= %g) = %.4f", a, nullFraction(p, a))
	}
	// The mean number drawn is h (1 + H_n - H_h), 55.6 for h = 10 and
	// n = 999; its standard error here is below 1.
	if mean := float64(drawn) / samples; math.Abs(mean-55.6) > 3 {
		t.Errorf("mean replicates drawn under the null %.1f, want about 55.6", mean)
	}
}

// The energy tests' sequential p-values are valid under the null: over
// 5000 seeded null samples the fraction at most 0.05 and at most 0.01
// stays within a binomial bound of the level.
func TestSequentialEnergyValidUnderNull(t *testing.T) {
	const samples = 5000
	cases := []struct {
		name string
		test func(m Matrix, mc MonteCarlo) (MCResult, error)
	}{
		{"energy-prior", func(m Matrix, mc MonteCarlo) (MCResult, error) { return EnergyPrior(m, "gaussian", mc) }},
		{"energy", EnergyNormality},
	}
	for _, c := range cases {
		p := make([]float64, samples)
		for s := range samples {
			m := normalMatrix(20, 2, uint64(1000+s))
			res, err := c.test(m, MonteCarlo{Replicates: 999, StopAfter: DefaultStopAfter, Seed: uint64(s), Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			p[s] = res.PValue
		}
		for _, a := range []float64{0.05, 0.01} {
			checkNullRate(t, c.name, p, a)
			t.Logf("%s: P(p <= %g) = %.4f", c.name, a, nullFraction(p, a))
		}
	}
}

// A sample that fits the prior better than nearly every replicate stops
// after about h replicates.
func TestSequentialStopsEarlyOnNullData(t *testing.T) {
	const n = 500
	q := make([]float64, n)
	for i := range q {
		q[i] = StdNormal.Quantile((float64(i) + 0.5) / n)
	}
	mc := MonteCarlo{StopAfter: DefaultStopAfter, Seed: 3}
	for name, test := range map[string]func() (MCResult, error){
		"energy-prior": func() (MCResult, error) { return EnergyPrior(Matrix{N: n, D: 1, Data: q}, "gaussian", mc) },
		"epps-pulley":  func() (MCResult, error) { return EppsPulleySpecified(q, mc) },
		"energy columns": func() (MCResult, error) {
			r, err := EnergyPriorColumns(Matrix{N: n, D: 1, Data: q}, "gaussian", mc)
			return r[0], err
		},
	} {
		res, err := test()
		if err != nil {
			t.Fatal(err)
		}
		if !res.StoppedEarly || res.Replicates > 12 || res.MaxReplicates != DefaultMaxReplicates || res.StopAfter != DefaultStopAfter {
			t.Errorf("%s: %+v, want a stop after at most 12 replicates", name, res)
		}
		checkClose(t, name+" p", res.PValue, float64(DefaultStopAfter)/float64(res.Replicates), 0, 1e-15)
	}

	// A default report on this seeded null sample stops each test before
	// the old fixed 199 replicates, at p = h/L.
	r, err := BuildReport(normalMatrix(1000, 4, 8), ReportOptions{Tests: []string{"energy", "energy-prior", "sliced-epps-pulley"}, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Tests {
		reps, _ := e.Extra["replicates"].(int)
		if e.Extra["stopped_early"] != true || reps >= 199 || e.PValue != float64(DefaultStopAfter)/float64(reps) {
			t.Errorf("%s: p %v, %v", e.Name, e.PValue, e.Extra)
		}
		if note, want := e.notes(r.N, r.D), fmt.Sprintf("sequential, stopped after %d of at most 999 replicates", reps); !strings.HasPrefix(note, want) {
			t.Errorf("%s: notes %q, want %q", e.Name, note, want)
		}
	}
}

// On a sample far from the prior every replicate stays below the
// statistic, all n are drawn, and p = 1/(n+1) is small enough for Holm
// over the whole report (52 p-values at d = 4, 184 at d = 16) to reject
// on it alone.
func TestSequentialResolvesNonNull(t *testing.T) {
	for _, d := range []int{4, 16} {
		m := normalMatrix(30, d, uint64(d))
		for k := range m.Data {
			m.Data[k] += 1
		}
		r, err := BuildReport(m, ReportOptions{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		k := 11*d + 8
		if r.Ran() != k {
			t.Fatalf("d = %d: %d tests ran, want %d", d, r.Ran(), k)
		}
		want := holmReplicates(k, DefaultAlpha)
		for _, e := range r.Tests {
			if e.Name != "energy-prior" && e.Name != "sliced-epps-pulley" {
				continue
			}
			if e.Extra["replicates"] != want || e.Extra["stopped_early"] != false || e.Extra["max_replicates"] != want {
				t.Errorf("d = %d, %s: %v, want all %d replicates", d, e.Name, e.Extra, want)
			}
			// Holm over k p-values of which only this one is small.
			p := make([]float64, k)
			for i := range p {
				p[i] = 0.5
			}
			p[0] = e.PValue
			if adj := Holm(p)[0]; adj > DefaultAlpha {
				t.Errorf("d = %d, %s: p %v, alone adjusted to %v > %v", d, e.Name, e.PValue, adj, DefaultAlpha)
			}
		}
		if note := r.monteCarloNote(); note != "" {
			t.Errorf("d = %d: note %q", d, note)
		}
		var text bytes.Buffer
		if err := r.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if all := fmt.Sprintf("sequential, all %d replicates", want); !strings.Contains(text.String(), all) {
			t.Errorf("d = %d: the text report lacks %q:\n%s", d, all, text.String())
		}
	}
}

// The note on coarse Monte Carlo p-values reads the maximum of sequential
// ones and names --max-replicates.
func TestMonteCarloNoteSequential(t *testing.T) {
	const k = 228 // a gaussian report at d = 20
	r := &Report{Alpha: DefaultAlpha, Tests: make([]TestEntry, k)}
	r.Tests[0].Extra = map[string]any{"replicates": 37, "stopped_early": true, "stop_after": 10, "max_replicates": DefaultMaxReplicates}
	assert.Equal(t, "Monte Carlo p-values from at most 19999 replicates are at least 1/20000, so Holm over 228 tests at alpha 0.01 rejects on them only after 28 other tests reject; read them on their own, or test the embeddings with nidim test --max-replicates 22799 or more, which lets Holm reject on them alone.", r.monteCarloNote())
	r.Tests[0].Extra["max_replicates"] = 22799
	assert.Empty(t, r.monteCarloNote())
}

// A fixed count too small for Holm, as the summaries of nidim train, eval
// and sweep draw, gets advice that points at nidim test's sequential
// default, and at a fixed count when even that maximum would not do.
func TestMonteCarloNoteFixed(t *testing.T) {
	const k = 52 // a gaussian report at d = 4
	r := &Report{Alpha: DefaultAlpha, Tests: make([]TestEntry, k)}
	r.Tests[0].Extra = map[string]any{"replicates": QuickReplicates, "stopped_early": false}
	assert.Equal(t, "Monte Carlo p-values from 199 replicates are at least 1/200, so Holm over 52 tests at alpha 0.01 rejects on them only after 50 other tests reject; read them on their own, or test the embeddings with nidim test, whose default sequential p-values let Holm reject on them alone (or nidim test --replicates 5199 or more for a fixed count).", r.monteCarloNote())

	r.Tests = make([]TestEntry, 228)
	r.Tests[0].Extra = map[string]any{"replicates": QuickReplicates, "stopped_early": false}
	assert.Contains(t, r.monteCarloNote(), "or test the embeddings with nidim test --replicates 22799 or more, which lets Holm reject on them alone.")
}

// The sequential outcome is the same for every worker count, for every
// test that has one, on null data (early stops) and shifted data.
func TestSequentialWorkersDoNotChangeResult(t *testing.T) {
	null := normalMatrix(120, 3, 31)
	shifted := normalMatrix(120, 3, 32)
	for k := range shifted.Data {
		shifted.Data[k] += 0.3
	}
	for name, m := range map[string]Matrix{"null": null, "shifted": shifted} {
		run := func(w int) string {
			mc := MonteCarlo{Replicates: 400, StopAfter: DefaultStopAfter, Seed: 6, Workers: w}
			var out []MCResult
			for _, test := range []func() (MCResult, error){
				func() (MCResult, error) { return EnergyNormality(m, mc) },
				func() (MCResult, error) { return EnergyPrior(m, "gaussian", mc) },
				func() (MCResult, error) { return SlicedEppsPulley(m, 4, mc) },
				func() (MCResult, error) { return EppsPulleySpecified(m.Col(0), mc) },
			} {
				res, err := test()
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, res)
			}
			cols, err := EnergyPriorColumns(m, "gaussian", mc)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%+v", append(out, cols...))
		}
		one := run(1)
		for _, w := range []int{3, 8} {
			if got := run(w); got != one {
				t.Errorf("%s: %d workers give\n%s\nand one gives\n%s", name, w, got, one)
			}
		}
	}

	checkReportSameForWorkers(t, shifted, ReportOptions{Tests: []string{"energy", "energy-prior", "sliced-epps-pulley", "ks-prior"}, MaxReplicates: 300, Seed: 5}, 1, 2, 5)
}

// A sequential run that reaches its maximum n gives the p-value of a fixed
// run of n replicates: the replicates are the same ones.
func TestSequentialMatchesFixedWhenExhausted(t *testing.T) {
	m := normalMatrix(100, 2, 41)
	for k := range m.Data {
		m.Data[k] *= 1.2
	}
	fixed, err := EnergyPrior(m, "gaussian", MonteCarlo{Replicates: 300, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := EnergyPrior(m, "gaussian", MonteCarlo{Replicates: 300, StopAfter: 1000, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if seq.PValue != fixed.PValue || seq.Replicates != 300 || seq.StoppedEarly || fixed.StopAfter != 0 || fixed.MaxReplicates != 0 {
		t.Errorf("sequential %+v, fixed %+v", seq, fixed)
	}
}

// Each column of the sequential EnergyPriorColumns stops where EnergyPrior
// on that column alone stops.
func TestSequentialColumnsMatchSingleColumn(t *testing.T) {
	m := uniformMatrix(80, 3, 6)
	for k := 0; k < m.N; k++ {
		m.Data[k*3+2] *= 0.8 // column 2 is U[0, 0.8]
	}
	mc := MonteCarlo{Replicates: 3000, StopAfter: DefaultStopAfter, Seed: 21}
	cols, err := EnergyPriorColumns(m, "uniform", mc)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < m.D; j++ {
		single, err := EnergyPrior(Matrix{N: m.N, D: 1, Data: m.Col(j)}, "uniform", mc)
		if err != nil {
			t.Fatal(err)
		}
		if cols[j].PValue != single.PValue || cols[j].Replicates != single.Replicates || cols[j].StoppedEarly != single.StoppedEarly {
			t.Errorf("column %d: %+v, single-column run %+v", j, cols[j], single)
		}
	}
}

// The report derives the sequential maximum from its family size: the
// least n whose 1/(n+1) Holm over K p-values turns into at most alpha.
func TestReportMaxReplicates(t *testing.T) {
	for _, c := range []struct{ k, want int }{{52, 5199}, {184, 18399}, {51, 5099}, {1, 99}} {
		got := holmReplicates(c.k, DefaultAlpha)
		if got != c.want {
			t.Errorf("holmReplicates(%d) = %d, want %d", c.k, got, c.want)
		}
		if adj := float64(c.k) * (1 / float64(got+1)); adj > DefaultAlpha {
			t.Errorf("k %d: Holm-adjusted smallest p %v > alpha", c.k, adj)
		}
	}
	for _, alpha := range []float64{0.05, 0.01, 0.003, 0.001} {
		for k := 1; k < 400; k++ {
			b := holmReplicates(k, alpha)
			if float64(k)*(1/float64(b+1)) > alpha || alpha*float64(b+1) < float64(k) || (b > 0 && float64(k)*(1/float64(b)) <= alpha && alpha*float64(b) >= float64(k)) {
				t.Errorf("holmReplicates(%d, %v) = %d is not the least count", k, alpha, b)
			}
		}
	}

	cases := []struct {
		opts ReportOptions
		d    int
		want int
	}{
		{ReportOptions{}, 4, 5199},
		{ReportOptions{}, 16, 18399},
		{ReportOptions{}, 20, DefaultMaxReplicates},                        // 228 p-values
		{ReportOptions{Tests: []string{"energy"}}, 4, minReportReplicates}, // 1 p-value
		{ReportOptions{Prior: "uniform", Eps: 0.1}, 16, 8199},              // 5 per component and 2
		{ReportOptions{Alpha: 0.05}, 16, 3679},                             // 184/0.05 - 1
		{ReportOptions{MaxReplicates: 300, StopAfter: 3}, 4, 300},          // given
		{ReportOptions{Tests: []string{"energy-prior"}, Prior: "uniform"}, 3, minReportReplicates},
	}
	for _, c := range cases {
		opts, err := normalizeOptions(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Tests, _ = skipTests(opts)
		got := opts.MaxReplicates
		if got == 0 {
			got = reportMaxReplicates(opts, c.d)
		}
		if got != c.want {
			t.Errorf("%+v at d = %d: maximum %d, want %d", c.opts, c.d, got, c.want)
		}
	}
}

// The text report says how "stopped after L" and "all n replicates" give
// the p-values beside them, which it used to leave to the help of
// --max-replicates. A fixed count needs no such note.
func TestSequentialNoteInTextReport(t *testing.T) {
	m := normalMatrix(200, 3, 12)
	opts := ReportOptions{Tests: []string{"ks-prior", "energy-prior"}, Seed: 5}
	want := "\nNote: a sequential Monte Carlo p-value (Besag and Clifford, 1991) draws replicates of its statistic under the null until 10 are at least as large as the observed statistic, so a test that stopped after L replicates has p = 10/L. A test that drew all n replicates, g of them that large, has p = (g + 1)/(n + 1), as a fixed count of n would give.\n"
	text := func(opts ReportOptions) string {
		t.Helper()
		r, err := BuildReport(m, opts)
		require.NoError(t, err)
		var b strings.Builder
		require.NoError(t, r.WriteText(&b))
		return b.String()
	}
	assert.Contains(t, text(opts), want)

	opts.StopAfter = 4
	assert.Contains(t, text(opts), "until 4 are at least as large as the observed statistic, so a test that stopped after L replicates has p = 4/L.")

	opts.StopAfter, opts.Replicates = 0, 19
	assert.NotContains(t, text(opts), "sequential Monte Carlo p-value")

	opts.Replicates, opts.Tests = 0, []string{"ks-prior"}
	assert.NotContains(t, text(opts), "sequential Monte Carlo p-value")
}

// nidim test --alpha 1e-20 hung: k/alpha overflowed int, so the search
// for the least count started at 0 and went on for 5e20 steps. Past
// 2^53 the count now saturates, and below it stays the least one.
func TestHolmReplicatesTinyAlpha(t *testing.T) {
	for _, alpha := range []float64{1e-20, 1e-300, 5e-16} {
		if got := holmReplicates(5, alpha); got != MaxHolmReplicates {
			t.Errorf("holmReplicates(5, %g) = %d, want %d", alpha, got, MaxHolmReplicates)
		}
	}
	for _, alpha := range []float64{1e-9, 1e-12, 1e-15} {
		b := holmReplicates(5, alpha)
		if 5*(1/float64(b+1)) > alpha || alpha*float64(b+1) < 5 {
			t.Errorf("holmReplicates(5, %g) = %d is too small", alpha, b)
		}
		if b >= int(6/alpha) {
			t.Errorf("holmReplicates(5, %g) = %d, want about %g", alpha, b, 5/alpha)
		}
	}

	r, err := BuildReport(normalMatrix(50, 2, 3), ReportOptions{Alpha: 1e-300, Tests: []string{"ks-prior", "energy-prior"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reject {
		t.Errorf("N(0, I) rejected at alpha 1e-300: %+v", r.Tests)
	}
	// The note advised --max-replicates 9007199254740992, the saturated
	// count, which lets Holm reject on nothing at this alpha.
	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	assert.Contains(t, strings.Join(strings.Fields(text.String()), " "), "so Holm over 3 tests cannot reject on them even when every other test rejects; "+
		"read them on their own, because no count of replicates that could be drawn lets Holm reject on them alone at alpha 1e-300.")
	assert.NotContains(t, text.String(), "9007199254740992")
}

// HolmReplicates gives nidim test the count that its limit on
// --max-replicates must never fall below.
func TestHolmReplicatesFamily(t *testing.T) {
	for _, c := range []struct {
		opts               ReportOptions
		d                  int
		replicates, family int
	}{
		// 11 per-component tests on 16 columns and 8 multivariate ones.
		{ReportOptions{}, 16, 18399, 184},
		{ReportOptions{Alpha: 0.05}, 16, 3679, 184},
		// 3 per-component tests, energy-prior on each of 4 columns and on
		// all, and sphericity; the grid test is skipped without Eps.
		{ReportOptions{Prior: "uniform"}, 4, 1799, 18},
		{ReportOptions{Prior: "uniform", Eps: 0.1}, 4, 2199, 22},
		{ReportOptions{Tests: []string{"energy"}}, 16, 99, 1},
	} {
		replicates, family, err := HolmReplicates(c.opts, c.d)
		if err != nil {
			t.Fatalf("%+v: %v", c.opts, err)
		}
		if replicates != c.replicates || family != c.family {
			t.Errorf("%+v, d = %d: got %d replicates for %d p-values, want %d for %d", c.opts, c.d, replicates, family, c.replicates, c.family)
		}
	}
	if _, _, err := HolmReplicates(ReportOptions{Prior: "cauchy"}, 2); err == nil {
		t.Error("unknown prior: no error")
	}
}

// nidim test rejects a --max-replicates above h K/alpha because a larger
// maximum changes no rejection: a sequential p-value with maximum n is at
// most a >= h/n exactly when its h-th exceedance comes at h/a or later.
// The rejections at Holm's thresholds alpha/K .. alpha must therefore be
// the same at n = h K/alpha and at three times that, on every sample.
func TestSequentialRejectionsStopChangingPastHolmLimit(t *testing.T) {
	const k, alpha = 3, 0.01
	need := holmReplicates(k, alpha)
	limit := DefaultStopAfter * (need + 1)
	rejected, accepted := 0, 0
	for i := range 30 {
		m := normalMatrix(20, 2, uint64(100+i))
		shift := 0.03 * float64(i)
		for j := range m.Data {
			m.Data[j] += shift
		}
		seq := MonteCarlo{StopAfter: DefaultStopAfter, Replicates: limit, Seed: 5, Workers: 2}
		at, err := EnergyPrior(m, "gaussian", seq)
		require.NoError(t, err)
		seq.Replicates = 3 * limit
		beyond, err := EnergyPrior(m, "gaussian", seq)
		require.NoError(t, err)
		for rank := 1; rank <= k; rank++ {
			threshold := alpha / float64(k-rank+1)
			assert.Equal(t, at.PValue <= threshold, beyond.PValue <= threshold,
				"shift %g, threshold %g: p %g with at most %d replicates, %g with %d", shift, threshold, at.PValue, limit, beyond.PValue, 3*limit)
			if at.PValue <= threshold {
				rejected++
			} else {
				accepted++
			}
		}
	}
	// Both outcomes occur, so the comparison covers each of them.
	assert.Positive(t, rejected)
	assert.Positive(t, accepted)
}

// A fixed count was drawn as one block whose slice held a value per
// replicate, so Replicates 1e11 asked for 800 GB and the program died.
// The blocks now hold at most maxBlock values, and scan still reads
// every replicate once, in order.
func TestDrawReplicatesBoundsFixedBlocks(t *testing.T) {
	reps := 2*maxBlock + 3
	var firsts, sizes []int
	next := 0
	drawReplicates(reps, 0, 1, 1, 2, nil, func(r int, _ Matrix) float64 { return float64(r) }, func(first int, values []float64) bool {
		firsts, sizes = append(firsts, first), append(sizes, len(values))
		for i, v := range values {
			if v != float64(next) {
				t.Fatalf("value %d of the block at %d is %v, want %d", i, first, v, next)
			}
			next++
		}
		return false
	})
	if want := []int{0, maxBlock, 2 * maxBlock}; !slices.Equal(firsts, want) {
		t.Errorf("blocks start at %v, want %v", firsts, want)
	}
	if want := []int{maxBlock, maxBlock, 3}; !slices.Equal(sizes, want) {
		t.Errorf("block sizes %v, want %v", sizes, want)
	}
	if next != reps {
		t.Errorf("scan read %d replicates, want %d", next, reps)
	}
}

// A sequential p-value grew each block to a quarter of the replicates
// drawn so far, so a test that rejects with --alpha 1e-12 and
// --max-replicates 1e12 allocated 8 bytes for a quarter of all its
// replicates at once: 800 MB per block after 400 million. The growth now
// stops at maxBlock, for sequential p-values and for a fixed count drawn
// with a progress function.
func TestDrawReplicatesBoundsGrownBlocks(t *testing.T) {
	reps := 6*maxBlock + 5
	for _, c := range []struct {
		h        int
		progress func(int)
	}{{DefaultStopAfter, nil}, {0, func(int) {}}} {
		largest, next := 0, 0
		drawReplicates(reps, c.h, 1, 1, 2, c.progress, func(r int, _ Matrix) float64 { return float64(r) }, func(first int, values []float64) bool {
			largest = max(largest, len(values))
			for i, v := range values {
				if v != float64(next) {
					t.Fatalf("value %d of the block at %d is %v, want %d", i, first, v, next)
				}
				next++
			}
			return false
		})
		assert.Equal(t, maxBlock, largest, "largest block, h = %d", c.h)
		assert.Equal(t, reps, next, "replicates read, h = %d", c.h)
	}
}
