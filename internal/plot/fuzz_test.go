package plot

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// FuzzFigures builds every figure kind from arbitrary float64 values,
// including NaN, ±Inf, subnormals and values near the float64 limits, and
// checks that each either returns an error or writes an SVG that passes
// parseSVG: finite coordinates inside the viewBox.
func FuzzFigures(f *testing.F) {
	seed := func(v ...float64) []byte {
		b := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		}
		return b
	}
	f.Add(seed(0, 1, 2, 3, 4, 5))
	f.Add(seed(1, 1, 1, 1))
	f.Add(seed(-math.MaxFloat64, math.MaxFloat64, 0, 1))
	f.Add(seed(5e-324, -5e-324, 0, 1e-300))
	f.Add(seed(1e15, 1e15+1, 1e15+2, 3))
	f.Add(seed(math.NaN(), math.Inf(1), 2, math.Inf(-1), 0.5, 0.25))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8*2000 {
			return
		}
		v := make([]float64, len(data)/8)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		half := len(v) / 2
		x, y := v[:half], v[half:2*half]
		labels := make([]int, half)
		for i := range labels {
			labels[i] = int(data[i]) - 128
		}

		check := func(name string, fig Figure, err error) {
			if err != nil {
				return
			}
			var buf bytes.Buffer
			if err := fig.WriteSVG(&buf); err != nil {
				t.Fatalf("%s: WriteSVG failed after the constructor accepted the data: %v", name, err)
			}
			parseSVG(t, buf.Bytes())
		}
		c, err := Scatter(x, y, labels, ScatterOptions{MaxPoints: 50})
		check("scatter", c, err)
		c, err = QQ(v, normalQuantile, QQOptions{})
		check("qq", c, err)
		c, err = Histogram(v, normalPDF, HistogramOptions{PriorRange: [2]float64{-3, 3}})
		check("histogram", c, err)
		c, err = Lines([]Series{{Name: "a", X: x, Y: y}, {Name: "b", X: y, Y: x, Dash: Dashed, Markers: true}})
		check("lines", c, err)
	})
}
