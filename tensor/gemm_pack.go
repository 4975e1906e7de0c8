package tensor

// packA copies rows [i0, i0+rows) and columns [p0, p0+kb) of op(A) into
// dst as panels of mr rows: panel t holds kb groups of mr values, value r
// of group p being op(A)[i0+t*mr+r][p0+p]. Rows past the end of the last
// panel are zero.
func packA(dst []float32, op Op, a []float32, lda, i0, rows, p0, kb, mr int) {
	for t := 0; t*mr < rows; t++ {
		panel := dst[t*kb*mr : (t+1)*kb*mr]
		height := min(mr, rows-t*mr)
		top := i0 + t*mr
		if op == Trans {
			// op(A)[i][p] = a[p*lda+i]: each group is a contiguous run.
			for p := range kb {
				src := a[(p0+p)*lda+top : (p0+p)*lda+top+height]
				group := panel[p*mr : p*mr+mr]
				copy(group, src)
				clear(group[height:])
			}
			continue
		}
		for r := range height {
			src := a[(top+r)*lda+p0 : (top+r)*lda+p0+kb]
			for p, v := range src {
				panel[p*mr+r] = v
			}
		}
		for r := height; r < mr; r++ {
			for p := range kb {
				panel[p*mr+r] = 0
			}
		}
	}
}

// packB copies rows [p0, p0+kb) and the columns of panels [first, last) of
// op(B), counted from column j0, into dst as panels of nr columns: panel q
// holds kb groups of nr values, value c of group p being
// op(B)[p0+p][j0+q*nr+c]. Columns at or past j0+cols are zero.
func packB(dst []float32, op Op, b []float32, ldb, j0, cols, p0, kb, nr, first, last int) {
	for q := first; q < last; q++ {
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		width := min(nr, cols-q*nr)
		left := j0 + q*nr
		if op == NoTrans {
			// op(B)[p][j] = b[p*ldb+j]: each group is a contiguous run.
			for p := range kb {
				src := b[(p0+p)*ldb+left : (p0+p)*ldb+left+width]
				group := panel[p*nr : p*nr+nr]
				copy(group, src)
				clear(group[width:])
			}
			continue
		}
		for c := range width {
			src := b[(left+c)*ldb+p0 : (left+c)*ldb+p0+kb]
			for p, v := range src {
				panel[p*nr+c] = v
			}
		}
		for c := width; c < nr; c++ {
			for p := range kb {
				panel[p*nr+c] = 0
			}
		}
	}
}
