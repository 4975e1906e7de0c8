package plot

// Palette is the categorical colour sequence for classes and series: the
// ten-colour sequence of M. A. Petroff, "Accessible Color Sequences for
// Data Visualization" (arXiv:2107.02270, 2021), chosen by a survey to stay
// distinguishable under the common colour-vision deficiencies while keeping
// the lightness contrast with a white background. Class k gets
// Palette[k mod 10], so the ten MNIST digits get ten different colours.
var Palette = [10]string{
	"#3f90da", // blue
	"#ffa90e", // orange
	"#bd1f01", // red
	"#94a4a2", // grey
	"#832db6", // purple
	"#a96b59", // brown
	"#e76300", // dark orange
	"#b9ac70", // khaki
	"#717581", // slate
	"#92dadd", // light cyan
}

// Neutral colours for axes, grid lines, text and reference lines.
const (
	colorAxis      = "#333333"
	colorGrid      = "#e5e5e5"
	colorSubtitle  = "#555555"
	colorReference = "#555555"
)

// paletteColor returns the colour of class or series k >= 0.
func paletteColor(k int) string {
	return Palette[k%len(Palette)]
}
