// Package imagedir reads a directory of PNG, JPEG and GIF files as a data
// set of images, with Go's standard decoders.
//
// Two layouts are read. Class subdirectories, each holding the image
// files of one class, give labelled images: the classes are numbered 0,
// 1, 2, ... in the sorted order of the subdirectory names, or in the
// order of their values when every name is a number such as 0 to 10.
// Image files
// directly in the directory, without subdirectories, give unlabelled
// images. Files are read in sorted name order, class by class, so a row
// number of the data set always names the same file.
//
// Files with other extensions, and hidden files and directories (whose
// names start with a dot, such as .DS_Store or the ._name.jpg files that
// macOS writes beside copies), are skipped and counted. Symbolic links are
// followed, to files and to class directories.
//
// An animated GIF gives its first frame, because image.Decode reads only
// that one. A JPEG, and a PNG with an eXIf chunk before its image data,
// is turned upright by its EXIF orientation, as image viewers show it,
// when the orientation tag lies in the first 128 KiB of the file. That
// holds at least a JPEG's first two segments, where cameras write EXIF.
// GIF files are read as stored.
package imagedir

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registers the GIF decoder
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Extensions are the file extensions read as images, compared without
// regard to case.
var Extensions = []string{".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif"}

// ExtensionList is Extensions for messages.
const ExtensionList = ".png, .jpg, .jpeg, .jpe, .jfif or .gif"

// IsImageName reports whether name has one of Extensions.
func IsImageName(name string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(name)))
}

// Listing is the image files of a directory, in the order they are read.
type Listing struct {
	Dir string
	// Paths are the image files, as Dir joined with the class directory
	// and the file name.
	Paths []string
	// Labels are the class numbers of Paths, nil for unlabelled images.
	Labels []int
	// Classes are the class directory names, in label order.
	Classes []string
	// Skipped counts the entries that are not read: files with other
	// extensions, hidden entries, and directories inside class
	// directories.
	Skipped int
}

// isHidden reports whether a directory entry is hidden by the Unix
// convention of a leading dot.
func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

// entries returns the visible entries of dir, sorted by name, split into
// image files and directories, and the count of the others. Symbolic links
// count as what they point to. A broken link is an error.
func entries(dir string) (images, dirs []string, skipped int, err error) {
	list, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, e := range list { // os.ReadDir sorts by file name
		name := e.Name()
		if isHidden(name) {
			skipped++
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			link := filepath.Join(dir, name)
			fi, err := os.Stat(link)
			if err != nil {
				return nil, nil, 0, brokenLinkError(link, err)
			}
			isDir = fi.IsDir()
		}
		switch {
		case isDir:
			dirs = append(dirs, name)
		case IsImageName(name):
			images = append(images, name)
		default:
			skipped++
		}
	}
	return images, dirs, skipped, nil
}

// brokenLinkError returns the error for the symbolic link at path,
// whose target os.Stat failed to read with err.
func brokenLinkError(path string, err error) error {
	target, readErr := os.Readlink(path)
	if readErr != nil {
		target = "a target that cannot be read"
	}
	reason := err
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		reason = pathErr.Err
	}
	return fmt.Errorf("%s is a symbolic link to %s, which cannot be read (%v); fix the link or remove it", path, target, reason)
}

// Contains reports whether dir contains image files directly or in a
// subdirectory, which distinguishes a directory of images from other
// directories. It reads at most one level of subdirectories.
func Contains(dir string) bool {
	images, dirs, _, err := entries(dir)
	if err != nil {
		return false
	}
	if len(images) > 0 {
		return true
	}
	for _, d := range dirs {
		if images, _, _, err := entries(filepath.Join(dir, d)); err == nil && len(images) > 0 {
			return true
		}
	}
	return false
}

// List returns the image files of dir in reading order. It returns an
// error for a directory without image files, for image files beside
// class directories, and for a class directory without image files.
func List(dir string) (*Listing, error) {
	images, dirs, skipped, err := entries(dir)
	if err != nil {
		return nil, err
	}
	l := &Listing{Dir: dir, Skipped: skipped}
	switch {
	case len(images) > 0 && len(dirs) > 0:
		return nil, fmt.Errorf("%s contains both image files (such as %s) and subdirectories (such as %s), so it is neither unlabelled images nor one subdirectory per class; move the images into class subdirectories, or move the subdirectories out",
			dir, images[0], dirs[0])
	case len(images) > 0:
		for _, name := range images {
			l.Paths = append(l.Paths, filepath.Join(dir, name))
		}
		return l, nil
	case len(dirs) == 0:
		return nil, fmt.Errorf("%s contains no image files (%s) and no class subdirectories; put the images in it, or one subdirectory of images per class", dir, ExtensionList)
	}
	l.Labels = []int{}
	sortClasses(dirs)
	for label, class := range dirs {
		classDir := filepath.Join(dir, class)
		images, subdirs, skipped, err := entries(classDir)
		if err != nil {
			return nil, err
		}
		if len(images) == 0 && skipped > 0 {
			return nil, fmt.Errorf("class directory %s contains no image files (%s), only %d skipped entries (files of other types, such as HEIC or WebP photos, and hidden files); convert its images to PNG or JPEG, or remove it",
				classDir, ExtensionList, skipped)
		}
		if len(images) == 0 {
			return nil, fmt.Errorf("class directory %s contains no image files (%s); add images to it, or remove it", classDir, ExtensionList)
		}
		l.Skipped += skipped + len(subdirs)
		l.Classes = append(l.Classes, class)
		for _, name := range images {
			l.Paths = append(l.Paths, filepath.Join(classDir, name))
			l.Labels = append(l.Labels, label)
		}
	}
	return l, nil
}

// sortClasses sorts names, class directory names already in name order,
// into label order. When every name is a decimal number without leading
// zeros, such as 0 to 10, they are sorted by value, so a directory named
// 3 gets label 3 when the names start at 0. Otherwise the order stays.
func sortClasses(names []string) {
	values := make(map[string]int, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(name)
		if err != nil || v < 0 || strconv.Itoa(v) != name {
			return
		}
		values[name] = v
	}
	slices.SortFunc(names, func(a, b string) int { return values[a] - values[b] })
}

// Options set the sample shape that Load gives every image.
type Options struct {
	// Height and Width, when both are above 0, are the size that every
	// image is resized to. When they are 0, the first image sets the size
	// and an image of another size is an error.
	Height, Width int
	// SizeFlag names the option that sets the size, such as
	// "--image-size", for the errors on an image of another size and on
	// images that need more than MaxBytes. It is "" when no option can
	// change the size, as for a trained model's input.
	SizeFlag string
	// Fit is the resizing of an image of another aspect ratio than
	// Height:Width: whole (Squeeze, the zero value), or its centre cut to
	// that ratio first (Crop). With Height and Width 0 every image has
	// the first one's size, so neither changes anything.
	Fit Fit
	// Channels is 1 or 3 to force that many channels, or 0 to use 3 when
	// any image has colour and 1 otherwise. With Channels 1 an image with
	// colour is an error.
	Channels int
	// MaxBytes is the memory that reading may take, or 0 for no limit.
	// Load compares it, from the image headers alone, with the data set's
	// float32 values plus the largest decoded images, one per goroutine,
	// before it decodes any image. When the images of Threads goroutines
	// do not fit, Load uses fewer goroutines.
	MaxBytes float64
	// Threads is the number of goroutines that decode the images, or 0
	// (or less) for GOMAXPROCS. The result is the same for every count.
	Threads int
	// Progress, when not nil, receives the status of the reading, such
	// as "decoding images: 1200 of 4000", whenever the share done grows
	// by a percent. It is called from one goroutine at a time.
	Progress func(status string)
}

// Set is a data set read from an image directory.
type Set struct {
	// X holds the N samples of Channels x Height x Width float32 values
	// in [0, 1], channels first, in Paths order.
	X                          []float32
	N, Channels, Height, Width int
	Labels                     []int // nil for unlabelled images
	Classes                    []string
	Paths                      []string
	// Resized counts the images whose own size differed from Height x
	// Width, which Load resized.
	Resized int
	// Cropped counts the images that Options.Fit Crop cut to the aspect
	// ratio Height:Width, a subset of Resized.
	Cropped int
	// Gray counts the images without colour that were given 3 equal
	// channels because other images have colour.
	Gray int
	// Oriented counts the JPEG and PNG files that were turned or mirrored
	// by their EXIF orientation (2 to 8) to be read as image viewers show
	// them.
	Oriented int
	// Skipped is Listing.Skipped.
	Skipped int
	// Threads is the number of goroutines that decoded the images:
	// Options.Threads, or fewer when there are fewer images or when
	// MaxBytes does not fit the decoded images of more.
	Threads int
}

// Load lists dir and reads its images with the options opt.
func Load(dir string, opt Options) (*Set, error) {
	l, err := List(dir)
	if err != nil {
		return nil, err
	}
	return l.Load(opt)
}

// Load reads the images of l with the options opt. It decodes them on
// up to opt.Threads goroutines, and the result is the same for every
// count: each image fills its own row, and when several files are bad
// the error names the first in l.Paths order.
func (l *Listing) Load(opt Options) (*Set, error) {
	if len(l.Paths) == 0 {
		return nil, fmt.Errorf("%s contains no image files (%s); put the images in it, or one subdirectory of images per class", l.Dir, ExtensionList)
	}
	resize := opt.Height > 0 && opt.Width > 0
	headers := make([]Header, len(l.Paths))
	report := newProgressReport(opt.Progress, "reading image headers", len(l.Paths))
	for i, path := range l.Paths {
		h, err := readHeader(path)
		if err != nil {
			return nil, err
		}
		headers[i] = h
		report.done(i + 1)
	}
	height, width := opt.Height, opt.Width
	if !resize {
		height, width = headers[0].Height, headers[0].Width
	}
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, len(l.Paths))
	threads, err := checkMemory(l, headers, height, width, threads, opt)
	if err != nil {
		return nil, err
	}

	s := &Set{N: len(l.Paths), Height: height, Width: width, Labels: l.Labels,
		Classes: l.Classes, Paths: l.Paths, Skipped: l.Skipped, Threads: threads}
	area := height * width
	s.X, s.Channels, err = l.readRows(headers, height, width, threads, opt)
	if err != nil {
		return nil, err
	}
	for _, h := range headers {
		if h.Height != height || h.Width != width {
			s.Resized++
		}
		full := image.Rect(0, 0, h.Width, h.Height)
		if opt.Fit.region(full, height, width) != full {
			s.Cropped++
		}
		if h.Orientation > orientNormal {
			s.Oriented++
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

// isGrayRow reports whether the three channels of one sample are equal.
func isGrayRow(x []float32) bool {
	area := len(x) / 3
	for k := range area {
		if x[k] != x[area+k] || x[k] != x[2*area+k] {
			return false
		}
	}
	return true
}

// decodeBytesPerPixel bounds the memory that the standard decoders
// take per pixel of an image. The maximum is a progressive CMYK JPEG's: 16
// bytes of DCT coefficients, 4 of decoded planes and 4 of the CMYK image
// (image/jpeg in go1.26). An 8-bit RGBA PNG takes 4, and a baseline
// JPEG with 4:2:0 chroma 1.5.
const decodeBytesPerPixel = 24

// headerChannels returns the channels that checkMemory counts for the
// samples: opt.Channels when it is set, 1 when every header declares a
// gray colour model, and 3 otherwise.
// NOTE: a GIF whose global palette is gray can have a first frame with
// colours of its own, which gives 3 channels where this counts 1.
func headerChannels(headers []Header, opt Options) int {
	if opt.Channels == 1 || opt.Channels == 3 {
		return opt.Channels
	}
	for _, h := range headers {
		if !h.Gray {
			return 3
		}
	}
	return 1
}

// checkMemory returns how many of threads goroutines can decode at once
// within opt.MaxBytes, or an error when even one cannot. It counts the
// float32 values of the samples, at the channels that headerChannels
// predicts plus the one-channel rows that widening to three copies from,
// and what each goroutine holds: a decoded image at
// decodeBytesPerPixel, and the float64 sums and float32 values of one
// resized sample. Any threads of the images can be decoded at the same
// time, so it counts the largest ones, and lowers the count of
// goroutines until their images fit beside the samples.
func checkMemory(l *Listing, headers []Header, height, width, threads int, opt Options) (int, error) {
	if opt.MaxBytes <= 0 {
		return threads, nil
	}
	channels := float64(headerChannels(headers, opt))
	// order lists the images from the most pixels to the fewest.
	order := make([]int, len(headers))
	for i := range order {
		order[i] = i
	}
	pixels := func(i int) float64 { return float64(headers[i].Width) * float64(headers[i].Height) }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(pixels(b), pixels(a)) })
	sample := float64(height) * float64(width) * 3 * (8 + 4)
	data := float64(len(headers)) * channels * float64(height) * float64(width) * 4
	if channels == 3 && opt.Channels != 3 {
		// The rows start at one channel, and the first image with colour
		// widens them into a new array of three while the old one is
		// still held, so reading peaks at four channels.
		data += float64(len(headers)) * float64(height) * float64(width) * 4
	}

	at := order[0]
	decoded := pixels(at)*decodeBytesPerPixel + sample
	if decoded > opt.MaxBytes {
		h := headers[at]
		return 0, fmt.Errorf("%s is %dx%d (height x width), which takes about %s to decode, more than the %s of memory available; make it smaller",
			l.Paths[at], h.Height, h.Width, byteText(decoded), byteText(opt.MaxBytes))
	}
	if data+decoded > opt.MaxBytes {
		fix := "use fewer images"
		if opt.SizeFlag != "" {
			fix += ", or a smaller " + opt.SizeFlag
		}
		return 0, fmt.Errorf("the %d images of %s take about %s as %gx%dx%d float32 samples, more than the %s of memory available; %s",
			len(headers), l.Dir, byteText(data+decoded), channels, height, width, byteText(opt.MaxBytes), fix)
	}
	fit := 1
	for fit < threads {
		next := decoded + pixels(order[fit])*decodeBytesPerPixel + sample
		if data+next > opt.MaxBytes {
			break
		}
		decoded = next
		fit++
	}
	return fit, nil
}

// byteText formats a byte count in bytes, MB or GB.
func byteText(b float64) string {
	if b < 1e6 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " bytes"
	}
	if b >= 1e9 {
		return strconv.FormatFloat(b/1e9, 'f', 1, 64) + " GB"
	}
	return strconv.FormatFloat(b/1e6, 'f', 1, 64) + " MB"
}

// readHeader reads the header of the image at path, without decoding
// the pixels.
func readHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		return Header{}, fmt.Errorf("%s is empty; replace or remove the file", path)
	}
	h, err := ReadHeader(f)
	var noPixels *NoPixelsError
	if errors.As(err, &noPixels) {
		return Header{}, fmt.Errorf("%s: %v; replace the file with an image that has pixels", path, err)
	}
	if err != nil {
		return Header{}, decodeError(path, err)
	}
	return h, nil
}

// isGrayModel reports whether every colour of m is gray: the gray models,
// and palettes of gray colours only. An empty palette, the header of a
// GIF whose frames carry their own colour tables, is not gray.
func isGrayModel(m color.Model) bool {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	if p, ok := m.(color.Palette); ok && len(p) > 0 {
		for _, c := range p {
			r, g, b, _ := c.RGBA()
			if r != g || g != b {
				return false
			}
		}
		return true
	}
	return false
}

// decodeError returns the error for the image file at path that the
// decoder rejected with err.
func decodeError(path string, err error) error {
	return fmt.Errorf("%s cannot be decoded (%s); replace or remove the file", path, DecodeReason(err))
}

// decode reads and decodes the image at path, whose header is h.
func decode(path string, h Header) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := Decode(f, h)
	if err != nil {
		return nil, decodeError(path, err)
	}
	return img, nil
}

// onCanvas returns img with the bounds (0, 0)-(width, height) that its
// header declares. The two differ only for a GIF whose first frame, which
// image.Decode returns, covers part of the logical screen: that frame is
// placed at its offset, and the pixels outside it are black, as a
// transparent pixel is.
func onCanvas(img image.Image, width, height int) image.Image {
	canvas := image.Rect(0, 0, width, height)
	if img.Bounds() == canvas {
		return img
	}
	return framedImage{frame: img, canvas: canvas}
}

// framedImage is a frame placed on a larger transparent canvas.
type framedImage struct {
	frame  image.Image
	canvas image.Rectangle
}

func (f framedImage) ColorModel() color.Model { return f.frame.ColorModel() }
func (f framedImage) Bounds() image.Rectangle { return f.canvas }

func (f framedImage) At(x, y int) color.Color {
	if !image.Pt(x, y).In(f.frame.Bounds()) {
		return color.Transparent
	}
	return f.frame.At(x, y)
}

// imagePixels returns the red, green and blue values of the pixels of img
// in the rectangle b, which lies within its bounds, in [0, 1], channels
// first, and whether any pixel has colour (red, green and blue not all
// equal). The alpha channel is dropped: each pixel keeps the
// colour it has without transparency, and a fully transparent pixel of an
// image stored premultiplied, such as a GIF's transparent index, is black.
func imagePixels(img image.Image, b image.Rectangle) ([]float32, bool) {
	if o, ok := img.(orientedImage); ok {
		return orientedPixels(o, b)
	}
	w, h := b.Dx(), b.Dy()
	area := w * h
	out := make([]float32, 3*area)
	colour := false
	at := pixelReader(img)
	for y := range h {
		for x := range w {
			r, g, bl := at(b.Min.X+x, b.Min.Y+y)
			k := y*w + x
			out[k], out[area+k], out[2*area+k] = r, g, bl
			colour = colour || r != g || g != bl
		}
	}
	return out, colour
}

// pixelReader returns a function that gives the colour of the pixel of img
// at x, y as rgb does. It reads the image types that the standard
// decoders return most (JPEG's YCbCr, gray, RGBA and NRGBA) through their
// typed accessors, with the same values. img.At boxes each colour in an
// interface, which took 12 million allocations on a 4000 x 3000 JPEG.
func pixelReader(img image.Image) func(x, y int) (r, g, b float32) {
	switch im := img.(type) {
	case *image.YCbCr:
		return func(x, y int) (float32, float32, float32) { return rgb16(im.YCbCrAt(x, y).RGBA()) }
	case *image.Gray:
		return func(x, y int) (float32, float32, float32) {
			v := scale8(im.GrayAt(x, y).Y)
			return v, v, v
		}
	case *image.NRGBA:
		return func(x, y int) (float32, float32, float32) {
			c := im.NRGBAAt(x, y)
			return scale8(c.R), scale8(c.G), scale8(c.B)
		}
	case *image.RGBA:
		return func(x, y int) (float32, float32, float32) { return rgb16(im.RGBAAt(x, y).RGBA()) }
	}
	return func(x, y int) (float32, float32, float32) { return rgb(img.At(x, y)) }
}

// rgb returns the colour of c in [0, 1] without its alpha.
func rgb(c color.Color) (r, g, b float32) {
	switch c := c.(type) {
	case color.Gray:
		v := scale8(c.Y)
		return v, v, v
	case color.Gray16:
		v := scale16(uint32(c.Y))
		return v, v, v
	case color.NRGBA:
		return scale8(c.R), scale8(c.G), scale8(c.B)
	case color.NRGBA64:
		return scale16(uint32(c.R)), scale16(uint32(c.G)), scale16(uint32(c.B))
	}
	return rgb16(c.RGBA())
}

// rgb16 returns in [0, 1] the colour of the alpha-premultiplied 16-bit
// values that color.Color.RGBA returns, without the alpha.
func rgb16(pr, pg, pb, a uint32) (r, g, b float32) {
	if a == 0 {
		return 0, 0, 0
	}
	if a != 0xffff {
		// Undo the premultiplication.
		pr, pg, pb = pr*0xffff/a, pg*0xffff/a, pb*0xffff/a
	}
	return scale16(pr), scale16(pg), scale16(pb)
}

// scale8 maps an 8-bit value to [0, 1] as nidim scales the pixels of an
// MNIST-style IDX directory.
func scale8(v uint8) float32 { return float32(v) / 255 }

// scale16 maps a 16-bit value to [0, 1]. An 8-bit value widened to 16
// bits, v*257, gives scale8(v).
func scale16(v uint32) float32 {
	if v%257 == 0 {
		return scale8(uint8(v / 257))
	}
	return float32(float64(v) / 65535)
}

// ParseSize parses an image size given as HxW, such as 28x28.
func ParseSize(s string) (height, width int, err error) {
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		height, err = strconv.Atoi(hs)
		if err == nil {
			width, err = strconv.Atoi(ws)
		}
	}
	if !ok || err != nil || height < 1 || width < 1 || height > MaxSide || width > MaxSide {
		return 0, 0, fmt.Errorf("invalid image size %q; use HEIGHTxWIDTH with each side from 1 to %d, such as 28x28", s, MaxSide)
	}
	return height, width, nil
}

// MaxSide is the largest image side ParseSize accepts. Larger sizes
// overflow no int, but no encoder nidim has trains on them.
const MaxSide = 1 << 14
