package plot

import (
	"math"
	"strconv"
)

// Dash is the stroke pattern of a line.
type Dash int

const (
	Solid Dash = iota
	Dashed
	Dotted
)

func (d Dash) dashArray() string {
	switch d {
	case Dashed:
		return "7 4"
	case Dotted:
		return "2 3"
	}
	return ""
}

// maxMagnitude is the largest magnitude drawn. Larger values count as
// infinite, because the spans and tick steps of wider ranges overflow.
const maxMagnitude = 1e300

// finiteExtent returns the range of the finite values of v, with ok false
// when there is none.
func finiteExtent(v []float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if !finite(x) {
			continue
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi, lo <= hi
}

// finite reports whether v can be drawn: not NaN and of magnitude at most
// maxMagnitude.
func finite(v float64) bool { return math.Abs(v) <= maxMagnitude }

// pointsLayer draws small circles. The constructors pass finite
// coordinates only.
type pointsLayer struct {
	x, y   []float64
	class  []int  // palette index of each point; nil draws all in color
	color  string // used when class is nil
	radius float64
	alpha  float64 // fill opacity in (0, 1]
}

func (l *pointsLayer) extent() (float64, float64, float64, float64, bool) {
	xlo, xhi, okx := finiteExtent(l.x)
	ylo, yhi, oky := finiteExtent(l.y)
	return xlo, xhi, ylo, yhi, okx && oky
}

func (l *pointsLayer) draw(b *svgBuilder, xs, ys axisScale) {
	b.str("<g")
	if l.class == nil {
		b.str(` fill="` + l.color + `"`)
	}
	if l.alpha < 1 {
		b.attr("fill-opacity", l.alpha)
	}
	b.str(">\n")
	for i := range l.x {
		b.str("<circle")
		if l.class != nil {
			b.str(` class="k` + strconv.Itoa(l.class[i]%len(Palette)) + `"`)
		}
		b.attr("cx", xs.pixel(l.x[i]))
		b.attr("cy", ys.pixel(l.y[i]))
		b.attr("r", l.radius)
		b.str("/>\n")
	}
	b.str("</g>\n")
}

// pathLayer draws a polyline through (x, y). A non-finite value breaks
// the line, and a point with no finite neighbour gets a dot, because a
// line of one point does not show.
type pathLayer struct {
	x, y    []float64
	color   string
	width   float64
	dash    Dash
	markers bool
	labels  []string // text beside each point, or nil
}

func (l *pathLayer) extent() (float64, float64, float64, float64, bool) {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range l.x {
		if finite(l.x[i]) && finite(l.y[i]) {
			xlo, xhi = math.Min(xlo, l.x[i]), math.Max(xhi, l.x[i])
			ylo, yhi = math.Min(ylo, l.y[i]), math.Max(yhi, l.y[i])
		}
	}
	return xlo, xhi, ylo, yhi, xlo <= xhi
}

func (l *pathLayer) draw(b *svgBuilder, xs, ys axisScale) {
	ok := func(i int) bool { return finite(l.x[i]) && finite(l.y[i]) }
	var drawn, lone []int // lone points have no finite neighbour
	for i := range l.x {
		if !ok(i) {
			continue
		}
		drawn = append(drawn, i)
		if (i == 0 || !ok(i-1)) && (i == len(l.x)-1 || !ok(i+1)) {
			lone = append(lone, i)
		}
	}
	if len(drawn) == 0 {
		return
	}

	// The line: one subpath per run of finite points.
	b.str(`<path fill="none" stroke="` + l.color + `"`)
	b.attr("stroke-width", l.width)
	b.str(` stroke-linejoin="round"`)
	if a := l.dash.dashArray(); a != "" {
		b.str(` stroke-dasharray="` + a + `"`)
	}
	b.str(` d="`)
	for k, i := range drawn {
		if k == 0 || drawn[k-1] != i-1 {
			b.str("M")
		} else {
			b.str("L")
		}
		b.num(xs.pixel(l.x[i]))
		b.str(" ")
		b.num(ys.pixel(l.y[i]))
	}
	b.str(`"/>` + "\n")

	// Dots at every point with markers, else only where no line shows one.
	marked := lone
	if l.markers {
		marked = drawn
	}
	if len(marked) > 0 {
		b.str(`<g fill="` + l.color + `">` + "\n")
		for _, i := range marked {
			b.str("<circle")
			b.attr("cx", xs.pixel(l.x[i]))
			b.attr("cy", ys.pixel(l.y[i]))
			b.attr("r", l.width+1.5)
			b.str("/>\n")
		}
		b.str("</g>\n")
	}
}

// pointLabelSize is the font size of the texts beside the points.
const pointLabelSize = 10

// box is a rectangle in pixels, from (x0, y0) at the top left to (x1, y1).
type box struct{ x0, y0, x1, y1 float64 }

// overlap returns the area that a and c share.
func (a box) overlap(c box) float64 {
	w := math.Min(a.x1, c.x1) - math.Max(a.x0, c.x0)
	h := math.Min(a.y1, c.y1) - math.Max(a.y0, c.y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// labelledPoints returns the indices of the points that have a label and
// finite coordinates.
func (l *pathLayer) labelledPoints() []int {
	var points []int
	for i := range l.labels {
		if l.labels[i] != "" && finite(l.x[i]) && finite(l.y[i]) {
			points = append(points, i)
		}
	}
	return points
}

// markerBoxes returns the boxes of the markers of a series with markers,
// which no label should cover, or nil for a series without.
func (l *pathLayer) markerBoxes(xs, ys axisScale) []box {
	if !l.markers {
		return nil
	}
	r := l.width + 1.5
	var boxes []box
	for i := range l.x {
		if !finite(l.x[i]) || !finite(l.y[i]) {
			continue
		}
		px, py := xs.pixel(l.x[i]), ys.pixel(l.y[i])
		boxes = append(boxes, box{px - r, py - r, px + r, py + r})
	}
	return boxes
}

// lineBoxes returns small boxes every few pixels along the segments of
// the line, which a label should not cover either.
func (l *pathLayer) lineBoxes(xs, ys axisScale) []box {
	const step, half = 3.0, 1.0
	var boxes []box
	for i := 1; i < len(l.x); i++ {
		if !finite(l.x[i-1]) || !finite(l.y[i-1]) || !finite(l.x[i]) || !finite(l.y[i]) {
			continue
		}
		x0, y0 := xs.pixel(l.x[i-1]), ys.pixel(l.y[i-1])
		x1, y1 := xs.pixel(l.x[i]), ys.pixel(l.y[i])
		n := int(math.Hypot(x1-x0, y1-y0)/step) + 1
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			x, y := x0+t*(x1-x0), y0+t*(y1-y0)
			boxes = append(boxes, box{x - half, y - half, x + half, y + half})
		}
	}
	return boxes
}

// drawLabels writes the label of each labelled point at one of its four
// corners: the first, in the order up right, down right, up left and down
// left, that lies inside the axes and covers no marker, line or label in
// taken.
// When all four are taken it tries them one and then two lines further
// out, and else takes the place that covers the least. The data layers
// are clipped to the axes, and labels that overlap read as one wrong
// text, such as σ=1 over σ=0.5 as σ=1.5. Each label drawn is added to
// taken.
func (l *pathLayer) drawLabels(b *svgBuilder, xs, ys axisScale, taken *[]box) {
	const gap = 5
	axes := box{xs.p0, ys.p1, xs.p1, ys.p0}
	for _, i := range l.labelledPoints() {
		text := l.labels[i]
		px, py := xs.pixel(l.x[i]), ys.pixel(l.y[i])
		w := textWidth(text, pointLabelSize)
		ascent, descent := 0.8*pointLabelSize, 0.2*pointLabelSize
		// Baselines above and below the point, and left edges right and
		// left of it.
		right, left := px+gap, px-gap-w
		var places [][2]float64
		for ring := range 3 {
			shift := float64(ring) * (pointLabelSize + 2)
			up, down := py-gap-descent-shift, py+gap+ascent+shift
			places = append(places, [2]float64{right, up}, [2]float64{right, down}, [2]float64{left, up}, [2]float64{left, down})
		}
		var best box
		bestCost := math.Inf(1)
		for _, at := range places {
			candidate := box{at[0], at[1] - ascent, at[0] + w, at[1] + descent}
			cost := 0.0
			for _, other := range *taken {
				cost += candidate.overlap(other)
			}
			// Any part outside the axes is clipped away, which costs
			// more than covering another label.
			area := (candidate.x1 - candidate.x0) * (candidate.y1 - candidate.y0)
			cost += 1e3 * (area - candidate.overlap(axes))
			if cost < bestCost {
				best, bestCost = candidate, cost
			}
			if cost == 0 {
				break
			}
		}
		*taken = append(*taken, best)
		b.text(best.x0, best.y1-descent, text, textStyle{size: pointLabelSize, fill: l.color, halo: true})
	}
}

// barsLayer draws a histogram: bar i spans [edges[i], edges[i+1]] with
// height counts[i].
type barsLayer struct {
	edges, counts []float64
	color         string
}

func (l *barsLayer) extent() (float64, float64, float64, float64, bool) {
	top := 0.0
	for _, c := range l.counts {
		top = math.Max(top, c)
	}
	return l.edges[0], l.edges[len(l.edges)-1], 0, top, true
}

func (l *barsLayer) draw(b *svgBuilder, xs, ys axisScale) {
	b.str(`<g fill="` + l.color + `" stroke="#ffffff" stroke-width="0.5">` + "\n")
	base := ys.pixel(0)
	for i, c := range l.counts {
		if c <= 0 {
			continue
		}
		x0, x1 := xs.pixel(l.edges[i]), xs.pixel(l.edges[i+1])
		top := ys.pixel(c)
		b.rect(x0, top, x1-x0, base-top, l.color, "")
	}
	b.str("</g>\n")
}

// curveLayer draws scale*f(x) across the whole x axis, sampled every
// 1.5 px; [lo, hi] is the range the axes must include.
type curveLayer struct {
	f      func(float64) float64
	scale  float64
	lo, hi float64
	color  string
	width  float64
}

// curveSamples is the number of points used to find a curve's y range.
const curveSamples = 400

func (l *curveLayer) extent() (float64, float64, float64, float64, bool) {
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for k := 0; k <= curveSamples; k++ {
		v := l.scale * l.f(l.lo+(l.hi-l.lo)*float64(k)/curveSamples)
		if finite(v) {
			ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
		}
	}
	if ylo > yhi {
		return 0, 0, 0, 0, false
	}
	return l.lo, l.hi, ylo, yhi, true
}

func (l *curveLayer) draw(b *svgBuilder, xs, ys axisScale) {
	n := int(math.Abs(xs.p1-xs.p0)/1.5) + 1
	x := make([]float64, n+1)
	y := make([]float64, n+1)
	for k := 0; k <= n; k++ {
		x[k] = xs.lo + (xs.hi-xs.lo)*float64(k)/float64(n)
		y[k] = l.scale * l.f(x[k])
	}
	p := pathLayer{x: x, y: y, color: l.color, width: l.width}
	p.draw(b, xs, ys)
}

// diagonalLayer draws the reference line y = x across the axes.
type diagonalLayer struct{}

func (diagonalLayer) extent() (float64, float64, float64, float64, bool) { return 0, 0, 0, 0, false }

func (diagonalLayer) draw(b *svgBuilder, xs, ys axisScale) {
	lo, hi := math.Max(xs.lo, ys.lo), math.Min(xs.hi, ys.hi)
	if lo >= hi {
		return
	}
	b.line(xs.pixel(lo), ys.pixel(lo), xs.pixel(hi), ys.pixel(hi), colorReference, 1.2, Dashed.dashArray())
}
