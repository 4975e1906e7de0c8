package plot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Sample figures of every kind, shared by the structural and the
// rendering tests.

// clusterData returns n points in ten Gaussian clusters on a circle, with
// labels 0-9.
func clusterData(n int, seed uint64) (x, y []float64, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x, y, labels = make([]float64, n), make([]float64, n), make([]int, n)
	for i := range n {
		k := rng.IntN(10)
		angle := 2 * math.Pi * float64(k) / 10
		x[i] = 4*math.Cos(angle) + rng.NormFloat64()*0.7
		y[i] = 4*math.Sin(angle) + rng.NormFloat64()*0.7
		labels[i] = k
	}
	return x, y, labels
}

func normalSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// normalQuantile is the standard normal quantile function, kept here so
// that the tests of this package do not depend on package stats.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

func normalPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

type namedFigure struct {
	name   string
	figure Figure
}

// exampleFigures builds one figure of each kind.
func exampleFigures(t *testing.T) []namedFigure {
	t.Helper()
	x, y, labels := clusterData(3000, 1)
	scatter, err := Scatter(x, y, labels, ScatterOptions{MaxPoints: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	scatter.Title = "Embedding of the MNIST test set"
	scatter.XLabel = "component 0"
	scatter.YLabel = "component 1"

	qq, err := QQ(normalSample(2000, 4), normalQuantile, QQOptions{PriorName: "N(0, 1)"})
	if err != nil {
		t.Fatal(err)
	}
	qq.Title = "Q-Q plot of component 0"

	hist, err := Histogram(normalSample(5000, 5), normalPDF, HistogramOptions{PriorName: "N(0, 1)"})
	if err != nil {
		t.Fatal(err)
	}
	hist.Title = "Histogram of component 0"

	epochs := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	loss := []float64{4.1, 3.2, 2.8, 2.5, 2.35, 2.3, 2.2, 2.15}
	mi := make([]float64, len(loss))
	capacity := make([]float64, len(loss))
	for i := range loss {
		mi[i] = math.Log(256) - loss[i]
		capacity[i] = 8 * math.Log(1+1/0.25) / 2
	}
	lines, err := Lines([]Series{
		{Name: "loss", X: epochs, Y: loss},
		{Name: "MI estimate", X: epochs, Y: mi, Markers: true},
		{Name: "capacity", X: epochs, Y: capacity, Dash: Dashed},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines.Title = "Training curves"
	lines.XLabel = "epoch"
	lines.YLabel = "nats"

	var panels []*Chart
	for j := range 6 {
		c, err := QQ(normalSample(500, uint64(10+j)), normalQuantile, QQOptions{PriorName: "N(0, 1)"})
		if err != nil {
			t.Fatal(err)
		}
		c.Title = "component " + string(rune('0'+j))
		panels = append(panels, c)
	}
	grid, err := NewGrid(panels, 3)
	if err != nil {
		t.Fatal(err)
	}
	grid.Title = "Q-Q plots against N(0, 1)"
	grid.AddNote("6 of 6 components shown")

	return []namedFigure{{"scatter", scatter}, {"qq", qq}, {"histogram", hist}, {"lines", lines}, {"grid", grid}}
}
