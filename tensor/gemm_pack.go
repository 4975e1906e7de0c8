package tensor

// packBlock is the number of k steps the transposing loops of packA and
// packB handle at a time, so that the groups they write stay in L1.
const packBlock = 64

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
				group := panel[p*mr : p*mr+mr]
				copyGroup(group, a[(p0+p)*lda+top:], height)
			}
			continue
		}
		transposeInto(panel, a[top*lda+p0:], lda, height, mr, kb)
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
				group := panel[p*nr : p*nr+nr]
				copyGroup(group, b[(p0+p)*ldb+left:], width)
			}
			continue
		}
		transposeInto(panel, b[left*ldb+p0:], ldb, width, nr, kb)
	}
}

// copyGroup sets group[:n] from src and zeroes the rest of group. Groups of
// the common tile sizes are copied as arrays, which the compiler turns into
// a few vector moves instead of a call to memmove.
func copyGroup(group, src []float32, n int) {
	if n == len(group) {
		switch n {
		case 32:
			*(*[32]float32)(group) = *(*[32]float32)(src)
			return
		case 16:
			*(*[16]float32)(group) = *(*[16]float32)(src)
			return
		case 12:
			*(*[12]float32)(group) = *(*[12]float32)(src)
			return
		case 8:
			*(*[8]float32)(group) = *(*[8]float32)(src)
			return
		case 6:
			*(*[6]float32)(group) = *(*[6]float32)(src)
			return
		}
	}
	copy(group, src[:n])
	clear(group[n:])
}

// transposeInto fills a panel of kb groups of size width from lines rows
// of src, each kb values long and ld apart: value r of group p is
// src[r*ld+p]. Values r >= lines of every group are zero.
func transposeInto(panel, src []float32, ld, lines, width, kb int) {
	for pb := 0; pb < kb; pb += packBlock {
		n := min(packBlock, kb-pb)
		for r := range lines {
			line := src[r*ld+pb : r*ld+pb+n]
			out := panel[pb*width+r:]
			for p, v := range line {
				out[p*width] = v
			}
		}
		for r := lines; r < width; r++ {
			for p := range n {
				panel[(pb+p)*width+r] = 0
			}
		}
	}
}
