//go:build !purego

package simd

// Implemented in exp64_arm64.s; handles len(dst)/8 whole blocks.

//go:noescape
func expBlocksNEON(dst, x []float64, shift float64, acc *[expSumLanes]float64)

func init() {
	overrides[NEON] = append(overrides[NEON], func(k *Kernels) { k.ExpSum = expSumBlocks(expBlocksNEON) })
}
