// Package tensor provides a row-major float32 tensor, matrix multiply on
// the simd micro-kernels, elementwise ops and reductions, seeded random
// fills, and readers and writers for NPY, IDX and CSV files.
//
// # Destinations, aliasing and errors
//
// The elementwise ops, reductions, Transpose and the softmax family write
// into a dst argument and return it, so a caller can reuse one buffer
// across steps. A nil dst makes the op allocate its result. A non-nil dst
// must have the result's shape. For elementwise ops and the softmax
// family, dst may be the same tensor as an input, which gives an in-place
// update. A dst that partially overlaps an input (for example a Slice view
// shifted by one row), or any overlap for ops whose result has another
// shape, gives an error. Inputs whose shapes do not fit give an error that
// wraps ErrShape and names both shapes. On any error dst is left
// unchanged. Index errors in At, Set, Row and Slice are programming errors
// and panic, as slice indexing does.
//
// The matrix view of a tensor has Rows() rows (the first dimension) and
// Cols() columns (the product of the others). The row-wise ops use it, so
// a [N, C, H, W] batch is N rows of C*H*W values.
package tensor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// ErrShape is wrapped by every error about tensors whose shapes do not fit
// together, so callers can test for it with errors.Is.
var ErrShape = errors.New("shape mismatch")

// shapeError returns an ErrShape error for operation op that names both
// shapes and the rule they break.
func shapeError(op string, got, want []int, rule string) error {
	return fmt.Errorf("tensor: %s: %w: shape %v does not match %v: %s", op, ErrShape, got, want, rule)
}

// Zeros returns a zero tensor of the given shape, as New does.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Full returns a tensor of the given shape with every element set to v. It
// panics on a negative dimension, as New does.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// Clone returns a deep copy of t: a new shape slice and a new data slice.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{
		Shape: append([]int(nil), t.Shape...),
		Data:  append(make([]float32, 0, len(t.Data)), t.Data...),
	}
}

// CopyFrom copies the elements of src into t. The shapes must be equal;
// otherwise CopyFrom returns an ErrShape error and leaves t unchanged.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if !t.SameShape(src) {
		return shapeError("CopyFrom", src.Shape, t.Shape, "the source must have the shape of the destination")
	}
	copy(t.Data, src.Data)
	return nil
}

// Fill sets every element of t to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// SameShape reports whether t and u have equal shapes. A scalar (empty
// shape) has the same shape only as another scalar.
func (t *Tensor) SameShape(u *Tensor) bool {
	return slices.Equal(t.Shape, u.Shape)
}

// Reshape returns a view of t with a new shape that shares t.Data. One
// dimension may be -1, and it is then inferred from the element count.
// Reshape returns an ErrShape error when the new shape has a different
// number of elements. It returns a plain error for more than one -1, for
// any other negative dimension, and for a -1 that cannot be inferred
// because the other dimensions multiply to 0.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	shape = append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer >= 0:
			return nil, fmt.Errorf("tensor: Reshape: shape %v has more than one -1: at most one dimension can be inferred", shape)
		case d == -1:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("tensor: Reshape: shape %v has the negative dimension %d: use -1 to infer a dimension", shape, d)
		case d != 0 && known > math.MaxInt/d:
			return nil, fmt.Errorf("tensor: Reshape: shape %v has more elements than fit in an int", shape)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 {
			return nil, fmt.Errorf("tensor: Reshape: cannot infer the -1 in shape %v because the other dimensions multiply to 0", shape)
		}
		if len(t.Data)%known != 0 {
			return nil, shapeError("Reshape", shape, t.Shape, fmt.Sprintf("%d elements do not divide into dimensions of product %d", len(t.Data), known))
		}
		shape[infer] = len(t.Data) / known
		known = len(t.Data)
	}
	if known != len(t.Data) {
		return nil, shapeError("Reshape", shape, t.Shape, fmt.Sprintf("the new shape has %d elements but the tensor has %d", known, len(t.Data)))
	}
	return &Tensor{Shape: shape, Data: t.Data}, nil
}

// Row returns row i of the matrix view (Rows() x Cols()) as a slice that
// shares t.Data. It panics when i is out of range, as slice indexing does.
func (t *Tensor) Row(i int) []float32 {
	c := t.Cols()
	if i < 0 || i >= t.Rows() {
		panic(fmt.Sprintf("tensor: row %d out of range for shape %v", i, t.Shape))
	}
	return t.Data[i*c : (i+1)*c : (i+1)*c]
}

// RowView returns row i as a tensor of shape t.Shape[1:] that shares
// t.Data. It panics when i is out of range. For a scalar it returns a
// scalar view.
func (t *Tensor) RowView(i int) *Tensor {
	row := t.Row(i)
	return &Tensor{Shape: append([]int(nil), t.Shape[min(1, len(t.Shape)):]...), Data: row}
}

// Slice returns rows i to j-1 along the first dimension as a tensor of
// shape [j-i, t.Shape[1:]...] that shares t.Data. It panics when the range
// is not 0 <= i <= j <= Rows(), as slicing does, or when t is a scalar.
func (t *Tensor) Slice(i, j int) *Tensor {
	if len(t.Shape) == 0 {
		panic("tensor: Slice of a scalar: a scalar has no first dimension")
	}
	if i < 0 || i > j || j > t.Shape[0] {
		panic(fmt.Sprintf("tensor: Slice(%d, %d) out of range for shape %v", i, j, t.Shape))
	}
	c := t.Cols()
	shape := append([]int(nil), t.Shape...)
	shape[0] = j - i
	return &Tensor{Shape: shape, Data: t.Data[i*c : j*c : j*c]}
}

// offset returns the position in Data of the element at idx. It panics
// when the number of indices differs from the rank or an index is out of
// range.
func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor: %d indices %v for a tensor of rank %d and shape %v", len(idx), idx, len(t.Shape), t.Shape))
	}
	off := 0
	for k, i := range idx {
		if i < 0 || i >= t.Shape[k] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape))
		}
		off = off*t.Shape[k] + i
	}
	return off
}

// At returns the element at the given indices, one per dimension. It panics
// when the indices do not fit the shape, as slice indexing does.
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.offset(idx)] }

// Set stores v at the given indices, one per dimension. It panics when the
// indices do not fit the shape.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.offset(idx)] = v }

// stringMaxValues is the number of elements String prints in full; larger
// tensors print their first and last few values.
const (
	stringMaxValues = 16
	stringHead      = 6
	stringTail      = 3
)

// String formats t as its shape followed by its values, for example
// "Tensor[2 3]{1 2 3 4 5 6}". Tensors with more than 16 elements print the
// first 6 and last 3 values around "...", so the result stays short.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v{", t.Shape)
	write := func(vals []float32) {
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
	}
	if len(t.Data) <= stringMaxValues {
		write(t.Data)
	} else {
		write(t.Data[:stringHead])
		b.WriteString(" ... ")
		write(t.Data[len(t.Data)-stringTail:])
	}
	b.WriteByte('}')
	return b.String()
}
