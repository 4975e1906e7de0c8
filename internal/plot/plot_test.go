package plot

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func svgOf(t *testing.T, f Figure) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, f.WriteSVG(&buf))
	return buf.Bytes()
}

func TestExampleFiguresStructure(t *testing.T) {
	for _, f := range exampleFigures(t) {
		t.Run(f.name, func(t *testing.T) {
			doc := parseSVG(t, svgOf(t, f.figure))
			switch f.name {
			case "scatter":
				classed := 0
				for class, n := range doc.classes {
					if class != "" {
						classed += n
					}
				}
				assert.Equal(t, 2000, classed, "points drawn")
				assert.Len(t, doc.classes, 11, "ten classes plus the unclassed legend symbols")
				assert.Equal(t, 10, doc.classes[""], "legend symbols")
				assert.Contains(t, strings.Join(doc.texts, "|"), "2000 of 3000 points shown")
			case "qq":
				assert.Equal(t, DefaultQQPoints, doc.counts["circle"])
				assert.Equal(t, 1, doc.counts["clipPath"])
			case "histogram":
				assert.Equal(t, 1, doc.counts["path"], "density curve")
				assert.Contains(t, doc.texts, "sample, n = 5000")
				assert.Contains(t, doc.texts, "N(0, 1) density")
			case "lines":
				assert.Equal(t, 3, doc.counts["path"])
				assert.Equal(t, 8, doc.counts["circle"], "markers of the MI series")
				assert.Subset(t, doc.texts, []string{"loss", "MI estimate", "capacity"})
			case "grid":
				assert.Equal(t, 6, doc.counts["clipPath"], "panels")
				assert.Equal(t, 6*DefaultQQPoints, doc.counts["circle"])
				assert.InDelta(t, 3*DefaultPanelWidth, doc.width, 0)
			}
		})
	}
}

func TestScatterPointCountsByClass(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5}
	y := []float64{5, 4, 3, 2, 1, 0}
	labels := []int{7, 3, 7, 7, 3, 9}
	c, err := Scatter(x, y, labels, ScatterOptions{})
	require.NoError(t, err)
	doc := parseSVG(t, svgOf(t, c))
	// Distinct labels 3, 7, 9 take palette entries 0, 1, 2.
	assert.Equal(t, 2, doc.classes["k0"], "label 3")
	assert.Equal(t, 3, doc.classes["k1"], "label 7")
	assert.Equal(t, 1, doc.classes["k2"], "label 9")
	assert.Subset(t, doc.texts, []string{"3", "7", "9"})
}

func TestScatterClassNames(t *testing.T) {
	c, err := Scatter([]float64{0, 1}, []float64{0, 1}, []int{0, 1}, ScatterOptions{ClassNames: map[int]string{1: "shirt"}})
	require.NoError(t, err)
	doc := parseSVG(t, svgOf(t, c))
	assert.Subset(t, doc.texts, []string{"0", "shirt"})
}

func TestScatterSubsampleSeeded(t *testing.T) {
	x, y, labels := clusterData(1000, 3)
	build := func(seed uint64) []byte {
		c, err := Scatter(x, y, labels, ScatterOptions{MaxPoints: 100, Seed: seed})
		require.NoError(t, err)
		return svgOf(t, c)
	}
	a, b, other := build(1), build(1), build(2)
	assert.Equal(t, a, b, "the same seed must give the same file")
	assert.NotEqual(t, a, other, "another seed must draw another subsample")
	doc := parseSVG(t, a)
	assert.Equal(t, 100+10, doc.counts["circle"], "100 points and 10 legend symbols")
	assert.Contains(t, strings.Join(doc.texts, " "), "100 of 1000 points shown, a random subsample (seed 1).")
}

func TestScatterFileSize(t *testing.T) {
	const n = 10000
	x, y, labels := clusterData(n, 4)
	c, err := Scatter(x, y, labels, ScatterOptions{})
	require.NoError(t, err)
	data := svgOf(t, c)
	perPoint := float64(len(data)) / n
	// One point is `<circle class="k3" cx="123.4" cy="345.6" r="1.8"/>`
	// and a newline: 51 bytes.
	assert.LessOrEqual(t, perPoint, 52.0, "bytes per point")
	doc := parseSVG(t, data)
	assert.Equal(t, n+10, doc.counts["circle"])
	// Coordinates are rounded to 0.1 px.
	assert.NotRegexp(t, `c[xy]="[0-9]+\.[0-9]{2,}"`, string(data))
}

func TestTextIsEscaped(t *testing.T) {
	const title = `a < b && c > "d" 'e'`
	c, err := Lines([]Series{{Name: "<loss>", X: []float64{1, 2}, Y: []float64{1, 2}}})
	require.NoError(t, err)
	c.Title = title
	c.XLabel = "x & y"
	data := svgOf(t, c)
	doc := parseSVG(t, data)
	assert.Contains(t, doc.texts, title)
	assert.Contains(t, doc.texts, "<loss>")
	assert.Contains(t, doc.texts, "x & y")
	assert.NotContains(t, string(data), "<loss>", "raw markup in the file")
}

func TestNonFiniteValuesSkipped(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)

	t.Run("scatter", func(t *testing.T) {
		c, err := Scatter([]float64{0, nan, 2, 3, inf}, []float64{0, 1, nan, 3, 4}, nil, ScatterOptions{})
		require.NoError(t, err)
		assert.Equal(t, 3, c.Skipped())
		doc := parseSVG(t, svgOf(t, c))
		assert.Equal(t, 2, doc.counts["circle"])
		assert.Contains(t, strings.Join(doc.texts, " "), "3 points with a NaN or infinite coordinate skipped")
	})
	t.Run("qq", func(t *testing.T) {
		c, err := QQ([]float64{nan, -1, 0, 1, math.Inf(-1)}, normalQuantile, QQOptions{})
		require.NoError(t, err)
		assert.Equal(t, 2, c.Skipped())
		doc := parseSVG(t, svgOf(t, c))
		assert.Equal(t, 3, doc.counts["circle"])
	})
	t.Run("histogram", func(t *testing.T) {
		c, err := Histogram([]float64{1, 2, nan, 3}, nil, HistogramOptions{Bins: 3})
		require.NoError(t, err)
		assert.Equal(t, 1, c.Skipped())
		bars := c.layers[0].(*barsLayer)
		assert.Equal(t, []float64{1, 1, 1}, bars.counts)
	})
	t.Run("lines", func(t *testing.T) {
		c, err := Lines([]Series{{Name: "loss", X: []float64{1, 2, 3, 4, 5}, Y: []float64{1, 2, nan, 4, 5}}})
		require.NoError(t, err)
		assert.Equal(t, 1, c.Skipped())
		data := svgOf(t, c)
		parseSVG(t, data)
		// The gap splits the line into two subpaths.
		d := string(data)[strings.Index(string(data), ` d="`):]
		d = d[:strings.Index(d[4:], `"`)+4]
		assert.Equal(t, 2, strings.Count(d, "M"), "subpaths in %s", d)
	})
	t.Run("lone point", func(t *testing.T) {
		c, err := Lines([]Series{{Name: "mi", X: []float64{1, 2, 3}, Y: []float64{nan, 2, nan}}})
		require.NoError(t, err)
		assert.Equal(t, 2, c.Skipped())
		doc := parseSVG(t, svgOf(t, c))
		assert.Equal(t, 1, doc.counts["circle"], "a dot shows the point that has no line")
	})
	t.Run("grid", func(t *testing.T) {
		a, err := QQ([]float64{nan, 1, 2}, normalQuantile, QQOptions{})
		require.NoError(t, err)
		b, err := QQ([]float64{inf, inf, 1, 2}, normalQuantile, QQOptions{})
		require.NoError(t, err)
		g, err := NewGrid([]*Chart{a, b}, 0)
		require.NoError(t, err)
		assert.Equal(t, 3, g.Skipped())
	})
}

func TestInvalidDataErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name  string
		build func() error
		want  string
	}{
		{"scatter empty", func() error { _, err := Scatter(nil, nil, nil, ScatterOptions{}); return err }, "no points"},
		{"scatter length mismatch", func() error { _, err := Scatter([]float64{1}, []float64{1, 2}, nil, ScatterOptions{}); return err }, "1 x values but 2 y values"},
		{"scatter labels mismatch", func() error { _, err := Scatter([]float64{1}, []float64{1}, []int{1, 2}, ScatterOptions{}); return err }, "1 points but 2 labels"},
		{"scatter all NaN", func() error { _, err := Scatter([]float64{nan}, []float64{1}, nil, ScatterOptions{}); return err }, "NaN or infinite"},
		{"scatter negative cap", func() error {
			_, err := Scatter([]float64{1}, []float64{1}, nil, ScatterOptions{MaxPoints: -1})
			return err
		}, "MaxPoints -1"},
		{"qq empty", func() error { _, err := QQ(nil, normalQuantile, QQOptions{}); return err }, "empty sample"},
		{"qq all NaN", func() error { _, err := QQ([]float64{nan, nan}, normalQuantile, QQOptions{}); return err }, "all 2 values"},
		{"qq no quantile", func() error { _, err := QQ([]float64{1}, nil, QQOptions{}); return err }, "quantile function"},
		{"qq infinite quantile", func() error {
			_, err := QQ([]float64{1, 2}, func(float64) float64 { return math.Inf(1) }, QQOptions{})
			return err
		}, "returned +Inf"},
		{"histogram empty", func() error { _, err := Histogram(nil, nil, HistogramOptions{}); return err }, "empty sample"},
		{"histogram all NaN", func() error { _, err := Histogram([]float64{nan}, nil, HistogramOptions{}); return err }, "NaN or infinite"},
		{"histogram bins", func() error { _, err := Histogram([]float64{1}, nil, HistogramOptions{Bins: MaxBins + 1}); return err }, "invalid number of bins"},
		{"lines none", func() error { _, err := Lines(nil); return err }, "no series"},
		{"lines mismatch", func() error { _, err := Lines([]Series{{Name: "a", X: []float64{1}}}); return err }, `series "a" has 1 x values but 0 y values`},
		{"lines labels mismatch", func() error {
			_, err := Lines([]Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1, 2}, Labels: []string{"x"}}})
			return err
		}, `series "a" has 1 labels for 2 points`},
		{"lines all NaN", func() error { _, err := Lines([]Series{{X: []float64{nan}, Y: []float64{1}}}); return err }, "no point with finite coordinates"},
		{"grid empty", func() error { _, err := NewGrid(nil, 0); return err }, "at least one chart"},
		{"grid nil chart", func() error { _, err := NewGrid([]*Chart{nil}, 0); return err }, "nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "plot: "), "message %q lacks the package prefix", err)
		})
	}
}

func TestFigureSizeLimits(t *testing.T) {
	c, err := Lines([]Series{{X: []float64{1, 2}, Y: []float64{1, 2}}})
	require.NoError(t, err)
	c.Width = 50
	require.ErrorContains(t, c.WriteSVG(&bytes.Buffer{}), "between 100 and 20000 px")
	c.Width, c.Height = 300, 200
	doc := parseSVG(t, svgOf(t, c))
	assert.Equal(t, 300.0, doc.width)
	assert.Equal(t, 200.0, doc.height)
}

func TestHistogramCountsAndCurve(t *testing.T) {
	sample := normalSample(5000, 9)
	c, err := Histogram(sample, normalPDF, HistogramOptions{})
	require.NoError(t, err)
	bars := c.layers[0].(*barsLayer)
	total := 0.0
	for _, n := range bars.counts {
		total += n
	}
	assert.Equal(t, 5000.0, total, "every value falls in a bin")
	bins := len(bars.counts)
	assert.GreaterOrEqual(t, bins, 5)
	assert.LessOrEqual(t, bins, 100)
	// The Freedman-Diaconis width for N(0, 1) is about 2 * 1.349 / 5000^(1/3).
	width := bars.edges[1] - bars.edges[0]
	assert.InDelta(t, 2*1.349/math.Cbrt(5000), width, 0.02)

	// The curve's peak is the expected count of the central bin.
	curve := c.layers[1].(*curveLayer)
	_, _, _, peak, ok := curve.extent()
	require.True(t, ok)
	assert.InEpsilon(t, 5000*width*normalPDF(0), peak, 0.01)
	assert.InEpsilon(t, float64(5000)*width, curve.scale, 1e-12)
}

func TestHistogramEdges(t *testing.T) {
	// The maximum falls in the last bin, and a constant sample gets a
	// bin of positive width.
	c, err := Histogram([]float64{0, 1, 2, 3, 4}, nil, HistogramOptions{Bins: 4})
	require.NoError(t, err)
	bars := c.layers[0].(*barsLayer)
	assert.Equal(t, []float64{1, 1, 1, 2}, bars.counts)
	assert.Equal(t, []float64{0, 1, 2, 3, 4}, bars.edges)

	c, err = Histogram([]float64{5, 5, 5}, nil, HistogramOptions{Bins: 1})
	require.NoError(t, err)
	bars = c.layers[0].(*barsLayer)
	assert.Equal(t, []float64{3}, bars.counts)
	assert.Less(t, bars.edges[0], 5.0)
	assert.Greater(t, bars.edges[1], 5.0)
	parseSVG(t, svgOf(t, c))
}

func TestHistogramPriorRangeWidensAxis(t *testing.T) {
	uniform := func(x float64) float64 {
		if x < 0 || x > 1 {
			return 0
		}
		return 1
	}
	c, err := Histogram([]float64{0.4, 0.5, 0.6}, uniform, HistogramOptions{Bins: 2, PriorRange: [2]float64{0, 1}})
	require.NoError(t, err)
	xlo, xhi, _, _ := c.ranges()
	assert.Less(t, xlo, 0.0)
	assert.Greater(t, xhi, 1.0)
	parseSVG(t, svgOf(t, c))
}

func TestQQOrderStatistics(t *testing.T) {
	sample := []float64{3, 1, 2, 5, 4}
	c, err := QQ(sample, normalQuantile, QQOptions{})
	require.NoError(t, err)
	pts := c.layers[1].(*pointsLayer)
	assert.Equal(t, []float64{1, 2, 3, 4, 5}, pts.y)
	for i, q := range pts.x {
		assert.InDelta(t, normalQuantile((float64(i)+0.5)/5), q, 1e-15)
	}

	// Thinned plots keep the minimum and the maximum.
	big := normalSample(10000, 6)
	c, err = QQ(big, normalQuantile, QQOptions{MaxPoints: 50})
	require.NoError(t, err)
	pts = c.layers[1].(*pointsLayer)
	require.Len(t, pts.y, 50)
	lo, hi, _ := finiteExtent(big)
	assert.Equal(t, lo, pts.y[0])
	assert.Equal(t, hi, pts.y[49])
	assert.InDelta(t, normalQuantile(0.5/10000), pts.x[0], 1e-12)
	xlo, xhi, ylo, yhi := c.ranges()
	assert.Equal(t, xlo, ylo, "Q-Q axes share one range")
	assert.Equal(t, xhi, yhi, "Q-Q axes share one range")
}

func TestWriteFile(t *testing.T) {
	c, err := Lines([]Series{{Name: "loss", X: []float64{1, 2}, Y: []float64{3, 1}}})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "curves.svg")
	require.NoError(t, WriteFile(path, c))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, svgOf(t, c), got)

	err = WriteFile(filepath.Join(t.TempDir(), "missing", "x.svg"), c)
	require.Error(t, err)
}

func TestLongTextWrapsInsideFigure(t *testing.T) {
	c, err := Lines([]Series{{Name: strings.Repeat("very long series name ", 5), X: []float64{1, 2}, Y: []float64{1, 2}}})
	require.NoError(t, err)
	c.Title = strings.Repeat("A title much longer than the figure is wide ", 4)
	c.Subtitle = strings.Repeat("and a subtitle that goes on ", 10)
	c.XLabel = strings.Repeat("x label ", 30)
	c.YLabel = strings.Repeat("y label ", 30)
	// parseSVG fails the test when an estimated text box leaves the figure.
	doc := parseSVG(t, svgOf(t, c))
	assert.Greater(t, doc.counts["text"], 8)
}

func TestTickSteps(t *testing.T) {
	cases := []struct {
		lo, hi   float64
		maxTicks int
		step     float64
		labels   []string
	}{
		{0, 1, 6, 0.2, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{-3.8, 4.2, 9, 1, []string{"-3", "-2", "-1", "0", "1", "2", "3", "4"}},
		{0.15, 0.95, 2, 0.2, []string{"0.2", "0.4", "0.6", "0.8"}}, // step 0.5 gives one tick, too few
		{0, 2e6, 5, 5e5, []string{"0", "5e5", "1e6", "1.5e6", "2e6"}},
		{1e-5, 5e-5, 5, 1e-5, []string{"1e-5", "2e-5", "3e-5", "4e-5", "5e-5"}},
		{-0.05, 0.05, 3, 0.05, []string{"-0.05", "0.00", "0.05"}},
	}
	for _, tc := range cases {
		step := tickStep(tc.lo, tc.hi, tc.maxTicks)
		assert.InEpsilon(t, tc.step, step, 1e-12, "step for [%v, %v]", tc.lo, tc.hi)
		if tc.labels != nil {
			ticks := ticksAt(tc.lo, tc.hi, step)
			assert.Equal(t, tc.labels, tickLabels(ticks, step), "labels for [%v, %v]", tc.lo, tc.hi)
		}
	}
}

// TestTickLabelsDistinct checks on random ranges that ticks are in range,
// at most as many as requested unless the next larger step leaves fewer
// than two, and that neighbouring labels differ.
func TestTickLabelsDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for range 2000 {
		scale := math.Pow(10, rng.Float64()*16-8)
		a, b := (rng.Float64()*2-1)*scale*10, (rng.Float64()*2-1)*scale*10
		if a == b {
			continue
		}
		lo, hi := viewRange(math.Min(a, b), math.Max(a, b), 0.04)
		maxTicks := 2 + rng.IntN(10)
		step := tickStep(lo, hi, maxTicks)
		ticks := ticksAt(lo, hi, step)
		require.GreaterOrEqual(t, len(ticks), 1, "range [%v, %v]", lo, hi)
		if len(ticks) > maxTicks {
			mantissa := math.Round(step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)))
			next := step * 2
			if mantissa == 2 {
				next = step * 2.5
			}
			if countTicks(lo, hi, next) >= 2 {
				t.Fatalf("%d ticks for [%v, %v], at most %d requested", len(ticks), lo, hi, maxTicks)
			}
		}
		labels := tickLabels(ticks, step)
		for i, v := range ticks {
			require.True(t, v >= lo-step*1e-9 && v <= hi+step*1e-9, "tick %v outside [%v, %v]", v, lo, hi)
			if i > 0 {
				require.NotEqual(t, labels[i-1], labels[i], "ticks %v for [%v, %v] give equal labels %v", ticks, lo, hi, labels)
			}
		}
	}
}

func TestXTickLabelsDoNotOverlap(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {-123456, 987654}, {1e-7, 3e-7}, {0.001, 0.0013}, {-5000.5, 5000.5}} {
		for _, width := range []float64{120, 200, 400, 700} {
			c := &Chart{}
			xs, ticks, labels := c.xAxis(r[0], r[1], 0, width, width+20, panelStyle)
			for i := 1; i < len(ticks); i++ {
				gap := xs.pixel(ticks[i]) - xs.pixel(ticks[i-1])
				need := (textWidth(labels[i], panelStyle.tick) + textWidth(labels[i-1], panelStyle.tick)) / 2
				if len(ticks) > 2 && gap < need {
					t.Errorf("range %v, width %v: labels %q and %q overlap (%.0f px apart, %.0f needed)", r, width, labels[i-1], labels[i], gap, need)
				}
			}
		}
	}
}

func TestGridLiftsSharedNotes(t *testing.T) {
	a, err := QQ(normalSample(1000, 1), normalQuantile, QQOptions{MaxPoints: 10})
	require.NoError(t, err)
	b, err := QQ(normalSample(1000, 2), normalQuantile, QQOptions{MaxPoints: 10})
	require.NoError(t, err)
	b.AddNote("only in b")
	g, err := NewGrid([]*Chart{a, b}, 0)
	require.NoError(t, err)
	g.Title = "grid"
	g.AddNote("grid note")
	doc := parseSVG(t, svgOf(t, g))
	all := strings.Join(doc.texts, "|")
	assert.Equal(t, 1, strings.Count(all, "10 of 1000 quantiles shown"), "a note of every panel is drawn once: %s", all)
	assert.Contains(t, doc.texts, "grid note; 10 of 1000 quantiles shown.")
	assert.Contains(t, doc.texts, "only in b.")
}

func TestHideLegend(t *testing.T) {
	c, err := Histogram(normalSample(100, 1), normalPDF, HistogramOptions{PriorName: "N(0, 1)"})
	require.NoError(t, err)
	assert.Contains(t, parseSVG(t, svgOf(t, c)).texts, "N(0, 1) density")
	c.HideLegend = true
	assert.NotContains(t, parseSVG(t, svgOf(t, c)).texts, "N(0, 1) density")
}

func TestIntegerXTicks(t *testing.T) {
	// y values in the tens, so that only x ticks could end in .5.
	c, err := Lines([]Series{{Name: "loss", X: []float64{1, 2, 3}, Y: []float64{30, 20, 10}}})
	require.NoError(t, err)
	c.IntegerX = true
	doc := parseSVG(t, svgOf(t, c))
	for _, s := range doc.texts {
		assert.NotContains(t, s, ".5", "tick %q is not a whole number", s)
	}
	assert.Subset(t, doc.texts, []string{"1", "2", "3"})
}

func TestExtremeMagnitudes(t *testing.T) {
	// Values beyond 1e300 count as infinite; subnormal spans get a
	// widened axis.
	c, err := Scatter([]float64{-1e308, 1, 2}, []float64{0, 1e-310, 2e-310}, nil, ScatterOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, c.Skipped())
	parseSVG(t, svgOf(t, c))

	h, err := Histogram([]float64{5e-324, 1e-323, 0}, normalPDF, HistogramOptions{})
	require.NoError(t, err)
	parseSVG(t, svgOf(t, h))
}

func TestLegendCutToFit(t *testing.T) {
	n := 30
	x, y, labels := make([]float64, n), make([]float64, n), make([]int, n)
	for i := range n {
		x[i], y[i], labels[i] = float64(i), float64(i%7), i
	}
	c, err := Scatter(x, y, labels, ScatterOptions{})
	require.NoError(t, err)
	c.Height = 200
	// parseSVG fails the test when a legend line runs below the figure.
	doc := parseSVG(t, svgOf(t, c))
	all := strings.Join(doc.texts, "|")
	assert.Contains(t, all, "more")
	assert.Contains(t, all, "30 classes share 10 colours")
}

// A subtitle that names a file read "sweep.csv." with the period of the
// notes after it even when there were no notes.
func TestSubtitleFileNameWithoutPeriod(t *testing.T) {
	c, err := QQ(normalSample(100, 1), normalQuantile, QQOptions{})
	require.NoError(t, err)
	c.Subtitle = "sweep.csv"
	assert.Contains(t, parseSVG(t, svgOf(t, c)).texts, "sweep.csv")

	c.AddNote("100 rows")
	assert.Contains(t, parseSVG(t, svgOf(t, c)).texts, "sweep.csv; 100 rows.")
}

// Labels of line series lie inside the axes, beside their points, and
// apart from each other, from the markers and from the lines. Two labels
// of crowded points once overlapped, so that σ=1 over σ=0.5 read as
// σ=1.5.
func TestLinePointLabels(t *testing.T) {
	c, err := Lines([]Series{
		{Name: "d = 2", X: []float64{0.040, 0.041, 0.07}, Y: []float64{0.277, 0.278, 0.31}, Markers: true, Labels: []string{"σ=0.5", "σ=1", "σ=2"}},
		{Name: "d = 4", X: []float64{0.041, 0.08}, Y: []float64{0.279, 0.45}, Markers: true, Labels: []string{"σ=0.25", ""}},
	})
	require.NoError(t, err)
	raw := string(svgOf(t, c))
	doc := parseSVG(t, []byte(raw))
	assert.Subset(t, doc.texts, []string{"σ=0.5", "σ=1", "σ=2", "σ=0.25"})

	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		return v
	}
	clip := regexp.MustCompile(`<clipPath id="[^"]+"><rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)"`).FindStringSubmatch(raw)
	require.NotNil(t, clip, "the axes' clip rectangle")
	axes := box{num(clip[1]), num(clip[2]), num(clip[1]) + num(clip[3]), num(clip[2]) + num(clip[4])}

	labels := regexp.MustCompile(`<text x="([0-9.]+)" y="([0-9.]+)" font-size="10" fill="[^"]+" stroke="#ffffff"[^>]*>([^<]+)<`).FindAllStringSubmatch(raw, -1)
	require.Len(t, labels, 4, "one text per non-empty label")
	var boxes []box
	for _, m := range labels {
		x, y := num(m[1]), num(m[2])
		b := box{x, y - 0.8*pointLabelSize, x + textWidth(m[3], pointLabelSize), y + 0.2*pointLabelSize}
		assert.InDelta(t, (b.x1-b.x0)*(b.y1-b.y0), b.overlap(axes), 1e-9, "label %s lies inside the axes", m[3])
		for k, other := range boxes {
			assert.Zero(t, b.overlap(other), "labels %s and %s overlap", m[3], labels[k][3])
		}
		boxes = append(boxes, b)
	}
	paths := regexp.MustCompile(`<path fill="none"[^>]* d="([^"]+)"`).FindAllStringSubmatch(raw, -1)
	require.Len(t, paths, 2, "one line per series")
	for _, p := range paths {
		var points [][2]float64
		for _, m := range regexp.MustCompile(`[ML]([0-9.]+) ([0-9.]+)`).FindAllStringSubmatch(p[1], -1) {
			points = append(points, [2]float64{num(m[1]), num(m[2])})
		}
		for i := 1; i < len(points); i++ {
			for s := 0.0; s <= 1; s += 0.01 {
				x := points[i-1][0] + s*(points[i][0]-points[i-1][0])
				y := points[i-1][1] + s*(points[i][1]-points[i-1][1])
				for k, b := range boxes {
					assert.False(t, x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1, "label %s covers the line at (%.1f, %.1f)", labels[k][3], x, y)
				}
			}
		}
	}
	circles := regexp.MustCompile(`<circle cx="([0-9.]+)" cy="([0-9.]+)" r="([0-9.]+)"`).FindAllStringSubmatch(raw, -1)
	require.Len(t, circles, 5, "one marker per point")
	for _, m := range circles {
		x, y, r := num(m[1]), num(m[2]), num(m[3])
		for k, b := range boxes {
			assert.Zero(t, b.overlap(box{x - r, y - r, x + r, y + r}), "label %s covers the marker at (%v, %v)", labels[k][3], x, y)
		}
	}
}

// A constant value gets an axis of a tenth of its magnitude on each side,
// with labels that tell the ticks apart, so that one accuracy of 0.45
// does not get an axis of negative accuracies. Zero gets plus and minus 1.
func TestViewRangeConstant(t *testing.T) {
	for _, c := range []struct{ v, lo, hi float64 }{
		{0.45, 0.405, 0.495},
		{-3, -3.3, -2.7},
		{2e-9, 1.8e-9, 2.2e-9},
		{0, -1, 1},
	} {
		lo, hi := viewRange(c.v, c.v, 0.04)
		assert.InDelta(t, c.lo, lo, 1e-12*math.Max(1, math.Abs(c.v)), "lower end for %v", c.v)
		assert.InDelta(t, c.hi, hi, 1e-12*math.Max(1, math.Abs(c.v)), "upper end for %v", c.v)
		step := tickStep(lo, hi, 5)
		ticks := ticksAt(lo, hi, step)
		assert.GreaterOrEqual(t, len(ticks), 2, "ticks for %v", c.v)
		labels := tickLabels(ticks, step)
		for i := 1; i < len(labels); i++ {
			assert.NotEqual(t, labels[i-1], labels[i], "labels for %v", c.v)
		}
	}
}
