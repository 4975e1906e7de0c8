package simd

// mulAdd64 returns s + x*y with the product rounded before the sum, as Go
// compiles s += x*y on amd64 with the default GOAMD64=v1. The conversion
// keeps the compiler from fusing the two with GOAMD64=v3, so the generic
// code rounds like the assembly kernels in every amd64 build.
func mulAdd64(s, x, y float64) float64 {
	return s + float64(x*y)
}
