package stats

import (
	"fmt"
	"math"
)

// Small dense linear algebra for the multivariate tests. Matrices are d x d
// and row-major []float64. Embeddings have at most a few hundred
// components, where plain loops are fast enough.

// checkMatrix validates an n x d sample for the test named test. The shape
// must match Data and n must be at least minN. When the test inverts a
// covariance matrix (needCov), n must exceed d. Every value must be finite.
func checkMatrix(m Matrix, minN int, needCov bool, test string) error {
	if m.N < 0 || m.D < 1 {
		return fmt.Errorf("stats: %s: invalid sample shape %d x %d; need at least one row and one column", test, m.N, m.D)
	}
	if len(m.Data) != m.N*m.D {
		return fmt.Errorf("stats: %s: sample of %d x %d needs %d values, got %d", test, m.N, m.D, m.N*m.D, len(m.Data))
	}
	if m.N < minN {
		return tooFewRows(minN, m.N, "stats: %s: needs at least %d rows, got %d; add rows", test, minN, m.N)
	}
	if needCov && m.N <= m.D {
		return tooFewRows(max(minN, m.D+1), m.N, "stats: %s: needs more rows than columns to estimate a %d x %d covariance matrix, got %d rows; add rows or test fewer columns", test, m.D, m.D, m.N)
	}
	for k, v := range m.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			// Components count from 0, as in the report's table, and rows
			// from 1, as in the messages of the nidim commands.
			return fmt.Errorf("stats: %s: non-finite value %v of component %d in row %d (counting components from 0 and rows from 1); remove or replace it", test, v, k%m.D, k/m.D+1)
		}
	}
	return nil
}

// meanVector returns the column means of m.
func meanVector(m Matrix) []float64 {
	mean := make([]float64, m.D)
	for i := 0; i < m.N; i++ {
		row := m.Row(i)
		for j, v := range row {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(m.N)
	}
	return mean
}

// covariance returns the d x d covariance matrix of m around mean, with the
// given divisor (n for the maximum-likelihood estimate, n-1 for the unbiased
// one). Rows are centred before the products are summed, so large offsets do
// not cancel.
func covariance(m Matrix, mean []float64, divisor float64) []float64 {
	d := m.D
	cov := make([]float64, d*d)
	c0 := make([]float64, d)
	c1 := make([]float64, d)
	centre := func(dst []float64, i int) {
		row := m.Row(i)
		for j := range dst {
			dst[j] = row[j] - mean[j]
		}
	}
	// Two rows per pass over the upper triangle halve its loads and stores.
	i := 0
	for ; i+2 <= m.N; i += 2 {
		centre(c0, i)
		centre(c1, i+1)
		for a := 0; a < d; a++ {
			p0, p1 := c0[a], c1[a]
			out := cov[a*d+a : a*d+d]
			u, v := c0[a:], c1[a:len(c0)]
			for b := range out {
				out[b] += p0*u[b] + p1*v[b]
			}
		}
	}
	if i < m.N {
		centre(c0, i)
		for a := 0; a < d; a++ {
			p0 := c0[a]
			out := cov[a*d+a : a*d+d]
			u := c0[a:]
			for b := range out {
				out[b] += p0 * u[b]
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := cov[a*d+b] / divisor
			cov[a*d+b] = v
			cov[b*d+a] = v
		}
	}
	return cov
}

// errSingular reports a covariance matrix that has no inverse.
type errSingular struct {
	component int
}

func (e errSingular) Error() string {
	return fmt.Sprintf("covariance matrix is singular: component %d is constant or a linear combination of earlier components; drop it or add more rows", e.component)
}

// cholesky returns the lower-triangular L with a = L Lᵀ for a symmetric
// positive definite d x d matrix a. A pivot that is not positive, or below
// 1e-12 of its diagonal entry (the component carries no variance beyond
// the earlier ones), returns errSingular naming that component.
func cholesky(a []float64, d int) ([]float64, error) {
	l := make([]float64, d*d)
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for k := 0; k < j; k++ {
			s -= l[j*d+k] * l[j*d+k]
		}
		if !(s > 1e-12*a[j*d+j]) || !(a[j*d+j] > 0) {
			return nil, errSingular{component: j}
		}
		ljj := math.Sqrt(s)
		l[j*d+j] = ljj
		for i := j + 1; i < d; i++ {
			s := a[i*d+j]
			for k := 0; k < j; k++ {
				s -= l[i*d+k] * l[j*d+k]
			}
			l[i*d+j] = s / ljj
		}
	}
	return l, nil
}

// logDetCholesky returns log det(a) from the Cholesky factor of a.
func logDetCholesky(l []float64, d int) float64 {
	s := 0.0
	for j := 0; j < d; j++ {
		s += math.Log(l[j*d+j])
	}
	return 2 * s
}

// whiten returns the n x d matrix of z_i = L⁻¹(x_i - mean), where L is the
// Cholesky factor of the covariance of m with the given divisor. L⁻¹ is
// formed once, so each row costs one triangular matrix-vector product. Then
// z_iᵀz_j = (x_i - mean)ᵀ S⁻¹ (x_j - mean): the Mahalanobis inner products
// that Mardia's and Henze-Zirkler's statistics are built from. Any other
// square root of S⁻¹, such as the symmetric S^(-1/2), differs from L⁻¹ by
// an orthogonal matrix, so norms and distances between the z_i do not
// depend on the choice.
func whiten(m Matrix, divisor float64) (Matrix, error) {
	d := m.D
	mean := meanVector(m)
	l, err := cholesky(covariance(m, mean, divisor), d)
	if err != nil {
		return Matrix{}, err
	}
	inv := invertLower(l, d)
	z := Matrix{N: m.N, D: d, Data: make([]float64, m.N*d)}
	centred := make([]float64, d)
	for i := 0; i < m.N; i++ {
		row := m.Row(i)
		for a := range centred {
			centred[a] = row[a] - mean[a]
		}
		out := z.Row(i)
		for a := 0; a < d; a++ {
			out[a] = dot(inv[a*d:a*d+a+1], centred)
		}
	}
	return z, nil
}

// invertLower returns the inverse of the d x d lower-triangular matrix l,
// itself lower triangular, by forward substitution on each column of the
// identity.
func invertLower(l []float64, d int) []float64 {
	inv := make([]float64, d*d)
	for j := 0; j < d; j++ {
		inv[j*d+j] = 1 / l[j*d+j]
		for a := j + 1; a < d; a++ {
			s := 0.0
			for k := j; k < a; k++ {
				s -= l[a*d+k] * inv[k*d+j]
			}
			inv[a*d+j] = s / l[a*d+a]
		}
	}
	return inv
}

// correlation returns the d x d correlation matrix of m (Pearson, the
// divisor cancels). A constant column returns an error naming it.
func correlation(m Matrix) ([]float64, error) {
	d := m.D
	cov := covariance(m, meanVector(m), float64(m.N))
	sd := make([]float64, d)
	for j := range sd {
		if !(cov[j*d+j] > 0) {
			return nil, fmt.Errorf("component %d is constant; drop it", j)
		}
		sd[j] = math.Sqrt(cov[j*d+j])
	}
	r := make([]float64, d*d)
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			if a == b {
				r[a*d+b] = 1
				continue
			}
			r[a*d+b] = cov[a*d+b] / (sd[a] * sd[b])
		}
	}
	return r, nil
}
