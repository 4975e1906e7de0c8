package tensor

import (
	"fmt"

	"github.com/nidim/nidim/simd"
)

// Op selects whether a matrix operand is used as stored or transposed.
type Op uint8

const (
	NoTrans Op = iota
	Trans
)

func (op Op) String() string {
	switch op {
	case NoTrans:
		return "NoTrans"
	case Trans:
		return "Trans"
	}
	return fmt.Sprintf("Op(%d)", uint8(op))
}

// Gemm computes C = alpha*op(A)*op(B) + beta*C where op(A) is m x k, op(B)
// is k x n and C is m x n, all row-major with leading dimensions lda, ldb
// and ldc. A is stored m x k for NoTrans and k x m for Trans, and likewise
// B is stored k x n or n x k. When beta is 0, C is not read, so NaN in C
// does not propagate. C must not overlap A or B.
//
// Gemm uses the kernels of [simd.Active] and [Threads] goroutines; see
// [Gemmer] to choose either. It panics, as BLAS does, when a dimension is
// negative, a leading dimension is smaller than its row width or a slice is
// too short for the dimensions.
//
// The algorithm is the one of Goto and van de Geijn ("Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), 2008,
// doi:10.1145/1356052.1356053). The k
// dimension is cut into near-equal blocks of at most 384 and n into blocks
// of at most 4096 columns. For each pair of blocks, the block of op(B) is
// packed once into panels of NR columns, shared by all goroutines. The
// rows of C are then cut into chunks of at most 384 rows, and into a few
// chunks per goroutine when there are several. The goroutine that takes a
// chunk packs its rows of op(A) into panels of MR rows and calls the
// MR x NR micro-kernel of the level for each tile. When A is not
// transposed, n is at most 128 and the level has a kernel that reads A in
// place ([simd.GemmRows]), A is not packed. Otherwise, when B is not
// transposed, m is at most 64 and the level has a kernel that reads B in
// place ([simd.GemmCols]), only a panel of B cut by its edge is packed.
// Those kernels compute the same values as the packed one. Tiles cut by
// the edge of C go through a small temporary tile. Every element of C is computed by the
// same operations in the same order whatever the number of goroutines, so
// the result does not depend on it. After the first call of a given size,
// Gemm does not allocate.
func Gemm(opA, opB Op, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Gemmer{}.Gemm(opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gemmer runs [Gemm] with chosen kernels and goroutine count, so that tests
// and benchmarks can run every SIMD level without changing global state.
// The zero value is Gemm itself.
type Gemmer struct {
	Kernels *simd.Kernels // nil means simd.Active()
	Threads int           // 0 or less means Threads()
}

// Gemm is [Gemm] with the kernels and goroutine count of g.
func (g Gemmer) Gemm(opA, opB Op, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemmArgs(opA, opB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	kern := g.Kernels
	if kern == nil {
		kern = simd.Active()
	}
	threads := g.Threads
	if threads <= 0 {
		threads = Threads()
	}
	runGemm(kern, threads, gemmArgs{
		opA: opA, opB: opB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
	})
}

// MatMul computes c = alpha*op(a)*op(b) + beta*c on 2-D tensors. It
// returns an error wrapping [ErrShape] when a tensor is not 2-D or the
// shapes do not fit together, and an error when c overlaps a or b.
func MatMul(opA, opB Op, alpha float32, a, b *Tensor, beta float32, c *Tensor) error {
	if a == nil || b == nil || c == nil {
		return fmt.Errorf("tensor: MatMul: nil tensor: pass three allocated 2-D tensors")
	}
	for _, x := range []struct {
		name string
		t    *Tensor
	}{{"a", a}, {"b", b}, {"c", c}} {
		if len(x.t.Shape) != 2 {
			return fmt.Errorf("tensor: MatMul: %w: %s has shape %v, want a 2-D shape", ErrShape, x.name, x.t.Shape)
		}
	}
	if opA > Trans || opB > Trans {
		return fmt.Errorf("tensor: MatMul: invalid op %v or %v: use NoTrans or Trans", opA, opB)
	}
	m, k := a.Shape[0], a.Shape[1]
	if opA == Trans {
		m, k = k, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if opB == Trans {
		kb, n = n, kb
	}
	if k != kb {
		return fmt.Errorf("tensor: MatMul: %w: op(a) is %d x %d and op(b) is %d x %d: the inner dimensions must be equal", ErrShape, m, k, kb, n)
	}
	if c.Shape[0] != m || c.Shape[1] != n {
		return fmt.Errorf("tensor: MatMul: %w: c has shape %v, want [%d %d] for op(a)*op(b)", ErrShape, c.Shape, m, n)
	}
	if overlaps(c.Data, a.Data) || overlaps(c.Data, b.Data) {
		return fmt.Errorf("tensor: MatMul: c shares memory with a or b: pass a separate c")
	}
	Gemm(opA, opB, m, n, k, alpha, a.Data, a.Shape[1], b.Data, b.Shape[1], beta, c.Data, c.Shape[1])
	return nil
}

// scaleMatrix sets C = beta*C on an m x n matrix, writing zeros without
// reading C when beta is 0.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
