package tensor

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// RNG is a seeded pseudo-random number generator whose every output is the
// same on every architecture and SIMD level for the same seed and the same
// sequence of calls. Its bits come from the PCG-DXSM generator of
// math/rand/v2, which uses integer arithmetic only. The floating-point
// steps above the bits use only operations that IEEE 754 rounds exactly:
// +, -, *, / and math.Sqrt. Each product that the Go compiler could fuse
// with an addition (it does so on arm64, and on amd64 with GOAMD64=v3) is
// rounded first by an explicit conversion. Logarithms come from a function
// of our own, because math.Log runs assembly on amd64 and s390x and pure
// Go elsewhere, so its last bit can differ.
//
// RNG implements rand.Source, so rand.New(rng) gives a *rand.Rand drawing
// from the same stream, but the methods of *rand.Rand are not covered by
// the promise above. An RNG is not safe for concurrent use. The zero RNG
// is usable and equals PCG seeded with (0, 0), which is not NewRNG(0).
type RNG struct {
	src      rand.PCG
	spare    float64 // second normal from the last polar-method pair
	hasSpare bool
}

// NewRNG returns a generator seeded with seed. Nearby seeds such as 0, 1, 2
// give unrelated streams, because the seed is mixed by two SplitMix64 steps
// into PCG's two 64-bit seed words.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	s1 := splitMix64(&seed)
	s2 := splitMix64(&seed)
	r.src.Seed(s1, s2)
	return r
}

// splitMix64 advances state by the golden-ratio increment and returns the
// mixed value (the SplitMix64 output function of Steele, Lea and Flood,
// "Fast splittable pseudorandom number generators", OOPSLA 2014).
func splitMix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Uint64 returns 64 uniformly distributed random bits.
func (r *RNG) Uint64() uint64 { return r.src.Uint64() }

// Float64 returns a uniform value in [0, 1) on the grid of multiples of
// 2^-53.
func (r *RNG) Float64() float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// Float32 returns a uniform value in [0, 1) on the grid of multiples of
// 2^-24, so every value is exact in float32.
func (r *RNG) Float32() float32 {
	return float32(r.Uint64()>>40) * 0x1p-24
}

// uint64n returns a uniform value in [0, n) for n > 0 without modulo bias,
// by Lemire's multiply-and-reject method ("Fast random integer generation
// in an interval", ACM TOMACS 2019).
func (r *RNG) uint64n(n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a uniform value in [0, n). It panics when n <= 0, as
// rand.IntN does.
func (r *RNG) IntN(n int) int {
	if n <= 0 {
		panic(fmt.Sprintf("tensor: RNG.IntN(%d): n must be positive", n))
	}
	return int(r.uint64n(uint64(n)))
}

// Perm returns a uniformly random permutation of 0, ..., n-1, drawn with
// Shuffle. It panics when n < 0.
func (r *RNG) Perm(n int) []int {
	if n < 0 {
		panic(fmt.Sprintf("tensor: RNG.Perm(%d): n must not be negative", n))
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// Shuffle puts n elements in uniformly random order by the Fisher-Yates
// method, calling swap(i, j) for n-1 pairs with i > j or i == j. It panics
// when n < 0.
func (r *RNG) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic(fmt.Sprintf("tensor: RNG.Shuffle(%d): n must not be negative", n))
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.uint64n(uint64(i + 1)))
		swap(i, j)
	}
}

// NormFloat64 returns a standard normal value (mean 0, variance 1) by
// Marsaglia's polar method: draw (u, v) uniform in the square [-1, 1)^2
// until s = u^2 + v^2 lies in (0, 1), then u*f and v*f with
// f = sqrt(-2 ln(s) / s) are two independent normals. The second one is
// kept and returned by the next call. About 21% of pairs are rejected.
func (r *RNG) NormFloat64() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	for {
		u := r.signedUnit()
		v := r.signedUnit()
		s := float64(u*u) + float64(v*v)
		if s == 0 || s >= 1 {
			continue
		}
		f := math.Sqrt(-2 * logPortable(s) / s)
		r.spare, r.hasSpare = v*f, true
		return u * f
	}
}

// signedUnit returns a uniform value in [-1, 1) on the grid of multiples of
// 2^-53. The integer fits in 54 bits, so its conversion is exact.
func (r *RNG) signedUnit() float64 {
	return float64(int64(r.Uint64()>>10)-1<<53) * 0x1p-53
}

// FillUniform fills t with independent values uniform in [lo, hi), drawn
// from r in element order. Each value is lo + (hi-lo)*u for u = Float32()
// computed in float64 and rounded once to float32; a value that rounds up
// to hi is replaced by the largest float32 below hi. lo == hi fills t with
// lo. It returns an error, and leaves t and r unchanged, when lo or hi is
// not finite or lo > hi.
func FillUniform(t *Tensor, r *RNG, lo, hi float32) error {
	if !isFinite32(lo) || !isFinite32(hi) || lo > hi {
		return fmt.Errorf("tensor: FillUniform: invalid range [%g, %g): lo and hi must be finite with lo <= hi", lo, hi)
	}
	width := float64(hi) - float64(lo)
	below := math.Nextafter32(hi, lo)
	for i := range t.Data {
		v := float32(float64(lo) + float64(width*float64(r.Float32())))
		if v >= hi && lo < hi {
			v = below
		}
		t.Data[i] = v
	}
	return nil
}

// FillNormal fills t with independent normal values of the given mean and
// standard deviation, drawn from r's NormFloat64 in element order. Each
// value is mean + std*z computed in float64 and rounded once to float32. It
// returns an error, and leaves t and r unchanged, when mean or std is not
// finite or std < 0.
func FillNormal(t *Tensor, r *RNG, mean, std float32) error {
	if !isFinite32(mean) || !isFinite32(std) || std < 0 {
		return fmt.Errorf("tensor: FillNormal: invalid mean %g or standard deviation %g: both must be finite and std >= 0", mean, std)
	}
	m, s := float64(mean), float64(std)
	for i := range t.Data {
		t.Data[i] = float32(m + float64(s*r.NormFloat64()))
	}
	return nil
}

func isFinite32(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}

// ln2Hi is ln 2 shortened to 33 significant bits, so e*ln2Hi is exact for
// every binary exponent e of a float64. ln2Lo is the rest of ln 2.
const (
	ln2Hi = 0x1.62e42feep-01
	ln2Lo = math.Ln2 - ln2Hi
)

// logCoeffs are 1/3, 1/5, ..., 1/21: the coefficients of the series
// 2 atanh(s) = 2s + 2s^3/3 + 2s^5/5 + ... after the first term.
var logCoeffs = [...]float64{1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21}

// logPortable returns the natural logarithm of x with the same bits on
// every architecture. On the random inputs of its test it is within 1 ulp
// of math.Log. It writes x = 2^e * m with m in [sqrt(2)/2, sqrt(2)), so
// that with f = m-1 (exact) and s = f/(2+f), |s| <= 0.1716 and
//
//	ln m = 2 atanh(s) = f - s*(f - 2 s^2 P(s^2)),
//
// where P is the atanh series truncated after ten terms, whose next term is
// below 2^-60 of the result. Then ln x = e*ln 2 + ln m. Special cases are
// those of math.Log: ln(+Inf) = +Inf, ln(0) = -Inf, and NaN for x < 0 or
// NaN.
func logPortable(x float64) float64 {
	switch {
	case x != x || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	}

	// Split x into 2^e * m. A subnormal x is first scaled, exactly, into
	// the normal range.
	e := 0
	if x < 0x1p-1022 {
		x *= 0x1p54
		e = -54
	}
	b := math.Float64bits(x)
	e += int(b>>52) - 1023
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}

	f := m - 1
	s := f / (2 + f)
	s2 := float64(s * s)
	p := logCoeffs[len(logCoeffs)-1]
	for i := len(logCoeffs) - 2; i >= 0; i-- {
		p = logCoeffs[i] + float64(s2*p)
	}
	lnm := f - float64(s*(f-float64(2*float64(s2*p))))

	fe := float64(e)
	return float64(fe*ln2Hi) + (lnm + float64(fe*ln2Lo))
}
