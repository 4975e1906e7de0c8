package imagedir

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadOneByOne is the reader that Load replaced: it decodes the files
// one after another, appends each row, and widens the rows read so far
// when the first image with colour appears. Load must give its results
// for every thread count.
func loadOneByOne(t *testing.T, l *Listing, opt Options) (*Set, error) {
	t.Helper()
	resize := opt.Height > 0 && opt.Width > 0
	headers := make([]Header, len(l.Paths))
	for i, path := range l.Paths {
		h, err := readHeader(path)
		if err != nil {
			return nil, err
		}
		headers[i] = h
	}

	height, width := opt.Height, opt.Width
	if !resize {
		height, width = headers[0].Height, headers[0].Width
	}
	s := &Set{N: len(l.Paths), Height: height, Width: width, Channels: 1, Labels: l.Labels,
		Classes: l.Classes, Paths: l.Paths, Skipped: l.Skipped}
	if opt.Channels == 3 {
		s.Channels = 3
	}
	area := height * width

	for i, path := range l.Paths {
		h := headers[i]
		if (h.Height != height || h.Width != width) && !resize {
			return nil, fmt.Errorf("%s is %dx%d (height x width), but the first image, %s, is %dx%d, and all images must have one size; resize them, or pass %s %dx%d to resize every image",
				path, h.Height, h.Width, l.Paths[0], height, width, opt.SizeFlag, height, width)
		}
		img, err := decode(path, h)
		if err != nil {
			return nil, err
		}
		pixels, colour := Pixels(img, height, width, Squeeze)
		if colour && opt.Channels == 1 {
			return nil, fmt.Errorf("%s has colour, but the model takes 1-channel images; pass grayscale images", path)
		}
		if colour && s.Channels == 1 {
			wide := make([]float32, 0, 3*s.N*area)
			for k := range i {
				for range 3 {
					wide = append(wide, s.X[k*area:(k+1)*area]...)
				}
			}
			s.X = wide
			s.Channels = 3
		}
		if h.Height != height || h.Width != width {
			s.Resized++
		}
		if s.Channels == 1 {
			s.X = append(s.X, pixels[:area]...)
		} else {
			s.X = append(s.X, pixels...)
		}
	}

	if s.Channels == 3 {
		for i := range s.N {
			if isGrayRow(s.X[i*3*area : (i+1)*3*area]) {
				s.Gray++
			}
		}
	}
	return s, nil
}

// seededColourImage returns an h x w image whose red, green and blue
// differ and depend on seed, x and y.
func seededColourImage(h, w, seed int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(seed + 7*x), G: uint8(seed + 3*y), B: uint8(seed * x * y), A: 255})
		}
	}
	return img
}

// grayAsNRGBA returns the gray image of grayImage stored as NRGBA, which
// PNG writes with a colour model, so that its header is not gray.
func grayAsNRGBA(h, w, seed int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(seed + 10*y + x)
			img.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: 255})
		}
	}
	return img
}

func writeJPEG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// gifWithLocalColour returns an h x w GIF whose global palette is gray,
// so that its header declares a gray colour model, but whose only frame
// has a palette of its own with colours.
func gifWithLocalColour(t *testing.T, h, w int) []byte {
	t.Helper()
	global := color.Palette{color.Gray{Y: 0}, color.Gray{Y: 255}}
	local := color.Palette{color.RGBA{R: 200, G: 10, B: 40, A: 255}, color.RGBA{R: 5, G: 250, B: 90, A: 255}}
	frame := image.NewPaletted(image.Rect(0, 0, w, h), local)
	for i := range frame.Pix {
		frame.Pix[i] = uint8(i % 2)
	}
	var b bytes.Buffer
	require.NoError(t, gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: global, Width: w, Height: h}}))
	return b.Bytes()
}

// float32Bits returns the bit patterns of x, so that two results compare
// bit for bit.
func float32Bits(x []float32) []uint32 {
	bits := make([]uint32, len(x))
	for i, v := range x {
		bits[i] = math.Float32bits(v)
	}
	return bits
}

// assertSameAsOneByOne loads dir with opt at 1, 2, 3 and 8 goroutines
// and checks every result against loadOneByOne, bit for bit. It returns
// the result of loadOneByOne.
func assertSameAsOneByOne(t *testing.T, dir string, opt Options) *Set {
	t.Helper()
	l, err := List(dir)
	require.NoError(t, err)
	want, wantErr := loadOneByOne(t, l, opt)
	for _, threads := range []int{1, 2, 3, 8} {
		opt.Threads = threads
		got, err := l.Load(opt)
		if wantErr != nil {
			assert.EqualError(t, err, wantErr.Error(), "threads %d", threads)
			continue
		}
		require.NoError(t, err, "threads %d", threads)
		assert.Equal(t, float32Bits(want.X), float32Bits(got.X), "threads %d", threads)
		assert.Equal(t, len(want.X), cap(got.X), "threads %d: capacity", threads)
		assert.Equal(t, want.Channels, got.Channels, "threads %d: channels", threads)
		assert.Equal(t, want.Gray, got.Gray, "threads %d: gray", threads)
		assert.Equal(t, want.Resized, got.Resized, "threads %d: resized", threads)
		assert.Equal(t, [3]int{want.N, want.Height, want.Width}, [3]int{got.N, got.Height, got.Width}, "threads %d", threads)
		assert.Equal(t, min(threads, want.N), got.Threads, "threads %d: goroutines", threads)
	}
	return want
}

func TestLoadThreadsMixedFolder(t *testing.T) {
	dir := t.TempDir()
	// Mixed sizes, gray and colour, PNG, JPEG and GIF, with the first
	// colour image in the middle.
	writePNG(t, filepath.Join(dir, "01.png"), grayImage(9, 7, 3))
	writeJPEG(t, filepath.Join(dir, "02.jpg"), grayImage(12, 16, 40))
	writePNG(t, filepath.Join(dir, "03.png"), grayImage(5, 5, 90))
	writePNG(t, filepath.Join(dir, "04.png"), seededColourImage(11, 6, 20))
	writeJPEG(t, filepath.Join(dir, "05.jpg"), seededColourImage(16, 16, 60))
	writePNG(t, filepath.Join(dir, "06.png"), grayAsNRGBA(8, 8, 30))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "07.gif"), gifWithSmallFrame(t), 0o644))
	writePNG(t, filepath.Join(dir, "08.png"), grayImage(3, 10, 120))

	want := assertSameAsOneByOne(t, dir, Options{Height: 6, Width: 5})
	assert.Equal(t, 3, want.Channels)
	assert.Equal(t, 6, want.Gray)
	assert.Equal(t, 8, want.Resized)
	assertSameAsOneByOne(t, dir, Options{Height: 6, Width: 5, Channels: 3})

	// A model of one channel rejects the first image with colour.
	assertSameAsOneByOne(t, dir, Options{Height: 6, Width: 5, Channels: 1})
	_, err := Load(dir, Options{Height: 6, Width: 5, Channels: 1, Threads: 3})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "04.png")+" has colour")
}

func TestLoadThreadsGrayFolder(t *testing.T) {
	dir := t.TempDir()
	for i := range 7 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), grayImage(4+i, 9-i, 10*i))
	}
	want := assertSameAsOneByOne(t, dir, Options{Height: 4, Width: 4})
	assert.Equal(t, 1, want.Channels)
	assertSameAsOneByOne(t, dir, Options{Height: 4, Width: 4, Channels: 3})
}

// Files whose headers declare colour but whose pixels are all gray give
// one channel, as when the reader widened rows only on a colour pixel.
func TestLoadThreadsColourHeadersGrayPixels(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), grayAsNRGBA(6, 6, 20*i))
	}
	writePNG(t, filepath.Join(dir, "5.png"), grayImage(6, 6, 7))
	want := assertSameAsOneByOne(t, dir, Options{})
	assert.Equal(t, 1, want.Channels)
	assert.Equal(t, 0, want.Gray)
}

// A GIF whose header declares a gray palette can still have colour, in a
// palette of its frame, so rows written as one channel are widened.
func TestLoadThreadsGIFLocalColour(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "1.png"), grayImage(4, 4, 1))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2.gif"), gifWithLocalColour(t, 4, 4), 0o644))
	writePNG(t, filepath.Join(dir, "3.png"), grayImage(4, 4, 50))
	f, err := os.Open(filepath.Join(dir, "2.gif"))
	require.NoError(t, err)
	h, err := ReadHeader(f)
	f.Close()
	require.NoError(t, err)
	require.True(t, h.Gray, "the GIF header must declare gray for this test")

	want := assertSameAsOneByOne(t, dir, Options{})
	assert.Equal(t, 3, want.Channels)
	assert.Equal(t, 2, want.Gray)
	red := want.X[3*16 : 3*16+16]
	assert.Equal(t, float32(200)/255, red[0])
}

// truncatedPNG returns a PNG whose header reads but whose pixels do not.
func truncatedPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()[:b.Len()-20]
}

func TestLoadThreadsFirstBadFile(t *testing.T) {
	dir := t.TempDir()
	for i := range 12 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), seededColourImage(5+i%3, 6, 9*i))
	}
	last := filepath.Join(dir, "11.png")
	require.NoError(t, os.WriteFile(last, truncatedPNG(t, grayImage(6, 6, 0)), 0o644))
	assertSameAsOneByOne(t, dir, Options{Height: 5, Width: 5})
	_, err := Load(dir, Options{Height: 5, Width: 5, Threads: 8})
	require.Error(t, err)
	assert.Contains(t, err.Error(), last+" cannot be decoded (")

	// A bad file in the middle comes before the one at the end, for
	// every count of goroutines.
	middle := filepath.Join(dir, "05.png")
	require.NoError(t, os.WriteFile(middle, truncatedPNG(t, seededColourImage(6, 6, 1)), 0o644))
	assertSameAsOneByOne(t, dir, Options{Height: 5, Width: 5})
	for _, threads := range []int{1, 2, 3, 8} {
		_, err := Load(dir, Options{Height: 5, Width: 5, Threads: threads})
		require.Error(t, err)
		assert.Contains(t, err.Error(), middle+" cannot be decoded (", "threads %d", threads)
	}

	// Without --image-size an image of another size is an error too,
	// and the first of the two kinds of error is reported.
	assertSameAsOneByOne(t, dir, Options{SizeFlag: "--image-size"})
	_, err = Load(dir, Options{SizeFlag: "--image-size", Threads: 3})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "01.png")+" is 6x6")
}

func TestLoadMemoryLimitsThreads(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "1.png"), grayImage(10, 10, 0))
	writePNG(t, filepath.Join(dir, "2.png"), grayImage(20, 20, 0))
	writePNG(t, filepath.Join(dir, "3.png"), grayImage(10, 10, 0))
	writePNG(t, filepath.Join(dir, "4.png"), grayImage(30, 30, 0))
	// At 10x10 the samples take 4 x 100 x 4 = 1600 bytes and each
	// goroutine 100 x 36 = 3600 beside its decoded image of 24 bytes per
	// pixel: 21600 for 4.png, 9600 for 2.png and 2400 for the others.
	opt := Options{Height: 10, Width: 10, Threads: 4}
	for _, c := range []struct {
		maxBytes float64
		threads  int
	}{
		{1600 + 25200, 1},
		{1600 + 25200 + 13200 - 1, 1},
		{1600 + 25200 + 13200, 2},
		{1600 + 25200 + 13200 + 6000, 3},
		{1600 + 25200 + 13200 + 2*6000, 4},
		{0, 4},
	} {
		opt.MaxBytes = c.maxBytes
		s, err := Load(dir, opt)
		require.NoError(t, err, "MaxBytes %v", c.maxBytes)
		assert.Equal(t, c.threads, s.Threads, "MaxBytes %v", c.maxBytes)
	}
	opt.MaxBytes = 1600 + 25200 - 1
	_, err := Load(dir, opt)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the 4 images of "+dir)
}

// One colour image among 63 gray ones, at the start, in the middle or at
// the end, widens the rows while other goroutines write gray rows. Every
// goroutine count must give the rows of loadOneByOne. Run with -race.
func TestLoadThreadsOneColourAmongMany(t *testing.T) {
	for _, colourAt := range []int{0, 1, 31, 62, 63} {
		dir := t.TempDir()
		for i := range 64 {
			path := filepath.Join(dir, fmt.Sprintf("%03d.png", i))
			if i == colourAt {
				writePNG(t, path, seededColourImage(3, 3, i))
			} else {
				writePNG(t, path, grayImage(2+i%3, 3, i))
			}
		}
		l, err := List(dir)
		require.NoError(t, err)
		want, err := loadOneByOne(t, l, Options{Height: 3, Width: 3})
		require.NoError(t, err)
		require.Equal(t, 3, want.Channels)
		for _, threads := range []int{2, 5, 16, 64} {
			got, err := l.Load(Options{Height: 3, Width: 3, Threads: threads})
			require.NoError(t, err)
			assert.Equal(t, float32Bits(want.X), float32Bits(got.X), "colour at %d, threads %d", colourAt, threads)
		}
	}
}

// Eight goroutines write 500 rows in interleaved order while one row
// with colour widens the buffer. Every row must end at its own offset
// with its own values, whether it was written before or after widening.
func TestRowBufferWidenWhileWriting(t *testing.T) {
	const n, area = 500, 4
	for round := range 50 {
		b := newRowBuffer(n, area, 0)
		colourAt := (round * 37) % n
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := g; i < n; i += 8 {
					pixels := make([]float32, 3*area)
					for k := range area {
						v := float32(i*area + k)
						pixels[k], pixels[area+k], pixels[2*area+k] = v, v, v
					}
					if i == colourAt {
						pixels[area] = -1 // green of the first pixel
					}
					b.write(i, pixels, i == colourAt)
				}
			})
		}
		wg.Wait()
		require.Equal(t, 3, b.channels)
		require.Len(t, b.x, 3*n*area)
		for i := range n {
			for c := range 3 {
				for k := range area {
					want := float32(i*area + k)
					if i == colourAt && c == 1 && k == 0 {
						want = -1
					}
					require.Equal(t, want, b.x[(3*i+c)*area+k], "round %d, row %d, channel %d, pixel %d", round, i, c, k)
				}
			}
		}
	}
}

// BenchmarkLoadJPEG reads 64 JPEG photos of 1000 x 1000 pixels, resized
// to 64 x 64, on 1 and 2 goroutines.
func BenchmarkLoadJPEG(b *testing.B) {
	dir := b.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	for y := range 1000 {
		for x := range 1000 {
			img.SetRGBA(x, y, color.RGBA{R: uint8(x * y), G: uint8(x + 3*y), B: uint8(x ^ y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	for i := range 64 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	l, err := List(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				if _, err := l.Load(Options{Height: 64, Width: 64, Threads: threads}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(l.Paths))/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// Rows start at one channel and are widened into a new array of three at
// the first image with colour, so reading colour images holds four
// channels of samples at its peak. checkMemory counted three and passed
// reads that did not fit.
func TestLoadMemoryCountsWidening(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), seededColourImage(10, 10, i))
	}
	// The samples take 4 x 3 x 100 x 4 = 4800 bytes, the one-channel rows
	// that widening copies from 1600, and one goroutine 100 x 24 for its
	// decoded image and 100 x 36 for its sample.
	const samples, narrow, goroutine = 4800, 1600, 6000
	opt := Options{Height: 10, Width: 10, Threads: 1}

	opt.MaxBytes = samples + narrow + goroutine
	s, err := Load(dir, opt)
	require.NoError(t, err)
	assert.Equal(t, 3, s.Channels)

	opt.MaxBytes = samples + narrow + goroutine - 1
	_, err = Load(dir, opt)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the 4 images of "+dir+" take about 12400 bytes as 3x10x10 float32 samples, more than the 12399 bytes of memory available")

	// With three channels forced the rows start at three and are never
	// widened.
	opt.Channels = 3
	opt.MaxBytes = samples + goroutine
	_, err = Load(dir, opt)
	assert.NoError(t, err)
}

// Progress receives each percent of the headers and of the decoding
// once, in order, and ends at the total, at any goroutine count.
func TestLoadProgress(t *testing.T) {
	dir := t.TempDir()
	for i := range 250 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%03d.png", i)), grayImage(4, 4, i))
	}
	for _, threads := range []int{1, 3} {
		var statuses []string
		_, err := Load(dir, Options{Threads: threads, Progress: func(s string) { statuses = append(statuses, s) }})
		require.NoError(t, err)
		require.Len(t, statuses, 202, "threads %d: 0 to 100 percent of two steps, from the first item", threads)
		assert.Equal(t, "reading image headers: 1 of 250", statuses[0])
		assert.Equal(t, "reading image headers: 3 of 250", statuses[1], "1%% is 2.5 files")
		assert.Equal(t, "reading image headers: 250 of 250", statuses[100])
		assert.Equal(t, "decoding images: 1 of 250", statuses[101])
		assert.Equal(t, "decoding images: 250 of 250", statuses[201])
	}
}
