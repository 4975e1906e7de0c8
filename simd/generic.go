package simd

import "math"

// genericKernels is the portable set. The other levels start as a copy of
// it and replace the fields they implement in assembly.
var genericKernels = Kernels{
	Level:        Generic,
	Dot:          dotGeneric,
	Axpy:         axpyGeneric,
	Scale:        scaleGeneric,
	Add:          addGeneric,
	Sub:          subGeneric,
	Mul:          mulGeneric,
	Sum:          sumGeneric,
	Max:          maxGeneric,
	ExpSum:       expSumGeneric,
	Axpy64:       axpy64Generic,
	AddMul4:      addMul4Generic,
	SubFrom64:    subFrom64Generic,
	Scale64:      scale64Generic,
	PanelDot64:   panelDot64Generic,
	ReLU:         reluGeneric,
	ReLUBackward: reluBackwardGeneric,
	Gemm:         GemmKernel{MR: genericMR, NR: genericNR, Func: gemmGeneric},

	ReLUPool2x2:         reluPool2x2Generic,
	ReLUPool2x2Backward: reluPool2x2BackwardGeneric,
}

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func subGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - y[i]
	}
}

func mulGeneric(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func sumGeneric(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

func reluBackwardGeneric(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

const (
	genericMR = 4
	genericNR = 4
)

func gemmGeneric(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int) {
	checkGemmArgs(genericMR, genericNR, k, a, b, c, ldc)
	// The 16 sums are separate variables rather than an array so that the
	// compiler can keep them in registers.
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := range k {
		ap := a[p*genericMR : p*genericMR+genericMR : p*genericMR+genericMR]
		bp := b[p*genericNR : p*genericNR+genericNR : p*genericNR+genericNR]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [genericMR][genericNR]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range genericMR {
		row := c[i*ldc : i*ldc+genericNR]
		for j := range genericNR {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
