package imagedir

import (
	"fmt"
	"image"
)

// Fit is the rule that brings an image whose aspect ratio differs from
// the sample size to that size.
type Fit int

const (
	// Squeeze resizes the whole image, so an image of another aspect
	// ratio is stretched or squeezed.
	Squeeze Fit = iota
	// Crop cuts the largest centred rectangle of the sample's aspect
	// ratio out of the image, as cropRect computes it, and resizes that.
	Crop
)

// FitNames lists the values of ParseFit for messages.
const FitNames = "squeeze or crop"

// String returns the name that ParseFit reads.
func (f Fit) String() string {
	if f == Crop {
		return "crop"
	}
	return "squeeze"
}

// ParseFit parses the name of a Fit, "squeeze" or "crop".
func ParseFit(s string) (Fit, error) {
	switch s {
	case "squeeze":
		return Squeeze, nil
	case "crop":
		return Crop, nil
	}
	return Squeeze, fmt.Errorf("invalid image fit %q; use %s", s, FitNames)
}

// region returns the part of the image bounds b that fit reads for a
// sample of height x width: b itself for Squeeze, and cropRect for Crop.
func (f Fit) region(b image.Rectangle, height, width int) image.Rectangle {
	if f == Crop {
		return cropRect(b, height, width)
	}
	return b
}

// cropRect returns the largest rectangle of b with the aspect ratio
// height:width, centred in b. The side that is cut is rounded to whole
// pixels, half up, and is at least 1 pixel: an image of w x h cut for a
// wider ratio keeps w pixels across and round(w*height/width) down. The
// margins on the left and at the top are half of what is cut, rounded
// down, so when an odd number of pixels is cut the extra pixel comes off
// the right or the bottom. An image that has the ratio already, such as
// one of exactly height x width, is returned whole.
func cropRect(b image.Rectangle, height, width int) image.Rectangle {
	w, h := int64(b.Dx()), int64(b.Dy())
	H, W := int64(height), int64(width)
	cw, ch := w, h
	switch {
	case w*H > h*W: // wider than the ratio: cut the width
		cw = max(1, (2*h*W+H)/(2*H))
	case w*H < h*W: // taller than the ratio: cut the height
		ch = max(1, (2*w*H+W)/(2*W))
	}
	x0 := b.Min.X + int((w-cw)/2)
	y0 := b.Min.Y + int((h-ch)/2)
	return image.Rect(x0, y0, x0+int(cw), y0+int(ch))
}
