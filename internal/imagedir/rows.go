package imagedir

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// row is the colour of one image that readRow returns beside the values
// it writes.
type row struct {
	// colour is set when some pixel of the image has colour.
	colour bool
	// rgb holds the three channels of an image with colour whose slot has
	// room for one channel only, which setChannels widens. It is nil for
	// every other image.
	rgb []float32
}

// readRows decodes the images of l on threads goroutines and writes image
// i to x[i*stride*area:(i+1)*stride*area], where area is height x width.
// Each goroutine takes the next unread index, so indexes are handed out
// in increasing order. Once image i has failed, no goroutine starts an
// index above i, and every index below i has been started. So the error
// returned is that of the first bad file in l.Paths order, the file at
// which reading the files one after another stops.
func (l *Listing) readRows(x []float32, headers []Header, height, width, stride, threads int, opt Options) ([]row, error) {
	n := len(l.Paths)
	area := height * width
	rows := make([]row, n)
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Int64 // the lowest index that failed, or n
	failed.Store(int64(n))

	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || i > failed.Load() {
					return
				}
				dst := x[int(i)*stride*area : (int(i)+1)*stride*area]
				rows[i], errs[i] = l.readRow(int(i), headers[i], dst, height, width, opt)
				if errs[i] != nil {
					for {
						lowest := failed.Load()
						if i >= lowest || failed.CompareAndSwap(lowest, i) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()

	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// readRow decodes image i of l, whose header is h, and writes its values
// to dst: all three channels when dst has room for them, and otherwise
// the first channel of a gray image. An image with colour that does not
// fit dst is returned in row.rgb.
func (l *Listing) readRow(i int, h Header, dst []float32, height, width int, opt Options) (row, error) {
	path := l.Paths[i]
	resize := opt.Height > 0 && opt.Width > 0
	if (h.Height != height || h.Width != width) && !resize {
		return row{}, fmt.Errorf("%s is %dx%d (height x width), but the first image, %s, is %dx%d, and all images must have one size; resize them, or pass %s %dx%d to resize every image",
			path, h.Height, h.Width, l.Paths[0], height, width, opt.SizeFlag, height, width)
	}
	img, err := decode(path, h)
	if err != nil {
		return row{}, err
	}
	pixels, colour := Pixels(img, height, width)
	if colour && opt.Channels == 1 {
		return row{}, fmt.Errorf("%s has colour, but the model takes 1-channel images; pass grayscale images", path)
	}
	if colour && len(dst) < len(pixels) {
		return row{colour: true, rgb: pixels}, nil
	}
	copy(dst, pixels)
	return row{colour: colour}, nil
}

// setChannels returns x, the rows of stride channels that readRows wrote,
// as rows of channels channels. A row of one channel given three repeats
// its values in each, or takes row.rgb for an image with colour. A row
// of three channels given one keeps its first, which equals the other
// two because the image has no colour.
// NOTE: for files whose headers declare colour but whose pixels are all
// gray, x of three channels and the result of one are held at once, a
// third more than the samples that checkMemory counted.
func setChannels(x []float32, rows []row, area, stride, channels int) []float32 {
	if stride == channels {
		return x
	}
	out := make([]float32, len(rows)*channels*area)
	for i, r := range rows {
		dst := out[i*channels*area : (i+1)*channels*area]
		switch {
		case channels == 1:
			copy(dst, x[i*3*area:i*3*area+area])
		case r.rgb != nil:
			copy(dst, r.rgb)
		default:
			gray := x[i*area : (i+1)*area]
			for c := range 3 {
				copy(dst[c*area:], gray)
			}
		}
	}
	return out
}
