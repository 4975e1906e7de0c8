//go:build !purego

package simd

import "github.com/klauspost/cpuid/v2"

// packAsm reports whether PackGroups and PackTransposed use assembly. The
// routines need only SSE, which every amd64 CPU has.
const packAsm = true

// packGroupsSSE is PackGroups on checked arguments with n, width > 0.
//
//go:noescape
func packGroupsSSE(dst, src *float32, ld, width, n int)

// transpose4SSE sets dst[p*width+r] = src[r*ld+p] for r < lines and p < n,
// both multiples of 4 and greater than 0, in 4 x 4 blocks; the caller
// checks the bounds.
//
//go:noescape
func transpose4SSE(dst, src *float32, ld, width, lines, n int)

// packAVX reports whether PackTransposed may use transpose8AVX. Its
// instructions are all AVX, but the package's assembly check counts
// VPERM2F128 as AVX2, so the guard requires both. Every CPU with AVX2 has
// AVX.
var packAVX = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2)

// transpose8AVX is transpose4SSE with lines and n multiples of 8.
//
//go:noescape
func transpose8AVX(dst, src *float32, ld, width, lines, n int)
