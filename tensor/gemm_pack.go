package tensor

import "github.com/nidim/nidim/simd"

// packA copies rows [i0, i0+rows) and columns [p0, p0+kb) of op(A) into
// dst as panels of mr rows: panel t holds kb groups of mr values, value r
// of group p being op(A)[i0+t*mr+r][p0+p]. Rows past the end of the last
// panel are zero.
func packA(dst []float32, op Op, a []float32, lda, i0, rows, p0, kb, mr int) {
	for t := 0; t*mr < rows; t++ {
		panel := dst[t*kb*mr : (t+1)*kb*mr]
		height := min(mr, rows-t*mr)
		top := i0 + t*mr
		if op == NoTrans {
			// op(A)[i][p] = a[i*lda+p]: a group is a column of the rows.
			simd.PackTransposed(panel, a[top*lda+p0:], lda, height, mr, kb)
			continue
		}
		// op(A)[i][p] = a[p*lda+i]: a group is a contiguous run.
		if height == mr {
			simd.PackGroups(panel, a[p0*lda+top:], lda, mr, kb)
			continue
		}
		for p := range kb {
			group := panel[p*mr : p*mr+mr]
			copy(group, a[(p0+p)*lda+top:(p0+p)*lda+top+height])
			clear(group[height:])
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
		if op == Trans {
			// op(B)[p][j] = b[j*ldb+p]: a group is a column of the rows.
			simd.PackTransposed(panel, b[left*ldb+p0:], ldb, width, nr, kb)
			continue
		}
		// op(B)[p][j] = b[p*ldb+j]: a group is a contiguous run.
		if width == nr {
			simd.PackGroups(panel, b[p0*ldb+left:], ldb, nr, kb)
			continue
		}
		for p := range kb {
			group := panel[p*nr : p*nr+nr]
			copy(group, b[(p0+p)*ldb+left:(p0+p)*ldb+left+width])
			clear(group[width:])
		}
	}
}
