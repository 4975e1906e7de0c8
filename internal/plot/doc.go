// Package plot draws the SVG figures of "nidim plot": scatter plots of
// embeddings coloured by class, Q-Q plots and histograms against a prior,
// training curves, and grids of small panels. It depends only on the
// standard library.
//
// A constructor (Scatter, QQ, Histogram, Lines) checks the data and returns
// a *Chart; NewGrid places several charts side by side. Both are written
// with WriteSVG, or to a file with WriteFile, which replaces the file
// atomically.
//
// # Non-finite values
//
// NaN and ±Inf values are skipped, not rejected: a point or sample with a
// non-finite coordinate is left out, the chart's subtitle says how many
// were left out, and Chart.Skipped returns the count so that a program can
// warn about it. In a line series a non-finite value leaves a gap. Data
// with no finite value at all is an error.
//
// # Output
//
// Coordinates are rounded to 0.1 px and points are small circles, so a
// scatter plot costs about 40 bytes per point. Text is XML-escaped. Text
// widths are estimated from character counts, because the package has no
// font metrics; the estimate fits DejaVu Sans, Helvetica and Arial.
package plot
