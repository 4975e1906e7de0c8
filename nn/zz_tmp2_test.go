package nn

import (
	"testing"

	"github.com/nidim/nidim/tensor"
)

func BenchmarkTmpGemmMLP(b *testing.B) {
	type g struct {
		ta, tb  tensor.Op
		m, n, k int
	}
	calls := []g{
		{0, 1, 256, 512, 784}, {0, 1, 256, 512, 512}, {0, 1, 256, 64, 512},
		{1, 0, 64, 512, 256}, {1, 0, 512, 512, 256}, {1, 0, 512, 784, 256},
		{0, 0, 256, 512, 64}, {0, 0, 256, 512, 512},
	}
	buf := make([]float32, 1<<20)
	c := make([]float32, 1<<20)
	for i := range buf {
		buf[i] = float32(i%7) - 3
	}
	for b.Loop() {
		for _, x := range calls {
			lda, ldb := x.k, x.n
			if x.ta == 1 {
				lda = x.m
			}
			if x.tb == 1 {
				ldb = x.k
			}
			tensor.Gemm(x.ta, x.tb, x.m, x.n, x.k, 1, buf, lda, buf, ldb, 0, c, x.n)
		}
	}
	b.ReportMetric(256*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
