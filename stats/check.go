package stats

import (
	"fmt"
	"math"
	"slices"
)

// checkSample validates a univariate sample for the test named test: every
// value must be finite, the size must lie in [minN, maxN] (maxN <= 0 means no
// upper limit), and the values must not all be equal. The errors name the
// offending value and say what to do.
func checkSample(x []float64, minN, maxN int, test string) error {
	n := len(x)
	if maxN > 0 && (n < minN || n > maxN) {
		return fmt.Errorf("stats: %s: need %d to %d values, got %d", test, minN, maxN, n)
	}
	if n < minN {
		return fmt.Errorf("stats: %s: need at least %d values, got %d", test, minN, n)
	}
	for i, v := range x {
		if math.IsNaN(v) {
			return fmt.Errorf("stats: %s: value NaN at index %d: remove or impute missing values first", test, i)
		}
		if math.IsInf(v, 0) {
			return fmt.Errorf("stats: %s: value %v at index %d: remove or clip infinite values first", test, v, i)
		}
	}
	for _, v := range x[1:] {
		if v != x[0] {
			return nil
		}
	}
	return fmt.Errorf("stats: %s: all %d values are equal (%v): the test needs spread", test, n, x[0])
}

// sortedCopy returns x sorted in increasing order, leaving x unchanged.
func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// meanSD returns the mean and the standard deviation with divisor n-1,
// computed in two passes in float64.
func meanSD(x []float64) (mean, sd float64) {
	var sum float64
	for _, v := range x {
		sum += v
	}
	mean = sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// clampProbability limits a p-value computed from an approximation to
// [0, 1]. NaN is passed through so that callers' checks still see it.
func clampProbability(p float64) float64 {
	switch {
	case p < 0:
		return 0
	case p > 1:
		return 1
	}
	return p
}
