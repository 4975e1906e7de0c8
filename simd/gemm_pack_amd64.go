//go:build !purego

package simd

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
