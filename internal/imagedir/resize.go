package imagedir

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
	// conversions round each product, so that arm64, where Go may fuse a
	// multiply and an add, sums the same values as amd64.
	tmp := make([]float64, height*outWidth)
	for c := range channels {
		plane := src[c*height*width : (c+1)*height*width]
		for y := range height {
			line := plane[y*width : (y+1)*width]
			for x, ws := range cols {
				sum := 0.0
				for _, w := range ws {
					sum += float64(w.weight * float64(line[w.index]))
				}
				tmp[y*outWidth+x] = sum
			}
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

// sourceWeight is the weight of the source pixel index in an output pixel.
type sourceWeight struct {
	index  int
	weight float64
}

// areaWeights returns, for each of the out pixels along one axis of n
// source pixels, the source pixels it overlaps and their weights: the
// length of the overlap divided by the output pixel's length n/out, so
// that the weights of each output pixel sum to 1. The interval of output
// pixel j is [j*n/out, (j+1)*n/out) in source pixels, computed in units
// of 1/out so that the bounds are exact integers.
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
