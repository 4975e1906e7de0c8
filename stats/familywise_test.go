package stats

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestFamilyWiseErrorRate measures how often the default gaussian battery
// rejects N(0, I) samples at alpha 0.01, which Holm's adjustment keeps at
// or below 1 % when every p-value is valid. It takes minutes, so it runs
// only with NIDIM_CALIBRATION=1:
//
//	NIDIM_CALIBRATION=1 go test -run TestFamilyWiseErrorRate -v -timeout 2h ./stats
//
// Each case prints the rejection rate with its binomial standard error and
// the test behind each rejection (the entry with the smallest adjusted
// p-value). docs/calibration.md records a run.
func TestFamilyWiseErrorRate(t *testing.T) {
	if os.Getenv("NIDIM_CALIBRATION") != "1" {
		t.Skip("set NIDIM_CALIBRATION=1 to measure the battery's family-wise error rate")
	}
	cases := []struct{ n, d, samples int }{
		{50, 4, 3000},
		{200, 4, 3000},
		{1000, 4, 1000},
		{200, 16, 1000},
	}
	for _, c := range cases {
		rejected := 0
		worst := map[string]int{}
		for s := range c.samples {
			m := normalMatrix(c.n, c.d, uint64(700000+s))
			r, err := BuildReport(m, ReportOptions{Seed: uint64(s)})
			if err != nil {
				t.Fatal(err)
			}
			if r.Reject {
				rejected++
				worst[r.Tests[r.Worst].Name]++
			}
		}
		rate := float64(rejected) / float64(c.samples)
		var by []string
		for _, name := range slices.Sorted(maps.Keys(worst)) {
			by = append(by, fmt.Sprintf("%s %d", name, worst[name]))
		}
		t.Logf("n = %d, d = %d: %d of %d samples rejected, %.4f (standard error %.4f); by test: %s",
			c.n, c.d, rejected, c.samples, rate, binomialSE(0.01, c.samples), strings.Join(by, ", "))
		if rate > 0.01+4*binomialSE(0.01, c.samples) {
			t.Errorf("n = %d, d = %d: the battery rejected %.4f of null samples at alpha 0.01", c.n, c.d, rate)
		}
	}
}

// binomialSE returns the standard error of a rate p estimated from n draws.
func binomialSE(p float64, n int) float64 {
	return math.Sqrt(p * (1 - p) / float64(n))
}
