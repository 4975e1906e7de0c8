package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// fontFamily lists fonts whose average glyph width matches textWidth.
const fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

// svgBuilder accumulates an SVG document. Every coordinate goes through
// num, which rounds to 0.1 px. The first non-finite coordinate is kept as
// a sticky error, so that a drawing bug cannot silently produce an invalid
// file.
type svgBuilder struct {
	buf    bytes.Buffer
	err    error
	nextID int // for clip-path ids
}

// num appends v rounded to one decimal, without trailing zeros.
func (b *svgBuilder) num(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if b.err == nil {
			b.err = fmt.Errorf("plot: non-finite coordinate %v in the drawing; this is a bug in package plot", v)
		}
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // drop the sign of -0
	}
	b.buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
}

// attr appends ` name="v"` with v rounded by num.
func (b *svgBuilder) attr(name string, v float64) {
	b.buf.WriteByte(' ')
	b.buf.WriteString(name)
	b.buf.WriteString(`="`)
	b.num(v)
	b.buf.WriteByte('"')
}

// str appends s unchanged; callers pass only markup they wrote themselves.
func (b *svgBuilder) str(s string) { b.buf.WriteString(s) }

// escaped appends s with XML special characters escaped.
func (b *svgBuilder) escaped(s string) {
	// xml.EscapeText returns only the writer's errors, and writes to a
	// bytes.Buffer return none.
	_ = xml.EscapeText(&b.buf, []byte(s))
}

// clipID returns a fresh id for a clipPath element.
func (b *svgBuilder) clipID() string {
	b.nextID++
	return "clip" + strconv.Itoa(b.nextID)
}

// textAnchor is the SVG text-anchor of a label.
type textAnchor string

const (
	anchorStart  textAnchor = "start"
	anchorMiddle textAnchor = "middle"
	anchorEnd    textAnchor = "end"
)

// textStyle sets how a label is drawn.
type textStyle struct {
	size   float64
	anchor textAnchor
	bold   bool
	fill   string // default black
	rotate bool   // rotate by -90 degrees about the anchor point
	// halo outlines the glyphs in white under their fill, so that the
	// text stays legible over lines and grid lines.
	halo bool
}

// text draws s with its baseline at y.
func (b *svgBuilder) text(x, y float64, s string, st textStyle) {
	b.str("<text")
	b.attr("x", x)
	b.attr("y", y)
	b.attr("font-size", st.size)
	if st.anchor != "" && st.anchor != anchorStart {
		b.str(` text-anchor="` + string(st.anchor) + `"`)
	}
	if st.bold {
		b.str(` font-weight="bold"`)
	}
	if st.fill != "" {
		b.str(` fill="` + st.fill + `"`)
	}
	if st.halo {
		b.str(` stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`)
	}
	if st.rotate {
		b.str(` transform="rotate(-90 `)
		b.num(x)
		b.str(" ")
		b.num(y)
		b.str(`)"`)
	}
	b.str(">")
	b.escaped(s)
	b.str("</text>\n")
}

// line draws a straight segment with the given stroke attributes.
func (b *svgBuilder) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	b.str("<line")
	b.attr("x1", x1)
	b.attr("y1", y1)
	b.attr("x2", x2)
	b.attr("y2", y2)
	b.str(` stroke="` + stroke + `"`)
	b.attr("stroke-width", width)
	if dash != "" {
		b.str(` stroke-dasharray="` + dash + `"`)
	}
	b.str("/>\n")
}

// rect draws a rectangle; fill and stroke are SVG paints ("none" allowed).
func (b *svgBuilder) rect(x, y, w, h float64, fill, stroke string) {
	b.str("<rect")
	b.attr("x", x)
	b.attr("y", y)
	b.attr("width", w)
	b.attr("height", h)
	b.str(` fill="` + fill + `"`)
	if stroke != "" {
		b.str(` stroke="` + stroke + `"`)
	}
	b.str("/>\n")
}

// textWidth estimates the width in px of s set in fontFamily at size px.
// The per-character factors approximate DejaVu Sans advance widths in em.
// That font is the widest of the listed ones, so with the others the
// estimate errs on the side of more room.
func textWidth(s string, size float64) float64 {
	var em float64
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			em += 0.64
		case r == ' ' || r == '.' || r == ',' || r == ':' || r == ';' || r == '\'' || r == '|' || r == '!':
			em += 0.32
		case r == 'i' || r == 'j' || r == 'l' || r == 'I' || r == 'f' || r == 't' || r == 'r' || r == '(' || r == ')' || r == '[' || r == ']':
			em += 0.40
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			em += 0.95
		case r >= 'A' && r <= 'Z':
			em += 0.72
		case r < utf8.RuneSelf:
			em += 0.60
		default:
			em += 0.75
		}
	}
	return em * size
}

// wrapText splits s at spaces into lines no wider than width px at size.
// A single word wider than width gets a line of its own.
func wrapText(s string, size, width float64) []string {
	var lines []string
	line := ""
	for _, word := range splitWords(s) {
		candidate := word
		if line != "" {
			candidate = line + " " + word
		}
		if line != "" && textWidth(candidate, size) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		line = candidate
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func splitWords(s string) []string {
	var words []string
	start := -1
	for i, r := range s {
		if r == ' ' || r == '\n' || r == '\t' {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// truncateText shortens s with a trailing ellipsis until it fits width px.
// Widths within 0.5 px count as fitting, so that a width computed from
// textWidth(s) itself never truncates s through rounding.
func truncateText(s string, size, width float64) string {
	width += 0.5
	if textWidth(s, size) <= width {
		return s
	}
	runes := []rune(s)
	for n := len(runes) - 1; n > 0; n-- {
		t := string(runes[:n]) + "…"
		if textWidth(t, size) <= width {
			return t
		}
	}
	return "…"
}
