package tensor

import (
	"math"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
	"github.com/stretchr/testify/require"
)

// opsShapes are shapes whose element counts are not multiples of any
// vector width, plus empty ones.
var opsShapes = [][]int{{0}, {1}, {7}, {3, 5}, {33, 17}, {2, 0}, {4, 3, 5}, {1, 259}}

// withSpecials returns a copy of x with NaN, +Inf, -Inf and -0 written at
// fixed positions when x is long enough.
func withSpecials(x *Tensor) *Tensor {
	y := x.Clone()
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1))}
	for i, v := range specials {
		if p := 3*i + 1; p < len(y.Data) {
			y.Data[p] = v
		}
	}
	return y
}

func TestBinaryOpsMatchFloat64(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		ops := []struct {
			name   string
			kernel func(dst, x, y []float32)
			ref    func(x, y float64) float64
		}{
			{"Add", k.Add, func(x, y float64) float64 { return x + y }},
			{"Sub", k.Sub, func(x, y float64) float64 { return x - y }},
			{"Mul", k.Mul, func(x, y float64) float64 { return x * y }},
		}
		for _, op := range ops {
			for si, shape := range opsShapes {
				a := withSpecials(uniformTensor(t, uint64(10+si), shape...))
				b := withSpecials(uniformTensor(t, uint64(50+si), shape...))
				// Line the specials of b up against shifted specials of a,
				// so Inf-Inf, Inf*0 and NaN meet finite values.
				if len(b.Data) > 4 {
					b.Data[0], b.Data[4] = b.Data[4], b.Data[0]
				}
				got, err := binary(op.name, op.kernel, nil, a, b)
				require.NoError(t, err)
				require.Equal(t, a.Shape, got.Shape)
				for i := range got.Data {
					// One float32 operation rounds exactly as float64 then
					// float32 does, because 53 >= 2*24+2.
					want := float32(op.ref(float64(a.Data[i]), float64(b.Data[i])))
					require.True(t, sameFloat32(got.Data[i], want), "%s %v at %d: %v op %v = %v, want %v",
						op.name, shape, i, a.Data[i], b.Data[i], got.Data[i], want)
				}

				// In place: dst is a itself.
				inPlace := a.Clone()
				_, err = binary(op.name, op.kernel, inPlace, inPlace, b)
				require.NoError(t, err)
				for i := range got.Data {
					require.True(t, sameFloat32(inPlace.Data[i], got.Data[i]))
				}
			}
		}
	})
}

func TestPublicOpsUseActiveLevel(t *testing.T) {
	a, err := FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	require.NoError(t, err)
	b, err := FromSlice([]float32{10, 20, 30, 40}, 2, 2)
	require.NoError(t, err)

	sum, err := Add(nil, a, b)
	require.NoError(t, err)
	require.Equal(t, []float32{11, 22, 33, 44}, sum.Data)

	diff, err := Sub(nil, b, a)
	require.NoError(t, err)
	require.Equal(t, []float32{9, 18, 27, 36}, diff.Data)

	prod, err := Mul(nil, a, b)
	require.NoError(t, err)
	require.Equal(t, []float32{10, 40, 90, 160}, prod.Data)

	dst := New(2, 2)
	out, err := Scale(dst, a, -2)
	require.NoError(t, err)
	require.Same(t, dst, out, "Scale must return the dst it was given")
	require.Equal(t, []float32{-2, -4, -6, -8}, dst.Data)

	require.NoError(t, AddScaled(dst, 0.5, b))
	require.Equal(t, []float32{3, 6, 9, 12}, dst.Data)

	biased, err := AddRowVector(nil, a, []float32{100, 200})
	require.NoError(t, err)
	require.Equal(t, []float32{101, 202, 103, 204}, biased.Data)

	scaled, err := MulRowVector(nil, a, []float32{-1, 0.5})
	require.NoError(t, err)
	require.Equal(t, []float32{-1, 1, -3, 2}, scaled.Data)
}

func TestElementwiseShapeErrors(t *testing.T) {
	a, b := New(2, 3), New(3, 2)
	dst := Full(9, 2, 3)

	_, err := Add(dst, a, b)
	requireShapeError(t, err, "[2 3]", "[3 2]")
	_, err = Sub(dst, a, b)
	requireShapeError(t, err, "[2 3]", "[3 2]")
	_, err = Mul(dst, a, b)
	requireShapeError(t, err, "[2 3]", "[3 2]")

	_, err = Add(New(6), a, a)
	requireShapeError(t, err, "[6]", "[2 3]")
	_, err = Scale(New(3, 2), a, 2)
	requireShapeError(t, err, "[3 2]", "[2 3]")
	requireShapeError(t, AddScaled(dst, 1, b), "[3 2]", "[2 3]")
	_, err = Apply(New(1), a, func(v float32) float32 { return v })
	requireShapeError(t, err, "[1]", "[2 3]")
	_, err = ReLU(New(2, 2), a)
	requireShapeError(t, err, "[2 2]", "[2 3]")
	_, err = ReLUBackward(nil, b, a)
	requireShapeError(t, err, "[3 2]", "[2 3]")

	_, err = AddRowVector(dst, a, []float32{1, 2})
	requireShapeError(t, err, "length 2", "[2 3]")
	_, err = MulRowVector(dst, a, make([]float32, 4))
	requireShapeError(t, err, "length 4", "[2 3]")

	require.Equal(t, []float32{9, 9, 9, 9, 9, 9}, dst.Data, "a failed op changed dst")
}

func TestPartialOverlapIsRejected(t *testing.T) {
	x := uniformTensor(t, 7, 5, 4)
	a, shifted := x.Slice(0, 4), x.Slice(1, 5)
	before := x.Clone()

	_, err := Add(shifted, a, a)
	require.ErrorContains(t, err, "partially overlaps")
	_, err = Scale(shifted, a, 2)
	require.ErrorContains(t, err, "partially overlaps")
	require.ErrorContains(t, AddScaled(shifted, 1, a), "partially overlaps")
	_, err = ReLU(shifted, a)
	require.ErrorContains(t, err, "partially overlaps")
	_, err = AddRowVector(a, a, x.Data[:4])
	require.ErrorContains(t, err, "shares memory with the row vector")
	require.Equal(t, before.Data, x.Data, "a rejected op changed the data")

	// The identical tensor is an in-place update, not an overlap.
	_, err = Scale(a, a, 2)
	require.NoError(t, err)
	require.Equal(t, 2*before.Data[0], x.Data[0])
}

func TestScaleAndAddScaled(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for si, shape := range opsShapes {
			a := withSpecials(uniformTensor(t, uint64(20+si), shape...))
			const alpha = float32(-1.75)

			scaled, err := scale(k, nil, a, alpha)
			require.NoError(t, err)
			for i, v := range a.Data {
				want := float32(float64(alpha) * float64(v))
				require.True(t, sameFloat32(scaled.Data[i], want), "Scale %v at %d: got %v, want %v", shape, i, scaled.Data[i], want)
			}

			y := uniformTensor(t, uint64(30+si), shape...)
			got := y.Clone()
			require.NoError(t, addScaled(k, got, alpha, a))
			for i, v := range a.Data {
				product := float64(alpha) * float64(v) // exact in float64
				want := float64(y.Data[i]) + product
				// A fused multiply-add rounds once and a separate multiply
				// and add round twice: at most half an ulp of the product
				// plus half an ulp of the result.
				tol := 0x1p-24 * (math.Abs(product) + math.Abs(want))
				g := float64(got.Data[i])
				if math.IsNaN(want) || math.IsInf(want, 0) {
					require.True(t, sameFloat32(got.Data[i], float32(want)), "AddScaled %v at %d: got %v, want %v", shape, i, g, want)
					continue
				}
				require.LessOrEqual(t, math.Abs(g-want), tol, "AddScaled %v at %d: got %v, want %v", shape, i, g, want)
			}
		}
	})
}

func TestRowVectorOps(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for si, shape := range [][]int{{1, 1}, {5, 7}, {3, 33}, {4, 2, 3}, {0, 6}, {6}} {
			a := withSpecials(uniformTensor(t, uint64(40+si), shape...))
			v := uniformTensor(t, uint64(60+si), a.Cols()).Data
			for _, op := range []struct {
				name   string
				kernel func(dst, x, y []float32)
				ref    func(x, y float64) float64
			}{
				{"AddRowVector", k.Add, func(x, y float64) float64 { return x + y }},
				{"MulRowVector", k.Mul, func(x, y float64) float64 { return x * y }},
			} {
				got, err := rowVector(op.name, op.kernel, nil, a, v)
				require.NoError(t, err)
				c := a.Cols()
				for i := range a.Rows() {
					for j := range c {
						want := float32(op.ref(float64(a.Data[i*c+j]), float64(v[j])))
						require.True(t, sameFloat32(got.Data[i*c+j], want), "%s %v at (%d, %d): got %v, want %v",
							op.name, shape, i, j, got.Data[i*c+j], want)
					}
				}
			}
		}
	})
}

func TestApply(t *testing.T) {
	a := withSpecials(uniformTensor(t, 8, 4, 5))
	got, err := Apply(nil, a, func(v float32) float32 { return 2*v + 1 })
	require.NoError(t, err)
	for i, v := range a.Data {
		require.True(t, sameFloat32(got.Data[i], 2*v+1))
	}

	orig := a.Clone()
	_, err = Apply(a, a, func(v float32) float32 { return -v })
	require.NoError(t, err)
	for i, v := range orig.Data {
		require.True(t, sameFloat32(a.Data[i], -v), "in-place Apply at %d: got %v, want %v", i, a.Data[i], -v)
	}
}

func TestReLUAndBackward(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for si, shape := range opsShapes {
			x := withSpecials(uniformTensor(t, uint64(70+si), shape...))
			dy := uniformTensor(t, uint64(90+si), shape...)

			y, err := relu(k, nil, x)
			require.NoError(t, err)
			dx, err := reluBackward(k, nil, dy, x)
			require.NoError(t, err)
			for i, v := range x.Data {
				var wantY, wantDx float32
				if v > 0 { // false for NaN, so NaN maps to 0
					wantY, wantDx = v, dy.Data[i]
				}
				require.True(t, sameFloat32(y.Data[i], wantY), "ReLU %v at %d: ReLU(%v) = %v, want %v", shape, i, v, y.Data[i], wantY)
				require.False(t, math.Signbit(float64(y.Data[i])), "ReLU(%v) gave a negative zero", v)
				require.True(t, sameFloat32(dx.Data[i], wantDx), "ReLUBackward %v at %d: got %v, want %v", shape, i, dx.Data[i], wantDx)
			}
		}
	})
}

func TestReusedDstDoesNotAllocate(t *testing.T) {
	a := uniformTensor(t, 1, 16, 33)
	b := uniformTensor(t, 2, 16, 33)
	dst, at, sums := New(16, 33), New(33, 16), New(33)
	allocs := testing.AllocsPerRun(10, func() {
		_, _ = Add(dst, a, b)
		_, _ = Scale(dst, dst, 0.5)
		_ = AddScaled(dst, 2, a)
		_, _ = SumRows(sums, a)
		_, _ = AddRowVector(dst, a, sums.Data)
		_, _ = ReLU(dst, dst)
		_, _ = SoftmaxRows(dst, a)
		_, _ = LogSoftmaxRows(dst, a)
		_, _ = Transpose(at, a)
	})
	require.Zero(t, allocs)
}

func TestOverlapErrorsForEveryOp(t *testing.T) {
	x := uniformTensor(t, 12, 5, 4)
	a, shifted := x.Slice(0, 4), x.Slice(1, 5)
	before := x.Clone()
	cases := map[string]func() error{
		"Sub":            func() error { _, err := Sub(shifted, a, a); return err },
		"Mul":            func() error { _, err := Mul(shifted, a, a); return err },
		"MulRowVector":   func() error { _, err := MulRowVector(shifted, a, make([]float32, 4)); return err },
		"Apply":          func() error { _, err := Apply(shifted, a, func(v float32) float32 { return v }); return err },
		"ReLUBackward":   func() error { _, err := ReLUBackward(shifted, a, a); return err },
		"SoftmaxRows":    func() error { _, err := SoftmaxRows(shifted, a); return err },
		"LogSoftmaxRows": func() error { _, err := LogSoftmaxRows(shifted, a); return err },
		"SumCols":        func() error { _, err := SumCols(x.Slice(0, 1).RowView(0), a); return err },
		"LogSumExpRows":  func() error { _, err := LogSumExpRows(x.Slice(0, 1).RowView(0), a); return err },
	}
	for name, run := range cases {
		err := run()
		require.Error(t, err, name)
		require.Contains(t, err.Error(), name, "the error must name the op")
		require.Regexp(t, "overlaps|shares memory", err.Error())
	}
	require.Equal(t, before.Data, x.Data, "a rejected op changed the data")

	_, err := ReLUBackward(New(3), a, a)
	requireShapeError(t, err, "[3]", "[4 4]")
}
