package stats

import (
	"math"
	"testing"
)

// Bartlett's statistic computed by hand for a 2-column sample:
// det R = 1 - r², so χ² = -(n - 1 - 9/6) log(1 - r²) with 1 degree of
// freedom, whose survival function is erfc(√(χ²/2)).
func TestSphericityTwoColumns(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []float64{2.1, 1.9, 3.5, 3.0, 6.2, 5.1, 6.9, 9.4, 8.0, 9.9}
	m := Matrix{N: 10, D: 2}
	for i := range x {
		m.Data = append(m.Data, x[i], y[i])
	}
	got, err := Sphericity(m)
	if err != nil {
		t.Fatal(err)
	}
	mx, my := 5.5, 0.0
	for _, v := range y {
		my += v
	}
	my /= 10
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	r := sxy / math.Sqrt(sxx*syy)
	want := -(10 - 1 - 9.0/6) * math.Log(1-r*r)
	checkClose(t, "statistic", got.Statistic, want, 0, 1e-12)
	checkClose(t, "p", got.PValue, math.Erfc(math.Sqrt(want/2)), 1e-15, 1e-9)
}

func TestSphericityIndependentAndCorrelated(t *testing.T) {
	ind, err := Sphericity(normalMatrix(2000, 8, 3))
	if err != nil {
		t.Fatal(err)
	}
	if ind.PValue < 0.001 {
		t.Errorf("independent normal columns rejected: p = %v", ind.PValue)
	}
	m := normalMatrix(2000, 8, 4)
	for i := 0; i < m.N; i++ {
		r := m.Row(i)
		r[5] = 0.8*r[5] + 0.2*r[1]
	}
	cor, err := Sphericity(m)
	if err != nil {
		t.Fatal(err)
	}
	if cor.PValue > 1e-6 {
		t.Errorf("correlated columns (r about 0.24) not rejected: p = %v", cor.PValue)
	}
}

func TestSphericityBadInput(t *testing.T) {
	if _, err := Sphericity(normalMatrix(50, 1, 1)); err == nil {
		t.Error("d = 1 accepted")
	}
	if _, err := Sphericity(normalMatrix(9, 9, 1)); err == nil {
		t.Error("n = d accepted")
	}
	c := normalMatrix(40, 3, 1)
	for i := 0; i < c.N; i++ {
		c.Data[i*3] = 1
	}
	if _, err := Sphericity(c); err == nil {
		t.Error("constant component accepted")
	}
}

// Two equal columns make R singular. Under the null that has probability
// 0, so the test rejects with p = 0, and the uniform report, where
// mean-covariance does not apply, fails.
func TestSphericityCollinearColumns(t *testing.T) {
	m := normalMatrix(300, 3, 6)
	for i := 0; i < m.N; i++ {
		r := m.Row(i)
		r[2] = r[0] - r[1]
	}
	res, err := Sphericity(m)
	if err != nil {
		t.Fatalf("collinear columns: error %v, want p = 0", err)
	}
	if !math.IsInf(res.Statistic, 1) || res.PValue != 0 {
		t.Errorf("collinear columns: statistic %v, p %v, want +Inf and 0", res.Statistic, res.PValue)
	}

	u := uniformMatrix(2000, 4, 6)
	for i := 0; i < u.N; i++ {
		r := u.Row(i)
		r[3] = r[2]
	}
	report, err := BuildReport(u, ReportOptions{Prior: "uniform", Replicates: 19})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Reject {
		t.Errorf("uniform sample with column 3 equal to column 2: %s", report.Verdict())
	}
}
