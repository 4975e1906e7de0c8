// Package simd provides float32 vector kernels and GEMM micro-kernels for
// each instruction-set level the CPU supports: generic Go, AVX2 with FMA,
// AVX-512 (F, BW and VL) and NEON.
//
// Every level is a [Kernels] value. [Active] returns the one the rest of
// nidim uses: the best level the CPU supports, capped by the environment
// variable NIDIM_SIMD (generic, avx2, avx512 or neon) when it is set. A
// level of another architecture, such as avx2 on arm64, caps nothing.
// [SetActive] changes it at run time, and [Lookup] returns any supported
// level without changing the active one, which is how tests run one body
// on every level.
//
// The build tag purego compiles only the generic Go code.
//
// Kernels never allocate. Slices passed as inputs and outputs of one call
// may be identical but must not partially overlap.
package simd
