package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawCheckpoint returns the bytes of a safetensors file with the given
// header and data section.
func rawCheckpoint(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func TestCheckpointRoundTrip(t *testing.T) {
	rng := newTestRNG(5)
	conv, _ := NewConv2d(1, 2, 3, 1, 1, rng)
	bn, _ := NewBatchNorm2d(2, true)
	lin, _ := NewLinear(8, 3, rng)
	model := NewSequential(conv, bn, NewReLU(), NewFlatten(), lin)
	// Give the buffers and every parameter values that are not round.
	for _, p := range State(model) {
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(rng.NormFloat64())
		}
	}
	// Special values survive bit for bit.
	lin.Bias.Value.Data[0] = float32(math.Inf(-1))
	lin.Bias.Value.Data[1] = math.Float32frombits(1) // smallest subnormal
	lin.Bias.Value.Data[2] = float32(math.Copysign(0, -1))

	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := map[string]string{"prior": "gaussian", "dim": "64"}
	require.NoError(t, SaveCheckpoint(path, Named(State(model)), meta))

	c, err := LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Equal(t, meta, c.Metadata)
	require.Len(t, c.Tensors, len(State(model)))

	rng2 := newTestRNG(6)
	conv2, _ := NewConv2d(1, 2, 3, 1, 1, rng2)
	bn2, _ := NewBatchNorm2d(2, true)
	lin2, _ := NewLinear(8, 3, rng2)
	model2 := NewSequential(conv2, bn2, NewReLU(), NewFlatten(), lin2)
	require.NoError(t, c.Load(model2))
	a, b := State(model), State(model2)
	for i := range a {
		require.Equal(t, a[i].Name, b[i].Name)
		require.Equal(t, a[i].Value.Shape, b[i].Value.Shape, a[i].Name)
		for j := range a[i].Value.Data {
			require.Equal(t, math.Float32bits(a[i].Value.Data[j]), math.Float32bits(b[i].Value.Data[j]), "%s[%d]", a[i].Name, j)
		}
	}

	// The file starts with a header whose length is a multiple of 8.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Zero(t, binary.LittleEndian.Uint64(raw)%8)
}

func TestCheckpointLoadMismatch(t *testing.T) {
	rng := newTestRNG(1)
	lin, _ := NewLinear(3, 2, rng)
	bn, _ := NewBatchNorm(2, false)
	model := NewSequential(lin, bn)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	extra := tensor.New(2)
	wrong := tensor.New(3)
	require.NoError(t, SaveCheckpoint(path, []NamedTensor{
		{"0.weight", lin.Weight.Value},
		{"0.bias", wrong},
		{"1.running_mean", bn.RunningMean.Value},
		{"extra", extra},
	}, nil))
	c, err := LoadCheckpoint(path)
	require.NoError(t, err)
	lin.Weight.Value.Fill(7)
	err = c.Load(model)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tensor "0.bias" has shape [3], the model needs [2]`)
	assert.Contains(t, err.Error(), `missing tensor "1.running_var"`)
	assert.Contains(t, err.Error(), `extra tensor "extra"`)
	assert.Equal(t, float32(7), lin.Weight.Value.Data[0], "nothing is copied on a mismatch")
}

func TestSaveCheckpointRejectsNames(t *testing.T) {
	dir := t.TempDir()
	x := tensor.New(1)
	err := SaveCheckpoint(filepath.Join(dir, "a"), []NamedTensor{{"w", x}, {"w", x}}, nil)
	assert.ErrorContains(t, err, `duplicate checkpoint tensor name "w"`)
	err = SaveCheckpoint(filepath.Join(dir, "b"), []NamedTensor{{"__metadata__", x}}, nil)
	assert.ErrorContains(t, err, "invalid checkpoint tensor name")
	err = SaveCheckpoint(filepath.Join(dir, "c"), []NamedTensor{{"w", &tensor.Tensor{Shape: []int{2, 3}, Data: make([]float32, 5)}}}, nil)
	assert.ErrorContains(t, err, `checkpoint tensor "w" has shape [2 3] but 5 values`)
	_, err = os.Stat(filepath.Join(dir, "a"))
	assert.True(t, os.IsNotExist(err), "no file is written")
}

func TestParseCheckpointRejects(t *testing.T) {
	eight := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header length"},
		{"seven bytes", make([]byte, 7), "shorter than the 8-byte header length"},
		{"oversized header", binary.LittleEndian.AppendUint64(nil, 1<<40), "exceeds the maximum"},
		{"header longer than file", append(binary.LittleEndian.AppendUint64(nil, 50), `{"a":1}`...), "the file is truncated (header length 50 needs at least 58 bytes, but the file has 15)"},
		{"not an object", rawCheckpoint(`[1,2]`, nil), "the data is not a safetensors checkpoint; pass"},
		{"empty header", rawCheckpoint(``, []byte("{}")), "does not start with '{'"},
		{"bad json", rawCheckpoint(`{"a":{"dtype":"F32",`, nil), "not valid JSON"},
		{"trailing bytes in header", rawCheckpoint(`{} x`, nil), "not spaces"},
		{"wrong dtype", rawCheckpoint(`{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}`, eight), `dtype "F16"`},
		{"unknown field", rawCheckpoint(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), `the header is not valid safetensors: entry "w" is neither __metadata__ nor a tensor description (json: unknown field "x")`},
		{"damaged metadata key", rawCheckpoint(`{"__metadataX_":{"k":"v"}}`, nil), `the header is not valid safetensors: entry "__metadataX_" is neither __metadata__ nor a tensor description`},
		{"missing offsets", rawCheckpoint(`{"w":{"dtype":"F32","shape":[2]}}`, eight), "lacks a shape or data offsets"},
		{"three offsets", rawCheckpoint(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, eight), "3 data offsets"},
		{"data past the end", rawCheckpoint(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight), "the file is truncated (the header describes 79 bytes, but the file has 71); copy or download the file again"},
		{"offsets beyond any size", rawCheckpoint(`{"w":{"dtype":"F32","shape":[4611686018427387903],"data_offsets":[0,18446744073709551612]}}`, eight), "beyond any file size"},
		{"reversed offsets", rawCheckpoint(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight), "end before they begin"},
		{"shape vs size", rawCheckpoint(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "needs 12 bytes"},
		{"huge shape", rawCheckpoint(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, eight), "needs more bytes"},
		{"negative shape", rawCheckpoint(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "needs more bytes"},
		{"overlap", rawCheckpoint(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"gap", rawCheckpoint(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "bytes [0, 4] of the data section belong to no tensor"},
		{"trailing data", rawCheckpoint(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "at the end of the data section"},
		{"duplicate name", rawCheckpoint(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), `names "a" twice`},
		{"bad metadata", rawCheckpoint(`{"__metadata__":{"a":1}}`, nil), "must map strings to strings"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCheckpoint(c.file)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.True(t, errors.Is(err, ErrCheckpoint), "error %q does not wrap ErrCheckpoint", err)
			assert.Contains(t, err.Error(), c.want)

			// Reading only the header rejects the file with the error of
			// loading it whole.
			path := filepath.Join(dir, fmt.Sprintf("case%d.safetensors", i))
			require.NoError(t, os.WriteFile(path, c.file, 0o644))
			_, loadErr := LoadCheckpoint(path)
			require.Error(t, loadErr)
			header, err := ReadCheckpointHeader(path)
			assert.Nil(t, header)
			require.Error(t, err)
			assert.Equal(t, loadErr.Error(), err.Error())
		})
	}
}

func TestReadCheckpointHeaderSpans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	a := &tensor.Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	b := &tensor.Tensor{Shape: []int{4}, Data: []float32{7, 8, 9, 10}}
	require.NoError(t, SaveCheckpoint(path, []NamedTensor{{"a", a}, {"b", b}}, map[string]string{"k": "v"}))
	whole, err := os.ReadFile(path)
	require.NoError(t, err)

	h, err := ReadCheckpointHeader(path)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, h.Metadata)
	require.Len(t, h.Tensors, 2)
	for name, want := range map[string]*tensor.Tensor{"a": a, "b": b} {
		span := h.Tensors[name]
		assert.Equal(t, want.Shape, span.Shape, name)
		require.Equal(t, int64(4*len(want.Data)), span.End-span.Offset, name)
		for i, v := range want.Data {
			got := math.Float32frombits(binary.LittleEndian.Uint32(whole[span.Offset+int64(4*i):]))
			assert.Equal(t, v, got, "%s[%d]", name, i)
		}
	}

	// A cut file fails as LoadCheckpoint fails on it.
	cut := filepath.Join(t.TempDir(), "cut.safetensors")
	require.NoError(t, os.WriteFile(cut, whole[:len(whole)-1], 0o644))
	_, loadErr := LoadCheckpoint(cut)
	require.Error(t, loadErr)
	_, err = ReadCheckpointHeader(cut)
	require.Error(t, err)
	assert.Equal(t, loadErr.Error(), err.Error())

	_, err = ReadCheckpointHeader(filepath.Join(t.TempDir(), "missing.safetensors"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestLoadCheckpointTruncated cuts a saved checkpoint at every length, as
// an interrupted copy does, and expects each error to say so with the
// sizes and the fix.
func TestLoadCheckpointTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	a := &tensor.Tensor{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	b := &tensor.Tensor{Shape: []int{4}, Data: []float32{7, 8, 9, 10}}
	require.NoError(t, SaveCheckpoint(path, []NamedTensor{{"a", a}, {"b", b}}, map[string]string{"k": "v"}))
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	headerEnd := 8 + int(binary.LittleEndian.Uint64(whole))
	cut := filepath.Join(dir, "cut.safetensors")
	for size := range len(whole) {
		require.NoError(t, os.WriteFile(cut, whole[:size], 0o644))
		_, err := LoadCheckpoint(cut)
		require.Error(t, err, "cut at %d of %d bytes", size, len(whole))
		assert.True(t, errors.Is(err, ErrCheckpoint), "error %q does not wrap ErrCheckpoint", err)
		msg := err.Error()
		assert.Contains(t, msg, cut+": ")
		assert.Contains(t, msg, "truncated", "cut at %d", size)
		assert.Contains(t, msg, "copy or download the file again", "cut at %d", size)
		if size >= headerEnd {
			assert.Contains(t, msg, fmt.Sprintf("the header describes %d bytes, but the file has %d", len(whole), size))
		}
		_, err = ReadCheckpointHeader(cut)
		require.Error(t, err, "header of a file cut at %d of %d bytes", size, len(whole))
		assert.Equal(t, msg, err.Error(), "header of a file cut at %d", size)
	}
}

func TestParseCheckpointAccepts(t *testing.T) {
	data := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(-2))
	// Entries in any order, an empty tensor, a scalar and padding spaces.
	header := `{"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   `
	c, err := ParseCheckpoint(rawCheckpoint(header, data))
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5}, c.Tensors["a"].Data)
	assert.Equal(t, []float32{-2}, c.Tensors["b"].Data)
	assert.Empty(t, c.Tensors["b"].Shape)
	assert.Equal(t, []int{0, 3}, c.Tensors["e"].Shape)
	assert.Nil(t, c.Metadata)
}

// TestLoadCheckpointOtherFormats gives LoadCheckpoint files of other
// formats, as a user who passes a data file in place of a model does.
func TestLoadCheckpointOtherFormats(t *testing.T) {
	dir := t.TempDir()
	idx := []byte{0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}
	for _, c := range []struct {
		name  string
		data  []byte
		looks string
	}{
		{"x.npy", append([]byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), make([]byte, 8)...), " (it looks like a NumPy .npy array)"},
		{"x.csv", []byte("0.5,1.5,2\n3,4,5\n"), " (it looks like a text file)"},
		{"x.npy.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}, " (it looks like gzip-compressed data)"},
		{"x.pt", []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00archive/data.pkl"), " (it looks like a zip archive, such as a PyTorch .pt file)"},
		{"train-images-idx3-ubyte", idx, " (it looks like an MNIST-style IDX file)"},
		{"x.bin", []byte{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xfe}, ""},
	} {
		path := filepath.Join(dir, c.name)
		require.NoError(t, os.WriteFile(path, c.data, 0o644))
		got, err := LoadCheckpoint(path)
		require.Error(t, err, c.name)
		assert.Nil(t, got)
		assert.True(t, errors.Is(err, ErrCheckpoint), "error %q does not wrap ErrCheckpoint", err)
		assert.Equal(t, "nn: "+path+" is not a safetensors checkpoint"+c.looks+
			"; pass a checkpoint in the safetensors format, such as the model file nidim train writes", err.Error())
	}
}

func FuzzLoadCheckpoint(f *testing.F) {
	eight := make([]byte, 8)
	f.Add(rawCheckpoint(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight))
	f.Add(rawCheckpoint(`{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight))
	f.Add(rawCheckpoint(`{}`, nil))
	f.Add(rawCheckpoint(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight[:5]))
	f.Add(rawCheckpoint(`{"__metadataX_":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight[:4]))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCheckpoint(data)
		// Reading the header alone accepts the same files, rejects the
		// others with the same error, and finds each tensor's values.
		h, headerErr := readCheckpointHeader(bytes.NewReader(data), int64(len(data)))
		if (err == nil) != (headerErr == nil) || err != nil && err.Error() != headerErr.Error() {
			t.Fatalf("ParseCheckpoint returned %v, but readCheckpointHeader returned %v", err, headerErr)
		}
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("error %q does not wrap ErrCheckpoint", err)
			}
			return
		}
		if !maps.Equal(h.Metadata, c.Metadata) || len(h.Tensors) != len(c.Tensors) {
			t.Fatalf("header has metadata %v and %d tensors, the file %v and %d", h.Metadata, len(h.Tensors), c.Metadata, len(c.Tensors))
		}
		for name, x := range c.Tensors {
			span, ok := h.Tensors[name]
			if !ok || !slices.Equal(span.Shape, x.Shape) || span.End-span.Offset != int64(4*len(x.Data)) {
				t.Fatalf("tensor %q has span %+v in the header, shape %v and %d values in the file", name, span, x.Shape, len(x.Data))
			}
			for i, v := range x.Data {
				if binary.LittleEndian.Uint32(data[span.Offset+int64(4*i):]) != math.Float32bits(v) {
					t.Fatalf("tensor %q value %d is not at offset %d", name, i, span.Offset+int64(4*i))
				}
			}
		}
		// A file that parses saves and parses again to the same tensors.
		var named []NamedTensor
		for name, x := range c.Tensors {
			named = append(named, NamedTensor{name, x})
		}
		header, err := encodeHeader(named, c.Metadata)
		if err != nil {
			t.Fatalf("parsed checkpoint does not encode: %v", err)
		}
		var body []byte
		for _, n := range named {
			for _, v := range n.Tensor.Data {
				body = binary.LittleEndian.AppendUint32(body, math.Float32bits(v))
			}
		}
		c2, err := ParseCheckpoint(rawCheckpoint(string(header), body))
		if err != nil {
			t.Fatalf("re-encoded checkpoint does not parse: %v", err)
		}
		if len(c2.Tensors) != len(c.Tensors) {
			t.Fatalf("round trip has %d tensors, want %d", len(c2.Tensors), len(c.Tensors))
		}
		for name, x := range c.Tensors {
			y := c2.Tensors[name]
			if y == nil || len(y.Data) != len(x.Data) {
				t.Fatalf("tensor %q changed in the round trip", name)
			}
			for i := range x.Data {
				if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
					t.Fatalf("tensor %q value %d changed in the round trip", name, i)
				}
			}
		}
	})
}

func TestLoadCheckpointMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.safetensors")
	_, err := LoadCheckpoint(path)
	require.Error(t, err)
	assert.True(t, errors.Is(err, fs.ErrNotExist), "error %q does not wrap fs.ErrNotExist", err)
	assert.Equal(t, "nn: checkpoint "+path+" does not exist; check the path", err.Error())
}
