package plot

import (
	"bytes"
	"testing"
)

// BenchmarkScatterSVG measures building and writing a scatter plot of
// 10000 labelled points, the size of the MNIST test set.
func BenchmarkScatterSVG(b *testing.B) {
	const n = 10000
	x, y, labels := clusterData(n, 1)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		c, err := Scatter(x, y, labels, ScatterOptions{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WriteSVG(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(buf.Len())/n, "bytes/point")
}
