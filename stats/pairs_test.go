package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// sumPairsSquaredScalar is sumPairsSquared as it was before the panel
// kernel: the same sums with the inner products of two rows i against
// four rows j formed in scalar Go. The tests hold the kernel version to
// its bits.
func sumPairsSquaredScalar(x Matrix, workers int, f func(d2 float64) float64) float64 {
	norms := make([]float64, x.N)
	for i := range norms {
		norms[i] = dotSequential(x.Row(i), x.Row(i))
	}
	dist := func(i, j int, g float64) float64 {
		return f(max(0, norms[i]+norms[j]-2*g))
	}
	blocks := (x.N + pairBlockRows - 1) / pairBlockRows
	partial := make([]float64, blocks)
	forEachBlock(blocks, workers, func(b int) {
		s := 0.0
		end := min(x.N, (b+1)*pairBlockRows)
		for i := b * pairBlockRows; i < end; i += 2 {
			if i+1 == x.N {
				break
			}
			a0, a1 := x.Row(i), x.Row(i+1)
			s += dist(i, i+1, dotSequential(a0, a1))
			j := i + 2
			for ; j+4 <= x.N; j += 4 {
				var g [8]float64
				dot2x4Scalar(a0, a1, x.Row(j), x.Row(j+1), x.Row(j+2), x.Row(j+3), &g)
				for c := 0; c < 4; c++ {
					s += dist(i, j+c, g[c])
					s += dist(i+1, j+c, g[4+c])
				}
			}
			for ; j < x.N; j++ {
				bj := x.Row(j)
				s += dist(i, j, dotSequential(a0, bj))
				s += dist(i+1, j, dotSequential(a1, bj))
			}
		}
		partial[b] = s
	})
	total := 0.0
	for _, s := range partial {
		total += s
	}
	return total
}

// dot2x4Scalar stores a0·b0..a0·b3 in g[0:4] and a1·b0..a1·b3 in g[4:8].
// It rounds with mulAdd, which is how the Go compiler rounded the old
// s00 += u * c0 in the default builds. With GOAMD64=v3 the compiler fused
// those statements and not the ones of dotSequential.
func dot2x4Scalar(a0, a1, b0, b1, b2, b3 []float64, g *[8]float64) {
	n := len(a0)
	a1, b0, b1, b2, b3 = a1[:n], b0[:n], b1[:n], b2[:n], b3[:n]
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	for k := 0; k < n; k++ {
		u, v := a0[k], a1[k]
		c0, c1, c2, c3 := b0[k], b1[k], b2[k], b3[k]
		s00 = mulAdd(s00, u, c0)
		s01 = mulAdd(s01, u, c1)
		s02 = mulAdd(s02, u, c2)
		s03 = mulAdd(s03, u, c3)
		s10 = mulAdd(s10, v, c0)
		s11 = mulAdd(s11, v, c1)
		s12 = mulAdd(s12, v, c2)
		s13 = mulAdd(s13, v, c3)
	}
	*g = [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// pairsTestMatrix returns n x d values whose magnitudes span about 10^-5
// to 10^5 (scale 0) or standard normal values times scale, with row 1 a
// copy of row 0 and, for n > 9, row 9 a copy of row 4, so that some
// distances are exactly 0.
func pairsTestMatrix(rng *rand.Rand, n, d int, scale float64) Matrix {
	m := Matrix{N: n, D: d, Data: make([]float64, n*d)}
	for k := range m.Data {
		if scale == 0 {
			m.Data[k] = rng.NormFloat64() * math.Exp(3*rng.NormFloat64())
		} else {
			m.Data[k] = scale * rng.NormFloat64()
		}
	}
	if n > 1 {
		copy(m.Row(1), m.Row(0))
	}
	if n > 9 {
		copy(m.Row(9), m.Row(4))
	}
	return m
}

// TestSumPairsSquaredSameBits compares sumPairsSquared with the scalar
// version bit for bit on every SIMD level, with math.Sqrt (the energy
// tests) and the Henze-Zirkler kernel as f. Row lengths go around the
// kernels' 2-, 4- and 8-lane steps, and row counts around the panel's
// groups of 8 and the blocks of 16 rows.
func TestSumPairsSquaredSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	hz := func(d2 float64) float64 { return math.Exp(-0.3 * d2) }
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64} {
			for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 18, 31, 33, 40, 101} {
				for _, scale := range []float64{0, 1} {
					x := pairsTestMatrix(rng, n, d, scale)
					name := fmt.Sprintf("d=%d n=%d scale=%v", d, n, scale)
					for _, workers := range []int{1, 3} {
						want := sumPairsSquaredScalar(x, workers, math.Sqrt)
						got := sumPairsFromDots(x, workers, nil, k)
						require.Equal(t, math.Float64bits(want), math.Float64bits(got), "sqrt %s workers=%d: want %v, got %v", name, workers, want, got)
						got = sumPairsFromDots(x, workers, math.Sqrt, k)
						require.Equal(t, math.Float64bits(want), math.Float64bits(got), "f=math.Sqrt %s workers=%d", name, workers)

						want = sumPairsSquaredScalar(x, workers, hz)
						got = sumPairsFromDots(x, workers, hz, k)
						require.Equal(t, math.Float64bits(want), math.Float64bits(got), "Henze-Zirkler %s workers=%d: want %v, got %v", name, workers, want, got)
					}
				}
			}
		}
	})
}

// TestSumPairDistancesEqualRows checks that equal rows are at distance
// exactly 0: 12 copies of one row sum to 0.
func TestSumPairDistancesEqualRows(t *testing.T) {
	x := Matrix{N: 12, D: 5, Data: make([]float64, 12*5)}
	for i := range x.N {
		copy(x.Row(i), []float64{0.1, -3.7, 1e-3, 2.5e4, 0.3})
	}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		require.Equal(t, 0.0, sumPairsFromDots(x, 2, nil, k))
	})
}

// TestSumPairDistancesValue checks the sum against distances formed by
// subtracting coordinates, on 3 rows: |(0,0)-(3,4)| + |(0,0)-(6,8)| +
// |(3,4)-(6,8)| = 5 + 10 + 5.
func TestSumPairDistancesValue(t *testing.T) {
	x := Matrix{N: 3, D: 2, Data: []float64{0, 0, 3, 4, 6, 8}}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		require.Equal(t, 20.0, sumPairsFromDots(x, 1, nil, k))
	})
}

// BenchmarkSumPairDistances times the pairwise sum of the energy tests on
// 500 rows, on every SIMD level and in the scalar version above.
func BenchmarkSumPairDistances(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{4, 16} {
		x := pairsTestMatrix(rng, 500, d, 1)
		var sink float64
		b.Run(fmt.Sprintf("d%d/scalar", d), func(b *testing.B) {
			for b.Loop() {
				sink += sumPairsSquaredScalar(x, 1, math.Sqrt)
			}
		})
		for _, l := range simd.Supported() {
			k, err := simd.Lookup(l)
			require.NoError(b, err)
			b.Run(fmt.Sprintf("d%d/%s", d, l), func(b *testing.B) {
				for b.Loop() {
					sink += sumPairsFromDots(x, 1, nil, k)
				}
			})
		}
		require.False(b, math.IsNaN(sink))
	}
}
