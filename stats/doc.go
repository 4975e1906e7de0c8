// Package stats provides float64 statistics for checking whether samples
// follow a prior: special functions and distributions, univariate and
// multivariate goodness-of-fit tests, multiple-testing corrections, and the
// prior-matching report.
//
// Every test returns an error, never a panic, when the sample does not fit
// it (too few or too many points, NaN or Inf, constant data). The tests
// against a fully specified law (KolmogorovSmirnov, CramerVonMises,
// AndersonDarling) accept constant data and score it like any sample, so
// that beyond a handful of values they reject it.
package stats
