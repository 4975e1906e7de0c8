package imagedir

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngChunk returns the PNG chunk of type kind with the data body and its
// CRC, which covers the type and the data.
func pngChunk(kind string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, kind...)
	c = append(c, body...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withChunks returns the PNG file data with chunks inserted after its
// first chunk of type after.
func withChunks(t testing.TB, data []byte, after string, chunks ...[]byte) []byte {
	t.Helper()
	for i := len(pngSignature); i+8 <= len(data); {
		end := i + 12 + int(binary.BigEndian.Uint32(data[i:]))
		if string(data[i+4:i+8]) == after {
			out := append([]byte{}, data[:end]...)
			for _, c := range chunks {
				out = append(out, c...)
			}
			return append(out, data[end:]...)
		}
		i = end
	}
	t.Fatalf("no %s chunk in the PNG file", after)
	return nil
}

// exifChunk returns an eXIf chunk holding a TIFF structure in byte order
// order with the entries in its first directory.
func exifChunk(order binary.AppendByteOrder, entries ...exifEntry) []byte {
	return pngChunk("eXIf", tiffStructure(order, entries...))
}

// testPNG returns a gray PNG of width 5 and height 3, whose pixels are
// those of the JPEG of testJPEG as decoded, and those pixels by row.
func testPNG(t *testing.T) ([]byte, [][]uint8) {
	t.Helper()
	_, stored := testJPEG(t)
	img := image.NewGray(image.Rect(0, 0, 5, 3))
	for y, row := range stored {
		copy(img.Pix[y*img.Stride:], row)
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes(), stored
}

// readSample reads the image file data as ReadHeader and Decode read it
// and returns its header and its pixels at its own size.
func readSample(t *testing.T, data []byte) (Header, []float32) {
	t.Helper()
	h, err := ReadHeader(bytes.NewReader(data))
	require.NoError(t, err)
	img, err := Decode(bytes.NewReader(data), h)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, h.Width, h.Height), img.Bounds())
	pixels, _ := Pixels(img, h.Height, h.Width, Squeeze)
	return h, pixels
}

// The files of testdata/png-exif were written by Pillow 9.4.0: a 5 x 3
// image, gray and RGB, saved with an eXIf chunk of each orientation, and
// ImageOps.exif_transpose of each saved without EXIF as the upright
// reference. nidim must read each file as Pillow turns it.
func TestPNGOrientationMatchesPillow(t *testing.T) {
	for _, name := range []string{"gray", "rgb"} {
		stored, err := os.ReadFile(filepath.Join("testdata", "png-exif", name+"-1-upright.png"))
		require.NoError(t, err)
		_, storedPixels := readSample(t, stored)
		for o := 1; o <= orientMax; o++ {
			file, err := os.ReadFile(filepath.Join("testdata", "png-exif", fmt.Sprintf("%s-%d.png", name, o)))
			require.NoError(t, err)
			upright, err := os.ReadFile(filepath.Join("testdata", "png-exif", fmt.Sprintf("%s-%d-upright.png", name, o)))
			require.NoError(t, err)

			h, got := readSample(t, file)
			want, wantPixels := readSample(t, upright)
			assert.Equal(t, 0, want.Orientation, "Pillow's %s output %d has no orientation", name, o)
			if o == orientNormal {
				assert.Equal(t, 0, h.Orientation, "%s: orientation 1 reads as stored", name)
			} else {
				assert.Equal(t, o, h.Orientation, "%s, orientation %d", name, o)
				assert.NotEqual(t, storedPixels, wantPixels, "%s: orientation %d changes the pixels", name, o)
			}
			assert.Equal(t, [2]int{want.Height, want.Width}, [2]int{h.Height, h.Width}, "%s, orientation %d", name, o)
			assert.Equal(t, wantPixels, got, "%s, orientation %d", name, o)
		}
	}
}

// Load turns PNG files upright and counts them, as it does JPEGs.
func TestLoadOrientedPNGs(t *testing.T) {
	for _, orientations := range [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}} {
		dir := t.TempDir()
		var want []float32
		for _, o := range orientations {
			file, err := os.ReadFile(filepath.Join("testdata", "png-exif", fmt.Sprintf("rgb-%d.png", o)))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.png", o)), file, 0o644))
			upright, err := os.ReadFile(filepath.Join("testdata", "png-exif", fmt.Sprintf("rgb-%d-upright.png", o)))
			require.NoError(t, err)
			_, pixels := readSample(t, upright)
			want = append(want, pixels...)
		}
		set, err := Load(dir, Options{Threads: 2})
		require.NoError(t, err, "orientations %v", orientations)
		size := [2]int{3, 5} // height and width as shown
		if orientations[0] >= orientTranspose {
			size = [2]int{5, 3}
		}
		assert.Equal(t, size, [2]int{set.Height, set.Width}, "orientations %v", orientations)
		assert.Equal(t, 3, set.Channels, "orientations %v", orientations)
		assert.Equal(t, len(orientations)-countOf(orientations, orientNormal), set.Oriented, "orientations %v", orientations)
		assert.Equal(t, want, set.X, "orientations %v", orientations)
	}
}

// countOf returns how many of values equal v.
func countOf(values []int, v int) int {
	n := 0
	for _, x := range values {
		if x == v {
			n++
		}
	}
	return n
}

// An eXIf chunk turns a PNG as the EXIF segment of a JPEG with the same
// pixels turns the JPEG, in either byte order and after other chunks.
func TestPNGOrientationAsJPEG(t *testing.T) {
	pngData, stored := testPNG(t)
	jpegData, jpegStored := testJPEG(t)
	require.Equal(t, jpegStored, stored)
	text := pngChunk("tEXt", []byte("Software\x00a PNG editor"))
	cameraMake := exifEntry{0x010f, 2, 4, 0x00414141}
	for o := 1; o <= orientMax; o++ {
		for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			pngFile := withChunks(t, pngData, "IHDR", text, exifChunk(order, cameraMake, orientationEntry(uint32(o))))
			jpegFile := withSegments(jpegData, exifSegment(order, cameraMake, orientationEntry(uint32(o))))
			h, got := readSample(t, pngFile)
			jpegHeader, want := readSample(t, jpegFile)
			assert.Equal(t, jpegHeader.Orientation, h.Orientation, "orientation %d, %v", o, order)
			assert.Equal(t, [2]int{jpegHeader.Height, jpegHeader.Width}, [2]int{h.Height, h.Width}, "orientation %d, %v", o, order)
			assert.Equal(t, want, got, "orientation %d, %v", o, order)
			assert.Equal(t, upright(stored, o), grayGrid(got, h.Height, h.Width), "orientation %d, %v", o, order)
		}
	}
}

// EXIF data that a viewer would not follow leaves a PNG as stored, and
// so does an eXIf chunk after the image data.
func TestPNGOrientationIgnored(t *testing.T) {
	data, stored := testPNG(t)
	le := binary.LittleEndian
	valid := tiffStructure(le, orientationEntry(6))
	badMagic := tiffStructure(le, orientationEntry(6))
	binary.LittleEndian.PutUint16(badMagic[2:], 43)
	farDirectory := tiffStructure(le, orientationEntry(6))
	binary.LittleEndian.PutUint32(farDirectory[4:], 4000)

	for name, file := range map[string][]byte{
		"no eXIf":              data,
		"orientation 0":        withChunks(t, data, "IHDR", exifChunk(le, orientationEntry(0))),
		"orientation 9":        withChunks(t, data, "IHDR", exifChunk(le, orientationEntry(9))),
		"LONG type":            withChunks(t, data, "IHDR", exifChunk(le, exifEntry{0x0112, 4, 1, 6})),
		"no orientation tag":   withChunks(t, data, "IHDR", exifChunk(le, exifEntry{0x010f, 2, 4, 0x00414141})),
		"truncated directory":  withChunks(t, data, "IHDR", pngChunk("eXIf", valid[:len(valid)-10])),
		"empty chunk":          withChunks(t, data, "IHDR", pngChunk("eXIf", nil)),
		"directory beyond end": withChunks(t, data, "IHDR", pngChunk("eXIf", farDirectory)),
		"not 42":               withChunks(t, data, "IHDR", pngChunk("eXIf", badMagic)),
		"JPEG prefix":          withChunks(t, data, "IHDR", pngChunk("eXIf", append([]byte("Exif\x00\x00"), valid...))),
		"after the image data": withChunks(t, data, "IDAT", pngChunk("eXIf", valid)),
	} {
		h, pixels := readSample(t, file)
		assert.Equal(t, 0, h.Orientation, name)
		assert.Equal(t, stored, grayGrid(pixels, h.Height, h.Width), name)
	}
}

func TestPNGOrientationParser(t *testing.T) {
	data, _ := testPNG(t)
	six := withChunks(t, data, "IHDR", exifChunk(binary.BigEndian, orientationEntry(6)))
	assert.Equal(t, 6, pngOrientation(six))

	// The chunk after IHDR starts at 8 + 12 + 13 = 33, its data at 41.
	const exifData = 41
	assert.Equal(t, 6, pngOrientation(six[:exifData+len(tiffStructure(binary.BigEndian, orientationEntry(6)))]),
		"the eXIf data cut after the TIFF structure, before the CRC")
	assert.Equal(t, 1, pngOrientation(six[:exifData+10]), "the eXIf data cut inside the directory")
	assert.Equal(t, 1, pngOrientation(nil))
	assert.Equal(t, 1, pngOrientation(six[1:]), "not a PNG")
	assert.Equal(t, 1, pngOrientation(six[:len(pngSignature)]), "the signature alone")

	huge := append([]byte{}, data...)
	binary.BigEndian.PutUint32(huge[len(pngSignature):], 0xffffffff)
	assert.Equal(t, 1, pngOrientation(append(huge, exifChunk(binary.BigEndian, orientationEntry(6))...)),
		"a first chunk longer than the data")

	second := withChunks(t, data, "IHDR", exifChunk(binary.BigEndian, orientationEntry(6)), exifChunk(binary.BigEndian, orientationEntry(3)))
	assert.Equal(t, 6, pngOrientation(second), "the first of two eXIf chunks counts")

	end := withChunks(t, data, "IHDR", pngChunk("IEND", nil), exifChunk(binary.BigEndian, orientationEntry(6)))
	assert.Equal(t, 1, pngOrientation(end), "an eXIf chunk after IEND")
}

// orientedPNG returns a gray PNG 3 pixels wide and 2 high whose eXIf
// chunk turns it by orientation o.
func orientedPNG(t testing.TB, o int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(40 * i)
	}
	img.SetGray(2, 1, color.Gray{Y: 255})
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return withChunks(t, b.Bytes(), "IHDR", exifChunk(binary.LittleEndian, orientationEntry(uint32(o))))
}

func FuzzPNGOrientation(f *testing.F) {
	f.Add(orientedPNG(f, 6))
	f.Add(orientedPNG(f, 8)[:60])
	f.Add([]byte(pngSignature + "\x00\x00\x00\x00eXIf\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := pngOrientation(data)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d outside 1 to 8", o)
		}
	})
}
