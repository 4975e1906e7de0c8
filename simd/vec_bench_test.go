package simd_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nidim/nidim/simd"
)

// benchSizes are vector lengths in elements: L1-resident, L2-resident and
// larger than a typical L2.
var benchSizes = []int{256, 4096, 262144}

var benchSink float32

// benchVector runs op as BenchmarkX/<level>/<n> for every supported level.
// bytesPerElem is the memory an element costs: 4 per float32 read plus 4
// per float32 written. The GB/s metric is the same figure as the MB/s that
// SetBytes gives, in decimal gigabytes.
func benchVector(b *testing.B, bytesPerElem int, op func(k *simd.Kernels, dst, x, y []float32)) {
	for _, l := range simd.Supported() {
		k, err := simd.Lookup(l)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(l.String(), func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					rng := rand.New(rand.NewPCG(uint64(n), 1))
					dst, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
					fillRandom(rng, x, false)
					fillRandom(rng, y, false)
					bytes := int64(bytesPerElem * n)
					b.SetBytes(bytes)
					b.ReportAllocs()
					for b.Loop() {
						op(k, dst, x, y)
					}
					b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		})
	}
}

func BenchmarkDot(b *testing.B) {
	benchVector(b, 8, func(k *simd.Kernels, _, x, y []float32) { benchSink = k.Dot(x, y) })
}

func BenchmarkSum(b *testing.B) {
	benchVector(b, 4, func(k *simd.Kernels, _, x, _ []float32) { benchSink = k.Sum(x) })
}

func BenchmarkMax(b *testing.B) {
	benchVector(b, 4, func(k *simd.Kernels, _, x, _ []float32) { benchSink = k.Max(x) })
}

func BenchmarkAxpy(b *testing.B) {
	// A small alpha keeps y finite over many iterations.
	benchVector(b, 12, func(k *simd.Kernels, _, x, y []float32) { k.Axpy(1e-9, x, y) })
}

func BenchmarkScale(b *testing.B) {
	benchVector(b, 8, func(k *simd.Kernels, _, x, _ []float32) { k.Scale(1, x) })
}

func BenchmarkAdd(b *testing.B) {
	benchVector(b, 12, func(k *simd.Kernels, dst, x, y []float32) { k.Add(dst, x, y) })
}

func BenchmarkSub(b *testing.B) {
	benchVector(b, 12, func(k *simd.Kernels, dst, x, y []float32) { k.Sub(dst, x, y) })
}

func BenchmarkMul(b *testing.B) {
	benchVector(b, 12, func(k *simd.Kernels, dst, x, y []float32) { k.Mul(dst, x, y) })
}

func BenchmarkReLU(b *testing.B) {
	benchVector(b, 8, func(k *simd.Kernels, dst, x, _ []float32) { k.ReLU(dst, x) })
}

func BenchmarkReLUBackward(b *testing.B) {
	benchVector(b, 12, func(k *simd.Kernels, dst, x, y []float32) { k.ReLUBackward(dst, x, y) })
}
