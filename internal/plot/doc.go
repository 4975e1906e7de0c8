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
// NaN and ±Inf values are skipped, not rejected. A point or sample with a
// non-finite coordinate is left out, and values beyond ±1e300 count as
// infinite, because wider axis ranges overflow. A note in the chart's
// subtitle gives the count, and Chart.Skipped returns it so that a program
// can warn about it. In a line series a non-finite value leaves a gap.
// Data with no finite value at all is an error.
//
// # Output
//
// Coordinates are rounded to 0.1 px and points are small circles, so a
// scatter plot costs about 50 bytes per point. Text is XML-escaped. The
// package has no font metrics, so text widths are estimated per character
// with factors that approximate DejaVu Sans, the widest of the fonts the
// files name.
package plot
