package stats

import (
	"math"
	"testing"
)

// Expected values computed by hand from the definitions; R 4.2's
// p.adjust(p, method) returns the same numbers.
func TestPAdjust(t *testing.T) {
	p := []float64{0.01, 0.04, 0.03, 0.005, 0.5}
	cases := []struct {
		name string
		fn   func([]float64) []float64
		want []float64
	}{
		// m = 5: 5p capped at 1.
		{"bonferroni", Bonferroni, []float64{0.05, 0.2, 0.15, 0.025, 1}},
		// Sorted: 0.005·5, 0.01·4, 0.03·3, 0.04·2, 0.5·1 = 0.025, 0.04,
		// 0.09, 0.08 -> 0.09 (running max), 0.5.
		{"holm", Holm, []float64{0.04, 0.09, 0.09, 0.025, 0.5}},
		// Sorted: 0.005·5/1, 0.01·5/2, 0.03·5/3, 0.04·5/4, 0.5·5/5 = 0.025,
		// 0.025, 0.05, 0.05, 0.5; running min from the top changes nothing.
		{"bh", BenjaminiHochberg, []float64{0.025, 0.05, 0.05, 0.025, 0.5}},
	}
	for _, c := range cases {
		got := c.fn(p)
		for i := range p {
			checkClose(t, c.name, got[i], c.want[i], 1e-15, 0)
		}
	}
	if p[0] != 0.01 || p[4] != 0.5 {
		t.Errorf("input modified: %v", p)
	}
}

func TestPAdjustMonotoneCapped(t *testing.T) {
	// BH sorted: 0.001·4/1, 0.02·4/2, 0.025·4/3, 0.03·4/4 = 0.004, 0.04,
	// 0.0333, 0.03; the running minimum from the top makes the last three
	// 0.03.
	p := []float64{0.001, 0.025, 0.02, 0.03}
	bh := BenjaminiHochberg(p)
	want := []float64{0.004, 0.03, 0.03, 0.03}
	for i := range p {
		checkClose(t, "bh", bh[i], want[i], 1e-15, 0)
	}
	big := []float64{0.9, 0.6, 0.7}
	for _, fn := range []func([]float64) []float64{Bonferroni, Holm, BenjaminiHochberg} {
		for i, v := range fn(big) {
			if v > 1 || v < big[i] {
				t.Errorf("adjusted %v of %v outside [p, 1]", v, big[i])
			}
		}
	}
	// Holm: 0.6·3 = 1.8 -> 1, then max keeps 1 for the larger ones.
	for _, v := range Holm(big) {
		checkClose(t, "holm capped", v, 1, 0, 0)
	}
}

func TestPAdjustNaNLeftOut(t *testing.T) {
	p := []float64{0.01, math.NaN(), 0.02}
	h := Holm(p)
	if !math.IsNaN(h[1]) {
		t.Errorf("NaN p adjusted to %v", h[1])
	}
	// m = 2, not 3.
	checkClose(t, "holm", h[0], 0.02, 1e-15, 0)
	checkClose(t, "holm", h[2], 0.02, 1e-15, 0)
	b := Bonferroni(p)
	checkClose(t, "bonferroni", b[2], 0.04, 1e-15, 0)
	if len(Holm(nil)) != 0 || len(BenjaminiHochberg(nil)) != 0 {
		t.Error("empty input gives non-empty output")
	}
}
