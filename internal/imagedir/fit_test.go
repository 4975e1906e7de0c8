package imagedir

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nearestSide returns the length c from 1 to n whose ratio to other is
// closest to num/den, that is the c that minimizes |c*den - other*num|,
// the larger one on a tie. It searches every length, as a check of the
// closed form in cropRect.
func nearestSide(n, other, num, den int) int {
	best, bestDist := 0, -1
	for c := 1; c <= n; c++ {
		dist := c*den - other*num
		if dist < 0 {
			dist = -dist
		}
		if bestDist < 0 || dist <= bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// cropRect keeps the full side along which the image is narrower than
// the target ratio, cuts the other to the nearest whole length, and
// centres the rest with the odd pixel cut on the right or at the
// bottom. The expected rectangle is searched for, not computed with the
// formula of cropRect.
func TestCropRectSearch(t *testing.T) {
	sides := []int{1, 2, 3, 4, 5, 7, 8, 13, 28, 30, 64, 97}
	for _, w := range sides {
		for _, h := range sides {
			for _, target := range [][2]int{{1, 1}, {28, 28}, {2, 3}, {3, 2}, {1, 7}, {9, 1}, {16, 9}, {5, 13}} {
				H, W := target[0], target[1]
				b := image.Rect(-3, 5, -3+w, 5+h)
				got := cropRect(b, H, W)
				cw, ch := w, h
				if w*H > h*W {
					cw = nearestSide(w, h, W, H)
				} else if w*H < h*W {
					ch = nearestSide(h, w, H, W)
				}
				x0, y0 := b.Min.X+(w-cw)/2, b.Min.Y+(h-ch)/2
				want := image.Rect(x0, y0, x0+cw, y0+ch)
				name := fmt.Sprintf("%dx%d image, %dx%d target", h, w, H, W)
				assert.Equal(t, want, got, name)
				assert.True(t, got.In(b), name)
				right, bottom := b.Max.X-got.Max.X, b.Max.Y-got.Max.Y
				left, top := got.Min.X-b.Min.X, got.Min.Y-b.Min.Y
				assert.Contains(t, []int{left, left + 1}, right, "right margin, %s", name)
				assert.Contains(t, []int{top, top + 1}, bottom, "bottom margin, %s", name)
			}
		}
	}
}

// Cases worked by hand, including 1-pixel sides.
func TestCropRectCases(t *testing.T) {
	cases := []struct {
		w, h, H, W int
		want       image.Rectangle
	}{
		{4000, 3000, 28, 28, image.Rect(500, 0, 3500, 3000)}, // landscape photo to a square
		{3000, 4000, 28, 28, image.Rect(0, 500, 3000, 3500)}, // portrait photo to a square
		{640, 480, 480, 640, image.Rect(0, 0, 640, 480)},     // same ratio, other size
		{32, 32, 32, 32, image.Rect(0, 0, 32, 32)},           // the target size itself
		{5, 4, 2, 2, image.Rect(0, 0, 4, 4)},                 // odd excess: the extra pixel comes off the right
		{4, 5, 2, 2, image.Rect(0, 0, 4, 4)},                 // and off the bottom
		{7, 4, 2, 2, image.Rect(1, 0, 5, 4)},                 // 3 cut: 1 left, 2 right
		{1, 100, 1, 1, image.Rect(0, 49, 1, 50)},             // a 1-pixel column
		{100, 1, 16, 16, image.Rect(49, 0, 50, 1)},           // a 1-pixel row
		{1, 1, 1, 1000, image.Rect(0, 0, 1, 1)},              // the cut side stays at least 1 pixel
		{3, 1, 1, 2, image.Rect(0, 0, 2, 1)},                 // 1.5 wide for 1 high, cut to 2
		{10, 10, 3, 4, image.Rect(0, 1, 10, 9)},              // 7.5 rounds half up to 8
		{10, 10, 4, 3, image.Rect(1, 0, 9, 10)},              // the same, transposed
		{1920, 1080, 28, 28, image.Rect(420, 0, 1500, 1080)}, // 16:9 to a square
		{1080, 1920, 16, 9, image.Rect(0, 0, 1080, 1920)},    // 9:16 portrait, ratio 16:9 height to width
		{1080, 1080, 16, 9, image.Rect(236, 0, 844, 1080)},   // 607.5 wide rounds to 608
	}
	for _, c := range cases {
		assert.Equal(t, c.want, cropRect(image.Rect(0, 0, c.w, c.h), c.H, c.W), "%dx%d image, %dx%d target", c.h, c.w, c.H, c.W)
	}
}

// uprightCopy returns the pixels of img, read through At, in a new RGBA64
// image with the same bounds, so that cropping it with SubImage needs
// none of the code under test.
func uprightCopy(img image.Image) *image.RGBA64 {
	b := img.Bounds()
	out := image.NewRGBA64(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// Pixels with Crop reads only the crop rectangle of the upright image,
// from the typed readers of the stored pixels, and must give the bits of
// Resize applied to that rectangle copied out through At. The stored
// image is 37 x 21 with bounds that do not start at 0, under every EXIF
// orientation, so both a landscape and a portrait upright image are cut.
func TestPixelsCropMatchesResize(t *testing.T) {
	for name, stored := range randomStoredImages(9, 10) {
		for o := 1; o <= 8; o++ {
			img := orient(stored, o)
			upright := uprightCopy(img)
			for _, size := range [][2]int{{8, 8}, {1, 1}, {40, 50}, {5, 3}, {21, 37}, {37, 21}, {1, 9}} {
				name := fmt.Sprintf("%s, orientation %d, %dx%d", name, o, size[0], size[1])
				crop := cropRect(img.Bounds(), size[0], size[1])
				sub := upright.SubImage(crop).(*image.RGBA64)
				whole, wantColour := imagePixels(atOnly{sub}, sub.Bounds())
				want := Resize(whole, 3, crop.Dy(), crop.Dx(), size[0], size[1])

				got, colour := Pixels(img, size[0], size[1], Crop)
				assert.Equal(t, float32Bits(want), float32Bits(got), name)
				assert.Equal(t, wantColour, colour, name)
			}
		}
	}
}

// An image whose ratio is the target's is read whole, so Crop gives the
// bits of Squeeze; at the target size itself neither resizes.
func TestPixelsCropSameRatio(t *testing.T) {
	img := seededColourImage(12, 18, 4)
	for _, size := range [][2]int{{12, 18}, {6, 9}, {2, 3}, {24, 36}} {
		squeezed, _ := Pixels(img, size[0], size[1], Squeeze)
		cropped, _ := Pixels(img, size[0], size[1], Crop)
		assert.Equal(t, float32Bits(squeezed), float32Bits(cropped), "%v", size)
	}
	whole, _ := imagePixels(img, img.Bounds())
	cropped, _ := Pixels(img, 12, 18, Crop)
	assert.Equal(t, whole, cropped)
}

// Load with Crop counts the images it cut, and gives each row the
// values of Pixels with Crop on the decoded file, here a sideways JPEG.
func TestLoadCrop(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), seededColourImage(20, 30, 1)) // landscape
	writePNG(t, filepath.Join(dir, "b.png"), seededColourImage(30, 20, 2)) // portrait
	writePNG(t, filepath.Join(dir, "c.png"), seededColourImage(16, 16, 3)) // square, only resized
	writePNG(t, filepath.Join(dir, "d.png"), seededColourImage(8, 8, 4))   // the target size
	data, _ := testJPEG(t)
	sideways := withSegments(data, exifSegment(binary.BigEndian, orientationEntry(6)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "e.jpg"), sideways, 0o644))

	set, err := Load(dir, Options{Height: 8, Width: 8, Fit: Crop, Channels: 3})
	require.NoError(t, err)
	assert.Equal(t, 4, set.Resized)
	assert.Equal(t, 3, set.Cropped)
	area := 3 * 8 * 8
	for i, path := range set.Paths {
		file, err := os.ReadFile(path)
		require.NoError(t, err)
		h, err := ReadHeader(bytes.NewReader(file))
		require.NoError(t, err)
		img, err := Decode(bytes.NewReader(file), h)
		require.NoError(t, err)
		want, _ := Pixels(img, 8, 8, Crop)
		assert.Equal(t, float32Bits(want), float32Bits(set.X[i*area:(i+1)*area]), path)
	}

	squeezed, err := Load(dir, Options{Height: 8, Width: 8, Channels: 3})
	require.NoError(t, err)
	assert.Equal(t, 0, squeezed.Cropped)
	assert.NotEqual(t, float32Bits(squeezed.X[:area]), float32Bits(set.X[:area]), "the landscape image is cut")
	assert.Equal(t, float32Bits(squeezed.X[2*area:4*area]), float32Bits(set.X[2*area:4*area]), "square images are not cut")
}

func TestParseFit(t *testing.T) {
	for _, f := range []Fit{Squeeze, Crop} {
		got, err := ParseFit(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	_, err := ParseFit("fill")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"fill"`)
	assert.Contains(t, err.Error(), FitNames)
}

// Cropping a 12-megapixel JPEG photo to a square and resizing it to
// 32 x 32 reads fewer pixels than squeezing it whole, and must not
// allocate more: the crop narrows the bounds read, without a copy. The
// decode sub-benchmarks decode the file and read it; the others read the
// decoded image, as stored and turned by EXIF orientation 6.
func BenchmarkPixelsFitJPEG(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for y := range 3000 {
		for x := range 4000 {
			src.SetRGBA(x, y, color.RGBA{R: uint8(x * y), G: uint8(x + 3*y), B: uint8(x ^ y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	h, err := ReadHeader(bytes.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	decoded, err := Decode(bytes.NewReader(file), h)
	if err != nil {
		b.Fatal(err)
	}
	for _, fit := range []Fit{Squeeze, Crop} {
		b.Run("fit="+fit.String()+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				img, err := Decode(bytes.NewReader(file), h)
				if err != nil {
					b.Fatal(err)
				}
				Pixels(img, 32, 32, fit)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
		for _, o := range []int{1, 6} {
			b.Run(fmt.Sprintf("fit=%s/orientation=%d", fit, o), func(b *testing.B) {
				img := orient(decoded, o)
				b.ReportAllocs()
				for b.Loop() {
					Pixels(img, 32, 32, fit)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
