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
	ReLU:         reluGeneric,
	ReLUBackward: reluBackwardGeneric,
	Gemm:         GemmKernel{MR: genericMR, NR: genericNR, Func: gemmGeneric},
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
	var acc [genericMR][genericNR]float32
	a, b = a[:k*genericMR], b[:k*genericNR]
	for p := 0; p < k; p++ {
		ap := a[p*genericMR : p*genericMR+genericMR]
		bp := b[p*genericNR : p*genericNR+genericNR]
		for i := range genericMR {
			ai := ap[i]
			for j := range genericNR {
				acc[i][j] += ai * bp[j]
			}
		}
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
