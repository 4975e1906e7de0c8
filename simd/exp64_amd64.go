//go:build !purego

package simd

// Implemented in exp64_amd64.s; each handles len(dst)/8 whole blocks.

//go:noescape
func expBlocksAVX2(dst, x []float64, shift float64, acc *[expSumLanes]float64)

//go:noescape
func expBlocksAVX512(dst, x []float64, shift float64, acc *[expSumLanes]float64)

func init() {
	overrides[AVX2] = append(overrides[AVX2], func(k *Kernels) { k.ExpSum = expSumBlocks(expBlocksAVX2) })
	overrides[AVX512] = append(overrides[AVX512], func(k *Kernels) { k.ExpSum = expSumBlocks(expBlocksAVX512) })
}
