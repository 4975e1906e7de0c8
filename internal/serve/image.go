package serve

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"net/http"
	"strings"

	"github.com/nidim/nidim/internal/imagedir"
)

// Media types of image request bodies. The decoder is picked by the
// content of the body, as for the files of an image directory, so a JPEG
// sent as image/png is read as a JPEG.
const (
	mediaPNG  = "image/png"
	mediaJPEG = "image/jpeg"
	mediaGIF  = "image/gif"
)

// Names of the image media types and formats, for messages.
const (
	imageFormats = mediaPNG + ", " + mediaJPEG + " or " + mediaGIF
	imageNames   = "PNG, JPEG or GIF"
)

// isImageMedia reports whether media is one of the image media types.
func isImageMedia(media string) bool {
	return media == mediaPNG || media == mediaJPEG || media == mediaGIF
}

// inputShaper is a Model that stores the shape of one input: [values] for
// feature vectors, [C, H, W] for images.
type inputShaper interface {
	InputShape() []int
}

// imageFitter is a Model of images that stores how its training images
// were brought to its input size.
type imageFitter interface {
	ImageFit() imagedir.Fit
}

// imageShape returns the channels, height and width of the images that m
// takes. When image files cannot give its input, because it takes
// feature vectors or images of other than 1 or 3 channels, it returns a
// 415 error that names the input m takes.
func imageShape(m Model) (channels, height, width int, apiErr *apiError) {
	var shape []int
	if s, ok := m.(inputShaper); ok {
		shape = s.InputShape()
	}
	unsupported := func(format string, a ...any) *apiError {
		return &apiError{status: http.StatusUnsupportedMediaType, kind: "unsupported_media_type", msg: fmt.Sprintf(format, a...)}
	}
	if len(shape) != 3 {
		return 0, 0, 0, unsupported("the model takes feature vectors of %d values, not image files; send the inputs as %s or %s",
			m.InputSize(), mediaJSON, mediaNPY)
	}
	if shape[0] != 1 && shape[0] != 3 {
		return 0, 0, 0, unsupported("the model takes images of shape %v (channels, height, width), but an image file gives 1 or 3 channels; send the inputs as %s or %s",
			shape, mediaJSON, mediaNPY)
	}
	return shape[0], shape[1], shape[2], nil
}

// decodeImage reads one PNG, JPEG or GIF file into one input row of m,
// as "nidim embed" reads the file from a directory of images: in the
// model's channels, resized to its height and width. A model trained on
// cropped images gets each image cut to that aspect ratio first. An image whose
// header declares more than maxPixels pixels is rejected before its
// pixels are decoded.
func decodeImage(m Model, body []byte, maxPixels int64) ([]float32, *apiError) {
	channels, height, width, apiErr := imageShape(m)
	if apiErr != nil {
		return nil, apiErr
	}
	if len(body) == 0 {
		return nil, badRequest("malformed_image", "invalid image body: the request body is empty; send one %s file", imageNames)
	}
	h, err := imagedir.ReadHeader(bytes.NewReader(body))
	var noPixels *imagedir.NoPixelsError
	if errors.As(err, &noPixels) {
		return nil, badRequest("malformed_image", "invalid image body: %v; send an image that has pixels", err)
	}
	if err != nil {
		return nil, imageDecodeError(err)
	}
	if pixels := int64(h.Width) * int64(h.Height); pixels > maxPixels {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, kind: "image_too_large",
			msg: fmt.Sprintf("the %s image is %dx%d (height x width), %d pixels, over the limit of %d pixels; send it smaller, such as at the model's input size of %dx%d",
				strings.ToUpper(h.Format), h.Height, h.Width, pixels, maxPixels, height, width)}
	}
	img, err := imagedir.Decode(bytes.NewReader(body), h)
	if err != nil {
		return nil, imageDecodeError(err)
	}
	fit := imagedir.Squeeze
	if f, ok := m.(imageFitter); ok {
		fit = f.ImageFit()
	}
	row, ok := imagedir.Sample(img, channels, height, width, fit)
	if !ok {
		return nil, badRequest("input_channels", "the image has colour, but the model takes 1-channel images; send a grayscale image")
	}
	return row, nil
}

// imageDecodeError returns the error for an image body that the decoder
// rejected with err.
func imageDecodeError(err error) *apiError {
	if errors.Is(err, image.ErrFormat) {
		return badRequest("malformed_image", "invalid image body: its content is not PNG, JPEG or GIF, whatever its Content-Type says; send one %s file", imageNames)
	}
	return badRequest("malformed_image", "invalid image body: it cannot be decoded (%s); send one %s file", imagedir.DecodeReason(err), imageNames)
}

// imageMagic returns the image media type whose file signature starts
// body, or "" when there is none.
func imageMagic(body []byte) string {
	switch {
	case bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")):
		return mediaPNG
	case bytes.HasPrefix(body, []byte("\xff\xd8\xff")):
		return mediaJPEG
	case bytes.HasPrefix(body, []byte("GIF87a")), bytes.HasPrefix(body, []byte("GIF89a")):
		return mediaGIF
	}
	return ""
}
