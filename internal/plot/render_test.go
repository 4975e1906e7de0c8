package plot

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var pngDir = flag.String("pngdir", "", "keep the PNGs rendered by TestRenderPNG in this directory")

// TestRenderPNG renders every figure kind with rsvg-convert and checks that
// the PNG decodes at the SVG's size and shows several colours. Install
// rsvg-convert (Debian: librsvg2-bin) to run it.
func TestRenderPNG(t *testing.T) {
	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		t.Skip("rsvg-convert not found, so the SVGs are not rendered; install librsvg2-bin to run this test")
	}
	dir := t.TempDir()
	if *pngDir != "" {
		dir = *pngDir
	}
	for _, f := range exampleFigures(t) {
		t.Run(f.name, func(t *testing.T) {
			var svg bytes.Buffer
			if err := f.figure.WriteSVG(&svg); err != nil {
				t.Fatal(err)
			}
			doc := parseSVG(t, svg.Bytes())
			svgPath := filepath.Join(dir, f.name+".svg")
			pngPath := filepath.Join(dir, f.name+".png")
			if err := os.WriteFile(svgPath, svg.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(rsvg, "-o", pngPath, svgPath).CombinedOutput()
			if err != nil {
				t.Fatalf("rsvg-convert failed: %v\n%s", err, out)
			}
			if len(out) > 0 {
				t.Errorf("rsvg-convert printed warnings:\n%s", out)
			}

			file, err := os.Open(pngPath)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			img, err := png.Decode(file)
			if err != nil {
				t.Fatalf("the rendered PNG does not decode: %v", err)
			}
			size := img.Bounds().Size()
			if size.X != int(doc.width) || size.Y != int(doc.height) {
				t.Errorf("PNG is %d x %d px, want the SVG size %v x %v", size.X, size.Y, doc.width, doc.height)
			}
			colors, nonWhite := colorCounts(img)
			if nonWhite < size.X*size.Y/200 {
				t.Errorf("only %d of %d pixels are not white; the figure looks blank", nonWhite, size.X*size.Y)
			}
			if colors < 4 {
				t.Errorf("the PNG has %d distinct colours with at least 20 pixels each, want at least 4", colors)
			}
		})
	}
}

// colorCounts returns the number of distinct colours covering at least 20
// pixels, and the number of pixels that are not white.
func colorCounts(img image.Image) (colors, nonWhite int) {
	counts := make(map[[4]uint32]int)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}]++
			if r>>8 < 250 || g>>8 < 250 || bl>>8 < 250 {
				nonWhite++
			}
		}
	}
	for _, n := range counts {
		if n >= 20 {
			colors++
		}
	}
	return colors, nonWhite
}
