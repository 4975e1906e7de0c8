package stats

import (
	"math"
	"sort"
)

// Multiple-testing corrections. Each function returns adjusted p-values in
// the order of its input, capped at 1, as R's p.adjust (R 4.2) defines them.
// The input is not modified. A NaN p-value is left out of the family: it
// stays NaN in the output and does not count towards the number of tests,
// which is what p.adjust does with NA.

// Bonferroni returns min(1, m·p_i), where m is the number of non-NaN
// p-values. It controls the family-wise error rate under any dependence.
func Bonferroni(p []float64) []float64 {
	out := make([]float64, len(p))
	m := float64(countFinite(p))
	for i, v := range p {
		out[i] = math.Min(1, m*v)
	}
	return out
}

// Holm returns Holm's (1979) step-down adjusted p-values: with the m
// non-NaN p-values sorted ascending as p_(1) <= ... <= p_(m), the adjusted
// value of p_(k) is max over j <= k of min(1, (m - j + 1)·p_(j)). It
// controls the family-wise error rate under any dependence and is never
// larger than Bonferroni's.
func Holm(p []float64) []float64 {
	out, order := nanOut(p)
	m := len(order)
	running := 0.0
	for k, idx := range order {
		running = math.Max(running, math.Min(1, float64(m-k)*p[idx]))
		out[idx] = running
	}
	return out
}

// BenjaminiHochberg returns the Benjamini-Hochberg (1995) step-up adjusted
// p-values: the adjusted value of p_(k) is min over j >= k of
// min(1, m·p_(j)/j). It controls the false discovery rate for independent
// or positively dependent tests.
func BenjaminiHochberg(p []float64) []float64 {
	out, order := nanOut(p)
	m := len(order)
	running := 1.0
	for k := m - 1; k >= 0; k-- {
		idx := order[k]
		running = math.Min(running, float64(m)*p[idx]/float64(k+1))
		out[idx] = running
	}
	return out
}

func countFinite(p []float64) int {
	m := 0
	for _, v := range p {
		if !math.IsNaN(v) {
			m++
		}
	}
	return m
}

// nanOut returns an output slice with NaN where p is NaN, and the indices
// of the other entries sorted by ascending p (ties keep input order).
func nanOut(p []float64) ([]float64, []int) {
	out := make([]float64, len(p))
	order := make([]int, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			out[i] = math.NaN()
			continue
		}
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	return out, order
}
