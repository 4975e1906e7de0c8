//go:build !purego

package simd

// reluPool2x2AVX512 is ReLUPool2x2 on oh output rows, whose lengths the
// caller checks.
//
//go:noescape
func reluPool2x2AVX512(y []float32, arg []int32, x []float32, w int, oh int)

// reluPool2x2BackwardAVX512 is ReLUPool2x2Backward on oh output rows, whose
// lengths the caller checks, except for the last column of odd rows.
//
//go:noescape
func reluPool2x2BackwardAVX512(dx, dy, y []float32, arg []int32, w int, oh int)

func init() {
	overrides[AVX512] = append(overrides[AVX512], func(k *Kernels) {
		k.ReLUPool2x2 = func(y []float32, arg []int32, x []float32, w int) {
			oh := checkReLUPool2x2(y, arg, x, w)
			if oh == 0 {
				return
			}
			reluPool2x2AVX512(y, arg, x, w, oh)
		}
		k.ReLUPool2x2Backward = func(dx, dy, y []float32, arg []int32, w int) {
			oh := checkReLUPool2x2Backward(dx, dy, y, arg, w)
			if oh == 0 {
				return
			}
			reluPool2x2BackwardAVX512(dx, dy, y, arg, w, oh)
			if w%2 != 0 {
				for r := range 2 * oh {
					dx[r*w+w-1] = 0
				}
			}
		}
	})
}
