package simd_test

import (
	"fmt"
	"log"

	"github.com/nidim/nidim/simd"
)

// The kernels of the active level work on float32 slices in place. The
// inputs here are small integers, so every level returns the same sums.
func Example() {
	k := simd.Active()

	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	fmt.Println("dot:", k.Dot(x, y))

	k.Axpy(2, x, y) // y += 2x
	fmt.Println("axpy:", y)

	dst := make([]float32, len(x))
	k.Sub(dst, y, x)
	fmt.Println("sub:", dst)
	fmt.Println("sum:", k.Sum(dst), "max:", k.Max(dst))

	// ExpSum works in float64: shifting by the maximum, as a softmax does,
	// gives the unnormalized weights e^(x-2) and their sum.
	w := make([]float64, 3)
	total := k.ExpSum(w, []float64{0, 1, 2}, 2)
	fmt.Printf("softmax: %.4f %.4f %.4f\n", w[0]/total, w[1]/total, w[2]/total)
	// Output:
	// dot: 45
	// axpy: [3 5 7 9 11 13 15 17 19]
	// sub: [2 3 4 5 6 7 8 9 10]
	// sum: 54 max: 10
	// softmax: 0.0900 0.2447 0.6652
}

// Lookup returns the kernels of one level without changing the active one,
// so a program can compare levels side by side. Every build supports
// Generic.
func ExampleLookup() {
	generic, err := simd.Lookup(simd.Generic)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(generic.Level, generic.Dot([]float32{1, 2, 3}, []float32{4, 5, 6}))

	for _, name := range []string{"generic", "avx2", "avx512", "neon"} {
		l, err := simd.ParseLevel(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s runs on %q\n", l, l.Arch())
	}
	// Output:
	// generic 32
	// generic runs on ""
	// avx2 runs on "amd64"
	// avx512 runs on "amd64"
	// neon runs on "arm64"
}
