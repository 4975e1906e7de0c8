package imagedir

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exifEntry is one 12-byte entry of a TIFF image file directory.
type exifEntry struct {
	tag, kind uint16
	count     uint32
	value     uint32 // a SHORT value sits in the first two bytes
}

// exifSegment returns a JPEG APP1 segment holding a TIFF structure in
// byte order order with the entries in its first directory.
func exifSegment(order binary.AppendByteOrder, entries ...exifEntry) []byte {
	body := append([]byte("Exif\x00\x00"), tiffStructure(order, entries...)...)
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+len(body)))
	return append(seg, body...)
}

// tiffStructure returns the TIFF structure of EXIF data in byte order
// order with the entries in its first directory.
func tiffStructure(order binary.AppendByteOrder, entries ...exifEntry) []byte {
	var t []byte
	if order == binary.LittleEndian {
		t = append(t, "II"...)
	} else {
		t = append(t, "MM"...)
	}
	t = order.AppendUint16(t, 42)
	t = order.AppendUint32(t, 8)
	t = order.AppendUint16(t, uint16(len(entries)))
	for _, e := range entries {
		t = order.AppendUint16(t, e.tag)
		t = order.AppendUint16(t, e.kind)
		t = order.AppendUint32(t, e.count)
		if e.kind == 3 {
			t = order.AppendUint16(t, uint16(e.value))
			t = append(t, 0, 0)
		} else {
			t = order.AppendUint32(t, e.value)
		}
	}
	return order.AppendUint32(t, 0) // no next directory
}

// orientationEntry is the EXIF orientation tag with value v.
func orientationEntry(v uint32) exifEntry { return exifEntry{0x0112, 3, 1, v} }

// withSegments returns the JPEG file data with segments inserted after
// its start-of-image marker.
func withSegments(data []byte, segments ...[]byte) []byte {
	out := append([]byte{}, data[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, data[2:]...)
}

// testJPEG returns a gray JPEG of width 5 and height 3 whose pixels all
// differ, and its pixels as decoded, by row.
func testJPEG(t *testing.T) ([]byte, [][]uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 5, 3))
	for y := range 3 {
		for x := range 5 {
			img.SetGray(x, y, color.Gray{Y: uint8(15*(5*y+x) + 10)})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}))
	decoded, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	g := decoded.(*image.Gray)
	rows := make([][]uint8, 3)
	for y := range rows {
		rows[y] = append([]uint8{}, g.Pix[y*g.Stride:y*g.Stride+5]...)
	}
	return b.Bytes(), rows
}

// Grid operations with their usual meaning, each written from the
// picture it draws, to check sourcePoint against.
func flipH(g [][]uint8) [][]uint8 {
	out := make([][]uint8, len(g))
	for y, row := range g {
		for x := range row {
			out[y] = append(out[y], row[len(row)-1-x])
		}
	}
	return out
}

func flipV(g [][]uint8) [][]uint8 {
	out := make([][]uint8, len(g))
	for y := range g {
		out[y] = g[len(g)-1-y]
	}
	return out
}

func transpose(g [][]uint8) [][]uint8 {
	out := make([][]uint8, len(g[0]))
	for x := range out {
		for y := range g {
			out[x] = append(out[x], g[y][x])
		}
	}
	return out
}

// The bottom-left pixel moves to the top left.
func rotateClockwise(g [][]uint8) [][]uint8 { return flipH(transpose(g)) }

// The top-right pixel moves to the top left.
func rotateCounterclockwise(g [][]uint8) [][]uint8 { return flipV(transpose(g)) }

// upright returns the stored grid g as a viewer shows it under each EXIF
// orientation, from the specification's description of where the stored
// first row and column appear.
func upright(g [][]uint8, o int) [][]uint8 {
	switch o {
	case 2: // first row at the top, first column on the right
		return flipH(g)
	case 3: // first row at the bottom, first column on the right
		return flipV(flipH(g))
	case 4: // first row at the bottom, first column on the left
		return flipV(g)
	case 5: // first row on the left, first column at the top
		return transpose(g)
	case 6: // first row on the right, first column at the top
		return rotateClockwise(g)
	case 7: // first row on the right, first column at the bottom
		return flipV(rotateClockwise(g))
	case 8: // first row on the left, first column at the bottom
		return rotateCounterclockwise(g)
	}
	return g
}

// grayGrid returns the red channel of pixels, channels first at height x
// width, as 8-bit values by row.
func grayGrid(pixels []float32, height, width int) [][]uint8 {
	g := make([][]uint8, height)
	for y := range g {
		for x := range width {
			g[y] = append(g[y], uint8(pixels[y*width+x]*255+0.5))
		}
	}
	return g
}

func TestJPEGOrientationApplied(t *testing.T) {
	data, stored := testJPEG(t)
	jfif := []byte{0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	cameraMake := exifEntry{0x010f, 2, 4, 0x00414141} // "AAA" before the orientation
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			file := withSegments(data, jfif, exifSegment(order, cameraMake, orientationEntry(uint32(o))))
			h, err := ReadHeader(bytes.NewReader(file))
			require.NoError(t, err)
			if o == 1 {
				assert.Equal(t, 0, h.Orientation, "orientation 1 reads as stored")
			} else {
				assert.Equal(t, o, h.Orientation, "orientation %d, %v", o, order)
			}
			want := upright(stored, o)
			require.Equal(t, len(want), h.Height, "height under orientation %d", o)
			require.Equal(t, len(want[0]), h.Width, "width under orientation %d", o)

			img, err := Decode(bytes.NewReader(file), h)
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, h.Width, h.Height), img.Bounds())
			pixels, colour := Pixels(img, h.Height, h.Width, Squeeze)
			assert.False(t, colour)
			assert.Equal(t, want, grayGrid(pixels, h.Height, h.Width), "orientation %d, %v", o, order)

			// At and the typed pixel reader agree.
			for y := range h.Height {
				for x := range h.Width {
					g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
					assert.Equal(t, want[y][x], g.Y, "At(%d, %d) under orientation %d", x, y, o)
				}
			}
		}
	}
}

// Images that a viewer shows upright at one size load together, whatever
// size and orientation their files store.
func TestLoadOrientedJPEGs(t *testing.T) {
	data, stored := testJPEG(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.jpg"), withSegments(data, exifSegment(binary.BigEndian, orientationEntry(6))), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.jpg"), withSegments(data, exifSegment(binary.LittleEndian, orientationEntry(8))), 0o644))
	set, err := Load(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, [3]int{2, 5, 3}, [3]int{set.N, set.Height, set.Width})
	assert.Equal(t, 2, set.Oriented)
	assert.Equal(t, upright(stored, 6), grayGrid(set.X[:15], 5, 3))
	assert.Equal(t, upright(stored, 8), grayGrid(set.X[15:], 5, 3))

	// Orientation 1 leaves the image as stored, so it is not counted.
	one := filepath.Join(t.TempDir(), "one")
	require.NoError(t, os.MkdirAll(one, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(one, "a.jpg"), withSegments(data, exifSegment(binary.BigEndian, orientationEntry(1))), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(one, "b.jpg"), withSegments(data, exifSegment(binary.BigEndian, orientationEntry(3))), 0o644))
	set, err = Load(one, Options{})
	require.NoError(t, err)
	assert.Equal(t, 1, set.Oriented)

	// A file stored 5 wide among them is another size.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.jpg"), data, 0o644))
	_, err = Load(dir, Options{SizeFlag: "--image-size"})
	assert.ErrorContains(t, err, "c.jpg is 3x5 (height x width), but the first image")
}

// EXIF data that a viewer would not follow leaves the image as stored.
func TestJPEGOrientationIgnored(t *testing.T) {
	data, stored := testJPEG(t)
	le := binary.LittleEndian
	valid := exifSegment(le, orientationEntry(6))
	truncated := append([]byte{}, valid...)
	binary.BigEndian.PutUint16(truncated[2:], uint16(len(valid)-2-10)) // cuts the entry
	truncated = truncated[:len(valid)-10]
	farDirectory := exifSegment(le, orientationEntry(6))
	binary.LittleEndian.PutUint32(farDirectory[4+6+4:], 4000)
	badMagic := exifSegment(le, orientationEntry(6))
	binary.LittleEndian.PutUint16(badMagic[4+6+2:], 43)

	for name, file := range map[string][]byte{
		"no EXIF":              data,
		"orientation 0":        withSegments(data, exifSegment(le, orientationEntry(0))),
		"orientation 9":        withSegments(data, exifSegment(le, orientationEntry(9))),
		"LONG type":            withSegments(data, exifSegment(le, exifEntry{0x0112, 4, 1, 6})),
		"count 2":              withSegments(data, exifSegment(le, exifEntry{0x0112, 3, 2, 6})),
		"no orientation tag":   withSegments(data, exifSegment(le, exifEntry{0x010f, 2, 4, 0x00414141})),
		"truncated directory":  withSegments(data, truncated),
		"directory beyond end": withSegments(data, farDirectory),
		"not 42":               withSegments(data, badMagic),
		"after the frame":      append(append([]byte{}, data[:len(data)-2]...), append(valid, 0xff, 0xd9)...),
	} {
		h, err := ReadHeader(bytes.NewReader(file))
		require.NoError(t, err, name)
		assert.Equal(t, 0, h.Orientation, name)
		img, err := Decode(bytes.NewReader(file), h)
		require.NoError(t, err, name)
		pixels, _ := Pixels(img, h.Height, h.Width, Squeeze)
		assert.Equal(t, stored, grayGrid(pixels, 3, 5), name)
	}
}

func TestJPEGOrientationParser(t *testing.T) {
	seg := exifSegment(binary.BigEndian, orientationEntry(3))
	assert.Equal(t, 3, jpegOrientation(append([]byte{0xff, 0xd8}, seg...)))
	assert.Equal(t, 3, jpegOrientation(append([]byte{0xff, 0xd8, 0xff}, seg...)), "a fill byte before the marker")
	assert.Equal(t, 1, jpegOrientation(append([]byte{0x89, 'P'}, seg...)), "not a JPEG")
	assert.Equal(t, 1, jpegOrientation(nil))
	assert.Equal(t, 1, jpegOrientation([]byte{0xff, 0xd8, 0xff, 0xe1, 0, 1}), "a length below 2")
	assert.Equal(t, 1, jpegOrientation(append([]byte{0xff, 0xd8, 0x00}, seg...)), "no marker where one belongs")
}

func FuzzJPEGOrientation(f *testing.F) {
	f.Add(append([]byte{0xff, 0xd8}, exifSegment(binary.LittleEndian, orientationEntry(6))...))
	f.Add(append([]byte{0xff, 0xd8}, exifSegment(binary.BigEndian, exifEntry{0x010f, 2, 4, 1}, orientationEntry(8))...))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0, 8, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := jpegOrientation(data)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d outside 1 to 8", o)
		}
	})
}
