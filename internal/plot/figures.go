package plot

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// ScatterOptions sets how Scatter thins and names the points.
type ScatterOptions struct {
	// MaxPoints caps the number of points drawn; 0 draws all. Above the
	// cap a random subsample drawn with Seed is shown, and a note in the
	// subtitle reports it.
	MaxPoints int
	Seed      uint64
	// ClassNames names legend entries by label value; a label without a
	// name is shown as its number.
	ClassNames map[int]string
}

// maxLegendClasses is the number of classes listed in a scatter legend;
// further classes are summarized in one entry.
const maxLegendClasses = 20

// Scatter returns a scatter plot of the points (x[i], y[i]), coloured by
// labels[i] when labels is not nil, with one legend entry per label. The
// distinct labels, in increasing order, take the colours of Palette in
// turn. Points are drawn in a random order fixed by opt.Seed, so that no
// class is always painted over the others.
func Scatter(x, y []float64, labels []int, opt ScatterOptions) (*Chart, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("plot: scatter has %d x values but %d y values; pass one of each per point", len(x), len(y))
	}
	if labels != nil && len(labels) != len(x) {
		return nil, fmt.Errorf("plot: scatter has %d points but %d labels; pass one label per point", len(x), len(labels))
	}
	if len(x) == 0 {
		return nil, errors.New("plot: scatter has no points")
	}
	if opt.MaxPoints < 0 {
		return nil, fmt.Errorf("plot: invalid MaxPoints %d; use 0 for all points or a positive cap", opt.MaxPoints)
	}

	keep := make([]int, 0, len(x))
	for i := range x {
		if finite(x[i]) && finite(y[i]) {
			keep = append(keep, i)
		}
	}
	c := &Chart{skipped: len(x) - len(keep)}
	if len(keep) == 0 {
		return nil, fmt.Errorf("plot: all %d scatter points have a NaN or infinite coordinate", len(x))
	}

	// A seeded shuffle gives both the drawing order and, by its prefix,
	// the subsample.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5ca7))
	rng.Shuffle(len(keep), func(i, j int) { keep[i], keep[j] = keep[j], keep[i] })
	finiteCount := len(keep)
	if opt.MaxPoints > 0 && len(keep) > opt.MaxPoints {
		keep = keep[:opt.MaxPoints]
		c.AddNote(fmt.Sprintf("%d of %d points shown, a random subsample (seed %d)", len(keep), finiteCount, opt.Seed))
	}

	layer := &pointsLayer{x: make([]float64, len(keep)), y: make([]float64, len(keep)), color: Palette[0], radius: 1.8, alpha: 0.8}
	for k, i := range keep {
		layer.x[k], layer.y[k] = x[i], y[i]
	}
	if labels != nil {
		classes := distinct(labels, keep)
		index := make(map[int]int, len(classes))
		for k, v := range classes {
			index[v] = k
		}
		layer.class = make([]int, len(keep))
		for k, i := range keep {
			layer.class[k] = index[labels[i]]
		}
		for k, v := range classes {
			if k == maxLegendClasses {
				c.legend = append(c.legend, legendEntry{label: fmt.Sprintf("and %d more", len(classes)-k), kind: legendPoint, color: "#ffffff"})
				break
			}
			name, ok := opt.ClassNames[v]
			if !ok {
				name = strconv.Itoa(v)
			}
			c.legend = append(c.legend, legendEntry{label: name, kind: legendPoint, color: paletteColor(k)})
		}
		if len(classes) > len(Palette) {
			c.AddNote(fmt.Sprintf("%d classes share %d colours", len(classes), len(Palette)))
		}
		c.LegendTitle = "label"
	}
	c.layers = append(c.layers, layer)
	c.noteSkipped("point with a NaN or infinite coordinate", "points with a NaN or infinite coordinate")
	return c, nil
}

// distinct returns the sorted distinct values of labels at the indices.
func distinct(labels []int, indices []int) []int {
	seen := make(map[int]bool)
	var out []int
	for _, i := range indices {
		if !seen[labels[i]] {
			seen[labels[i]] = true
			out = append(out, labels[i])
		}
	}
	slices.Sort(out)
	return out
}

// noteSkipped adds a note with the skipped count, if any: one and many
// are the singular and plural phrases for what was skipped.
func (c *Chart) noteSkipped(one, many string) {
	switch {
	case c.skipped == 1:
		c.AddNote("1 " + one + " skipped")
	case c.skipped > 1:
		c.AddNote(fmt.Sprintf("%d %s skipped", c.skipped, many))
	}
}

// finiteValues returns the finite values of v and the number left out.
func finiteValues(v []float64) ([]float64, int) {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if finite(x) {
			out = append(out, x)
		}
	}
	return out, len(v) - len(out)
}

// QQOptions sets the labels and thinning of a Q-Q plot.
type QQOptions struct {
	// PriorName names the reference distribution on the x axis, such as
	// "N(0, 1)".
	PriorName string
	// MaxPoints caps the order statistics drawn (default 400). Above the
	// cap, evenly spaced ones are drawn, always including the minimum and
	// the maximum.
	MaxPoints int
}

// DefaultQQPoints is the default cap on the points of a Q-Q plot.
const DefaultQQPoints = 400

// QQ returns a Q-Q plot of sample against the distribution with quantile
// function quantile: the i-th smallest of n values (i from 1) is plotted
// against quantile((i - 0.5)/n), with the reference line y = x. Both axes
// share one range, so a sample from the distribution lies along the line.
func QQ(sample []float64, quantile func(p float64) float64, opt QQOptions) (*Chart, error) {
	if quantile == nil {
		return nil, errors.New("plot: Q-Q plot needs a quantile function")
	}
	if len(sample) == 0 {
		return nil, errors.New("plot: Q-Q plot has an empty sample")
	}
	if opt.MaxPoints < 0 {
		return nil, fmt.Errorf("plot: invalid MaxPoints %d; use 0 for the default or a positive cap", opt.MaxPoints)
	}
	maxPoints := opt.MaxPoints
	if maxPoints == 0 {
		maxPoints = DefaultQQPoints
	}
	values, skipped := finiteValues(sample)
	if len(values) == 0 {
		return nil, fmt.Errorf("plot: all %d values of the Q-Q sample are NaN or infinite", len(sample))
	}
	slices.Sort(values)
	n := len(values)

	m := min(n, maxPoints)
	layer := &pointsLayer{x: make([]float64, m), y: make([]float64, m), color: Palette[0], radius: 2, alpha: 0.8}
	for k := range m {
		i := k // with m == n every order statistic is drawn
		if m < n {
			if m == 1 {
				i = n / 2
			} else {
				i = int(math.Round(float64(k) * float64(n-1) / float64(m-1)))
			}
		}
		p := (float64(i) + 0.5) / float64(n)
		q := quantile(p)
		if !finite(q) {
			return nil, fmt.Errorf("plot: the quantile function returned %v at p = %v; pass a quantile function that is finite on (0, 1)", q, p)
		}
		layer.x[k], layer.y[k] = q, values[i]
	}

	c := &Chart{skipped: skipped, equalRanges: true, YLabel: "sample quantile", XLabel: "theoretical quantile", Width: 600, Height: 560}
	if opt.PriorName != "" {
		c.XLabel = opt.PriorName + " quantile"
	}
	c.layers = append(c.layers, diagonalLayer{}, layer)
	if m < n {
		c.AddNote(fmt.Sprintf("%d of %d quantiles shown", m, n))
	}
	c.noteSkipped("NaN or infinite value", "NaN or infinite values")
	return c, nil
}

// HistogramOptions sets the bins and the density curve of a histogram.
type HistogramOptions struct {
	// Bins is the number of bins; 0 chooses it by the Freedman-Diaconis
	// rule, between 5 and 100.
	Bins int
	// PriorName names the density in the legend, such as "N(0, 1)".
	PriorName string
	// PriorRange, when its ends differ, is a range the x axis must
	// include, such as the support of a uniform prior, so that the density
	// curve shows where the prior lives even when the sample does not.
	PriorRange [2]float64
}

// MaxBins is the largest number of histogram bins.
const MaxBins = 1000

// Histogram returns a histogram of the counts of sample in equal-width
// bins over its range. When pdf is not nil, the density curve
// n * binWidth * pdf(x) is drawn over it, which is the expected count per
// bin for a sample of size n from that density.
func Histogram(sample []float64, pdf func(float64) float64, opt HistogramOptions) (*Chart, error) {
	if len(sample) == 0 {
		return nil, errors.New("plot: histogram has an empty sample")
	}
	if opt.Bins < 0 || opt.Bins > MaxBins {
		return nil, fmt.Errorf("plot: invalid number of bins %d; use 0 for automatic or 1 to %d", opt.Bins, MaxBins)
	}
	values, skipped := finiteValues(sample)
	if len(values) == 0 {
		return nil, fmt.Errorf("plot: all %d values of the histogram sample are NaN or infinite", len(sample))
	}
	slices.Sort(values)
	n := len(values)
	lo, hi := values[0], values[n-1]
	if hi-lo < minSpan || hi-lo <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi)) {
		// A constant sample, or one whose bins would be too narrow to
		// compute, gets bins around its centre.
		mid := lo/2 + hi/2
		half := math.Max(math.Abs(mid)*0.05, 0.5)
		lo, hi = mid-half, mid+half
	}
	bins := opt.Bins
	if bins == 0 {
		bins = autoBins(values)
	}

	width := (hi - lo) / float64(bins)
	edges := make([]float64, bins+1)
	for k := range edges {
		edges[k] = lo + width*float64(k)
	}
	edges[bins] = hi
	counts := make([]float64, bins)
	for _, v := range values {
		k := int((v - lo) / width)
		k = min(max(k, 0), bins-1) // hi itself falls in the last bin
		counts[k]++
	}

	c := &Chart{skipped: skipped, yFromZero: true, XLabel: "value", YLabel: "count"}
	c.layers = append(c.layers, &barsLayer{edges: edges, counts: counts, color: Palette[0]})
	c.legend = append(c.legend, legendEntry{label: fmt.Sprintf("sample, n = %d", n), kind: legendBar, color: Palette[0]})
	if pdf != nil {
		curveLo, curveHi := lo, hi
		if r := opt.PriorRange; r[0] < r[1] && finite(r[0]) && finite(r[1]) {
			curveLo, curveHi = math.Min(lo, r[0]), math.Max(hi, r[1])
		}
		c.layers = append(c.layers, &curveLayer{f: pdf, scale: float64(n) * width, lo: curveLo, hi: curveHi, color: Palette[2], width: 2})
		name := "prior density"
		if opt.PriorName != "" {
			name = opt.PriorName + " density"
		}
		c.legend = append(c.legend, legendEntry{label: name, kind: legendLine, color: Palette[2]})
	}
	c.AddNote(fmt.Sprintf("%d bins of width %s", bins, formatValue(width)))
	c.noteSkipped("NaN or infinite value", "NaN or infinite values")
	return c, nil
}

// autoBins returns the Freedman-Diaconis number of bins for the sorted
// values, bin width 2 IQR / n^(1/3), clamped to [5, 100]. With a zero
// interquartile range it falls back to sqrt(n).
func autoBins(sorted []float64) int {
	n := len(sorted)
	iqr := quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)
	span := sorted[n-1] - sorted[0]
	bins := math.Sqrt(float64(n))
	if iqr > 0 && span > 0 {
		bins = span / (2 * iqr / math.Cbrt(float64(n)))
	}
	return int(min(max(math.Ceil(bins), 5), 100))
}

// quantileSorted returns the p-quantile of sorted values by linear
// interpolation between order statistics.
func quantileSorted(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

// Series is one line of a line chart.
type Series struct {
	Name string
	X, Y []float64
	Dash Dash
	// Markers draws a dot at every point as well as the line.
	Markers bool
	// Labels, when not nil, contains one text per point, drawn beside
	// the point. An empty text draws nothing.
	Labels []string
}

// Lines returns a line chart of the series, coloured from Palette in
// order, with a legend of their names. A point with a NaN or infinite
// coordinate leaves a gap in its line and counts as skipped.
func Lines(series []Series) (*Chart, error) {
	if len(series) == 0 {
		return nil, errors.New("plot: line chart has no series")
	}
	c := &Chart{}
	points := 0
	for k, s := range series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plot: series %q has %d x values but %d y values; pass one of each per point", s.Name, len(s.X), len(s.Y))
		}
		if s.Labels != nil && len(s.Labels) != len(s.X) {
			return nil, fmt.Errorf("plot: series %q has %d labels for %d points; pass one label per point, or none", s.Name, len(s.Labels), len(s.X))
		}
		for i := range s.X {
			if finite(s.X[i]) && finite(s.Y[i]) {
				points++
			} else {
				c.skipped++
			}
		}
		color := paletteColor(k)
		c.layers = append(c.layers, &pathLayer{x: slices.Clone(s.X), y: slices.Clone(s.Y), color: color, width: 2, dash: s.Dash, markers: s.Markers, labels: slices.Clone(s.Labels)})
		if s.Name != "" {
			c.legend = append(c.legend, legendEntry{label: s.Name, kind: legendLine, color: color, dash: s.Dash})
		}
	}
	if points == 0 {
		return nil, errors.New("plot: line chart has no point with finite coordinates")
	}
	c.noteSkipped("point with a missing, NaN or infinite coordinate", "points with a missing, NaN or infinite coordinate")
	return c, nil
}
