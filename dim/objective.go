package dim

import (
	"fmt"
	"math"
	"sync"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/simd"
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
	// BoundInfoNCERows is the one-sided InfoNCE loss: the mean
	// cross-entropy of the rows only, each first-view embedding picking its
	// partner among the second-view ones. When both views embed alike and
	// only the first gets channel noise, the Euclidean critic at
	// tau = sigma^2 is the channel's log density ratio up to a term in the
	// first view alone, which the row softmax cancels, whatever the
	// distribution of the embeddings. Objective.SelfWeight scales the
	// matching pair's term in each denominator.
	BoundInfoNCERows Bound = "infonce-rows"
	// BoundDV is minus the Donsker-Varadhan bound:
	// -(mean s over matching pairs - ln mean exp(s) over the B(B-1)
	// non-matching pairs). The exponentials are shifted by the largest
	// non-matching score, so their sum lies between 1 and B(B-1) and its
	// logarithm is finite for finite scores. Adding a constant to every
	// score leaves the bound unchanged. With the log density ratio as the
	// critic, its batch value converges to the mutual information as the
	// batch grows. Minus the loss is the DV estimate in nats, but as for
	// jsd and nwj, the MI that training reports is ln B minus the InfoNCE
	// value of the same scores.
	//
	// The gradient is that of the batch value, which makes it a biased
	// estimate of the gradient of the bound. The weights of the
	// non-matching pairs divide by their batch sum of exp(s), and the
	// logarithm of a batch mean is not the logarithm of the expectation.
	// An exponential moving average of that mean across steps, used in
	// the denominator, reduces the bias. nidim keeps none, so each step's
	// gradient depends on its batch alone.
	BoundDV Bound = "dv"
)

// ParseCritic returns the critic called name.
func ParseCritic(name string) (Critic, error) {
	switch c := Critic(name); c {
	case CriticDot, CriticCosine, CriticEuclidean:
		return c, nil
	}
	return "", fmt.Errorf("dim: unknown critic %q; use dot, cosine or euclidean", name)
}

// boundNames lists the valid bound names for error messages.
const boundNames = "infonce, infonce-rows, jsd, nwj or dv"

// ParseBound returns the bound called name.
func ParseBound(name string) (Bound, error) {
	switch b := Bound(name); b {
	case BoundInfoNCE, BoundJSD, BoundNWJ, BoundDV, BoundInfoNCERows:
		return b, nil
	}
	return "", fmt.Errorf("dim: unknown loss %q; use %s", name, boundNames)
}

// Objective evaluates a bound on a batch of embedding pairs and its exact
// gradient. Row i of the first batch and row i of the second are the two
// views of input i; every other pair is a negative. The arithmetic is in
// float64, and the B x B work is split over nn.Threads goroutines by rows
// and by columns, so the result does not depend on the thread count. An
// Objective keeps its work buffers between calls, so it is not safe for
// concurrent use.
type Objective struct {
	Critic Critic
	Bound  Bound
	// LogTau is the natural logarithm of the critic temperature.
	LogTau float64
	// SelfWeight multiplies the matching pair's term in the denominators
	// of infonce-rows: 1 is InfoNCE, 0 leaves the pair out, and 1/2
	// removes the batch's leading bias. With the Euclidean critic at the
	// channel's variance, let k(y, z) be the exponential of the score,
	// q(y) = E k(y, z) and m(y) = E k(y, z)^2 over the embeddings z. Row
	// i's denominator is W K + S, with K the pair's own term, whose mean
	// given the anchor y is m/q, and S the sum over the B-1 other rows,
	// which are independent of y. Expanding the logarithm to second order,
	//
	//	E log(W K + S) = log((B-1) q) + (W m/q^2 - m/(2 q^2) + 1/2)/(B-1),
	//
	// where -m/(2 q^2) is Jensen's bias of the logarithm of S and W m/q^2
	// the pair's. At W = 1/2 they cancel for every y and every
	// distribution, leaving a constant. Otherwise the bias grows in the
	// tails, where q is small: W = 1 pulls the tails in, W = 0 pushes them
	// out. The expansion needs many rows within reach of the anchor, so a
	// larger batch still helps in the far tails.
	SelfWeight float64

	a, b   []float64 // the two batches, normalized for the cosine critic
	na, nb []float64 // row norms for the cosine critic
	// The batches again, transposed to d x B, so that the loops over the
	// B x B scores run over contiguous memory, and half the squared row
	// lengths for the Euclidean critic.
	aT, bT []float64
	ha, hb []float64
	// B x B scores and their gradient, for every bound but infonce-rows,
	// which computes scores again where it needs them (objective_rows.go).
	s, ds []float64
	// e holds exp(S_ij - m_i), with m_i the maximum of row i (B x B, not
	// for infonce-rows). rowScale holds exp(m_i - M), with M the largest
	// score, so that e_ij rowScale_i is exp(S_ij - M), the shifted term of
	// the column sums.
	e, rowMax, rowScale []float64
	maxScore            float64
	// Per row and per column of the scores: the InfoNCE terms, the rows'
	// terms of infonce-rows, the column sums, and the sums over the
	// gradient.
	rowTerm, colTerm []float64
	rowLoss          []float64
	colSum           []float64
	gsum             []float64
	// The sums over the other batch of dS times its rows, d x B like aT,
	// and the row and column sums of dS.
	g1, g2       []float64
	dsRow, dsCol []float64
	// For infonce-rows, per row: the softmax factor, the pair's weighted
	// term, the pair's score S_ii, and the whole gradient row when the row
	// was summed again with its own maximum (nil otherwise, and rare).
	rowF, rowSelf, diag []float64
	exactRows           [][]float64
	// For dv: the largest non-matching score or the sum of the shifted
	// exponentials of each row, the shift, and the inverse of the sum.
	dvRow            []float64
	dvShift, dvScale float64
	// Buffers of length 2B + d for the passes of infonce-rows, one per
	// running chunk, kept between calls.
	scratchMu   sync.Mutex
	scratchFree [][]float64

	// The batch being evaluated, read by the parallel passes.
	n, dim   int
	tau      float64
	par      nn.Loop
	passRows func(lo, hi int)
	passCols func(lo, hi int)
	backRows func(lo, hi int)
	backCols func(lo, hi int)
	rowsPass func(lo, hi int)
	rowsCols func(lo, hi int)
	// The parallel passes of dv.
	dvMaxRows, dvExpRows, dvGradRows func(lo, hi int)
	// Whether the passes of infonce-rows compute the gradient.
	withGrad bool
	kern     *simd.Kernels
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

// Rows and columns per chunk of the parallel passes over the B x B scores.
const objectiveGrain = 16

// Evaluate computes the bound for the b x d row-major batches y1 and y2.
// When dy1 and dy2 are not nil, it overwrites them with the gradient of
// Loss with respect to y1 and y2.
func (o *Objective) Evaluate(y1, y2 []float32, b, d int, dy1, dy2 []float32) (Value, error) {
	if err := o.check(y1, y2, b, d, dy1, dy2); err != nil {
		return Value{}, err
	}
	o.grow(b, d)
	o.n, o.dim, o.tau = b, d, math.Exp(o.LogTau)
	o.kern = simd.Active()
	for i := range o.a {
		o.a[i] = float64(y1[i])
		o.b[i] = float64(y2[i])
	}
	if o.Critic == CriticCosine {
		normalizeRows(o.a, o.na, b, d)
		normalizeRows(o.b, o.nb, b, d)
	}
	for i := range b {
		sa, sb := 0.0, 0.0
		for k := range d {
			x, y := o.a[i*d+k], o.b[i*d+k]
			o.aT[k*b+i], o.bT[k*b+i] = x, y
			sa += x * x
			sb += y * y
		}
		o.ha[i], o.hb[i] = sa/2, sb/2
	}

	if o.Bound == BoundInfoNCERows {
		return o.evaluateRows(dy1, dy2), nil
	}

	// The InfoNCE value is computed for every bound because it gives the
	// MI estimate. The row pass writes the scores, the row terms and the
	// row half of the InfoNCE gradient; the column pass adds the other
	// half.
	o.par.Run(b, objectiveGrain, o.passRows)
	o.setRowScale()
	o.par.Run(b, objectiveGrain, o.passCols)
	nce := 0.0
	for i := range b {
		nce += o.rowTerm[i] + o.colTerm[i]
	}
	nce *= 0.5 / float64(b)
	v := Value{InfoNCE: nce, MI: math.Log(float64(b)) - nce}
	switch o.Bound {
	case BoundInfoNCE:
		v.Loss = nce
	case BoundJSD:
		v.Loss = jsd(o.s, b, o.ds)
	case BoundNWJ:
		v.Loss = nwj(o.s, b, o.ds)
	case BoundDV:
		v.Loss = o.dv()
	}

	// Every critic is proportional to 1/tau, so dS/dLogTau = -S. The
	// backward row pass sums ds*s per row; without gradients it is summed
	// here.
	if dy1 != nil {
		o.par.Run(b, objectiveGrain, o.backRows)
		o.par.Run(b, objectiveGrain, o.backCols)
		for i := range b {
			v.DLogTau -= o.gsum[i]
		}
		o.write(o.g1, o.a, o.na, o.dsRow, dy1)
		o.write(o.g2, o.b, o.nb, o.dsCol, dy2)
	} else {
		for i, g := range o.ds {
			v.DLogTau -= g * o.s[i]
		}
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
	case BoundInfoNCE, BoundJSD, BoundNWJ, BoundDV, BoundInfoNCERows:
	default:
		return fmt.Errorf("dim: unknown loss %q; use %s", o.Bound, boundNames)
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
	if o.Bound != BoundInfoNCERows {
		o.s, o.e, o.ds = resize(o.s, b*b), resize(o.e, b*b), resize(o.ds, b*b)
	} else {
		o.rowF, o.rowSelf, o.diag = resize(o.rowF, b), resize(o.rowSelf, b), resize(o.diag, b)
		if cap(o.exactRows) < b {
			o.exactRows = make([][]float64, b)
		}
		o.exactRows = o.exactRows[:b]
	}
	for _, buf := range []*[]float64{&o.a, &o.b, &o.aT, &o.bT, &o.g1, &o.g2} {
		*buf = resize(*buf, b*d)
	}
	for _, buf := range []*[]float64{&o.na, &o.nb, &o.ha, &o.hb, &o.rowScale, &o.rowMax, &o.rowTerm,
		&o.rowLoss, &o.colTerm, &o.colSum, &o.gsum, &o.dsRow, &o.dsCol, &o.dvRow} {
		*buf = resize(*buf, b)
	}
	if o.passRows == nil {
		o.passRows, o.passCols = o.scoreRows, o.softmaxCols
		o.backRows, o.backCols = o.sumRows, o.sumCols
		o.rowsPass, o.rowsCols = o.streamRows, o.streamCols
		o.dvMaxRows, o.dvExpRows, o.dvGradRows = o.offDiagonalMax, o.offDiagonalExp, o.dvGradient
	}
}

// setRowScale sets maxScore, the largest score, from the row maxima, and
// rowScale to exp(m_i - maxScore), for the column passes.
func (o *Objective) setRowScale() {
	o.maxScore = math.Inf(-1)
	for _, m := range o.rowMax {
		o.maxScore = max(o.maxScore, m)
	}
	for i, m := range o.rowMax {
		o.rowScale[i] = math.Exp(m - o.maxScore)
	}
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// scoreRows fills rows [lo, hi) of o.s with S_ij = s(y1_i, y2_j), o.e with
// exp(S_ij - m_i) and o.rowMax with m_i, the row maximum. It stores each
// row's InfoNCE term lse_i - S_ii in o.rowTerm and writes the row half of
// the symmetric InfoNCE gradient, (softmax(S_i)_j - [i = j]) / (2B), into
// o.ds.
func (o *Objective) scoreRows(lo, hi int) {
	b := o.n
	scale := 0.5 / float64(b)
	expSum := o.kern.ExpSum
	for i := lo; i < hi; i++ {
		row := o.s[i*b : (i+1)*b]
		o.scoreSegment(i, 0, b, row)
		m := rowMax(row)
		e := o.e[i*b : (i+1)*b]
		z := expSum(e, row, m)
		o.rowMax[i] = m
		o.rowTerm[i] = m + math.Log(z) - row[i]
		grad := o.ds[i*b : (i+1)*b]
		f := scale / z
		for j, v := range e {
			grad[j] = f * v
		}
		grad[i] -= scale
	}
}

// scoreSegment writes S_ij for j in [lo, hi) to dst: <a_i, b_j>/tau, less
// (|a_i|^2 + |b_j|^2)/(2 tau) for the Euclidean critic, added four
// components per pass over dst. Each score comes out the same, bit for bit,
// whatever segment it is computed in, so passes that compute scores
// again agree with the first.
func (o *Objective) scoreSegment(i, lo, hi int, dst []float64) {
	b, d := o.n, o.dim
	dst = dst[:hi-lo]
	if o.Critic == CriticEuclidean {
		o.kern.SubFrom64(dst, -o.ha[i], o.hb[lo:hi])
	} else {
		clear(dst)
	}
	ai := o.a[i*d : (i+1)*d]
	k := 0
	for ; k+4 <= d; k += 4 {
		o.kern.AddMul4(dst, ai[k:k+4], o.bT[k*b+lo:], b)
	}
	for ; k < d; k++ {
		o.kern.Axpy64(ai[k], o.bT[k*b+lo:k*b+hi], dst)
	}
	o.kern.Scale64(1/o.tau, dst)
}

// rowMax returns the largest of row, ignoring NaN. It compares instead of
// calling the max builtin, which orders NaN and signed zeros at the cost
// of a dependent chain of several instructions. A NaN score still ends as
// a NaN loss through the exponentials.
func rowMax(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		if v > m {
			m = v
		}
	}
	return m
}

// colUnderflow is the smallest shifted column sum that softmaxCols
// trusts; below it the column is summed again with its own maximum.
const colUnderflow = 1e-200

// softmaxCols stores the InfoNCE term of each column in [lo, hi) in
// o.colTerm and adds the column half of the symmetric InfoNCE gradient to
// o.ds.
// Column sums reuse the row exponentials: e_ij rowScale_i = exp(S_ij - M),
// with M the largest score, so no exponential is computed again unless a
// column lies so far below M that its sum underflows. The rows are walked
// in order so that every access is contiguous.
func (o *Objective) softmaxCols(lo, hi int) {
	b := o.n
	scale := 0.5 / float64(b)
	csum := o.colSum[lo:hi]
	clear(csum)
	for i := range b {
		r := o.rowScale[i]
		for j, v := range o.e[i*b+lo : i*b+hi] {
			csum[j] += v * r
		}
	}
	for j := lo; j < hi; j++ {
		if csum[j-lo] < colUnderflow {
			o.exactColumn(j)
			continue
		}
		o.colTerm[j] = o.maxScore + math.Log(csum[j-lo]) - o.s[j*b+j]
		// From here on colSum holds the factor that turns e_ij rowScale_i
		// into the column's softmax, times the gradient's scale.
		csum[j-lo] = scale / csum[j-lo]
	}
	for i := range b {
		r := o.rowScale[i]
		grad := o.ds[i*b+lo : i*b+hi]
		for j, v := range o.e[i*b+lo : i*b+hi] {
			if f := csum[j]; f > 0 {
				grad[j] += f * v * r
			}
		}
	}
	for j := lo; j < hi; j++ {
		o.ds[j*b+j] -= scale
	}
}

// exactColumn adds the column half of the gradient for column j with the
// column's own maximum as the shift, sets its term, and marks colSum[j]
// as done by setting it to 0.
func (o *Objective) exactColumn(j int) {
	b := o.n
	scale := 0.5 / float64(b)
	m := math.Inf(-1)
	for i := range b {
		m = max(m, o.s[i*b+j])
	}
	z := 0.0
	for i := range b {
		z += math.Exp(o.s[i*b+j] - m)
	}
	lse := m + math.Log(z)
	o.colTerm[j] = lse - o.s[j*b+j]
	o.colSum[j] = 0
	for i := range b {
		o.ds[i*b+j] += scale * math.Exp(o.s[i*b+j]-lse)
	}
}

// sumRows computes, for rows i in [lo, hi), g1_i = sum_j dS_ij z2_j where
// z2 is the second batch as used in the scores, the row sum of dS, and
// o.gsum[i] = sum_j dS_ij S_ij for the temperature's derivative.
func (o *Objective) sumRows(lo, hi int) {
	b, d := o.n, o.dim
	for i := lo; i < hi; i++ {
		w := o.ds[i*b : (i+1)*b]
		row := o.s[i*b : (i+1)*b]
		row = row[:len(w)]
		sum, wsum := 0.0, 0.0
		for j, v := range w {
			sum += v * row[j]
			wsum += v
		}
		o.gsum[i] = sum
		o.dsRow[i] = wsum
		dotRows(o.g1[i:], b, d, w, o.bT)
	}
}

// sumCols computes g2_j = sum_i dS_ij z1_i and the column sum of dS for
// columns j in [lo, hi). It walks the rows of dS in order and adds each
// row's piece of those columns to the sums, so that every access is
// contiguous and each column is summed over i in order.
func (o *Objective) sumCols(lo, hi int) {
	b, d := o.n, o.dim
	wsum := o.dsCol[lo:hi]
	clear(wsum)
	for k := range d {
		clear(o.g2[k*b+lo : k*b+hi])
	}
	for i := range b {
		w := o.ds[i*b+lo : i*b+hi]
		for j, v := range w {
			wsum[j] += v
		}
		o.scatterRows(o.g2[lo:], b, o.a[i*d:(i+1)*d], w)
	}
}

// scatterRows adds x[k] w[j] to out[k*stride+j] for every component k of
// x and j < len(w).
func (o *Objective) scatterRows(out []float64, stride int, x, w []float64) {
	for k, v := range x {
		o.kern.Axpy64(v, w, out[k*stride:])
	}
}

// dotRows writes the dot products of w with the d rows of the d x B matrix
// m to out[0], out[B], out[2 B] and so on, four rows per pass.
func dotRows(out []float64, b, d int, w, m []float64) {
	k := 0
	for ; k+4 <= d; k += 4 {
		dots4(out[k*b:], b, w, m[k*b:(k+4)*b])
	}
	for ; k < d; k++ {
		dots4(out[k*b:], b, w, m[k*b:(k+1)*b])
	}
}

// dots4 writes the dot products of w with each of the len(m)/len(w) rows
// of m to out[0], out[stride], out[2 stride] and so on.
func dots4(out []float64, stride int, w, m []float64) {
	n := len(w)
	switch len(m) / n {
	case 4:
		m0, m1, m2, m3 := m[:n], m[n:2*n], m[2*n:3*n], m[3*n:4*n]
		var s0, s1, s2, s3 float64
		for j, v := range w {
			s0 += v * m0[j]
			s1 += v * m1[j]
			s2 += v * m2[j]
			s3 += v * m3[j]
		}
		out[0], out[stride], out[2*stride], out[3*stride] = s0, s1, s2, s3
	case 1:
		m0 := m[:n]
		s0 := 0.0
		for j, v := range w {
			s0 += v * m0[j]
		}
		out[0] = s0
	default:
		panic("dim: dots4 takes 1 or 4 rows")
	}
}

// write turns the sums g (d x B: g[k*B+i] = sum over the other batch of
// dS times component k) and the sums of dS into the gradient with respect
// to the batch self, as used in the scores, and stores it in out.
func (o *Objective) write(g, self, norms, sums []float64, out []float32) {
	b, d := o.n, o.dim
	for i := range b {
		x, dst := self[i*d:(i+1)*d], out[i*d:(i+1)*d]
		switch o.Critic {
		case CriticDot:
			for k := range dst {
				dst[k] = float32(g[k*b+i] / o.tau)
			}
		case CriticEuclidean:
			// d/dx of -||x - z||^2/(2 tau) is (z - x)/tau, so the row or
			// column sum of dS multiplies x.
			for k := range dst {
				dst[k] = float32((g[k*b+i] - sums[i]*x[k]) / o.tau)
			}
		case CriticCosine:
			// x is the unit vector u = y/|y|; du/dy projects out u and
			// divides by |y|.
			dot := 0.0
			for k := range x {
				dot += g[k*b+i] * x[k]
			}
			n := norms[i]
			for k := range dst {
				dst[k] = float32((g[k*b+i] - dot*x[k]) / (o.tau * n))
			}
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

// dv returns -(mean s_ii - ln mean over i != j of exp(s_ij)) and writes
// its gradient into o.ds: -1/B on the diagonal and the softmax weight
// exp(s_ij) / sum over k != l of exp(s_kl) elsewhere. The passes run over
// rows in parallel, each row's result independent of the chunks, and the
// row sums are added in row order, so the value does not depend on the
// thread count. The exponentials come from ExpSum, which returns the same
// bits on every SIMD level.
func (o *Objective) dv() float64 {
	b := o.n
	o.par.Run(b, objectiveGrain, o.dvMaxRows)
	o.dvShift = math.Inf(-1)
	pos := 0.0
	for i := range b {
		o.dvShift = max(o.dvShift, o.dvRow[i])
		pos += o.s[i*b+i]
	}
	pos /= float64(b)

	o.par.Run(b, objectiveGrain, o.dvExpRows)
	sum := 0.0
	for _, v := range o.dvRow {
		sum += v
	}
	o.dvScale = 1 / sum
	o.par.Run(b, objectiveGrain, o.dvGradRows)
	lme := o.dvShift + math.Log(sum) - math.Log(float64(b)*float64(b-1))
	return lme - pos
}

// offDiagonalMax stores the largest non-matching score of each row in
// [lo, hi) in o.dvRow.
func (o *Objective) offDiagonalMax(lo, hi int) {
	b := o.n
	for i := lo; i < hi; i++ {
		m := math.Inf(-1)
		for j, v := range o.s[i*b : (i+1)*b] {
			if j != i && v > m {
				m = v
			}
		}
		o.dvRow[i] = m
	}
}

// offDiagonalExp writes exp(s_ij - o.dvShift) for j != i to o.ds and stores
// their sum in o.dvRow, for each row i in [lo, hi).
func (o *Objective) offDiagonalExp(lo, hi int) {
	b := o.n
	for i := lo; i < hi; i++ {
		row, grad := o.s[i*b:(i+1)*b], o.ds[i*b:(i+1)*b]
		o.dvRow[i] = o.kern.ExpSum(grad[:i], row[:i], o.dvShift) + o.kern.ExpSum(grad[i+1:], row[i+1:], o.dvShift)
	}
}

// dvGradient turns the exponentials of rows [lo, hi) of o.ds into the
// gradient of the DV loss.
func (o *Objective) dvGradient(lo, hi int) {
	b := o.n
	o.kern.Scale64(o.dvScale, o.ds[lo*b:hi*b])
	for i := lo; i < hi; i++ {
		o.ds[i*b+i] = -1 / float64(b)
	}
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
