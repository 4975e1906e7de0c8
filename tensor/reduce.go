package tensor

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
)

// Sum returns the sum of all elements, accumulated in float64 in a fixed
// order, so the result does not depend on the SIMD level. It is 0 for an
// empty tensor and NaN when any element is NaN or the elements include both
// +Inf and -Inf.
func (t *Tensor) Sum() float64 {
	return sum64(t.Data)
}

// sum64 adds x in float64 with four interleaved accumulators.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Mean returns the mean of all elements, computed as Sum()/Len(). It is NaN
// for an empty tensor.
func (t *Tensor) Mean() float64 {
	if len(t.Data) == 0 {
		return math.NaN()
	}
	return t.Sum() / float64(len(t.Data))
}

// Max returns the largest element. It is -Inf for an empty tensor and NaN
// when any element is NaN.
func (t *Tensor) Max() float32 {
	return simd.Active().Max(t.Data)
}

// SumRows sums the rows of the Rows() x Cols() matrix view of a: dst[j] is
// the sum over i of a[i, j], as for the gradient of a bias. dst must have
// shape [Cols()], and a nil dst is allocated. The sums accumulate in
// float32, row by row. For many rows of similar values the relative error
// therefore grows like Rows() times the float32 epsilon, so use MeanVar
// when that matters. A dst that shares memory with a gives an error.
func SumRows(dst, a *Tensor) (*Tensor, error) {
	return sumRows(simd.Active(), dst, a)
}

func sumRows(k *simd.Kernels, dst, a *Tensor) (*Tensor, error) {
	c := a.Cols()
	dst, err := prepareVector("SumRows", dst, c, a.Shape, "columns")
	if err != nil {
		return nil, err
	}
	if overlaps(dst.Data, a.Data) {
		return nil, fmt.Errorf("tensor: SumRows: dst shares memory with the input of shape %v: pass a separate dst", a.Shape)
	}
	clear(dst.Data)
	for i := range a.Rows() {
		k.Add(dst.Data, dst.Data, a.Data[i*c:(i+1)*c])
	}
	return dst, nil
}

// SumCols sums the columns of the Rows() x Cols() matrix view of a: dst[i]
// is the sum of row i. dst must have shape [Rows()], and a nil dst is
// allocated. Each row is summed in float32 by the active simd.Kernels.Sum.
// A dst that shares memory with a gives an error.
func SumCols(dst, a *Tensor) (*Tensor, error) {
	return sumCols(simd.Active(), dst, a)
}

func sumCols(k *simd.Kernels, dst, a *Tensor) (*Tensor, error) {
	dst, err := prepareVector("SumCols", dst, a.Rows(), a.Shape, "rows")
	if err != nil {
		return nil, err
	}
	if overlaps(dst.Data, a.Data) {
		return nil, fmt.Errorf("tensor: SumCols: dst shares memory with the input of shape %v: pass a separate dst", a.Shape)
	}
	c := a.Cols()
	for i := range dst.Data {
		dst.Data[i] = k.Sum(a.Data[i*c : (i+1)*c])
	}
	return dst, nil
}

// prepareVector returns dst, or a new tensor of shape [n] when dst is nil.
// It returns an ErrShape error when dst has another shape; what names the
// dimension of shape that n counts.
func prepareVector(op string, dst *Tensor, n int, shape []int, what string) (*Tensor, error) {
	if dst == nil {
		return New(n), nil
	}
	if len(dst.Shape) != 1 || dst.Shape[0] != n {
		return nil, shapeError(op, dst.Shape, []int{n}, fmt.Sprintf("dst needs one element for each of the %d %s of shape %v", n, what, shape))
	}
	return dst, nil
}

// MeanVar returns the mean and the population variance (the sum of squared
// deviations divided by Rows(), as batch normalization uses) of each column
// of the Rows() x Cols() matrix view of a. Both accumulate in float64 in
// two passes, the second over deviations from the mean, so they stay
// accurate for millions of rows and for columns with a large offset.
// Multiply the variance by n/(n-1) for the unbiased estimate.
//
// mean and variance are filled and returned when they have length Cols(),
// and allocated when nil. A tensor with no rows gives NaN means and
// variances. A NaN element makes its column's mean and variance NaN.
func MeanVar(a *Tensor, mean, variance []float64) ([]float64, []float64, error) {
	c, r := a.Cols(), a.Rows()
	var err error
	if mean, err = prepareFloat64s("mean", mean, c, a.Shape); err != nil {
		return nil, nil, err
	}
	if variance, err = prepareFloat64s("variance", variance, c, a.Shape); err != nil {
		return nil, nil, err
	}
	clear(mean)
	clear(variance)
	for i := range r {
		for j, v := range a.Data[i*c : (i+1)*c] {
			mean[j] += float64(v)
		}
	}
	n := float64(r)
	for j := range mean {
		mean[j] /= n
	}
	for i := range r {
		for j, v := range a.Data[i*c : (i+1)*c] {
			d := float64(v) - mean[j]
			variance[j] += float64(d * d)
		}
	}
	for j := range variance {
		variance[j] /= n
	}
	return mean, variance, nil
}

func prepareFloat64s(name string, dst []float64, n int, shape []int) ([]float64, error) {
	if dst == nil {
		return make([]float64, n), nil
	}
	if len(dst) != n {
		return nil, fmt.Errorf("tensor: MeanVar: %w: %s has length %d but shape %v has %d columns: pass nil or one value per column",
			ErrShape, name, len(dst), shape, n)
	}
	return dst, nil
}

// ArgmaxRows returns, for each row of the Rows() x Cols() matrix view of a,
// the column index of its largest element. Ties go to the lowest index, and
// a row that contains NaN gives the index of its first NaN. dst is filled
// and returned when it has length Rows() and allocated when nil. A tensor
// with rows but no columns gives an error, because its rows have no
// maximum.
func ArgmaxRows(dst []int, a *Tensor) ([]int, error) {
	r, c := a.Rows(), a.Cols()
	if dst == nil {
		dst = make([]int, r)
	}
	if len(dst) != r {
		return nil, fmt.Errorf("tensor: ArgmaxRows: %w: dst has length %d but shape %v has %d rows: pass nil or one index per row",
			ErrShape, len(dst), a.Shape, r)
	}
	if c == 0 && r > 0 {
		return nil, fmt.Errorf("tensor: ArgmaxRows: shape %v has no columns, so its rows have no maximum", a.Shape)
	}
	for i := range r {
		row := a.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v != v {
				best = j
				break
			}
			if v > row[best] {
				best = j
			}
		}
		dst[i] = best
	}
	return dst, nil
}
