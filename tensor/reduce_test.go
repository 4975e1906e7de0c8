package tensor

import (
	"math"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sumBound is the bound n*eps*sum|x_i| (with eps = 2^-24, the unit
// roundoff of float32) on the error of any float32 summation order of n
// terms, to first order.
func sumBound(x []float32) float64 {
	var abs float64
	for _, v := range x {
		abs += math.Abs(float64(v))
	}
	return float64(len(x)) * 0x1p-24 * abs
}

func TestSumAndMean(t *testing.T) {
	x := uniformTensor(t, 100, 37, 11)
	var want float64
	for _, v := range x.Data {
		want += float64(v)
	}
	// Float64 accumulation: the float32 bound scaled from 2^-24 to 2^-53.
	tol := sumBound(x.Data) * 0x1p-29
	require.InDelta(t, want, x.Sum(), tol)
	require.InDelta(t, want/float64(len(x.Data)), x.Mean(), tol)

	empty := New(0, 3)
	assert.Equal(t, 0.0, empty.Sum())
	assert.True(t, math.IsNaN(empty.Mean()), "mean of an empty tensor is 0/0")

	x.Data[17] = float32(math.NaN())
	assert.True(t, math.IsNaN(x.Sum()))
	assert.True(t, math.IsNaN(x.Mean()))

	inf := Full(1, 5)
	inf.Data[1] = float32(math.Inf(1))
	assert.True(t, math.IsInf(inf.Sum(), 1))
	inf.Data[3] = float32(math.Inf(-1))
	assert.True(t, math.IsNaN(inf.Sum()), "+Inf + -Inf is NaN")
}

func TestSumDoesNotStall(t *testing.T) {
	// A float32 running sum that reaches 2^24 stops growing by 1, because
	// 2^24+1 rounds back to 2^24. The float64 sum keeps counting.
	x := Full(1, 1001)
	x.Data[0] = 1 << 24
	require.Equal(t, float64(1<<24+1000), x.Sum())
}

func TestMax(t *testing.T) {
	x, err := FromSlice([]float32{-3, 7, 2, 7, -9}, 5)
	require.NoError(t, err)
	assert.Equal(t, float32(7), x.Max())
	assert.True(t, math.IsInf(float64(New(0).Max()), -1), "max of an empty tensor is -Inf")
	x.Data[4] = float32(math.NaN())
	assert.True(t, math.IsNaN(float64(x.Max())), "NaN propagates")
}

func TestMaxPropagatesNaNAtEveryLevel(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range []int{1, 5, 16, 33, 100} {
			for _, pos := range []int{0, n / 2, n - 1} {
				x := uniformTensor(t, uint64(n), n)
				x.Data[pos] = float32(math.NaN())
				require.True(t, math.IsNaN(float64(k.Max(x.Data))), "n=%d, NaN at %d", n, pos)
			}
		}
	})
}

func TestSumRowsAndSumCols(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for si, shape := range [][]int{{1, 1}, {7, 3}, {64, 33}, {3, 2, 5}, {0, 4}, {4, 0}, {9}} {
			a := uniformTensor(t, uint64(110+si), shape...)
			r, c := a.Rows(), a.Cols()

			colSums, err := sumRows(k, nil, a)
			require.NoError(t, err)
			require.Equal(t, []int{c}, colSums.Shape)
			for j := range c {
				col := make([]float32, r)
				var want float64
				for i := range r {
					col[i] = a.Data[i*c+j]
					want += float64(col[i])
				}
				require.InDelta(t, want, float64(colSums.Data[j]), sumBound(col), "SumRows %v column %d", shape, j)
			}

			rowSums, err := sumCols(k, nil, a)
			require.NoError(t, err)
			require.Equal(t, []int{r}, rowSums.Shape)
			for i := range r {
				row := a.Data[i*c : (i+1)*c]
				want := sum64(row)
				require.InDelta(t, want, float64(rowSums.Data[i]), sumBound(row), "SumCols %v row %d", shape, i)
			}
		}
	})
}

func TestSumRowsReusesAndChecks(t *testing.T) {
	a, err := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	require.NoError(t, err)
	dst := Full(100, 2)
	got, err := SumRows(dst, a)
	require.NoError(t, err)
	require.Same(t, dst, got)
	require.Equal(t, []float32{9, 12}, dst.Data, "SumRows must overwrite dst, not add to it")

	rows, err := SumCols(nil, a)
	require.NoError(t, err)
	require.Equal(t, []float32{3, 7, 11}, rows.Data)

	_, err = SumRows(New(3), a)
	requireShapeError(t, err, "[3]", "[2]", "[3 2]")
	_, err = SumCols(New(2), a)
	requireShapeError(t, err, "[2]", "[3]", "[3 2]")
	_, err = SumRows(New(1, 2), a)
	requireShapeError(t, err, "[1 2]")

	// A dst that is part of the input would be read while it is written.
	_, err = SumRows(a.RowView(0), a)
	require.ErrorContains(t, err, "shares memory")
}

func TestMeanVarManyRows(t *testing.T) {
	// 1e7 rows of 3. Past 2^24 a float32 running sum rounds each +3 to a
	// multiple of 2 or 4, so it drifts. The float64 sums are exact here.
	const n = 10_000_000
	x := Full(3, n, 1)
	var naive float32
	for _, v := range x.Data {
		naive += v
	}
	require.NotEqual(t, float32(3*n), naive, "the float32 running sum was expected to drift, so this test would prove nothing")

	mean, variance, err := MeanVar(x, nil, nil)
	require.NoError(t, err)
	require.Equal(t, []float64{3}, mean)
	require.Equal(t, []float64{0}, variance)
}

func TestMeanVarWithOffset(t *testing.T) {
	// Column 0 alternates 1e4 and 1e4+1: mean 1e4+0.5 and variance 0.25
	// exactly, which the one-pass formula E[x^2]-E[x]^2 loses in float32.
	// Column 1 is random and checked against a float64 reference.
	const n = 100_001
	x := New(n, 2)
	r := NewRNG(5)
	for i := range n {
		x.Set(1e4+float32(i%2), i, 0)
		x.Set(5+r.Float32(), i, 1)
	}
	mean, variance, err := MeanVar(x, nil, nil)
	require.NoError(t, err)

	wantMean0 := 1e4 + float64(n/2)/n
	require.InDelta(t, wantMean0, mean[0], 1e-12*wantMean0)
	p := float64(n/2) / n
	require.InDelta(t, p*(1-p), variance[0], 1e-9)

	var s, ss float64
	for i := range n {
		s += float64(x.At(i, 1))
	}
	m := s / n
	for i := range n {
		d := float64(x.At(i, 1)) - m
		ss += d * d
	}
	require.InDelta(t, m, mean[1], 1e-12)
	require.InDelta(t, ss/n, variance[1], 1e-12)
	require.InDelta(t, 1.0/12, variance[1], 0.01, "a uniform on [5, 6) has variance 1/12")
}

func TestMeanVarSpecialCases(t *testing.T) {
	a, err := FromSlice([]float32{1, float32(math.NaN()), 3, 4, 5, 6}, 3, 2)
	require.NoError(t, err)
	mean := make([]float64, 2)
	variance := make([]float64, 2)
	gotMean, gotVar, err := MeanVar(a, mean, variance)
	require.NoError(t, err)
	require.Equal(t, 3.0, gotMean[0])
	require.Equal(t, 8.0/3, gotVar[0])
	assert.True(t, math.IsNaN(gotMean[1]), "NaN propagates to the mean")
	assert.True(t, math.IsNaN(gotVar[1]), "NaN propagates to the variance")
	require.Equal(t, &mean[0], &gotMean[0], "MeanVar must fill the slices it was given")

	emptyMean, emptyVar, err := MeanVar(New(0, 2), nil, nil)
	require.NoError(t, err)
	require.Len(t, emptyMean, 2)
	assert.True(t, math.IsNaN(emptyMean[0]) && math.IsNaN(emptyVar[1]), "no rows gives NaN")

	_, _, err = MeanVar(a, make([]float64, 3), nil)
	requireShapeError(t, err, "mean has length 3", "[3 2]")
	_, _, err = MeanVar(a, nil, make([]float64, 1))
	requireShapeError(t, err, "variance has length 1", "[3 2]")
}

func TestArgmaxRows(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	a, err := FromSlice([]float32{
		1, 5, 5, 2, // ties go to the first
		-inf, -inf, -inf, -inf,
		3, nan, 9, nan, // the first NaN wins
		0, 0, inf, 1,
		-1, -2, -3, -0.5,
	}, 5, 4)
	require.NoError(t, err)
	got, err := ArgmaxRows(nil, a)
	require.NoError(t, err)
	require.Equal(t, []int{1, 0, 1, 2, 3}, got)

	dst := make([]int, 5)
	_, err = ArgmaxRows(dst, a)
	require.NoError(t, err)
	require.Equal(t, got, dst)

	_, err = ArgmaxRows(make([]int, 4), a)
	requireShapeError(t, err, "length 4", "[5 4]")
	_, err = ArgmaxRows(nil, New(3, 0))
	require.ErrorContains(t, err, "no columns")

	none, err := ArgmaxRows(nil, New(0, 3))
	require.NoError(t, err)
	require.Empty(t, none)

	// Against a plain scan on random data.
	r := uniformTensor(t, 9, 50, 13)
	got, err = ArgmaxRows(nil, r)
	require.NoError(t, err)
	for i := range 50 {
		best := 0
		for j := range 13 {
			if r.At(i, j) > r.At(i, best) {
				best = j
			}
		}
		require.Equal(t, best, got[i], "row %d", i)
	}
}
