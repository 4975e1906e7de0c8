package plot

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/nidim/nidim/internal/atomicfile"
)

// Default sizes in px.
const (
	DefaultWidth       = 720
	DefaultHeight      = 480
	DefaultPanelWidth  = 300
	DefaultPanelHeight = 250
)

// Figure is a chart or a grid of charts that can be written as SVG.
type Figure interface {
	WriteSVG(w io.Writer) error
}

// WriteFile writes f to path as an SVG file, atomically: readers see the
// old file or the complete new one.
func WriteFile(path string, f Figure) error {
	return atomicfile.Write(path, 0o644, f.WriteSVG)
}

// Chart is one plot: axes with ticks, data layers and an optional legend.
// Build it with Scatter, QQ, Histogram or Lines, then set the text fields.
type Chart struct {
	Title    string
	Subtitle string // drawn under the title, followed by the notes
	XLabel   string
	YLabel   string
	// LegendTitle heads the legend, when the chart has one.
	LegendTitle string
	// IntegerX puts x ticks at whole numbers only, for epochs or
	// dimensions.
	IntegerX bool
	// HideLegend leaves the legend out, as in small panels whose grid
	// explains the symbols in its subtitle.
	HideLegend bool
	// Width and Height are the size in px of the chart drawn alone
	// (default 720 x 480). A Grid sets the size of its panels instead.
	Width, Height float64

	notes   []string
	layers  []layer
	legend  []legendEntry
	skipped int

	equalRanges bool // the x and y axes share one range (Q-Q plots)
	yFromZero   bool // the y axis starts at 0 (histograms)
}

// AddNote appends a sentence to the subtitle, such as a remark on
// subsampling or skipped values.
func (c *Chart) AddNote(note string) { c.notes = append(c.notes, note) }

// Skipped returns how many points or values were left out because they
// were NaN or infinite.
func (c *Chart) Skipped() int { return c.skipped }

// WriteSVG writes the chart as a standalone SVG document.
func (c *Chart) WriteSVG(w io.Writer) error {
	width, height := c.Width, c.Height
	if width <= 0 {
		width = DefaultWidth
	}
	if height <= 0 {
		height = DefaultHeight
	}
	if err := checkSize(width, height); err != nil {
		return err
	}
	var b svgBuilder
	b.begin(width, height)
	c.render(&b, 0, 0, width, height, standaloneStyle, nil)
	return b.finish(w)
}

func checkSize(width, height float64) error {
	if !(width >= 100 && height >= 100 && width <= 20000 && height <= 20000) {
		return errors.New("plot: figure size must be between 100 and 20000 px on each side")
	}
	return nil
}

// begin writes the document header and a white background.
func (b *svgBuilder) begin(width, height float64) {
	b.str(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.str(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1"`)
	b.attr("width", width)
	b.attr("height", height)
	b.str(` viewBox="0 0 `)
	b.num(width)
	b.str(" ")
	b.num(height)
	b.str(`" font-family="` + fontFamily + `">` + "\n")
	// Class colours as CSS classes, so that each scatter point names its
	// class in a few bytes.
	b.str("<style>")
	for k, c := range Palette {
		b.str(".k")
		b.buf.WriteByte(byte('0' + k))
		b.str("{fill:" + c + "}")
	}
	b.str("</style>\n")
	b.rect(0, 0, width, height, "#ffffff", "")
}

// finish closes the document and copies it to w, unless drawing failed.
func (b *svgBuilder) finish(w io.Writer) error {
	b.str("</svg>\n")
	if b.err != nil {
		return b.err
	}
	_, err := w.Write(b.buf.Bytes())
	return err
}

// style holds the font sizes and padding, in px, of a chart drawn alone or
// as a grid panel.
type style struct {
	title, subtitle, label, tick, legend float64
	pad                                  float64
	xTickSpacing, yTickSpacing           float64 // preferred px between ticks
}

var (
	standaloneStyle = style{title: 16, subtitle: 12, label: 13, tick: 11, legend: 12, pad: 12, xTickSpacing: 64, yTickSpacing: 50}
	panelStyle      = style{title: 12, subtitle: 10, label: 11, tick: 10, legend: 10, pad: 8, xTickSpacing: 60, yTickSpacing: 36}
)

// layer is one kind of data drawn inside the axes.
type layer interface {
	// extent returns the finite data range the axes must show; ok is false
	// when the layer does not constrain the axes.
	extent() (xlo, xhi, ylo, yhi float64, ok bool)
	draw(b *svgBuilder, xs, ys axisScale)
}

// legendKind is the symbol drawn beside a legend entry.
type legendKind int

const (
	legendPoint legendKind = iota
	legendLine
	legendBar
)

type legendEntry struct {
	label string
	kind  legendKind
	color string
	dash  Dash
}

// subtitleText joins the subtitle and the notes, leaving out the notes in
// omit. The text ends with a period only after a note: a subtitle alone
// is usually a file name, which "sweep.csv." would misquote.
func (c *Chart) subtitleText(omit map[string]bool) string {
	parts := make([]string, 0, 1+len(c.notes))
	if c.Subtitle != "" {
		parts = append(parts, strings.TrimSuffix(c.Subtitle, "."))
	}
	notes := 0
	for _, n := range c.notes {
		if !omit[n] {
			parts = append(parts, strings.TrimSuffix(n, "."))
			notes++
		}
	}
	if notes == 0 {
		return c.Subtitle
	}
	return strings.Join(parts, "; ") + "."
}

// ranges returns the axis ranges that show every layer.
func (c *Chart) ranges() (xlo, xhi, ylo, yhi float64) {
	xlo, ylo = math.Inf(1), math.Inf(1)
	xhi, yhi = math.Inf(-1), math.Inf(-1)
	for _, l := range c.layers {
		a, b, d, e, ok := l.extent()
		if !ok {
			continue
		}
		xlo, xhi = math.Min(xlo, a), math.Max(xhi, b)
		ylo, yhi = math.Min(ylo, d), math.Max(yhi, e)
	}
	if xlo > xhi { // no layer constrains the axes
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	if c.equalRanges {
		lo, hi := math.Min(xlo, ylo), math.Max(xhi, yhi)
		xlo, xhi, ylo, yhi = lo, hi, lo, hi
	}
	const margin = 0.04
	xlo, xhi = viewRange(xlo, xhi, margin)
	if c.yFromZero {
		top := yhi
		if top <= 0 {
			top = 1
		}
		return xlo, xhi, 0, top * (1 + 2*margin)
	}
	ylo, yhi = viewRange(ylo, yhi, margin)
	return xlo, xhi, ylo, yhi
}

// render draws the chart into the rectangle (x0, y0, w, h), without the
// notes in omit.
func (c *Chart) render(b *svgBuilder, x0, y0, w, h float64, st style, omit map[string]bool) {
	pad := st.pad
	y := y0 + pad

	// Title and subtitle, wrapped to the width.
	for _, line := range wrapText(c.Title, st.title, w-2*pad) {
		y += st.title * 1.15
		b.text(x0+pad, y, line, textStyle{size: st.title, bold: true})
	}
	for _, line := range wrapText(c.subtitleText(omit), st.subtitle, w-2*pad) {
		y += st.subtitle * 1.3
		b.text(x0+pad, y, line, textStyle{size: st.subtitle, fill: colorSubtitle})
	}
	top := y + st.tick*0.8 + 4 // room for the top y tick label

	// Vertical layout: x tick labels and the x label below the axes.
	bottom := y0 + h - pad - st.tick - 8
	if c.XLabel != "" {
		bottom -= st.label * 1.4
	}
	if bottom-top < 20 {
		bottom = top + 20
	}
	xlo, xhi, ylo, yhi := c.ranges()
	ys := axisScale{lo: ylo, hi: yhi, p0: bottom, p1: top}
	yStep := tickStep(ylo, yhi, int((bottom-top)/st.yTickSpacing)+1)
	yTicks := ticksAt(ylo, yhi, yStep)
	yLabels := tickLabels(yTicks, yStep)

	// Horizontal layout: y label and y tick labels on the left, legend on
	// the right.
	left := x0 + pad
	if c.YLabel != "" {
		left += st.label * 1.4
	}
	maxYLabel := 0.0
	for _, s := range yLabels {
		maxYLabel = math.Max(maxYLabel, textWidth(s, st.tick))
	}
	left += maxYLabel + 8
	right := x0 + w - pad
	legendX := right
	if c.hasLegend() {
		legendWidth := c.legendWidth(st, w)
		legendX = right - legendWidth
		right = legendX - 12
	}
	xs, xTicks, xLabels := c.xAxis(xlo, xhi, left, right, legendX, st)

	// Grid lines, then the data clipped to the axes, then the axes.
	for _, v := range yTicks {
		py := ys.pixel(v)
		b.line(xs.p0, py, xs.p1, py, colorGrid, 1, "")
	}
	for _, v := range xTicks {
		px := xs.pixel(v)
		b.line(px, ys.p1, px, ys.p0, colorGrid, 1, "")
	}
	id := b.clipID()
	b.str(`<clipPath id="` + id + `">`)
	b.rect(xs.p0, ys.p1, xs.p1-xs.p0, ys.p0-ys.p1, "#ffffff", "")
	b.str("</clipPath>\n")
	b.str(`<g clip-path="url(#` + id + `)">` + "\n")
	for _, l := range c.layers {
		l.draw(b, xs, ys)
	}
	c.drawPointLabels(b, xs, ys)
	b.str("</g>\n")
	b.rect(xs.p0, ys.p1, xs.p1-xs.p0, ys.p0-ys.p1, "none", colorAxis)

	// Ticks and their labels.
	for i, v := range xTicks {
		px := xs.pixel(v)
		b.line(px, ys.p0, px, ys.p0+4, colorAxis, 1, "")
		b.text(px, ys.p0+6+st.tick, xLabels[i], textStyle{size: st.tick, anchor: anchorMiddle})
	}
	for i, v := range yTicks {
		py := ys.pixel(v)
		b.line(xs.p0-4, py, xs.p0, py, colorAxis, 1, "")
		b.text(xs.p0-6, py+st.tick*0.35, yLabels[i], textStyle{size: st.tick, anchor: anchorEnd})
	}

	// Axis labels.
	if c.XLabel != "" {
		label := truncateText(c.XLabel, st.label, xs.p1-xs.p0)
		b.text((xs.p0+xs.p1)/2, ys.p0+8+st.tick+st.label*1.25, label, textStyle{size: st.label, anchor: anchorMiddle})
	}
	if c.YLabel != "" {
		label := truncateText(c.YLabel, st.label, ys.p0-ys.p1)
		b.text(x0+pad+st.label, (ys.p0+ys.p1)/2, label, textStyle{size: st.label, anchor: anchorMiddle, rotate: true})
	}
	c.drawLegend(b, legendX, ys.p1, y0+h-pad, st, w)
}

// xAxis chooses the x ticks for the axis from left to right px, with
// fewer ticks until their labels do not overlap, and pulls the right end
// in when the last label would run past limit.
func (c *Chart) xAxis(xlo, xhi, left, right, limit float64, st style) (axisScale, []float64, []string) {
	for {
		xs := axisScale{lo: xlo, hi: xhi, p0: left, p1: right}
		var ticks []float64
		var labels []string
		var step float64
		for n := int((right-left)/st.xTickSpacing) + 1; ; n-- {
			step = tickStep(xlo, xhi, n)
			if c.IntegerX && step < 1 {
				step = 1
			}
			ticks = ticksAt(xlo, xhi, step)
			labels = tickLabels(ticks, step)
			widest := 0.0
			for _, s := range labels {
				widest = math.Max(widest, textWidth(s, st.tick))
			}
			spacing := step / (xhi - xlo) * (right - left)
			if widest+8 <= spacing || n <= 2 {
				break
			}
		}
		if len(ticks) == 0 {
			return xs, ticks, labels
		}
		overflow := xs.pixel(ticks[len(ticks)-1]) + textWidth(labels[len(labels)-1], st.tick)/2 - limit
		if overflow <= 0 || right-left < 40 {
			return xs, ticks, labels
		}
		right -= overflow
	}
}

// legendWidth returns the px width of the legend, at most a third of the
// chart width w.
func (c *Chart) legendWidth(st style, w float64) float64 {
	widest := textWidth(c.LegendTitle, st.legend)
	for _, e := range c.legend {
		widest = math.Max(widest, 26+textWidth(e.label, st.legend))
	}
	return math.Min(widest, w/3)
}

func (c *Chart) hasLegend() bool { return len(c.legend) > 0 && !c.HideLegend }

// drawLegend draws the legend from (x, y) down to at most bottom. Entries
// that do not fit are replaced by one "and N more" line.
func (c *Chart) drawLegend(b *svgBuilder, x, y, bottom float64, st style, w float64) {
	if !c.hasLegend() {
		return
	}
	width := c.legendWidth(st, w)
	lineHeight := st.legend * 1.5
	if c.LegendTitle != "" {
		y += st.legend
		b.text(x, y, truncateText(c.LegendTitle, st.legend, width), textStyle{size: st.legend, bold: true})
		y += lineHeight - st.legend
	}
	fit := max(int((bottom-y)/lineHeight), 1)
	for k, e := range c.legend {
		if k == fit-1 && len(c.legend) > fit {
			e = legendEntry{label: fmt.Sprintf("and %d more", len(c.legend)-k), kind: legendPoint, color: "#ffffff"}
		}
		if k == fit {
			break
		}
		cy := y + lineHeight/2
		switch e.kind {
		case legendPoint:
			b.str(`<circle`)
			b.attr("cx", x+9)
			b.attr("cy", cy)
			b.attr("r", 4)
			b.str(` fill="` + e.color + `"/>` + "\n")
		case legendLine:
			b.line(x, cy, x+20, cy, e.color, 2, e.dash.dashArray())
		case legendBar:
			b.rect(x+2, cy-5, 14, 10, e.color, "")
		}
		label := truncateText(e.label, st.legend, width-26)
		b.text(x+26, cy+st.legend*0.35, label, textStyle{size: st.legend})
		y += lineHeight
	}
}

// drawPointLabels draws the labels of the line series after every layer,
// so that each label can avoid the markers and lines of all series and
// the labels placed before it.
func (c *Chart) drawPointLabels(b *svgBuilder, xs, ys axisScale) {
	var taken []box
	var labelled []*pathLayer
	for _, l := range c.layers {
		p, ok := l.(*pathLayer)
		if !ok {
			continue
		}
		taken = append(taken, p.markerBoxes(xs, ys)...)
		taken = append(taken, p.lineBoxes(xs, ys)...)
		if p.labels != nil {
			labelled = append(labelled, p)
		}
	}
	for _, p := range labelled {
		p.drawLabels(b, xs, ys, &taken)
	}
}
