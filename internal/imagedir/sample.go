package imagedir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
)

// Header is the size and colour model of an image, read from its header
// by image.DecodeConfig without decoding the pixels, and the EXIF
// orientation of a JPEG or PNG.
type Header struct {
	Format string // "png", "jpeg" or "gif"
	// Width and Height are the size of the image shown upright: the
	// stored size with the two swapped when Orientation is 5 to 8.
	Width, Height int
	Gray          bool // the colour model holds no colour
	// Orientation is the EXIF orientation of a JPEG or PNG, 2 to 8,
	// which Decode applies, or 0 for an image read as stored.
	Orientation int
}

// NoPixelsError is the error of ReadHeader for a header that declares a
// width or height of 0.
type NoPixelsError struct {
	Format        string
	Width, Height int
}

func (e *NoPixelsError) Error() string {
	return fmt.Sprintf("the %s header declares an image of %dx%d pixels (height x width)", e.Format, e.Height, e.Width)
}

// headerReaders pools the buffered readers of ReadHeader, each large
// enough for the start of a JPEG or PNG file up to its EXIF data.
var headerReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, exifSearchBytes) }}

// ReadHeader reads the header of the PNG, JPEG or GIF image in r, and
// the EXIF orientation of a JPEG's APP1 segment or a PNG's eXIf chunk
// when the tag lies in the first exifSearchBytes of the file. It returns the error of
// image.DecodeConfig, which DecodeReason words for messages, or a
// *NoPixelsError.
func ReadHeader(r io.Reader) (Header, error) {
	br := headerReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		headerReaders.Put(br)
	}()
	var start []byte
	magic, _ := br.Peek(len(pngSignature))
	if bytes.HasPrefix(magic, []byte{0xff, 0xd8}) || string(magic) == pngSignature {
		// Peek returns what the file has when it is shorter.
		start, _ = br.Peek(exifSearchBytes)
	}
	cfg, format, err := image.DecodeConfig(br)
	if err != nil {
		return Header{}, err
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return Header{}, &NoPixelsError{Format: format, Width: cfg.Width, Height: cfg.Height}
	}
	h := Header{Format: format, Width: cfg.Width, Height: cfg.Height, Gray: isGrayModel(cfg.ColorModel)}
	o := orientNormal
	switch format {
	case "jpeg":
		o = jpegOrientation(start)
	case "png":
		o = pngOrientation(start)
	}
	if o > orientNormal {
		h.Orientation = o
		if o >= orientTranspose {
			h.Width, h.Height = h.Height, h.Width
		}
	}
	return h, nil
}

// Decode decodes the image in r, whose header ReadHeader read as h, and
// turns it upright by h.Orientation. The image has the bounds (0, 0)-
// (h.Width, h.Height), also for a GIF whose first frame covers less (see
// onCanvas). It returns the error of image.Decode.
func Decode(r io.Reader, h Header) (image.Image, error) {
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, err
	}
	if h.Orientation > orientNormal {
		return orient(img, h.Orientation), nil
	}
	return onCanvas(img, h.Width, h.Height), nil
}

// DecodeReason returns why a decoder rejected an image with err, for a
// message: the text of err, or for image.ErrFormat that the content is
// not one of the three formats.
func DecodeReason(err error) string {
	if errors.Is(err, image.ErrFormat) {
		return "its content is not PNG, JPEG or GIF, whatever its extension says"
	}
	return err.Error()
}

// Pixels returns the red, green and blue values of img in [0, 1],
// channels first, and whether any pixel has colour. With Crop it reads
// only the centred rectangle of the aspect ratio height:width (see
// cropRect). It resizes what it reads with Resize to height x width when
// that has another size. Load reads every image with it.
func Pixels(img image.Image, height, width int, fit Fit) ([]float32, bool) {
	b := fit.region(img.Bounds(), height, width)
	if b.Dy() != height || b.Dx() != width {
		return resizeImage(img, b, height, width)
	}
	return imagePixels(img, b)
}

// Sample returns img as one sample of channels x height x width values,
// the values that Load gives it with Options.Channels set to channels
// (1 or 3), the size height x width and Options.Fit set to fit. A gray
// image given 3 channels repeats its values in each. With channels 1 an
// image with colour returns nil and false, because Load rejects it.
func Sample(img image.Image, channels, height, width int, fit Fit) ([]float32, bool) {
	pixels, colour := Pixels(img, height, width, fit)
	if channels == 3 {
		return pixels, true
	}
	if colour {
		return nil, false
	}
	return pixels[:height*width], true
}
