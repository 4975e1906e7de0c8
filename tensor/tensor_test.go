package tensor

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uniformTensor returns a tensor of the given shape with values uniform in
// [-1, 1) from a generator seeded with seed.
func uniformTensor(t testing.TB, seed uint64, shape ...int) *Tensor {
	t.Helper()
	x := New(shape...)
	require.NoError(t, FillUniform(x, NewRNG(seed), -1, 1))
	return x
}

// sameFloat32 reports whether got and want are equal, counting NaN as equal
// to NaN and distinguishing nothing else (so 0 equals -0).
func sameFloat32(got, want float32) bool {
	return got == want || (got != got && want != want)
}

// requireShapeError checks that err wraps ErrShape and names both shapes.
func requireShapeError(t *testing.T, err error, shapes ...string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrShape), "error %q does not wrap ErrShape", err)
	for _, s := range shapes {
		require.Contains(t, err.Error(), s)
	}
}

func TestFullAndFill(t *testing.T) {
	x := Full(2.5, 2, 3)
	require.Equal(t, []int{2, 3}, x.Shape)
	require.Equal(t, []float32{2.5, 2.5, 2.5, 2.5, 2.5, 2.5}, x.Data)

	x.Fill(-1)
	require.Equal(t, []float32{-1, -1, -1, -1, -1, -1}, x.Data)

	z := Zeros(4)
	require.Equal(t, []float32{0, 0, 0, 0}, z.Data)

	s := Full(7)
	require.Empty(t, s.Shape)
	require.Equal(t, []float32{7}, s.Data)
}

func TestCloneIsIndependent(t *testing.T) {
	x := uniformTensor(t, 1, 3, 2)
	y := x.Clone()
	require.Equal(t, x.Shape, y.Shape)
	require.Equal(t, x.Data, y.Data)

	y.Data[0] = 42
	y.Shape[0] = 9
	assert.NotEqual(t, float32(42), x.Data[0])
	assert.Equal(t, 3, x.Shape[0])
}

func TestCopyFrom(t *testing.T) {
	src := uniformTensor(t, 2, 2, 3)
	dst := New(2, 3)
	require.NoError(t, dst.CopyFrom(src))
	require.Equal(t, src.Data, dst.Data)

	wrong := Full(5, 3, 2)
	err := wrong.CopyFrom(src)
	requireShapeError(t, err, "[2 3]", "[3 2]")
	require.Equal(t, []float32{5, 5, 5, 5, 5, 5}, wrong.Data, "a failed copy changed dst")
}

func TestSameShape(t *testing.T) {
	assert.True(t, New(2, 3).SameShape(New(2, 3)))
	assert.False(t, New(2, 3).SameShape(New(3, 2)))
	assert.False(t, New(6).SameShape(New(2, 3)))
	assert.False(t, New().SameShape(New(1)), "a scalar and a one-element vector differ")
	assert.True(t, New().SameShape(New()))
}

func TestReshapeSharesData(t *testing.T) {
	x := uniformTensor(t, 3, 2, 3, 4)
	y, err := x.Reshape(6, -1)
	require.NoError(t, err)
	require.Equal(t, []int{6, 4}, y.Shape)
	require.Equal(t, []int{2, 3, 4}, x.Shape, "Reshape changed the original shape")

	y.Set(99, 5, 3)
	require.Equal(t, float32(99), x.At(1, 2, 3))

	z, err := x.Reshape(24)
	require.NoError(t, err)
	require.Equal(t, []int{24}, z.Shape)

	e, err := New(0, 5).Reshape(-1, 10)
	require.NoError(t, err)
	require.Equal(t, []int{0, 10}, e.Shape)
}

func TestReshapeErrors(t *testing.T) {
	x := New(2, 3)
	cases := []struct {
		name      string
		shape     []int
		isShape   bool
		inMessage string
	}{
		{"wrong count", []int{4, 2}, true, "[4 2]"},
		{"not divisible", []int{-1, 4}, true, "[-1 4]"},
		{"two inferred", []int{-1, -1}, false, "more than one -1"},
		{"negative", []int{-2, 3}, false, "-2"},
		{"inferred with zero", []int{0, -1}, false, "multiply to 0"},
		{"overflow", []int{1 << 40, 1 << 40}, false, "more elements than fit in an int"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y, err := x.Reshape(c.shape...)
			require.Error(t, err)
			require.Nil(t, y)
			require.Equal(t, c.isShape, errors.Is(err, ErrShape))
			require.Contains(t, err.Error(), c.inMessage)
		})
	}
}

func TestRowViewsShareData(t *testing.T) {
	x := uniformTensor(t, 4, 3, 2, 2)
	row := x.Row(1)
	require.Len(t, row, 4)
	row[0] = 11
	require.Equal(t, float32(11), x.At(1, 0, 0))

	// The row's capacity ends at the row, so append cannot overwrite row 2.
	before := x.At(2, 0, 0)
	_ = append(row, 77)
	require.Equal(t, before, x.At(2, 0, 0))

	v := x.RowView(2)
	require.Equal(t, []int{2, 2}, v.Shape)
	v.Set(12, 1, 1)
	require.Equal(t, float32(12), x.At(2, 1, 1))

	require.Panics(t, func() { x.Row(3) })
	require.Panics(t, func() { x.Row(-1) })
}

func TestSliceSharesData(t *testing.T) {
	x := uniformTensor(t, 5, 5, 3)
	s := x.Slice(1, 4)
	require.Equal(t, []int{3, 3}, s.Shape)
	require.Equal(t, x.Data[3:12], s.Data)
	s.Set(-7, 0, 2)
	require.Equal(t, float32(-7), x.At(1, 2))

	empty := x.Slice(2, 2)
	require.Equal(t, []int{0, 3}, empty.Shape)
	require.Equal(t, 0, empty.Len())

	require.Panics(t, func() { x.Slice(3, 2) })
	require.Panics(t, func() { x.Slice(0, 6) })
	require.Panics(t, func() { New().Slice(0, 0) })
}

func TestAtSetIndexing(t *testing.T) {
	x := New(2, 3, 4)
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				x.Set(float32(100*i+10*j+k), i, j, k)
			}
		}
	}
	require.Equal(t, float32(123), x.At(1, 2, 3))
	require.Equal(t, float32(123), x.Data[1*12+2*4+3])
	require.Equal(t, float32(10), x.Data[4])

	require.Panics(t, func() { x.At(1, 2) }, "too few indices")
	require.Panics(t, func() { x.At(0, 3, 0) }, "index past the dimension")
	require.Panics(t, func() { x.Set(1, 0, 0, -1) }, "negative index")

	s := Full(3)
	require.Equal(t, float32(3), s.At())
}

func TestStringIsShort(t *testing.T) {
	x, err := FromSlice([]float32{1, 2.5, -3, 0, float32(math.NaN()), float32(math.Inf(-1))}, 2, 3)
	require.NoError(t, err)
	require.Equal(t, "Tensor[2 3]{1 2.5 -3 0 NaN -Inf}", x.String())

	big := New(1000, 1000)
	for i := range big.Data {
		big.Data[i] = float32(i)
	}
	s := big.String()
	require.Equal(t, "Tensor[1000 1000]{0 1 2 3 4 5 ... 999997 999998 999999}", s)
	require.Less(t, len(s), 100)

	require.Equal(t, "Tensor[0 4]{}", New(0, 4).String())
	require.True(t, strings.HasPrefix(Full(1.5).String(), "Tensor[]{1.5"))
}
