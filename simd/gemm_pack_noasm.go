//go:build !amd64 || purego

package simd

// packAsm reports whether PackGroups and PackTransposed use assembly.
const packAsm = false

// packAVX reports whether PackTransposed may use transpose8AVX.
const packAVX = false

func packGroupsSSE(dst, src *float32, ld, width, n int) {
	panic("simd: packGroupsSSE has no assembly in this build")
}

func transpose4SSE(dst, src *float32, ld, width, lines, n int) {
	panic("simd: transpose4SSE has no assembly in this build")
}

func transpose8AVX(dst, src *float32, ld, width, lines, n int) {
	panic("simd: transpose8AVX has no assembly in this build")
}
