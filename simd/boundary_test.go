//go:build linux

package simd_test

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/simd/simdtest"
)

// guardedPage is one read-write page between two PROT_NONE pages, so that
// any access just before or just after it faults.
type guardedPage struct {
	mem  []byte
	page []float32
}

func newGuardedPage(t *testing.T) guardedPage {
	t.Helper()
	size := unix.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 3*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap of 3 pages: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Munmap(mem); err != nil {
			t.Errorf("munmap: %v", err)
		}
	})
	if err := unix.Mprotect(mem[:size], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect of the first page: %v", err)
	}
	if err := unix.Mprotect(mem[2*size:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect of the last page: %v", err)
	}
	page := unsafe.Slice((*float32)(unsafe.Pointer(&mem[size])), size/4)
	for i := range page {
		page[i] = float32(i%7) - 2.5
	}
	return guardedPage{mem: mem, page: page}
}

// atEnd returns the last n elements of the page, so the element after the
// slice is in a PROT_NONE page.
func (g guardedPage) atEnd(n int) []float32 {
	return g.page[len(g.page)-n:]
}

// atStart returns the first n elements of the page, so the element before
// the slice is in a PROT_NONE page.
func (g guardedPage) atStart(n int) []float32 {
	return g.page[:n:n]
}

// TestKernelsStayInsideSlices runs every vector kernel on slices that end
// (or start) exactly at a PROT_NONE page. A kernel that reads or writes one
// element outside its slices crashes the test binary with SIGSEGV.
func TestKernelsStayInsideSlices(t *testing.T) {
	pages := [3]guardedPage{newGuardedPage(t), newGuardedPage(t), newGuardedPage(t)}
	lengths := testLengths()
	lengths[len(lengths)-1] = len(pages[0].page) - 1 // the largest odd length that fits

	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for _, n := range lengths {
			for _, place := range []func(g guardedPage, n int) []float32{guardedPage.atEnd, guardedPage.atStart} {
				a, b, c := place(pages[0], n), place(pages[1], n), place(pages[2], n)
				k.Dot(a, b)
				k.Sum(a)
				k.Max(a)
				k.Axpy(0.5, a, b)
				k.Scale(1, a)
				k.Add(a, b, c)
				k.Sub(a, b, c)
				k.Mul(a, b, c)
				k.ReLU(a, b)
				k.ReLUBackward(a, b, c)
				if n%2 == 0 {
					// The same bytes as n/2 float64 values.
					k.ExpSum(asFloat64(a), asFloat64(b), 0)
					k.Axpy64(0.5, asFloat64(a), asFloat64(b))
					k.SubFrom64(asFloat64(a), 0.5, asFloat64(b))
					k.Scale64(1, asFloat64(a))
					// Stride 0 reads the one row four times.
					k.AddMul4(asFloat64(a), []float64{1, 2, 3, 4}, asFloat64(c), 0)
				}
			}
		}
	})
}

// asFloat64 returns the memory of x as len(x)/2 float64 values; x must
// start on an 8-byte boundary, as the slices of a page do.
func asFloat64(x []float32) []float64 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&x[0])), len(x)/2)
}

// TestReLUPool2x2StaysInside runs ReLUPool2x2 with its input, output and
// argmax each ending, or starting, at a PROT_NONE page, for every row
// length up to 40 and 1 or 3 output rows.
func TestReLUPool2x2StaysInside(t *testing.T) {
	pages := [3]guardedPage{newGuardedPage(t), newGuardedPage(t), newGuardedPage(t)}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for w := 2; w <= 40; w++ {
			for _, oh := range []int{1, 3} {
				n := oh * (w / 2)
				for _, place := range []func(g guardedPage, n int) []float32{guardedPage.atEnd, guardedPage.atStart} {
					x, y := place(pages[0], 2*oh*w), place(pages[1], n)
					a := place(pages[2], n)
					arg := unsafe.Slice((*int32)(unsafe.Pointer(&a[0])), n)
					k.ReLUPool2x2(y, arg, x, w)
				}
			}
		}
	})
}

// TestReLUPool2x2BackwardStaysInside is TestReLUPool2x2StaysInside for the
// gradient, with dx, dy and y at the page edges.
func TestReLUPool2x2BackwardStaysInside(t *testing.T) {
	pages := [4]guardedPage{newGuardedPage(t), newGuardedPage(t), newGuardedPage(t), newGuardedPage(t)}
	simdtest.ForEachLevel(t, func(t *testing.T, k *simd.Kernels) {
		for w := 2; w <= 40; w++ {
			for _, oh := range []int{1, 3} {
				n := oh * (w / 2)
				arg := make([]int32, n)
				for i := range arg {
					arg[i] = int32(2*(i/(w/2))*w + 2*(i%(w/2))) // top left of each window
				}
				for _, place := range []func(g guardedPage, n int) []float32{guardedPage.atEnd, guardedPage.atStart} {
					dx, dy, y := place(pages[0], 2*oh*w), place(pages[1], n), place(pages[2], n)
					a := place(pages[3], n)
					argAt := unsafe.Slice((*int32)(unsafe.Pointer(&a[0])), n)
					copy(argAt, arg)
					k.ReLUPool2x2Backward(dx, dy, y, argAt, w)
				}
			}
		}
	})
}
