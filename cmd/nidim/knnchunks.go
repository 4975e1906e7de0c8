package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/tensor"
)

// knnChunkedScorer is knnScorer for MNIST-style data: the built-in MNIST
// (path "") or an IDX directory, given as flagName and called name in
// messages. It reads each split dim.EmbedChunkRows images at a time and
// embeds them, so that it holds the model, the embeddings and one chunk
// of images rather than both splits as float32, 220 MB for the 70,000
// MNIST digits. The chunks are the batches in which Embed runs a whole
// split, so the embeddings are the same bit for bit. The notes and the
// errors are those of knnSplits and knnScorer, and the training split is
// checked against the data fingerprint as its rows pass. The checks of
// the row counts and of the memory come before the images are read,
// from the headers of the files. splitsError wraps an error in reading
// the splits.
//
// Matrix files and directories of images keep the path of knnSplits,
// because their splits are rows chosen across the whole file.
func (c *modelCommand) knnChunkedScorer(m *dim.Model, path, flagName, name, advice string, run knnRun, heldBytes float64, splitsError func(error) error) (*dim.KNNScorer, error) {
	train, err := c.openKNNSplit(m, path, flagName, "train")
	if err != nil {
		return nil, splitsError(err)
	}
	defer train.Close()
	test, err := c.openKNNSplit(m, path, flagName, "test")
	if err != nil {
		return nil, splitsError(err)
	}
	defer test.Close()
	if err := c.checkKNNRows(m, name, run.k, train.Len(), test.Len()); err != nil {
		return nil, err
	}

	run.refRows, run.calRows = train.Len(), test.Len()
	run.dataBytes = chunkedKNNDataBytes(max(train.Len(), test.Len()), train.Height*train.Width, m.Encoder.Config.Dim) + heldBytes
	run.dataText = "a chunk of images and the labels of a split"
	memoryNote, err := checkKNNMemory(m, run)
	if err != nil {
		return nil, err
	}

	embedError := func(err error) error {
		return fmt.Errorf("--method knn on %s: %s", name, strings.TrimPrefix(err.Error(), "dim: "))
	}
	var fingerprint *dim.Fingerprinter
	if m.Data != "" {
		fingerprint = dim.NewFingerprinter([]int{train.Len(), train.Height * train.Width}, m.Config.Input)
	}
	reference, err := c.embedKNNSplit(m, train, path, flagName, fingerprint, splitsError, embedError)
	if err != nil {
		return nil, err
	}
	calibration, err := c.embedKNNSplit(m, test, path, flagName, nil, splitsError, embedError)
	if err != nil {
		return nil, err
	}
	var mismatch error
	if fingerprint != nil {
		mismatch = m.CheckFingerprint(fingerprint.Fingerprint())
	}
	if err := c.checkKNNFingerprint(m, mismatch, name, advice); err != nil {
		return nil, err
	}
	c.note(memoryNote)
	s, err := dim.NewKNNScorer(reference, calibration, run.k, run.metric)
	if err != nil {
		return nil, embedError(err)
	}
	return s, nil
}

// openKNNSplit opens the split (train or test) of the MNIST-style data
// path, given as flagName, for m. It rejects an empty split and images of
// another size than m takes with the errors of modelInput, after it has
// read the files to the end as modelInput does, so that an error in them
// comes first.
func (c *modelCommand) openKNNSplit(m *dim.Model, path, flagName, split string) (*mnist.SplitReader, error) {
	var r *mnist.SplitReader
	var err error
	switch {
	case path == "" && !mnist.Embedded:
		return nil, noBuiltinSplitError(split)
	case path == "":
		r, err = mnist.OpenSplit(split)
	default:
		if err := checkIDXDir(flagName, path); err != nil {
			return nil, err
		}
		r, err = mnist.OpenDirSplit(path, split)
	}
	if err != nil {
		return nil, err
	}
	empty := path != "" && r.Len() == 0
	if !empty && r.Height*r.Width == m.Encoder.InputSize() {
		return r, nil
	}
	defer r.Close()
	if err := r.Discard(); err != nil {
		return nil, err
	}
	if empty {
		return nil, noImagesError(flagName, path, split)
	}
	return nil, checkInputSize(m, r.Height*r.Width, flagName, path)
}

// embedKNNSplit reads the images of r a chunk at a time and returns their
// embeddings by m. It adds the images to fingerprint, when not nil, and
// notes when they look like another scale than the training inputs of
// m, as input does for a split read whole. splitsError wraps an error in
// reading r, and embedError one of Embed.
func (c *modelCommand) embedKNNSplit(m *dim.Model, r *mnist.SplitReader, path, flagName string, fingerprint *dim.Fingerprinter, splitsError, embedError func(error) error) (*tensor.Tensor, error) {
	values := r.Len() * r.Height * r.Width
	sampler := dim.NewRangeSampler(values)
	d := m.Encoder.Config.Dim
	z := tensor.New(r.Len(), d)
	done := 0
	for {
		x, err := r.Next(dim.EmbedChunkRows)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, splitsError(err)
		}
		sampler.Add(x.Data)
		if fingerprint != nil {
			fingerprint.Add(x.Data)
		}
		y, err := m.Embed(x, dim.EmbedChunkRows)
		if err != nil {
			return nil, embedError(err)
		}
		copy(z.Data[done*d:], y.Data)
		done += x.Shape[0]
	}
	c.note(rangeScaleNote(flagName, path, *c.model, m, sampler.Range(), values))
	return z, nil
}

// chunkedKNNDataBytes returns the memory of the data that
// knnChunkedScorer holds besides the model and the embeddings, for splits
// of at most rows images of cols values each and embeddings of dimension
// d: one chunk of images as float32 and its embeddings, the buffer that
// decodes the file, and the labels of a split, which the reader checks at
// its end, as float32 and int.
func chunkedKNNDataBytes(rows, cols, d int) float64 {
	chunk := float64(min(rows, dim.EmbedChunkRows))
	return 4*chunk*float64(cols) + 4*chunk*float64(d) + 64<<10 + 12*float64(rows)
}
