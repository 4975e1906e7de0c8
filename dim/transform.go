package dim

import (
	"fmt"

	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// Priors reached through the probability integral transform. A model
// trained with Config.Prior "logistic", "laplace" or "exponential" trains
// exactly as the Gaussian prior does: batch normalization, Gaussian channel
// noise with Config.Sigma, the Gaussian capacity. Its checkpoint records
// the name, and Model.Embed maps each component z of the N(0, 1) embedding
// to F⁻¹(Φ(z)) with the target's quantile function F⁻¹. If z ~ N(0, 1)
// then F⁻¹(Φ(z)) ~ F, and independent components stay independent, so the
// match to the Gaussian prior carries over to the target unchanged.
//
// The uniform prior is not among them: "uniform" is the squashed-output
// method, whose channel noise is U[-eps, eps] on [0, 1]. The transform of a
// Gaussian-trained model to U(0, 1), with the noise on the Gaussian side,
// is available through EmbedWith(x, batch, FromDistribution(stats.Uniform{A: 0, B: 1})).

// PriorNames lists the values Config.Prior accepts, in help-text order.
var PriorNames = []string{"gaussian", "uniform", "logistic", "laplace", "exponential"}

// TransformTarget returns the standard distribution of a prior reached by
// the probability integral transform (logistic, laplace, exponential, as
// stats.PriorByName defines them), and false for gaussian, uniform and
// unknown names.
func TransformTarget(prior string) (stats.Continuous, bool) {
	switch prior {
	case "logistic", "laplace", "exponential":
		d, err := stats.PriorByName(prior)
		return d, err == nil
	}
	return nil, false
}

// PriorTransform maps a standard normal value to the target prior.
type PriorTransform func(z float64) float64

// FromDistribution returns the transform z -> stats.FromGaussian(d, z),
// which keeps its relative accuracy in both tails for the distributions of
// package stats.
func FromDistribution(d stats.Continuous) PriorTransform {
	return func(z float64) float64 { return stats.FromGaussian(d, z) }
}

// FromQuantile returns the transform z -> quantile(Φ(z)) for a prior given
// only by its quantile function. For z > 0 it evaluates quantile(1 - Φ(-z)),
// so the upper tail loses the relative accuracy that 1 - q rounds away;
// prefer FromDistribution when the distribution is known.
func FromQuantile(quantile func(p float64) float64) PriorTransform {
	return func(z float64) float64 {
		if z <= 0 {
			return quantile(stats.NormalCDF(z))
		}
		return quantile(1 - stats.NormalSurvival(z))
	}
}

// Embed returns the noiseless embeddings (N x Dim) of the rows of x in
// inference mode, batch rows per forward pass, following the model's
// prior: the encoder output for gaussian and uniform, and its probability
// integral transform for the other priors (see TransformTarget). The rows
// are raw inputs: Encode standardizes them first when the model does.
// x must be N x m.Encoder.InputSize(), with images flattened to C·H·W
// values per row, on the scale of the training inputs (m.Inputs holds
// their central range, and ScaleMismatch compares another range with it).
// nidim train scales the pixels of MNIST-style IDX files to [0, 1], while
// tensor.ReadIDX returns them as 0..255.
func (m *Model) Embed(x *tensor.Tensor, batch int) (*tensor.Tensor, error) {
	z, err := m.Encode(x, batch)
	if err != nil {
		return nil, err
	}
	if target, ok := TransformTarget(m.Config.Prior); ok {
		applyTransform(z.Data, FromDistribution(target))
	}
	return z, nil
}

// EmbedWith returns the embeddings of the rows of x mapped to another prior
// by t, applied to each component of the N(0, 1) embedding. The model must
// have been trained on the Gaussian side: with prior gaussian or one of the
// transform priors, whose own transform t replaces.
func (m *Model) EmbedWith(x *tensor.Tensor, batch int, t PriorTransform) (*tensor.Tensor, error) {
	if m.Config.Prior == "uniform" {
		return nil, fmt.Errorf("dim: the model was trained for the uniform prior, whose output is already squashed into [0, 1]; transform the embeddings of a model trained with prior gaussian")
	}
	if t == nil {
		return nil, fmt.Errorf("dim: the prior transform is nil; pass FromDistribution or FromQuantile")
	}
	z, err := m.Encode(x, batch)
	if err != nil {
		return nil, err
	}
	applyTransform(z.Data, t)
	return z, nil
}

func applyTransform(z []float32, t PriorTransform) {
	for i, v := range z {
		z[i] = float32(t(float64(v)))
	}
}
