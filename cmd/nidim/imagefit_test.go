package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/imagedir"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeAspectFolder writes two classes of 12 colour PNG files each, of
// landscape, portrait and square shapes, some of odd sizes, and returns
// the directory and the files in reading order.
func writeAspectFolder(t *testing.T) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "photos")
	sizes := [][2]int{{9, 15}, {15, 9}, {11, 11}, {8, 8}, {7, 20}, {13, 6}}
	var paths []string
	for c, class := range []string{"a", "b"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, class), 0o755))
		for i := range 12 {
			h, w := sizes[i%len(sizes)][0], sizes[i%len(sizes)][1]
			img := image.NewNRGBA(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					img.SetNRGBA(x, y, color.NRGBA{R: uint8(x*37 + y*11 + i*7), G: uint8(y*23 + 90*c), B: uint8((x ^ y) * 19), A: 255})
				}
			}
			path := filepath.Join(dir, class, fmt.Sprintf("%02d.png", i))
			var b bytes.Buffer
			require.NoError(t, png.Encode(&b, img))
			require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			paths = append(paths, path)
		}
	}
	return dir, paths
}

// croppedRow returns the sample of the PNG file at path cut to the aspect
// ratio height:width and resized, without imagedir's crop. It searches
// for the whole length nearest the ratio (the larger on a tie) and
// centres it, with the odd pixel cut on the right or at the bottom.
func croppedRow(t *testing.T, path string, height, width int) []float32 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()

	nearest := func(n, other, num, den int) int {
		best := 1
		for c := 1; c <= n; c++ {
			d, bestD := c*den-other*num, best*den-other*num
			if d*d <= bestD*bestD {
				best = c
			}
		}
		return best
	}
	cw, ch := w, h
	if w*height > h*width {
		cw = nearest(w, h, width, height)
	} else if w*height < h*width {
		ch = nearest(h, w, height, width)
	}
	x0, y0 := (w-cw)/2, (h-ch)/2

	area := cw * ch
	pixels := make([]float32, 3*area)
	for y := range ch {
		for x := range cw {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x0+x, b.Min.Y+y0+y)).(color.NRGBA)
			k := y*cw + x
			pixels[k], pixels[area+k], pixels[2*area+k] = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255
		}
	}
	return imagedir.Resize(pixels, 3, ch, cw, height, width)
}

// trainCropModel trains a model on dir with --image-fit crop at 8x8 and
// returns its path and the "recipe" and "config" of train --json.
func trainCropModel(t *testing.T, dir string) (string, string, map[string]any) {
	t.Helper()
	model := filepath.Join(t.TempDir(), "crop.safetensors")
	code, stdout, stderr := runCmd("train", "--data", dir, "--image-size", "8x8", "--image-fit", "crop", "--epochs", "1", "--batch", "16",
		"--dim", "2", "--hidden", "8", "--threads", "1", "--no-eval", "--json", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "Cropped 16 of the 24 images to the aspect ratio of 8x8, keeping their centre, before resizing them, as --image-fit crop does")
	var res struct {
		Recipe string         `json:"recipe"`
		Config map[string]any `json:"config"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	return model, res.Recipe, res.Config
}

// A model trained with --image-fit crop stores the fit, and nidim embed
// reads a directory with it: the embeddings equal those of the rows cut
// and resized by the test, passed as a matrix file.
func TestImageFitCropEmbed(t *testing.T) {
	dir, paths := writeAspectFolder(t)
	model, _, config := trainCropModel(t, dir)
	assert.Equal(t, "crop", config["image_fit"])
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, dim.ImageFitCrop, m.Config.ImageFit)

	var rows []float32
	for _, path := range paths {
		rows = append(rows, croppedRow(t, path, 8, 8)...)
	}
	scratch := t.TempDir()
	matrix := filepath.Join(scratch, "rows.npy")
	var b bytes.Buffer
	require.NoError(t, tensor.WriteNPY(&b, &tensor.Tensor{Shape: []int{len(paths), 3 * 8 * 8}, Data: rows}))
	require.NoError(t, os.WriteFile(matrix, b.Bytes(), 0o644))

	fromDir, fromRows := filepath.Join(scratch, "dir.npy"), filepath.Join(scratch, "rows-emb.npy")
	code, _, stderr := runCmd("embed", model, "--data", dir, "--out", fromDir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "cropped 16 of the 24 images")
	code, _, stderr = runCmd("embed", model, "--data", matrix, "--out", fromRows)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, readFile(t, fromRows), readFile(t, fromDir))

	// eval reads the folder, and --ood folders, with the model's fit.
	code, stdout, stderr := runCmd("eval", model, "--data", dir, "--ood", dir, "--threads", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev), stdout)
	assert.Equal(t, config, ev["config"])
	assert.Contains(t, stderr, "--ood "+dir+": cropped 16 of the 24 images")
}

// Squeezing stays the default: --image-fit squeeze writes the checkpoint
// that no flag writes, which stores no image fit, and every image is
// resized whole.
func TestImageFitSqueezeUnchanged(t *testing.T) {
	dir, paths := writeAspectFolder(t)
	scratch := t.TempDir()
	var files [][]byte
	for i, extra := range [][]string{nil, {"--image-fit", "squeeze"}} {
		model := filepath.Join(scratch, fmt.Sprintf("m%d.safetensors", i))
		args := append([]string{"train", "--data", dir, "--image-size", "8x8", "--epochs", "1", "--batch", "16",
			"--dim", "2", "--hidden", "8", "--threads", "1", "--no-eval", "--json", "--out", model}, extra...)
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "cropped")
		assert.Contains(t, stdout, `"image_fit":"squeeze"`)
		files = append(files, readFile(t, model))
	}
	assert.Equal(t, files[0], files[1])
	assert.NotContains(t, string(files[0]), "image_fit")

	set, err := imagedir.Load(dir, imagedir.Options{Height: 8, Width: 8, Channels: 3})
	require.NoError(t, err)
	assert.Equal(t, 0, set.Cropped)
	assert.NotEqual(t, croppedRow(t, paths[0], 8, 8), set.X[:3*8*8], "the 9x15 image is squeezed, not cut")
}

// The config of a crop run, passed back as flags with --recipe, writes
// the same checkpoint, byte for byte.
func TestImageFitCropReruns(t *testing.T) {
	dir, _ := writeAspectFolder(t)
	model, recipe, config := trainCropModel(t, dir)
	second := filepath.Join(t.TempDir(), "second.safetensors")
	rerun := append([]string{"train", "--data", dir, "--no-eval", "--out", second}, rerunArgs(t, recipe, config, true)...)
	assert.Contains(t, rerun, "--image-fit")
	assert.Contains(t, rerun, "8x8", "--image-size from the input")
	code, _, stderr := runCmd(rerun...)
	require.Equal(t, exitOK, code, "%v\n%s", rerun, stderr)
	assert.Equal(t, readFile(t, model), readFile(t, second))
}

// An image body sent to nidim serve gives the embedding that nidim embed
// gives the same file, bit for bit, for a crop model, and /v1/model
// names the fit.
func TestImageFitCropServeMatchesEmbed(t *testing.T) {
	dir, paths := writeAspectFolder(t)
	model, _, _ := trainCropModel(t, dir)
	out := filepath.Join(t.TempDir(), "emb.npy")
	code, _, stderr := runCmd("embed", model, "--data", dir, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	values, _, cols, err := tensor.ReadMatrixFile(out)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	exit := make(chan int, 1)
	var serveErr syncBuffer
	go func() {
		exit <- serveCommand(ctx, []string{"--addr", "127.0.0.1:0", model}, io.Discard, &serveErr, func(addr string) { addrs <- addr })
	}()
	var url string
	select {
	case addr := <-addrs:
		url = "http://" + addr
	case code := <-exit:
		t.Fatalf("serve exited with %d: %s", code, serveErr.String())
	}
	for _, i := range []int{0, 1, 4, 17} { // landscape, portrait, wide, tall
		body, err := os.ReadFile(paths[i])
		require.NoError(t, err)
		resp, err := http.Post(url+"/v1/embed", "image/png", bytes.NewReader(body))
		require.NoError(t, err)
		var got struct{ Embeddings [][]float32 }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Len(t, got.Embeddings, 1)
		want := make([]float32, cols)
		for j := range cols {
			want[j] = float32(values[i*cols+j])
		}
		assert.Equal(t, want, got.Embeddings[0], paths[i])
	}

	resp, err := http.Get(url + "/v1/model")
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	resp.Body.Close()
	assert.Equal(t, "crop", info["image_fit"])

	cancel()
	select {
	case code := <-exit:
		require.Equal(t, exitOK, code, serveErr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the cancel")
	}
}

// A bad --image-fit, one without a directory of images or without
// --image-size, and one that differs from the model's are errors that
// name the value and the fix.
func TestImageFitErrors(t *testing.T) {
	dir, _ := writeAspectFolder(t)
	out := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--image-size", "8x8", "--image-fit", "fill", "--no-eval", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, `nidim train: invalid --image-fit "fill"; use squeeze to resize whole images or crop to cut their centre to the aspect ratio of --image-size first.`+"\n", stderr)

	matrix, _ := writeClusters(t, t.TempDir())
	code, _, stderr = runCmd("train", "--data", matrix, "--image-fit", "crop", "--no-eval", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --image-fit crop applies to a directory of images, but --data "+matrix+" is not one; drop --image-fit.\n", stderr)

	// squeeze, the default, is accepted for any data, because the config
	// of train --json lists it for every run.
	plain, squeezed := filepath.Join(t.TempDir(), "plain.safetensors"), filepath.Join(t.TempDir(), "squeezed.safetensors")
	for _, c := range []struct {
		path string
		args []string
	}{{plain, nil}, {squeezed, []string{"--image-fit", "squeeze"}}} {
		args := append([]string{"train", "--data", matrix, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", c.path}, c.args...)
		code, _, stderr = runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
	}
	assert.Equal(t, readFile(t, plain), readFile(t, squeezed))

	code, _, stderr = runCmd("train", "--data", dir, "--image-fit", "crop", "--no-eval", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--image-fit crop cuts images to the aspect ratio of --image-size, which is not given")
	assert.Contains(t, stderr, "pass --image-size HxW, or drop --image-fit")
	assert.NoFileExists(t, out)

	code, _, stderr = runCmd("sweep", "--data", dir, "--image-size", "8x8", "--image-fit", "fit", "--out", t.TempDir())
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `invalid --image-fit "fit"`)

	model, _, _ := trainCropModel(t, dir)
	code, _, stderr = runCmd("eval", model, "--data", dir, "--image-fit", "squeeze")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim eval: --image-fit squeeze differs from the crop fit that the model "+model+" was trained with; drop --image-fit, which the model fixes.\n", stderr)
	code, _, stderr = runCmd("eval", model, "--data", dir, "--image-fit", "crop", "--threads", "1")
	assert.Equal(t, exitOK, code, stderr)
	assert.False(t, strings.Contains(stderr, "differs"), stderr)
}
