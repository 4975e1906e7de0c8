package stats

// mulAdd returns s + x*y with the product rounded before the sum, as Go
// compiles s += x*y on amd64 with the default GOAMD64=v1. The conversion
// keeps the compiler from fusing the two with GOAMD64=v3, so the inner
// products round like simd.PanelDot64 in every amd64 build.
func mulAdd(s, x, y float64) float64 {
	return s + float64(x*y)
}
