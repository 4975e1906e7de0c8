package imagedir

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// atOnly hides the concrete type of an image, so that imagePixels reads
// it through At, as it reads every type without a fast path.
type atOnly struct{ image.Image }

// The fast paths of pixelReader must give the bits that At gives, for
// odd sizes, bounds that do not start at 0 and translucent pixels.
func TestPixelReaderMatchesAt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	byte8 := func() uint8 { return uint8(r.IntN(256)) }
	rect := image.Rect(3, 2, 3+7, 2+5)

	ycbcr := image.NewYCbCr(rect, image.YCbCrSubsampleRatio420)
	for i := range ycbcr.Y {
		ycbcr.Y[i] = byte8()
	}
	for i := range ycbcr.Cb {
		ycbcr.Cb[i], ycbcr.Cr[i] = byte8(), byte8()
	}
	gray := image.NewGray(rect)
	nrgba := image.NewNRGBA(rect)
	rgba := image.NewRGBA(rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			gray.SetGray(x, y, color.Gray{Y: byte8()})
			nrgba.SetNRGBA(x, y, color.NRGBA{R: byte8(), G: byte8(), B: byte8(), A: byte8()})
			a := byte8()
			rgba.SetRGBA(x, y, color.RGBA{R: byte8() & a, G: byte8() & a, B: byte8() & a, A: a})
		}
	}

	for name, img := range map[string]image.Image{"ycbcr": ycbcr, "gray": gray, "nrgba": nrgba, "rgba": rgba} {
		fast, fastColour := imagePixels(img)
		slow, slowColour := imagePixels(atOnly{img})
		assert.Equal(t, slow, fast, name)
		assert.Equal(t, slowColour, fastColour, name)
	}
}

// A 12-megapixel JPEG decodes to a YCbCr image; reading it through At
// allocated once per pixel.
func BenchmarkImagePixelsYCbCr(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		imagePixels(img)
	}
	b.ReportMetric(float64(b.N)*12e6/b.Elapsed().Seconds()/1e6, "Mpixels/s")
}
