package dim

import (
	"fmt"
	"math"
	"slices"

	"github.com/nidim/nidim/tensor"
)

// Standardization is the per-feature map x -> (x - Mean) / Scale that a
// model with Config.Standardize applies to every input row before its
// encoder, in training and in inference alike. Both slices have one
// entry per input value. The statistics are float32, as the checkpoint
// stores them, so that a model computes the same inputs before and after
// a save and a load.
type Standardization struct {
	Mean []float32
	// Scale is the standard deviation of the feature, or 1 for a constant
	// feature (see FitStandardization).
	Scale []float32
}

// constantFeatureRatio is the relative spread under which
// FitStandardization treats a feature as constant: a standard deviation
// at most this times the feature's absolute mean is within a few float32
// roundings (float32 has a relative precision of 1.2e-7) of the mean.
const constantFeatureRatio = 1e-6

// FitStandardization returns the mean and standard deviation (dividing by
// N) of each column of the N x features matrix x, computed in float64 in
// two passes and rounded to float32. Pass the training split only: the
// statistics become part of the model. A column whose standard deviation
// is 0, at most constantFeatureRatio times its absolute mean, or 0 after
// rounding to float32 counts as constant: it is centred but not divided
// by a spread that rounding alone makes. Its scale is 1, or sd /
// constantFeatureRatio when that is larger, because centred values of a
// large mean keep its rounding steps: Unix times near 1.7e9 step by 128
// in float32. Then its values stay within a few constantFeatureRatio of 0.
// constant lists those columns, in increasing order.
func FitStandardization(x *tensor.Tensor) (s *Standardization, constant []int, err error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[0] == 0 || x.Shape[1] == 0 {
		return nil, nil, fmt.Errorf("dim: standardization needs a non-empty N x features matrix, got shape %v", shapeOf(x))
	}
	n, cols := x.Shape[0], x.Shape[1]
	sum := make([]float64, cols)
	for i := range n {
		for k, v := range x.Data[i*cols : (i+1)*cols] {
			sum[k] += float64(v)
		}
	}
	mean := make([]float64, cols)
	for k := range mean {
		mean[k] = sum[k] / float64(n)
	}
	squares := make([]float64, cols)
	for i := range n {
		for k, v := range x.Data[i*cols : (i+1)*cols] {
			d := float64(v) - mean[k]
			squares[k] += d * d
		}
	}

	s = &Standardization{Mean: make([]float32, cols), Scale: make([]float32, cols)}
	for k := range cols {
		sd := math.Sqrt(squares[k] / float64(n))
		if math.IsNaN(sd) || math.IsInf(sd, 0) || math.IsInf(mean[k], 0) {
			return nil, nil, fmt.Errorf("dim: column %d (counting from 0) contains a value that is not finite, so it has no mean and standard deviation; remove or replace it", k)
		}
		s.Mean[k] = float32(mean[k])
		scale := float32(sd)
		if sd <= constantFeatureRatio*math.Abs(mean[k]) || scale == 0 || math.IsInf(float64(scale), 0) {
			scale = float32(min(max(1, sd/constantFeatureRatio), math.MaxFloat32))
			constant = append(constant, k)
		}
		s.Scale[k] = scale
	}
	return s, constant, nil
}

// check returns an error unless s has size entries with finite means and
// finite positive scales.
func (s *Standardization) check(size int) error {
	if len(s.Mean) != size || len(s.Scale) != size {
		return fmt.Errorf("the standardization has %d means and %d scales, the model takes %d values per sample", len(s.Mean), len(s.Scale), size)
	}
	for k := range size {
		m, sc := float64(s.Mean[k]), float64(s.Scale[k])
		if math.IsNaN(m) || math.IsInf(m, 0) || !(sc > 0) || math.IsInf(sc, 0) {
			return fmt.Errorf("the standardization of feature %d (mean %v, scale %v) is invalid, because the mean must be finite and the scale finite and positive", k, s.Mean[k], s.Scale[k])
		}
	}
	return nil
}

// apply writes the standardized rows of src, row-major with len(s.Mean)
// values per row, to dst, which may be src. Each value is computed in
// float64 and rounded once to float32, so that the result does not
// depend on the SIMD level.
func (s *Standardization) apply(dst, src []float32) {
	size := len(s.Mean)
	for i := 0; i < len(src); i += size {
		for k, v := range src[i : i+size] {
			dst[i+k] = float32((float64(v) - float64(s.Mean[k])) / float64(s.Scale[k]))
		}
	}
}

// standardized returns x with the model's standardization applied, as a
// new tensor, or x itself for a model without one. A matrix whose row
// size does not match the model is returned unchanged, so that the
// encoder reports the shape error.
func (m *Model) standardized(x *tensor.Tensor) *tensor.Tensor {
	s := m.Standardization
	if s == nil || x == nil || len(x.Shape) != 2 || x.Shape[1] != len(s.Mean) {
		return x
	}
	out := &tensor.Tensor{Shape: slices.Clone(x.Shape), Data: make([]float32, len(x.Data))}
	s.apply(out.Data, x.Data)
	return out
}

// standardizedData returns data with its rows standardized by the model,
// or data itself for a model without a standardization.
func (m *Model) standardizedData(data *Dataset) *Dataset {
	if m.Standardization == nil {
		return data
	}
	return &Dataset{X: m.standardized(data.X), Shape: data.Shape, Labels: data.Labels}
}

// Encode returns the encoder's inference-mode output (N x Dim) for the
// rows of x, batch rows per forward pass, after the model's input
// standardization, if it has one. Unlike Embed it leaves out the
// transform of the logistic, Laplace and exponential priors, so its
// output is the normalized Gaussian-side embedding.
func (m *Model) Encode(x *tensor.Tensor, batch int) (*tensor.Tensor, error) {
	if err := m.checkStandardization(); err != nil {
		return nil, err
	}
	return m.Encoder.Embed(m.standardized(x), batch)
}

// checkStandardization returns an error when the model's standardization
// does not match Config.Standardize or its input size.
func (m *Model) checkStandardization() error {
	switch s := m.Standardization; {
	case m.Config.Standardize && s == nil:
		return fmt.Errorf("dim: the model is configured to standardize its inputs but has no statistics; set Model.Standardization with FitStandardization on the training split, or use Train")
	case !m.Config.Standardize && s != nil:
		return fmt.Errorf("dim: the model has standardization statistics but Config.Standardize is false; set both or neither")
	case s != nil:
		if err := s.check(m.Encoder.InputSize()); err != nil {
			return fmt.Errorf("dim: %w", err)
		}
	}
	return nil
}
