package nn

import (
	"testing"

	"github.com/nidim/nidim/tensor"
)

// BenchmarkLinearProducts times the matrix products of the MLP encoder's
// training step, 784-512-512-4, at 512 rows (two views of a batch of 256),
// through splitGemm as Linear runs it. Besides the large products, it
// times the forward product of the output layer, all of whose tiles are
// cut by the edge of C. Besides GFLOP/s it
// reports the CPU time of the process per product, which another program
// on the machine disturbs less than the wall time.
func BenchmarkLinearProducts(b *testing.B) {
	const rows = 512
	for _, p := range []struct {
		name     string
		opA, opB tensor.Op
		m, n, k  int
	}{
		{"forward/784x512", tensor.NoTrans, tensor.Trans, rows, 512, 784},
		{"forward/512x512", tensor.NoTrans, tensor.Trans, rows, 512, 512},
		{"forward/512x4", tensor.NoTrans, tensor.Trans, rows, 4, 512},
		{"weight-grad/784x512", tensor.Trans, tensor.NoTrans, 512, 784, rows},
		{"weight-grad/512x512", tensor.Trans, tensor.NoTrans, 512, 512, rows},
		{"input-grad/512x512", tensor.NoTrans, tensor.NoTrans, rows, 512, 512},
	} {
		b.Run(p.name, func(b *testing.B) {
			lda, ldb := p.k, p.n
			if p.opA == tensor.Trans {
				lda = p.m
			}
			if p.opB == tensor.Trans {
				ldb = p.k
			}
			rng := newTestRNG(1)
			x := randomTensor(rng, p.m*p.k).Data
			w := randomTensor(rng, p.k*p.n).Data
			c := make([]float32, p.m*p.n)
			var g splitGemm
			for range 3 {
				g.gemm(p.opA, p.opB, p.m, p.n, p.k, x, lda, w, ldb, 0, c)
			}
			cpu := processCPUTime()
			for b.Loop() {
				g.gemm(p.opA, p.opB, p.m, p.n, p.k, x, lda, w, ldb, 0, c)
			}
			cpu = processCPUTime() - cpu
			b.ReportMetric(2*float64(p.m*p.n*p.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu > 0 {
				b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-us/op")
			}
		})
	}
}
