// Command levels prints the SIMD levels this CPU supports, one per line,
// for scripts that run tests once per level.
package main

import (
	"fmt"

	"github.com/nidim/nidim/simd"
)

func main() {
	for _, l := range simd.Supported() {
		fmt.Println(l)
	}
}
