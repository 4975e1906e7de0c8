package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/nidim/nidim/dim"
)

func init() {
	register(command{
		name:    "embed",
		summary: "embed data with a trained model and write the embeddings",
		run:     runEmbed,
	})
}

var embedUsage = `Usage: nidim embed MODEL --out FILE [flags]
       nidim embed --model MODEL --out FILE [flags]

Runs the encoder of a checkpoint written by "nidim train" over a data set
in inference mode, without channel noise, and writes one embedding per row
(N x d) to --out. The format follows the extension of --out: .npy
(float32), .csv, .tsv or .txt, each optionally followed by .gz. Text files
have no header line, so read them with header=None in pandas. --out -
writes NPY (float32) to standard output, which "nidim test -" reads, and
every message goes to stderr; standard output must then be redirected or
piped, not a terminal. The embeddings follow the prior the model was
trained for; a model trained for logistic, laplace or exponential writes
its Gaussian output mapped by Phi and the prior's quantile function.

A model trained on feature vectors stores the mean and standard
deviation of each training column, unless it was trained with
--standardize=false, and standardizes its inputs with them, so --data
takes the raw values, in the columns and units of training. Values
standardized by hand are standardized twice, and a note names the
columns that then lie far from the training rows.

Flags:
  --model MODEL        checkpoint from nidim train (required, here or as
                       the argument MODEL)
  --out FILE           embedding file to write, or - for standard output
                       when it is not a terminal (required)
` + inputFlagsHelp("embedded") + `  --labels-out FILE    also write the class label of each output row, for
                       nidim plot --labels: in .npy a 1-D int64 array, in
                       .csv, .tsv or .txt one number per line (each
                       optionally .gz); only for data with labels, the
                       built-in MNIST, an IDX directory with its labels
                       file, a matrix file with --labels, or a directory
                       of images with class subdirectories, which get
                       the labels of the model's classes of the same
                       names (exact, letter case included); classes
                       that the model was not trained on get the
                       numbers after them, and a note lists them. A
                       model trained on other data stores no class
                       names, so the subdirectories are then numbered
                       0, 1, 2, ... as nidim train numbers them, and a
                       note lists them (default: none)
  --labels FILE        class labels of a matrix --data, one per row, as
                       class numbers 0, 1, 2, ..., for --labels-out; with
                       --split, it writes the labels of the rows it
                       selects (default: none)
  --prior NAME         write the embeddings of a model trained for gaussian,
                       logistic, laplace or exponential in another of these
                       priors (default: the model's prior); a uniform model
                       has only its own
  --batch N            samples per forward pass (default 1000)
  --threads N          goroutines; 0 for all cores (default 0)
`

func runEmbed(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	c := newModelCommand("embed", fs, true, stderr)
	prior := fs.String("prior", "", "")
	c.labelsOut = fs.String("labels-out", "", "")
	labelsPath := fs.String("labels", "", "")
	files, st := parseFlagsAndFiles(fs, args, 1, embedUsage, stdout, stderr)
	if st >= 0 {
		return st
	}
	if st := c.check(files, "nidim embed MODEL --out embeddings.npy", "embeddings.npy"); st >= 0 {
		return st
	}
	if *labelsPath != "" {
		if *c.data == "" || isDir(*c.data) {
			return c.fail(exitUsage, "%v", matrixOnlyError("--labels", *labelsPath, *c.data))
		}
		if *c.labelsOut == "" {
			return c.fail(exitUsage, "--labels %s gives the labels that --labels-out writes, and embed uses them for nothing else; add --labels-out labels.npy, or drop --labels", shellQuote(*labelsPath))
		}
	}
	if st := c.checkOut(stdout, inputFile{"--labels", *labelsPath}); st >= 0 {
		return st
	}
	m, st := c.loadModel()
	if st >= 0 {
		return st
	}
	if err := retargetPrior(m, *prior); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	in, err := c.input(m)
	if err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if *labelsPath != "" {
		if in.labels, err = matrixLabels(*labelsPath, in); err != nil {
			return c.fail(exitUsage, "%v", err)
		}
	}
	if err := c.checkLabelsOut(in); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	z, err := m.Embed(in.x, *c.batch)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}

	values := make([]float64, z.Len())
	for i, v := range z.Data {
		values[i] = float64(v)
	}
	if err := c.writeOut(stdout, values, z.Shape[0], z.Shape[1]); err != nil {
		return c.fail(exitFail, "%v", err)
	}
	rowsText, err := c.writeRowFiles(in)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	fmt.Fprintf(stderr, "wrote %s of dimension %d to %s%s\n", plural(z.Shape[0], "embedding", "embeddings"), z.Shape[1], c.outName(), rowsText)
	return exitOK
}

// retargetPrior switches the output prior of m to prior, one of the
// priors that share the Gaussian training; "" keeps the model's.
func retargetPrior(m *dim.Model, prior string) error {
	if prior == "" || prior == m.Config.Prior {
		return nil
	}
	if prior == "uniform" {
		return fmt.Errorf("--prior uniform does not apply: the model was trained for the %s prior, and a model's prior is fixed at training. "+
			"--prior maps the Gaussian output of a gaussian, logistic, laplace or exponential model to another of these four, "+
			"but not to uniform, because a uniform model squashes its output into [0, 1] during training. "+
			"Drop --prior, or train a new model with --prior uniform", m.Config.Prior)
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
