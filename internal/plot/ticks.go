package plot

import (
	"math"
	"strconv"
	"strings"
)

// axisScale maps data values in [lo, hi] to pixels in [p0, p1]. For a y
// axis p0 is the bottom pixel, which is the larger one.
type axisScale struct {
	lo, hi float64
	p0, p1 float64
}

// pixel returns the pixel of v. Values far off the axis are clamped to
// pixelReach px beyond it, so that a curve that leaves the axes still has
// finite coordinates. The clip path hides that part.
func (s axisScale) pixel(v float64) float64 {
	p := s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
	lo, hi := math.Min(s.p0, s.p1)-pixelReach, math.Max(s.p0, s.p1)+pixelReach
	return math.Min(math.Max(p, lo), hi)
}

const pixelReach = 1000

// minSpan is the smallest axis span; narrower data ranges are widened,
// because their tick steps would underflow.
const minSpan = 1e-200

// viewRange returns the axis range for data spanning [lo, hi], both of
// magnitude at most maxMagnitude: the span widened by margin (a fraction of
// it) on each side. A span that is empty, below minSpan, or negligible
// against the values becomes an interval around its centre of half-width
// a tenth of its magnitude, or 1 around 0, so that a constant sample still
// gets readable ticks, and a single accuracy of 0.45 an axis from 0.405 to
// 0.495 rather than one with negative accuracies.
func viewRange(lo, hi, margin float64) (float64, float64) {
	scale := math.Max(math.Abs(lo), math.Abs(hi))
	if hi-lo <= 1e-9*scale || hi-lo < minSpan {
		half := scale * 0.1
		if half < minSpan {
			half = 1
		}
		mid := lo/2 + hi/2
		return mid - half, mid + half
	}
	pad := (hi - lo) * margin
	return lo - pad, hi + pad
}

// tickStep returns the tick spacing for [lo, hi]: the smallest of 1, 2 and
// 5 times a power of ten that puts at most maxTicks ticks in the range.
// When that step leaves fewer than two ticks, it returns the next smaller
// step.
func tickStep(lo, hi float64, maxTicks int) float64 {
	maxTicks = min(max(maxTicks, 2), maxTickCount)
	raw := (hi - lo) / float64(maxTicks-1)
	exp := math.Floor(math.Log10(raw))
	// Candidates in increasing order, from one decade below raw up.
	var candidates []float64
	for e := exp - 1; e <= exp+1; e++ {
		p := math.Pow(10, e)
		candidates = append(candidates, p, 2*p, 5*p)
	}
	prev := candidates[0]
	for _, step := range candidates {
		if countTicks(lo, hi, step) <= maxTicks {
			if countTicks(lo, hi, step) < 2 {
				return prev
			}
			return step
		}
		prev = step
	}
	return candidates[len(candidates)-1]
}

// maxTickCount caps the ticks of an axis, so that no range, however it
// was computed, makes an unbounded loop.
const maxTickCount = 100

// countTicks returns the number of multiples of step in [lo, hi], or
// maxTickCount+1 when there are more or step is not positive.
func countTicks(lo, hi, step float64) int {
	first := math.Ceil(lo/step - 1e-9)
	last := math.Floor(hi/step + 1e-9)
	n := last - first + 1
	if !(step > 0) || !(n <= maxTickCount) {
		return maxTickCount + 1
	}
	return int(max(n, 0))
}

// ticksAt returns the multiples of step in [lo, hi], or none when there
// would be more than maxTickCount.
func ticksAt(lo, hi, step float64) []float64 {
	if countTicks(lo, hi, step) > maxTickCount {
		return nil
	}
	first := math.Ceil(lo/step - 1e-9)
	last := math.Floor(hi/step + 1e-9)
	var ticks []float64
	for k := first; k <= last; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, v)
	}
	return ticks
}

// tickLabels formats ticks spaced step apart with as many decimals as the
// step needs, so that neighbouring labels differ. Values of magnitude 1e5
// or more, or steps below 1e-3, use exponent notation such as 2.5e-4.
func tickLabels(ticks []float64, step float64) []string {
	maxAbs := 0.0
	for _, v := range ticks {
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	stepExp := int(math.Floor(math.Log10(step) + 1e-9))
	labels := make([]string, len(ticks))
	if maxAbs >= 1e5 || stepExp < -3 {
		digits := 1
		if maxAbs > 0 {
			digits = int(math.Floor(math.Log10(maxAbs)+1e-9)) - stepExp + 1
		}
		digits = min(max(digits, 1), 15)
		for i, v := range ticks {
			labels[i] = compactExponent(strconv.FormatFloat(v, 'e', digits-1, 64))
		}
		return labels
	}
	decimals := max(0, -stepExp)
	for i, v := range ticks {
		labels[i] = strconv.FormatFloat(v, 'f', decimals, 64)
	}
	return labels
}

// compactExponent turns "2.50e-04" into "2.5e-4" and "1e+06" into "1e6".
func compactExponent(s string) string {
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		return mant
	}
	return mant + "e" + sign + exp
}

// formatValue formats v with about four significant digits, for notes and
// legends.
func formatValue(v float64) string {
	return compactExponent(strconv.FormatFloat(v, 'g', 4, 64))
}
