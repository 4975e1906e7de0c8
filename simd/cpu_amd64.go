//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

// cpuSupports reports whether this CPU can run level l. cpuid reports AVX
// and AVX-512 features only when the OS saves the YMM and ZMM state. FMA3 is
// checked separately from AVX2 because the kernels use VFMADD instructions.
func cpuSupports(l Level) bool {
	switch l {
	case Generic:
		return true
	case AVX2:
		return cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	case AVX512:
		return cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL)
	}
	return false
}
