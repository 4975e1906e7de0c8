package simd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// reluPoolReference is ReLUPool2x2 written out: ReLU each value of the
// window, then take the first maximum in the order top left, top right,
// bottom left, bottom right.
func reluPoolReference(x []float32, w, oh int) ([]float32, []int32) {
	ow := w / 2
	y, arg := make([]float32, oh*ow), make([]int32, oh*ow)
	relu := func(v float32) float32 {
		if v > 0 {
			return v
		}
		return 0
	}
	for i := range oh {
		for j := range ow {
			idx := []int{2*i*w + 2*j, 2*i*w + 2*j + 1, (2*i+1)*w + 2*j, (2*i+1)*w + 2*j + 1}
			best := idx[0]
			for _, q := range idx[1:] {
				if relu(x[q]) > relu(x[best]) {
					best = q
				}
			}
			y[i*ow+j], arg[i*ow+j] = relu(x[best]), int32(best)
		}
	}
	return y, arg
}

// TestReLUPool2x2 compares every level with the reference bit for bit, on
// rows of 2 to 70 values (odd ones too, whose last column is left out), so
// that the AVX-512 kernel's steps of 16 windows meet every tail length, on
// values with NaN, infinities, zeros of both signs, subnormals and many
// ties. Guards around y and arg catch writes past their ends.
func TestReLUPool2x2(t *testing.T) {
	ties := []float32{-1, 0, float32(math.Copysign(0, -1)), 0.5, 0.5, 2, float32(math.NaN()), float32(math.Inf(1))}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(5, 6))
		for w := 2; w <= 70; w++ {
			for oh := 0; oh <= 3; oh++ {
				for _, tied := range []bool{false, true} {
					ow := w / 2
					x := randomInput(rng, 2*oh*w, rng.IntN(maxOffset+1), true)
					if tied {
						for i := range x.s() {
							x.s()[i] = ties[rng.IntN(len(ties))]
						}
					}
					y := newGuarded(oh*ow, 0)
					const guard = int32(-7)
					argBuf := make([]int32, oh*ow+guardElems)
					for i := range argBuf {
						argBuf[i] = guard
					}
					k.ReLUPool2x2(y.s(), argBuf[:oh*ow], x.s(), w)
					wantY, wantArg := reluPoolReference(x.s(), w, oh)
					for i := range wantY {
						if math.Float32bits(y.s()[i]) != math.Float32bits(wantY[i]) || argBuf[i] != wantArg[i] {
							t.Fatalf("w %d, oh %d, tied %v: window %d gives %v at %d, want %v at %d",
								w, oh, tied, i, y.s()[i], argBuf[i], wantY[i], wantArg[i])
						}
					}
					y.checkGuards(t, "ReLUPool2x2 y")
					for i, v := range argBuf[oh*ow:] {
						if v != guard {
							t.Fatalf("w %d, oh %d: argmax element %d past the end was overwritten", w, oh, i)
						}
					}
				}
			}
		}
	})
}

// TestReLUPool2x2Panics checks the length checks of every level.
func TestReLUPool2x2Panics(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, c := range []struct {
			name      string
			y, x, arg int
			w         int
		}{
			{"w of 1", 1, 4, 1, 1},
			{"ragged output", 5, 64, 5, 4},
			{"short argmax", 4, 32, 3, 4},
			{"short input", 4, 15, 4, 4},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", c.name)
					}
				}()
				k.ReLUPool2x2(make([]float32, c.y), make([]int32, c.arg), make([]float32, c.x), c.w)
			}()
		}
		k.ReLUPool2x2(nil, nil, nil, 1) // no output: nothing to check
	})
}

// reluPoolBackwardReference is ReLUPool2x2Backward written out: clear,
// then add each passing gradient at its argmax.
func reluPoolBackwardReference(dy, y []float32, arg []int32, w, oh int) []float32 {
	dx := make([]float32, 2*oh*w)
	for j, a := range arg[:len(y)] {
		if y[j] > 0 {
			dx[a] += dy[j]
		}
	}
	return dx
}

// TestReLUPool2x2Backward runs ReLUPool2x2 on tied and special values, then
// its gradient with random dy (with zeros of both signs and NaN), and
// compares every level with the reference bit for bit. The input gradient
// starts as NaN, so every element must be written, and guards catch writes
// past its end.
func TestReLUPool2x2Backward(t *testing.T) {
	ties := []float32{-1, 0, float32(math.Copysign(0, -1)), 0.5, 0.5, 2, float32(math.NaN()), float32(math.Inf(1))}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		rng := rand.New(rand.NewPCG(7, 8))
		for w := 2; w <= 70; w++ {
			for oh := 0; oh <= 3; oh++ {
				ow := w / 2
				x := make([]float32, 2*oh*w)
				for i := range x {
					x[i] = ties[rng.IntN(len(ties))]
				}
				y, arg := reluPoolReference(x, w, oh)
				dy := randomInput(rng, oh*ow, 0, true)
				dx := newGuarded(2*oh*w, rng.IntN(maxOffset+1))
				for i := range dx.s() {
					dx.s()[i] = float32(math.NaN())
				}
				k.ReLUPool2x2Backward(dx.s(), dy.s(), y, arg, w)
				want := reluPoolBackwardReference(dy.s(), y, arg, w, oh)
				for i := range want {
					if math.Float32bits(dx.s()[i]) != math.Float32bits(want[i]) {
						t.Fatalf("w %d, oh %d: dx[%d] = %v (%#x), want %v (%#x)", w, oh, i, dx.s()[i], math.Float32bits(dx.s()[i]), want[i], math.Float32bits(want[i]))
					}
				}
				dx.checkGuards(t, "ReLUPool2x2Backward dx")
			}
		}
	})
}

// TestReLUPool2x2BackwardPanics checks the length checks of every level.
func TestReLUPool2x2BackwardPanics(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, c := range []struct {
			name           string
			dx, dy, y, arg int
			w              int
		}{
			{"w of 1", 4, 1, 1, 1, 1},
			{"ragged output", 64, 5, 5, 5, 4},
			{"short argmax", 16, 4, 4, 3, 4},
			{"short dy", 16, 3, 4, 4, 4},
			{"short dx", 15, 4, 4, 4, 4},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", c.name)
					}
				}()
				k.ReLUPool2x2Backward(make([]float32, c.dx), make([]float32, c.dy), make([]float32, c.y), make([]int32, c.arg), c.w)
			}()
		}
		k.ReLUPool2x2Backward(nil, nil, nil, nil, 1)
	})
}
