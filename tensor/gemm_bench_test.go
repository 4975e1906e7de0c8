package tensor

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/simd"
)

// BenchmarkSgemm reports GFLOP/s (2*m*k*n per call) for every supported
// level on square sizes with one and two goroutines, and on the shapes of
// the MLP encoder's training step and of a few products with few rows.
// Names read
// Sgemm/<level>/<m>x<k>x<n>/<op>/threads=<t>, where op names the transposed
// operand (NN, TN or NT).
func BenchmarkSgemm(b *testing.B) {
	type shape struct {
		m, k, n int
		op      string
		threads []int
	}
	var shapes []shape
	for _, s := range []int{64, 256, 512, 1024} {
		shapes = append(shapes, shape{s, s, s, "NN", []int{1, 2}})
	}
	for _, s := range [][3]int{{256, 784, 512}, {256, 512, 512}, {256, 512, 64}, {512, 64, 512}} {
		for _, op := range []string{"NN", "TN", "NT"} {
			shapes = append(shapes, shape{s[0], s[1], s[2], op, []int{1}})
		}
	}
	// Few rows of A, where B is read in place (colsMaxM): the convolutions
	// of the CNN step (weights times two and sixteen unfolded samples) and
	// the weight gradients of an encoder's last layer at batch 256 and
	// 4096.
	for _, s := range []shape{{64, 289, 392, "NN", []int{1}}, {32, 10, 12544, "NN", []int{1}}, {64, 256, 512, "TN", []int{1}}, {8, 4096, 512, "TN", []int{1}}} {
		shapes = append(shapes, s)
	}
	for _, l := range simd.Supported() {
		kern, err := simd.Lookup(l)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range shapes {
			for _, threads := range s.threads {
				name := fmt.Sprintf("%s/%dx%dx%d/%s/threads=%d", l, s.m, s.k, s.n, s.op, threads)
				b.Run(name, func(b *testing.B) {
					benchGemm(b, Gemmer{Kernels: kern, Threads: threads}, s.op, s.m, s.k, s.n)
				})
			}
		}
	}
}

func benchGemm(b *testing.B, g Gemmer, op string, m, k, n int) {
	opA, opB := NoTrans, NoTrans
	lda, ldb := k, n
	switch op {
	case "TN":
		opA, lda = Trans, m
	case "NT":
		opB, ldb = Trans, k
	}
	a := make([]float32, m*k)
	bm := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13) * 0.25
	}
	for i := range bm {
		bm[i] = float32(i%11) * 0.5
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Gemm(opA, opB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
