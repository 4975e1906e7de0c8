package simd

import "fmt"

// PanelRows is the number of rows in one group of a panel that
// PackPanel64 writes and PanelDot64 reads.
const PanelRows = 8

// PackPanel64 packs the first rows rows of the row-major matrix x, whose
// rows hold n values each, into a panel for PanelDot64 and returns it. The
// panel holds the rows in groups of PanelRows, each group stored column
// by column: value k of row j is at [(j/8)*8*n + 8*k + j%8]. A last group
// with fewer than 8 rows is padded with zeros. dst is reused when it has
// the capacity.
func PackPanel64(dst, x []float64, rows, n int) []float64 {
	if rows < 0 || n < 0 || len(x) < rows*n {
		panic(fmt.Sprintf("simd: PackPanel64 of %d rows of %d values needs %d values, got %d", rows, n, rows*n, len(x)))
	}
	groups := (rows + PanelRows - 1) / PanelRows
	size := groups * PanelRows * n
	if cap(dst) < size {
		dst = make([]float64, size)
	}
	dst = dst[:size]
	for g := range groups {
		block := dst[g*PanelRows*n : (g+1)*PanelRows*n]
		for c := range PanelRows {
			j := g*PanelRows + c
			if j >= rows {
				for k := range n {
					block[PanelRows*k+c] = 0
				}
				continue
			}
			row := x[j*n : (j+1)*n]
			for k, v := range row {
				block[PanelRows*k+c] = v
			}
		}
	}
	return dst
}

// panelDot64Generic is PanelDot64 in Go, with the rounding of mulAdd64:
// one multiply-add on arm64, the product and the sum separately on amd64.
// It takes each group as two halves of 4 rows, so that the 8 sums stay in
// registers.
func panelDot64Generic(g0, g1, a0, a1, panel []float64) {
	n := len(a0)
	cols := checkPanelDot64(g0, g1, a1, panel, n)
	a1 = a1[:n]
	for h := 0; h < cols; h += 4 {
		g, c := h/PanelRows*PanelRows, h%PanelRows
		block := panel[g*n : (g+PanelRows)*n]
		var s00, s01, s02, s03, s10, s11, s12, s13 float64
		for k := range n {
			u, v := a0[k], a1[k]
			p := block[PanelRows*k+c : PanelRows*k+c+4]
			s00 = mulAdd64(s00, u, p[0])
			s01 = mulAdd64(s01, u, p[1])
			s02 = mulAdd64(s02, u, p[2])
			s03 = mulAdd64(s03, u, p[3])
			s10 = mulAdd64(s10, v, p[0])
			s11 = mulAdd64(s11, v, p[1])
			s12 = mulAdd64(s12, v, p[2])
			s13 = mulAdd64(s13, v, p[3])
		}
		g0[h], g0[h+1], g0[h+2], g0[h+3] = s00, s01, s02, s03
		g1[h], g1[h+1], g1[h+2], g1[h+3] = s10, s11, s12, s13
	}
}

// checkPanelDot64 panics unless the operands of PanelDot64 fit rows of n
// values, and returns len(g0), the number of panel rows to use.
func checkPanelDot64(g0, g1, a1, panel []float64, n int) int {
	cols := len(g0)
	if cols%PanelRows != 0 {
		panic(fmt.Sprintf("simd: PanelDot64 output length %d is not a multiple of %d", cols, PanelRows))
	}
	if len(g1) < cols || len(a1) < n || len(panel) < cols*n {
		panic(fmt.Sprintf("simd: PanelDot64 of %d panel rows of %d values: g1 has %d values (need %d), a1 %d (need %d), panel %d (need %d)",
			cols, n, len(g1), cols, len(a1), n, len(panel), cols*n))
	}
	return cols
}

// panelDot64Groups adapts an assembly PanelDot64 that reads the lengths
// of g0 and a0 only, after checking the other operands as the generic
// code does.
func panelDot64Groups(groups func(g0, g1, a0, a1, panel []float64)) func(g0, g1, a0, a1, panel []float64) {
	return func(g0, g1, a0, a1, panel []float64) {
		n := len(a0)
		cols := checkPanelDot64(g0, g1, a1, panel, n)
		if cols == 0 {
			return
		}
		groups(g0, g1[:cols], a0, a1[:n], panel[:cols*n])
	}
}
