// Package stats provides float64 statistics for checking whether samples
// follow a prior: special functions and distributions, univariate and
// multivariate goodness-of-fit tests, multiple-testing corrections, and the
// prior-matching report.
//
// Every test returns an error, never a panic, when the sample does not fit
// it (too few or too many points, NaN or Inf, constant data).
package stats
