// Package serve is the HTTP service behind "nidim serve": it embeds inputs
// with a trained encoder and scores them as outliers under the model's
// prior. Concurrent requests are merged into batches by one goroutine that
// owns the model, behind a queue bounded in inputs.
package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// Model is the encoder interface of the server. The server calls Embed
// from one goroutine at a time and Score from many.
type Model interface {
	// InputSize returns the number of values in one input row.
	InputSize() int
	// Dim returns the embedding dimension d.
	Dim() int
	// Prior returns the prior name, "gaussian" or "uniform".
	Prior() string
	// Info returns the fields of GET /v1/model.
	Info() map[string]any
	// Embed returns the n x Dim embeddings, row-major, of the n x
	// InputSize rows. Row i of the result must depend only on row i of
	// the input, so that batching requests together does not change them.
	Embed(rows []float32, n int) ([]float32, error)
	// Score returns the outlier statistic and its p-value of each of the
	// n embeddings in emb.
	Score(emb []float32, n int) (scores, pValues []float64, err error)
}

// DimModel serves a dim.Model. Its Embed is not safe for concurrent use,
// because the encoder's layers reuse their buffers.
type DimModel struct {
	model  *dim.Model
	sha256 string
	path   string
}

// LoadDimModel reads the checkpoint at path, written by "nidim train", and
// records the SHA-256 of the file.
func LoadDimModel(path string) (*DimModel, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	m, err := dim.LoadModel(path)
	if err != nil {
		return nil, err
	}
	return NewDimModel(m, path, sum), nil
}

// NewDimModel wraps m. The checkpoint path and SHA-256 only appear in Info.
func NewDimModel(m *dim.Model, path, sha256Hex string) *DimModel {
	return &DimModel{model: m, path: path, sha256: sha256Hex}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("serve: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("serve: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (d *DimModel) InputSize() int { return d.model.Encoder.InputSize() }
func (d *DimModel) Dim() int       { return d.model.Config.Dim }
func (d *DimModel) Prior() string  { return d.model.Config.Prior }

func (d *DimModel) Info() map[string]any {
	c := &d.model.Config
	return map[string]any{
		"prior":             c.Prior,
		"dim":               c.Dim,
		"noise_level":       c.NoiseLevel(),
		"input_shape":       c.Input,
		"input_size":        d.InputSize(),
		"encoder":           c.Encoder,
		"epoch":             d.model.Epoch,
		"calibrated":        d.model.Calibrated,
		"checkpoint":        d.path,
		"checkpoint_sha256": d.sha256,
	}
}

// Embed runs the encoder in inference mode over all n rows in one pass,
// the path of "nidim embed".
func (d *DimModel) Embed(rows []float32, n int) ([]float32, error) {
	x := &tensor.Tensor{Shape: []int{n, d.InputSize()}, Data: rows}
	z, err := d.model.Encoder.Embed(x, max(n, 1))
	if err != nil {
		return nil, err
	}
	return z.Data, nil
}

func (d *DimModel) Score(emb []float32, n int) (scores, pValues []float64, err error) {
	return OutlierScores(d.Prior(), emb, n, d.Dim())
}

// OutlierScores returns, for each of the n embeddings of dimension d in emb
// (row-major), an outlier statistic s and its p-value P(S >= s) for an
// embedding drawn from the prior:
//
//   - gaussian: s = sum_k e_k^2, which is chi-square with d degrees of
//     freedom when e ~ N(0, I).
//   - uniform: s = sum_k Phi^-1(u_k)^2, the same statistic after mapping
//     each component back to N(0, 1) with the normal quantile, so again
//     chi-square with d degrees of freedom when u ~ U[0, 1]^d.
//
// Both are computed in float64, in component order, so the result depends
// only on the row. An embedding with a NaN or infinite component returns an
// error naming the row.
//
// NOTE: this belongs in package dim, so that "nidim score" and the server
// share it.
func OutlierScores(prior string, emb []float32, n, d int) (scores, pValues []float64, err error) {
	if n < 0 || d < 1 || len(emb) != n*d {
		return nil, nil, fmt.Errorf("serve: %d values do not form %d embeddings of dimension %d", len(emb), n, d)
	}
	var toNormal func(float32) float64
	switch prior {
	case "gaussian":
		toNormal = func(v float32) float64 { return float64(v) }
	case "uniform":
		toNormal = uniformToNormal
	default:
		return nil, nil, fmt.Errorf("serve: unknown prior %q; use gaussian or uniform", prior)
	}

	scores = make([]float64, n)
	pValues = make([]float64, n)
	for i := range n {
		s := 0.0
		for k, v := range emb[i*d : (i+1)*d] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, &rowError{row: i, msg: fmt.Sprintf("embedding %d has the non-finite component %d = %v", i, k, v)}
			}
			z := toNormal(v)
			s += z * z
		}
		if math.IsNaN(s) {
			return nil, nil, &rowError{row: i, msg: fmt.Sprintf("embedding %d lies outside the support of the %s prior", i, prior)}
		}
		scores[i] = s
		pValues[i] = stats.ChiSquareSurvival(s, float64(d))
	}
	return scores, pValues, nil
}

// uniformToNormal maps a uniform component to N(0, 1) with Phi^-1. The
// encoder stores Phi(h) as float32, which rounds to exactly 1 for h above
// about 5.4 and to 0 below about -14. Such components are moved half a
// float32 spacing inside (0, 1), so the statistic of a saturated component
// is a lower bound and its p-value an upper bound. Values outside [0, 1]
// give NaN.
func uniformToNormal(v float32) float64 {
	u := float64(v)
	switch {
	case u == 1:
		u = 1 - 0x1p-25
	case u == 0:
		u = 0x1p-150
	}
	return stats.NormalQuantile(u)
}

// rowError is an error caused by one input row.
type rowError struct {
	row int
	msg string
}

func (e *rowError) Error() string { return e.msg }
