package imagedir

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// readRows decodes the images of l on threads goroutines and returns
// their samples, one row per image in l.Paths order, and their channels.
// Each goroutine takes the next unread index, so indexes are handed out
// in increasing order. Once image i has failed, no goroutine starts an
// index above i, and every index below i has been started. So the error
// returned is that of the first bad file in l.Paths order, the file at
// which reading the files one after another stops.
func (l *Listing) readRows(headers []Header, height, width, threads int, opt Options) ([]float32, int, error) {
	n := len(l.Paths)
	rows := newRowBuffer(n, height*width, opt.Channels)
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Int64 // the lowest index that failed, or n
	failed.Store(int64(n))
	report := newProgressReport(opt.Progress, "decoding images", n)
	var reportMu sync.Mutex
	decoded := 0

	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || i > failed.Load() {
					return
				}
				pixels, colour, err := l.readRow(int(i), headers[i], height, width, opt)
				if err == nil {
					rows.write(int(i), pixels, colour)
					reportMu.Lock()
					decoded++
					report.done(decoded)
					reportMu.Unlock()
					continue
				}
				errs[i] = err
				for {
					lowest := failed.Load()
					if i >= lowest || failed.CompareAndSwap(lowest, i) {
						break
					}
				}
			}
		})
	}
	wg.Wait()

	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	return rows.x, rows.channels, nil
}

// readRow decodes image i of l, whose header is h, and returns its red,
// green and blue values at height x width and whether it has colour.
func (l *Listing) readRow(i int, h Header, height, width int, opt Options) ([]float32, bool, error) {
	path := l.Paths[i]
	resize := opt.Height > 0 && opt.Width > 0
	if (h.Height != height || h.Width != width) && !resize {
		return nil, false, fmt.Errorf("%s is %dx%d (height x width), but the first image, %s, is %dx%d, and all images must have one size; resize them, or pass %s %dx%d to resize every image",
			path, h.Height, h.Width, l.Paths[0], height, width, opt.SizeFlag, height, width)
	}
	img, err := decode(path, h)
	if err != nil {
		return nil, false, err
	}
	pixels, colour := Pixels(img, height, width, opt.Fit)
	if colour && opt.Channels == 1 {
		return nil, false, fmt.Errorf("%s has colour, but the model takes 1-channel images; pass grayscale images", path)
	}
	return pixels, colour, nil
}

// rowBuffer is the samples of a data set, one row per image, which
// goroutines write in any order. The rows have one channel until the
// first image with colour is written, and three from then on. So a data
// set without colour takes memory for one channel, even when the headers
// of its files declare colour.
type rowBuffer struct {
	// mu is held for reading while a row is copied in, and for writing
	// while the rows are widened to three channels.
	mu       sync.RWMutex
	x        []float32
	channels int
	area     int
	// written marks the rows copied in so far.
	written []bool
}

// newRowBuffer returns the buffer for n rows of area pixels, at 3
// channels when channels is 3 and at 1 otherwise.
func newRowBuffer(n, area, channels int) *rowBuffer {
	if channels != 3 {
		channels = 1
	}
	return &rowBuffer{x: make([]float32, n*channels*area), channels: channels, area: area, written: make([]bool, n)}
}

// write copies pixels, the three channels of image i, into row i: all
// three, or the first when the rows have one channel and the image has
// no colour. An image with colour widens the rows first.
func (b *rowBuffer) write(i int, pixels []float32, colour bool) {
	if colour {
		b.widen()
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	size := b.channels * b.area
	copy(b.x[i*size:(i+1)*size], pixels)
	b.written[i] = true
}

// widen gives the rows three channels, unless they have them already:
// each row written so far repeats its one channel in each.
func (b *rowBuffer) widen() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.channels == 3 {
		return
	}
	wide := make([]float32, 3*len(b.x))
	for i, done := range b.written {
		if !done {
			continue
		}
		row := b.x[i*b.area : (i+1)*b.area]
		for c := range 3 {
			copy(wide[(3*i+c)*b.area:], row)
		}
	}
	b.x, b.channels = wide, 3
}

// progressReport passes the status of a step over total items to
// Options.Progress each time the share done grows by a percent.
type progressReport struct {
	show    func(status string)
	step    string
	total   int
	percent int // the share last shown, or -1
}

// newProgressReport returns the report of step to show, which may be
// nil for none.
func newProgressReport(show func(string), step string, total int) *progressReport {
	return &progressReport{show: show, step: step, total: total, percent: -1}
}

// done reports that n of the total items are done. The caller
// serializes the calls.
func (r *progressReport) done(n int) {
	if r.show == nil {
		return
	}
	if p := 100 * n / r.total; p > r.percent {
		r.percent = p
		r.show(fmt.Sprintf("%s: %d of %d", r.step, n, r.total))
	}
}
