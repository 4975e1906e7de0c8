package dim

import "math"

// The one-sided InfoNCE loss (infonce-rows) runs at the match recipe's
// batch of 4096, where the B x B scores and their exponentials would take
// 134 MB each, and every pass over them would wait on memory. Its passes
// compute the scores again from the d-dimensional embeddings wherever
// they need them, at d multiply-adds and one exponential per entry, and
// keep only vectors of length B. scoreSegment and ExpSum give the same
// bits for an entry whatever segment it is computed in, so the passes
// agree with each other.

// evaluateRows computes infonce-rows once Evaluate has set up the batches.
// The row pass sets each row's terms and the row sums of the gradient.
// The column pass then sets the columns' InfoNCE terms and the column
// sums.
func (o *Objective) evaluateRows(dy1, dy2 []float32) Value {
	b := o.n
	o.withGrad = dy1 != nil
	o.par.Run(b, objectiveGrain, o.rowsPass)
	o.setRowScale()
	o.par.Run(b, objectiveGrain, o.rowsCols)

	nce, loss := 0.0, 0.0
	for i := range b {
		nce += o.rowTerm[i] + o.colTerm[i]
		loss += o.rowLoss[i]
	}
	nce *= 0.5 / float64(b)
	v := Value{Loss: loss / float64(b), InfoNCE: nce, MI: math.Log(float64(b)) - nce}
	// Every critic is proportional to 1/tau, so dS/dLogTau = -S.
	for _, g := range o.gsum {
		v.DLogTau -= g
	}
	if o.withGrad {
		o.write(o.g1, o.a, o.na, o.dsRow, dy1)
		o.write(o.g2, o.b, o.nb, o.dsCol, dy2)
	}
	return v
}

// streamRows runs the row pass of infonce-rows on rows [lo, hi): the
// scores and exponentials of each row, its terms (rowsTerm), and its sums
// of the gradient (sumRow).
func (o *Objective) streamRows(lo, hi int) {
	b := o.n
	buf := o.takeScratch()
	defer o.putScratch(buf)
	row, e := buf[:b], buf[b:2*b]
	expSum := o.kern.ExpSum
	for i := lo; i < hi; i++ {
		o.scoreSegment(i, 0, b, row)
		m := rowMax(row)
		// The other rows' terms are summed apart from the pair's.
		others := expSum(e[:i], row[:i], m) + expSum(e[i+1:], row[i+1:], m)
		z := others + expSum(e[i:i+1], row[i:i+1], m)
		o.rowMax[i], o.diag[i] = m, row[i]
		o.rowTerm[i] = m + math.Log(z) - row[i]
		o.rowsTerm(i, row, e, m, others)
		o.sumRow(i, row, e)
	}
}

// rowsTerm sets row i's loss of infonce-rows and the factors that form
// its gradient, the softmax over the denominator terms divided by B.
// others is the sum over the other rows, which streamRows takes apart
// from the pair's own term, because subtracting that term from the full
// sum loses every digit when it dominates. When the pair is left out and
// the others underflow against the row maximum m, they are summed again
// with their own maximum, and that row's gradient is stored whole.
func (o *Objective) rowsTerm(i int, row, e []float64, m, others float64) {
	b := float64(len(row))
	self := e[i] * o.SelfWeight
	var exact []float64
	if others < colUnderflow && self == 0 {
		m = math.Inf(-1)
		for j, v := range row {
			if j != i && v > m {
				m = v
			}
		}
		exact = make([]float64, len(row))
		others = 0
		for j, v := range row {
			if j != i {
				exact[j] = math.Exp(v - m)
				others += exact[j]
			}
		}
	}
	zw := others + self
	o.rowLoss[i] = m + math.Log(zw) - row[i]
	f := 1 / (b * zw)
	o.rowF[i], o.rowSelf[i] = f, self
	if exact != nil {
		for j, v := range exact {
			exact[j] = v * f
		}
		exact[i] = self*f - 1/b
	}
	o.exactRows[i] = exact
}

// diagGrad returns dS_ii, the gradient entry of row i's own pair, for a
// row without a stored gradient.
func (o *Objective) diagGrad(i int) float64 {
	return o.rowSelf[i]*o.rowF[i] - 1/float64(o.n)
}

// sumRow sets o.gsum[i] = sum_j dS_ij S_ij and, with gradients, the row
// sum of dS and g1_i = sum_j dS_ij z2_j, from row i's scores and
// exponentials e. Off the diagonal dS_ij is rowF[i] e_ij, so the sums run
// over e with the pair's entry set to 0 and are scaled once, and the
// pair's entry is added apart. It overwrites e[i].
func (o *Objective) sumRow(i int, row, e []float64) {
	b, d := o.n, o.dim
	if w := o.exactRows[i]; w != nil {
		sum, wsum := 0.0, 0.0
		for j, v := range w {
			sum += v * row[j]
			wsum += v
		}
		o.gsum[i] = sum
		if o.withGrad {
			o.dsRow[i] = wsum
			dotRows(o.g1[i:], b, d, w, o.bT)
		}
		return
	}

	f, wi := o.rowF[i], o.diagGrad(i)
	e[i] = 0
	row = row[:len(e)]
	sum, esum := 0.0, 0.0
	for j, v := range e {
		sum += v * row[j]
		esum += v
	}
	o.gsum[i] = f*sum + wi*row[i]
	if !o.withGrad {
		return
	}

	o.dsRow[i] = f*esum + wi
	dotRows(o.g1[i:], b, d, e, o.bT)
	for k := range d {
		o.g1[k*b+i] = f*o.g1[k*b+i] + wi*o.bT[k*b+i]
	}
}

// streamCols runs the column pass of infonce-rows on columns [lo, hi). It
// walks the rows in order, computes their scores and exponentials in
// those columns again, and adds them to the column sums: the softmax
// denominators of the symmetric InfoNCE value and, with gradients, the
// column sums of dS and g2_j = sum_i dS_ij z1_i. Each column is thus
// summed over i in order, whatever the chunks.
func (o *Objective) streamCols(lo, hi int) {
	b, d := o.n, o.dim
	buf := o.takeScratch()
	defer o.putScratch(buf)
	seg, e, af := buf[:hi-lo], buf[b:b+hi-lo], buf[2*b:2*b+d]
	csum := o.colSum[lo:hi]
	clear(csum)
	if o.withGrad {
		clear(o.dsCol[lo:hi])
		for k := range d {
			clear(o.g2[k*b+lo : k*b+hi])
		}
	}
	expSum := o.kern.ExpSum
	for i := range b {
		o.scoreSegment(i, lo, hi, seg)
		expSum(e, seg, o.rowMax[i])
		r := o.rowScale[i] // e_ij r is exp(S_ij - M), with M the largest score
		for j, v := range e {
			csum[j] += v * r
		}
		if o.withGrad {
			o.scatterRow(i, lo, hi, e, af)
		}
	}
	for j := lo; j < hi; j++ {
		if csum[j-lo] < colUnderflow {
			o.colTerm[j] = o.exactColumnTerm(j)
			continue
		}
		o.colTerm[j] = o.maxScore + math.Log(csum[j-lo]) - o.diag[j]
	}
}

// scatterRow adds row i's gradient in columns [lo, hi) to the column sums
// of dS and to g2, given the row's exponentials e in those columns. af is
// a buffer of d values.
func (o *Objective) scatterRow(i, lo, hi int, e, af []float64) {
	b, d := o.n, o.dim
	ai := o.a[i*d : (i+1)*d]
	if w := o.exactRows[i]; w != nil {
		w = w[lo:hi]
		sums := o.dsCol[lo:hi]
		for j, v := range w {
			sums[j] += v
		}
		o.scatterRows(o.g2[lo:], b, ai, w)
		return
	}
	// Off the diagonal dS_ij = f e_ij: scale z1_i by f instead of the row.
	f := o.rowF[i]
	for k, v := range ai {
		af[k] = v * f
	}
	o.scatterScaled(lo, lo, min(hi, i), e, f, af)
	o.scatterScaled(lo, max(lo, i+1), hi, e, f, af)
	if lo <= i && i < hi {
		wi := o.diagGrad(i)
		o.dsCol[i] += wi
		for k, v := range ai {
			o.g2[k*b+i] += v * wi
		}
	}
}

// scatterScaled adds f e_j to the column sums of dS and x[k] e_j to g2 for
// the columns j in [j0, j1), where e starts at column lo.
func (o *Objective) scatterScaled(lo, j0, j1 int, e []float64, f float64, x []float64) {
	if j0 >= j1 {
		return
	}
	seg := e[j0-lo : j1-lo]
	sums := o.dsCol[j0:j1]
	for j, v := range seg {
		sums[j] += f * v
	}
	o.scatterRows(o.g2[j0:], o.n, x, seg)
}

// exactColumnTerm returns column j's InfoNCE term with the column's own
// maximum as the shift, for a column whose sum underflows against the
// largest score.
func (o *Objective) exactColumnTerm(j int) float64 {
	var s [1]float64
	m := math.Inf(-1)
	for i := range o.n {
		o.scoreSegment(i, j, j+1, s[:])
		m = max(m, s[0])
	}
	z := 0.0
	for i := range o.n {
		o.scoreSegment(i, j, j+1, s[:])
		z += math.Exp(s[0] - m)
	}
	return m + math.Log(z) - o.diag[j]
}

// takeScratch returns a buffer of length 2B + d for one chunk of a pass.
// putScratch gives it back for the next chunk or call.
func (o *Objective) takeScratch() []float64 {
	size := 2*o.n + o.dim
	o.scratchMu.Lock()
	defer o.scratchMu.Unlock()
	for len(o.scratchFree) > 0 {
		w := o.scratchFree[len(o.scratchFree)-1]
		o.scratchFree = o.scratchFree[:len(o.scratchFree)-1]
		if len(w) == size {
			return w
		}
	}
	return make([]float64, size)
}

func (o *Objective) putScratch(w []float64) {
	o.scratchMu.Lock()
	o.scratchFree = append(o.scratchFree, w)
	o.scratchMu.Unlock()
}
