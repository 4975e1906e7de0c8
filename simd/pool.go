package simd

import "math"

// checkReLUPool2x2 panics unless y, arg and x fit ReLUPool2x2 with row
// length w, and returns the number of output rows.
func checkReLUPool2x2(y []float32, arg []int32, x []float32, w int) int {
	if w < 2 {
		if len(y) == 0 {
			return 0
		}
		panic("simd: ReLUPool2x2 needs rows of at least 2 values")
	}
	ow := w / 2
	oh := len(y) / ow
	switch {
	case oh*ow != len(y):
		panic("simd: ReLUPool2x2 output length is not a multiple of w/2")
	case len(arg) < len(y):
		panic("simd: ReLUPool2x2 argmax shorter than the output")
	case len(x) < 2*oh*w:
		panic("simd: ReLUPool2x2 input shorter than 2*w per output row")
	}
	return oh
}

// reluKey returns the bits of max(v, 0) as ReLU computes it: v for v > 0,
// and +0 for v <= 0 or NaN. For those non-negative values the bits, as
// signed integers, order like the values.
func reluKey(v float32) int32 {
	b := int32(math.Float32bits(v))
	if b < 0 || b > 0x7f800000 { // negative, -0, or NaN
		b = 0
	}
	return b
}

// reluPool2x2Generic is ReLUPool2x2 in Go. It compares integer keys, which
// the compiler turns into conditional moves, because branches on random
// comparisons are mispredicted half of the time.
func reluPool2x2Generic(y []float32, arg []int32, x []float32, w int) {
	oh := checkReLUPool2x2(y, arg, x, w)
	ow := w / 2
	for i := range oh {
		r0 := x[2*i*w : 2*i*w+2*ow]
		r1 := x[(2*i+1)*w : (2*i+1)*w+2*ow]
		yi := y[i*ow : (i+1)*ow]
		ai := arg[i*ow : (i+1)*ow]
		top, bottom := int32(2*i*w), int32((2*i+1)*w)
		for j := range yi {
			a := r0[2*j : 2*j+2]
			b := r1[2*j : 2*j+2]
			k0, k1, k2, k3 := reluKey(a[0]), reluKey(a[1]), reluKey(b[0]), reluKey(b[1])
			t, ti := k0, top+int32(2*j)
			if k1 > t {
				t, ti = k1, ti+1
			}
			u, ui := k2, bottom+int32(2*j)
			if k3 > u {
				u, ui = k3, ui+1
			}
			if u > t {
				t, ti = u, ui
			}
			ai[j] = ti
			yi[j] = math.Float32frombits(uint32(t))
		}
	}
}

// reluPool2x2BackwardGeneric is ReLUPool2x2Backward in Go. The mask comes
// from an integer comparison, which compiles to a conditional move: a
// branch on y[j] > 0 is mispredicted as often as ReLU zeroes a maximum.
func reluPool2x2BackwardGeneric(dx, dy, y []float32, arg []int32, w int) {
	oh := checkReLUPool2x2Backward(dx, dy, y, arg, w)
	clear(dx[:2*oh*w])
	for j, a := range arg[:len(y)] {
		// 1 <= bits <= 0x7f800000 is 0 < y[j] <= +Inf.
		var mask uint32
		if math.Float32bits(y[j])-1 < 0x7f800000 {
			mask = ^uint32(0)
		}
		dx[a] += math.Float32frombits(math.Float32bits(dy[j]) & mask)
	}
}

// checkReLUPool2x2Backward panics unless the slices fit
// ReLUPool2x2Backward with row length w, and returns the number of output
// rows.
func checkReLUPool2x2Backward(dx, dy, y []float32, arg []int32, w int) int {
	if w < 2 {
		if len(y) == 0 {
			return 0
		}
		panic("simd: ReLUPool2x2Backward needs rows of at least 2 values")
	}
	ow := w / 2
	oh := len(y) / ow
	switch {
	case oh*ow != len(y):
		panic("simd: ReLUPool2x2Backward output length is not a multiple of w/2")
	case len(arg) < len(y) || len(dy) < len(y):
		panic("simd: ReLUPool2x2Backward argmax or gradient shorter than the output")
	case len(dx) < 2*oh*w:
		panic("simd: ReLUPool2x2Backward input gradient shorter than 2*w per output row")
	}
	return oh
}
