package imagedir

import "image"

// Resize returns the channels x height x width values of src, channels
// first, resized to channels x outHeight x outWidth with an area-averaging
// filter. Each output pixel covers a rectangle of the source of
// height/outHeight by width/outWidth pixels, and its value is the mean of
// the source over that rectangle, each source pixel weighted by the area
// it shares with it. Shrinking by a whole factor averages blocks of
// pixels; enlarging repeats pixels and blends the two at a boundary.
func Resize(src []float32, channels, height, width, outHeight, outWidth int) []float32 {
	rows := areaWeights(height, outHeight)
	cols := areaWeights(width, outWidth)
	out := make([]float32, channels*outHeight*outWidth)
	// Columns first, into one channel's outWidth x height buffer. The
	// conversions round each product, as in resizeLine.
	tmp := make([]float64, height*outWidth)
	for c := range channels {
		plane := src[c*height*width : (c+1)*height*width]
		for y := range height {
			resizeLine(tmp[y*outWidth:(y+1)*outWidth], plane[y*width:(y+1)*width], cols)
		}
		dst := out[c*outHeight*outWidth : (c+1)*outHeight*outWidth]
		for y, ws := range rows {
			for x := range outWidth {
				sum := 0.0
				for _, w := range ws {
					sum += float64(w.weight * tmp[w.index*outWidth+x])
				}
				dst[y*outWidth+x] = float32(sum)
			}
		}
	}
	return out
}

// resizeLine sets dst[x] to the weighted sum of the values of line that
// cols[x] lists, for each output pixel x of one line. The conversion
// rounds each product, so that arm64, where Go may fuse a multiply and
// an add, sums the same values as amd64.
func resizeLine(dst []float64, line []float32, cols [][]sourceWeight) {
	for x, ws := range cols {
		sum := 0.0
		for _, w := range ws {
			sum += float64(w.weight * float64(line[w.index]))
		}
		dst[x] = sum
	}
}

// sourceWeight is the weight of the source pixel index in an output pixel.
type sourceWeight struct {
	index  int
	weight float64
}

// areaWeights returns, for each of the out pixels along one axis of n
// source pixels, the source pixels it overlaps and their weights. A
// weight is the length of the overlap divided by the output pixel's
// length n/out, so the weights of each output pixel sum to 1. The
// interval of output pixel j is [j*n/out, (j+1)*n/out) in source pixels,
// computed in units of 1/out so that the bounds are exact integers.
func areaWeights(n, out int) [][]sourceWeight {
	weights := make([][]sourceWeight, out)
	for j := range out {
		lo, hi := j*n, (j+1)*n // in units of 1/out source pixels
		for i := lo / out; i*out < hi; i++ {
			overlap := min(hi, (i+1)*out) - max(lo, i*out)
			if overlap > 0 {
				weights[j] = append(weights[j], sourceWeight{i, float64(overlap) / float64(n)})
			}
		}
	}
	return weights
}

// resizeImage returns the red, green and blue values of the pixels of img
// in the rectangle b, which lies within its bounds, resized to height x
// width, and whether any pixel has colour. The values equal Resize of
// imagePixels bit for bit, because each output value sums the
// same products in the same order. But img is read a row, or a block of
// rows (see newLineReader), at a time. So it is never held in float32 at
// its full size, which would take 12 bytes per source pixel on top of
// the decoded image.
func resizeImage(img image.Image, b image.Rectangle, height, width int) ([]float32, bool) {
	w, h := b.Dx(), b.Dy()
	cols := areaWeights(w, width)
	// outRows[y] lists the output rows that source row y falls in, each
	// with the weight of y in it, in increasing order of output row.
	outRows := make([][]sourceWeight, h)
	for j, ws := range areaWeights(h, height) {
		for _, sw := range ws {
			outRows[sw.index] = append(outRows[sw.index], sourceWeight{j, sw.weight})
		}
	}

	reader := newLineReader(img, b)
	block := reader.block
	lines := make([]float32, block*3*w)
	lineSums := make([]float64, 3*width)
	sums := make([]float64, 3*height*width)
	colour := false
	for y := range h {
		k := y % block
		if k == 0 {
			colour = reader.read(lines, y, min(block, h-y)) || colour
		}
		line := lines[k*3*w : (k+1)*3*w]
		// Columns first, as in Resize.
		for c := range 3 {
			resizeLine(lineSums[c*width:(c+1)*width], line[c*w:(c+1)*w], cols)
		}
		// Then the rows: y adds its share to each output row it falls in,
		// and the source rows of an output row arrive in increasing order,
		// the order in which Resize adds them. The conversions round each
		// product, as in Resize, so that arm64 does not fuse them.
		for _, row := range outRows[y] {
			for c := range 3 {
				dst := sums[(c*height+row.index)*width : (c*height+row.index+1)*width]
				src := lineSums[c*width : (c+1)*width]
				for x := range width {
					dst[x] += float64(row.weight * src[x])
				}
			}
		}
	}
	out := make([]float32, len(sums))
	for i, v := range sums {
		out[i] = float32(v)
	}
	return out, colour
}

// transposedBlockRows is how many rows resizeImage reads at once from an
// image shown transposed (EXIF orientations 5 to 8). Each of its rows is
// a stored column, so reading one row takes one pixel from every stored
// row, while reading a block takes that many neighbouring pixels.
const transposedBlockRows = 16

// lineReader reads the rows of an image for resizeImage, block rows at a
// time. read sets lines to the red, green and blue values of the n rows
// from row y (counted from the top of the bounds), each row's three
// channels first, and reports whether any pixel has colour.
type lineReader struct {
	block int
	read  func(lines []float32, y, n int) bool
}

// newLineReader returns the lineReader of the rectangle b of img, which
// lies within its bounds. It reads an image turned
// by an EXIF orientation through the typed pixel reader of the stored
// image, stepping from stored point to stored point along each row,
// without the per-pixel mapping of orientedImage.At.
func newLineReader(img image.Image, b image.Rectangle) lineReader {
	w, h := b.Dx(), b.Dy()
	o, ok := img.(orientedImage)
	if !ok {
		at := pixelReader(img)
		return lineReader{block: 1, read: func(lines []float32, y, _ int) bool {
			colour := false
			for x := range w {
				r, g, bl := at(b.Min.X+x, b.Min.Y+y)
				lines[x], lines[w+x], lines[2*w+x] = r, g, bl
				colour = colour || r != g || g != bl
			}
			return colour
		}}
	}
	at := pixelReader(o.src)
	block := 1
	if o.orientation >= orientTranspose {
		block = max(1, min(transposedBlockRows, h))
	}
	return lineReader{block: block, read: func(lines []float32, y, n int) bool {
		colour := false
		var sx, sy [transposedBlockRows]int
		var dx, dy int
		for k := range n {
			sx[k], sy[k] = o.sourcePoint(b.Min.X, b.Min.Y+y+k)
			x1, y1 := o.sourcePoint(b.Min.X+min(1, w-1), b.Min.Y+y+k)
			dx, dy = x1-sx[k], y1-sy[k]
		}
		for x := range w {
			for k := range n {
				r, g, bl := at(sx[k]+x*dx, sy[k]+x*dy)
				line := lines[k*3*w : (k+1)*3*w]
				line[x], line[w+x], line[2*w+x] = r, g, bl
				colour = colour || r != g || g != bl
			}
		}
		return colour
	}}
}
