package imagedir

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grayImage returns an h x w gray image whose pixel (x, y) is
// seed + 10*y + x.
func grayImage(h, w, seed int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: uint8(seed + 10*y + x)})
		}
	}
	return img
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

func TestListLabelledOrder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"dog/b.png", "dog/a.jpg", "dog/c.jfif", "dog/d.JPE", "cat/2.gif", "cat/1.PNG"} {
		writePNG(t, filepath.Join(dir, p), grayImage(2, 2, 0))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat", "notes.txt"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dog", ".DS_Store"), nil, 0o644))

	l, err := List(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "dog"}, l.Classes)
	assert.Equal(t, []int{0, 0, 1, 1, 1, 1}, l.Labels)
	want := []string{"cat/1.PNG", "cat/2.gif", "dog/a.jpg", "dog/b.png", "dog/c.jfif", "dog/d.JPE"}
	for i, p := range want {
		assert.Equal(t, filepath.Join(dir, p), l.Paths[i])
	}
	assert.Equal(t, 2, l.Skipped)
}

// Class directories named 0 to 10 sorted by name put 10 before 2, so
// directory 2 got label 3. Numbers are now ordered by value, while a
// name with a leading zero keeps the name order for all.
func TestListNumericClassOrder(t *testing.T) {
	dir := t.TempDir()
	for c := range 11 {
		writePNG(t, filepath.Join(dir, strconv.Itoa(c), "a.png"), grayImage(2, 2, 0))
	}
	l, err := List(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, l.Classes)
	for c := range 11 {
		assert.Equal(t, filepath.Join(dir, strconv.Itoa(c), "a.png"), l.Paths[c])
		assert.Equal(t, c, l.Labels[c])
	}

	writePNG(t, filepath.Join(dir, "07", "a.png"), grayImage(2, 2, 0))
	l, err = List(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "07", "1", "10", "2", "3", "4", "5", "6", "7", "8", "9"}, l.Classes)
}

func TestListUnlabelled(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "b.png"), grayImage(2, 2, 0))
	writePNG(t, filepath.Join(dir, "a.png"), grayImage(2, 2, 0))
	l, err := List(dir)
	require.NoError(t, err)
	assert.Nil(t, l.Labels)
	assert.Equal(t, []string{filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")}, l.Paths)
}

func TestListLayoutErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := List(empty)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "contains no image files")

	both := t.TempDir()
	writePNG(t, filepath.Join(both, "a.png"), grayImage(2, 2, 0))
	writePNG(t, filepath.Join(both, "cat", "a.png"), grayImage(2, 2, 0))
	_, err = List(both)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "both image files")

	emptyClass := t.TempDir()
	writePNG(t, filepath.Join(emptyClass, "cat", "a.png"), grayImage(2, 2, 0))
	require.NoError(t, os.Mkdir(filepath.Join(emptyClass, "dog"), 0o755))
	_, err = List(emptyClass)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "class directory "+filepath.Join(emptyClass, "dog")+" contains no image files")
	assert.Contains(t, err.Error(), "; add images to it, or remove it")

	// A class of photos that nidim does not read gets another fix.
	require.NoError(t, os.WriteFile(filepath.Join(emptyClass, "dog", "IMG_0001.HEIC"), []byte("data"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(emptyClass, "dog", "IMG_0002.HEIC"), []byte("data"), 0o644))
	_, err = List(emptyClass)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "class directory "+filepath.Join(emptyClass, "dog")+" contains no image files (.png, .jpg, .jpeg, .jpe, .jfif or .gif), only 2 skipped entries (files of other types, such as HEIC or WebP photos, and hidden files); convert its images to PNG or JPEG, or remove it")
}

func TestContains(t *testing.T) {
	dir := t.TempDir()
	assert.False(t, Contains(dir))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), nil, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "raw"), 0o755))
	assert.False(t, Contains(dir))
	writePNG(t, filepath.Join(dir, "raw", "a.png"), grayImage(2, 2, 0))
	assert.True(t, Contains(dir))
}

func TestLoadGrayValues(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a", "1.png"), grayImage(2, 3, 100))
	writePNG(t, filepath.Join(dir, "b", "1.png"), grayImage(2, 3, 7))
	s, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, [4]int{2, 1, 2, 3}, [4]int{s.N, s.Channels, s.Height, s.Width})
	want := []float32{}
	for _, seed := range []int{100, 7} {
		for y := range 2 {
			for x := range 3 {
				want = append(want, float32(seed+10*y+x)/255)
			}
		}
	}
	assert.Equal(t, want, s.X)
	assert.Equal(t, []int{0, 1}, s.Labels)
}

func TestLoadColourMakesRGB(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "1.png"), grayImage(1, 2, 10))
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	rgba.SetNRGBA(0, 0, color.NRGBA{R: 255, G: 0, B: 51, A: 128})
	rgba.SetNRGBA(1, 0, color.NRGBA{R: 1, G: 2, B: 3, A: 255})
	writePNG(t, filepath.Join(dir, "2.png"), rgba)

	s, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Channels)
	assert.Equal(t, 1, s.Gray)
	g0, g1 := float32(10)/255, float32(11)/255
	want := []float32{g0, g1, g0, g1, g0, g1,
		1, float32(1) / 255, 0, float32(2) / 255, float32(51) / 255, float32(3) / 255}
	assert.Equal(t, want, s.X)

	_, err = Load(dir, Options{Channels: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "2.png")+" has colour")
}

func TestLoadForcedRGB(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "1.png"), grayImage(1, 1, 9))
	s, err := Load(dir, Options{Channels: 3})
	require.NoError(t, err)
	v := float32(9) / 255
	assert.Equal(t, []float32{v, v, v}, s.X)
}

func TestLoadSizeMismatch(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "1.png"), grayImage(4, 4, 0))
	writePNG(t, filepath.Join(dir, "2.png"), grayImage(2, 3, 0))
	_, err := Load(dir, Options{SizeFlag: "--image-size"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "2.png")+" is 2x3")
	assert.Contains(t, err.Error(), filepath.Join(dir, "1.png")+", is 4x4")
	assert.Contains(t, err.Error(), "--image-size 4x4")

	s, err := Load(dir, Options{Height: 2, Width: 2})
	require.NoError(t, err)
	assert.Equal(t, 2, s.Resized)
	assert.Len(t, s.X, 8)
}

func TestLoadJPEGAndGIF(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, grayImage(8, 8, 0), &jpeg.Options{Quality: 100}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "1.jpg"), b.Bytes(), 0o644))
	b.Reset()
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Gray{0}, color.Gray{200}})
	pal.SetColorIndex(3, 4, 1)
	require.NoError(t, gif.Encode(&b, pal, nil))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2.gif"), b.Bytes(), 0o644))

	s, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, 1, s.Channels)
	// JPEG is lossy: quality 100 keeps the gray values within a few levels.
	assert.InDelta(t, float32(34)/255, s.X[3*8+4], 3.0/255)
	gifRow := s.X[64:]
	assert.Equal(t, float32(200)/255, gifRow[4*8+3])
	assert.Equal(t, float32(0), gifRow[0])
}

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, grayImage(8, 8, 0)))
	path := filepath.Join(dir, "a.png")
	require.NoError(t, os.WriteFile(path, b.Bytes()[:b.Len()-20], 0o644))
	_, err := Load(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" cannot be decoded (")
	assert.Contains(t, err.Error(), "unexpected EOF")

	require.NoError(t, os.WriteFile(path, []byte("hello, not an image"), 0o644))
	_, err = Load(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" cannot be decoded (its content is not PNG, JPEG or GIF")

	// An empty file, such as one left by a download that failed, is
	// named as empty.
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	_, err = Load(dir, Options{})
	assert.EqualError(t, err, path+" is empty; replace or remove the file")
}

func TestLoadMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	// A PNG header that declares 100000 x 100000 pixels: DecodeConfig
	// reads the size, and Load must reject it before decoding.
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, grayImage(1, 1, 0)))
	data := b.Bytes()
	// The IHDR chunk's width and height are big-endian at offsets 16 and
	// 20, and its CRC of type and data follows them at offset 29.
	for _, off := range []int{16, 20} {
		binary.BigEndian.PutUint32(data[off:], 100000)
	}
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	path := filepath.Join(dir, "huge.png")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err := Load(dir, Options{MaxBytes: 1e9})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" is 100000x100000")
	assert.Contains(t, err.Error(), "more than the 1.0 GB of memory available")

	small := t.TempDir()
	for i := range 10 {
		writePNG(t, filepath.Join(small, strings.Repeat("a", i+1)+".png"), grayImage(10, 10, 0))
	}
	_, err = Load(small, Options{MaxBytes: 8000, SizeFlag: "--image-size"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the 10 images of "+small)
	assert.Contains(t, err.Error(), "; use fewer images, or a smaller --image-size")

	// Without a flag that sets the size, as for a model's input, the
	// error names no such flag.
	_, err = Load(small, Options{MaxBytes: 8000, Height: 10, Width: 10})
	require.Error(t, err)
	assert.True(t, strings.HasSuffix(err.Error(), "more than the 8000 bytes of memory available; use fewer images"), err.Error())
}

func TestLoadFollowsSymlinks(t *testing.T) {
	target := t.TempDir()
	writePNG(t, filepath.Join(target, "x.png"), grayImage(1, 1, 5))
	dir := t.TempDir()
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "cat")))
	s, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, []float32{float32(5) / 255}, s.X)

	require.NoError(t, os.Symlink(filepath.Join(target, "missing"), filepath.Join(dir, "dog")))
	_, err = Load(dir, Options{})
	require.Error(t, err)
	link, missing := filepath.Join(dir, "dog"), filepath.Join(target, "missing")
	assert.EqualError(t, err, link+" is a symbolic link to "+missing+", which cannot be read (no such file or directory); fix the link or remove it")
}

func TestResizeByHand(t *testing.T) {
	// A 1 x 3 row shrunk to 1 x 2: output pixel 0 covers source [0, 1.5),
	// so it is (1*a + 0.5*b) / 1.5, and pixel 1 is (0.5*b + 1*c) / 1.5.
	got := Resize([]float32{0.3, 0.6, 0.9}, 1, 1, 3, 1, 2)
	assert.InDelta(t, (0.3+0.5*0.6)/1.5, got[0], 1e-7)
	assert.InDelta(t, (0.5*0.6+0.9)/1.5, got[1], 1e-7)

	// A 2 x 2 block shrunk to 1 x 1 is its mean. Enlarged to 4 x 4, each
	// pixel becomes a 2 x 2 block.
	got = Resize([]float32{0.1, 0.2, 0.3, 0.4}, 1, 2, 2, 1, 1)
	assert.InDelta(t, 0.25, got[0], 1e-7)
	got = Resize([]float32{0.1, 0.2, 0.3, 0.4}, 1, 2, 2, 4, 4)
	assert.InDeltaSlice(t, []float32{0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.3, 0.3, 0.4, 0.4}, got, 1e-7)
}

func TestResizeMatchesNumPy(t *testing.T) {
	// A 3 x 5 image resized to 2 x 3. The expected values are the matrix
	// product R @ X @ C.T, with R and C the overlap matrices of the area
	// filter, from numpy 1.24:
	//   x = (np.arange(15).reshape(3, 5) * 7 % 11) / 10
	//   def w(n, o): return np.array([[max(0, min((j+1)*n/o, i+1) - max(j*n/o, i)) / (n/o) for i in range(n)] for j in range(o)])
	//   w(3, 2) @ x @ w(5, 3).T
	src := make([]float32, 15)
	for i := range src {
		src[i] = float32(i*7%11) / 10
	}
	want := []float64{
		0.3466666666666666, 0.5133333333333333, 0.6799999999999999,
		0.31999999999999995, 0.48666666666666664, 0.6533333333333332,
	}
	got := Resize(src, 1, 3, 5, 2, 3)
	assert.InDeltaSlice(t, want, toFloat64(got), 1e-6)
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestParseSize(t *testing.T) {
	h, w, err := ParseSize("28x32")
	require.NoError(t, err)
	assert.Equal(t, [2]int{28, 32}, [2]int{h, w})
	for _, bad := range []string{"", "28", "28x", "x28", "0x5", "-1x5", "28,28", "99999x2"} {
		_, _, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
}

func FuzzParseSize(f *testing.F) {
	f.Add("28x28")
	f.Add("1X1")
	f.Fuzz(func(t *testing.T, s string) {
		h, w, err := ParseSize(s)
		if err == nil && (h < 1 || w < 1 || h > MaxSide || w > MaxSide) {
			t.Fatalf("ParseSize(%q) = %d, %d without an error", s, h, w)
		}
	})
}

func FuzzLoadImageFile(f *testing.F) {
	var b bytes.Buffer
	require.NoError(f, png.Encode(&b, grayImage(3, 2, 0)))
	f.Add(b.Bytes(), uint8(0))
	f.Add(orientedPNG(f, 6), uint8(0))
	b.Reset()
	require.NoError(f, jpeg.Encode(&b, grayImage(8, 8, 0), nil))
	f.Add(b.Bytes(), uint8(1))
	b.Reset()
	require.NoError(f, gif.Encode(&b, grayImage(2, 2, 0), nil))
	f.Add(b.Bytes(), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		dir := t.TempDir()
		name := "a" + Extensions[int(ext)%len(Extensions)]
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		// The limit keeps a header that declares a huge image from
		// being decoded.
		s, err := Load(dir, Options{MaxBytes: 1e8})
		if err != nil {
			return
		}
		require.Len(t, s.X, s.N*s.Channels*s.Height*s.Width)
		for _, v := range s.X {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel value %v outside [0, 1]", v)
			}
		}
	})
}

// gifWithSmallFrame returns a 4 x 4 GIF whose only frame covers pixels
// (1, 1) to (2, 2), all white.
func gifWithSmallFrame(t *testing.T) []byte {
	t.Helper()
	pal := color.Palette{color.Gray{Y: 0}, color.Gray{Y: 255}}
	frame := image.NewPaletted(image.Rect(1, 1, 3, 3), pal)
	for i := range frame.Pix {
		frame.Pix[i] = 1
	}
	var b bytes.Buffer
	require.NoError(t, gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: 4, Height: 4}}))
	return b.Bytes()
}

// image.Decode returns the first frame of a GIF, which may cover part of
// the size that the header declares. Load read it as if it covered all,
// and panicked on an index out of range.
func TestLoadGIFFrameSmallerThanScreen(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.gif"), gifWithSmallFrame(t), 0o644))

	s, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, [3]int{1, 4, 4}, [3]int{s.Channels, s.Height, s.Width})
	want := []float32{
		0, 0, 0, 0,
		0, 1, 1, 0,
		0, 1, 1, 0,
		0, 0, 0, 0,
	}
	assert.Equal(t, want, s.X)

	s, err = Load(dir, Options{Height: 2, Width: 2})
	require.NoError(t, err)
	assert.Equal(t, []float32{0.25, 0.25, 0.25, 0.25}, s.X)
}
