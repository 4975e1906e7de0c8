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

const embedUsage = `Usage: nidim embed MODEL --out FILE [flags]
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

Flags:
  --model MODEL        checkpoint from nidim train (required, here or as
                       the argument MODEL)
  --out FILE           embedding file to write, or - for standard output
                       when it is not a terminal (required)
  --data PATH          an MNIST-style IDX directory, a directory of images or
                       a matrix file (.npy, .csv, .tsv, .txt, optionally .gz)
                       with one sample per row (default: built-in MNIST); a
                       single IDX file is read as a matrix of its raw values
                       (0-255), an IDX directory's pixels are scaled to
                       [0, 1]. A directory of images (see nidim help train) is
                       read in the order of its rows: classes in sorted name
                       order, files sorted within each. For a model trained on
                       images its images get the model's channels (grayscale
                       ones become three equal channels for a colour model,
                       and a colour image for a grayscale model is an error)
                       and are resized to the model's height and width with
                       the filter of --image-size, which reproduces training's
                       inputs; a note counts the resized images. A note says
                       when the values look like another scale than the
                       model's training inputs
  --split NAME         test or train (default: test for MNIST-style data). An
                       IDX directory needs only the images of the split, such
                       as t10k-images-idx3-ubyte for test, and its labels
                       file, t10k-labels-idx1-ubyte, when there is one. A
                       matrix file or a directory of images is embedded whole
                       without --split. With it, nidim splits the file as
                       nidim train did, with the --seed and --test-fraction
                       that the checkpoint records, and takes the held-out
                       rows (test) or the others (train), in file order. The
                       file must be the one the model was trained on, with its
                       rows in their order: a training split that does not
                       match the checkpoint's data fingerprint is an error. A
                       checkpoint of an IDX directory, or of a nidim that did
                       not record the split, takes no --split on a matrix
                       file. A directory of images is split as a matrix file,
                       its rows in the order above
  --row-numbers FILE   also write the row number in the input of each
                       output row, counting from 0 as NumPy and pandas
                       index, so that data[numbers] gives the rows that
                       were embedded: in .npy a 1-D int64 array, in .csv,
                       .tsv or .txt one number per line (each optionally
                       .gz). The numbers count the samples, so a
                       header line of a text file is not one of them
                       (default: none)
  --paths FILE         also write the image file of each output row, one
                       path per line, as --data joined with the class
                       directory and the file name; only for a directory
                       of images (default: none)
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
	files, st := parseFlagsAndFiles(fs, args, 1, embedUsage, stdout, stderr)
	if st >= 0 {
		return st
	}
	if st := c.check(files, "nidim embed MODEL --out embeddings.npy", "embeddings.npy"); st >= 0 {
		return st
	}
	if st := c.checkOut(stdout); st >= 0 {
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
	numbersText, err := c.writeRowNumbers(in)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	pathsText, err := c.writePaths(in)
	if err != nil {
		return c.fail(exitFail, "%v", err)
	}
	fmt.Fprintf(stderr, "wrote %s of dimension %d to %s%s\n", plural(z.Shape[0], "embedding", "embeddings"), z.Shape[1], c.outName(), numbersText+pathsText)
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
