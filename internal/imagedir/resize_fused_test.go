package imagedir

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Resize rounds every product before it adds it, on every architecture,
// so that a folder of images gives the same inputs on arm64, where Go
// may fuse a multiply and an add, as on amd64. On this 7 x 9 image the
// fused sum rounds output 10 to 0.6305634 instead of 0.6305633.
func TestResizeDoesNotFuse(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 0))
	src := make([]float32, 7*9)
	for i := range src {
		src[i] = float32(r.IntN(256)) / 255
	}
	got := Resize(src, 1, 7, 9, 3, 4)
	assert.Equal(t, uint32(0x3f216c99), math.Float32bits(got[10]), "got %v", got[10])

	// resizeImage, which reads decoded images row by row, sums the same
	// products and must round them too.
	img := image.NewGray(image.Rect(0, 0, 9, 7))
	for i, v := range src {
		img.Pix[i] = uint8(math.Round(float64(v) * 255))
	}
	rows, _ := resizeImage(img, img.Bounds(), 3, 4)
	assert.Equal(t, uint32(0x3f216c99), math.Float32bits(rows[10]), "got %v", rows[10])
}
