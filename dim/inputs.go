package dim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueRange is the smallest and the largest of a set of input values.
type ValueRange struct{ Min, Max float32 }

// RangeOf returns the range of the finite values in values, and the zero
// range when there are none.
func RangeOf(values []float32) ValueRange {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range values {
		// NaN fails both comparisons; infinities are skipped by hand.
		if v < lo && !math.IsInf(float64(v), -1) {
			lo = v
		}
		if v > hi && !math.IsInf(float64(v), 1) {
			hi = v
		}
	}
	if lo > hi {
		return ValueRange{}
	}
	return ValueRange{lo, hi}
}

// Span returns r.Max - r.Min.
func (r ValueRange) Span() float64 { return float64(r.Max) - float64(r.Min) }

func (r ValueRange) String() string {
	return fmt.Sprintf("[%s, %s]", formatValue(r.Min), formatValue(r.Max))
}

// formatValue writes v in the shortest form that reads back as v.
func formatValue(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// parseValueRange reads the "min,max" form that Model.Save writes.
func parseValueRange(s string) (ValueRange, error) {
	lo, hi, ok := strings.Cut(s, ",")
	if !ok {
		return ValueRange{}, fmt.Errorf("%q is not of the form min,max", s)
	}
	a, err1 := strconv.ParseFloat(lo, 32)
	b, err2 := strconv.ParseFloat(hi, 32)
	if err1 != nil || err2 != nil || !(a <= b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return ValueRange{}, fmt.Errorf("%q is not a finite range min,max with min <= max", s)
	}
	return ValueRange{float32(a), float32(b)}, nil
}

// scaleFactor is how many times wider or narrower than the training
// inputs' span data must be, or how many training spans away from their
// range, before ScaleMismatch calls it another scale. Drift and outliers
// of real data stay well inside it. A change of units, such as pixels read
// as 0-255 by a model trained on [0, 1], goes far beyond it.
const scaleFactor = 10

// ScaleMismatch reports whether inputs whose range is r look like values
// on another scale than the model's training inputs. That is the case when
// their span is more than 10 times wider or narrower, or when they lie more
// than 10 training spans outside the training range. Such inputs give embeddings that mean
// nothing, and no error says so. It reports false for a model without
// Inputs, and for constant training inputs or constant r, where a span
// ratio means nothing.
func (m *Model) ScaleMismatch(r ValueRange) bool {
	if m.Inputs == nil {
		return false
	}
	train, span := *m.Inputs, m.Inputs.Span()
	if !(span > 0) || !(r.Span() > 0) {
		return false
	}
	ratio := r.Span() / span
	below := float64(train.Min) - float64(r.Max)
	above := float64(r.Min) - float64(train.Max)
	return ratio > scaleFactor || ratio < 1.0/scaleFactor ||
		below > scaleFactor*span || above > scaleFactor*span
}
