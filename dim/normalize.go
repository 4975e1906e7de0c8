package dim

import (
	"fmt"
	"math"
	"slices"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// Normalize is the output normalization that ties the embedding to the
// prior: batch normalization without affine parameters (each component to
// mean 0 and variance 1), followed for the uniform prior by the standard
// normal CDF Phi, which maps N(0, 1) to U[0, 1].
//
// Input and output are N x D. In training mode the N rows are Groups
// stacked batches of N/Groups rows, each normalized with its own
// statistics. The two views of a training step are thus standardized
// separately, while the encoder body runs once over both. The running
// statistics average the per-group statistics with weight Momentum
// (unbiased variance, as in nn.BatchNorm). Inference mode uses the running
// statistics.
type Normalize struct {
	D        int
	Squash   bool    // apply Phi after standardizing (uniform prior)
	Groups   int     // stacked batches in a training-mode input; at least 1
	Momentum float64 // weight of the batch statistics in the running ones
	Eps      float64 // added to the variance
	// Off makes the layer the identity, for the baseline without
	// normalization. The running statistics are still updated.
	Off bool

	RunningMean *nn.Param // buffer "running_mean", D
	RunningVar  *nn.Param // buffer "running_var", D

	// State of the last Forward.
	train        bool
	rows         int
	xhat, y, dx  *tensor.Tensor
	invStd, mean []float64 // Groups x D
	sumA, sumB   []float64 // D, Backward scratch
}

// NewNormalize returns the normalization for d components; squash selects
// the uniform prior's Phi.
func NewNormalize(d int, squash bool) (*Normalize, error) {
	if d < 1 {
		return nil, fmt.Errorf("dim: embedding dimension %d is invalid; it must be at least 1", d)
	}
	l := &Normalize{D: d, Squash: squash, Groups: 1, Momentum: 0.1, Eps: 1e-5,
		RunningMean: &nn.Param{Name: "running_mean", Value: tensor.New(d)},
		RunningVar:  &nn.Param{Name: "running_var", Value: tensor.New(d)},
	}
	l.RunningVar.Value.Fill(1)
	return l, nil
}

func (l *Normalize) Name() string {
	if l.Squash {
		return fmt.Sprintf("Phi(BatchNorm(%d))", l.D)
	}
	return fmt.Sprintf("BatchNorm(%d)", l.D)
}

func (l *Normalize) Params() []*nn.Param { return nil }

// Buffers returns the running mean and variance.
func (l *Normalize) Buffers() []*nn.Param { return []*nn.Param{l.RunningMean, l.RunningVar} }

func (l *Normalize) Forward(x *tensor.Tensor, train bool) (*tensor.Tensor, error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[1] != l.D {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, fmt.Errorf("dim: %s: input has shape %v, want [N %d]", l.Name(), got, l.D)
	}
	n, d := x.Shape[0], l.D
	groups := 1
	if train {
		groups = l.Groups
		if groups < 1 || n%groups != 0 || n/groups < 2 {
			return nil, fmt.Errorf("dim: %s: %d rows do not split into %d training batches of at least 2 rows", l.Name(), n, groups)
		}
	}
	l.train, l.rows = train, n
	l.xhat = reuse(l.xhat, n, d)
	l.y = reuse(l.y, n, d)
	defer func() {
		if l.Off {
			copy(l.y.Data, x.Data)
		}
	}()
	l.mean = slices.Grow(l.mean[:0], groups*d)[:groups*d]
	l.invStd = slices.Grow(l.invStd[:0], groups*d)[:groups*d]

	if train {
		m := n / groups
		l.sumA = slices.Grow(l.sumA[:0], d)[:d]
		l.sumB = slices.Grow(l.sumB[:0], d)[:d]
		clear(l.sumA)
		clear(l.sumB)
		for g := 0; g < groups; g++ {
			block := x.Data[g*m*d : (g+1)*m*d]
			mean, inv := l.mean[g*d:(g+1)*d], l.invStd[g*d:(g+1)*d]
			meanVar(block, m, d, mean, inv)
			for k := 0; k < d; k++ {
				variance := inv[k] // meanVar stores the biased variance here
				inv[k] = 1 / math.Sqrt(variance+l.Eps)
				l.sumA[k] += mean[k] / float64(groups)
				l.sumB[k] += variance * float64(m) / float64(m-1) / float64(groups)
			}
		}
		rm, rv, mom := l.RunningMean.Value.Data, l.RunningVar.Value.Data, l.Momentum
		for k := 0; k < d; k++ {
			rm[k] = float32((1-mom)*float64(rm[k]) + mom*l.sumA[k])
			rv[k] = float32((1-mom)*float64(rv[k]) + mom*l.sumB[k])
		}
	} else {
		for k := 0; k < d; k++ {
			l.mean[k] = float64(l.RunningMean.Value.Data[k])
			l.invStd[k] = 1 / math.Sqrt(float64(l.RunningVar.Value.Data[k])+l.Eps)
		}
	}

	m := n / groups
	for i := 0; i < n; i++ {
		g := i / m
		mean, inv := l.mean[g*d:(g+1)*d], l.invStd[g*d:(g+1)*d]
		for k := 0; k < d; k++ {
			h := (float64(x.Data[i*d+k]) - mean[k]) * inv[k]
			l.xhat.Data[i*d+k] = float32(h)
			if l.Squash {
				h = normalCDF(h)
			}
			l.y.Data[i*d+k] = float32(h)
		}
	}
	return l.y, nil
}

// meanVar writes the column means and biased variances of the m x d matrix
// x into mean and variance, in two passes for accuracy.
func meanVar(x []float32, m, d int, mean, variance []float64) {
	clear(mean)
	clear(variance)
	for i := 0; i < m; i++ {
		for k := 0; k < d; k++ {
			mean[k] += float64(x[i*d+k])
		}
	}
	for k := range mean {
		mean[k] /= float64(m)
	}
	for i := 0; i < m; i++ {
		for k := 0; k < d; k++ {
			t := float64(x[i*d+k]) - mean[k]
			variance[k] += t * t
		}
	}
	for k := range variance {
		variance[k] /= float64(m)
	}
}

func (l *Normalize) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.y == nil {
		return nil, fmt.Errorf("dim: %s: Backward called before Forward", l.Name())
	}
	if dy == nil || !slices.Equal(dy.Shape, l.y.Shape) {
		var got []int
		if dy != nil {
			got = dy.Shape
		}
		return nil, fmt.Errorf("dim: %s: output gradient has shape %v, want %v", l.Name(), got, l.y.Shape)
	}
	n, d := l.rows, l.D
	l.dx = reuse(l.dx, n, d)
	if l.Off {
		copy(l.dx.Data, dy.Data)
		return l.dx, nil
	}

	// dxhat first: dy, times the normal density for the squashed output.
	for i, g := range dy.Data {
		if l.Squash {
			g = float32(float64(g) * normalPDF(float64(l.xhat.Data[i])))
		}
		l.dx.Data[i] = g
	}
	if !l.train {
		for i := range l.dx.Data {
			l.dx.Data[i] = float32(float64(l.dx.Data[i]) * l.invStd[i%d])
		}
		return l.dx, nil
	}

	// Per group: dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
	groups := len(l.mean) / d
	m := n / groups
	l.sumA = slices.Grow(l.sumA[:0], d)[:d]
	l.sumB = slices.Grow(l.sumB[:0], d)[:d]
	for g := 0; g < groups; g++ {
		clear(l.sumA)
		clear(l.sumB)
		lo, hi := g*m*d, (g+1)*m*d
		for i := lo; i < hi; i++ {
			k := i % d
			dh := float64(l.dx.Data[i])
			l.sumA[k] += dh
			l.sumB[k] += dh * float64(l.xhat.Data[i])
		}
		inv := l.invStd[g*d : (g+1)*d]
		for i := lo; i < hi; i++ {
			k := i % d
			dh := float64(l.dx.Data[i])
			l.dx.Data[i] = float32(inv[k] * (dh - l.sumA[k]/float64(m) - float64(l.xhat.Data[i])*l.sumB[k]/float64(m)))
		}
	}
	return l.dx, nil
}

// SetStatistics sets the running statistics to the exact mean and biased
// variance of the rows of x, the pre-normalization outputs of a whole data
// set.
func (l *Normalize) SetStatistics(x *tensor.Tensor) error {
	if x == nil || len(x.Shape) != 2 || x.Shape[1] != l.D || x.Shape[0] < 2 {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return fmt.Errorf("dim: %s: statistics need at least 2 rows of %d values, got shape %v", l.Name(), l.D, got)
	}
	mean := make([]float64, l.D)
	variance := make([]float64, l.D)
	meanVar(x.Data, x.Shape[0], l.D, mean, variance)
	for k := range mean {
		l.RunningMean.Value.Data[k] = float32(mean[k])
		l.RunningVar.Value.Data[k] = float32(variance[k])
	}
	return nil
}

// reuse returns t when it already is n x d, else a new n x d tensor.
func reuse(t *tensor.Tensor, n, d int) *tensor.Tensor {
	if t != nil && len(t.Shape) == 2 && t.Shape[0] == n && t.Shape[1] == d {
		return t
	}
	return tensor.New(n, d)
}

func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normalPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }
