package plot

import (
	"errors"
	"io"
	"math"
	"slices"
)

// Grid is a figure of small charts in rows and columns, sharing a title.
type Grid struct {
	Title    string
	Subtitle string // followed by the notes
	Charts   []*Chart
	// Columns is the number of panels per row; 0 chooses about as many
	// columns as rows.
	Columns int
	// PanelWidth and PanelHeight are the size in px of each panel
	// (default 300 x 250).
	PanelWidth, PanelHeight float64

	notes []string
}

// NewGrid returns a grid of charts with the given number of columns (0 for
// automatic).
func NewGrid(charts []*Chart, columns int) (*Grid, error) {
	if len(charts) == 0 {
		return nil, errors.New("plot: a grid needs at least one chart")
	}
	for _, c := range charts {
		if c == nil {
			return nil, errors.New("plot: a grid chart is nil")
		}
	}
	if columns < 0 {
		return nil, errors.New("plot: the number of grid columns must be 0 (automatic) or positive")
	}
	return &Grid{Charts: charts, Columns: columns}, nil
}

// AddNote appends a sentence to the grid's subtitle.
func (g *Grid) AddNote(note string) { g.notes = append(g.notes, note) }

// Skipped returns the number of non-finite points or values left out of
// all panels.
func (g *Grid) Skipped() int {
	n := 0
	for _, c := range g.Charts {
		n += c.Skipped()
	}
	return n
}

// layout returns the number of columns and rows.
func (g *Grid) layout() (cols, rows int) {
	n := len(g.Charts)
	cols = g.Columns
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = min(cols, n)
	rows = (n + cols - 1) / cols
	return cols, rows
}

// WriteSVG writes the grid as a standalone SVG document.
func (g *Grid) WriteSVG(w io.Writer) error {
	if len(g.Charts) == 0 {
		return errors.New("plot: a grid needs at least one chart")
	}
	pw, ph := g.PanelWidth, g.PanelHeight
	if pw <= 0 {
		pw = DefaultPanelWidth
	}
	if ph <= 0 {
		ph = DefaultPanelHeight
	}
	cols, rows := g.layout()
	width := pw * float64(cols)
	if width < 360 {
		width = 360 // room for the title
	}

	// The header is laid out first, because its height depends on how the
	// title and subtitle wrap.
	st := standaloneStyle
	// Notes that every panel has, such as a common subsampling remark,
	// move to the grid's subtitle.
	shared := g.sharedNotes()
	notes := slices.Clone(g.notes)
	for _, n := range g.Charts[0].notes {
		if shared[n] {
			notes = append(notes, n)
		}
	}
	titleLines := wrapText(g.Title, st.title, width-2*st.pad)
	sub := (&Chart{Subtitle: g.Subtitle, notes: notes}).subtitleText(nil)
	subLines := wrapText(sub, st.subtitle, width-2*st.pad)
	headerHeight := 0.0
	if len(titleLines)+len(subLines) > 0 {
		headerHeight = st.pad + float64(len(titleLines))*st.title*1.15 + float64(len(subLines))*st.subtitle*1.3 + 4
	}
	height := headerHeight + ph*float64(rows)
	if err := checkSize(width, height); err != nil {
		return err
	}

	var b svgBuilder
	b.begin(width, height)
	y := st.pad
	for _, line := range titleLines {
		y += st.title * 1.15
		b.text(st.pad, y, line, textStyle{size: st.title, bold: true})
	}
	for _, line := range subLines {
		y += st.subtitle * 1.3
		b.text(st.pad, y, line, textStyle{size: st.subtitle, fill: colorSubtitle})
	}
	for i, c := range g.Charts {
		col, row := i%cols, i/cols
		c.render(&b, float64(col)*pw, headerHeight+float64(row)*ph, pw, ph, panelStyle, shared)
	}
	return b.finish(w)
}

// sharedNotes returns the notes that every chart of a grid with more than
// one chart has.
func (g *Grid) sharedNotes() map[string]bool {
	if len(g.Charts) < 2 {
		return nil
	}
	shared := map[string]bool{}
	for _, n := range g.Charts[0].notes {
		shared[n] = true
	}
	for _, c := range g.Charts[1:] {
		for n := range shared {
			if !slices.Contains(c.notes, n) {
				delete(shared, n)
			}
		}
	}
	return shared
}
