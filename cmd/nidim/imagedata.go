package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/tensor"
)

// idxNames are the files whose presence makes a directory MNIST-style.
var idxNames = []string{mnist.TrainImages, mnist.TrainLabels, mnist.TestImages, mnist.TestLabels}

// hasIDXFiles reports whether dir contains one of the four MNIST IDX
// files, plain or gzipped.
func hasIDXFiles(dir string) bool {
	for _, name := range idxNames {
		for _, ext := range []string{"", ".gz"} {
			if fi, err := os.Stat(filepath.Join(dir, name+ext)); err == nil && !fi.IsDir() {
				return true
			}
		}
	}
	return false
}

// isImageDir reports whether path is a directory of images: a directory
// without MNIST IDX files that contains image files, directly or in
// subdirectories. Every other directory is read as MNIST-style, and
// checkIDXDir rejects those that are not.
func isImageDir(path string) bool {
	return isDir(path) && !hasIDXFiles(path) && imagedir.Contains(path)
}

// isIDXDir reports whether path is a directory read as MNIST-style.
func isIDXDir(path string) bool {
	return isDir(path) && !isImageDir(path)
}

// splitsByFraction reports whether --data data is split by
// --test-fraction: a matrix file or a directory of images.
func splitsByFraction(data string) bool {
	return data != "" && !isIDXDir(data)
}

// checkIDXDir returns an error when dir, given with flagName, has both
// layouts that nidim reads from a directory, or neither.
func checkIDXDir(flagName, dir string) error {
	idx := fmt.Sprintf("the MNIST-style IDX files (%s, %s, %s and %s, plain or gzipped)",
		mnist.TrainImages, mnist.TrainLabels, mnist.TestImages, mnist.TestLabels)
	images := fmt.Sprintf("image files (%s), directly or in one subdirectory per class", imagedir.ExtensionList)
	if !hasIDXFiles(dir) {
		return fmt.Errorf("%s %s contains neither %s nor %s; pass a directory with one of the two%s", flagName, shellQuote(dir), idx, images, otherFilesHint(dir))
	}
	if imagedir.Contains(dir) {
		return fmt.Errorf("%s %s contains both %s and %s, so nidim cannot tell which to read; move one of them to another directory", flagName, shellQuote(dir), idx, images)
	}
	return nil
}

// otherFilesHint returns, for a directory without images or IDX files,
// a sentence that counts the visible files in it and in its
// subdirectories, which nidim does not read, and names the first, such
// as a photo in HEIC or WebP. It returns "" when there are none.
func otherFilesHint(dir string) string {
	count, first := 0, ""
	visit := func(d string) []os.DirEntry {
		list, err := os.ReadDir(d)
		if err != nil {
			return nil
		}
		for _, e := range list {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if count == 0 {
					first = filepath.Join(d, e.Name())
				}
				count++
			}
		}
		return list
	}
	for _, e := range visit(dir) {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			visit(filepath.Join(dir, e.Name()))
		}
	}
	if count == 0 {
		return ""
	}
	return fmt.Sprintf(". It contains %s of other types, such as %s, which nidim does not read; convert images to PNG or JPEG",
		plural(count, "file", "files"), shellQuote(first))
}

// imageSizeFlag is the flag that resizes the images of a directory.
const imageSizeFlag = "--image-size"

// imageFitFlag is the flag that chooses how the images of a directory
// are brought to the aspect ratio of --image-size.
const imageFitFlag = "--image-fit"

// squeezeFit is the --image-fit value that crops nothing, the default.
var squeezeFit = imagedir.Squeeze.String()

// configImageFit returns the dim.Config.ImageFit of the --image-fit
// value fit: dim.ImageFitCrop for crop, and "" for squeeze or no flag,
// which leaves the checkpoint as it was before the flag existed.
func configImageFit(fit string) string {
	if fit == imagedir.Crop.String() {
		return dim.ImageFitCrop
	}
	return ""
}

// trainedImageFit returns how the images of the model with config cfg
// were brought to its input size.
func trainedImageFit(cfg *dim.Config) imagedir.Fit {
	if cfg.ImageFit == dim.ImageFitCrop {
		return imagedir.Crop
	}
	return imagedir.Squeeze
}

// readImageDir reads the directory of images dir, given with flagName,
// and returns it with a note, or "".
// size and fit are the --image-size and --image-fit values, or "".
// threads is --threads, the number of goroutines that decode the images,
// 0 for all cores. model, when not nil and its input has three
// dimensions, is the config of a trained model, whose C,H,W input and
// image fit the images are read in: a size or fit other than the
// model's is then an error. path is the model's file for messages, or
// "". The note counts the skipped files, the images with colour, the
// JPEG and PNG files turned upright by their EXIF orientation, the
// cropped images and, for a model, the resized images. progress, when
// not nil, receives the status of the reading, as
// imagedir.Options.Progress.
func readImageDir(flagName, dir, size, fit string, threads int, model *dim.Config, path string, progress func(string)) (*imagedir.Set, string, error) {
	opt := imagedir.Options{SizeFlag: imageSizeFlag, MaxBytes: float64(physicalMemory()), Threads: threads, Progress: progress}
	if size != "" {
		h, w, err := imagedir.ParseSize(size)
		if err != nil {
			return nil, "", fmt.Errorf("invalid %s %q; use HEIGHTxWIDTH with each side from 1 to %d, such as 28x28", imageSizeFlag, size, imagedir.MaxSide)
		}
		opt.Height, opt.Width = h, w
	}
	if fit != "" {
		f, err := imagedir.ParseFit(fit)
		if err != nil {
			return nil, "", fmt.Errorf("invalid %s %q; use squeeze to resize whole images or crop to cut their centre to the aspect ratio of %s first", imageFitFlag, fit, imageSizeFlag)
		}
		opt.Fit = f
	}

	fromModel := model != nil && len(model.Input) == 3
	if fromModel {
		shape := model.Input
		if size != "" && (opt.Height != shape[1] || opt.Width != shape[2]) {
			return nil, "", fmt.Errorf("%s %s differs from the %dx%d images that %s was trained on; drop %s, which the model fixes",
				imageSizeFlag, size, shape[1], shape[2], modelName(path), imageSizeFlag)
		}
		trained := trainedImageFit(model)
		if fit != "" && opt.Fit != trained {
			return nil, "", fmt.Errorf("%s %s differs from the %s fit that %s was trained with; drop %s, which the model fixes",
				imageFitFlag, fit, trained, modelName(path), imageFitFlag)
		}
		opt.Height, opt.Width, opt.SizeFlag, opt.Fit = shape[1], shape[2], "", trained
		if shape[0] == 1 || shape[0] == 3 {
			opt.Channels = shape[0]
		}
	} else if opt.Fit == imagedir.Crop && size == "" {
		return nil, "", fmt.Errorf("%s crop cuts images to the aspect ratio of %s, which is not given, so every image must have the first one's size and none is cut; pass %s HxW, or drop %s",
			imageFitFlag, imageSizeFlag, imageSizeFlag, imageFitFlag)
	}
	set, err := imagedir.Load(dir, opt)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", flagName, shellQuote(dir), err)
	}

	var notes []string
	if set.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("skipped %s that nidim does not read: files other than %s, hidden entries (names that start with a dot, such as .DS_Store) and directories inside class directories",
			plural(set.Skipped, "entry", "entries"), imagedir.ExtensionList))
	}
	switch {
	case set.Channels == 3 && !fromModel:
		gray := ""
		if set.Gray > 0 {
			gray = fmt.Sprintf(", and the %d grayscale ones have three equal channels", set.Gray)
		}
		notes = append(notes, fmt.Sprintf("%d of the %d images have colour, so every image has 3 channels (red, green, blue; alpha is dropped)%s",
			set.N-set.Gray, set.N, gray))
	case set.Gray > 0:
		notes = append(notes, fmt.Sprintf("%s takes 3 channels, so the %d grayscale images of the %d have three equal channels",
			modelName(path), set.Gray, set.N))
	}
	if set.Oriented > 0 {
		notes = append(notes, fmt.Sprintf("turned %d of the %d images upright by the EXIF orientation of their JPEG or PNG files, as image viewers show them",
			set.Oriented, set.N))
	}
	if set.Cropped > 0 {
		notes = append(notes, fmt.Sprintf("cropped %d of the %d images to the aspect ratio of %dx%d, keeping their centre, before resizing them, as %s crop does",
			set.Cropped, set.N, set.Height, set.Width, imageFitFlag))
	}
	if fromModel && set.Resized > 0 {
		notes = append(notes, fmt.Sprintf("resized %d of the %d images to %dx%d, the input size of %s, with the area-averaging filter of nidim train --image-size",
			set.Resized, set.N, set.Height, set.Width, modelName(path)))
	}
	note := ""
	if len(notes) > 0 {
		// The notes after the first start sentences of their own, so each
		// begins with a word, never with a file name.
		for i := 1; i < len(notes); i++ {
			notes[i] = strings.ToUpper(notes[i][:1]) + notes[i][1:]
		}
		note = fmt.Sprintf("%s %s: %s", flagName, shellQuote(dir), strings.Join(notes, ". "))
	}
	return set, note, nil
}

// modelLabels returns the labels of set numbered as the model read from
// path numbers its classes, the class directories classes in label order.
// So a directory with some of those classes, or with more, keeps the
// model's numbers. Classes that the model was not trained on get the
// numbers after its classes, and the returned note names them, with the
// model's classes and any of them that differs only in letter case.
// Without labels the labels stay nil. Without class names (a model
// trained on other data, or by an older nidim) the labels stay those of
// set, and the note lists their numbers.
func modelLabels(set *imagedir.Set, classes []string, path string) ([]int, string) {
	if set.Labels == nil {
		return nil, ""
	}
	if classes == nil {
		return set.Labels, unnamedClassesNote(set.Classes, path)
	}

	number := make(map[string]int, len(classes))
	for i, name := range classes {
		number[storedClassName(name)] = i
	}
	byLabel := make([]int, len(set.Classes))
	var unseen []string
	for i, name := range set.Classes {
		n, ok := number[storedClassName(name)]
		if !ok {
			n = len(classes) + len(unseen)
			unseen = append(unseen, fmt.Sprintf("%s (label %d%s)", shellQuote(name), n, caseOnlyMatch(name, classes)))
		}
		byLabel[i] = n
	}

	labels := make([]int, len(set.Labels))
	for i, l := range set.Labels {
		labels[i] = byLabel[l]
	}
	if len(unseen) == 0 {
		return labels, ""
	}
	note := fmt.Sprintf("%s was trained on %s (%s), and class directories of the same names get their labels; the ones it was not trained on get the next labels: %s",
		modelName(path), plural(len(classes), "class", "classes"), classList(classes), strings.Join(unseen, ", "))
	if len(unseen) == len(set.Classes) {
		note += ". No class directory of --data has the name of a class of the model, so every label is a new one; rename a directory to a class of the model to give it that class's label"
	}
	return labels, note
}

// renamedClassesNote returns a note when the class directories of --data,
// dataClasses, are not named as the classes that the model read from
// path stores, or "" when they are or either has no names. outcome
// states which names the command keeps. Such data passes the data fingerprint
// only when the renaming kept the sorted order of the directories, so the
// labels still match.
func renamedClassesNote(path string, modelClasses, dataClasses []string, outcome string) string {
	stored := func(model, data string) bool { return model == storedClassName(data) }
	if modelClasses == nil || dataClasses == nil || slices.EqualFunc(modelClasses, dataClasses, stored) {
		return ""
	}
	return fmt.Sprintf("the class directories of --data are %s, but %s was trained on classes named %s; the labels follow the directories in their sorted order, and %s",
		classList(dataClasses), modelName(path), classList(modelClasses), outcome)
}

// unnamedClassesNote returns the note for the class directory names of
// --data labelled by a model read from path that stores no class names.
func unnamedClassesNote(names []string, path string) string {
	numbered := make([]string, len(names))
	for i, name := range names {
		numbered[i] = fmt.Sprintf("%s (label %d)", shellQuote(name), i)
	}
	return fmt.Sprintf("%s stores no class names (it was trained on an MNIST-style data set or a matrix file, or by an older nidim), so the labels number the class directories of --data in their own order: %s",
		modelName(path), classList(numbered))
}

// caseOnlyMatch returns, for a class directory name that is not one of
// the model's classes, a remark naming the model's class that differs
// from it only in letter case, or "" when there is none.
func caseOnlyMatch(name string, classes []string) string {
	for _, class := range classes {
		if strings.EqualFold(name, class) {
			return fmt.Sprintf("; the model's class %s differs only in letter case", shellQuote(class))
		}
	}
	return ""
}

// maxListedClasses is how many class names a note lists before it
// counts the rest.
const maxListedClasses = 10

// classList returns names joined for a note, the first maxListedClasses
// of them and the count of the others.
func classList(names []string) string {
	if len(names) <= maxListedClasses {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListedClasses], ", "), len(names)-maxListedClasses)
}

// readImagesDone starts the last progress line of reading a directory
// of images in a log file.
const readImagesDone = "read the images"

// storedClassName returns name as a checkpoint stores it: the JSON
// encoding replaces each byte that is not valid UTF-8 with U+FFFD, so a
// directory name with such bytes only matches the stored name in this
// form.
// NOTE: two names that differ only in such bytes match the same class.
func storedClassName(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	text, err := json.Marshal(name)
	if err != nil {
		return name
	}
	var stored string
	if err := json.Unmarshal(text, &stored); err != nil {
		return name
	}
	return stored
}

// modelName returns the model at path for the start of a note: "the
// model" and the path, or "the model" alone when path is "".
func modelName(path string) string {
	if path == "" {
		return "the model"
	}
	return "the model " + path
}

// imageTensor returns the samples of set as an N x (C*H*W) tensor.
func imageTensor(set *imagedir.Set) *tensor.Tensor {
	return &tensor.Tensor{Shape: []int{set.N, set.Channels * set.Height * set.Width}, Data: set.X}
}

// loadImageData returns the training and test splits of the directory of
// images --data, split as a matrix file is: shuffled with seed, with the
// last --test-fraction held out.
func loadImageData(df dataFlags, seed uint64) (train, test *dim.Dataset, note layoutNote, err error) {
	if df.labels != "" {
		return nil, nil, note, fmt.Errorf("--labels %s applies to a matrix file --data, but --data %s is a directory of images, which takes its labels from its class subdirectories; drop --labels",
			shellQuote(df.labels), shellQuote(df.data))
	}
	if df.imageShape != "" {
		return nil, nil, note, fmt.Errorf("--image-shape %s applies to a matrix file --data, but --data %s is a directory of images, whose channels and size come from the files; drop --image-shape, and pass --image-size HxW to resize the images",
			shellQuote(df.imageShape), shellQuote(df.data))
	}
	if !(df.testFraction > 0 && df.testFraction < 1) {
		return nil, nil, note, fmt.Errorf("invalid --test-fraction %v; use a share between 0 and 1 such as 0.1", df.testFraction)
	}
	show, finish := startProgress(df.stderr, df.command+": ", readImagesDone)
	set, text, err := readImageDir("--data", df.data, df.imageSize, df.imageFit, df.threads, df.modelConfig, df.modelPath, show)
	finish()
	if err != nil {
		return nil, nil, note, err
	}
	note.text = text
	train, test, err = splitImageSet(df, seed, set)
	return train, test, note, err
}

// splitImageSet returns the training and test splits of set, the rows
// and labels that splitRows gives a matrix file with the same seed and
// --test-fraction. It moves the rows of set.X into split order in place
// and returns the two splits as parts of set.X, so reading a directory
// of images needs its samples once, not twice as a copy would.
func splitImageSet(df dataFlags, seed uint64, set *imagedir.Set) (train, test *dim.Dataset, err error) {
	rows, cols := set.N, len(set.X)/set.N
	nTest := testRowCount(rows, df.testFraction)
	if nTest < 1 || rows-nTest < 2 {
		return nil, nil, splitSizeError(df, rows, nTest)
	}
	order := shuffledRows(rows, seed)
	permuteRows(set.X, cols, order)
	var labels []int
	if set.Labels != nil {
		labels = make([]int, rows)
		for i, r := range order {
			labels[i] = set.Labels[r]
		}
	}

	shape := []int{set.Channels, set.Height, set.Width}
	split := func(from, to int) *dim.Dataset {
		// The full slice expression keeps an append to the training split
		// from writing over the test split.
		x := set.X[from*cols : to*cols : to*cols]
		d := &dim.Dataset{X: &tensor.Tensor{Shape: []int{to - from, cols}, Data: x}, Shape: shape}
		if labels != nil {
			d.Labels, d.Classes = labels[from:to:to], set.Classes
		}
		return d
	}
	nTrain := rows - nTest
	return split(0, nTrain), split(nTrain, rows), nil
}

// permuteRows reorders the rows of cols values in x in place so that row
// i becomes the old row order[i]. It follows each cycle of the
// permutation with one row of scratch space.
func permuteRows(x []float32, cols int, order []int) {
	done := make([]bool, len(order))
	scratch := make([]float32, cols)
	row := func(i int) []float32 { return x[i*cols : (i+1)*cols] }
	for start := range order {
		if done[start] {
			continue
		}
		copy(scratch, row(start))
		i := start
		for {
			done[i] = true
			next := order[i]
			if next == start {
				copy(row(i), scratch)
				break
			}
			copy(row(i), row(next))
			i = next
		}
	}
}

// checkPathsFlag returns an error when --paths is given for data that is
// not a directory of images, whose rows have no file names.
func checkPathsFlag(paths, data string) error {
	if paths == "" || (data != "" && isImageDir(data)) {
		return nil
	}
	return fmt.Errorf("--paths %s writes the image file of each output row, but --data %s is not a directory of images; drop --paths, and use --row-numbers for the row of each output in the input",
		shellQuote(paths), dataName(data))
}

// dataName returns the --data value for messages.
func dataName(data string) string {
	if data == "" {
		return "(the built-in MNIST)"
	}
	return shellQuote(data)
}

// checkPathNames returns an error for an image file whose name has a
// line break, which --paths, one name per line, cannot write.
func checkPathNames(flagValue string, names []string) error {
	for _, name := range names {
		if strings.ContainsAny(name, "\n\r") {
			return fmt.Errorf("the image file %q has a line break in its name, which --paths %s cannot write one per line; rename the file, or drop --paths and use --row-numbers", name, flagValue)
		}
	}
	return nil
}

// writePaths writes the file names of the selected rows of in to path,
// one per line, in output order, and returns the clause of the success
// message that names the file.
func writePaths(path string, in *inputRows) (string, error) {
	names := make([]string, len(in.numbers))
	for i, r := range in.numbers {
		names[i] = in.paths[r]
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		b := bufio.NewWriter(w)
		for _, name := range names {
			b.WriteString(name)
			b.WriteByte('\n')
		}
		return b.Flush()
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("their image files (one per line) to %s", path), nil
}
