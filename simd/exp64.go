package simd

import "math"

// ExpSum's exponential reduces v to r = v - k ln 2 with |r| <= ln(2)/2,
// takes e^r from its Taylor polynomial of degree 13 by Horner's rule with
// fused multiply-adds, and multiplies by 2^k built from the exponent bits.
// The truncation error is below 2^-57, and TestExpSumAccuracy finds the
// results within one unit in the last place of math.Exp. Every level runs
// the same operations in the same order, and the generic code uses
// math.FMA where the assembly fuses, so each level returns the same bits.
const (
	expLog2e = 1 / math.Ln2
	// expShifter is 1.5 * 2^52 + 1023. v/ln 2 + expShifter rounds v/ln 2
	// to the nearest integer k, which lands in the low mantissa bits as
	// k + 1023, the biased exponent of 2^k.
	expShifter = 0x1.8p52 + 1023
	// ln 2 = expLn2Hi + expLn2Lo to about 2^-107.
	expLn2Hi = math.Ln2
	expLn2Lo = 2.3190468138462996e-17
	// Outside [expLo, expHi] the exponent of 2^k does not fit: results
	// below are 0 and above +Inf. e^-708 is about 3e-308, near the
	// smallest normal float64, and e^709 about 8e307.
	expLo = -708
	expHi = 709
)

// expCoef holds 1/n! for n = 0 to 13.
var expCoef = [14]float64{1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
	1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800}

// exp64 returns e^v as every level's ExpSum computes it: 0 below expLo,
// +Inf above expHi, NaN for NaN.
func exp64(v float64) float64 {
	if v < expLo {
		return 0
	}
	if v > expHi {
		return math.Inf(1)
	}
	t := math.FMA(v, expLog2e, expShifter)
	k := t - expShifter
	r := math.FMA(-k, expLn2Hi, v)
	r = math.FMA(-k, expLn2Lo, r)
	p := expCoef[13]
	for n := 12; n >= 0; n-- {
		p = math.FMA(p, r, expCoef[n])
	}
	return p * math.Float64frombits(math.Float64bits(t)<<52)
}

// expSumLanes is the number of partial sums of ExpSum: element i is added
// to sum i mod 8, in the order of i, and the sums are combined by
// reduceLanes. AVX-512 holds them in one register, AVX2 in two and NEON in
// four.
const expSumLanes = 8

func expSumGeneric(dst, x []float64, shift float64) float64 {
	var acc [expSumLanes]float64
	expSumFrom(dst, x, shift, 0, &acc)
	return reduceLanes(&acc)
}

// expSumFrom runs ExpSum on the elements from i on, with i a multiple of 8,
// adding to the partial sums in acc.
func expSumFrom(dst, x []float64, shift float64, i int, acc *[expSumLanes]float64) {
	x = x[:len(dst)]
	for ; i < len(dst); i++ {
		e := exp64(x[i] - shift)
		dst[i] = e
		acc[i%expSumLanes] += e
	}
}

// reduceLanes adds the partial sums pairwise, in the order in which the
// halves of a vector register fold onto each other.
func reduceLanes(a *[expSumLanes]float64) float64 {
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

// expSumBlocks adapts an assembly kernel that handles whole blocks of 8
// elements and stores its partial sums in acc. The Go code runs the last
// 0 to 7 elements and the reduction, so every level ends the same way.
func expSumBlocks(blocks func(dst, x []float64, shift float64, acc *[expSumLanes]float64)) func(dst, x []float64, shift float64) float64 {
	return func(dst, x []float64, shift float64) float64 {
		x = x[:len(dst)]
		var acc [expSumLanes]float64
		n := len(dst) &^ (expSumLanes - 1)
		if n > 0 {
			blocks(dst[:n], x[:n], shift, &acc)
		}
		expSumFrom(dst, x, shift, n, &acc)
		return reduceLanes(&acc)
	}
}
