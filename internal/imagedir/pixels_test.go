package imagedir

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		fast, fastColour := imagePixels(img, img.Bounds())
		slow, slowColour := imagePixels(atOnly{img}, img.Bounds())
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
		imagePixels(img, img.Bounds())
	}
	b.ReportMetric(float64(b.N)*12e6/b.Elapsed().Seconds()/1e6, "Mpixels/s")
}

// resizeImage reads the image a row at a time, but must give the bits of
// Resize on the whole image, enlarging and shrinking by whole and other
// factors, for bounds that do not start at 0.
func TestResizeImageMatchesResize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	img := image.NewNRGBA64(image.Rect(5, -2, 5+13, -2+9))
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			img.SetNRGBA64(x, y, color.NRGBA64{R: uint16(r.IntN(65536)), G: uint16(r.IntN(65536)), B: uint16(r.IntN(65536)), A: 0xffff})
		}
	}
	whole, _ := imagePixels(img, img.Bounds())
	for _, size := range [][2]int{{9, 13}, {3, 4}, {1, 1}, {18, 26}, {7, 20}, {16, 5}, {1, 13}} {
		want := Resize(whole, 3, 9, 13, size[0], size[1])
		got, colour := resizeImage(img, img.Bounds(), size[0], size[1])
		assert.Equal(t, want, got, "%dx%d", size[0], size[1])
		assert.True(t, colour, "%dx%d", size[0], size[1])
	}
}

// resizeImage reads an image turned by an EXIF orientation from its
// stored pixels, a block of rows at a time for orientations 5 to 8. It
// must give the bits of Resize on the image read point by point through
// At. The stored image is 37 x 21, with bounds that do not start at 0.
// So the 37 rows of a transposed image end in a partial block.
func TestResizeImageOriented(t *testing.T) {
	for name, stored := range randomStoredImages(5, 6) {
		for o := 1; o <= 8; o++ {
			img := orient(stored, o)
			b := img.Bounds()
			whole, wantColour := imagePixels(atOnly{img}, img.Bounds())
			for _, size := range [][2]int{{b.Dy(), b.Dx()}, {8, 8}, {1, 1}, {40, 50}, {5, 3}} {
				want := Resize(whole, 3, b.Dy(), b.Dx(), size[0], size[1])
				got, colour := resizeImage(img, img.Bounds(), size[0], size[1])
				assert.Equal(t, want, got, "%s, orientation %d, %dx%d", name, o, size[0], size[1])
				assert.Equal(t, wantColour, colour, "%s, orientation %d, %dx%d", name, o, size[0], size[1])
			}
		}
	}
}

// Shrinking a large image must not copy it to float32 at its full size,
// which took 12 bytes per pixel on top of the decoded image.
func TestPixelsResizeAllocatesLittle(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	x, colour := Pixels(img, 16, 16, Squeeze)
	runtime.ReadMemStats(&after)

	require.Len(t, x, 3*16*16)
	assert.False(t, colour)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(1<<20), "bytes allocated to shrink a 1000 x 1000 image to 16 x 16")
}

// Load gives the stored colour of each pixel without its alpha: 16-bit
// values over 65535, a transparent PNG pixel its colour, and a GIF's
// transparent index black.
func TestLoadColourModelValues(t *testing.T) {
	dir := t.TempDir()
	gray16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	gray16.SetGray16(0, 0, color.Gray16{Y: 1000})
	gray16.SetGray16(1, 0, color.Gray16{Y: 257 * 200})
	writePNG(t, filepath.Join(dir, "a_gray16.png"), gray16)

	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	nrgba64.SetNRGBA64(0, 0, color.NRGBA64{R: 1, G: 30000, B: 65535, A: 0})
	nrgba64.SetNRGBA64(1, 0, color.NRGBA64{R: 65534, G: 2, B: 40000, A: 12345})
	writePNG(t, filepath.Join(dir, "b_nrgba64.png"), nrgba64)

	// png.Encode writes the alpha of NRGBA palette entries as a tRNS chunk.
	paletted := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.NRGBA{R: 10, G: 20, B: 30, A: 0}, color.NRGBA{R: 200, G: 100, B: 50, A: 128}})
	paletted.SetColorIndex(1, 0, 1)
	writePNG(t, filepath.Join(dir, "c_paletted.png"), paletted)

	frame := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{R: 90, G: 60, B: 30, A: 255}, color.RGBA{}})
	frame.SetColorIndex(1, 0, 1)
	var b bytes.Buffer
	require.NoError(t, gif.Encode(&b, frame, nil))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d.gif"), b.Bytes(), 0o644))

	s, err := Load(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, 3, s.Channels)
	sixteen := func(v int) float32 { return float32(float64(v) / 65535) }
	eight := func(v int) float32 { return float32(v) / 255 }
	want := [][]float32{
		{sixteen(1000), eight(200), sixteen(1000), eight(200), sixteen(1000), eight(200)},
		{sixteen(1), sixteen(65534), sixteen(30000), sixteen(2), 1, sixteen(40000)},
		{eight(10), eight(200), eight(20), eight(100), eight(30), eight(50)},
		{eight(90), 0, eight(60), 0, eight(30), 0},
	}
	for i, row := range want {
		assert.Equal(t, row, s.X[i*6:(i+1)*6], s.Paths[i])
	}
}

// A phone photo stored sideways (EXIF orientation 6) shows each stored
// column as a row. The sub-benchmarks resize the same 12-megapixel
// YCbCr image to 32x32 under each orientation.
func BenchmarkPixelsOriented(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(3*i), uint8(5*i)
	}
	for _, o := range []int{1, 3, 6, 8} {
		b.Run("orientation="+strconv.Itoa(o), func(b *testing.B) {
			oriented := orient(img, o)
			b.ReportAllocs()
			for b.Loop() {
				Pixels(oriented, 32, 32, Squeeze)
			}
			b.ReportMetric(float64(b.N)*12e6/b.Elapsed().Seconds()/1e6, "Mpixels/s")
		})
	}
}

// randomStoredImages returns a YCbCr 4:2:0 image and a gray image of 37 x
// 21 random pixels, whose bounds do not start at 0, by name, from the
// seeds seed1 and seed2.
func randomStoredImages(seed1, seed2 uint64) map[string]image.Image {
	r := rand.New(rand.NewPCG(seed1, seed2))
	rect := image.Rect(2, -3, 2+37, -3+21)
	ycbcr := image.NewYCbCr(rect, image.YCbCrSubsampleRatio420)
	for i := range ycbcr.Y {
		ycbcr.Y[i] = uint8(r.IntN(256))
	}
	for i := range ycbcr.Cb {
		ycbcr.Cb[i], ycbcr.Cr[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
	}
	gray := image.NewGray(rect)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(r.IntN(256))
	}
	return map[string]image.Image{"ycbcr": ycbcr, "gray": gray}
}

// A photo that is already at the model's size is read without resizing.
// The sub-benchmarks read a 256 x 192 YCbCr 4:2:0 image, the size of a
// small JPEG thumbnail, under each EXIF orientation at the size it is
// shown at.
func BenchmarkPixelsModelSize(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 256, 192), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(3*i), uint8(5*i)
	}
	for o := 1; o <= orientMax; o++ {
		b.Run("orientation="+strconv.Itoa(o), func(b *testing.B) {
			oriented := orient(img, o)
			size := oriented.Bounds()
			b.ReportAllocs()
			for b.Loop() {
				Pixels(oriented, size.Dy(), size.Dx(), Squeeze)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// An image turned by an EXIF orientation that is already at the sample
// size, whole or cropped to it, is read row by row from its stored
// pixels. It must give the bits of the same image read point by point
// through At.
func TestPixelsOrientedAtSampleSize(t *testing.T) {
	for name, stored := range randomStoredImages(7, 8) {
		for o := 1; o <= orientMax; o++ {
			img := orient(stored, o)
			b := img.Bounds()
			side := min(b.Dx(), b.Dy())
			for _, c := range []struct {
				fit    Fit
				region image.Rectangle
			}{
				{Squeeze, b},
				{Crop, cropRect(b, side, side)},
			} {
				want, wantColour := imagePixels(atOnly{img}, c.region)
				got, colour := Pixels(img, c.region.Dy(), c.region.Dx(), c.fit)
				assert.Equal(t, float32Bits(want), float32Bits(got), "%s, orientation %d, %v", name, o, c.fit)
				assert.Equal(t, wantColour, colour, "%s, orientation %d, %v", name, o, c.fit)
			}
		}
	}
}
