package tensor

import (
	"fmt"
	"unsafe"
)

// overlaps reports whether x and y share at least one element.
func overlaps(x, y []float32) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	const size = unsafe.Sizeof(float32(0))
	x0 := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	y0 := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	return x0 < y0+uintptr(len(y))*size && y0 < x0+uintptr(len(x))*size
}

// checkAlias returns an error when dst partially overlaps an input: dst may
// be the same memory as an input, or disjoint from it, but nothing between,
// because the kernels read and write in blocks of unspecified order.
func checkAlias(op string, dst []float32, inputs ...[]float32) error {
	for _, in := range inputs {
		if overlaps(dst, in) && (unsafe.SliceData(dst) != unsafe.SliceData(in) || len(dst) != len(in)) {
			return fmt.Errorf("tensor: %s: dst partially overlaps an input: pass the input itself for an in-place update, or a separate dst", op)
		}
	}
	return nil
}
