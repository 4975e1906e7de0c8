package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

func init() {
	register(command{
		name:    "train",
		summary: "train an encoder with noise-injected Deep InfoMax and test its embeddings",
		run:     runTrain,
	})
}

const trainUsage = `Usage: nidim train [flags]

Trains an encoder whose embeddings follow the chosen prior, by maximizing
the InfoNCE (or JSD, NWJ, DV) bound between noisy embeddings of two views of
each sample. Without --data it trains on the MNIST digits built into the
binary. Progress goes to stderr: a bar with the mean loss of the epoch and
the MI estimate in nats next to the channel capacity and ln(batch), then
one line per epoch. After every epoch the model is saved to --out
atomically, with Adam's state. Ctrl-C stops after the current step, saves
the model with the step it reached and exits with status 1, and --resume
continues from that step. The line of that epoch then says after which
step it resumed, because its values cover only the steps after it. In
the first epoch of a new run Ctrl-C saves nothing, so an existing --out
stays as it was. At the end the command embeds the test split without
noise and prints the prior-matching report, the capacity gap, and the
linear-probe and k-nearest-neighbor accuracies. Ctrl-C during that
evaluation, after the model is saved, exits at once with status 130 and
prints the nidim eval command that runs the evaluation.

Before training, nidim compares a lower bound of the memory that the run
needs with the memory here: the RAM and swap, or the limit of a control
group when that is lower than the RAM. When the bound is larger, train
stops with status 2 and names the largest part and the flag that shrinks
it (after --resume, whose settings are fixed, it says to resume where
more memory is free). When the bound passes 65% of that memory, train
prints a note that the kernel may stop the run, and trains all the same.

Recipe:
  --recipe NAME        the defaults of the flags marked [r] (flags given on
                       the command line win):
                       match, the default for every prior but uniform:
                         --dim 4 --sigma 0.5 --noise-views one
                         --loss infonce-rows --self-weight 0.5 --fixed-tau
                         --epochs 20 --batch 4096 --lr 0.002
                         --schedule cosine --shift 0 --pixel-noise 0
                         --feature-noise 0
                       Identical clean views, noise on one, and the
                       channel's own critic: the embeddings match N(0, I)
                       closely, but nothing teaches invariance to shifts,
                       so the probe accuracy is lower.
                       reference, the default for uniform, the PyTorch
                       recipe nidim is compared with:
                         --dim 8 --sigma 0.1 --noise-views both
                         --loss infonce --self-weight 1 --fixed-tau=false
                         --epochs 5 --batch 256 --lr 0.001
                         --schedule constant --shift 2 --pixel-noise 0.1
                         --feature-noise 0.1

Model:
  --prior NAME         gaussian (N(0, I)), uniform (U[0,1]^d: the output
                       squashed into [0, 1] with U[-eps, eps] noise), or
                       logistic, laplace, exponential (trained as gaussian,
                       each component mapped by Phi then the prior's
                       quantile function when embedding) (default gaussian)
  --dim D              [r] embedding dimension
  --sigma S            [r] Gaussian channel noise standard deviation; 0
                       trains without channel noise, like --noise-views none
  --eps E              uniform channel noise half-width; 0 trains without
                       channel noise (default 0.1)
  --noise-views V      [r] both, one or none: add channel noise to both
                       views, the first only, or neither (plain InfoNCE;
                       sigma, or eps for uniform, then only sets the
                       initial temperature)
  --encoder NAME       mlp (input-H-H-d) or cnn (two conv blocks, 256 hidden)
                       (default mlp)
  --hidden H           width of the MLP hidden layers (default 512)
  --critic NAME        euclidean (-|y1-y2|^2/(2 tau)), cosine or dot
                       (default euclidean)
  --loss NAME          [r] infonce (symmetric), infonce-rows (one-sided:
                       each first-view embedding picks its partner), jsd,
                       nwj, or dv (Donsker-Varadhan: mean score of the
                       matching pairs less the log of the mean exp(score)
                       of the others). dv matches the prior less closely
                       in the match recipe: "nidim train --loss dv" gave
                       light tails (excess kurtosis -0.75) and 49 of 52
                       tests rejected, against 6 with infonce-rows
  --self-weight W      [r] weight from 0 to 1 of the matching pair in the
                       denominators of infonce-rows; 1 is InfoNCE, and 0.5
                       cancels the batch's leading bias in the tails. With
                       few batch rows in reach (d = 8 at sigma 0.5), 0.05
                       keeps the tails closer to N(0, 1); train prints a
                       note then
  --tau T              initial critic temperature; 0 picks the noise-tied
                       value for euclidean (2 sigma^2 with both views
                       noisy, sigma^2 with one; for uniform 2 eps^2/3 and
                       eps^2/3), 0.1 for cosine, 1 for dot (default 0)
  --fixed-tau          [r] keep the temperature fixed instead of learning it

Training:
  --epochs N           [r] passes over the training set
  --batch B            [r] samples per step; also the InfoNCE cap ln B. A
                       recipe's batch larger than the training split
                       becomes the number of training rows, with a note
  --lr R               [r] Adam learning rate
  --schedule NAME      [r] constant or cosine learning rate
  --weight-decay W     decoupled weight decay (AdamW) per step, 0 for none
                       (default 0)
  --seed N             seed of initialization, shuffling, views and noise,
                       and of the held-out split of a matrix --data
                       (default 0)
  --threads N          goroutines for the layers and matrix products, and
                       for decoding a directory of images; 0 for all
                       cores (default 0, or with --resume the count the
                       checkpoint was trained with: a checkpoint stores
                       the number of cores that 0 stood for)
  --shift P            [r] image views: maximum translation in pixels
  --rotate DEG         image views: maximum rotation in degrees (default 0)
  --zoom Z             image views: zoom range 1-Z to 1+Z (default 0)
  --pixel-noise S      [r] image views: Gaussian pixel noise standard
                       deviation
  --feature-noise S    [r] vector views: Gaussian noise standard deviation, in
                       standard deviations of each feature, or in the units of
                       the data with --standardize=false
  --mask P             vector views: probability of setting a feature to its
                       training mean, or to zero with --standardize=false
                       (default 0)
  --standardize        feature vectors: feed the encoder each feature minus
                       its mean, divided by its standard deviation, both
                       computed on the training split and stored in the
                       checkpoint, which embed, score, eval, serve and export
                       then apply to their inputs. A constant feature is only
                       centred. --standardize=false feeds the values as they
                       are, so that results depend on the features' units;
                       images are never standardized (default true for feature
                       vectors)
  --no-recalibrate     keep the running normalization statistics of training
                       instead of recomputing them on clean training inputs
  --no-normalize       leave the encoder output unnormalized (a baseline)
  --clean-view         feed the first view without augmentation, so that
                       training shapes the clean embeddings that are tested
  --shared-view        give both views the same augmented draw, so that they
                       differ only by the channel noise; not with
                       --clean-view. Both need a view flag above 0 (the
                       match recipe sets none)
  --penalty NAME       none, or epps-pulley: add the sliced Epps-Pulley
                       distance of each view's embedding to N(0, I) to the
                       loss, as SIGReg does; not with the uniform prior
                       (default none)
  --penalty-weight W   weight of the penalty (default 1)
  --penalty-directions K
                       random projection directions per step (default 16)
  --resume FILE        continue training the checkpoint FILE up to --epochs
                       (default: the epochs it was started with), from the
                       step where it stopped and with its Adam state, so
                       that with the same --threads, SIMD level and data
                       the result is bit-identical to an uninterrupted
                       run's (a note on stderr says when the threads or
                       the SIMD level differ); with the cosine schedule, a
                       changed --epochs changes the remaining learning
                       rates. Every model and training flag but --epochs
                       and --threads comes from the checkpoint, so none
                       of them, nor --recipe, may be given

Data and output:
  --data PATH          a directory with the four MNIST-style IDX files
                       (train-images-idx3-ubyte[.gz] and so on), a directory of
                       images, or one matrix file (.npy, .csv, .tsv, .txt,
                       optionally .gz) with one sample per row (default:
                       built-in MNIST). A single IDX file is a matrix too: its
                       raw values, 0-255 for images, one flattened sample per
                       row. So is an .npy array of more dimensions, such as (N,
                       H, W): --image-shape makes its rows images. A directory
                       of images holds PNG, JPEG or GIF files (.png, .jpg,
                       .jpeg, .jpe, .jfif, .gif, any case): one subdirectory
                       per class, the classes numbered 0, 1, 2, ... in sorted
                       name order (in numeric order when every name is a
                       number, so that a directory 3 gets label 3 when the
                       names run from 0), or the files directly in it,
                       unlabelled; not both. Its rows are the files in that
                       order, sorted within each class. Other files and hidden
                       entries (names starting with a dot) are skipped, and a
                       note counts them; symbolic links are followed. Pixels
                       are scaled to [0, 1]. Grayscale images give 1 channel;
                       if any image has colour (a pixel whose red, green and
                       blue differ) every image gets 3 (red, green, blue), and
                       a note says so. Alpha is dropped, and an animated GIF
                       gives its first frame. A JPEG, or a PNG with an eXIf
                       chunk before its image data, is turned upright by its
                       EXIF orientation when the tag lies in the first 128 KiB
                       of the file, as image viewers show it, and a note counts
                       those turned. The directory is split like a matrix file,
                       with --test-fraction and --seed, and the checkpoint
                       stores the sample shape C,H,W and the --image-fit, with
                       which embed, score, eval and serve read other images,
                       and the class names, by which embed and score number the
                       classes of other directories. A file that does not
                       decode is an error naming it, and so is a set of images
                       whose size, read from the headers before decoding, would
                       not fit in memory
  --labels FILE        class labels for a matrix --data, one per row, as
                       class numbers 0, 1, 2, ... up to 1000000 (not names)
                       (default: none, which skips the probe and kNN).
                       nidim reads every column of --data as a feature,
                       so a column of labels belongs in this file instead;
                       a note names a column of --data that equals the
                       labels or has a name such as label or target
  --image-shape C,H,W  sample shape of a matrix --data (default: feature
                       vectors). Images, from this flag or a directory, get
                       the image views; feature vectors get the vector views
  --image-size HxW     resize every image of a directory of images to height H
                       and width W, such as 28x28, with an area-averaging
                       filter: each output pixel is the mean of the source
                       area it covers. --image-fit sets how an image of
                       another aspect ratio is resized (default: the size of
                       the first image; an image of another size is then an
                       error)
  --image-fit squeeze|crop
                       how --image-size treats an image of another aspect
                       ratio: squeeze scales the whole image, which stretches
                       it; crop cuts the largest centred rectangle of the
                       ratio H:W out of the upright image and scales that, so
                       shapes keep their proportions and the edges are lost.
                       The cut side is rounded to whole pixels, and an odd
                       pixel left over comes off the right or the bottom
                       (default: squeeze). crop needs --image-size and a
                       directory of images; squeeze is accepted with any
                       data, as the config of --json lists it
  --test-fraction F    share of a matrix --data or a directory of images held
                       out for testing (default 0.1). The rows are shuffled
                       with --seed and the last F x rows, rounded, are held
                       out, whatever their labels: the split is not
                       stratified, so a rare class can miss the test split.
                       The checkpoint stores F, and eval and --resume split
                       the file with it and the seed, so they need it only for
                       a checkpoint of an older nidim
  --out FILE           checkpoint path (default nidim-model.safetensors, or
                       the --resume FILE); no run replaces the checkpoint
                       of another unfinished run, which --resume continues,
                       or a file that is not a checkpoint
  --knn K              neighbors of the kNN classifier (default 5)
  --knn-metric NAME    euclidean or cosine distance for kNN (default euclidean)
  --no-eval            skip the evaluation after training, and the notes
                       on it for a matrix file or a directory of images
                       as --data (test rows that also occur in the
                       training split, classes without training rows),
                       which nidim eval prints instead
  --json               print one JSON object on stdout: the settings (recipe,
                       prior, dim, sigma, eps, noise_views, epochs, batch,
                       encoder, critic, loss, standardized, and penalty,
                       penalty_weight and penalty_directions; recipe not
                       after --resume, eps only for the uniform prior,
                       the penalty fields only with --penalty),
                       images_per_s, mi_estimate (on the test split; with
                       --no-eval the last training epoch's), mi_batch
                       (rows per batch of the estimate; not with
                       --no-eval), train_mi_estimate, capacity,
                       two_view_mi and prior_mi (those of the channel at
                       the noise level --sigma or --eps; null without
                       channel noise), capacity_gap (null with
                       --no-eval or without channel noise), ln_batch,
                       tau, linear_probe_accuracy, knn_accuracy, report
                       (as nidim test --json prints it), eval_seconds
                       (not with --no-eval), model (the checkpoint path),
                       history (one object per epoch of this run:
                       epoch, loss, mi_estimate, tau, seconds,
                       samples_per_s; the checkpoint stores no history,
                       so after --resume it starts at the resumed epoch;
                       when that epoch was resumed after step N, its
                       object has resumed_at_step N and covers only the
                       steps after N), classes (the class directory
                       names in label order, only for a directory of
                       images), and config: every setting of the
                       model as the checkpoint stores it, with each key
                       present, such as seed, lr, schedule, weight_decay,
                       threads (the count used, also for --threads 0),
                       batch (the one used), input (the sample shape)
                       and test_fraction (0 for MNIST-style data). Its
                       tau is the initial temperature setting (0 for the
                       default), and its sigma and eps are stored even
                       when noise_views is 0, where they set only that
                       temperature; the keys outside config give the
                       trained tau and a noise level of 0 there. config
                       also contains the settings that do not apply to
                       the run, as the recipe set them, and train rejects
                       their flags: eps for a prior other than uniform,
                       sigma for uniform, self_weight for a loss other
                       than infonce-rows, penalty_weight and
                       penalty_directions without a penalty, and the
                       views of the other kind of sample (max_shift,
                       max_rotate, max_scale and pixel_noise for feature
                       vectors, feature_noise and mask_prob for images).
                       For a run that did not --resume, training again
                       on the same --data with --recipe set to the
                       recipe key and the flag of each other key writes
                       the same checkpoint, byte for byte. The flag of
                       input is --image-size HxW, its last two values,
                       for a directory of images (also when the first
                       run read the images at their own size),
                       --image-shape for a matrix file of images, and
                       none for feature vectors
`

// modelFlags are the flags that define the model, which a resumed run
// takes from its checkpoint.
var modelFlags = []string{"recipe", "prior", "dim", "sigma", "eps", "noise-views", "encoder", "hidden", "critic", "loss", "self-weight", "tau", "fixed-tau", "batch", "lr", "schedule", "weight-decay", "seed", "shift", "rotate", "zoom", "pixel-noise", "feature-noise", "mask", "no-recalibrate", "no-normalize", "clean-view", "shared-view", "penalty", "penalty-weight", "penalty-directions", "standardize"}

// recipes name the configurations whose settings --recipe puts in place
// of the flags' defaults.
var recipes = map[string]func() dim.Config{
	"match":     dim.MatchingConfig,
	"reference": dim.DefaultConfig,
}

// recipeFlags returns the flags that a recipe sets, with their values in
// the recipe c, in the order the help text lists them.
func recipeFlags(c dim.Config) [][2]string {
	views := [...]string{"none", "one", "both"}[c.NoiseViews]
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return [][2]string{
		{"dim", strconv.Itoa(c.Dim)}, {"sigma", g(c.Sigma)}, {"noise-views", views},
		{"loss", string(c.Loss)}, {"self-weight", g(c.SelfWeight)},
		{"fixed-tau", strconv.FormatBool(!c.LearnTau)}, {"epochs", strconv.Itoa(c.Epochs)},
		{"batch", strconv.Itoa(c.Batch)}, {"lr", g(c.LR)}, {"schedule", c.Schedule},
		{"shift", strconv.Itoa(c.MaxShift)}, {"pixel-noise", g(c.PixelNoise)},
		{"feature-noise", g(c.FeatureNoise)},
	}
}

// applyRecipe sets every flag of the recipe called name that fs defines,
// that the command line left alone and that skip does not list, and
// returns the recipe's name. Without --recipe it picks match, unless the
// prior is uniform: match's critic is the Gaussian channel's. An empty
// --recipe is an error. Call it after the parse and after the last
// fs.Visit that reads which flags the command line set, since fs.Set
// marks flags as set.
func applyRecipe(fs *flag.FlagSet, name, prior string, skip ...string) (string, error) {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if name == "" && explicit["recipe"] {
		return "", fmt.Errorf("missing name after --recipe; use match or reference, or drop the flag for the default")
	}
	if name == "" {
		name = "match"
		if prior == "uniform" {
			name = "reference"
		}
	}
	recipe, ok := recipes[name]
	if !ok {
		return "", fmt.Errorf("invalid --recipe %q; use match or reference", name)
	}
	for _, kv := range recipeFlags(recipe()) {
		if explicit[kv[0]] || fs.Lookup(kv[0]) == nil || slices.Contains(skip, kv[0]) {
			continue
		}
		if err := fs.Set(kv[0], kv[1]); err != nil {
			return "", fmt.Errorf("recipe %s sets --%s %s: %v", name, kv[0], kv[1], err)
		}
	}
	return name, nil
}

// defaultTestFraction is the share of a matrix --data held out for testing.
const defaultTestFraction = 0.1

// dataFlags select the data set, shared by train, eval and sweep.
type dataFlags struct {
	data, labels, imageShape string
	// imageSize is the --image-size of a directory of images, HxW.
	imageSize string
	// imageFit is the --image-fit of a directory of images, "" when the
	// flag is not given.
	imageFit     string
	testFraction float64
	// forCheckpoint is set when the data goes through the model of an
	// existing checkpoint, as in eval and train --resume. Its sample
	// shape is fixed, so no note suggests another --image-shape.
	forCheckpoint bool
	// modelConfig is the config of that checkpoint, read from
	// modelPath, or nil. A directory of images is read in its input
	// shape and with its image fit.
	modelConfig *dim.Config
	modelPath   string
	// threads is the --threads of the command, the number of goroutines
	// that decode a directory of images, 0 for all cores.
	threads int
	// stderr and command (such as "nidim train") show the progress of
	// reading a directory of images; stderr is nil for none.
	stderr  io.Writer
	command string
	// unstandardized is set when --standardize=false is given for a new
	// model, so that the notes on images read as vectors state that the
	// vectors keep their values.
	unstandardized bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", "", "")
	fs.StringVar(&d.labels, "labels", "", "")
	fs.StringVar(&d.imageShape, "image-shape", "", "")
	fs.StringVar(&d.imageSize, "image-size", "", "")
	fs.StringVar(&d.imageFit, "image-fit", "", "")
	fs.Float64Var(&d.testFraction, "test-fraction", defaultTestFraction, "")
}

// inputs returns the files that the data flags name: the matrix file and
// the labels, or the IDX files of an MNIST-style directory, with and
// without .gz.
func (d *dataFlags) inputs() []inputFile {
	files := []inputFile{{"--data", d.data}, {"--labels", d.labels}}
	if d.data != "" && isIDXDir(d.data) {
		files = files[1:]
		for _, name := range []string{mnist.TrainImages, mnist.TrainLabels, mnist.TestImages, mnist.TestLabels} {
			for _, ext := range []string{"", ".gz"} {
				files = append(files, inputFile{"--data", filepath.Join(d.data, name+ext)})
			}
		}
	}
	return files
}

// args returns the data flags that were set, as command-line arguments
// with a leading space and quoted for a POSIX shell, to repeat them in a
// suggested command.
func (d *dataFlags) args() string {
	var b strings.Builder
	for _, f := range []struct{ name, value string }{
		{"--data", d.data}, {"--labels", d.labels}, {"--image-shape", d.imageShape},
		{"--image-size", d.imageSize}, {"--image-fit", d.imageFit},
	} {
		if f.value != "" {
			fmt.Fprintf(&b, " %s %s", f.name, shellQuote(f.value))
		}
	}
	if splitsByFraction(d.data) && d.testFraction != defaultTestFraction {
		fmt.Fprintf(&b, " --test-fraction %v", d.testFraction)
	}
	return b.String()
}

// useModelFraction makes d split a matrix --data as the training run of
// the model m, read from path, did. When --test-fraction was not given
// (flagGiven is false), d takes the fraction that m stores. When it was given
// with another value, the error names both. A model trained on MNIST-style
// data, or written before nidim stored the fraction, leaves d as it is.
func (d *dataFlags) useModelFraction(path string, m *dim.Model, flagGiven bool) error {
	stored := m.Config.TestFraction
	if stored == 0 || !splitsByFraction(d.data) {
		return nil
	}
	if !flagGiven {
		d.testFraction = stored
		return nil
	}
	if d.testFraction != stored {
		return fmt.Errorf("--test-fraction %v differs from the %v that %s was trained with, and another fraction splits --data %s into other training and test rows; drop --test-fraction, or pass --test-fraction %v",
			d.testFraction, stored, path, shellQuote(d.data), stored)
	}
	return nil
}

// mismatchAdvice returns the advice for a model m whose data fingerprint
// differs from that of the training split that d selects.
// A model that stores no fraction was trained on an MNIST-style data set,
// which takes no --test-fraction, or on a matrix file by an older nidim.
func (d *dataFlags) mismatchAdvice(m *dim.Model) string {
	if f := m.Config.TestFraction; f != 0 {
		return fmt.Sprintf("pass the --data it was trained on; the split already uses the --test-fraction %v that the model stores", f)
	}
	return "pass the --data it was trained on, and for a matrix file the --test-fraction it was trained on"
}

// parseFlags parses args into fs, which takes no positional arguments. It
// returns -1 to continue, or the exit status after printing help or a
// usage error.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) int {
	_, st := parseFlagsAndFiles(fs, args, 0, usage, stdout, stderr)
	return st
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	def := dim.DefaultConfig()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	recipe := fs.String("recipe", "", "")
	prior := fs.String("prior", def.Prior, "")
	d := fs.Int("dim", def.Dim, "")
	sigma := fs.Float64("sigma", def.Sigma, "")
	eps := fs.Float64("eps", def.Eps, "")
	noiseViews := fs.String("noise-views", "both", "")
	encoder := fs.String("encoder", def.Encoder, "")
	hidden := fs.Int("hidden", def.Hidden, "")
	critic := fs.String("critic", string(def.Critic), "")
	loss := fs.String("loss", string(def.Loss), "")
	selfWeight := fs.Float64("self-weight", def.SelfWeight, "")
	tau := fs.Float64("tau", 0, "")
	fixedTau := fs.Bool("fixed-tau", false, "")
	epochs := fs.Int("epochs", def.Epochs, "")
	batch := fs.Int("batch", def.Batch, "")
	lr := fs.Float64("lr", def.LR, "")
	schedule := fs.String("schedule", def.Schedule, "")
	weightDecay := fs.Float64("weight-decay", 0, "")
	seed := fs.Uint64("seed", def.Seed, "")
	threads := fs.Int("threads", 0, "")
	shift := fs.Int("shift", def.MaxShift, "")
	rotate := fs.Float64("rotate", 0, "")
	zoom := fs.Float64("zoom", 0, "")
	pixelNoise := fs.Float64("pixel-noise", def.PixelNoise, "")
	featureNoise := fs.Float64("feature-noise", def.FeatureNoise, "")
	mask := fs.Float64("mask", 0, "")
	standardize := fs.Bool("standardize", false, "")
	noRecalibrate := fs.Bool("no-recalibrate", false, "")
	noNormalize := fs.Bool("no-normalize", false, "")
	cleanView := fs.Bool("clean-view", false, "")
	sharedView := fs.Bool("shared-view", false, "")
	penalty := fs.String("penalty", "none", "")
	penaltyWeight := fs.Float64("penalty-weight", 1, "")
	penaltyDirections := fs.Int("penalty-directions", 16, "")
	resume := fs.String("resume", "", "")
	var df dataFlags
	df.register(fs)
	out := fs.String("out", "nidim-model.safetensors", "")
	knnK := fs.Int("knn", 5, "")
	knnMetric := fs.String("knn-metric", string(dim.MetricEuclidean), "")
	noEval := fs.Bool("no-eval", false, "")
	asJSON := fs.Bool("json", false, "")
	if st := parseFlags(fs, args, trainUsage, stdout, stderr); st >= 0 {
		return st
	}
	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "nidim train: %s\n", sentence(fmt.Sprintf(format, a...)))
		return status
	}

	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	recipeUsed := "" // stays empty for a resumed model, whose settings come from the checkpoint
	if *resume == "" {
		// The other prior's noise level would be ignored.
		if other := otherLevel(*prior); explicit[other] {
			return fail(exitUsage, "--%s does not apply to the %s prior, whose noise level is --%s; drop --%s or set --%s.", other, *prior, levelName(*prior), other, levelName(*prior))
		}
		// Without a penalty its weight and directions would be ignored.
		if p, err := dim.ParsePenalty(*penalty); err == nil && p == "" {
			for _, name := range []string{"penalty-weight", "penalty-directions"} {
				if explicit[name] {
					return fail(exitUsage, "--%s applies only with --penalty %s; add --penalty %s or drop --%s.", name, dim.PenaltyEppsPulley, dim.PenaltyEppsPulley, name)
				}
			}
		}
		var err error
		if recipeUsed, err = applyRecipe(fs, *recipe, *prior); err != nil {
			return fail(exitUsage, "%v", err)
		}
		if err := checkSelfWeight(explicit, *loss); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	views := 2
	switch *noiseViews {
	case "both":
	case "one":
		views = 1
	case "none":
		views = 0
	default:
		return fail(exitUsage, "invalid --noise-views %q; use both, one or none.", *noiseViews)
	}
	for _, level := range []struct {
		name  string
		value float64
	}{{"sigma", *sigma}, {"eps", *eps}} {
		if !(level.value >= 0) || math.IsInf(level.value, 0) {
			return fail(exitUsage, "invalid --%s %v; use 0 for no channel noise or a positive number such as 0.5.", level.name, level.value)
		}
	}
	// A zero noise level is the noiseless ablation: plain InfoNCE with the
	// same normalization. The default level then only sets the initial
	// temperature, as with --noise-views none.
	if (*prior == "uniform" && *eps == 0) || (*prior != "uniform" && *sigma == 0) {
		views = 0
		*sigma, *eps = def.Sigma, def.Eps
	}
	if *knnK < 1 {
		return fail(exitUsage, "invalid --knn %d; use 1 or more neighbors.", *knnK)
	}
	if err := checkMetric(*knnMetric); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *threads < 0 {
		return fail(exitUsage, "invalid --threads %d; use 0 for all cores or a positive count.", *threads)
	}
	if *hidden < 1 {
		// The library reads 0 as its default width; on the command line
		// it would silently train a 512-wide network.
		return fail(exitUsage, "invalid --hidden %d; use a positive width such as %d.", *hidden, def.Hidden)
	}
	cfg := dim.Config{
		Prior: *prior, Sigma: *sigma, Eps: *eps, NoiseViews: views,
		Dim: *d, Encoder: *encoder, Hidden: *hidden,
		Critic: dim.Critic(*critic), Loss: dim.Bound(*loss), SelfWeight: *selfWeight, Tau: *tau, LearnTau: !*fixedTau,
		Epochs: *epochs, Batch: *batch, LR: *lr, Schedule: *schedule, WeightDecay: *weightDecay,
		Seed: *seed, Threads: *threads,
		MaxShift: *shift, MaxRotate: *rotate, MaxScale: *zoom, PixelNoise: *pixelNoise,
		FeatureNoise: *featureNoise, MaskProb: *mask, Standardize: *standardize, NoRecalibrate: *noRecalibrate,
		NoNormalize: *noNormalize, CleanFirstView: *cleanView, SharedView: *sharedView, Penalty: *penalty, PenaltyWeight: *penaltyWeight, PenaltyDirections: *penaltyDirections,
	}
	if cfg.Penalty == "none" {
		cfg.Penalty = ""
	}

	// The checkpoint of --resume is read before --out is checked, so that
	// a damaged one is reported as the --resume file with the reason
	// rather than as an --out that training would replace.
	var model *dim.Model
	var resumeNotes []string // printed once the data is checked
	if *resume != "" {
		var conflict []string
		fs.Visit(func(f *flag.Flag) {
			for _, name := range modelFlags {
				if f.Name == name {
					conflict = append(conflict, "--"+name)
				}
			}
		})
		if len(conflict) > 0 {
			them := "them"
			if len(conflict) == 1 {
				them = "it"
			}
			return fail(exitUsage, "%s cannot be set with --resume, because the model settings come from the checkpoint; drop %s or train a new model.", strings.Join(conflict, ", "), them)
		}
		if err := stdinCheckpointError("--resume", *resume); err != nil {
			return fail(exitUsage, "%v.", err)
		}
		m, err := dim.LoadModel(*resume)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		if m.Exported {
			return fail(exitUsage, "%s was written by nidim export, without the optimizer state that resuming needs; resume the original checkpoint that it was exported from instead.", *resume)
		}
		if err := df.useModelFraction(*resume, m, explicit["test-fraction"]); err != nil {
			return fail(exitUsage, "%v", err)
		}
		df.modelConfig, df.modelPath = &m.Config, *resume
		if !explicit["epochs"] {
			*epochs = m.Config.Epochs // the run's own target
		}
		if *epochs <= m.Epoch {
			return fail(exitUsage, "the checkpoint %s has already trained %s; pass --epochs above %d to continue.", *resume, plural(m.Epoch, "epoch", "epochs"), m.Epoch)
		}
		if !m.Verified {
			resumeNotes = append(resumeNotes, dim.UnverifiedNote(*resume))
		}
		if m.Data == "" {
			resumeNotes = append(resumeNotes, noFingerprintText(*resume))
		}
		if m.Optimizer == nil {
			resumeNotes = append(resumeNotes, fmt.Sprintf("%s has no optimizer state, because an older nidim wrote it; Adam starts afresh, so the result will differ from an uninterrupted run's", *resume))
		}
		if m.Config.Schedule == "cosine" && *epochs != m.Config.Epochs {
			resumeNotes = append(resumeNotes, fmt.Sprintf("the cosine schedule now spans %d epochs instead of %d, so the remaining learning rates differ from those of the run that wrote %s", *epochs, m.Config.Epochs, *resume))
		}
		resumeNotes = append(resumeNotes, roundingNotes(*resume, m, explicit["threads"], *threads)...)
		m.Config.Epochs = *epochs
		// The thread count changes the rounding, so the run keeps its own
		// unless --threads is given.
		if explicit["threads"] {
			m.Config.Threads = *threads
		}
		model, cfg = m, m.Config
	} else if err := cfg.Validate(); err != nil {
		return fail(exitUsage, "%s", flagWording(err))
	}

	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if *resume != "" && !outSet {
		// Continue the checkpoint in place, as the interruption message
		// suggests, rather than writing over ./nidim-model.safetensors.
		*out = *resume
	}
	// Without --out a resumed run saves to its --resume file, so a message
	// on the file names it by the flag that chose it.
	outFlag := "--out"
	if *resume != "" && !outSet {
		outFlag = "--resume"
	}
	if err := checkOutputPath(outFlag, *out, df.inputs()...); err != nil {
		if outFlag == "--resume" {
			return fail(exitUsage, "%v. Without --out a resumed run saves to its --resume file; pass --out FILE to save it elsewhere", err)
		}
		return fail(exitUsage, "%v", err)
	}
	// Training replaces --out after each epoch.
	old, err := existingCheckpoint("--out", *out, "training")
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	// Without --resume, an unfinished run in --out would be replaced by
	// the first epoch of a new one.
	if *resume == "" {
		if old != nil && isUnfinished(old) {
			if old.Exported {
				return fail(exitUsage, "--out %s contains an unfinished run (%s of %d epochs), written by nidim export; resume the checkpoint it was exported from, or pass another --out or delete the file to start over.",
					*out, unfinishedText(old), old.Config.Epochs)
			}
			// The data is not loaded yet, so the suggested command takes
			// this run's data flags. The size the old run was trained on
			// lets the user check that they fit.
			trainedOn := ""
			size, _, _ := strings.Cut(old.Data, " sha256:")
			if rows, shape, ok := strings.Cut(size, " x "); ok {
				trainedOn = fmt.Sprintf(", given the data it was trained on (%s training rows of shape %s),", rows, shape)
			}
			return fail(exitUsage, "--out %s contains an unfinished run (%s of %d epochs); pass another --out or delete the file to start over, or continue it%s with%s",
				*out, unfinishedText(old), old.Config.Epochs, trainedOn, commandLine(fmt.Sprintf("nidim train --resume %s%s", shellQuote(*out), df.args())))
		}
	} else if old != nil && !old.Exported && isUnfinished(old) && !sameFile(*out, *resume) {
		// A resumed run written to another file would replace that file's
		// run, which only its own checkpoint can continue.
		return fail(exitUsage, "--out %s contains another unfinished run (%s of %d epochs), which this run would replace; pass another --out, or drop --out to continue %s in place.",
			*out, unfinishedText(old), old.Config.Epochs, *resume)
	}

	df.forCheckpoint = *resume != ""
	df.unstandardized = *resume == "" && explicit["standardize"] && !*standardize
	df.threads = cfg.Threads
	df.stderr, df.command = stderr, "nidim train"
	train, test, dataNote, err := loadData(df, cfg.Seed)
	if dataNote.images && cfg.Standardize {
		// --standardize applies to feature vectors only, so the user
		// has already answered the note's question.
		dataNote = layoutNote{}
	}
	dataNote.print(stderr, "nidim train")
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if model == nil && splitsByFraction(df.data) {
		// Stored so that eval and --resume split the file alike.
		cfg.TestFraction = df.testFraction
	}
	if model == nil {
		// loadData has accepted the flag, so it names an image fit.
		cfg.ImageFit = configImageFit(df.imageFit)
	}
	// The notes on the features are printed once the model is made,
	// which takes the fitted standardization with --standardize.
	var featureNotes []string
	var standardization *dim.Standardization
	if model == nil {
		if err := checkViewFlags(explicit, cfg, train.Shape); err != nil {
			return fail(exitUsage, "%v", err)
		}
		cfg.Standardize = standardizeDefault(explicit, cfg.Standardize, train.Shape)
		if cfg.Standardize {
			if err := checkStandardizeData(df, train.Shape); err != nil {
				return fail(exitUsage, "%v", err)
			}
		}
		if standardization, featureNotes, err = checkFeatureSpread(df, train, cfg.Standardize, dataNote, newFeatureNoise(cfg, recipeUsed, explicit)); err != nil {
			return fail(exitUsage, "%v", err)
		}
		// These notes concern the evaluation of the test split. --no-eval
		// skips it, and nidim eval prints them when it runs.
		if splitsByFraction(df.data) && !*noEval {
			featureNotes = append(featureNotes, evaluationNotes(train, test)...)
		}
	}
	if !*noEval {
		if err := checkKNN(*knnK, train); err != nil {
			return fail(exitUsage, "%v", err)
		}
		// Found only after training, this used to cost the whole run's
		// evaluation.
		if n := test.X.Shape[0]; n < 2 {
			// A resumed run keeps the split of its checkpoint.
			stored := 0.0
			if model != nil {
				stored = model.Config.TestFraction
			}
			return fail(exitUsage, "%v", fewTestRowsError(n, train.X.Shape[0]+n, df, stored, "--no-eval"))
		}
	}
	if model != nil && model.Encoder.InputSize() != train.X.Shape[1] && df.data == "" {
		return fail(exitUsage, "%s; pass --data FILE with the data it was trained on.", builtinMNISTMismatch("the checkpoint "+*resume, model, train.X.Shape[1]))
	}
	if model != nil && model.Encoder.InputSize() != train.X.Shape[1] {
		return fail(exitUsage, "the checkpoint %s takes samples of shape %v (%d values) but the data has %d values per sample; pass the --data it was trained on.", *resume, model.Config.Input, model.Encoder.InputSize(), train.X.Shape[1])
	}
	if n := train.X.Shape[0]; cfg.Batch > n {
		if recipeUsed == "" || explicit["batch"] {
			return fail(exitUsage, "--batch %d is larger than the %d training rows; use --batch %d or less, or more data.", cfg.Batch, n, n)
		}
		// The user did not choose the batch, so on a small data set it
		// becomes the largest that still gives a step: the whole training
		// split. Staying large keeps ln B, the cap of the InfoNCE
		// estimate, as high as the data allows. evaluate estimates the MI
		// on a smaller test split in one batch of its own size.
		// NOTE: no sweep has tuned this for small data. The match
		// recipe's 20 epochs become 20 Adam steps, and on one 3,000-row
		// toy set of three clusters --batch 256 passed more of the
		// battery, with a lower probe accuracy.
		fmt.Fprintf(stderr, "nidim train: note: the %s recipe's --batch %d is larger than the %d training rows, so the batch is %d, the whole training split, and each epoch is one step. So few steps may leave the encoder undertrained; %s gives more.\n",
			recipeUsed, cfg.Batch, n, n, smallDataRemedy(n))
		cfg.Batch = n
	}
	if model != nil {
		if err := checkSampleShape(*resume, model, train.Shape, df.data == "" || isDir(df.data)); err != nil {
			return fail(exitUsage, "%v", err)
		}
		if err := model.CheckData(train); err != nil {
			return fail(exitUsage, "%s: %s; %s", *resume, strings.TrimPrefix(err.Error(), "dim: "), df.mismatchAdvice(model))
		}
		printNote(stderr, "nidim train", renamedClassesNote(*resume, model.Classes, train.Classes, "the resumed model stores the names of --data"))
		// A checkpoint from before nidim stored the fraction gets it only
		// here, once the data fingerprint has shown that this fraction
		// gives its split. Set earlier, the advice above would call a
		// guessed fraction the stored one.
		if model.Config.TestFraction == 0 && splitsByFraction(df.data) {
			model.Config.TestFraction = df.testFraction
		}
	}
	stepsPerEpoch := train.X.Shape[0] / cfg.Batch
	if model != nil && model.Step >= stepsPerEpoch {
		return fail(exitUsage, "the checkpoint %s stopped after step %d of epoch %d, but the data has only %d steps per epoch; pass the --data it was trained on.", *resume, model.Step, model.Epoch+1, stepsPerEpoch)
	}
	if model != nil && model.Step > 0 && !*asJSON {
		resumeNotes = append(resumeNotes, fmt.Sprintf("%s stopped after %s of epoch %d; training continues from there", *resume, stepsText(model.Step, stepsPerEpoch), model.Epoch+1))
	}
	for _, note := range resumeNotes {
		printNote(stderr, "nidim train", note)
	}
	// A run resumed in place got the note when it started.
	if outSet {
		printNote(stderr, "nidim train", checkpointNameNote(*out))
	}
	printNote(stderr, "nidim train", threadsNote(*threads, true))
	size := sizeOf(train, test, !*noEval, "--no-eval")
	if model != nil {
		// The model settings are the checkpoint's, so the only remedies
		// are more memory and skipping the evaluation.
		if err := checkResumeMemory(cfg, size, *resume); err != nil {
			return fail(exitUsage, "%v", err)
		}
		printNote(stderr, "nidim train", resumeMemoryNote(float64(physicalMemory()), cfg, size))
	}
	if model == nil {
		if err := checkModelMemory(cfg, size); err != nil {
			return fail(exitUsage, "%v", err)
		}
		printNote(stderr, "nidim train", modelMemoryNote(cfg, size))
		if model, err = dim.NewModel(cfg, train.Shape); err != nil {
			return fail(exitUsage, "%s", flagWording(err))
		}
		// Only a new model fits the statistics: a resumed one keeps those
		// in its checkpoint, which its first epochs trained with.
		if cfg.Standardize {
			model.Standardization = standardization
		}
		for _, note := range featureNotes {
			printNote(stderr, "nidim train", note)
		}
	}
	// The stop signals and SIGPIPE are caught from the header line on,
	// because a pipe such as "2>&1 | head -2" may close after any line.
	ctx, stop := signal.NotifyContext(context.Background(), trainingStopSignals...)
	defer stop()
	prior0, _ := cfg.NewPrior()
	if !*asJSON {
		// From cfg, not the flag: a resumed model has its own setting.
		channel := channelText(&cfg)
		recipeNote := ""
		if recipeUsed != "" {
			recipeNote = recipeUsed + " recipe, "
		}
		threads := cfg.Threads
		if threads <= 0 {
			threads = runtime.GOMAXPROCS(0)
		}
		standardized := ""
		if cfg.Standardize {
			standardized = ", standardized"
		}
		penalty := ""
		if cfg.Penalty != "" {
			penalty = fmt.Sprintf(" plus %s penalty (weight %g, %d directions)", cfg.Penalty, cfg.PenaltyWeight, cfg.PenaltyDirections)
		}
		fmt.Fprintf(stderr, "nidim train: %s%s prior, d = %d, %s, %s encoder, %s critic, %s loss%s; %d training and %d test samples of shape %v%s, %s; batch %d, %s, %s, %s kernels\n",
			recipeNote, cfg.Prior, cfg.Dim, channel, cfg.Encoder, cfg.Critic, cfg.Loss, penalty,
			train.X.Shape[0], test.X.Shape[0], train.Shape, standardized, viewsText(&cfg, train.Shape), cfg.Batch, plural(cfg.Epochs, "epoch", "epochs"),
			plural(threads, "thread", "threads"), simd.Active().Level)
		if note := saturationNote(prior0, cfg); note != "" {
			printNote(stderr, "nidim train", note)
		} else if note := tailNote(prior0, cfg, explicit["self-weight"]); note != "" {
			printNote(stderr, "nidim train", note)
		}
		if note := dimNote("--dim", cfg.Dim, train.X.Shape[1], fmt.Sprintf("Use --dim %d or less", train.X.Shape[1])); note != "" {
			printNote(stderr, "nidim train", note)
		}
	}
	startEpoch, startStep := model.Epoch, model.Step

	// A checkpoint that cannot be saved, or training that diverged, stops
	// the run at once instead of after the remaining epochs.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bar := newProgressBar(stderr)
	bar.noNoise = cfg.NoiseViews == 0
	var stopErr error
	lastSaved := startEpoch
	m, hist, err := dim.Continue(ctx, model, train, func(p dim.Progress) {
		if stopErr != nil {
			return
		}
		if !p.EpochDone {
			bar.update(p)
			if trainStepHook != nil {
				trainStepHook(p, cancel)
			}
			return
		}
		bar.clear()
		fmt.Fprintln(stderr, epochLine(p, cfg.NoiseViews))
		bad := nonFiniteEpoch(p)
		if bad == "" {
			bad = nonFiniteStatistics(p.Model)
		}
		if bad != "" {
			// Saving would replace the last good checkpoint with a broken
			// model.
			stopErr = fmt.Errorf("training diverged in epoch %d (%s); %s; %s", p.Epoch, bad, keptText(*out, lastSaved), divergenceRemedy(cfg, train.Shape))
			cancel()
			return
		}
		if err := p.Model.Save(*out); err != nil {
			// Saves replace --out atomically, so a failed one leaves the
			// last checkpoint that this run or the resumed one wrote.
			next := fmt.Sprintf("%s was not written; fix the cause and train again", *out)
			switch {
			case lastSaved > startEpoch:
				next = fmt.Sprintf("%s still contains the model after %s; fix the cause and continue with%s",
					*out, plural(lastSaved, "complete epoch", "complete epochs"), commandLine(fmt.Sprintf("nidim train --resume %s --epochs %d%s", shellQuote(*out), cfg.Epochs, df.args())))
			case *resume != "":
				next = fmt.Sprintf("%s still contains the model after %s; fix the cause and continue with%s",
					*resume, trainedText(startEpoch, startStep, stepsPerEpoch), commandLine(fmt.Sprintf("nidim train --resume %s --epochs %d%s", shellQuote(*resume), cfg.Epochs, df.args())))
			}
			stopErr = fmt.Errorf("saving the checkpoint after epoch %d failed, so training stopped: %w; %s", p.Epoch, err, next)
			cancel()
			return
		}
		lastSaved = p.Epoch
	})
	bar.clear()
	if stopErr != nil {
		return fail(exitFail, "%v", stopErr)
	}
	if errors.Is(err, context.Canceled) {
		if m.Epoch == 0 && *resume == "" {
			// A new run stopped in its first epoch would replace what
			// --out holds, perhaps a trained model, with one that has not
			// finished an epoch.
			return fail(exitFail, "interrupted during epoch 1, before anything was saved; %s was not written.", *out)
		}
		if m.Epoch == startEpoch && m.Step == startStep {
			return fail(exitFail, "interrupted during epoch %d; %s still contains the model after %s; continue with%s", startEpoch+1, *resume, trainedText(startEpoch, startStep, stepsPerEpoch),
				commandLine(fmt.Sprintf("nidim train --resume %s --epochs %d%s", shellQuote(*resume), cfg.Epochs, df.args())))
		}
		// The checkpoint stores the step within the epoch and Adam's
		// state, so the resumed run continues exactly where this one
		// stopped.
		if err := m.Save(*out); err != nil {
			return fail(exitFail, "interrupted, and saving the checkpoint failed: %v", err)
		}
		return fail(exitFail, "interrupted; saved the model after %s to %s; continue with%s", trainedText(m.Epoch, m.Step, stepsPerEpoch), *out,
			commandLine(fmt.Sprintf("nidim train --resume %s --epochs %d%s", shellQuote(*out), cfg.Epochs, df.args())))
	}
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	if bad := nonFiniteStatistics(m); bad != "" {
		return fail(exitFail, "the normalization statistics recomputed after training are not finite (%s); %s; %s", bad, keptText(*out, lastSaved), divergenceRemedy(cfg, train.Shape))
	}
	if err := m.Save(*out); err != nil {
		return fail(exitFail, "saving the checkpoint failed: %v", err)
	}
	if !*asJSON {
		fmt.Fprintf(stderr, "saved the model to %s\n", *out)
	}

	res := trainResult{
		Recipe: recipeUsed, Prior: cfg.Prior, Dim: cfg.Dim, Sigma: noiseLevelOrZero(cfg.Sigma, cfg.NoiseViews), Eps: uniformEps(cfg.Prior, noiseLevelOrZero(cfg.Eps, cfg.NoiseViews)), NoiseViews: cfg.NoiseViews,
		Epochs: cfg.Epochs, Batch: cfg.Batch, Encoder: cfg.Encoder, Critic: string(cfg.Critic), Loss: string(cfg.Loss),
		Capacity:  channelValue(prior0.Capacity(cfg.Dim), cfg.NoiseViews),
		TwoViewMI: channelValue(prior0.TwoViewMI(cfg.Dim), cfg.NoiseViews),
		PriorMI:   channelValue(prior0.PriorMI(cfg.Dim), cfg.NoiseViews),
		LnBatch:   math.Log(float64(cfg.Batch)),
		Tau:       math.Exp(m.LogTau), Model: *out, History: hist.Epochs, Standardized: cfg.Standardize, Classes: m.Classes,
	}
	// From the trained model: its thread count is the number of cores
	// that --threads 0 stood for, and its batch the one training used.
	if res.Config, err = fullConfigJSON(m.Config); err != nil {
		return fail(exitFail, "encode JSON: %v", err)
	}
	if p, _ := dim.ParsePenalty(cfg.Penalty); p != "" {
		weight := cfg.PenaltyWeight
		res.Penalty, res.PenaltyWeight, res.PenaltyDirections = p, &weight, cfg.PenaltyDirections
	}
	var samples, seconds float64
	for _, e := range hist.Epochs {
		samples += e.SamplesPerSec * e.Seconds
		seconds += e.Seconds
	}
	if seconds > 0 {
		res.ImagesPerSec = samples / seconds
	}
	if n := len(hist.Epochs); n > 0 {
		res.TrainMI = hist.Epochs[n-1].MI
	}
	if *noEval {
		res.MIEstimate = res.TrainMI
		return writeTrainResult(res, nil, stdout, stderr, *asJSON)
	}

	// The model is saved: from here Ctrl-C ends the program at once, as
	// users expect, instead of being caught and ignored until the
	// evaluation finishes. It prints how to run the evaluation later and
	// leaves stdout empty, because the results are written only after the
	// evaluation, so --json never prints part of its object.
	stop()
	evalCommand := "nidim eval " + shellQuote(*out) + df.args()
	if explicit["knn"] {
		evalCommand += fmt.Sprintf(" --knn %d", *knnK)
	}
	if explicit["knn-metric"] {
		evalCommand += " --knn-metric " + shellQuote(*knnMetric)
	}
	release := exitOnSignalUntil(stderr, func(outcome string) string {
		return fmt.Sprintf("nidim train: %s during the evaluation; the model was saved to %s, and %s runs the evaluation.", outcome, *out, evalCommand)
	})
	// Training's buffers are garbage now: the objective alone holds 268 MB
	// at batch 4096. Returning them to the system before the evaluation
	// lowered the peak of a two-epoch default run from 1.19 to 0.80 GB.
	debug.FreeOSMemory()
	beforeEvaluate()
	evalStart := time.Now()
	ev, err := evaluate(m, train, test, *knnK, dim.Metric(*knnMetric), stderr, !*asJSON)
	release()
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	ev.noLabelsFix = noLabelsFix(df)
	res.EvalSeconds = time.Since(evalStart).Seconds()
	res.MIEstimate = ev.MI
	res.MIBatch = ev.MIBatch
	if res.Capacity != nil {
		gap := *res.Capacity - ev.MI
		res.CapacityGap = &gap
	}
	res.ProbeAccuracy = ev.Probe
	res.KNNAccuracy = ev.KNN
	res.Report = ev.Report
	return writeTrainResult(res, ev, stdout, stderr, *asJSON)
}

// saturationNote returns a note when the mutual information that the
// noisy channel allows exceeds ln B, the most an InfoNCE estimate over a
// batch of B can reach, and "" otherwise. The capacity gap is then at
// least the difference and certifies nothing about the match. More noise
// is no cure: on MNIST at d = 16 the match recipe's tests rejected more
// at a sigma that brings the capacity under ln B than at sigma 0.5
// (docs/sweep.md).
func saturationNote(p dim.Prior, cfg dim.Config) string {
	if p == nil || cfg.NoiseViews == 0 {
		return ""
	}
	limit, bound := p.Capacity(cfg.Dim), "capacity"
	if cfg.NoiseViews == 2 {
		limit, bound = p.TwoViewMI(cfg.Dim), "two-view MI"
	}
	lnB := math.Log(float64(cfg.Batch))
	if limit <= lnB {
		return ""
	}
	return fmt.Sprintf("the channel's %s (%.2f nats) exceeds ln B = %.2f nats, the most the InfoNCE estimate can reach, so the estimate cannot approach the %s, and the capacity gap no longer bounds how far the embeddings are from the prior. Judge the match by the report's tests; docs/sweep.md in the nidim repository (\"Larger dimensions\") gives measured runs.",
		bound, limit, lnB, bound)
}

// tailRows is the count of batch rows within the noise's reach of an
// embedding at the center below which tailNote prints its note. The
// shapebias command found the loss favoring light tails at 6.6 rows
// (d = 8) and about neutral at 33 (d = 6) and 164 (d = 4), with sigma 0.5
// and batch 4096.
const tailRows = 20

// tailNote returns a note when the match recipe's loss runs with so few
// batch rows in reach that it favors lighter tails than the prior's, and
// "" otherwise or when the self-weight was set on the command line. The
// count of rows in reach at the center is B (sigma^2 / (1 + sigma^2))^(d/2)
// for N(0, I) embeddings and the critic at tau = sigma^2.
func tailNote(p dim.Prior, cfg dim.Config, selfWeightSet bool) string {
	if p == nil || p.Name() != "gaussian" || selfWeightSet || cfg.Loss != dim.BoundInfoNCERows ||
		cfg.Critic != dim.CriticEuclidean || cfg.NoiseViews != 1 || cfg.LearnTau || cfg.Tau != 0 {
		return ""
	}
	v := cfg.Sigma * cfg.Sigma
	rows := float64(cfg.Batch) * math.Pow(v/(1+v), float64(cfg.Dim)/2)
	if rows >= tailRows {
		return ""
	}
	return fmt.Sprintf("at d = %d, sigma %g and batch %d only about %.2g batch rows lie within the noise's reach of an embedding at the center, so the loss favors lighter tails than N(0, 1). On MNIST at d = 8 (6.6 rows) that made 33 to 45 of 96 tests reject, and --self-weight 0.05 cut it to 8 to 10. It is not the default because it passed fewer seeds at d = 4. docs/sweep.md in the nidim repository (\"The objective prefers light tails at d = 8\") gives the runs.",
		cfg.Dim, cfg.Sigma, cfg.Batch, rows)
}

// dimNote returns a note when an embedding of dimension d exceeds the
// number of values per sample, and "" otherwise. The encoder is a
// Lipschitz function of its input, so its output fills at most as many
// dimensions as the input has values and cannot have the prior's density.
// name is the setting in the note, such as "--dim", and fix the advice
// that ends it, such as "use --dim 20 or less".
func dimNote(name string, d, values int, fix string) string {
	if d <= values {
		return ""
	}
	return fmt.Sprintf("%s %d exceeds the %s of each sample; the embeddings, a function of those values, fill at most %d of the %d dimensions, so they cannot follow the prior. %s.",
		name, d, plural(values, "value", "values"), values, d, fix)
}

// epochLine is the log line of a finished epoch. Without channel noise
// (noiseViews 0) the capacity and two-view MI that the prior reports for
// its noise level do not bound anything, so the line states that instead.
// The line of an epoch that --resume continued after step N names N,
// because its values cover only the later steps, as resumed_at_step marks
// it in the --json history.
func epochLine(p dim.Progress, noiseViews int) string {
	bound := capacityText(p.Capacity, p.TwoViewMI, noiseViews) + fmt.Sprintf(", ln B %.3f", p.LnBatch)
	if noiseViews == 0 {
		bound = fmt.Sprintf("no channel noise, so no capacity bound; ln B %.3f", p.LnBatch)
	}
	resumed := ""
	if p.ResumedAtStep > 0 {
		resumed = fmt.Sprintf(" (resumed after step %d of %d, so the values cover steps %d to %d)", p.ResumedAtStep, p.Steps, p.ResumedAtStep+1, p.Steps)
	}
	return fmt.Sprintf("epoch %d/%d%s: loss %.4f, MI %.3f nats (%s), tau %.4g, %.1f s, %.0f samples/s",
		p.Epoch, p.Epochs, resumed, p.Loss, p.MI, bound, p.Tau, p.EpochTime.Seconds(), p.SamplesPerSec)
}

// capacityText states the capacity bound, and with noise on both views
// also the mutual information between the two noisy views of one point,
// which is what their InfoNCE estimate can reach. With noise on one view
// the estimate is bounded by the capacity itself, and without channel
// noise by nothing: the prior's capacity at its noise level bounds nothing.
func capacityText(capacity, twoView float64, noiseViews int) string {
	switch noiseViews {
	case 0:
		return "no channel noise, so no capacity bound"
	case 1:
		return fmt.Sprintf("capacity %.3f", capacity)
	}
	return fmt.Sprintf("capacity %.3f, two-view %.3f", capacity, twoView)
}

// nonFiniteEpoch names the first of the epoch's loss, MI estimate and
// temperature that is NaN or infinite, as "tau = +Inf", or returns "".
func nonFiniteEpoch(p dim.Progress) string {
	for _, v := range []struct {
		name  string
		value float64
	}{{"loss", p.Loss}, {"MI", p.MI}, {"tau", p.Tau}} {
		if math.IsNaN(v.value) || math.IsInf(v.value, 0) {
			return fmt.Sprintf("%s = %v", v.name, v.value)
		}
	}
	return ""
}

// nonFiniteStatistics describes the first running statistic of m's output
// normalization that is not finite, or returns "" when all are finite.
// The statistics are float32, so encoder outputs whose variance exceeds
// about 3.4e38 store +Inf, even while the loss stays finite, and the model
// then embeds every input as 0. The baseline without normalization does
// not use them.
func nonFiniteStatistics(m *dim.Model) string {
	norm := m.Encoder.Norm
	if norm == nil || norm.Off {
		return ""
	}
	for _, s := range []struct {
		name   string
		values []float32
	}{{"running mean", norm.RunningMean.Value.Data}, {"running variance", norm.RunningVar.Value.Data}} {
		for k, v := range s.values {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Sprintf("the normalization's %s of component %d is %v, so the model would embed every input as 0", s.name, k, f)
			}
		}
	}
	return ""
}

// keptText returns what --out contains after a run that stopped on a
// broken model: the checkpoint of the last saved epoch, or nothing from
// this run.
func keptText(out string, lastSaved int) string {
	if lastSaved > 0 {
		return fmt.Sprintf("%s keeps the model after %s", out, plural(lastSaved, "epoch", "epochs"))
	}
	return fmt.Sprintf("%s was not written", out)
}

// divergenceRemedy returns the advice to train again with a lower learning
// rate and, for feature vectors that are not standardized, with
// standardization, because features of large magnitude make the encoder
// outputs large whatever the learning rate.
func divergenceRemedy(cfg dim.Config, shape []int) string {
	if len(shape) == 1 && !cfg.Standardize {
		return fmt.Sprintf("train again with a lower learning rate than --lr %g, or without --standardize=false if the features are large", cfg.LR)
	}
	return fmt.Sprintf("train again with a lower learning rate than --lr %g", cfg.LR)
}

// checkSelfWeight rejects a --self-weight given on the command line with a
// --loss that has no use for it: only infonce-rows weighs the matching
// pair, and every other loss would ignore the value without a word. An
// unknown loss is left to the check that names the valid ones.
func checkSelfWeight(explicit map[string]bool, loss string) error {
	if b, err := dim.ParseBound(loss); err == nil && explicit["self-weight"] && b != dim.BoundInfoNCERows {
		return fmt.Errorf("--self-weight applies only to --loss %s, but the loss is %s; drop --self-weight or pass --loss %s", dim.BoundInfoNCERows, loss, dim.BoundInfoNCERows)
	}
	return nil
}

// roundingNotes returns the notes for a run that resumes the checkpoint
// path, of the model m, with other rounding than the run that wrote it: an
// explicit --threads count (threadsSet) other than m's, or other SIMD
// kernels. A checkpoint that does not name its SIMD level gets no note.
// Without --threads the run keeps m's count, and a note reports it when this
// machine has another number of cores.
func roundingNotes(path string, m *dim.Model, threadsSet bool, threads int) []string {
	const differ = "so the result will differ from an uninterrupted run's"
	var notes []string
	cores := runtime.GOMAXPROCS(0)
	resolved := threads
	if resolved == 0 {
		resolved = cores
	}
	if threadsSet && resolved != m.Config.Threads {
		notes = append(notes, fmt.Sprintf("%s was trained with %s, but this run uses %s, which changes the rounding, %s; drop --threads to keep the checkpoint's count",
			path, threadsText(m.Config.Threads), threadsText(threads), differ))
	}
	if !threadsSet && m.Config.Threads > 0 && m.Config.Threads != cores {
		notes = append(notes, fmt.Sprintf("%s was trained with %s, and this run keeps that count so that it continues exactly; --threads 0 would use all %d cores here but round differently",
			path, threadsText(m.Config.Threads), cores))
	}
	active := simd.Active().Level
	if m.SIMD == "" || m.SIMD == active.String() {
		return notes
	}
	fix := fmt.Sprintf("this CPU or build cannot run %s", m.SIMD)
	if level, err := simd.ParseLevel(m.SIMD); err == nil {
		if _, err := simd.Lookup(level); err == nil {
			fix = fmt.Sprintf("set %s=%s to continue it exactly", simd.EnvVar, level)
		}
	}
	return append(notes, fmt.Sprintf("%s was trained with the %s SIMD kernels, but this run uses %s, which round differently, %s; %s",
		path, m.SIMD, active, differ, fix))
}

// threadsText returns the --threads flag with value n, as "--threads 2".
func threadsText(n int) string {
	if n == 0 {
		return "--threads 0 (all cores)"
	}
	return fmt.Sprintf("--threads %d", n)
}

// trainedText describes the training that a checkpoint contains: epochs
// complete epochs and step of the steps of the next one, as "2 complete
// epochs and 5 of 9 steps of epoch 3".
func trainedText(epochs, step, steps int) string {
	done := plural(epochs, "complete epoch", "complete epochs")
	switch {
	case step == 0:
		return done
	case epochs == 0:
		return fmt.Sprintf("%s of epoch 1", stepsText(step, steps))
	}
	return fmt.Sprintf("%s and %s of epoch %d", done, stepsText(step, steps), epochs+1)
}

// isUnfinished reports whether the run m stopped before its target epoch
// or within an epoch, which nidim train --resume continues.
func isUnfinished(m *dim.RunState) bool {
	return m.Unfinished()
}

// unfinishedText describes how far the run m got: "1 epoch" or
// "3 epochs and 7 steps".
func unfinishedText(m *dim.RunState) string {
	at := plural(m.Epoch, "epoch", "epochs")
	if m.Step > 0 {
		at += " and " + plural(m.Step, "step", "steps")
	}
	return at
}

// stepsText returns "step 1 of 9" or "5 of 9 steps".
func stepsText(step, steps int) string {
	if step == 1 {
		return fmt.Sprintf("step 1 of %d", steps)
	}
	return fmt.Sprintf("%d of %d steps", step, steps)
}

// trainStepHook, when set, runs after every training step with a function
// that interrupts training as Ctrl-C does; tests use it.
var trainStepHook func(p dim.Progress, interrupt func())

// beforeEvaluate runs between training and the evaluation of nidim train;
// a test replaces it to interrupt the program at that point.
var beforeEvaluate = func() {}

// checkMetric returns an error unless name is a kNN metric.
func checkMetric(name string) error {
	if name != string(dim.MetricEuclidean) && name != string(dim.MetricCosine) {
		return fmt.Errorf("invalid --knn-metric %q; use euclidean or cosine", name)
	}
	return nil
}

func levelName(prior string) string {
	if prior == "uniform" {
		return "eps"
	}
	return "sigma"
}

// otherLevel names the noise-level flag that prior does not use.
func otherLevel(prior string) string {
	if prior == "uniform" {
		return "sigma"
	}
	return "eps"
}

// flagWording turns the library's field names in err, an error of
// dim.Config.Validate or dim.NewModel, into flag names.
func flagWording(err error) string {
	msg := strings.TrimPrefix(err.Error(), "dim: ")
	// "epochs" alone is too common a word to replace anywhere, but
	// Validate's message starts with it.
	if rest, ok := strings.CutPrefix(msg, "epochs "); ok {
		msg = "--epochs " + rest
	}
	r := strings.NewReplacer("noise views", "--noise-views", "learning-rate schedule", "--schedule",
		"maximum shift", "--shift", "maximum rotation", "--rotate", "maximum zoom change", "--zoom",
		"pixel noise", "--pixel-noise", "feature noise", "--feature-noise", "masking probability", "--mask", "penalty weight", "--penalty-weight", "penalty directions", "--penalty-directions",
		"embedding dimension", "--dim", "batch size", "--batch", "learning rate", "--lr", "temperature", "--tau",
		"self weight", "--self-weight", "weight decay", "--weight-decay", "thread count", "--threads", "hidden width", "--hidden")
	return r.Replace(msg)
}

// fileFlagError names the flag in err when the file that the flag gives
// does not exist, because the library's message names only the path. For
// "-" the error explains that the flag does not read standard input,
// which nidim test and plot read for that name. A file named "-" would
// not help: matrix files need an extension that names their format.
// Other errors pass through unchanged.
func fileFlagError(flagName, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) && path == stdinPath {
		return fmt.Errorf("%s - would read a file named \"-\", because only the FILE argument of nidim test and plot reads standard input; pass a file path", flagName)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s does not exist; check the path", flagName, path)
	}
	return err
}

// trainResult is the JSON object of "nidim train --json".
type trainResult struct {
	// Recipe is the --recipe that set the defaults, empty for a resumed
	// model.
	Recipe string  `json:"recipe,omitempty"`
	Prior  string  `json:"prior"`
	Dim    int     `json:"dim"`
	Sigma  float64 `json:"sigma"`
	// Eps is nil, and left out, for every prior but the uniform one,
	// because only the uniform channel has a noise half-width.
	Eps          *float64 `json:"eps,omitempty"`
	NoiseViews   int      `json:"noise_views"`
	Epochs       int      `json:"epochs"`
	Batch        int      `json:"batch"`
	Encoder      string   `json:"encoder"`
	Critic       string   `json:"critic"`
	Loss         string   `json:"loss"`
	ImagesPerSec float64  `json:"images_per_s"`
	// EvalSeconds is the wall time of the evaluation after training: the
	// test MI estimate, embedding both splits, the report, the probe and
	// the neighbor search.
	EvalSeconds float64 `json:"eval_seconds,omitempty"`
	MIEstimate  float64 `json:"mi_estimate"`
	MIBatch     int     `json:"mi_batch,omitempty"`
	TrainMI     float64 `json:"train_mi_estimate"`
	// Capacity, TwoViewMI and PriorMI are those of the channel, nil (null
	// in the JSON) without channel noise, where nothing bounds the MI.
	Capacity      *float64         `json:"capacity"`
	TwoViewMI     *float64         `json:"two_view_mi"`
	PriorMI       *float64         `json:"prior_mi"`
	CapacityGap   *float64         `json:"capacity_gap"` // nil without the evaluation or without channel noise
	LnBatch       float64          `json:"ln_batch"`
	Tau           float64          `json:"tau"`
	ProbeAccuracy *float64         `json:"linear_probe_accuracy"`
	KNNAccuracy   *float64         `json:"knn_accuracy"`
	Report        *stats.Report    `json:"report"`
	Model         string           `json:"model"`
	History       []dim.EpochStats `json:"history"`

	// Standardized reports whether the encoder's inputs are standardized
	// features: feature vectors without --standardize=false, or a resumed
	// checkpoint trained so.
	Standardized bool `json:"standardized"`
	// Classes are the class directory names of a directory of images in
	// label order, left out for other data.
	Classes []string `json:"classes,omitempty"`

	// The penalty fields are left out for a run without --penalty.
	// PenaltyWeight is a pointer so that a weight of 0 is still written.
	Penalty           string   `json:"penalty,omitempty"`
	PenaltyWeight     *float64 `json:"penalty_weight,omitempty"`
	PenaltyDirections int      `json:"penalty_directions,omitempty"`

	// Config is every setting of the trained model, as fullConfigJSON
	// writes it, so that a script can rerun the training or recover its
	// split.
	Config json.RawMessage `json:"config"`
}

func writeTrainResult(res trainResult, ev *evalResult, stdout, stderr io.Writer, asJSON bool) int {
	if asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "nidim train: encode JSON: %v\n", err)
			return exitFail
		}
		if _, err := fmt.Fprintln(stdout, string(b)); err != nil {
			fmt.Fprintf(stderr, "nidim train: writing the JSON result failed: %v.\n", err)
			return exitFail
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "training speed: %.0f samples/s\n", res.ImagesPerSec)
	if ev == nil {
		if res.NoiseViews == 0 {
			fmt.Fprintf(stdout, "MI estimate (last training epoch): %.3f nats; no channel noise, so no capacity bound; ln B %.3f\n", res.TrainMI, res.LnBatch)
			return exitOK
		}
		fmt.Fprintf(stdout, "MI estimate (last training epoch): %.3f nats; %s, ln B %.3f\n", res.TrainMI, capacityText(*res.Capacity, *res.TwoViewMI, res.NoiseViews), res.LnBatch)
		return exitOK
	}
	// The text of a run without channel noise states that there is no
	// capacity bound, and no capacity is used for it.
	capacity, twoView := math.NaN(), math.NaN()
	if res.NoiseViews > 0 {
		capacity, twoView = *res.Capacity, *res.TwoViewMI
	}
	if err := ev.write(stdout, capacityText(capacity, twoView, res.NoiseViews), capacity, res.LnBatch); err != nil {
		fmt.Fprintf(stderr, "nidim train: %v\n", err)
		return exitFail
	}
	return exitOK
}

// evalResult holds the downstream evaluation of a model.
type evalResult struct {
	MI float64 // InfoNCE estimate on the test split, nats
	// MIBatch is the batch size of the estimate: the training batch, or
	// the whole test split when that is smaller.
	MIBatch int
	Probe   *float64
	KNN     *float64
	K       int
	Metric  dim.Metric
	// Prior and PriorMI name the prior and give I(U; U+Z) for U drawn
	// from it, in nats.
	Prior   string
	PriorMI float64
	// NoiseViews is the model's number of views with channel noise. At 0
	// there is no capacity, so no capacity gap.
	NoiseViews int
	Report     *stats.Report
	// zTrain and zTest are the embeddings of the two splits, which nidim
	// eval reuses for the kNN outlier score.
	zTrain, zTest *tensor.Tensor
	// noLabelsFix is the advice on giving the data labels, for the line
	// that the probe and kNN were skipped, or "" when no flag gives them.
	noLabelsFix string
}

// noLabelsFix returns the advice that the output without labels gives for
// the data of df: --labels for a matrix file, and "" for the built-in
// MNIST and directories, whose labels come from their own files.
func noLabelsFix(df dataFlags) string {
	if df.data == "" || isDir(df.data) {
		return ""
	}
	return "; pass --labels FILE, one class number per row of --data, to measure them"
}

// evaluate embeds both splits without noise and computes the test MI
// estimate, the prior-matching report of the test embeddings, and, when
// labels exist, the linear-probe and kNN accuracies.
func evaluate(m *dim.Model, train, test *dim.Dataset, k int, metric dim.Metric, log io.Writer, verbose bool) (*evalResult, error) {
	note := func(format string, a ...any) {
		if verbose {
			fmt.Fprintf(log, format+"\n", a...)
		}
	}
	prior, err := m.Config.NewPrior()
	if err != nil {
		return nil, err
	}
	res := &evalResult{K: k, Metric: metric, Prior: prior.Name(), PriorMI: prior.PriorMI(m.Config.Dim), NoiseViews: m.Config.NoiseViews}
	// A test split smaller than the training batch (150 rows of a
	// 1500-row file) is estimated as one batch of its own size.
	if res.MI, res.MIBatch, err = dim.EstimateMIUpToBatch(m, test, 1234); err != nil {
		return nil, err
	}

	note("embedding %d training and %d test samples", train.X.Shape[0], test.X.Shape[0])
	zTrain, err := m.Embed(train.X, dim.EmbedChunkRows)
	if err != nil {
		return nil, err
	}
	res.zTrain = zTrain
	zTest, err := m.Embed(test.X, dim.EmbedChunkRows)
	if err != nil {
		return nil, err
	}
	res.zTest = zTest

	// The probe and the neighbor search run beside the report: the
	// probe is serial and the report leaves a core idle in its serial
	// parts, so together they finish sooner. Each is deterministic.
	var wg sync.WaitGroup
	var labelErr error
	if train.Labels != nil && test.Labels != nil {
		note("training the linear probe and classifying by %d nearest neighbors", k)
		wg.Go(func() {
			var probe, knn float64
			probe, knn, labelErr = dim.ProbeAndKNN(zTrain, train.Labels, zTest, test.Labels, k, metric)
			res.Probe, res.KNN = &probe, &knn
		})
	}

	note("running the prior-matching tests")
	mat := stats.Matrix{N: zTest.Shape[0], D: zTest.Shape[1], Data: make([]float64, zTest.Len())}
	for i, v := range zTest.Data {
		mat.Data[i] = float64(v)
	}
	// A fixed count keeps the evaluation shorter than an epoch when the
	// energy tests reject; nidim test draws sequential p-values. The
	// replicates of jarque-bera and dagostino-k2 cost O(B n), so they get
	// the count that lets Holm reject on them alone.
	opts := stats.ReportOptions{Prior: m.Config.Prior, Seed: 1, Replicates: stats.QuickReplicates, HolmMomentReplicates: true}
	switch {
	case m.Config.Prior != "uniform":
	case m.Config.NoiseViews > 0:
		opts.Eps = m.Config.Eps
	default:
		// Without channel noise the embeddings have no lattice of spacing
		// 2·eps to look for, so the grid test is left out, not skipped.
		opts.Tests = slices.DeleteFunc(stats.ReportTestNames("uniform"), func(name string) bool { return name == "grid" })
	}
	res.Report, err = stats.BuildReport(mat, opts)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if labelErr != nil {
		return nil, labelErr
	}
	return res, nil
}

// write prints the evaluation as text; bounds is the capacityText of the
// model.
func (e *evalResult) write(w io.Writer, bounds string, capacity, lnB float64) error {
	if b := float64(e.MIBatch); e.MIBatch > 0 && math.Log(b) < lnB {
		fmt.Fprintf(w, "MI estimate on the test split: %.3f nats from one batch of all %d test rows, so at most ln %d = %.3f (%s, training ln B %.3f)\n",
			e.MI, e.MIBatch, e.MIBatch, math.Log(b), bounds, lnB)
	} else {
		fmt.Fprintf(w, "MI estimate on the test split: %.3f nats (%s, ln B %.3f)\n", e.MI, bounds, lnB)
	}
	// InfoNCE on a batch of B rows cannot exceed ln B, so when ln B is
	// below the capacity, part of the gap stays however well the
	// embeddings match. A small test split makes that part large.
	capped := ""
	if b := float64(e.MIBatch); e.MIBatch > 0 && math.Log(b) < capacity {
		capped = fmt.Sprintf("; at least %.3f nats of it remain whatever the embeddings, because a batch of %d rows caps the estimate at ln %d = %.3f", capacity-math.Log(b), e.MIBatch, e.MIBatch, math.Log(b))
	}
	switch {
	case e.NoiseViews == 0:
		fmt.Fprintln(w, "capacity gap: none, because the model was trained without channel noise")
	case e.Prior == "gaussian":
		fmt.Fprintf(w, "capacity gap: %.3f nats, an upper bound on KL(noisy embedding || N(0, (1+sigma^2) I)) if the estimate is a valid lower bound%s\n", capacity-e.MI, capped)
	default:
		fmt.Fprintf(w, "capacity gap: %.3f nats (the uniform prior itself reaches %.3f nats)%s\n", capacity-e.MI, e.PriorMI, capped)
	}
	if e.Probe != nil {
		fmt.Fprintf(w, "linear probe accuracy: %.4f\n", *e.Probe)
		fmt.Fprintf(w, "%d-nearest-neighbor accuracy (%s): %.4f\n", e.K, e.Metric, *e.KNN)
	} else {
		fmt.Fprintf(w, "no labels: linear probe and kNN accuracy skipped%s\n", e.noLabelsFix)
	}
	fmt.Fprintln(w)
	return e.Report.WriteText(w)
}

// layoutNote is a note on the layout of a matrix file --data. Its text
// is "" when none applies. It notes a first row of column numbers (see
// columnNumbersNote), a first column of row numbers (see
// indexColumnNote), or images read as vectors (see imageArrayNote and
// flatImageNote).
type layoutNote struct {
	text string
	// images is set when text suggests --image-shape. Pixels read as
	// feature vectors often trip the notes on constant and narrow
	// columns, whose advice on standardization would contradict it.
	images bool
	// columns are the notes on single columns of the file: values that
	// float32 rounds coarsely (see float32StepNote) and a column of
	// labels (see labelColumnNote).
	columns []string
	// rounded lists the columns, counting from 0, of the note of
	// float32StepNote. The note on constant columns leaves them out,
	// because they vary in the file.
	rounded []int
}

// print writes the notes of n to w, each led by prefix, such as
// "nidim train".
func (n layoutNote) print(w io.Writer, prefix string) {
	printNote(w, prefix, n.text)
	for _, note := range n.columns {
		printNote(w, prefix, note)
	}
}

// loadData returns the training and test splits selected by df: the
// built-in MNIST, an MNIST-style directory, or a matrix file split by
// seed. The note on the file's layout can come with an error that the
// layout causes, such as a --labels count that does not match, so
// callers print it first.
func loadData(df dataFlags, seed uint64) (train, test *dim.Dataset, note layoutNote, err error) {
	if df.data == "" && !mnist.Embedded {
		files := fmt.Sprintf("the four MNIST IDX files (%s, %s, %s and %s, each plain or gzipped)",
			mnist.TrainImages, mnist.TrainLabels, mnist.TestImages, mnist.TestLabels)
		return nil, nil, layoutNote{}, noBuiltinMNISTError(files)
	}
	if df.data != "" && isImageDir(df.data) {
		return loadImageData(df, seed)
	}
	if df.imageSize != "" {
		return nil, nil, layoutNote{}, fmt.Errorf("%s %s applies to a directory of images, but --data %s is not one; drop %s",
			imageSizeFlag, shellQuote(df.imageSize), dataName(df.data), imageSizeFlag)
	}
	// squeeze, the default, crops nothing, so it is accepted for any data:
	// the config of train --json lists it for every run, and passing that
	// config back as flags must work.
	if df.imageFit != "" && df.imageFit != squeezeFit {
		return nil, nil, layoutNote{}, fmt.Errorf("%s %s applies to a directory of images, but --data %s is not one; drop %s",
			imageFitFlag, shellQuote(df.imageFit), dataName(df.data), imageFitFlag)
	}
	if df.data == "" || isDir(df.data) {
		if df.labels != "" {
			return nil, nil, layoutNote{}, matrixOnlyError("--labels", df.labels, df.data)
		}
		if df.imageShape != "" {
			return nil, nil, layoutNote{}, matrixOnlyError("--image-shape", df.imageShape, df.data)
		}
		if df.testFraction != defaultTestFraction {
			return nil, nil, layoutNote{}, fmt.Errorf("--test-fraction applies to a matrix file --data; an MNIST-style data set has its own test split")
		}
		if df.data != "" {
			if err := checkIDXDir("--data", df.data); err != nil {
				return nil, nil, layoutNote{}, err
			}
		}
		var tr, te *mnist.Set
		if df.data == "" {
			tr, te, err = mnist.Load()
		} else {
			tr, te, err = mnist.LoadDir(df.data)
		}
		if err != nil {
			return nil, nil, layoutNote{}, err
		}
		shape := []int{1, tr.Height, tr.Width}
		return &dim.Dataset{X: tr.Images, Shape: shape, Labels: tr.Labels},
			&dim.Dataset{X: te.Images, Shape: shape, Labels: te.Labels}, layoutNote{}, nil
	}
	return loadMatrixData(df, seed)
}

// matrixOnlyError returns the error for a flag that applies only to a
// matrix file --data, given with value, when --data is data: empty for the
// built-in MNIST, or an MNIST-style directory.
func matrixOnlyError(flagName, value, data string) error {
	if data != "" && isImageDir(data) {
		return fmt.Errorf("%s %s applies to a matrix file --data, but --data %s is a directory of images, which takes its labels from its class subdirectories and its image shape from the files; drop %s",
			flagName, shellQuote(value), shellQuote(data), flagName)
	}
	if data == "" {
		return fmt.Errorf("%s %s applies to a matrix file --data, but no --data was given, so nidim would read the built-in MNIST, which has its own labels and image shape; pass --data FILE with one sample per row, or drop %s",
			flagName, shellQuote(value), flagName)
	}
	return fmt.Errorf("%s %s applies to a matrix file --data, but --data %s is an MNIST-style directory, whose IDX files contain the labels and the image shape; drop %s",
		flagName, shellQuote(value), shellQuote(data), flagName)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// smallDataRemedy returns the advice of the small-data batch note for n
// training rows. The batch it suggests is 256, or on fewer than 1,024 rows
// the largest power of two that gives at least four steps per epoch, so
// that it is never itself larger than the training split. Below 8 rows no
// batch of 2 or more gives four steps, and only more epochs are suggested.
func smallDataRemedy(n int) string {
	batch := 256
	for batch > 1 && 4*batch > n {
		batch /= 2
	}
	if batch < 2 {
		return "more --epochs"
	}
	return fmt.Sprintf("a smaller --batch (such as %d) or more --epochs", batch)
}

// evaluationNotes returns the notes on what the split of a matrix file
// does to the evaluation of its test split: test rows that also occur in
// the training split, and classes without training rows.
func evaluationNotes(train, test *dim.Dataset) []string {
	var notes []string
	for _, note := range []string{sharedRowsNote(train, test), classCoverageNote(train.Labels, test.Labels)} {
		if note != "" {
			notes = append(notes, note)
		}
	}
	return notes
}

// sharedRowsNote returns a note when rows of the test split also occur,
// value for value, in the training split of a matrix file, and ""
// otherwise. Small tables often contain duplicated rows, which the random
// split puts on both sides, and the probe and kNN accuracies then count
// rows that the encoder was trained on as held out.
func sharedRowsNote(train, test *dim.Dataset) string {
	cols := train.X.Shape[1]
	row := func(x *tensor.Tensor, i int) []float32 { return x.Data[i*cols : (i+1)*cols] }
	// The training rows are indexed by a hash of their values, not by
	// copies of them, which for 60,000 MNIST images would take 188 MB.
	seed := maphash.MakeSeed()
	buf := make([]byte, 0, 4*cols)
	hash := func(r []float32) uint64 {
		buf = buf[:0]
		for _, v := range r {
			if v == 0 {
				v = 0 // so that -0 and 0 hash alike
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		return maphash.Bytes(seed, buf)
	}

	byHash := make(map[uint64][]int, train.X.Shape[0])
	for i := range train.X.Shape[0] {
		h := hash(row(train.X, i))
		byHash[h] = append(byHash[h], i)
	}

	shared := 0
	n := test.X.Shape[0]
	for i := range n {
		r := row(test.X, i)
		for _, j := range byHash[hash(r)] {
			// == treats -0 and 0 as equal, as the hash does.
			if slices.Equal(r, row(train.X, j)) {
				shared++
				break
			}
		}
	}

	if shared == 0 {
		return ""
	}
	verb := "occur"
	if shared == 1 {
		verb = "occurs"
	}
	return fmt.Sprintf("%d of the %d test rows also %s in the training split, value for value, so the test report, the probe and the kNN accuracy count rows the encoder was trained on as held out; where the copies are one sample recorded twice, remove them from --data for a held-out measure",
		shared, n, verb)
}

// classCoverageNote returns a note when the labels of a matrix --data
// leave the probe and kNN accuracies without meaning or with a known
// loss: a single class, which both predict always, or classes of the test
// split without training rows, which neither can predict. It returns ""
// otherwise, and for data without labels.
func classCoverageNote(trainLabels, testLabels []int) string {
	if trainLabels == nil {
		return ""
	}

	inTrain := map[int]bool{}
	for _, l := range trainLabels {
		inTrain[l] = true
	}
	missing := map[int]int{} // test rows per class without training rows
	for _, l := range testLabels {
		if !inTrain[l] {
			missing[l]++
		}
	}

	if len(inTrain) == 1 && len(missing) == 0 {
		return fmt.Sprintf("--labels contains one class, %d, so the probe and kNN accuracies are 1 whatever the embeddings", trainLabels[0])
	}
	if len(missing) == 0 {
		return ""
	}

	classes := slices.Sorted(maps.Keys(missing))
	rows := 0
	var names []string
	for _, c := range classes {
		rows += missing[c]
		names = append(names, strconv.Itoa(c))
	}
	subject := "class " + names[0] + " has"
	if len(names) > 1 {
		subject = "classes " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " have"
	}
	return fmt.Sprintf("%s no rows in the training split, so the probe and kNN cannot predict %d of the %d test rows; the split ignores the labels, and nidim train with another --seed draws another split",
		subject, rows, len(testLabels))
}

// checkKNN returns an error when the kNN classifier of the evaluation
// cannot use k neighbors, because train, the rows it searches, has fewer.
// Data without labels skips the classifier.
func checkKNN(k int, train *dim.Dataset) error {
	if n := train.X.Shape[0]; train.Labels != nil && k > n {
		return fmt.Errorf("--knn %d is larger than the %d training rows that the kNN classifier searches; use --knn %d or less", k, n, n)
	}
	return nil
}

// noSamplesError returns the error for a matrix file at path, given with
// the flag flagName such as --data, without rows: an empty file, or a
// header line alone.
func noSamplesError(flagName, path string) error {
	return fmt.Errorf("%s %s contains no samples; pass a file with one sample per row", flagName, path)
}

// checkSamples returns an error naming the first value of values, a
// matrix of cols columns read from path, given with the flag flagName,
// that float32 cannot hold. When
// there are more, it counts them and names their first rows, so that a
// file with a few rows of missing values is fixed in one pass, not one
// row per run.
func checkSamples(flagName, path string, values []float64, cols int) error {
	first, count := -1, 0
	var rows []int // counting from 1
	for i, v := range values {
		if !(math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32) {
			continue
		}
		if first < 0 {
			first = i
		}
		count++
		if row := i/cols + 1; len(rows) == 0 || rows[len(rows)-1] != row {
			rows = append(rows, row)
		}
	}
	// A text file's header and comments shift its lines from the rows.
	firstRow := strconv.Itoa(first/cols + 1)
	if line := dataRowLine(path, first/cols+1); line > 0 && line != first/cols+1 {
		firstRow += fmt.Sprintf(" (line %d of the file)", line)
	}
	switch {
	case count == 0:
		return nil
	case count == 1:
		return fmt.Errorf("%s %s: value %v at row %s, column %d (counting from 1) is not a finite float32; remove or replace it", flagName, path, values[first], firstRow, first%cols+1)
	}
	const shown = 5
	names := make([]string, 0, shown)
	for _, row := range rows[:min(len(rows), shown)] {
		names = append(names, strconv.Itoa(row))
	}
	where := "row " + names[0]
	switch {
	case len(rows) > shown:
		where = fmt.Sprintf("%d rows: %s and %d more", len(rows), strings.Join(names, ", "), len(rows)-shown)
	case len(rows) > 1:
		where = "rows " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return fmt.Errorf("%s %s: %d values are not finite float32 numbers, in %s (counting from 1); the first is %v, in column %d of row %s; remove or replace them, or drop those rows",
		flagName, path, count, where, values[first], first%cols+1, firstRow)
}

// imageArrayNote returns a note when shape, that of the array in source,
// such as "--data x.npy", has three or four dimensions, and "" otherwise.
// nidim reads such an array as flat feature vectors unless --image-shape
// makes each sample an image. The note gives the --image-shape of the array.
// For channels last, as (N, H, W, C) with C of 3 or 4 and H above 4, it
// gives the transpose that nidim's channels-first layout needs first. A
// single channel last, (N, H, W, 1), has the values of (N, 1, H, W) in the
// same order, so it needs no transpose. Samples smaller than the cnn
// encoder's minimum image, such as (N, 100, 3) for sequences of three
// features, get no note, because the advice would fail. The note ends
// with advice, what happens to data that are vectors after all.
func imageArrayNote(source string, shape []int, advice string) string {
	if len(shape) != 3 && len(shape) != 4 {
		return ""
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	rows, cols := tensor.MatrixSize(shape)
	read := fmt.Sprintf("%s holds an array of shape %s, which nidim reads as %s of %d values each, with the vector views",
		source, formatShape(shape), plural(rows, "feature vector", "feature vectors"), cols)
	// The image's height and width, and the --image-shape of a channels
	// first array.
	height, width := shape[1], shape[2]
	image := "1," + strings.Join(dims[1:], ",")
	transpose := false
	if len(shape) == 4 {
		height, width = shape[2], shape[3]
		image = strings.Join(dims[1:], ",")
		// Channels last: a last dimension of 1, 3 or 4 after a
		// dimension too large for a channel count.
		last := shape[3]
		switch {
		case last == 1 && shape[1] > 4:
			height, width = shape[1], shape[2]
			image = "1," + dims[1] + "," + dims[2]
		case (last == 3 || last == 4) && shape[1] > 4:
			height, width = shape[1], shape[2]
			image = dims[3] + "," + dims[1] + "," + dims[2]
			transpose = true
		}
	}
	if height < dim.MinCNNImageSize || width < dim.MinCNNImageSize {
		return ""
	}
	if transpose {
		return fmt.Sprintf("%s. If each sample is an image with its channels last, nidim needs them first: save the array transposed, as numpy's x.transpose(0, 3, 1, 2), and pass --image-shape %s for the image views and --encoder cnn; %s",
			read, image, advice)
	}
	return fmt.Sprintf("%s. If each sample is an image, pass --image-shape %s for the image views and --encoder cnn; %s", read, image, advice)
}

// vectorsAdvice ends the notes on images read as vectors. They replace
// the notes on constant and narrow columns, which pixels often trip, so
// they keep those notes' advice for data that are vectors after all.
// unstandardizedVectorsAdvice replaces it when --standardize=false is
// given, because the columns then keep their values.
const (
	vectorsAdvice               = "otherwise nidim standardizes each column as a feature, unless --standardize=false is given"
	unstandardizedVectorsAdvice = "otherwise nidim feeds each column to the encoder as it is, because --standardize=false is given; drop it if the features have different scales"
)

// minFlatImageSide is the smallest height and width that flatImageNote
// takes a row for. Fewer columns in [0, 1], such as 16, are more often
// features than 4 x 4 images.
const minFlatImageSide = 8

// flatImageNote returns a note when the rows x cols values, read from
// source, look like flattened square images of one or three channels,
// such as 784 = 28 x 28 columns, and "" otherwise. The values must all
// be pixel values (within [0, 1], or integers within [0, 255]), and
// neighbouring pixels must correlate as they do in images (see
// neighbourCorrelation). Features scaled to [0, 1] that happen to number
// a square, such as 100, correlate little in that order, so they keep
// the notes on their columns. nidim reads such rows as feature vectors
// unless --image-shape makes them images. The note ends with advice, as
// that of imageArrayNote does.
func flatImageNote(source string, values []float64, rows, cols int, advice string) string {
	channels, side := 0, 0
	for _, c := range []int{1, 3} {
		h := int(math.Sqrt(float64(cols / c)))
		if cols%c == 0 && h*h == cols/c && h >= minFlatImageSide {
			channels, side = c, h
		}
	}
	if side == 0 {
		return ""
	}
	unit, integers := true, true
	for _, v := range values {
		unit = unit && v >= 0 && v <= 1
		integers = integers && v >= 0 && v <= 255 && v == math.Trunc(v)
		if !unit && !integers {
			return ""
		}
	}
	if neighbourCorrelation(values, rows, channels, side) < minNeighbourCorrelation {
		return ""
	}
	kind := "values within [0, 1]"
	if !unit {
		kind = "integer values within [0, 255]"
	}
	image := fmt.Sprintf("%d x %d images", side, side)
	if channels == 3 {
		image = fmt.Sprintf("3-channel %d x %d images", side, side)
	}
	return fmt.Sprintf("%s holds %s of %d %s, the layout of flattened %s, which nidim reads as feature vectors with the vector views. If each row is an image, pass --image-shape %d,%d,%d for the image views and --encoder cnn; %s",
		source, plural(rows, "row", "rows"), cols, kind, image, channels, side, side, advice)
}

// minNeighbourCorrelation is the mean correlation of neighbouring pixels
// from which flatImageNote takes rows for images. It is 0.69 on the
// first 2000 MNIST training digits, and about 0 for columns of
// independent features.
const minNeighbourCorrelation = 0.3

// neighbourCorrelation returns the mean Pearson correlation, over the
// first 2000 rows, between each pixel and its right and lower neighbours
// in rows of channels x side x side values, channels first. Pairs with a
// constant pixel, such as MNIST's borders, are left out, and it returns
// 0 when every pair is.
func neighbourCorrelation(values []float64, rows, channels, side int) float64 {
	rows = min(rows, 2000)
	cols := channels * side * side
	correlation := func(a, b int) (float64, bool) {
		var sa, sb, saa, sbb, sab float64
		for i := range rows {
			x, y := values[i*cols+a], values[i*cols+b]
			sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
		}
		n := float64(rows)
		va, vb := saa-sa*sa/n, sbb-sb*sb/n
		if va <= 0 || vb <= 0 {
			return 0, false
		}
		return (sab - sa*sb/n) / math.Sqrt(va*vb), true
	}
	total, pairs := 0.0, 0
	for c := range channels {
		for y := range side {
			for x := range side {
				k := c*side*side + y*side + x
				for _, next := range []int{k + 1, k + side} {
					if (next == k+1 && x+1 == side) || (next == k+side && y+1 == side) {
						continue
					}
					if r, ok := correlation(k, next); ok {
						total += r
						pairs++
					}
				}
			}
		}
	}
	if pairs == 0 {
		return 0
	}
	return total / float64(pairs)
}

func loadMatrixData(df dataFlags, seed uint64) (train, test *dim.Dataset, note layoutNote, err error) {
	if !(df.testFraction > 0 && df.testFraction < 1) {
		return nil, nil, layoutNote{}, fmt.Errorf("invalid --test-fraction %v; use a share between 0 and 1 such as 0.1", df.testFraction)
	}
	// The array's own shape, which ReadMatrixFile would flatten to
	// rows x cols, shows whether the samples may be images.
	values, fileShape, err := tensor.ReadArrayFile(df.data)
	if err != nil {
		return nil, nil, layoutNote{}, dataFileError("--data", df.data, err)
	}
	rows, cols := tensor.MatrixSize(fileShape)
	if rows == 0 {
		return nil, nil, layoutNote{}, noSamplesError("--data", df.data)
	}
	if err := checkSamples("--data", df.data, values, cols); err != nil {
		return nil, nil, layoutNote{}, err
	}
	source := "--data " + shellQuote(df.data)
	note.text = matrixLayoutNote(source, featureIndexEffect, values, rows, cols, textFileStart(df.data))
	if note.text == "" && df.imageShape == "" && !df.forCheckpoint {
		// Text files are matrices, so the array note and the two above
		// never meet.
		advice := vectorsAdvice
		if df.unstandardized {
			advice = unstandardizedVectorsAdvice
		}
		note.text = imageArrayNote(source, fileShape, advice)
		if note.text == "" && len(fileShape) == 2 {
			note.text = flatImageNote(source, values, rows, cols, advice)
		}
		note.images = note.text != ""
	}
	shape := []int{cols}
	if df.imageShape != "" {
		if shape, err = parseShape(df.imageShape, cols); err != nil {
			return nil, nil, note, err
		}
	}

	var header []string
	if !df.forCheckpoint {
		header = textHeader(textFileStart(df.data)())
	}
	var labels []int
	if df.labels != "" {
		if _, statErr := os.Stat(df.labels); errors.Is(statErr, fs.ErrNotExist) && slices.Contains(header, df.labels) {
			return nil, nil, note, fmt.Errorf("--labels %s does not exist as a file, but it is the name of a column of --data %s. --labels takes a file with one class number per row, and nidim reads every column of --data as a feature; move that column to a file of its own, pass that file as --labels, and drop the column from --data",
				shellQuote(df.labels), shellQuote(df.data))
		}
		if labels, err = readLabelColumn(df.labels, rows); err != nil {
			return nil, nil, note, err
		}
	}
	if !df.forCheckpoint && len(shape) == 1 {
		var stepNote string
		stepNote, note.rounded = float32StepNote(source, values, rows, cols)
		for _, n := range []string{stepNote, labelColumnNote(source, header, values, rows, cols, labels)} {
			if n != "" {
				note.columns = append(note.columns, n)
			}
		}
	}

	train, test, err = splitRows(df, seed, rows, cols, shape, labels, func(i int) float32 { return float32(values[i]) })
	return train, test, note, err
}

// splitRows splits the rows x cols samples, whose value i is value(i),
// into a training and a test split: the rows shuffled with seed and the
// last --test-fraction of them held out. labels, one per row, may be nil.
func splitRows(df dataFlags, seed uint64, rows, cols int, shape []int, labels []int, value func(i int) float32) (train, test *dim.Dataset, err error) {
	nTest := testRowCount(rows, df.testFraction)
	if nTest < 1 || rows-nTest < 2 {
		return nil, nil, splitSizeError(df, rows, nTest)
	}
	order := shuffledRows(rows, seed)
	split := func(idx []int) *dim.Dataset {
		x := tensor.New(len(idx), cols)
		var ls []int
		if labels != nil {
			ls = make([]int, len(idx))
		}
		for i, r := range idx {
			for k := 0; k < cols; k++ {
				x.Data[i*cols+k] = value(r*cols + k)
			}
			if ls != nil {
				ls[i] = labels[r]
			}
		}
		return &dim.Dataset{X: x, Shape: shape, Labels: ls}
	}
	return split(order[:rows-nTest]), split(order[rows-nTest:]), nil
}

// testRowCount returns how many of rows rows the test fraction f holds
// out of a matrix file: f x rows, rounded.
func testRowCount(rows int, f float64) int {
	return int(math.Round(float64(rows) * f))
}

// shuffledRows returns the row numbers 0 to rows-1 of a matrix file in the
// order that seed shuffles them. The training split is the first rows of
// that order and the test split the last testRowCount.
func shuffledRows(rows int, seed uint64) []int {
	order := make([]int, rows)
	for i := range order {
		order[i] = i
	}
	rng := tensor.NewRNG(seed)
	rng.Shuffle(rows, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// splitSizeError returns the error for a --test-fraction that holds out
// nTest of rows rows: none, or so many that fewer than 2 training rows
// remain. It names a fraction that works when one does, holding out the
// 2 test rows that the MI estimate after training needs where the file
// has enough rows, so that the run does not stop at that check next.
func splitSizeError(df dataFlags, rows, nTest int) error {
	if rows < 3 {
		if isImageDir(df.data) {
			return fmt.Errorf("--data %s has %s, too few to hold out one for testing and keep 2 for training; use a directory with at least 3 images", df.data, plural(rows, "image", "images"))
		}
		return fmt.Errorf("--data %s has %s, too few to hold out one for testing and keep 2 for training; use a file with at least 3 rows", df.data, plural(rows, "row", "rows"))
	}
	if nTest < 1 {
		f, ok := testFractionFor(2, rows)
		if !ok {
			f, _ = testFractionFor(1, rows)
		}
		return fmt.Errorf("--test-fraction %v holds out none of the %d rows of --data %s; use a larger --test-fraction, such as %v%s",
			df.testFraction, rows, df.data, f, heldOutText(f, rows))
	}
	f := 0.0
	for hundredths := int(math.Ceil(100*df.testFraction)) - 1; hundredths > 0; hundredths-- {
		f = float64(hundredths) / 100
		if rows-int(math.Round(float64(rows)*f)) >= 2 {
			break
		}
	}
	return fmt.Errorf("--test-fraction %v holds out %d of the %d rows of --data %s, which leaves fewer than the 2 that training needs; use a smaller --test-fraction, such as %v%s",
		df.testFraction, nTest, rows, df.data, f, heldOutText(f, rows))
}

// heldOutText returns the clause that gives how many of rows rows the
// fraction f holds out, and when that is 1, that the MI estimate after
// training needs 2.
func heldOutText(f float64, rows int) string {
	n := int(math.Round(float64(rows) * f))
	if n >= 2 {
		return fmt.Sprintf(", which holds out %d of the %d rows", n, rows)
	}
	return fmt.Sprintf(", which holds out 1 of the %d rows; the MI estimate after training needs 2 test rows, which %d rows cannot give while keeping 2 for training, so use more rows, or nidim train --no-eval to skip the evaluation", rows, rows)
}

// parseShape parses "C,H,W" or "H,W" (one channel) whose product must be
// cols.
func parseShape(s string, cols int) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 && len(parts) != 3 {
		return nil, fmt.Errorf("invalid --image-shape %q; use C,H,W or H,W such as 1,28,28", s)
	}
	shape := []int{1}
	if len(parts) == 3 {
		shape = nil
	}
	prod := 1
	for _, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("invalid --image-shape %q; every dimension must be a positive integer", s)
		}
		shape = append(shape, v)
		prod *= v
	}
	if prod != cols {
		return nil, fmt.Errorf("--image-shape %s has %d values but each row of --data has %d", s, prod, cols)
	}
	return shape, nil
}

// progressBar draws one status line on a terminal, redrawn at most every
// 200 ms. On anything else it draws nothing, so logs hold only the
// per-epoch lines.
type progressBar struct {
	w     io.Writer
	tty   bool
	last  time.Time
	drawn bool
	// noNoise is set when training adds no channel noise, so that no
	// capacity is shown.
	noNoise bool
	// prefix starts the line, such as sweep's "[2/10] " for the second of
	// ten runs.
	prefix string
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w)}
}

func (b *progressBar) update(p dim.Progress) {
	if !b.tty || time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last = time.Now()
	fmt.Fprintf(b.w, "\r\033[K%s", b.line(p, terminalWidth(b.w)))
	b.drawn = true
}

// line returns the status line for p that fits a terminal of width
// columns (0 for an unknown width). A line as wide as the terminal would
// wrap, and the \r\033[K of the next redraw would erase only its last
// row. So a narrow terminal first loses the speed, then the loss, then the
// bar's cells, then the bounds beside the MI and then the MI. Only a terminal
// too narrow for the epoch, the percentage and the ETA cuts the line at
// its edge.
func (b *progressBar) line(p dim.Progress, width int) string {
	frac := float64(p.Step) / float64(p.Steps)
	// ETA from the average time per step over the whole run so far.
	done := float64((p.Epoch-1)*p.Steps + p.Step)
	total := float64(p.Epochs * p.Steps)
	eta := time.Duration(float64(p.Elapsed) / done * (total - done)).Round(time.Second)
	bound := fmt.Sprintf("cap %.3f, ln B %.3f", p.Capacity, p.LnBatch)
	if b.noNoise {
		bound = fmt.Sprintf("no noise, ln B %.3f", p.LnBatch)
	}
	mi := fmt.Sprintf("MI %.3f nats", p.MI)
	miBound := fmt.Sprintf("%s (%s)", mi, bound)
	loss := fmt.Sprintf("loss %.4f", p.Loss)
	speed := fmt.Sprintf("%.0f samples/s", p.SamplesPerSec)
	var line string
	for _, layout := range []struct {
		cells int // 0 leaves out the bar
		tail  []string
	}{
		{24, []string{loss, miBound, speed}},
		{24, []string{loss, miBound}},
		{24, []string{miBound}},
		{12, []string{miBound}},
		{0, []string{miBound}},
		{0, []string{mi}},
		{0, nil},
	} {
		line = fmt.Sprintf("%sepoch %d/%d ", b.prefix, p.Epoch, p.Epochs)
		if layout.cells > 0 {
			filled := int(frac * float64(layout.cells))
			line += "[" + strings.Repeat("#", filled) + strings.Repeat(".", layout.cells-filled) + "] "
		}
		line += fmt.Sprintf("%3.0f%% ETA %s", 100*frac, eta)
		for _, field := range layout.tail {
			line += "  " + field
		}
		if width <= 0 || len(line) < width {
			return line
		}
	}
	return line[:max(width-1, 0)]
}

// clear erases the status line so that a log line can follow.
func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}

// channelText describes the channel noise of cfg, such as "sigma = 0.5
// on one view". Without channel noise the level only scales the initial
// temperature, and after --sigma 0 or --eps 0 it is the default, which
// the user did not give, so it is left out.
func channelText(cfg *dim.Config) string {
	switch cfg.NoiseViews {
	case 1:
		return fmt.Sprintf("%s = %g on one view", levelName(cfg.Prior), cfg.NoiseLevel())
	case 2:
		return fmt.Sprintf("%s = %g on both views", levelName(cfg.Prior), cfg.NoiseLevel())
	}
	return "no channel noise"
}

// viewsText describes the views that cfg draws for samples of the given
// shape, for the summary line of train. Images take the translation,
// rotation, zoom and pixel noise, and feature vectors the feature noise
// and masking, so the flags of the other kind have no effect there.
func viewsText(cfg *dim.Config, shape []int) string {
	type setting struct {
		name  string
		value float64
	}
	settings := []setting{{"feature noise", cfg.FeatureNoise}, {"masking", cfg.MaskProb}}
	if len(shape) == 3 {
		settings = []setting{{"shift", float64(cfg.MaxShift)}, {"rotation", cfg.MaxRotate}, {"zoom", cfg.MaxScale}, {"pixel noise", cfg.PixelNoise}}
	}
	var parts []string
	for _, s := range settings {
		if s.value != 0 {
			parts = append(parts, fmt.Sprintf("%s %g", s.name, s.value))
		}
	}
	if len(parts) == 0 {
		return "identical views"
	}
	return "views with " + strings.Join(parts, ", ")
}

// noiseLevelOrZero returns level, or 0 when no view gets channel noise, so
// that reports show the noise the model was trained with.
func noiseLevelOrZero(level float64, noiseViews int) float64 {
	if noiseViews == 0 {
		return 0
	}
	return level
}

// channelValue returns a pointer to v, a bound of the noisy channel such as
// its capacity, or nil for a model without channel noise (noiseViews 0),
// which has no such bound. The JSON of train and eval writes nil as null,
// as it writes every number that a run does not have.
func channelValue(v float64, noiseViews int) *float64 {
	if noiseViews == 0 {
		return nil
	}
	return &v
}

// uniformEps returns the eps field of the JSON that train and eval print:
// eps for the uniform prior, and nil for the others, whose noise level is
// sigma.
func uniformEps(prior string, eps float64) *float64 {
	if prior != "uniform" {
		return nil
	}
	return &eps
}
