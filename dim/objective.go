package dim

import (
	"fmt"
	"math"
)

// Critic names the score function s(y1_i, y2_j) between the noisy
// embeddings of the first and second views. Every critic divides by a
// temperature tau = exp(LogTau).
type Critic string

const (
	// CriticDot scores <y1_i, y2_j> / tau.
	CriticDot Critic = "dot"
	// CriticCosine scores cos(y1_i, y2_j) / tau.
	CriticCosine Critic = "cosine"
	// CriticEuclidean scores -||y1_i - y2_j||^2 / (2 tau), the log density
	// of a Gaussian channel up to a constant when tau is the variance of
	// y1 - y2 per component.
	CriticEuclidean Critic = "euclidean"
)

// Bound names the mutual-information lower bound that training maximizes.
type Bound string

const (
	// BoundInfoNCE is the symmetric InfoNCE loss: the mean of the
	// cross-entropies of the rows and of the columns of the score matrix
	// with the matching pairs on the diagonal. ln B minus the loss is a
	// lower bound on the mutual information, capped at ln B.
	BoundInfoNCE Bound = "infonce"
	// BoundJSD is the Jensen-Shannon loss of Deep InfoMax:
	// mean softplus(-s) over matching pairs plus mean softplus(s) over the
	// B(B-1) non-matching pairs.
	BoundJSD Bound = "jsd"
	// BoundNWJ is minus the Nguyen-Wainwright-Jordan bound:
	// -(mean s over matching pairs - mean exp(s-1) over non-matching pairs).
	BoundNWJ Bound = "nwj"
)

// ParseCritic returns the critic called name.
func ParseCritic(name string) (Critic, error) {
	switch c := Critic(name); c {
	case CriticDot, CriticCosine, CriticEuclidean:
		return c, nil
	}
	return "", fmt.Errorf("dim: unknown critic %q; use dot, cosine or euclidean", name)
}

// ParseBound returns the bound called name.
func ParseBound(name string) (Bound, error) {
	switch b := Bound(name); b {
	case BoundInfoNCE, BoundJSD, BoundNWJ:
		return b, nil
	}
	return "", fmt.Errorf("dim: unknown loss %q; use infonce, jsd or nwj", name)
}

// Objective evaluates a bound on a batch of embedding pairs and its exact
// gradient. Row i of the first batch and row i of the second are the two
// views of input i; every other pair is a negative. The arithmetic is in
// float64. An Objective keeps its work buffers between calls, so it is not
// safe for concurrent use.
type Objective struct {
	Critic Critic
	Bound  Bound
	// LogTau is the natural logarithm of the critic temperature.
	LogTau float64

	a, b   []float64 // the two batches, normalized for the cosine critic
	na, nb []float64 // row norms for the cosine critic
	s, ds  []float64 // B x B scores and their gradient
	gb     []float64 // d-vector scratch
}

// Value is the outcome of one evaluation.
type Value struct {
	// Loss is the minimized objective of the chosen bound.
	Loss float64
	// InfoNCE is the symmetric InfoNCE loss of the same scores, whatever
	// the bound; MI = ln B - InfoNCE is the reported estimate in nats.
	InfoNCE float64
	MI      float64
	// DLogTau is the derivative of Loss with respect to LogTau.
	DLogTau float64
}

// Evaluate computes the bound for the b x d row-major batches y1 and y2.
// When dy1 and dy2 are not nil, it overwrites them with the gradient of
// Loss with respect to y1 and y2.
func (o *Objective) Evaluate(y1, y2 []float32, b, d int, dy1, dy2 []float32) (Value, error) {
	if err := o.check(y1, y2, b, d, dy1, dy2); err != nil {
		return Value{}, err
	}
	o.grow(b, d)
	tau := math.Exp(o.LogTau)
	o.scores(y1, y2, b, d, tau)

	// The InfoNCE value is computed for every bound because it gives the
	// MI estimate. When InfoNCE is the bound, its gradient is kept in ds.
	nce := symmetricInfoNCE(o.s, b, o.ds)
	v := Value{InfoNCE: nce, MI: math.Log(float64(b)) - nce}
	switch o.Bound {
	case BoundInfoNCE:
		v.Loss = nce
	case BoundJSD:
		v.Loss = jsd(o.s, b, o.ds)
	case BoundNWJ:
		v.Loss = nwj(o.s, b, o.ds)
	}

	// Every critic is proportional to 1/tau, so dS/dLogTau = -S.
	for i, g := range o.ds {
		v.DLogTau -= g * o.s[i]
	}
	if dy1 != nil {
		o.backward(y1, y2, b, d, tau, dy1, dy2)
	}
	return v, nil
}

func (o *Objective) check(y1, y2 []float32, b, d int, dy1, dy2 []float32) error {
	switch o.Critic {
	case CriticDot, CriticCosine, CriticEuclidean:
	default:
		return fmt.Errorf("dim: unknown critic %q; use dot, cosine or euclidean", o.Critic)
	}
	switch o.Bound {
	case BoundInfoNCE, BoundJSD, BoundNWJ:
	default:
		return fmt.Errorf("dim: unknown loss %q; use infonce, jsd or nwj", o.Bound)
	}
	if b < 2 {
		return fmt.Errorf("dim: batch size %d is too small; a contrastive bound needs at least 2 pairs", b)
	}
	if d < 1 {
		return fmt.Errorf("dim: embedding dimension %d is invalid; it must be at least 1", d)
	}
	if len(y1) != b*d || len(y2) != b*d {
		return fmt.Errorf("dim: embedding batches have %d and %d values, want %d x %d = %d", len(y1), len(y2), b, d, b*d)
	}
	if (dy1 == nil) != (dy2 == nil) {
		return fmt.Errorf("dim: pass both gradient buffers or neither")
	}
	if dy1 != nil && (len(dy1) != b*d || len(dy2) != b*d) {
		return fmt.Errorf("dim: gradient buffers have %d and %d values, want %d", len(dy1), len(dy2), b*d)
	}
	if math.IsNaN(o.LogTau) || math.IsInf(o.LogTau, 0) {
		return fmt.Errorf("dim: log temperature %v is not finite", o.LogTau)
	}
	return nil
}

func (o *Objective) grow(b, d int) {
	o.a = resize(o.a, b*d)
	o.b = resize(o.b, b*d)
	o.na = resize(o.na, b)
	o.nb = resize(o.nb, b)
	o.s = resize(o.s, b*b)
	o.ds = resize(o.ds, b*b)
	o.gb = resize(o.gb, d)
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// scores fills o.s with S_ij = s(y1_i, y2_j).
func (o *Objective) scores(y1, y2 []float32, b, d int, tau float64) {
	for i := range o.a {
		o.a[i] = float64(y1[i])
		o.b[i] = float64(y2[i])
	}
	if o.Critic == CriticCosine {
		normalizeRows(o.a, o.na, b, d)
		normalizeRows(o.b, o.nb, b, d)
	}
	for i := 0; i < b; i++ {
		ai := o.a[i*d : (i+1)*d]
		row := o.s[i*b : (i+1)*b]
		for j := 0; j < b; j++ {
			bj := o.b[j*d : (j+1)*d]
			acc := 0.0
			if o.Critic == CriticEuclidean {
				for k, x := range ai {
					t := x - bj[k]
					acc += t * t
				}
				row[j] = -acc / (2 * tau)
				continue
			}
			for k, x := range ai {
				acc += x * bj[k]
			}
			row[j] = acc / tau
		}
	}
}

// minNorm keeps the cosine critic finite for a zero embedding.
const minNorm = 1e-12

// normalizeRows scales each row of x to unit length and stores the
// original lengths in norms.
func normalizeRows(x, norms []float64, b, d int) {
	for i := 0; i < b; i++ {
		r := x[i*d : (i+1)*d]
		ss := 0.0
		for _, v := range r {
			ss += v * v
		}
		n := max(math.Sqrt(ss), minNorm)
		norms[i] = n
		for k := range r {
			r[k] /= n
		}
	}
}

// backward maps o.ds, the gradient with respect to the scores, to the
// gradients with respect to y1 and y2.
func (o *Objective) backward(y1, y2 []float32, b, d int, tau float64, dy1, dy2 []float32) {
	g := o.gb
	// Row i of dy1: sum over j of dS_ij dS_ij/dy1_i, and the mirror image
	// for dy2 over the columns.
	for i := 0; i < b; i++ {
		clear(g)
		rowSum := 0.0
		for j := 0; j < b; j++ {
			w := o.ds[i*b+j]
			rowSum += w
			bj := o.b[j*d : (j+1)*d]
			for k := range g {
				g[k] += w * bj[k]
			}
		}
		o.finish(g, o.a[i*d:(i+1)*d], o.na, i, rowSum, tau, dy1[i*d:(i+1)*d])
	}
	for j := 0; j < b; j++ {
		clear(g)
		colSum := 0.0
		for i := 0; i < b; i++ {
			w := o.ds[i*b+j]
			colSum += w
			ai := o.a[i*d : (i+1)*d]
			for k := range g {
				g[k] += w * ai[k]
			}
		}
		o.finish(g, o.b[j*d:(j+1)*d], o.nb, j, colSum, tau, dy2[j*d:(j+1)*d])
	}
}

// finish turns g = sum_j dS_ij z_j, where z is the other batch as used in
// the scores, into the gradient for row self of this batch.
func (o *Objective) finish(g, self, norms []float64, row int, sum, tau float64, out []float32) {
	switch o.Critic {
	case CriticDot:
		for k := range out {
			out[k] = float32(g[k] / tau)
		}
	case CriticEuclidean:
		// d/dx of -||x - z||^2/(2 tau) is (z - x)/tau.
		for k := range out {
			out[k] = float32((g[k] - sum*self[k]) / tau)
		}
	case CriticCosine:
		// self is the unit vector u = x/|x|; du/dx projects out u and
		// divides by |x|.
		dot := 0.0
		for k := range g {
			dot += g[k] * self[k]
		}
		n := norms[row]
		for k := range out {
			out[k] = float32((g[k] - dot*self[k]) / (tau * n))
		}
	}
}

// symmetricInfoNCE returns 0.5*(mean_i CE(row i) + mean_j CE(column j)) of
// the b x b scores s with targets on the diagonal, and writes its gradient
// with respect to s into ds.
func symmetricInfoNCE(s []float64, b int, ds []float64) float64 {
	scale := 0.5 / float64(b)
	total := 0.0
	for i := 0; i < b; i++ {
		row := s[i*b : (i+1)*b]
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, v)
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(v - m)
		}
		lse := m + math.Log(z)
		total += lse - row[i]
		for j, v := range row {
			ds[i*b+j] = scale * math.Exp(v-lse)
		}
		ds[i*b+i] -= scale
	}
	for j := 0; j < b; j++ {
		m := math.Inf(-1)
		for i := 0; i < b; i++ {
			m = max(m, s[i*b+j])
		}
		z := 0.0
		for i := 0; i < b; i++ {
			z += math.Exp(s[i*b+j] - m)
		}
		lse := m + math.Log(z)
		total += lse - s[j*b+j]
		for i := 0; i < b; i++ {
			ds[i*b+j] += scale * math.Exp(s[i*b+j]-lse)
		}
		ds[j*b+j] -= scale
	}
	return total * scale
}

// jsd returns mean softplus(-s_ii) + mean over i != j of softplus(s_ij)
// and writes its gradient into ds.
func jsd(s []float64, b int, ds []float64) float64 {
	pos := 1 / float64(b)
	neg := 1 / float64(b*(b-1))
	total := 0.0
	for i := 0; i < b; i++ {
		for j := 0; j < b; j++ {
			v := s[i*b+j]
			if i == j {
				total += pos * softplus(-v)
				ds[i*b+j] = -pos * sigmoid(-v)
			} else {
				total += neg * softplus(v)
				ds[i*b+j] = neg * sigmoid(v)
			}
		}
	}
	return total
}

// nwj returns -(mean s_ii - mean over i != j of exp(s_ij - 1)) and writes
// its gradient into ds.
func nwj(s []float64, b int, ds []float64) float64 {
	pos := 1 / float64(b)
	neg := 1 / float64(b*(b-1))
	total := 0.0
	for i := 0; i < b; i++ {
		for j := 0; j < b; j++ {
			v := s[i*b+j]
			if i == j {
				total -= pos * v
				ds[i*b+j] = -pos
			} else {
				e := math.Exp(v - 1)
				total += neg * e
				ds[i*b+j] = neg * e
			}
		}
	}
	return total
}

// softplus returns ln(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
