package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
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
// the standardization fitted on the training rows, which a standardized
// model takes. When standardize is set it also notes the columns that a
// few far values squeeze (see squeezedFeaturesNote), and otherwise the
// columns whose spread the vector views' noise, noise.value, exceeds
// (see featureNoiseNote). Images are not checked and get no standardization,
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
		// Standardization drops the variation of the constant columns
		// whose float32 values still differ, which the note on constant
		// columns would misname.
		var varying []int
		if standardize {
			varying = slices.DeleteFunc(slices.Clone(constant), func(k int) bool { return !columnVaries(train.X, k) })
			unrounded = slices.DeleteFunc(unrounded, func(k int) bool { return slices.Contains(varying, k) })
		}
		if note := constantFeaturesNote(unrounded, rows, standardize); note != "" {
			notes = append(notes, note)
		}
		if standardize {
			for _, note := range []string{roundedConstantNote(varying, s), squeezedFeaturesNote(train.X, s, constant)} {
				if note != "" {
					notes = append(notes, note)
				}
			}
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

// roundedConstantNote returns a note on the columns of varying, counted
// from 0, whose float32 training values differ, but by so few float32
// steps that dim.FitStandardization takes them for constant, and "" when
// there are none. Such a column is centred and divided by a scale far
// above its spread, so the encoder receives values within a few
// millionths of 0. A column of Unix times near 1.7e9 with a standard
// deviation below 1700 seconds, 13 float32 steps, is one. The note
// advises an offset such as the mean of the first column, from s.
func roundedConstantNote(varying []int, s *dim.Standardization) string {
	if len(varying) == 0 {
		return ""
	}
	fix := fmt.Sprintf("Subtract an offset such as %.3g from such a column, in this file and in every input of embed, score and serve", s.Mean[varying[0]])
	if len(varying) == 1 {
		return fmt.Sprintf("column %d (counting from 1) varies by so few float32 steps around its mean that standardization takes it for constant: it centres the column without scaling it to standard deviation 1, so the encoder receives none of its variation. %s", varying[0]+1, fix)
	}
	return fmt.Sprintf("columns %s (counting from 1) vary by so few float32 steps around their means that standardization takes them for constant: it centres them without scaling them to standard deviation 1, so the encoder receives none of their variation. %s", columnList(varying), fix)
}

// columnVaries reports whether column k of x, an N x features matrix,
// contains at least two different values.
func columnVaries(x *tensor.Tensor, k int) bool {
	cols := x.Shape[1]
	first := x.Data[k]
	for i := k; i < len(x.Data); i += cols {
		if x.Data[i] != first {
			return true
		}
	}
	return false
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
	list := columnList(constant)
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

// squeezedSpanRatio is the share of a standard deviation below which
// squeezedFeaturesNote names a column whose central 90% of values span
// more than 0. A normal column spans 3.29 standard deviations there, and
// a column of 0 and 1 with at least 5% of each spans at least 2.
const squeezedSpanRatio = 0.1

// squeezedSampleRows is the most rows, evenly spaced, from which
// squeezedFeaturesNote takes the 5th and 95th percentiles.
const squeezedSampleRows = 10000

// squeezedFeaturesNote returns a note on the columns of x, the training
// rows, that are not in constant and whose values between the 5th and
// 95th percentiles span less than squeezedSpanRatio standard deviations
// of s, and "" when there are none. A few values far from the rest, such
// as -999 for a missing value, then make most of the standard deviation,
// and standardization squeezes the other rows together. The data of the
// measurement were 3,000 rows of 3 Gaussian clusters in 6 columns, with
// 2% of the values of 3 columns set to -999. Over 2 seeds the battery
// rejected 8 and 11 of 52 tests, and 0 and 1 after the -999 values were
// replaced by the median.
func squeezedFeaturesNote(x *tensor.Tensor, s *dim.Standardization, constant []int) string {
	rows, cols := x.Shape[0], x.Shape[1]
	sample := min(rows, squeezedSampleRows)

	values := make([]float64, sample)
	var squeezed []int
	narrowest, narrowestRatio, narrowestSpan := -1, 0.0, 0.0
	for k := range cols {
		if slices.Contains(constant, k) {
			continue
		}
		for i := range sample {
			values[i] = float64(x.Data[(i*rows/sample)*cols+k])
		}
		slices.Sort(values)
		span := values[(sample-1)*95/100] - values[(sample-1)*5/100]
		ratio := span / float64(s.Scale[k])
		if span <= 0 || ratio >= squeezedSpanRatio {
			continue
		}
		squeezed = append(squeezed, k)
		if narrowest < 0 || ratio < narrowestRatio {
			narrowest, narrowestRatio, narrowestSpan = k, ratio, span
		}
	}
	if len(squeezed) == 0 {
		return ""
	}

	farthest := 0.0
	for i := range rows {
		farthest = max(farthest, math.Abs(float64(x.Data[i*cols+narrowest])-float64(s.Mean[narrowest]))/float64(s.Scale[narrowest]))
	}

	detail := fmt.Sprintf("90%% of the values of column %d lie within a span of %.4g, %.3g of its standard deviation of %.4g, and its farthest value lies %.3g standard deviations from the mean",
		narrowest+1, narrowestSpan, narrowestRatio, s.Scale[narrowest], farthest)
	subject := fmt.Sprintf("column %d (counting from 1) owes most of its standard deviation to a few values far from the rest", narrowest+1)
	if len(squeezed) > 1 {
		subject = fmt.Sprintf("columns %s (counting from 1) owe most of their standard deviations to a few values far from the rest", columnList(squeezed))
	}
	return fmt.Sprintf("%s: %s. Standardization divides by that standard deviation, which squeezes the other rows together, so the encoder can barely tell them apart; replace values such as -999 that code a missing value, fix values in another unit, or transform the column, such as by the logarithm of positive values",
		subject, detail)
}

// columnList returns the first 5 of columns, counted from 0, as numbers
// counted from 1, such as "1, 4, 7 and 2 more" for 8 columns.
func columnList(columns []int) string {
	const shown = 5
	names := make([]string, 0, shown)
	for _, k := range columns[:min(len(columns), shown)] {
		names = append(names, strconv.Itoa(k+1))
	}
	list := strings.Join(names, ", ")
	if more := len(columns) - shown; more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return list
}
