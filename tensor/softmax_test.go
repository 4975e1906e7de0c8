package tensor

import (
	"fmt"
	"math"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
	"github.com/stretchr/testify/require"
)

// softmaxRef64 returns the softmax, log-softmax and log-sum-exp of a finite
// row in float64.
func softmaxRef64(row []float32) (p, logp []float64, lse float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	lse = m + math.Log(s)
	p = make([]float64, len(row))
	logp = make([]float64, len(row))
	for j, v := range row {
		logp[j] = float64(v) - lse
		p[j] = math.Exp(logp[j])
	}
	return p, logp, lse
}

// requireNearFloat32 checks got against a float64 reference to within
// relative error rel, plus 2^-50 relative for the float64 computation of
// the reference, and at least the smallest subnormal, so a result that
// underflows to 0 passes. NaN fails unless want is NaN.
func requireNearFloat32(t *testing.T, got float32, want float64, rel float64, msg string) {
	t.Helper()
	if math.IsNaN(want) || math.IsInf(want, 0) {
		require.True(t, sameFloat32(got, float32(want)), "%s: got %v, want %v", msg, got, want)
		return
	}
	tol := math.Max((rel+0x1p-50)*math.Abs(want), 0x1p-149)
	require.False(t, math.IsNaN(float64(got)), "%s: got NaN, want %v", msg, want)
	require.LessOrEqual(t, math.Abs(float64(got)-want), tol, "%s: got %v, want %v", msg, got, want)
}

func TestSoftmaxFamilyMatchesFloat64(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for si, shape := range [][]int{{1, 1}, {3, 7}, {17, 33}, {2, 3, 4}, {5}} {
			a := uniformTensor(t, uint64(200+si), shape...)
			// Stretch the values to [-30, 30) so the exponentials span
			// many binades.
			_, err := scale(k, a, a, 30)
			require.NoError(t, err)

			p, err := softmaxRows(k.Max, nil, a)
			require.NoError(t, err)
			logp, err := logSoftmaxRows(k.Max, nil, a)
			require.NoError(t, err)
			lse, err := logSumExpRows(k.Max, nil, a)
			require.NoError(t, err)
			require.Equal(t, []int{a.Rows()}, lse.Shape)

			c := a.Cols()
			for i := range a.Rows() {
				wantP, wantLogp, wantLse := softmaxRef64(a.Row(i))
				// Log-sum-exp and log-softmax round once to float32 (2^-24
				// relative); softmax rounds twice (2^-23).
				requireNearFloat32(t, lse.Data[i], wantLse, 0x1p-24, fmt.Sprintf("LogSumExpRows %v row %d", shape, i))
				var total float64
				for j := range c {
					requireNearFloat32(t, p.Data[i*c+j], wantP[j], 0x1p-23, fmt.Sprintf("SoftmaxRows %v (%d, %d)", shape, i, j))
					requireNearFloat32(t, logp.Data[i*c+j], wantLogp[j], 0x1p-24, fmt.Sprintf("LogSoftmaxRows %v (%d, %d)", shape, i, j))
					total += float64(p.Data[i*c+j])
				}
				// Each term is within 2^-23 relative of its exact value.
				require.InDelta(t, 1, total, 0x1p-23+0x1p-50, "row %d of %v does not sum to 1", i, shape)
			}
		}
	})
}

func TestSoftmaxSpecialRows(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name    string
		row     []float32
		p, logp []float64
		lse     float64
	}{
		{"huge values", []float32{1000, -1000}, []float64{1, 0}, []float64{0, -2000}, 1000},
		{"equal huge", []float32{1000, 1000}, []float64{0.5, 0.5}, []float64{-math.Ln2, -math.Ln2}, 1000 + math.Ln2},
		{"all very negative", []float32{-1000, -1000, -1000, -1000}, []float64{0.25, 0.25, 0.25, 0.25},
			[]float64{-2 * math.Ln2, -2 * math.Ln2, -2 * math.Ln2, -2 * math.Ln2}, -1000 + 2*math.Ln2},
		{"-Inf entries", []float32{float32(-inf), 0, float32(-inf), 0}, []float64{0, 0.5, 0, 0.5},
			[]float64{-inf, -math.Ln2, -inf, -math.Ln2}, math.Ln2},
		{"+Inf entries", []float32{float32(inf), 3, float32(inf), float32(-inf)}, []float64{0.5, 0, 0.5, 0},
			[]float64{-math.Ln2, -inf, -math.Ln2, -inf}, inf},
		{"NaN entry", []float32{1, float32(nan), 2}, []float64{nan, nan, nan}, []float64{nan, nan, nan}, nan},
		{"NaN with +Inf", []float32{float32(inf), float32(nan)}, []float64{nan, nan}, []float64{nan, nan}, nan},
		{"NaN with -Inf", []float32{float32(-inf), float32(nan)}, []float64{nan, nan}, []float64{nan, nan}, nan},
		{"all -Inf", []float32{float32(-inf), float32(-inf)}, []float64{nan, nan}, []float64{nan, nan}, -inf},
		{"single", []float32{-7}, []float64{1}, []float64{0}, -7},
	}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, c := range cases {
			a, err := FromSlice(append([]float32(nil), c.row...), 1, len(c.row))
			require.NoError(t, err)
			p, err := softmaxRows(k.Max, nil, a)
			require.NoError(t, err)
			logp, err := logSoftmaxRows(k.Max, nil, a)
			require.NoError(t, err)
			lse, err := logSumExpRows(k.Max, nil, a)
			require.NoError(t, err)
			for j := range c.row {
				requireNearFloat32(t, p.Data[j], c.p[j], 0x1p-23, fmt.Sprintf("%s: softmax[%d]", c.name, j))
				requireNearFloat32(t, logp.Data[j], c.logp[j], 0x1p-24, fmt.Sprintf("%s: log-softmax[%d]", c.name, j))
			}
			requireNearFloat32(t, lse.Data[0], c.lse, 0x1p-24, c.name+": log-sum-exp")
		}
	})
}

func TestSoftmaxEmptyAndShapes(t *testing.T) {
	// Rows with no columns: the log-sum-exp of an empty sum is -Inf.
	lse, err := LogSumExpRows(nil, New(3, 0))
	require.NoError(t, err)
	require.Equal(t, []float32{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}, lse.Data)
	p, err := SoftmaxRows(nil, New(3, 0))
	require.NoError(t, err)
	require.Equal(t, []int{3, 0}, p.Shape)
	p, err = SoftmaxRows(nil, New(0, 4))
	require.NoError(t, err)
	require.Equal(t, 0, p.Len())

	a := uniformTensor(t, 3, 2, 5)
	_, err = SoftmaxRows(New(5, 2), a)
	requireShapeError(t, err, "[5 2]", "[2 5]")
	_, err = LogSoftmaxRows(New(10), a)
	requireShapeError(t, err, "[10]", "[2 5]")
	_, err = LogSumExpRows(New(5), a)
	requireShapeError(t, err, "[5]", "[2]", "[2 5]")

	// In place gives the same result as a separate dst.
	want, err := SoftmaxRows(nil, a)
	require.NoError(t, err)
	_, err = SoftmaxRows(a, a)
	require.NoError(t, err)
	require.Equal(t, want.Data, a.Data)
}

func BenchmarkSoftmaxRows(b *testing.B) {
	for _, shape := range [][2]int{{256, 256}, {64, 10}, {1024, 1000}} {
		r, c := shape[0], shape[1]
		b.Run(fmt.Sprintf("%dx%d", r, c), func(b *testing.B) {
			a := uniformTensor(b, 1, r, c)
			dst := New(r, c)
			b.SetBytes(int64(8 * r * c)) // one float32 read and one written per element
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SoftmaxRows(dst, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
