package simd

// Float64 kernels for the contrastive objective of package dim, which
// computes in float64. Every level rounds each product and each sum
// separately, in the order of the generic code, so all levels return the
// same bits. The generic code converts each product to float64 before
// adding it, which keeps compilers for FMA machines (arm64) from fusing
// the two. The assembly handles whole blocks of 8 elements and the Go
// wrappers the last 0 to 7.

func axpy64Generic(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float64(alpha * v)
	}
}

func subFrom64Generic(dst []float64, c float64, h []float64) {
	h = h[:len(dst)]
	for i, v := range h {
		dst[i] = c - v
	}
}

func scale64Generic(alpha float64, x []float64) {
	for i, v := range x {
		x[i] = v * alpha
	}
}

func addMul4Generic(dst, x, m []float64, stride int) {
	n := len(dst)
	m0, m1, m2, m3 := m[:n], m[stride:stride+n], m[2*stride:2*stride+n], m[3*stride:3*stride+n]
	x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
	for j := range dst {
		t := float64(x0*m0[j]) + float64(x1*m1[j])
		t += float64(x2 * m2[j])
		t += float64(x3 * m3[j])
		dst[j] += t
	}
}

// axpy64Blocks adapts an assembly Axpy64 that handles len(x)/8 blocks.
func axpy64Blocks(blocks func(alpha float64, x, y []float64)) func(alpha float64, x, y []float64) {
	return func(alpha float64, x, y []float64) {
		y = y[:len(x)]
		n := len(x) &^ 7
		if n > 0 {
			blocks(alpha, x[:n], y[:n])
		}
		axpy64Generic(alpha, x[n:], y[n:])
	}
}

// subFrom64Blocks adapts an assembly SubFrom64 that handles len(dst)/8
// blocks.
func subFrom64Blocks(blocks func(dst []float64, c float64, h []float64)) func(dst []float64, c float64, h []float64) {
	return func(dst []float64, c float64, h []float64) {
		h = h[:len(dst)]
		n := len(dst) &^ 7
		if n > 0 {
			blocks(dst[:n], c, h[:n])
		}
		subFrom64Generic(dst[n:], c, h[n:])
	}
}

// scale64Blocks adapts an assembly Scale64 that handles len(x)/8 blocks.
func scale64Blocks(blocks func(alpha float64, x []float64)) func(alpha float64, x []float64) {
	return func(alpha float64, x []float64) {
		n := len(x) &^ 7
		if n > 0 {
			blocks(alpha, x[:n])
		}
		scale64Generic(alpha, x[n:])
	}
}

// addMul4Blocks adapts an assembly AddMul4 that handles len(dst)/8 blocks.
func addMul4Blocks(blocks func(dst, x, m []float64, stride int)) func(dst, x, m []float64, stride int) {
	return func(dst, x, m []float64, stride int) {
		n := len(dst)
		// Check the operands as the generic code does, before the
		// assembly reads them.
		_ = x[3]
		if n == 0 {
			return
		}
		_ = m[3*stride+n-1]
		b := n &^ 7
		if b > 0 {
			blocks(dst[:b], x, m, stride)
		}
		if b < n {
			addMul4Generic(dst[b:], x, m[b:], stride)
		}
	}
}
