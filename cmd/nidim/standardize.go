package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nidim/nidim/dim"
)

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
	case isDir(df.data):
		source = fmt.Sprintf("--data %s is an MNIST-style directory of images", shellQuote(df.data))
	}
	return fmt.Errorf("--standardize applies to feature vectors only, but %s (shape %v); drop --standardize, or pass a matrix --data without --image-shape", source, shape)
}

// fitStandardization fits the standardization of m on the training rows
// and returns the note on the constant features, or "" when there are
// none.
func fitStandardization(m *dim.Model, train *dim.Dataset) (string, error) {
	s, constant, err := dim.FitStandardization(train.X)
	if err != nil {
		return "", err
	}
	m.Standardization = s
	return constantFeaturesNote(constant, train.X.Shape[0]), nil
}

// constantFeaturesNote returns the note naming the first columns of
// constant, counted from 0 as FitStandardization returns them, that have
// no spread over the training rows, or "" when constant is empty. The note
// counts columns from 1, as the --data errors do.
func constantFeaturesNote(constant []int, rows int) string {
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
	if len(constant) == 1 {
		return fmt.Sprintf("column %s (counting from 1) is constant over the %d training rows, so --standardize centres it and leaves its scale alone", list, rows)
	}
	return fmt.Sprintf("columns %s (counting from 1) are constant over the %d training rows, so --standardize centres them and leaves their scale alone", list, rows)
}
