package simd

// PackGroups copies n groups of width values, ld apart in src, into dst
// one after another: dst[p*width+c] = src[p*ld+c] for p < n and c < width.
// GEMM drivers use it to pack a panel whose groups are rows of the source.
// It panics when a slice is too short or ld < width.
func PackGroups(dst, src []float32, ld, width, n int) {
	if n <= 0 || width <= 0 {
		return
	}
	if ld < width || len(dst) < n*width || len(src) < (n-1)*ld+width {
		panic("simd: PackGroups called with a slice too short or ld smaller than width")
	}
	if packAsm {
		packGroupsSSE(&dst[0], &src[0], ld, width, n)
		return
	}
	for p := range n {
		copy(dst[p*width:p*width+width], src[p*ld:p*ld+width])
	}
}

// PackTransposed fills n groups of width values from lines rows of src,
// each at least n values long and ld apart: dst[p*width+r] = src[r*ld+p]
// for p < n and r < lines, and dst[p*width+r] = 0 for lines <= r < width.
// GEMM drivers use it to pack a panel whose groups are columns of the
// source. It panics when a slice is too short, lines > width or ld < n.
func PackTransposed(dst, src []float32, ld, lines, width, n int) {
	if n <= 0 || width <= 0 {
		return
	}
	if lines > width || len(dst) < n*width || (lines > 0 && (ld < n || len(src) < (lines-1)*ld+n)) {
		panic("simd: PackTransposed called with a slice too short, lines > width or ld < n")
	}
	lines4, n4 := 0, 0
	if packAsm {
		lines4, n4 = lines&^3, n&^3
		done := 0 // rows the 8 x 8 blocks handled for k steps below n4
		if lines8, n8 := lines&^7, n&^7; packAVX && lines8 > 0 && n8 > 0 {
			transpose8AVX(&dst[0], &src[0], ld, width, lines8, n8)
			if n4 > n8 {
				transpose4SSE(&dst[n8*width], &src[n8], ld, width, lines8, n4-n8)
			}
			done = lines8
		}
		if lines4 > done && n4 > 0 {
			transpose4SSE(&dst[done], &src[done*ld], ld, width, lines4-done, n4)
		}
	}
	// The assembly did rows below lines4 for k steps below n4.
	for r := range lines4 {
		for p := n4; p < n; p++ {
			dst[p*width+r] = src[r*ld+p]
		}
	}
	for r := lines4; r < lines; r++ {
		row := src[r*ld : r*ld+n]
		for p, v := range row {
			dst[p*width+r] = v
		}
	}
	for p := range n {
		clear(dst[p*width+lines : p*width+width])
	}
}
