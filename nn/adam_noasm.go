//go:build !amd64 || purego

package nn

func adamUpdate(p, g, m, v []float32, c *adamConstants) { adamGeneric(p, g, m, v, c) }
