package imagedir

import (
	"encoding/binary"
	"image"
	"image/color"
)

// exifSearchBytes is how much of the start of a JPEG or PNG file
// jpegOrientation and pngOrientation search for the EXIF data: the
// start-of-image marker and two JPEG segments of the largest size,
// 65,537 bytes with their marker. Cameras write EXIF first, or right
// after a JFIF segment.
const exifSearchBytes = 2 + 2*65537

// Orientation values of the EXIF tag 0x0112. Values 5 to 8 swap the
// stored width and height.
const (
	orientNormal    = 1
	orientTranspose = 5 // first to swap width and height
	orientMax       = 8
)

// jpegOrientation returns the orientation, 1 to 8, that the EXIF segment
// of the JPEG file starting with data stores: how to turn the stored
// pixels to show the image upright. It returns 1 for data without an
// EXIF segment before the first frame, for a segment or tag it cannot
// read, and for a value outside 1 to 8, as image viewers do.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return orientNormal
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return orientNormal
		}
		marker := data[i+1]
		switch {
		case marker == 0xff:
			// A fill byte before the marker.
			i++
			continue
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7):
			// A marker without a length.
			i += 2
			continue
		case marker == 0xda || (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc):
			// The scan or a frame header: EXIF comes before both.
			return orientNormal
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 {
			return orientNormal
		}
		body := data[i+4 : min(i+2+size, len(data))]
		if marker == 0xe1 && len(body) >= 6 && string(body[:6]) == "Exif\x00\x00" {
			return tiffOrientation(body[6:])
		}
		i += 2 + size
	}
	return orientNormal
}

// pngSignature is the first 8 bytes of every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngOrientation returns the orientation, 1 to 8, that the eXIf chunk of
// the PNG file starting with data stores. An eXIf chunk contains the TIFF
// structure of EXIF data without the "Exif\x00\x00" prefix of a JPEG
// segment. pngOrientation reads the first eXIf chunk before the first
// IDAT chunk, and returns 1 without one, for a chunk or tag it cannot
// read, and for a value outside 1 to 8. It does not check the chunk's
// CRC: image/png (go1.26) rejects a file with a wrong CRC when it
// decodes the pixels.
// NOTE: Pillow 9.4's ImageOps.exif_transpose also follows an eXIf chunk
// after the image data, and of two eXIf chunks the last.
func pngOrientation(data []byte) int {
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return orientNormal
	}
	// Each chunk is a 4-byte big-endian length, a 4-byte type, the data
	// and a 4-byte CRC.
	for i := len(pngSignature); i+8 <= len(data); {
		size := uint64(binary.BigEndian.Uint32(data[i:]))
		kind := string(data[i+4 : i+8])
		rest := uint64(len(data) - i - 8)
		switch {
		case kind == "IDAT" || kind == "IEND":
			return orientNormal
		case kind == "eXIf":
			return tiffOrientation(data[i+8 : i+8+int(min(size, rest))])
		case size+4 > rest:
			// The next chunk starts beyond data.
			return orientNormal
		}
		i += 8 + int(size) + 4
	}
	return orientNormal
}

// tiffOrientation returns the orientation tag of the first image file
// directory of the TIFF structure t, which a JPEG's EXIF segment and a
// PNG's eXIf chunk hold, or 1 when t has none or is malformed.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return orientNormal
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return orientNormal
	}
	if order.Uint16(t[2:]) != 42 {
		return orientNormal
	}
	dir := int(order.Uint32(t[4:]))
	if dir < 8 || dir > len(t)-2 {
		return orientNormal
	}
	count := int(order.Uint16(t[dir:]))
	for k := range count {
		entry := dir + 2 + 12*k
		if entry+12 > len(t) {
			return orientNormal
		}
		const tagOrientation, typeShort = 0x0112, 3
		if order.Uint16(t[entry:]) != tagOrientation {
			continue
		}
		if order.Uint16(t[entry+2:]) != typeShort || order.Uint32(t[entry+4:]) != 1 {
			return orientNormal
		}
		v := int(order.Uint16(t[entry+8:]))
		if v < orientNormal || v > orientMax {
			return orientNormal
		}
		return v
	}
	return orientNormal
}

// orient returns img as shown upright under the EXIF orientation o: for
// o from 5 to 8 with width and height swapped. The pixels are not
// copied: the result maps each of its points to one of img.
func orient(img image.Image, o int) image.Image {
	if o <= orientNormal || o > orientMax {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if o >= orientTranspose {
		w, h = h, w
	}
	return orientedImage{src: img, orientation: o, bounds: image.Rect(0, 0, w, h)}
}

// orientedImage is an image turned or mirrored by an EXIF orientation.
type orientedImage struct {
	src         image.Image
	orientation int
	bounds      image.Rectangle // from (0, 0), with the shown size
}

func (o orientedImage) ColorModel() color.Model { return o.src.ColorModel() }
func (o orientedImage) Bounds() image.Rectangle { return o.bounds }
func (o orientedImage) At(x, y int) color.Color { return o.src.At(o.sourcePoint(x, y)) }

// sourcePoint returns the point of the stored image shown at x, y. The
// EXIF specification defines each orientation by where the stored first
// row and first column appear: for 6, the first row on the right and the
// first column at the top, so the image turns 90 degrees clockwise.
func (o orientedImage) sourcePoint(x, y int) (int, int) {
	s := o.src.Bounds()
	w, h := s.Dx(), s.Dy() // stored size
	var sx, sy int
	switch o.orientation {
	case 2: // mirrored left to right
		sx, sy = w-1-x, y
	case 3: // turned 180 degrees
		sx, sy = w-1-x, h-1-y
	case 4: // mirrored top to bottom
		sx, sy = x, h-1-y
	case 5: // transposed: first row on the left, first column at the top
		sx, sy = y, x
	case 6: // turned 90 degrees clockwise
		sx, sy = y, h-1-x
	case 7: // first row on the right, first column at the bottom
		sx, sy = w-1-y, h-1-x
	case 8: // turned 90 degrees counterclockwise
		sx, sy = w-1-y, x
	default:
		sx, sy = x, y
	}
	return s.Min.X + sx, s.Min.Y + sy
}

// orientedPixels is imagePixels for an image turned by an EXIF
// orientation. It steps from stored point to stored point along each
// row instead of mapping each point through sourcePoint. For
// orientations 5 to 8, whose rows are stored columns, it reads a block
// of rows at a time, as newLineReader does. The values are those that
// orientedImage.At gives.
func orientedPixels(o orientedImage, b image.Rectangle) ([]float32, bool) {
	w, h := b.Dx(), b.Dy()
	area := w * h
	out := make([]float32, 3*area)
	at := pixelReader(o.src)
	block := 1
	if o.orientation >= orientTranspose {
		block = max(1, min(transposedBlockRows, h))
	}
	// The stored point of (b.Min.X, b.Min.Y), and the steps to the next
	// point along a row and down a column.
	x0, y0 := o.sourcePoint(b.Min.X, b.Min.Y)
	x1, y1 := o.sourcePoint(b.Min.X+min(1, w-1), b.Min.Y)
	x2, y2 := o.sourcePoint(b.Min.X, b.Min.Y+min(1, h-1))
	rowX, rowY := x1-x0, y1-y0
	colX, colY := x2-x0, y2-y0
	colour := false
	for y := 0; y < h; y += block {
		n := min(block, h-y)
		for x := range w {
			for k := y; k < y+n; k++ {
				r, g, bl := at(x0+x*rowX+k*colX, y0+x*rowY+k*colY)
				i := k*w + x
				out[i], out[area+i], out[2*area+i] = r, g, bl
				colour = colour || r != g || g != bl
			}
		}
	}
	return out, colour
}
