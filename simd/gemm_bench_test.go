package simd_test

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/simd"
)

// BenchmarkGemmKernel reports the GFLOP/s of one micro-kernel call on
// panels that fit in L1 or L2, the upper bound of what the SGEMM driver can
// reach on one core.
func BenchmarkGemmKernel(b *testing.B) {
	for _, l := range simd.Supported() {
		kern, err := simd.Lookup(l)
		if err != nil {
			b.Fatal(err)
		}
		g := kern.Gemm
		for _, k := range []int{64, 256} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", l, g.MR, k, g.NR), func(b *testing.B) {
				a := make([]float32, k*g.MR)
				bp := make([]float32, k*g.NR)
				c := make([]float32, g.MR*g.NR)
				for i := range a {
					a[i] = float32(i%7) * 0.125
				}
				for i := range bp {
					bp[i] = float32(i%5) * 0.25
				}
				for b.Loop() {
					g.Func(k, 1, a, bp, 1, c, g.NR)
				}
				flops := 2 * float64(g.MR*g.NR*k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
