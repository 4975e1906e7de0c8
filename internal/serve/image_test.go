package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyImageModel saves an untrained MLP encoder for images of shape
// (channels, height, width) and returns the checkpoint path.
func tinyImageModel(t testing.TB, channels, height, width int) string {
	t.Helper()
	cfg := dim.DefaultConfig()
	cfg.Prior, cfg.Dim, cfg.Hidden, cfg.Seed = "gaussian", 3, 8, 7
	m, err := dim.NewModel(cfg, []int{channels, height, width})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	require.NoError(t, m.Save(path))
	return path
}

// testImage returns an h x w image whose pixels vary, gray or in colour.
func testImage(h, w int, colour bool) image.Image {
	if !colour {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(37 * i)
		}
		return img
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(53*i + 11)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

// noiseImage returns an h x w gray image of pseudo-random pixels, which
// PNG cannot compress.
func noiseImage(h, w int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}))
	return b.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, gif.Encode(&b, img, nil))
	return b.Bytes()
}

// withOrientation returns the JPEG file data with an EXIF segment after
// its start-of-image marker whose first directory holds the orientation
// tag with value o, in big-endian byte order.
func withOrientation(data []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1}  // one entry at offset 8
	tiff = binary.BigEndian.AppendUint16(tiff, 0x0112) // orientation
	tiff = binary.BigEndian.AppendUint16(tiff, 3)      // SHORT
	tiff = binary.BigEndian.AppendUint32(tiff, 1)      // one value
	tiff = binary.BigEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // padding and no next directory
	body := append([]byte("Exif\x00\x00"), tiff...)
	segment := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(2+len(body)))
	return slices.Concat(data[:2], segment, body, data[2:])
}

// withPNGOrientation returns the PNG file data with an eXIf chunk after
// its IHDR chunk, which is first and ends at byte 33, whose first
// directory holds the orientation tag with value o, in big-endian byte
// order.
func withPNGOrientation(data []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1}  // one entry at offset 8
	tiff = binary.BigEndian.AppendUint16(tiff, 0x0112) // orientation
	tiff = binary.BigEndian.AppendUint16(tiff, 3)      // SHORT
	tiff = binary.BigEndian.AppendUint32(tiff, 1)      // one value
	tiff = binary.BigEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // padding and no next directory
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(append(chunk, "eXIf"...), tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return slices.Concat(data[:33], chunk, data[33:])
}

// folderRow reads file as the only image of a directory, as "nidim
// embed --data DIR" reads it for the model at path.
func folderRow(t testing.TB, path, name string, file []byte) []float32 {
	t.Helper()
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), file, 0o644))
	in := m.Config.Input
	set, err := imagedir.Load(dir, imagedir.Options{Channels: in[0], Height: in[1], Width: in[2]})
	require.NoError(t, err)
	return set.X
}

// An image body gives the embedding of the file read from a directory of
// images, bit for bit, in each format, at the model's size and resized.
func TestEmbedImageMatchesFolder(t *testing.T) {
	gray := tinyImageModel(t, 1, 6, 5)
	rgb := tinyImageModel(t, 3, 6, 5)
	cases := []struct {
		name, media, file string
		model             string
		body              []byte
	}{
		{"png at model size", mediaPNG, "a.png", gray, encodePNG(t, testImage(6, 5, false))},
		{"png resized", mediaPNG, "a.png", gray, encodePNG(t, testImage(13, 9, false))},
		{"jpeg resized", mediaJPEG, "a.jpg", gray, encodeJPEG(t, testImage(16, 16, false))},
		{"gif", mediaGIF, "a.gif", rgb, encodeGIF(t, testImage(6, 5, true))},
		{"colour png", mediaPNG, "a.png", rgb, encodePNG(t, testImage(7, 4, true))},
		{"colour jpeg", mediaJPEG, "a.jpg", rgb, encodeJPEG(t, testImage(12, 10, true))},
		{"gray png for rgb model", mediaPNG, "a.png", rgb, encodePNG(t, testImage(6, 5, false))},
		{"jpeg sent as png", mediaPNG, "a.jpg", gray, encodeJPEG(t, testImage(6, 5, false))},
		// Stored 5 high and 6 wide, shown 6 high and 5 wide.
		{"jpeg turned by exif", mediaJPEG, "a.jpg", gray, withOrientation(encodeJPEG(t, testImage(5, 6, false)), 6)},
		{"jpeg mirrored by exif", mediaJPEG, "a.jpg", gray, withOrientation(encodeJPEG(t, testImage(6, 5, false)), 2)},
		{"colour jpeg turned by exif, resized", mediaJPEG, "a.jpg", rgb, withOrientation(encodeJPEG(t, testImage(10, 12, true)), 8)},
		{"png turned by exif", mediaPNG, "a.png", gray, withPNGOrientation(encodePNG(t, testImage(5, 6, false)), 6)},
		{"colour png mirrored by exif, resized", mediaPNG, "a.png", rgb, withPNGOrientation(encodePNG(t, testImage(9, 7, true)), 7)},
	}
	servers := map[string]string{}
	for _, path := range []string{gray, rgb} {
		_, ts := newTestServer(t, path, Config{})
		servers[path] = ts.URL
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := folderRow(t, c.model, c.file, c.body)
			want := directEmbed(t, c.model, row, 1)

			r := post(t, servers[c.model]+"/v1/embed", c.media, "", c.body)
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			requireBitsEqual(t, want, decodeEmbeddings(t, r.body))

			r = post(t, servers[c.model]+"/v1/embed", c.media+"; charset=binary", mediaNPY, c.body)
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			assert.Equal(t, mediaNPY, r.header.Get("Content-Type"))
			assert.Equal(t, npyBody(t, want, 1), r.body)

			r = post(t, servers[c.model]+"/v1/score", c.media, "", c.body)
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			scores, pValues, err := OutlierScores("gaussian", want, 1, 3)
			require.NoError(t, err)
			var got struct {
				PValues []float64 `json:"p_values"`
				Scores  []float64 `json:"scores"`
			}
			require.NoError(t, json.Unmarshal(r.body, &got))
			assert.Equal(t, scores, got.Scores)
			assert.Equal(t, pValues, got.PValues)
		})
	}
}

// A PNG body stored sideways with EXIF orientation 6 in an eXIf chunk
// gives the embedding of the same image stored upright.
func TestEmbedPNGTurnedByEXIF(t *testing.T) {
	path := tinyImageModel(t, 3, 6, 5)
	_, ts := newTestServer(t, path, Config{})
	stored := testImage(5, 6, true)
	// Orientation 6 shows the stored image turned 90 degrees clockwise:
	// the stored first column becomes the top row, read from the bottom.
	upright := image.NewNRGBA(image.Rect(0, 0, 5, 6))
	for y := range 6 {
		for x := range 5 {
			upright.Set(x, y, stored.At(y, 4-x))
		}
	}

	r := post(t, ts.URL+"/v1/embed", mediaPNG, "", encodePNG(t, upright))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	want := decodeEmbeddings(t, r.body)
	r = post(t, ts.URL+"/v1/embed", mediaPNG, "", withPNGOrientation(encodePNG(t, stored), 6))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, want, decodeEmbeddings(t, r.body))

	// Without the chunk the stored image is squeezed to 6 x 5 instead.
	r = post(t, ts.URL+"/v1/embed", mediaPNG, "", encodePNG(t, stored))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.NotEqual(t, want, decodeEmbeddings(t, r.body))
}

// hugePNG returns a 1 x 1 PNG whose header declares width x height.
func hugePNG(t testing.TB, width, height uint32) []byte {
	t.Helper()
	data := encodePNG(t, testImage(1, 1, false))
	// The IHDR chunk's width and height are big-endian at offsets 16 and
	// 20, and its CRC of type and data follows them at offset 29.
	binary.BigEndian.PutUint32(data[16:], width)
	binary.BigEndian.PutUint32(data[20:], height)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestBadImageRequests(t *testing.T) {
	path := tinyImageModel(t, 1, 6, 5)
	_, ts := newTestServer(t, path, Config{MaxBody: 4096, MaxImagePixels: 10000})
	good := encodePNG(t, testImage(6, 5, false))
	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		kind        string
		message     string
	}{
		{"colour for gray model", mediaPNG, encodePNG(t, testImage(6, 5, true)), 400, "input_channels",
			"the image has colour, but the model takes 1-channel images; send a grayscale image"},
		{"not an image", mediaPNG, []byte("hello"), 400, "malformed_image",
			"invalid image body: its content is not PNG, JPEG or GIF, whatever its Content-Type says; send one PNG, JPEG or GIF file"},
		{"cut-off png", mediaPNG, good[:len(good)-20], 400, "malformed_image",
			"invalid image body: it cannot be decoded (png: invalid format: unexpected EOF); send one PNG, JPEG or GIF file"},
		{"cut-off header", mediaJPEG, encodeJPEG(t, testImage(6, 5, false))[:4], 400, "malformed_image",
			"invalid image body: it cannot be decoded (unexpected EOF)"},
		{"empty body", mediaGIF, nil, 400, "malformed_image", "invalid image body: the request body is empty"},
		{"header over pixel limit", mediaPNG, hugePNG(t, 100000, 100000), 413, "image_too_large",
			"the PNG image is 100000x100000 (height x width), 10000000000 pixels, over the limit of 10000 pixels; send it smaller, such as at the model's input size of 6x5"},
		{"just over pixel limit", mediaPNG, hugePNG(t, 101, 100), 413, "image_too_large", "10100 pixels, over the limit of 10000"},
		{"body over limit", mediaPNG, encodePNG(t, noiseImage(80, 80)), 413, "body_too_large",
			"over the limit of 4096 bytes; send the image with fewer pixels or stronger compression"},
		{"image without content type", "", good, 400, "malformed_json",
			"invalid JSON body: the body is an image file, which needs the header Content-Type: image/png; send it with that header"},
		{"gif as json", mediaJSON, encodeGIF(t, testImage(2, 2, false)), 400, "malformed_json", "Content-Type: image/gif"},
		{"jpeg as json", mediaJSON, encodeJPEG(t, testImage(2, 2, false)), 400, "malformed_json", "Content-Type: image/jpeg"},
		{"curl default type", "application/x-www-form-urlencoded", good, 415, "unsupported_media_type",
			`unsupported Content-Type "application/x-www-form-urlencoded", the type that curl --data and --data-binary send when no -H 'Content-Type: ...' sets another; send application/json`},
		{"image type not read", "image/webp", good, 415, "unsupported_media_type",
			`unsupported Content-Type "image/webp"; send application/json or application/x-npy, such as curl -H 'Content-Type: application/json', or one image file as image/png, image/jpeg or image/gif`},
	}
	for _, c := range cases {
		for _, endpoint := range []string{"/v1/embed", "/v1/score"} {
			t.Run(c.name+endpoint, func(t *testing.T) {
				r := post(t, ts.URL+endpoint, c.contentType, "", c.body)
				require.Equal(t, c.status, r.status, "body: %s", r.body)
				e := decodeError(t, r.body)
				assert.Equal(t, c.kind, e.Kind)
				assert.Contains(t, e.Error, c.message)
			})
		}
	}

	// A header of exactly the limit is decoded: this one fails only when
	// the decoder finds no pixel data behind it.
	r := post(t, ts.URL+"/v1/embed", mediaPNG, "", hugePNG(t, 100, 100))
	require.Equal(t, http.StatusBadRequest, r.status, "body: %s", r.body)
	assert.Equal(t, "malformed_image", decodeError(t, r.body).Kind)

	// The server still serves good requests after all of the above.
	r = post(t, ts.URL+"/v1/embed", mediaPNG, "", good)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	requireBitsEqual(t, directEmbed(t, path, folderRow(t, path, "a.png", good), 1), decodeEmbeddings(t, r.body))
}

// Models whose inputs an image file cannot give reject image bodies with
// 415 and a message that names the input they take.
func TestImageBodyForOtherModels(t *testing.T) {
	body := encodePNG(t, testImage(2, 2, false))
	cases := []struct {
		name, path, message string
	}{
		{"feature vectors", tinyModel(t, "gaussian", 4, 2, 8),
			"the model takes feature vectors of 4 values, not image files; send the inputs as application/json or application/x-npy"},
		{"two channels", tinyImageModel(t, 2, 2, 2),
			"the model takes images of shape [2 2 2] (channels, height, width), but an image file gives 1 or 3 channels; send the inputs as application/json or application/x-npy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ts := newTestServer(t, c.path, Config{})
			r := post(t, ts.URL+"/v1/embed", mediaPNG, "", body)
			require.Equal(t, http.StatusUnsupportedMediaType, r.status, "body: %s", r.body)
			e := decodeError(t, r.body)
			assert.Equal(t, "unsupported_media_type", e.Kind)
			assert.Equal(t, c.message, e.Error)
		})
	}
}

// An image counts as one input in the metrics, and a rejected one by its
// error kind.
func TestImageMetrics(t *testing.T) {
	path := tinyImageModel(t, 1, 4, 4)
	_, ts := newTestServer(t, path, Config{})
	good := encodePNG(t, testImage(4, 4, false))
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embed", mediaPNG, "", good).status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/embed", mediaPNG, "", good).status)
	require.Equal(t, http.StatusOK, post(t, ts.URL+"/v1/score", mediaPNG, "", good).status)
	require.Equal(t, http.StatusBadRequest, post(t, ts.URL+"/v1/embed", mediaPNG, "", []byte("x")).status)

	r := do(t, mustRequest(t, http.MethodGet, ts.URL+"/metrics"))
	require.Equal(t, http.StatusOK, r.status)
	text := string(r.body)
	assert.Equal(t, 2.0, metricValue(t, text, `nidim_inputs_total{endpoint="/v1/embed"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_inputs_total{endpoint="/v1/score"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_errors_total{kind="malformed_image"}`))
	assert.Equal(t, 1.0, metricValue(t, text, `nidim_http_requests_total{endpoint="/v1/embed",code="400"}`))
	checkExposition(t, text)
}

// imageShapeModel is a Model that stores an input shape, for the fuzz
// test, which never embeds.
type imageShapeModel struct {
	Model
	shape []int
}

func (m imageShapeModel) InputShape() []int { return m.shape }

func FuzzDecodeImage(f *testing.F) {
	f.Add(encodePNG(f, testImage(3, 2, false)))
	f.Add(encodePNG(f, testImage(3, 2, true)))
	f.Add(encodeJPEG(f, testImage(8, 8, true)))
	f.Add(encodeGIF(f, testImage(2, 2, false)))
	f.Add(hugePNG(f, 300, 300))
	m := imageShapeModel{shape: []int{3, 4, 5}}
	f.Fuzz(func(t *testing.T, body []byte) {
		// The pixel limit keeps a header that declares a huge image from
		// being decoded.
		row, apiErr := decodeImage(m, body, 1<<16)
		if apiErr != nil {
			require.NotEmpty(t, apiErr.msg)
			require.Contains(t, []int{400, 413}, apiErr.status)
			return
		}
		require.Len(t, row, 3*4*5)
		for _, v := range row {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel value %v outside [0, 1]", v)
			}
		}
	})
}
