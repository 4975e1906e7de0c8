package simd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Level is an instruction-set level with its own kernels.
type Level uint8

const (
	Generic Level = iota // portable Go
	AVX2                 // amd64 AVX2 with FMA3
	AVX512               // amd64 AVX-512 F, BW and VL with OS support for ZMM state
	NEON                 // arm64 Advanced SIMD
	numLevels
)

var levelNames = [numLevels]string{"generic", "avx2", "avx512", "neon"}

// levelArchs holds the GOARCH of each level's assembly, and "" for the
// generic Go code, which runs everywhere.
var levelArchs = [numLevels]string{"", "amd64", "amd64", "arm64"}

// Arch returns the GOARCH whose CPUs the level's kernels are written for,
// such as "amd64" for AVX2, or "" for Generic, which runs on every one.
func (l Level) Arch() string {
	if l < numLevels {
		return levelArchs[l]
	}
	return ""
}

func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ParseLevel returns the level with the given name, as printed by String.
func ParseLevel(name string) (Level, error) {
	for l, s := range levelNames {
		if strings.EqualFold(name, s) {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("simd: unknown level %q: use one of %s", name, strings.Join(levelNames[:], ", "))
}

// EnvVar names the environment variable that caps the level chosen at start.
const EnvVar = "NIDIM_SIMD"

// Kernels is the set of kernels of one level. Every field is set: a level
// that lacks its own version of a kernel uses the generic one.
type Kernels struct {
	Level Level

	Dot   func(x, y []float32) float32        // sum of x[i]*y[i]; len(y) >= len(x)
	Axpy  func(alpha float32, x, y []float32) // y[i] += alpha*x[i] for i < len(x); len(y) >= len(x)
	Scale func(alpha float32, x []float32)    // x[i] *= alpha

	// Add, Sub and Mul set dst[i] = x[i] op y[i] for i < len(dst); x and y
	// must be at least as long as dst.
	Add func(dst, x, y []float32)
	Sub func(dst, x, y []float32)
	Mul func(dst, x, y []float32)

	Sum func(x []float32) float32
	Max func(x []float32) float32 // -Inf for an empty slice, NaN when any element is NaN

	// ExpSum sets dst[i] = e^(x[i]-shift) for i < len(dst) and returns
	// their sum; x must be at least as long as dst. Exponents below -708
	// give 0 and above 709 give +Inf (math.Exp is finite up to 709.78),
	// and NaN stays NaN. Unlike the float32 kernels, every level returns
	// the same bits (see exp64.go).
	ExpSum func(dst, x []float64, shift float64) float64

	// Axpy64 sets y[i] += alpha*x[i] for i < len(x), and AddMul4 sets
	// dst[j] += ((x[0] m[j] + x[1] m[s+j]) + x[2] m[2s+j]) + x[3] m[3s+j]
	// for j < len(dst), with s the stride between the four rows of m.
	// Each product and sum is rounded on its own (no fused multiply-add),
	// and every level returns the same bits (see vec64.go).
	Axpy64  func(alpha float64, x, y []float64)
	AddMul4 func(dst, x, m []float64, stride int)
	// SubFrom64 sets dst[i] = c - h[i] for i < len(dst), and Scale64 sets
	// x[i] *= alpha. Both are exact IEEE operations, the same on every
	// level.
	SubFrom64 func(dst []float64, c float64, h []float64)
	Scale64   func(alpha float64, x []float64)

	// PanelDot64 sets g0[j] = a0·r_j and g1[j] = a1·r_j for j < len(g0),
	// where r_j is row j of a panel that PackPanel64 wrote from rows of
	// n = len(a0) values. len(g0) must be a multiple of PanelRows, g1 and
	// a1 at least as long as g0 and a0, and the panel must hold len(g0)
	// rows. Each dot product is summed in order k = 0..n-1 from +0, the
	// way Go compiles s += x*y by default: with one rounding (fused) on
	// arm64 and with two on amd64, so every level returns the same bits
	// as such a loop. With GOAMD64=v3 the compiler may fuse that
	// statement, but PanelDot64 still rounds twice on amd64.
	PanelDot64 func(g0, g1, a0, a1, panel []float64)

	ReLU         func(dst, x []float32)    // dst[i] = max(x[i], 0)
	ReLUBackward func(dx, dy, x []float32) // dx[i] = dy[i] if x[i] > 0 else 0

	// ReLUPool2x2 is ReLU followed by 2 x 2 max pooling with stride 2 on
	// one plane x of rows of w values, w >= 2. With ow = w/2 (an odd last
	// column is left out) and oh = len(y)/ow output rows, it sets
	// y[i*ow+j] to the largest of ReLU(x) at x[2i*w+2j], x[2i*w+2j+1],
	// x[(2i+1)*w+2j] and x[(2i+1)*w+2j+1], and arg[i*ow+j] to the index in
	// x of the first of them, in that order, that holds it. ReLU is as
	// above: +0 for x <= 0 and for NaN. len(y) must be a multiple of ow,
	// arg at least as long, and x at least 2*oh*w long. Every level
	// returns the same values and indices.
	ReLUPool2x2 func(y []float32, arg []int32, x []float32, w int)
	// ReLUPool2x2Backward is the gradient of ReLUPool2x2 with its output
	// y and argmax arg: it sets dx[0 : 2*oh*w] to +0 but for
	// dx[arg[j]] = +0 + dy[j] where y[j] > 0. Each arg[j] must lie in
	// window j, as ReLUPool2x2 leaves it. Adding to +0 turns a -0 of dy
	// into +0.
	ReLUPool2x2Backward func(dx, dy, y []float32, arg []int32, w int)

	Gemm GemmKernel
}

// GemmKernel is a register-tiled micro-kernel for C = alpha*A*B + beta*C on
// one MR x NR tile of C.
type GemmKernel struct {
	MR, NR int

	// Func computes the tile from a packed A panel, which holds k groups of
	// MR values (column p of the MR rows of A, p = 0..k-1), and a packed B
	// panel, which holds k groups of NR values (row p of the NR columns of
	// B). c is row-major with row stride ldc and must hold (MR-1)*ldc+NR
	// values. When beta is 0, C is written without being read, so NaN in C
	// does not propagate. k may be 0.
	Func func(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int)
}

// override changes fields of a level's Kernels after they are copied from
// the generic set. Architecture files append to overrides in init.
type override func(*Kernels)

var (
	overrides [numLevels][]override
	built     [numLevels]*Kernels
	buildOnce [numLevels]sync.Once
	active    atomic.Pointer[Kernels]
)

// Supported returns the levels this CPU and build can run, in increasing
// order, starting with Generic.
func Supported() []Level {
	var levels []Level
	for l := Generic; l < numLevels; l++ {
		if cpuSupports(l) {
			levels = append(levels, l)
		}
	}
	return levels
}

// Best returns the highest level this CPU and build can run.
func Best() Level {
	levels := Supported()
	return levels[len(levels)-1]
}

// Lookup returns the kernels of level l, or an error when this CPU or build
// cannot run it.
func Lookup(l Level) (*Kernels, error) {
	if l >= numLevels {
		return nil, fmt.Errorf("simd: unknown level %d", uint8(l))
	}
	if !cpuSupports(l) {
		return nil, fmt.Errorf("simd: level %s is not supported on this CPU or build (supported: %v)", l, Supported())
	}
	buildOnce[l].Do(func() {
		k := genericKernels
		k.Level = l
		for _, f := range overrides[l] {
			f(&k)
		}
		built[l] = &k
	})
	return built[l], nil
}

// Active returns the kernels in use.
func Active() *Kernels {
	if k := active.Load(); k != nil {
		return k
	}
	k, _ := Lookup(startLevel())
	active.CompareAndSwap(nil, k)
	return active.Load()
}

// SetActive makes level l the one Active returns. It is meant for programs
// and benchmarks; tests should call Lookup instead of changing global state.
func SetActive(l Level) error {
	k, err := Lookup(l)
	if err != nil {
		return err
	}
	active.Store(k)
	return nil
}

// startLevel is the best supported level, capped by NIDIM_SIMD. An invalid
// value gives Generic, and an unsupported one the best level at or below
// it. A level of another architecture, such as avx2 on arm64, caps
// nothing, so one setting can serve machines of both architectures.
func startLevel() Level {
	best := Best()
	name := os.Getenv(EnvVar)
	if name == "" {
		return best
	}
	want, err := ParseLevel(name)
	if err != nil {
		return Generic
	}
	if arch := want.Arch(); arch != "" && arch != runtime.GOARCH {
		return best
	}
	for l := want; l > Generic; l-- {
		if cpuSupports(l) {
			return l
		}
	}
	return Generic
}
