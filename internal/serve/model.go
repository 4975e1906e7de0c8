// Package serve is the HTTP service behind "nidim serve": it embeds inputs
// with a trained encoder and scores them as outliers under the model's
// prior, or by the distance to their k-th nearest training embedding.
// Concurrent requests are merged into batches by one goroutine that owns
// the model, behind a queue bounded in inputs.
package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/nidim/nidim/tensor"
)

// Model is the encoder interface of the server. The server calls Embed
// from one goroutine at a time and Score from many.
type Model interface {
	// InputSize returns the number of values in one input row.
	InputSize() int
	// Dim returns the embedding dimension d.
	Dim() int
	// Prior returns the prior name, one of dim.PriorNames.
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
	// knn, when not nil, scores in place of the norm under the prior,
	// and knnData is the training data it was built from.
	knn     *dim.KNNScorer
	knnData string
}

// LoadDimModel reads the checkpoint at path, written by "nidim train", and
// records the SHA-256 of the file.
func LoadDimModel(path string) (*DimModel, error) {
	// The checkpoint loads first, so that a missing or invalid file gets
	// the loader's message rather than the one of the SHA-256 pass.
	m, err := dim.LoadModel(path)
	if err != nil {
		return nil, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	return NewDimModel(m, path, sum), nil
}

// NewDimModel wraps m. The checkpoint path and SHA-256 only appear in Info.
func NewDimModel(m *dim.Model, path, sha256Hex string) *DimModel {
	return &DimModel{model: m, path: path, sha256: sha256Hex}
}

// UseKNN makes Score return the kNN score of s and its conformal
// p-value, as nidim score --method knn does, in place of the norm under
// the prior. trainData names the data of its reference and calibration
// embeddings in Info, "" for the built-in MNIST. Call it before the
// server starts.
func (d *DimModel) UseKNN(s *dim.KNNScorer, trainData string) {
	d.knn, d.knnData = s, trainData
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

// Verified reports whether the checkpoint had a checksum that matched its
// contents. Checkpoints written before nidim stored checksums have none.
func (d *DimModel) Verified() bool { return d.model.Verified }

// Checkpoint returns the loaded model, for callers that report on it.
// Changing it while the server runs is not safe.
func (d *DimModel) Checkpoint() *dim.Model { return d.model }

func (d *DimModel) InputSize() int { return d.model.Encoder.InputSize() }

// InputShape returns the sample shape the model was trained on, [C, H, W]
// for images, or [InputSize] when the checkpoint stores none.
func (d *DimModel) InputShape() []int {
	if len(d.model.Config.Input) == 0 {
		return []int{d.InputSize()}
	}
	return d.model.Config.Input
}

// ImageFit returns how the model's training images were brought to its
// input size, which image bodies repeat.
func (d *DimModel) ImageFit() imagedir.Fit {
	if d.model.Config.ImageFit == dim.ImageFitCrop {
		return imagedir.Crop
	}
	return imagedir.Squeeze
}

func (d *DimModel) Dim() int      { return d.model.Config.Dim }
func (d *DimModel) Prior() string { return d.model.Config.Prior }

// noiseLevel returns the channel noise of the model: sigma, or eps for
// the uniform prior, and 0 for a model trained without channel noise,
// whose stored sigma or eps only set the initial temperature. nidim
// train and eval report it alike.
func (d *DimModel) noiseLevel() float64 {
	if d.model.Config.NoiseViews == 0 {
		return 0
	}
	return d.model.Config.NoiseLevel()
}

func (d *DimModel) Info() map[string]any {
	c := &d.model.Config
	info := map[string]any{
		"prior":             c.Prior,
		"dim":               c.Dim,
		"noise_level":       d.noiseLevel(),
		"method":            "norm",
		"input_shape":       c.Input,
		"input_size":        d.InputSize(),
		"encoder":           c.Encoder,
		"epoch":             d.model.Epoch,
		"calibrated":        d.model.Calibrated,
		"standardized":      c.Standardize, // the server standardizes the raw inputs it receives
		"checkpoint":        d.path,
		"checkpoint_sha256": d.sha256,
	}
	if len(c.Input) == 3 {
		info["image_fit"] = d.ImageFit().String()
	}
	if r := d.model.Inputs; r != nil {
		info["input_range"] = []float32{r.Min, r.Max}
	}
	if d.model.Classes != nil {
		info["classes"] = d.model.Classes
	}
	if s := d.knn; s != nil {
		info["method"] = "knn"
		info["knn"] = map[string]any{
			"k":             s.K,
			"metric":        s.Metric,
			"reference_n":   s.Reference.Shape[0],
			"calibration_n": len(s.Calibration),
			"train_data":    d.knnData,
		}
	}
	return info
}

// scaleChecker is a Model that stores the range of its training inputs.
type scaleChecker interface {
	// OtherScale returns the range of rows and of the training inputs,
	// and whether rows look like values on another scale.
	OtherScale(rows []float32) (got, trained dim.ValueRange, other bool)
}

// OtherScale implements scaleChecker with dim.Model.ScaleMismatch. A
// checkpoint without the range of its training inputs never reports
// another scale.
func (d *DimModel) OtherScale(rows []float32) (got, trained dim.ValueRange, other bool) {
	if d.model.Inputs == nil {
		return got, trained, false
	}
	got = dim.RangeOf(rows)
	return got, *d.model.Inputs, d.model.ScaleMismatch(got, len(rows))
}

// Embed runs the encoder in inference mode over all n rows in one pass,
// the path of "nidim embed", including the transform of the logistic,
// Laplace and exponential priors.
func (d *DimModel) Embed(rows []float32, n int) ([]float32, error) {
	x := &tensor.Tensor{Shape: []int{n, d.InputSize()}, Data: rows}
	z, err := d.model.Embed(x, max(n, 1))
	if err != nil {
		return nil, err
	}
	return z.Data, nil
}

// Score returns the outlier score and p-value of each embedding: the
// norm under the prior, or the kNN score after UseKNN. The server calls
// it outside the batcher, so concurrent requests search in parallel.
func (d *DimModel) Score(emb []float32, n int) (scores, pValues []float64, err error) {
	if d.knn == nil {
		return OutlierScores(d.Prior(), emb, n, d.Dim())
	}
	scores, pValues, err = d.knn.Score(&tensor.Tensor{Shape: []int{n, d.Dim()}, Data: emb})
	return scores, pValues, scoreError(err)
}

// OutlierScores returns the outlier statistic and p-value of each of the n
// embeddings of dimension d in emb, as dim.OutlierScores computes them,
// with a row's error as *rowError so that the server answers it with 422.
func OutlierScores(prior string, emb []float32, n, d int) (scores, pValues []float64, err error) {
	scores, pValues, err = dim.OutlierScores(prior, emb, n, d)
	if err != nil {
		return nil, nil, scoreError(err)
	}
	return scores, pValues, nil
}

// scoreError returns err, an error of scoring embeddings, as *rowError
// when one row caused it, so that the server responds with 422.
func scoreError(err error) error {
	var rowErr *dim.RowError
	if errors.As(err, &rowErr) {
		return &rowError{row: rowErr.Row, msg: rowErr.Msg}
	}
	if err != nil {
		return fmt.Errorf("serve: %s", strings.TrimPrefix(err.Error(), "dim: "))
	}
	return nil
}

// rowError is an error caused by one input row.
type rowError struct {
	row int
	msg string
}

func (e *rowError) Error() string { return e.msg }
