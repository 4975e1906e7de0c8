package stats

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// checkSample validates a univariate sample for the test named test: every
// value must be finite, the size must lie in [minN, maxN] (maxN <= 0 means no
// upper limit), and the values must not all be equal. The errors name the
// offending value and the fix.
func checkSample(x []float64, minN, maxN int, test string) error {
	if err := checkSampleAllowConstant(x, minN, maxN, test); err != nil {
		return err
	}
	for _, v := range x[1:] {
		if v != x[0] {
			return nil
		}
	}
	return fmt.Errorf("stats: %s: all %d values are equal (%v): the test needs spread", test, len(x), x[0])
}

// checkSampleAllowConstant is checkSample without the spread check, for
// tests against a fully specified distribution. Constant data is a valid
// sample for them, one they reject once n is more than a handful, so a
// collapsed embedding component fails instead of dropping out of the report.
func checkSampleAllowConstant(x []float64, minN, maxN int, test string) error {
	n := len(x)
	switch {
	case maxN > 0 && n < minN:
		return tooFewRows(minN, n, "stats: %s: need %d to %d values, got %d", test, minN, maxN, n)
	case maxN > 0 && n > maxN:
		return fmt.Errorf("stats: %s: need %d to %d values, got %d", test, minN, maxN, n)
	case n < minN:
		return tooFewRows(minN, n, "stats: %s: need at least %d values, got %d", test, minN, n)
	}
	for i, v := range x {
		if math.IsNaN(v) {
			return fmt.Errorf("stats: %s: value NaN at index %d: remove or impute missing values first", test, i)
		}
		if math.IsInf(v, 0) {
			return fmt.Errorf("stats: %s: value %v at index %d: remove or clip infinite values first", test, v, i)
		}
	}
	return nil
}

// sortedCopy returns x sorted in increasing order, leaving x unchanged. x
// must not contain NaN. Below 512 values it uses slices.Sort; above, an LSD
// radix sort on the order-preserving integer image of the floats, which
// takes 6 linear passes instead of about n log2(n) unpredictable
// comparisons and is what lets ShapiroWilk at n = 5000 keep up with scipy.
func sortedCopy(x []float64) []float64 {
	if len(x) < 512 {
		s := slices.Clone(x)
		slices.Sort(s)
		return s
	}
	return radixSortFloats(x)
}

// radixScratch recycles the key buffers of radixSortFloats, which would
// otherwise allocate 16 bytes per value on every call.
var radixScratch = sync.Pool{New: func() any { return new([]uint64) }}

// radixSortFloats returns a sorted copy of x (no NaN) by a least significant
// digit radix sort with 11-bit digits (6 passes). A float's bits map to a
// uint64 in the same order by flipping every bit of a negative value and
// only the sign bit of a positive one, so -0 sorts just below +0.
func radixSortFloats(x []float64) []float64 {
	const (
		bits   = 11
		passes = 6 // 6 * 11 >= 64
		size   = 1 << bits
		mask   = size - 1
	)
	n := len(x)
	scratch := radixScratch.Get().(*[]uint64)
	defer radixScratch.Put(scratch)
	if cap(*scratch) < 2*n {
		*scratch = make([]uint64, 2*n)
	}
	keys := (*scratch)[:2*n]
	src, dst := keys[:n], keys[n:]
	var counts [passes][size]int
	for i, v := range x {
		k := math.Float64bits(v)
		if k>>63 == 1 {
			k = ^k
		} else {
			k |= 1 << 63
		}
		src[i] = k
		for d := range passes {
			counts[d][(k>>(bits*d))&mask]++
		}
	}
	for d := range passes {
		c := &counts[d]
		shift := bits * d
		if c[(src[0]>>shift)&mask] == n {
			continue // every key has the same digit: the pass would not move anything
		}
		sum := 0
		for i := range c {
			c[i], sum = sum, sum+c[i]
		}
		for _, k := range src {
			digit := (k >> shift) & mask
			dst[c[digit]] = k
			c[digit]++
		}
		src, dst = dst, src
	}
	out := make([]float64, n)
	for i, k := range src {
		if k>>63 == 1 {
			k &^= 1 << 63
		} else {
			k = ^k
		}
		out[i] = math.Float64frombits(k)
	}
	return out
}

// unitScale returns the power of two 2^-e that brings the largest |x_i| into
// [0.5, 1). The location-scale invariant tests multiply by it, which is
// exact, so that squares and fourth powers of data near 1e-300 or 1e300
// neither underflow nor overflow.
func unitScale(x []float64) float64 {
	var maxAbs float64
	for _, v := range x {
		maxAbs = max(maxAbs, math.Abs(v))
	}
	if maxAbs == 0 {
		return 1
	}
	_, e := math.Frexp(maxAbs)
	return math.Ldexp(1, -e)
}

// scaleInPlace multiplies every element of s by f.
func scaleInPlace(s []float64, f float64) {
	for i := range s {
		s[i] *= f
	}
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

// rowCountError is the error of a test that got fewer rows, or values of a
// column, than it needs. The report reads need to state how many rows would
// let the test run.
type rowCountError struct {
	msg       string
	need, got int
}

func (e *rowCountError) Error() string { return e.msg }

// tooFewRows returns a rowCountError for a test that needs need rows and
// got got, with the message of format and args.
func tooFewRows(need, got int, format string, args ...any) error {
	return &rowCountError{msg: fmt.Sprintf(format, args...), need: need, got: got}
}
