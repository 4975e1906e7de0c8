package tensor

import (
	"fmt"
	"math"

	"github.com/nidim/nidim/simd"
)

// rowExpStats returns the maximum m of row, the sum over the row of
// exp(x - m) in float64, the number of +Inf entries and whether the row
// holds a NaN. When m is +Inf or -Inf the sum is not computed. When exps is
// not nil and m is finite, exps[j] is set to exp(row[j] - m) rounded to
// float32; exps may be row itself.
func rowExpStats(max func([]float32) float32, row, exps []float32) (m float32, sum float64, posInf int, hasNaN bool) {
	m = max(row)
	if m != m {
		return m, 0, 0, true
	}
	if math.IsInf(float64(m), 0) {
		// The kernel contract does not require Max to propagate NaN, so
		// look for NaN here, where the sum below would not reveal it.
		for _, v := range row {
			if v != v {
				hasNaN = true
			} else if math.IsInf(float64(v), 1) {
				posInf++
			}
		}
		return m, 0, posInf, hasNaN
	}
	m64 := float64(m)
	if exps == nil {
		for _, v := range row {
			sum += math.Exp(float64(v) - m64)
		}
	} else {
		exps = exps[:len(row)]
		for j, v := range row {
			e := math.Exp(float64(v) - m64)
			exps[j] = float32(e)
			sum += e
		}
	}
	// A NaN entry makes sum NaN, whatever max returned for it.
	return m, sum, 0, sum != sum
}

// SoftmaxRows sets each row of dst to the softmax of the row of a:
// exp(a[i, j]) / sum over k of exp(a[i, k]). dst has the shape of a, a nil
// dst is allocated, and dst may be a itself.
//
// SoftmaxRows, LogSoftmaxRows and LogSumExpRows work on the Rows() x Cols()
// matrix view and are numerically stable. Each row is shifted by its
// maximum m before exp, so no exp overflows and the largest term adds
// exp(0) = 1 to the row's sum. Exponentials and sums are computed in
// float64. Softmax values are within about 2^-23 relative of exact, and
// log-sum-exp and log-softmax values are rounded to float32 once. Special
// cases per row follow the limits of the finite formulas:
//
//   - a NaN anywhere makes every output of the row NaN;
//   - entries equal to -Inf get probability 0 (log-probability -Inf);
//   - when some entries are +Inf, they share probability 1 equally and the
//     others get 0, and the log-sum-exp is +Inf;
//   - when every entry is -Inf, the softmax and log-softmax are NaN (0/0)
//     and the log-sum-exp is -Inf;
//   - a row with no columns has log-sum-exp -Inf, the log of an empty sum.
func SoftmaxRows(dst, a *Tensor) (*Tensor, error) {
	return softmaxRows(simd.Active().Max, dst, a)
}

func softmaxRows(max func([]float32) float32, dst, a *Tensor) (*Tensor, error) {
	dst, err := prepare("SoftmaxRows", dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("SoftmaxRows", dst.Data, a.Data); err != nil {
		return nil, err
	}
	nan := float32(math.NaN())
	c := a.Cols()
	for i := range a.Rows() {
		row, out := a.Data[i*c:(i+1)*c], dst.Data[i*c:(i+1)*c]
		m, sum, posInf, hasNaN := rowExpStats(max, row, out)
		switch {
		case hasNaN || math.IsInf(float64(m), -1):
			fillFloat32s(out, nan)
		case posInf > 0:
			p := float32(1 / float64(posInf))
			for j, v := range row {
				if math.IsInf(float64(v), 1) {
					out[j] = p
				} else {
					out[j] = 0
				}
			}
		default:
			// Dividing the stored float32 exponentials rounds twice, so
			// each probability is within 2^-23 relative of exact, and exp
			// runs once per element instead of twice.
			for j, e := range out {
				out[j] = float32(float64(e) / sum)
			}
		}
	}
	return dst, nil
}

// LogSumExpRows sets dst[i] to log(sum over j of exp(a[i, j])) for each row
// of a, with the special cases listed at SoftmaxRows. dst must have shape
// [Rows()], and a nil dst is allocated.
func LogSumExpRows(dst, a *Tensor) (*Tensor, error) {
	return logSumExpRows(simd.Active().Max, dst, a)
}

func logSumExpRows(max func([]float32) float32, dst, a *Tensor) (*Tensor, error) {
	dst, err := prepareVector("LogSumExpRows", dst, a.Rows(), a.Shape, "rows")
	if err != nil {
		return nil, err
	}
	if overlaps(dst.Data, a.Data) {
		return nil, fmt.Errorf("tensor: LogSumExpRows: dst shares memory with the input of shape %v: pass a separate dst", a.Shape)
	}
	c := a.Cols()
	for i := range dst.Data {
		m, sum, _, hasNaN := rowExpStats(max, a.Data[i*c:(i+1)*c], nil)
		switch {
		case hasNaN:
			dst.Data[i] = float32(math.NaN())
		case math.IsInf(float64(m), 0):
			dst.Data[i] = m
		default:
			dst.Data[i] = float32(float64(m) + math.Log(sum))
		}
	}
	return dst, nil
}

// LogSoftmaxRows sets each row of dst to the log of the softmax of the row
// of a: a[i, j] minus the row's log-sum-exp, computed without forming the
// softmax, so very negative log-probabilities keep their precision. The
// special cases are listed at SoftmaxRows. dst has the shape of a, a nil
// dst is allocated, and dst may be a itself.
func LogSoftmaxRows(dst, a *Tensor) (*Tensor, error) {
	return logSoftmaxRows(simd.Active().Max, dst, a)
}

func logSoftmaxRows(max func([]float32) float32, dst, a *Tensor) (*Tensor, error) {
	dst, err := prepare("LogSoftmaxRows", dst, a)
	if err != nil {
		return nil, err
	}
	if err := checkAlias("LogSoftmaxRows", dst.Data, a.Data); err != nil {
		return nil, err
	}
	nan := float32(math.NaN())
	negInf := float32(math.Inf(-1))
	c := a.Cols()
	for i := range a.Rows() {
		row, out := a.Data[i*c:(i+1)*c], dst.Data[i*c:(i+1)*c]
		m, sum, posInf, hasNaN := rowExpStats(max, row, nil)
		switch {
		case hasNaN || math.IsInf(float64(m), -1):
			fillFloat32s(out, nan)
		case posInf > 0:
			lp := float32(-math.Log(float64(posInf)))
			for j, v := range row {
				if math.IsInf(float64(v), 1) {
					out[j] = lp
				} else {
					out[j] = negInf
				}
			}
		default:
			shift := float64(m) + math.Log(sum)
			for j, v := range row {
				out[j] = float32(float64(v) - shift)
			}
		}
	}
	return dst, nil
}

func fillFloat32s(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}
