package main

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// modelCommand is the flags and checks shared by the commands that run a
// trained model: nidim embed, score and eval. All of them take the
// checkpoint as --model or as the one argument, and --threads. Embed and
// score also read --data and --split and write --out in --batch passes.
type modelCommand struct {
	name    string // the command, as in "nidim NAME: ..." messages
	stderr  io.Writer
	model   *string
	threads *int
	// Set by newModelCommand only when withInput is true.
	out, data, split *string
	batch            *int
	// rowNumbers is the file that receives the row number in the input
	// of each output row, or "" for none.
	rowNumbers *string
	// paths is the file that receives the image file of each output
	// row, for a directory of images, or "" for none.
	paths *string
	// labelsOut is the file that receives the class label of each output
	// row, or "" for none. It is nil for a command without --labels-out.
	labelsOut *string
	// splitGiven is set by check when --split is on the command line.
	// Without it a matrix file is read whole.
	splitGiven bool
	fs         *flag.FlagSet
	// stdoutCSV makes --out - write CSV instead of float32 NPY: score's
	// rows of score, p-value and label are meant to be read as text.
	stdoutCSV bool
	// outExample is the --out file that messages suggest, set by check.
	outExample string
	// logNote, when not nil, receives the notes on the data in place of
	// stderr, as nidim serve logs them.
	logNote func(note string)
	// dataFlag is the flag that messages on the data name, "--data" when
	// empty. The kNN score reads its training data as data, from
	// --train-data.
	dataFlag string
}

// dataFlagName returns the flag that messages on the data name.
func (c *modelCommand) dataFlagName() string {
	if c.dataFlag == "" {
		return "--data"
	}
	return c.dataFlag
}

// stdoutPath is the --out value that writes to standard output, and
// stdinPath the input path that reads standard input.
const (
	stdoutPath = "-"
	stdinPath  = "-"
)

// newModelCommand registers the shared flags on fs. withInput adds --out,
// --data, --split, --batch and --row-numbers.
func newModelCommand(name string, fs *flag.FlagSet, withInput bool, stderr io.Writer) *modelCommand {
	c := &modelCommand{name: name, stderr: stderr, fs: fs}
	c.model = fs.String("model", "", "")
	c.threads = fs.Int("threads", 0, "")
	if withInput {
		c.out = fs.String("out", "", "")
		c.data = fs.String("data", "", "")
		c.split = fs.String("split", "test", "")
		c.batch = fs.Int("batch", 1000, "")
		c.rowNumbers = fs.String("row-numbers", "", "")
		c.paths = fs.String("paths", "", "")
	}
	return c
}

// fail prints a message in the command's name and returns status.
func (c *modelCommand) fail(status int, format string, a ...any) int {
	fmt.Fprintf(c.stderr, "nidim %s: %s\n", c.name, sentence(fmt.Sprintf(format, a...)))
	return status
}

// note prints note as "nidim NAME: note: NOTE" on stderr, or passes it
// to logNote when that is set. An empty note prints nothing.
func (c *modelCommand) note(note string) {
	switch {
	case note == "":
	case c.logNote != nil:
		c.logNote(note)
	default:
		printNote(c.stderr, "nidim "+c.name, note)
	}
}

// check takes the model from the argument in files, when given, and checks
// the shared flags. example is the call the missing --model message
// suggests and outExample the file the missing --out message suggests. It
// returns -1 when all is well and the exit status otherwise.
func (c *modelCommand) check(files []string, example, outExample string) int {
	c.outExample = outExample
	if c.fs != nil {
		c.fs.Visit(func(f *flag.Flag) { c.splitGiven = c.splitGiven || f.Name == "split" })
	}
	if len(files) == 1 || *c.model != "" {
		model, err := checkpointArg(files, *c.model, example)
		if err != nil {
			return c.fail(exitUsage, "%v", err)
		}
		*c.model = model
	}
	switch {
	case *c.model == "":
		return c.fail(exitUsage, "missing --model; pass the checkpoint written by nidim train, as in %s.", example)
	case c.out != nil && *c.out == "":
		return c.fail(exitUsage, "missing --out; pass the %s file to write, such as %s.", c.outKind(), outExample)
	case c.split != nil && *c.split != "test" && *c.split != "train":
		return c.fail(exitUsage, "invalid --split %q; use test or train.", *c.split)
	case c.batch != nil && *c.batch < 1:
		return c.fail(exitUsage, "invalid --batch %d; use 1 or more samples.", *c.batch)
	case *c.threads < 0:
		return c.fail(exitUsage, "invalid --threads %d; use 0 for all cores or a positive count.", *c.threads)
	}
	printNote(c.stderr, "nidim "+c.name, threadsNote(*c.threads, false))
	return -1
}

// outKind names what --out receives, for messages.
func (c *modelCommand) outKind() string {
	if c.name == "embed" {
		return "embedding"
	}
	return c.name
}

// isTerminal reports whether w is a terminal. Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFD(f.Fd())
}

// terminalWidth returns the number of columns of the terminal w, or 0
// when w is not a terminal or its width is unknown. Tests replace it.
var terminalWidth = func(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	return terminalWidthFD(f.Fd())
}

// checkOut checks that --out can be written as a matrix file and names
// neither --model, --data nor one of inputs. For --out - it checks that
// stdout is not a terminal when the command writes binary NPY to it. It
// returns -1 when all is well and the exit status otherwise.
func (c *modelCommand) checkOut(stdout io.Writer, inputs ...inputFile) int {
	if st := c.checkIntsOutput("--row-numbers", *c.rowNumbers, "rows.npy", inputs); st >= 0 {
		return st
	}
	if c.labelsOut != nil {
		others := append(slices.Clone(inputs), inputFile{"--row-numbers", *c.rowNumbers})
		if st := c.checkIntsOutput("--labels-out", *c.labelsOut, "labels.npy", others); st >= 0 {
			return st
		}
	}
	if st := c.checkPaths(inputs); st >= 0 {
		return st
	}
	if *c.out == stdoutPath {
		if !c.stdoutCSV && isTerminal(stdout) {
			csv := strings.TrimSuffix(c.outExample, filepath.Ext(c.outExample)) + ".csv"
			return c.fail(exitUsage, "standard output is a terminal, and --out - would write binary NPY to it; redirect it to a file (> %s) or pipe it to a command (| nidim test -), or pass --out %s to write CSV", c.outExample, csv)
		}
		return -1
	}
	inputs = append(inputs, inputFile{"--model", *c.model}, inputFile{"--data", *c.data})
	if err := checkOutputPath("--out", *c.out, inputs...); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if err := checkMatrixOutputName("--out", *c.out); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	return -1
}

// checkMatrixOutputName returns an error when path, the value of the
// output flag flagName, names no format that nidim writes a matrix in, or
// is a symbolic link whose target's name calls for another format. The
// format follows the name given, and the write goes through the link to
// its target, so the two names must agree.
func checkMatrixOutputName(flagName, path string) error {
	if tensor.IsIDXName(path) {
		return fmt.Errorf("%s %s names an IDX file, which nidim reads but does not write; use .npy, .csv, .tsv or .txt, optionally followed by .gz", flagName, path)
	}
	if err := tensor.CheckMatrixOutputName(path); err != nil {
		return fmt.Errorf("%s %s", flagName, strings.TrimPrefix(err.Error(), "tensor: "))
	}
	if target, err := atomicfile.Target(path); err == nil && !tensor.SameMatrixFormat(path, target) {
		return fmt.Errorf("%s %s is a symbolic link to %s, whose name calls for another format than the link's; pass the target's path, or a link whose name ends like the target's", flagName, path, target)
	}
	return nil
}

// checkIntsOutput checks that path, the value of flagName, a file of one
// integer per output row such as --row-numbers, can be written when it is
// given, and names neither --out, --model, --data nor one of inputs.
// example is a file name for the message on -. It returns -1 when all is
// well and the exit status otherwise.
func (c *modelCommand) checkIntsOutput(flagName, path, example string, inputs []inputFile) int {
	if path == "" {
		return -1
	}
	if path == stdoutPath {
		return c.fail(exitUsage, "%s - would create a file named \"-\", because only --out writes to standard output; pass a file path, such as %s", flagName, example)
	}
	inputs = append(inputs, inputFile{"--model", *c.model}, inputFile{"--data", *c.data})
	if *c.out != stdoutPath {
		inputs = append(inputs, inputFile{"--out", *c.out})
	}
	if err := checkOutputPath(flagName, path, inputs...); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	if err := checkMatrixOutputName(flagName, path); err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	return -1
}

// checkPaths checks that --paths, when given, applies to --data and can
// be written, as checkIntsOutput does for --row-numbers.
func (c *modelCommand) checkPaths(inputs []inputFile) int {
	path := *c.paths
	if path == "" {
		return -1
	}
	if path == stdoutPath {
		return c.fail(exitUsage, "--paths - would create a file named \"-\", because only --out writes to standard output; pass a file path, such as paths.txt")
	}
	if err := checkPathsFlag(path, *c.data); err != nil {
		return c.fail(exitUsage, "%v", err)
	}

	// The list must replace no input and no other output.
	inputs = append(inputs, inputFile{"--model", *c.model}, inputFile{"--data", *c.data})
	files := []inputFile{{"--out", *c.out}, {"--row-numbers", *c.rowNumbers}}
	if c.labelsOut != nil {
		files = append(files, inputFile{"--labels-out", *c.labelsOut})
	}
	for _, f := range files {
		if f.path != "" && f.path != stdoutPath {
			inputs = append(inputs, f)
		}
	}
	if err := checkOutputPath("--paths", path, inputs...); err != nil {
		return c.fail(exitUsage, "%v", err)
	}

	// An image file name could be one of the images of --data, which
	// the text would replace.
	target, _ := atomicfile.Target(path)
	if imagedir.IsImageName(path) || imagedir.IsImageName(target) {
		return c.fail(exitUsage, "--paths %s has the name of an image file, but it receives text, one path per line, and could replace an image of --data; name it as a text file, such as paths.txt",
			shellQuote(path))
	}
	return -1
}

// writeRowFiles writes --row-numbers, --labels-out and --paths for the
// rows of in, after --out, and returns the clause of the success message
// that names them, such as ", their class labels to l.npy and their image
// files (one per line) to p.txt", or "".
func (c *modelCommand) writeRowFiles(in *inputRows) (string, error) {
	var clauses []string
	for _, write := range []func(*inputRows) (string, error){c.writeRowNumbers, c.writeLabels, c.writePaths} {
		clause, err := write(in)
		if err != nil {
			return "", err
		}
		if clause != "" {
			clauses = append(clauses, clause)
		}
	}
	switch n := len(clauses); n {
	case 0:
		return "", nil
	case 1:
		return " and " + clauses[0], nil
	default:
		return ", " + strings.Join(clauses[:n-1], ", ") + " and " + clauses[n-1], nil
	}
}

// writeLabels writes the class labels of in to --labels-out, when it is
// given, and returns the part of the success message that names the
// file, or "". checkLabelsOut has made sure that in has labels.
func (c *modelCommand) writeLabels(in *inputRows) (string, error) {
	if c.labelsOut == nil || *c.labelsOut == "" {
		return "", nil
	}
	path := *c.labelsOut
	if err := tensor.WriteIntsFile(path, in.labels); err != nil {
		return "", c.afterOutError("--labels-out", path, diskAdvice, err)
	}
	return fmt.Sprintf("their class labels to %s", path), nil
}

// checkLabelsOut returns an error when --labels-out is given but the rows
// of in have no class labels: a matrix file, an IDX directory without its
// labels file, or a directory of images without class subdirectories.
func (c *modelCommand) checkLabelsOut(in *inputRows) error {
	if c.labelsOut == nil || *c.labelsOut == "" || in.labels != nil {
		return nil
	}
	if *c.data != "" && isImageDir(*c.data) {
		return fmt.Errorf("--labels-out %s writes the class label of each output row, but --data %s is a directory of images without class subdirectories, so its rows have no labels; drop --labels-out, or pass a directory with one subdirectory of images per class",
			shellQuote(*c.labelsOut), dataName(*c.data))
	}
	if *c.data != "" && !isDir(*c.data) {
		return fmt.Errorf("--labels-out %s writes the class label of each output row, but --data %s is a matrix file, whose labels are in a file of their own; pass it as --labels FILE, one class number per row of --data, or drop --labels-out",
			shellQuote(*c.labelsOut), dataName(*c.data))
	}
	return fmt.Errorf("--labels-out %s writes the class label of each output row, but --data %s has no labels (an IDX directory without its labels file); drop --labels-out",
		shellQuote(*c.labelsOut), dataName(*c.data))
}

// writePaths writes the image file of each row of in to --paths, when
// it is given, and returns the part of the success message that names
// the file, or "".
func (c *modelCommand) writePaths(in *inputRows) (string, error) {
	path := *c.paths
	if path == "" {
		return "", nil
	}
	text, err := writePaths(path, in)
	if err != nil {
		return "", c.afterOutError("--paths", path, "", err)
	}
	return text, nil
}

// writeRowNumbers writes the row numbers of in to --row-numbers, when it
// is given, and returns the part of the success message that names the
// file, or "".
func (c *modelCommand) writeRowNumbers(in *inputRows) (string, error) {
	path := *c.rowNumbers
	if path == "" {
		return "", nil
	}
	if err := tensor.WriteIntsFile(path, in.numbers); err != nil {
		return "", c.afterOutError("--row-numbers", path, diskAdvice, err)
	}
	return fmt.Sprintf("their row numbers in the input (counting from 0) to %s", path), nil
}

// diskAdvice is the advice of afterOutError for a failed write of a file
// that can only fail for lack of space or a file size limit.
const diskAdvice = "free disk space, raise the file size limit (ulimit -f), or "

// afterOutError returns the error for err, the failed write of path, the
// file of flagName that the command writes after --out. The output was
// written, so the message states that an older file at path no longer
// matches it. advice comes before the advice to pass another flagName. A
// stop by a signal (atomicfile.ErrStopped) is returned as it is.
func (c *modelCommand) afterOutError(flagName, path, advice string, err error) error {
	if errors.Is(err, atomicfile.ErrStopped) {
		return err
	}
	return fmt.Errorf("%v; %s was not written, but the output went to %s, so any older %s does not match it; %spass another %s, and run nidim %s again",
		err, path, c.outName(), path, advice, flagName, c.name)
}

// writeOut writes the rows x cols matrix data to --out. A file is
// replaced atomically, in the format of its extension and with opts.
// --out - streams to stdout, which cannot be atomic, as float32 NPY, or as
// CSV when stdoutCSV is set.
func (c *modelCommand) writeOut(stdout io.Writer, data []float64, rows, cols int, opts ...tensor.WriteOption) error {
	if *c.out != stdoutPath {
		err := tensor.WriteMatrixFile(*c.out, data, rows, cols, opts...)
		if err == nil || errors.Is(err, atomicfile.ErrStopped) {
			return err
		}
		return fmt.Errorf("%v; %s", err, notWrittenAdvice(*c.out))
	}
	var err error
	if c.stdoutCSV {
		err = tensor.WriteCSV(stdout, data, rows, cols, nil, ',')
	} else {
		t := &tensor.Tensor{Shape: []int{rows, cols}, Data: make([]float32, len(data))}
		for i, v := range data {
			t.Data[i] = float32(v)
		}
		err = tensor.WriteNPY(stdout, t)
	}
	if err != nil {
		return fmt.Errorf("writing to standard output failed: %v", err)
	}
	return nil
}

// outName returns --out for messages, with "-" as "standard output".
func (c *modelCommand) outName() string {
	if *c.out == stdoutPath {
		return "standard output"
	}
	return *c.out
}

// loadModel applies --threads and loads the checkpoint. On failure it has
// printed the error and returns the exit status, otherwise -1.
func (c *modelCommand) loadModel() (*dim.Model, int) {
	setThreads(*c.threads)
	m, err := dim.LoadModel(*c.model)
	if err != nil {
		return nil, c.fail(exitUsage, "%v", err)
	}
	if !m.Verified {
		fmt.Fprintf(c.stderr, "nidim %s: note: %s\n", c.name, dim.UnverifiedNote(*c.model))
	}
	if note := unfinishedNote(*c.model, m); note != "" {
		fmt.Fprintf(c.stderr, "nidim %s: note: %s\n", c.name, note)
	}
	return m, -1
}

// unfinishedNote returns the note for the checkpoint m, read from path,
// when m is from an unfinished run, and "" otherwise. Such a checkpoint
// works, but its normalization statistics are the running averages of
// training.
func unfinishedNote(path string, m *dim.Model) string {
	if !isUnfinished(m.RunState()) {
		return ""
	}
	resume := "nidim train --resume " + shellQuote(path)
	if m.Exported {
		// Training rejects an exported file.
		resume = "nidim train --resume on the checkpoint it was exported from"
	}
	return fmt.Sprintf("%s is from an unfinished run (%s of %d epochs); %s, with the data flags it was trained on, finishes it",
		path, unfinishedText(m.RunState()), m.Config.Epochs, resume)
}

// noFingerprintText is the note for a checkpoint path without a
// fingerprint of its training data.
func noFingerprintText(path string) string {
	return fmt.Sprintf("cannot check that the data is the data %s was trained on, because it has no data fingerprint; an older nidim wrote it, so pass the --data and --test-fraction it was trained on", path)
}

// inputRows are the samples that embed and score run through a model.
type inputRows struct {
	x      *tensor.Tensor
	labels []int // the class labels of MNIST-style data, nil for a matrix file
	// numbers are the row numbers in the input, counting from 0, of the
	// rows of x: the rows of a matrix file that --split selected, in file
	// order, or all rows in order.
	numbers []int
	total   int // rows in the input, before --split selected some
	// paths are the image files of all rows of the input, for a
	// directory of images, and nil otherwise.
	paths []string
	// whole contains all rows of a matrix file or a directory of images,
	// before --split selected some, and is nil for MNIST-style data.
	// The kNN score of nidim score takes its splits from it when its
	// training data is --data, so that the data is read once.
	whole *tensor.Tensor
}

// matrixLabels reads the --labels file path of a matrix --data, one
// label per row of the file, and returns the labels of the rows of in,
// which --split may have selected.
func matrixLabels(path string, in *inputRows) ([]int, error) {
	all, err := readLabelColumn(path, in.total)
	if err != nil {
		return nil, err
	}
	labels := make([]int, len(in.numbers))
	for i, r := range in.numbers {
		labels[i] = all[r]
	}
	return labels, nil
}

// input loads the rows that embed and score run through m, from --data
// and --split, and checks them against the model, as modelInput does. On
// a matrix file --split selects the rows of the training or the test
// split that m was trained with. input prints the notes on the layout of
// a matrix file, and a note when the values look like another scale than
// the model's training inputs.
func (c *modelCommand) input(m *dim.Model) (*inputRows, error) {
	split := ""
	if c.splitGiven {
		split = *c.split
	}
	matrix := *c.data != "" && !isDir(*c.data)
	images := *c.data != "" && isImageDir(*c.data)
	if split != "" && (matrix || images) && m.Config.TestFraction == 0 {
		// Checked before the file is read, which can take long.
		return nil, noRecordedSplitError(split, *c.data, *c.model, c.name)
	}
	x, labels, paths, err := c.readInput(m, split)
	if err != nil {
		return nil, err
	}
	in := &inputRows{x: x, labels: labels, total: x.Shape[0], paths: paths}
	if split != "" && (matrix || images) {
		if m.Data == "" {
			c.note(noFingerprintText(*c.model))
		}
		in.whole = x
		if in.numbers, err = matrixSplitRows(*c.data, *c.model, m, x, split); err != nil {
			return nil, err
		}
		in.x = dim.SelectRows(x, in.numbers)
		if in.labels != nil {
			in.labels = make([]int, len(in.numbers))
			for i, r := range in.numbers {
				in.labels[i] = labels[r]
			}
		}
	} else {
		if matrix || images {
			in.whole = x
		}
		in.numbers = make([]int, in.total)
		for i := range in.numbers {
			in.numbers[i] = i
		}
	}
	c.note(scaleNote(c.dataFlagName(), *c.data, *c.model, m, in.x.Data))
	c.note(standardizedShiftNote(*c.data, *c.model, m, in.x))
	return in, nil
}

// readInput reads --data for the model m: a matrix file or a directory
// of images whole, and of MNIST-style data the split ("" for the test
// split). It prints the notes on the layout of a matrix file and on a
// directory of images, and returns the samples, their class labels (nil
// for a matrix file) and the image files of a directory of images.
func (c *modelCommand) readInput(m *dim.Model, split string) (x *tensor.Tensor, labels []int, paths []string, err error) {
	matrix := *c.data != "" && !isDir(*c.data)
	if *c.data != "" && isImageDir(*c.data) {
		x, labels, paths, err = c.imageInput(m)
	} else {
		x, labels, err = modelInput(c.dataFlagName(), *c.data, split, m)
	}
	if x != nil && matrix {
		first := make([]float64, x.Shape[1])
		for k := range first {
			first[k] = float64(x.Data[k])
		}
		source := c.dataFlagName() + " " + shellQuote(*c.data)
		c.note(columnNumbersNote(source, first, len(first), textFileStart(*c.data)))
		rows, cols := x.Shape[0], x.Shape[1]
		c.note(indexColumnNote(source, featureIndexEffect, rows, cols, func(i int) float64 { return float64(x.Data[i*cols]) }))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return x, labels, paths, nil
}

// imageInput reads the directory of images --data for the model m: with
// its channels and resized to its height and width when m takes images,
// as readImageDir does. It prints the notes on the directory and returns
// the samples, their labels (nil without class subdirectories) and the
// image files.
func (c *modelCommand) imageInput(m *dim.Model) (*tensor.Tensor, []int, []string, error) {
	show, finish := startProgress(c.stderr, "nidim "+c.name+": ", readImagesDone)
	set, note, err := readImageDir(c.dataFlagName(), *c.data, "", "", *c.threads, &m.Config, *c.model, show)
	finish()
	c.note(note)
	if err != nil {
		return nil, nil, nil, err
	}
	if *c.paths != "" {
		if err := checkPathNames(*c.paths, set.Paths); err != nil {
			return nil, nil, nil, err
		}
	}
	x := imageTensor(set)
	if err := checkInputSize(m, x.Shape[1], c.dataFlagName(), *c.data); err != nil {
		return nil, nil, nil, err
	}
	labels, classNote := modelLabels(set, m.Classes, *c.model)
	c.note(classNote)
	return x, labels, set.Paths, nil
}

// noRecordedSplitError returns the error for --split on the matrix file
// or directory of images data with the model at path, which records no
// split: it was trained on an MNIST-style data set, or by a nidim that
// did not store the test fraction. command is embed or score.
func noRecordedSplitError(split, data, path, command string) error {
	kind := "matrix file"
	if isImageDir(data) {
		kind = "directory of images"
	}
	return fmt.Errorf("--split %s on the %s --data %s needs the split that nidim train records in the checkpoint, but %s records none, because it was trained on an MNIST-style data set or by an older nidim; drop --split to %s every row, or train the model again with this nidim to record its split",
		split, kind, shellQuote(data), path, command)
}

// matrixSplitRows returns the row numbers of the split (train or test)
// that the model m, read from path, was trained with, in x, the matrix
// file or directory of images --data data, as splitRowNumbers finds
// them.
func matrixSplitRows(data, path string, m *dim.Model, x *tensor.Tensor, split string) ([]int, error) {
	train, test, err := splitRowNumbers("--data", data, path, m, x, fmt.Sprintf("--split %s would select other rows than training did", split))
	if split == "train" {
		return train, err
	}
	return test, err
}

// splitRowNumbers returns the row numbers of the training and the test
// split that the model m, read from path, was trained with, in x, the
// matrix file or directory of images data, given as flagName. The
// numbers count from 0 and are in file order. The rows are shuffled with
// the model's seed and the last TestFraction of them held out, as nidim
// train did. The error names the data when its training split does not
// match the model's data fingerprint, because it is other data or has
// its rows in another order. effect is the clause of that error on what
// the command would do wrong with the data.
func splitRowNumbers(flagName, data, path string, m *dim.Model, x *tensor.Tensor, effect string) (train, test []int, err error) {
	rows, cols := x.Shape[0], x.Shape[1]
	f := m.Config.TestFraction
	kind, advice := "file", "with its rows in their original order"
	if isImageDir(data) {
		kind, advice = "directory of images", "with the same image files under the same names"
	}
	nTest := testRowCount(rows, f)
	if nTest < 1 || rows-nTest < 2 {
		return nil, nil, fmt.Errorf("%s %s has %s, too few for the split of %s, which holds out %v of the rows for testing, so it is not the %s the model was trained on; pass the %s it was trained on",
			flagName, shellQuote(data), plural(rows, "row", "rows"), path, f, kind, flagName)
	}
	order := shuffledRows(rows, m.Config.Seed)
	train, test = slices.Clone(order[:rows-nTest]), slices.Clone(order[rows-nTest:])

	if m.Data != "" {
		shape := m.Config.Input
		if len(shape) == 0 {
			shape = []int{cols}
		}
		set := &dim.Dataset{X: dim.SelectRows(x, train), Shape: shape}
		if fp := set.Fingerprint(); fp != m.Data {
			return nil, nil, fmt.Errorf("%s %s is not the %s %s was trained on, or its rows are in another order: its training split is %s, but the model was trained on %s, so %s; pass the %s it was trained on, %s",
				flagName, shellQuote(data), kind, path, fp, m.Data, effect, flagName, advice)
		}
	}

	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

// scaleNote returns the note for values, read from data, the value of
// flagName (such as --data), when they look like another scale than the
// training inputs of m, read from path, and "" otherwise.
func scaleNote(flagName, data, path string, m *dim.Model, values []float32) string {
	return rangeScaleNote(flagName, data, path, m, dim.RangeOf(values), len(values))
}

// rangeScaleNote is scaleNote for n values whose RangeOf is r.
func rangeScaleNote(flagName, data, path string, m *dim.Model, r dim.ValueRange, n int) string {
	if !m.ScaleMismatch(r, n) {
		return ""
	}
	source := "the values of " + flagName + " " + shellQuote(data)
	if data == "" {
		source = "the values of the built-in MNIST"
	}
	note := fmt.Sprintf("%s lie mostly in %v, but %s was trained on values mostly in %v, and inputs on another scale or that far off give embeddings that mean nothing; rescale the data to the training range",
		source, r, shellQuote(path), *m.Inputs)
	// Pixels read from a single IDX file against a model trained on an
	// IDX directory, or the reverse.
	ratio := r.Span() / m.Inputs.Span()
	if (ratio > 200 && ratio < 300) || (ratio > 1.0/300 && ratio < 1.0/200) {
		note += ". A factor of 255 is the difference between an IDX directory, whose pixels nidim scales to [0, 1], and a single IDX file, read as raw values 0-255: pass --data in the form the model was trained on"
	}
	if ratio > 200 && ratio < 300 && tensor.IsIDXName(data) {
		note += ". A directory that contains only the images, named " + mnist.TestImages + ", is enough for embed and score"
	}
	return note
}

// checkpointArg returns the checkpoint of a command that takes it as the
// one argument or as --model (model). example is the command line that
// the error for a missing checkpoint shows.
func checkpointArg(positional []string, model, example string) (string, error) {
	switch {
	case len(positional) > 1:
		return "", fmt.Errorf("unexpected argument %q; pass one CHECKPOINT", positional[1])
	case len(positional) == 1 && model != "":
		return "", fmt.Errorf("the model is given twice, as --model %s and as the argument %s; pass it once", model, positional[0])
	case len(positional) == 1:
		return positional[0], stdinCheckpointError("CHECKPOINT", positional[0])
	case model != "":
		return model, stdinCheckpointError("--model", model)
	}
	return "", fmt.Errorf("missing CHECKPOINT; pass the model file written by nidim train, as in %s", example)
}

// stdinCheckpointError returns an error when path, given as source (a flag
// or an argument name), is "-" and no file has that name. Commands load a
// checkpoint only from a named file, so "-" does not mean standard input
// as it does for nidim test.
func stdinCheckpointError(source, path string) error {
	if path != stdinPath {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return fmt.Errorf("%s - would read a checkpoint file named \"-\", but there is none; nidim reads a checkpoint only from a file, not from standard input, so pass its path", source)
}

// noImagesError returns the error for an MNIST-style directory dir, given
// with the flag flagName, whose images file of split contains no images.
func noImagesError(flagName, dir, split string) error {
	return fmt.Errorf("%s %s contains no images in its %s split; pass a directory whose %s images file contains at least one image", flagName, dir, split, split)
}

// modelInput loads the rows that embed and score run through m, from
// data and --split, and checks them against the model. Errors name data
// as the value of flagName, such as --data. split is "" when
// --split was not given, which reads the test split of MNIST-style data.
// A matrix file is read whole, whatever split is. labels are the class
// labels of MNIST-style data and nil for a matrix file.
func modelInput(flagName, data, split string, m *dim.Model) (x *tensor.Tensor, labels []int, err error) {
	if split == "" {
		split = "test"
	}
	switch {
	case data == "" && !mnist.Embedded:
		return nil, nil, noBuiltinSplitError(split)
	case data == "":
		set, err := mnist.LoadSplit(split)
		if err != nil {
			return nil, nil, err
		}
		x, labels = set.Images, set.Labels
	case isDir(data):
		if err := checkIDXDir(flagName, data); err != nil {
			return nil, nil, err
		}
		// Only the files of the split are read, so a directory with only
		// the test files of another data set can be embedded and scored.
		set, err := mnist.LoadDirSplit(data, split)
		if err != nil {
			return nil, nil, err
		}
		if set.Len() == 0 {
			return nil, nil, noImagesError(flagName, data, split)
		}
		x, labels = set.Images, set.Labels
	default:
		// A matrix file is read whole: input selects the rows of a
		// --split, once it has printed the notes on the whole file.
		if x, err = readMatrixRows(flagName, data); err != nil {
			return nil, nil, err
		}
	}
	// x comes with this error, so that input can print the notes on
	// the file, such as that of an index column, which explains an extra
	// column.
	if err := checkInputSize(m, x.Shape[1], flagName, data); err != nil {
		return x, nil, err
	}
	return x, labels, nil
}

// readMatrixRows reads the matrix file at path, given with the flag
// flagName, as float32 rows. It returns an error for a file without rows
// or with a value that float32 cannot hold.
func readMatrixRows(flagName, path string) (*tensor.Tensor, error) {
	values, rows, cols, err := tensor.ReadMatrixFile(path)
	if err != nil {
		return nil, dataFileError(flagName, path, err)
	}
	if rows == 0 {
		return nil, noSamplesError(flagName, path)
	}
	if err := checkSamples(flagName, path, values, cols); err != nil {
		return nil, err
	}
	x := tensor.New(rows, cols)
	for i, v := range values {
		x.Data[i] = float32(v)
	}
	return x, nil
}

// checkInputSize returns an error when samples of the given number of
// values do not fit the model's input. data is the value of flagName, such
// as --data. When it is empty, the samples came from the built-in MNIST,
// and the error states that.
func checkInputSize(m *dim.Model, values int, flagName, data string) error {
	want := m.Encoder.InputSize()
	if values == want {
		return nil
	}
	if data == "" {
		return fmt.Errorf("%s; pass --data FILE with samples of that size, such as the data it was trained on", builtinMNISTMismatch("the model", m, values))
	}
	return fmt.Errorf("the data has %d values per sample but the model was trained on samples of shape %v (%d values); pass %s with samples of %d values", values, m.Config.Input, want, flagName, want)
}

// builtinMNISTMismatch states that without --data nidim read the built-in
// MNIST, whose samples have values values, but that m, called model in the
// message, expects samples of another size.
func builtinMNISTMismatch(model string, m *dim.Model, values int) string {
	return fmt.Sprintf("no --data was given, so nidim read the built-in MNIST (%d values per sample), but %s expects %d values per sample (shape %v)",
		values, model, m.Encoder.InputSize(), m.Config.Input)
}

// noBuiltinSplitError returns noBuiltinMNISTError for a command that
// reads the split (train or test) of MNIST-style data.
func noBuiltinSplitError(split string) error {
	images, labels, name := mnist.TestImages, mnist.TestLabels, "test"
	if split == "train" {
		images, labels, name = mnist.TrainImages, mnist.TrainLabels, "training"
	}
	return noBuiltinMNISTError(fmt.Sprintf("the images of the %s split, %s (plain or gzipped; its labels file %s is optional)", name, images, labels))
}

// noBuiltinMNISTError returns the error of a command that would read the
// built-in MNIST, because no --data was given, in a binary built with the
// tag nomnist. dirFiles names the IDX files that a --data directory needs.
func noBuiltinMNISTError(dirFiles string) error {
	return fmt.Errorf("no --data was given, and this nidim was built without the embedded MNIST (build tag nomnist); pass --data DIR, a directory with %s, or --data FILE, a matrix file (.npy, .csv, .tsv or .txt, optionally gzipped) with one sample per row", dirFiles)
}

// columnNumbersNote returns a note when the first row of values is 0, 1,
// ..., cols-1 or 1, 2, ..., cols and came from the first line of a text
// matrix, and "" otherwise. values is a matrix of cols columns read from
// source, such as "--data x.csv". tensor.ReadCSV reads a header of unquoted
// numbers, which pandas writes for integer column names, as a data row,
// so such a row is most likely a header that adds one sample to the
// user's rows. Fewer than 3 columns are too likely to start with such
// values by chance. textStart returns the first bytes of the input,
// decompressed, or nil when it is not text. It is called only for a
// numbered row, to see whether a header line came before it.
// NOTE: ReadMatrixFile does not report whether it skipped a header, so
// textStart reads the start of the file a second time.
func columnNumbersNote(source string, values []float64, cols int, textStart func() []byte) string {
	if cols < 3 || len(values) < cols {
		return ""
	}
	start := -1.0
	for _, first := range []float64{0, 1} {
		numbered := true
		for k, v := range values[:cols] {
			if v != first+float64(k) {
				numbered = false
				break
			}
		}
		if numbered {
			start = first
		}
	}
	if start < 0 || hasHeaderLine(textStart()) {
		return ""
	}
	return fmt.Sprintf("the first row of %s is the numbers %g to %g in order, which looks like a header of column numbers. A line of unquoted numbers is read as data, so it became the first sample, one more than the file's data rows; remove that line, quote the names (\"%g\",\"%g\",...), or write the file without a header (pandas: to_csv(header=False))",
		source, start, start+float64(cols-1), start, start+1)
}

// dataFileError names the flag, such as --data, and its path in err, an
// error of tensor.ReadMatrixFile, as fileFlagError does. A field of text in a
// data row gets its own message: a marker of a missing value, such as NA,
// requests the value, and other text, such as a category, names its
// column and states that nidim reads numbers only. An empty field, a
// missing value as pandas' to_csv writes NaN, gets the count of the lines
// with one (see emptyFieldLines). An existing image file gets the advice
// to pass its directory.
func dataFileError(flagName, path string, err error) error {
	if imagedir.IsImageName(path) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s is one image file, but nidim reads images only as a directory of them; pass the directory that holds it, %s, or put the file in a directory of its own",
			flagName, shellQuote(path), shellQuote(filepath.Dir(path)))
	}
	var invalid *tensor.FormatError
	if errors.As(err, &invalid) && invalid.Line > 0 && invalid.Value == "" {
		count := ""
		if n := emptyFieldLines(path); n > 1 {
			count = fmt.Sprintf(", and %d lines of the file have an empty field", n)
		}
		return fmt.Errorf("%s %s: %s is empty, a missing value, which nidim cannot train or embed with%s; fill the values in, such as with the column's mean, or drop those rows",
			flagName, path, textValuePlace(invalid), count)
	}
	if !errors.As(err, &invalid) || invalid.Value == "" {
		return fileFlagError(flagName, path, err)
	}
	where := textValuePlace(invalid)
	if isMissingMarker(invalid.Value) {
		return fmt.Errorf("%s %s: %s holds %s, a marker of a missing value, which nidim cannot train or embed with; fill the value in or drop the row",
			flagName, path, where, quoteValue(invalid.Value))
	}
	return fmt.Errorf("%s %s: %s holds %s, which is not a number. nidim reads numeric features only, so drop that column or encode its values as numbers (such as one column of 0 or 1 per category)",
		flagName, path, where, quoteValue(invalid.Value))
}

// textValuePlace names the line, field and, when the file has a header,
// column of the text value in invalid, for the errors on text where a
// number belongs.
func textValuePlace(invalid *tensor.FormatError) string {
	where := fmt.Sprintf("line %d, field %d", invalid.Line, invalid.Field)
	if invalid.Column != "" {
		where += fmt.Sprintf(" (column %s)", quoteValue(invalid.Column))
	}
	return where
}

// isMissingMarker reports whether a text value is one of the usual
// markers of a missing value, such as NA or NaN.
func isMissingMarker(value string) bool {
	switch strings.ToLower(value) {
	case "na", "n/a", "nan", "null", "none", "missing", "?", "-", "--", ".":
		return true
	}
	return false
}

// indexColumnNote returns a note when the first of the cols columns of a
// matrix of rows rows, read from source, such as "--data x.csv", holds the
// row numbers in order, start, start+1, ..., for a whole number start of
// 0 or more, and "" otherwise. at returns the value of row i in that
// column. pandas' to_csv writes the row index so unless index=False, and
// nidim would take it for a feature that tells every row apart, or for an
// embedding component; effect says which, as a sentence. Fewer than 10
// rows or 2 columns are too likely to hold such values by chance, or to
// be nothing but the index.
func indexColumnNote(source, effect string, rows, cols int, at func(i int) float64) string {
	if rows < 10 || cols < 2 {
		return ""
	}
	start := at(0)
	if start < 0 || start != math.Trunc(start) {
		return ""
	}
	for i := 1; i < rows; i++ {
		if at(i) != start+float64(i) {
			return ""
		}
	}
	return fmt.Sprintf("column 1 of %s holds the row numbers %g to %g in order, as the index column that pandas' to_csv writes unless index=False. %s; drop that column, or write the file with to_csv(index=False)",
		source, start, start+float64(rows-1), effect)
}

// matrixLayoutNote returns the note on the layout of values, a matrix of
// rows x cols read from source: a first row of column numbers (see
// columnNumbersNote), else a first column of row numbers (see
// indexColumnNote, with indexEffect), else "". The two rarely come
// together, because an index column would start the header row with 0.
func matrixLayoutNote(source, indexEffect string, values []float64, rows, cols int, textStart func() []byte) string {
	if note := columnNumbersNote(source, values, cols, textStart); note != "" {
		return note
	}
	return indexColumnNote(source, indexEffect, rows, cols, func(i int) float64 { return values[i*cols] })
}

// featureIndexEffect is the effect of an index column in --data for
// indexColumnNote.
const featureIndexEffect = "nidim reads it as a feature like any other, which tells every row apart by its place in the file"

// hasHeaderLine reports whether the first line of text that tensor.ReadCSV
// does not skip (blank lines and # comments) is a header. Nil text, an
// input that is not text, counts as a header, so that it gets no note.
func hasHeaderLine(text []byte) bool {
	if text == nil {
		return true
	}
	header, found, err := firstLineHeader(text)
	return !found || err != nil || header != nil
}

// textFileStart returns a function that reads the first headSize bytes of
// the text matrix at path, decompressed when its name ends in .gz. The
// function returns nil when path cannot be read or is not named as a text
// matrix (.csv, .tsv or .txt, optionally .gz).
func textFileStart(path string) func() []byte {
	return func() []byte {
		r, closeText, ok := openTextMatrix(path)
		if !ok {
			return nil
		}
		defer closeText()
		text, err := io.ReadAll(io.LimitReader(r, headSize))
		if err != nil && len(text) == 0 {
			return nil
		}
		return text
	}
}

// openTextMatrix opens path when its name is that of a text matrix (.csv,
// .tsv or .txt, optionally .gz) and returns a reader of its text,
// decompressed for .gz, and the function that closes the file. ok is false
// for another name, or when the file cannot be opened or decompressed.
func openTextMatrix(path string) (text io.Reader, closeText func(), ok bool) {
	name := strings.ToLower(filepath.Base(path))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".tsv") && !strings.HasSuffix(name, ".txt") {
		return nil, nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false
	}
	if !gz {
		return f, func() { f.Close() }, true
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, false
	}
	closeText = func() {
		zr.Close()
		f.Close()
	}
	return zr, closeText, true
}

// inputFlagsHelp returns the help of the input flags that embed and score
// share: --data, --split, --row-numbers and --paths. done is the past
// participle of the command, such as "embedded".
func inputFlagsHelp(done string) string {
	return `  --data PATH          an MNIST-style IDX directory, a directory of images or
                       a matrix file (.npy, .csv, .tsv, .txt, optionally .gz)
                       with one sample per row (default: built-in MNIST). An
                       IDX directory's pixels are scaled to [0, 1], and a
                       single IDX file is read as a matrix of its raw values
                       (0-255). A directory of images (see nidim help train)
                       is read class by class in label order, files
                       sorted within each, in the model's channels (a
                       grayscale image becomes three equal channels for a
                       colour model, and a colour image for a grayscale
                       model is an error), resized to the model's height
                       and width with the filter of --image-size; a note
                       counts the resized images. A note says when the
                       values look like another scale than the model's
                       training inputs
  --split NAME         test or train (default: test for MNIST-style data).
                       An IDX directory needs only the images of the split,
                       such as t10k-images-idx3-ubyte for test, and its
                       labels file, t10k-labels-idx1-ubyte, when there is
                       one. A matrix file or a directory of images is
                       ` + done + ` whole without --split. With it, nidim
                       splits the rows as nidim train did, with the --seed
                       and --test-fraction that the checkpoint records, and
                       takes the held-out rows (test) or the others
                       (train), in their input order. The data must be
                       what the model was trained on, its rows in the same
                       order: a training split that does not match the
                       checkpoint's data fingerprint is an error, and so is
                       --split with a checkpoint that records no split (one
                       trained on an IDX directory, or by an older nidim)
  --row-numbers FILE   also write the row number in the input of each
                       output row, counting from 0 as NumPy and pandas
                       index, so that data[numbers] gives the rows that
                       were ` + done + `: in .npy a 1-D int64 array, in .csv,
                       .tsv or .txt one number per line (each optionally
                       .gz). The numbers count the samples, so a header
                       line of a text file is not one of them (default:
                       none)
  --paths FILE         also write the image file of each output row, one
                       path per line, as --data joined with the class
                       directory and the file name; only for a directory
                       of images (default: none)
`
}

// setThreads applies a --threads value to the layers and matrix products,
// where 0 means GOMAXPROCS. It sets 0 too, so that a command run in the
// same process after another, as in tests, does not keep its count.
func setThreads(n int) {
	tensor.SetThreads(n)
	nn.SetThreads(n)
}

// checkSampleShape returns an error when m, read from path, was trained on
// samples of another shape than shape. For a matrix --data only
// --image-shape sets the shape, so the error names the value to pass.
// fromIDX is set when the samples come from an MNIST-style data set, the
// built-in one or a directory, whose images take no --image-shape.
func checkSampleShape(path string, m *dim.Model, shape []int, fromIDX bool) error {
	want := m.Config.Input
	if len(want) == 0 || slices.Equal(want, shape) {
		return nil
	}
	if len(want) != 3 {
		fix := "drop --image-shape"
		if fromIDX {
			fix = "pass the matrix file --data it was trained on"
		}
		return fmt.Errorf("%s was trained on feature vectors of shape %v, but the samples are images of shape %v; %s", path, want, shape, fix)
	}
	dims := make([]string, len(want))
	for i, v := range want {
		dims[i] = strconv.Itoa(v)
	}
	fix := "pass --image-shape " + strings.Join(dims, ",")
	if fromIDX {
		fix = "pass the --data it was trained on, or a matrix file --data with --image-shape " + strings.Join(dims, ",")
	}
	return fmt.Errorf("%s was trained on images of shape %v, but the samples have shape %v; %s", path, want, shape, fix)
}
