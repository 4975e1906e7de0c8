package stats

// Matrix is an n x d sample for the multivariate tests: N rows
// (observations) of D components, row-major in Data.
type Matrix struct {
	N, D int
	Data []float64
}

// Row returns row i without copying.
func (m Matrix) Row(i int) []float64 { return m.Data[i*m.D : (i+1)*m.D] }

// Col returns a copy of column j.
func (m Matrix) Col(j int) []float64 {
	c := make([]float64, m.N)
	for i := range c {
		c[i] = m.Data[i*m.D+j]
	}
	return c
}
