package simd_test

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// endAtGuardPage returns a slice of n float32 values that ends exactly where
// an inaccessible page begins, so that any access past its end faults. The
// memory is released when the test ends.
func endAtGuardPage(t *testing.T, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	size := (n*4+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	start := size - page - n*4
	s := unsafe.Slice((*float32)(unsafe.Pointer(&mem[start])), n)
	for i := range s {
		s[i] = float32(i%7) - 3
	}
	return s
}

// TestGemmKernelGuardPage runs every kernel with each operand ending at an
// inaccessible page: a kernel that reads or writes one element too far
// crashes the test binary.
func TestGemmKernelGuardPage(t *testing.T) {
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		g := k.Gemm
		rows := simd.GemmRows(k)
		cols := simd.GemmCols(k)
		for _, steps := range []int{0, 1, 3, 4, 5, 17} {
			a := endAtGuardPage(t, steps*g.MR)
			b := endAtGuardPage(t, steps*g.NR)
			c := endAtGuardPage(t, (g.MR-1)*(g.NR+1)+g.NR)
			g.Func(steps, 1, a, b, 0, c, g.NR+1)
			g.Func(steps, 1, a, b, 2, c, g.NR+1)
			if rows != nil {
				lda := steps + 1
				aRows := endAtGuardPage(t, (g.MR-1)*lda+steps)
				rows(steps, 1, aRows, lda, b, 0.5, c, g.NR+1)
			}
			if cols != nil {
				ldb := g.NR + 1
				bRows := endAtGuardPage(t, max(0, (steps-1)*ldb+g.NR))
				cols(steps, 1, a, bRows, ldb, 0.5, c, g.NR+1)
			}
		}
	})
}

func TestPackGuardPage(t *testing.T) {
	for _, width := range []int{4, 6, 12, 16, 32} {
		for _, n := range []int{1, 4, 7, 64} {
			src := endAtGuardPage(t, (n-1)*(width+3)+width)
			dst := endAtGuardPage(t, n*width)
			simd.PackGroups(dst, src, width+3, width, n)

			for _, lines := range []int{width - 1, width} {
				src := endAtGuardPage(t, (lines-1)*(n+2)+n)
				simd.PackTransposed(dst, src, n+2, lines, width, n)
			}
		}
	}
}
