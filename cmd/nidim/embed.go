package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "embed",
		summary: "embed data with a trained model and write the embeddings",
		run:     runEmbed,
	})
}

const embedUsage = `Usage: nidim embed MODEL --out FILE [flags]
       nidim embed --model MODEL --out FILE [flags]

Runs the encoder of a checkpoint written by "nidim train" over a data set
in inference mode, without channel noise, and writes one embedding per row
(N x d) to --out. The format follows the extension of --out: .npy
(float32), .csv, .tsv or .txt, each optionally followed by .gz. The
embeddings follow the prior the model was trained for; a model trained for
logistic, laplace or exponential writes its Gaussian output mapped by Phi
and the prior's quantile function.

Flags:
  --model MODEL        checkpoint from nidim train (required, here or as
                       the argument MODEL)
  --out FILE           embedding file to write (required)
  --data PATH          an MNIST-style IDX directory or a matrix file (.npy,
                       .csv, .tsv, .txt, optionally .gz) with one sample per
                       row (default: built-in MNIST)
  --split NAME         for MNIST-style data: test or train (default test);
                       a matrix file is embedded whole
  --prior NAME         write the embeddings of a model trained for gaussian,
                       logistic, laplace or exponential in another of these
                       priors (default: the model's prior); a uniform model
                       has only its own
  --batch N            samples per forward pass (default 1000)
  --threads N          goroutines; 0 for all cores (default 0)
`

func runEmbed(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	modelPath := fs.String("model", "", "")
	out := fs.String("out", "", "")
	data := fs.String("data", "", "")
	split := fs.String("split", "test", "")
	batch := fs.Int("batch", 1000, "")
	prior := fs.String("prior", "", "")
	threads := fs.Int("threads", 0, "")
	files, st := parseFlagsAndFiles(fs, args, 1, embedUsage, stdout, stderr)
	if st >= 0 {
		return st
	}

	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "nidim embed: %s\n", sentence(fmt.Sprintf(format, a...)))
		return status
	}
	if len(files) == 1 {
		if *modelPath != "" {
			return fail(exitUsage, "the model is given twice, as --model %s and as the argument %s; pass it once.", *modelPath, files[0])
		}
		*modelPath = files[0]
	}
	switch {
	case *modelPath == "":
		return fail(exitUsage, "missing --model; pass the checkpoint written by nidim train, as in nidim embed MODEL --out embeddings.npy.")
	case *out == "":
		return fail(exitUsage, "missing --out; pass the embedding file to write, such as embeddings.npy.")
	case *split != "test" && *split != "train":
		return fail(exitUsage, "invalid --split %q; use test or train.", *split)
	case *batch < 1:
		return fail(exitUsage, "invalid --batch %d; use 1 or more samples.", *batch)
	case *threads < 0:
		return fail(exitUsage, "invalid --threads %d; use 0 for all cores or a positive count.", *threads)
	}
	if err := checkOutputPath("--out", *out); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := tensor.CheckMatrixOutputName(*out); err != nil {
		return fail(exitUsage, "--out %s", strings.TrimPrefix(err.Error(), "tensor: "))
	}
	setThreads(*threads)

	m, err := dim.LoadModel(*modelPath)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := retargetPrior(m, *prior); err != nil {
		return fail(exitUsage, "%v", err)
	}
	x, err := embedInput(*data, *split, m)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	z, err := m.Embed(x, *batch)
	if err != nil {
		return fail(exitFail, "%v", err)
	}

	values := make([]float64, z.Len())
	for i, v := range z.Data {
		values[i] = float64(v)
	}
	if err := tensor.WriteMatrixFile(*out, values, z.Shape[0], z.Shape[1]); err != nil {
		return fail(exitFail, "%v", err)
	}
	fmt.Fprintf(stderr, "wrote %d embeddings of dimension %d to %s\n", z.Shape[0], z.Shape[1], *out)
	return exitOK
}

// embedInput loads the rows to embed and checks them against the model.
func embedInput(data, split string, m *dim.Model) (*tensor.Tensor, error) {
	var x *tensor.Tensor
	if data == "" || isDir(data) {
		var tr, te *mnist.Set
		var err error
		if data == "" {
			tr, te, err = mnist.Load()
		} else {
			tr, te, err = mnist.LoadDir(data)
		}
		if err != nil {
			return nil, err
		}
		x = te.Images
		if split == "train" {
			x = tr.Images
		}
	} else {
		values, rows, cols, err := tensor.ReadMatrixFile(data)
		if err != nil {
			return nil, err
		}
		x = tensor.New(rows, cols)
		for i, v := range values {
			x.Data[i] = float32(v)
		}
	}
	if want := m.Encoder.InputSize(); x.Shape[1] != want {
		return nil, fmt.Errorf("the data has %d values per sample but the model was trained on samples of shape %v (%d values)", x.Shape[1], m.Config.Input, want)
	}
	return x, nil
}

// retargetPrior switches the output prior of m to prior, one of the
// priors that share the Gaussian training; "" keeps the model's.
func retargetPrior(m *dim.Model, prior string) error {
	if prior == "" || prior == m.Config.Prior {
		return nil
	}
	_, transformed := dim.TransformTarget(prior)
	if prior != "gaussian" && !transformed {
		return fmt.Errorf("invalid --prior %q; use gaussian, logistic, laplace or exponential", prior)
	}
	if m.Config.Prior == "uniform" {
		return fmt.Errorf("--prior %s does not apply: the model was trained for the uniform prior, whose output is squashed into [0, 1]; train with --prior gaussian to choose the prior at embedding time", prior)
	}
	m.Config.Prior = prior
	return nil
}

// setThreads applies a --threads value to the layers and matrix products.
func setThreads(n int) {
	if n > 0 {
		tensor.SetThreads(n)
		nn.SetThreads(n)
	}
}
