package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/dim"
)

// standardizeDefault returns whether a new model standardizes its inputs:
// the --standardize value when given, and otherwise whether the samples,
// of the given shape, are feature vectors. Unscaled features in other
// units reach the encoder at scales far apart: on scikit-learn's
// breast-cancer data the largest correlation of the test embeddings was
// 0.996, against 0.176 standardized. Images keep their pixel values,
// which the image views and encoders expect.
func standardizeDefault(explicit map[string]bool, flagValue bool, shape []int) bool {
	if explicit["standardize"] {
		return flagValue
	}
	return len(shape) == 1
}

// checkStandardizeData returns an error when --standardize is set but the
// samples, of the given shape, are images: the statistics are per
// feature, and the image views and encoders expect pixel values.
func checkStandardizeData(df dataFlags, shape []int) error {
	if len(shape) == 1 {
		return nil
	}
	source := fmt.Sprintf("--image-shape %s makes each row of --data an image", df.imageShape)
	switch {
	case df.data == "":
		source = "without --data nidim reads the built-in MNIST images"
	case isImageDir(df.data):
		source = fmt.Sprintf("--data %s is a directory of image files", shellQuote(df.data))
	case isDir(df.data):
		source = fmt.Sprintf("--data %s is an MNIST-style directory of images", shellQuote(df.data))
	}
	return fmt.Errorf("--standardize applies to feature vectors only, but %s (shape %v); drop --standardize, or pass a matrix --data without --image-shape", source, shape)
}

// checkFeatureSpread returns an error when every feature of the training
// rows, feature vectors read from --data, is constant, because the
// encoder then has nothing to learn. Otherwise it returns the notes on the
// constant features and, without --standardize, on features of very
// different scales (see scaleSpreadNote), none when neither applies, and
// the standardization fitted on the training rows, which a new model with
// --standardize takes. Without --standardize it also notes the columns
// whose spread the vector views' noise, noise.value, exceeds (see
// featureNoiseNote). Images are not checked and get no standardization,
// because constant pixels, such as MNIST's borders, are common. Neither
// do vectors that look like images, when layout.images is set (train and
// sweep clear it when --standardize is given): the note on the layout
// already covers them. A feature
// counts as constant as in dim.FitStandardization, but the note on
// constant features leaves out the columns of layout.rounded, which vary
// in the file until float32 rounds them. standardize selects the notes
// for --standardize.
func checkFeatureSpread(df dataFlags, train *dim.Dataset, standardize bool, layout layoutNote, noise featureNoise) (*dim.Standardization, []string, error) {
	if len(train.Shape) != 1 {
		return nil, nil, nil
	}
	s, constant, err := dim.FitStandardization(train.X)
	if err != nil {
		return nil, nil, err
	}
	rows, cols := train.X.Shape[0], train.X.Shape[1]
	if len(constant) < cols {
		if layout.images {
			return s, nil, nil
		}
		var notes []string
		unrounded := slices.DeleteFunc(slices.Clone(constant), func(k int) bool { return slices.Contains(layout.rounded, k) })
		if note := constantFeaturesNote(unrounded, rows, standardize); note != "" {
			notes = append(notes, note)
		}
		if !standardize {
			for _, note := range []string{scaleSpreadNote(s, constant, rows), featureNoiseNote(s, constant, rows, noise)} {
				if note != "" {
					notes = append(notes, note)
				}
			}
		}
		return s, notes, nil
	}
	columns, verb := fmt.Sprintf("all %d columns", cols), "are"
	if cols == 1 {
		columns, verb = "the one column", "is"
	}
	return nil, nil, fmt.Errorf("%s of --data %s %s constant over the %d training rows, so the encoder has nothing to learn; pass data whose features vary across samples",
		columns, shellQuote(df.data), verb, rows)
}

// featureScaleRatio is the ratio between the largest and the smallest
// standard deviation of the varying features above which scaleSpreadNote
// advises against --standardize=false.
const featureScaleRatio = 100

// scaleSpreadNote returns a note when the largest standard deviation in s,
// fitted on rows training rows, exceeds featureScaleRatio times the
// smallest one of a feature that is not in constant, and "" otherwise.
// Without --standardize the encoder takes the values as they are, so the
// features of the largest spread dominate its input.
func scaleSpreadNote(s *dim.Standardization, constant []int, rows int) string {
	largest, smallest := -1, -1
	for k, sd := range s.Scale {
		if slices.Contains(constant, k) {
			continue
		}
		if largest < 0 || sd > s.Scale[largest] {
			largest = k
		}
		if smallest < 0 || sd < s.Scale[smallest] {
			smallest = k
		}
	}
	if largest < 0 || float64(s.Scale[largest]) <= featureScaleRatio*float64(s.Scale[smallest]) {
		return ""
	}
	return fmt.Sprintf("column %d (counting from 1) has a standard deviation of %.4g over the %d training rows, more than %d times the %.4g of column %d. The encoder takes the values as they are, so the columns of large spread dominate its input, which can train poorly; drop --standardize=false to scale every column to standard deviation 1",
		largest+1, s.Scale[largest], rows, featureScaleRatio, s.Scale[smallest], smallest+1)
}

// featureNoise is the standard deviation of the vector views' Gaussian
// noise, value, and the recipe that set it, or "" when --feature-noise
// was given or no recipe applies.
type featureNoise struct {
	value  float64
	recipe string
}

// newFeatureNoise returns the vector views' noise of cfg, set by recipe
// unless explicit, the flags of the command line, holds feature-noise.
func newFeatureNoise(cfg dim.Config, recipe string, explicit map[string]bool) featureNoise {
	if explicit["feature-noise"] {
		recipe = ""
	}
	return featureNoise{value: cfg.FeatureNoise, recipe: recipe}
}

// flag names the setting as the user knows it: the flag, or the
// recipe's value of it.
func (n featureNoise) flag() string {
	if n.recipe != "" {
		return fmt.Sprintf("the %s recipe's --feature-noise %g", n.recipe, n.value)
	}
	return fmt.Sprintf("--feature-noise %g", n.value)
}

// featureNoiseRatio is the ratio of the vector views' noise to the
// standard deviation of a feature above which featureNoiseNote speaks.
// There the two views of a feature correlate below 1/(1+3^2) = 0.1.
const featureNoiseRatio = 3

// featureNoiseNote returns a note when the noise of the vector views,
// which without --standardize is in the units of the data, exceeds
// featureNoiseRatio times the standard deviation in s, fitted on rows
// training rows, of a feature that is not in constant, and "" otherwise.
// The views of such a feature hold mostly noise: with the reference
// recipe's 0.1 on data scaled down 100 times, 33 of 42 tests rejected
// U[0,1]^d, against 1 on the data as it was.
func featureNoiseNote(s *dim.Standardization, constant []int, rows int, noise featureNoise) string {
	if noise.value <= 0 {
		return ""
	}
	buried, smallest := 0, -1
	varying := 0
	for k, sd := range s.Scale {
		if slices.Contains(constant, k) {
			continue
		}
		varying++
		if noise.value <= featureNoiseRatio*float64(sd) {
			continue
		}
		buried++
		if smallest < 0 || sd < s.Scale[smallest] {
			smallest = k
		}
	}
	if buried == 0 {
		return ""
	}
	fix := fmt.Sprintf("drop --standardize=false, so that the noise is measured in standard deviations of each column, or pass a --feature-noise of at most %.4g", featureNoiseRatio*float64(s.Scale[smallest]))
	if buried == 1 {
		return fmt.Sprintf("%s, a standard deviation in the units of the data, is more than %d times the standard deviation of column %d (counting from 1), %.4g over the %d training rows, so the views bury that column in noise; %s",
			noise.flag(), featureNoiseRatio, smallest+1, s.Scale[smallest], rows, fix)
	}
	columns := fmt.Sprintf("%d of the %d columns that vary", buried, varying)
	if buried == varying {
		columns = fmt.Sprintf("every one of the %d columns that vary", varying)
	}
	return fmt.Sprintf("%s, a standard deviation in the units of the data, is more than %d times the standard deviation of %s over the %d training rows (the smallest is %.4g, of column %d, counting from 1), so the views bury those columns in noise; %s",
		noise.flag(), featureNoiseRatio, columns, rows, s.Scale[smallest], smallest+1, fix)
}

// constantFeaturesNote returns the note naming the first columns of
// constant, counted from 0 as FitStandardization returns them, that have
// no spread over the training rows, or "" when constant is empty. The note
// counts columns from 1, as the --data errors do. Its advice depends on
// standardize, which is set for --standardize.
func constantFeaturesNote(constant []int, rows int, standardize bool) string {
	if len(constant) == 0 {
		return ""
	}
	const shown = 5
	names := make([]string, 0, shown)
	for _, k := range constant[:min(len(constant), shown)] {
		names = append(names, strconv.Itoa(k+1))
	}
	list := strings.Join(names, ", ")
	if more := len(constant) - shown; more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	single := len(constant) == 1
	subject := fmt.Sprintf("columns %s (counting from 1) are constant over the %d training rows", list, rows)
	if single {
		subject = fmt.Sprintf("column %s (counting from 1) is constant over the %d training rows", list, rows)
	}
	switch {
	case standardize && single:
		return subject + ", so standardization centres it and does not scale it to standard deviation 1"
	case standardize:
		return subject + ", so standardization centres them and does not scale them to standard deviation 1"
	case single:
		return subject + ", so it carries no information for the encoder; check that --data contains the intended features"
	}
	return subject + ", so they carry no information for the encoder; check that --data contains the intended features"
}
