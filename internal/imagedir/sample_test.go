package imagedir

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// colourImage returns an h x w image whose red, green and blue differ.
func colourImage(h, w int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(20*x + y), G: uint8(7 * y), B: uint8(x * y), A: 255})
		}
	}
	return img
}

// decodeBytes reads an image file as a server reads a request body.
func decodeBytes(t *testing.T, data []byte) image.Image {
	t.Helper()
	h, err := ReadHeader(bytes.NewReader(data))
	require.NoError(t, err)
	img, err := Decode(bytes.NewReader(data), h)
	require.NoError(t, err)
	return img
}

// Sample must give the values that Load gives the same file, for each
// channel count and with and without resizing.
func TestSampleMatchesLoad(t *testing.T) {
	var grayPNG, colourPNG bytes.Buffer
	require.NoError(t, png.Encode(&grayPNG, grayImage(5, 7, 3)))
	require.NoError(t, png.Encode(&colourPNG, colourImage(5, 7)))
	files := map[string][]byte{"gray": grayPNG.Bytes(), "colour": colourPNG.Bytes(), "gif frame": gifWithSmallFrame(t)}

	for name, data := range files {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "a.png"), data, 0o644))
		img := decodeBytes(t, data)
		for _, fit := range []Fit{Squeeze, Crop} {
			for _, channels := range []int{1, 3} {
				for _, size := range [][2]int{{5, 7}, {4, 4}, {3, 2}, {9, 11}} {
					s, loadErr := Load(dir, Options{Channels: channels, Height: size[0], Width: size[1], Fit: fit})
					x, ok := Sample(img, channels, size[0], size[1], fit)
					if loadErr != nil {
						assert.Contains(t, loadErr.Error(), "has colour", "%s, %d channels", name, channels)
						assert.False(t, ok, "%s, %d channels", name, channels)
						assert.Nil(t, x, "%s, %d channels", name, channels)
						continue
					}
					require.True(t, ok, "%s, %v, %d channels, %v", name, fit, channels, size)
					assert.Equal(t, s.X, x, "%s, %v, %d channels, %v", name, fit, channels, size)
				}
			}
		}
	}
}

func TestSampleGrayInThreeChannels(t *testing.T) {
	x, ok := Sample(grayImage(1, 2, 50), 3, 1, 2, Squeeze)
	require.True(t, ok)
	a, b := float32(50)/255, float32(51)/255
	assert.Equal(t, []float32{a, b, a, b, a, b}, x)
}

func TestSampleColourForOneChannel(t *testing.T) {
	x, ok := Sample(colourImage(2, 2), 1, 2, 2, Squeeze)
	assert.False(t, ok)
	assert.Nil(t, x)
}

func TestReadHeaderErrors(t *testing.T) {
	_, err := ReadHeader(bytes.NewReader([]byte("not an image")))
	require.Error(t, err)
	assert.Equal(t, "its content is not PNG, JPEG or GIF, whatever its extension says", DecodeReason(err))

	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, grayImage(2, 3, 0)))
	h, err := ReadHeader(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, Header{Format: "png", Width: 3, Height: 2, Gray: true}, h)

	// gif.Encode gives a gray image the colour palette Plan9.
	b.Reset()
	require.NoError(t, gif.Encode(&b, grayImage(2, 3, 0), nil))
	h, err = ReadHeader(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, Header{Format: "gif", Width: 3, Height: 2, Gray: false}, h)

	_, err = ReadHeader(bytes.NewReader(b.Bytes()[:8]))
	require.Error(t, err)
	assert.Equal(t, "gif: reading header: unexpected EOF", DecodeReason(err))
}

// A GIF without a global colour table declares an empty palette in its
// header, which gives no information about its colours, so the header
// is not gray.
func TestReadHeaderGIFLocalPalette(t *testing.T) {
	frame := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.RGBA{R: 255, A: 255}, color.RGBA{G: 255, A: 255}})
	var b bytes.Buffer
	require.NoError(t, gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}}))
	h, err := ReadHeader(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, Header{Format: "gif", Width: 3, Height: 2, Gray: false}, h)
}
