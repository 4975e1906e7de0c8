//go:build (amd64 || arm64) && !purego

package simd

// vecAsm is one level's set of assembly vector kernels. The assembly reads
// only the length of its first slice (dst, dx or x). So install reslices the
// other operands to that length before each call: a short operand then
// panics as in the generic version, and the assembly never runs past its end.
type vecAsm struct {
	dot          func(x, y []float32) float32
	axpy         func(alpha float32, x, y []float32)
	scale        func(alpha float32, x []float32)
	add          func(dst, x, y []float32)
	sub          func(dst, x, y []float32)
	mul          func(dst, x, y []float32)
	sum          func(x []float32) float32
	max          func(x []float32) float32
	relu         func(dst, x []float32)
	reluBackward func(dx, dy, x []float32)
}

// install sets the vector fields of k to the kernels of a.
func (a vecAsm) install(k *Kernels) {
	k.Dot = func(x, y []float32) float32 { return a.dot(x, y[:len(x)]) }
	k.Axpy = func(alpha float32, x, y []float32) { a.axpy(alpha, x, y[:len(x)]) }
	k.Scale = a.scale
	k.Add = func(dst, x, y []float32) { a.add(dst, x[:len(dst)], y[:len(dst)]) }
	k.Sub = func(dst, x, y []float32) { a.sub(dst, x[:len(dst)], y[:len(dst)]) }
	k.Mul = func(dst, x, y []float32) { a.mul(dst, x[:len(dst)], y[:len(dst)]) }
	k.Sum = a.sum
	k.Max = a.max
	k.ReLU = func(dst, x []float32) { a.relu(dst, x[:len(dst)]) }
	k.ReLUBackward = func(dx, dy, x []float32) { a.reluBackward(dx, dy[:len(dx)], x[:len(dx)]) }
}
