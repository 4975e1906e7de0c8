package nn

import (
	"math"
	"testing"
)

func sortKey(f float32) int32 {
	b := int32(math.Float32bits(f))
	return b ^ (b >> 31 & 0x7fffffff)
}

func pool2x2Keys(y []float32, arg []int32, x []float32, w, oh, ow int) {
	for i := range oh {
		r0 := x[2*i*w : 2*i*w+w]
		r1 := x[(2*i+1)*w : (2*i+1)*w+w]
		yi := y[i*ow : (i+1)*ow]
		ai := arg[i*ow : (i+1)*ow]
		base0, base1 := int32(2*i*w), int32((2*i+1)*w)
		for j := range yi {
			a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
			best, km := base0+int32(2*j), sortKey(a)
			if k := sortKey(b); k > km {
				best, km = base0+int32(2*j)+1, k
			}
			if k := sortKey(c); k > km {
				best, km = base1+int32(2*j), k
			}
			if k := sortKey(d); k > km {
				best, km = base1+int32(2*j)+1, k
			}
			ai[j] = best
			yi[j] = x[best]
		}
	}
}

func BenchmarkTmpPool(b *testing.B) {
	rng := newTestRNG(1)
	x := randomTensor(rng, 32*28*28)
	y := make([]float32, 32*14*14)
	arg := make([]int32, 32*14*14)
	b.Run("branchy", func(b *testing.B) {
		for b.Loop() {
			for p := range 32 {
				pool2x2(y[p*196:], arg[p*196:], x.Data[p*784:], 28, 14, 14)
			}
		}
	})
	b.Run("keys", func(b *testing.B) {
		for b.Loop() {
			for p := range 32 {
				pool2x2Keys(y[p*196:], arg[p*196:], x.Data[p*784:], 28, 14, 14)
			}
		}
	})
}
