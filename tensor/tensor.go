// Package tensor provides a row-major float32 tensor, matrix multiply on
// the simd micro-kernels, elementwise ops and reductions, seeded random
// fills, and readers and writers for NPY, IDX and CSV files.
package tensor

import (
	"fmt"
	"math"
)

// Tensor is a dense row-major float32 array. Data holds exactly the
// product of Shape elements. A tensor with an empty shape is a scalar.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero tensor of the given shape. It panics on a negative
// dimension or a size that does not fit in an int, as make does.
func New(shape ...int) *Tensor {
	n, err := numElements(shape)
	if err != nil {
		panic(err)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromSlice wraps data, without copying, in a tensor of the given shape.
func FromSlice(data []float32, shape ...int) (*Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// numElements returns the product of shape, or an error when a dimension is
// negative or the product overflows int.
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("tensor: shape %v has more elements than fit in an int", shape)
		}
		n *= d
	}
	return n, nil
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Rows returns the first dimension, and Cols the product of the others: the
// matrix view that MatMul and the row-wise ops use.
func (t *Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// Cols returns the product of all dimensions after the first.
func (t *Tensor) Cols() int {
	c := 1
	for _, d := range t.Shape[min(1, len(t.Shape)):] {
		c *= d
	}
	return c
}
