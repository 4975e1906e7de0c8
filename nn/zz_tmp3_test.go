package nn

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/tensor"
)

func BenchmarkTmpGemmShapes(b *testing.B) {
	g := tensor.Gemmer{Threads: 1}
	buf := make([]float32, 1<<22)
	c := make([]float32, 1<<22)
	for i := range buf {
		buf[i] = float32(i%7) - 3
	}
	for _, s := range []struct {
		ta, tb  tensor.Op
		m, n, k int
	}{
		{0, 0, 64, 196, 288}, {0, 0, 64, 784, 288}, {0, 0, 64, 1568, 288},
		{0, 1, 64, 288, 196}, {0, 1, 64, 288, 784},
		{1, 0, 288, 196, 64}, {1, 0, 288, 784, 64},
		{0, 0, 32, 784, 9}, {0, 0, 32, 3136, 9},
	} {
		b.Run(fmt.Sprintf("%d%d_%dx%dx%d", s.ta, s.tb, s.m, s.n, s.k), func(b *testing.B) {
			lda, ldb := s.k, s.n
			if s.ta == 1 {
				lda = s.m
			}
			if s.tb == 1 {
				ldb = s.k
			}
			for b.Loop() {
				g.Gemm(s.ta, s.tb, s.m, s.n, s.k, 1, buf, lda, buf, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
