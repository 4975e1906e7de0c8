package tensor

import (
	"fmt"

	"github.com/nidim/nidim/simd"
)

// The elementwise ops below follow the dst convention of the package
// documentation: a nil dst allocates a result with the shape of the first
// operand, and dst may be that operand for an in-place update. NaN and Inf
// follow IEEE 754 arithmetic elementwise.

// prepare returns dst, or a new tensor of a's shape when dst is nil. It
// returns an ErrShape error when dst has another shape.
func prepare(op string, dst, a *Tensor) (*Tensor, error) {
	if dst == nil {
		return New(a.Shape...), nil
	}
	if !dst.SameShape(a) {
		return nil, shapeError(op, dst.Shape, a.Shape, "dst must have the shape of the input")
	}
	return dst, nil
}

// binary applies kernel to a and b, which must have equal shapes.
func binary(op string, kernel func(dst, x, y []float32), dst, a, b *Tensor) (*Tensor, error) {
	if !a.SameShape(b) {
		return nil, shapeError(op, b.Shape, a.Shape, "both operands must have the same shape")
	}
	dst, err := prepare(op, dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias(op, dst.Data, a.Data, b.Data); err != nil {
		return nil, err
	}
	kernel(dst.Data, a.Data, b.Data)
	return dst, nil
}

// Add sets dst = a + b elementwise. a, b and dst have one shape.
func Add(dst, a, b *Tensor) (*Tensor, error) {
	return binary("Add", simd.Active().Add, dst, a, b)
}

// Sub sets dst = a - b elementwise. a, b and dst have one shape.
func Sub(dst, a, b *Tensor) (*Tensor, error) {
	return binary("Sub", simd.Active().Sub, dst, a, b)
}

// Mul sets dst = a * b elementwise (the Hadamard product). a, b and dst
// have one shape.
func Mul(dst, a, b *Tensor) (*Tensor, error) {
	return binary("Mul", simd.Active().Mul, dst, a, b)
}

// Scale sets dst = alpha * a. dst has the shape of a.
func Scale(dst, a *Tensor, alpha float32) (*Tensor, error) {
	return scale(simd.Active(), dst, a, alpha)
}

func scale(k *simd.Kernels, dst, a *Tensor, alpha float32) (*Tensor, error) {
	dst, err := prepare("Scale", dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("Scale", dst.Data, a.Data); err != nil {
		return nil, err
	}
	copy(dst.Data, a.Data)
	k.Scale(alpha, dst.Data)
	return dst, nil
}

// AddScaled adds alpha * x to dst in place (the BLAS axpy). x and dst have
// one shape.
func AddScaled(dst *Tensor, alpha float32, x *Tensor) error {
	return addScaled(simd.Active(), dst, alpha, x)
}

func addScaled(k *simd.Kernels, dst *Tensor, alpha float32, x *Tensor) error {
	if !dst.SameShape(x) {
		return shapeError("AddScaled", x.Shape, dst.Shape, "x must have the shape of dst")
	}
	if err := checkAlias("AddScaled", dst.Data, x.Data); err != nil {
		return err
	}
	k.Axpy(alpha, x.Data, dst.Data)
	return nil
}

// rowVector applies kernel to each row of a (as a Rows() x Cols() matrix)
// and the vector v, whose length must be Cols().
func rowVector(op string, kernel func(dst, x, y []float32), dst, a *Tensor, v []float32) (*Tensor, error) {
	if len(v) != a.Cols() {
		return nil, fmt.Errorf("tensor: %s: %w: the vector has length %d but shape %v has %d columns: pass one value per column",
			op, ErrShape, len(v), a.Shape, a.Cols())
	}
	dst, err := prepare(op, dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias(op, dst.Data, a.Data); err != nil {
		return nil, err
	}
	if overlaps(dst.Data, v) {
		return nil, fmt.Errorf("tensor: %s: dst shares memory with the row vector: pass a separate vector", op)
	}
	c := a.Cols()
	for i := range a.Rows() {
		kernel(dst.Data[i*c:(i+1)*c], a.Data[i*c:(i+1)*c], v)
	}
	return dst, nil
}

// AddRowVector sets dst[i, j] = a[i, j] + v[j] on the Rows() x Cols()
// matrix view of a, which adds a bias to every row. len(v) must equal
// a.Cols(), and dst has the shape of a.
func AddRowVector(dst, a *Tensor, v []float32) (*Tensor, error) {
	return rowVector("AddRowVector", simd.Active().Add, dst, a, v)
}

// MulRowVector sets dst[i, j] = a[i, j] * v[j] on the Rows() x Cols()
// matrix view of a, which scales each column. len(v) must equal a.Cols(),
// and dst has the shape of a.
func MulRowVector(dst, a *Tensor, v []float32) (*Tensor, error) {
	return rowVector("MulRowVector", simd.Active().Mul, dst, a, v)
}

// Apply sets dst[i] = f(a[i]) for every element. dst has the shape of a.
func Apply(dst, a *Tensor, f func(float32) float32) (*Tensor, error) {
	dst, err := prepare("Apply", dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("Apply", dst.Data, a.Data); err != nil {
		return nil, err
	}
	for i, v := range a.Data {
		dst.Data[i] = f(v)
	}
	return dst, nil
}

// ReLU sets dst = max(a, 0) elementwise. dst has the shape of a. ReLU maps
// NaN to 0, as simd.Kernels.ReLU does, so it is the one op here that does
// not propagate NaN.
func ReLU(dst, a *Tensor) (*Tensor, error) {
	return relu(simd.Active(), dst, a)
}

func relu(k *simd.Kernels, dst, a *Tensor) (*Tensor, error) {
	dst, err := prepare("ReLU", dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("ReLU", dst.Data, a.Data); err != nil {
		return nil, err
	}
	k.ReLU(dst.Data, a.Data)
	return dst, nil
}

// ReLUBackward sets dx = dy where x > 0 and 0 elsewhere: the gradient of
// ReLU at input x for the upstream gradient dy. x, dy and dx have one shape.
func ReLUBackward(dx, dy, x *Tensor) (*Tensor, error) {
	return reluBackward(simd.Active(), dx, dy, x)
}

func reluBackward(k *simd.Kernels, dx, dy, x *Tensor) (*Tensor, error) {
	if !dy.SameShape(x) {
		return nil, shapeError("ReLUBackward", dy.Shape, x.Shape, "dy must have the shape of x")
	}
	dx, err := prepare("ReLUBackward", dx, x)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("ReLUBackward", dx.Data, dy.Data, x.Data); err != nil {
		return nil, err
	}
	k.ReLUBackward(dx.Data, dy.Data, x.Data)
	return dx, nil
}
