package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/nidim/nidim/internal/atomicfile"
	"github.com/nidim/nidim/tensor"
)

// Checkpoints use the safetensors format. A file starts with an 8-byte
// little-endian header length and a JSON header. The header maps each
// tensor name to its dtype, shape and [begin, end) byte offsets in the data
// section, and may hold a "__metadata__" object of strings. The data
// section follows with the raw little-endian values. nidim writes and
// reads dtype F32 only.

// maxHeaderSize bounds the JSON header, as the reference implementation
// does, so that a corrupt length cannot make the reader allocate much.
const maxHeaderSize = 100 << 20

// metadataKey is the header entry that holds the string metadata.
const metadataKey = "__metadata__"

// ErrCheckpoint is wrapped by every error about a malformed checkpoint
// file.
var ErrCheckpoint = errors.New("invalid safetensors checkpoint")

// damagedFix ends the errors about a file that was a checkpoint once but
// was cut short or altered on the way.
const damagedFix = "copy or download the file again, or train a new model with nidim train"

// NamedTensor is a tensor with the name a checkpoint stores it under.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// Named returns the values of params under their names, the input
// SaveCheckpoint takes. Pass State(model) to save parameters and buffers.
func Named(params []*Param) []NamedTensor {
	out := make([]NamedTensor, len(params))
	for i, p := range params {
		out[i] = NamedTensor{Name: p.Name, Tensor: p.Value}
	}
	return out
}

// Checkpoint is the content of a checkpoint file.
type Checkpoint struct {
	Tensors  map[string]*tensor.Tensor
	Metadata map[string]string
}

// headerEntry is the JSON description of one tensor.
type headerEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// SaveCheckpoint writes tensors and metadata to path in the safetensors
// format, atomically: readers see the old file or the complete new one.
// Names must be unique, non-empty and different from "__metadata__".
func SaveCheckpoint(path string, tensors []NamedTensor, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		var size [8]byte
		binary.LittleEndian.PutUint64(size[:], uint64(len(header)))
		bw.Write(size[:])
		bw.Write(header)
		var buf [4]byte
		for _, t := range tensors {
			for _, v := range t.Tensor.Data {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				bw.Write(buf[:])
			}
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("nn: write checkpoint %s: %w", path, err)
		}
		return nil
	})
}

// encodeHeader returns the JSON header for tensors laid out in order,
// padded with spaces to a multiple of 8 bytes so that the data starts
// aligned.
func encodeHeader(tensors []NamedTensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, fmt.Errorf("nn: encode checkpoint metadata: %w", err)
		}
		b.WriteString(`"` + metadataKey + `":`)
		b.Write(m)
	}
	seen := make(map[string]bool, len(tensors))
	var offset uint64
	for _, t := range tensors {
		switch {
		case t.Name == "" || t.Name == metadataKey:
			return nil, fmt.Errorf("nn: invalid checkpoint tensor name %q: use a non-empty name other than %q", t.Name, metadataKey)
		case seen[t.Name]:
			return nil, fmt.Errorf("nn: duplicate checkpoint tensor name %q: every tensor needs its own name", t.Name)
		case t.Tensor == nil:
			return nil, fmt.Errorf("nn: checkpoint tensor %q is nil", t.Name)
		}
		seen[t.Name] = true
		shape := make([]int64, len(t.Tensor.Shape))
		count := 1
		for i, d := range t.Tensor.Shape {
			shape[i] = int64(d)
			count *= d
		}
		if count != len(t.Tensor.Data) || slices.ContainsFunc(t.Tensor.Shape, func(d int) bool { return d < 0 }) {
			return nil, fmt.Errorf("nn: checkpoint tensor %q has shape %v but %d values; fix the tensor before saving", t.Name, t.Tensor.Shape, len(t.Tensor.Data))
		}
		size := uint64(len(t.Tensor.Data)) * 4
		e, err := json.Marshal(headerEntry{Dtype: "F32", Shape: shape, DataOffsets: []uint64{offset, offset + size}})
		if err != nil {
			return nil, err
		}
		name, _ := json.Marshal(t.Name)
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(e)
		offset += size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// missingCheckpointError is the one-sentence error for a checkpoint path
// that does not exist. It still matches fs.ErrNotExist with errors.Is.
type missingCheckpointError struct {
	path string
	err  error
}

func (e *missingCheckpointError) Error() string {
	return fmt.Sprintf("nn: checkpoint %s does not exist; check the path", e.path)
}

func (e *missingCheckpointError) Unwrap() error { return e.err }

// LoadCheckpoint reads a safetensors file written by SaveCheckpoint or by
// another program, as long as every tensor is F32.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingCheckpointError{path: path, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("nn: read checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(data)
	var notSafetensors *notSafetensorsError
	if errors.As(err, &notSafetensors) {
		notSafetensors.path = path
		return nil, notSafetensors
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// notSafetensorsError reports data that is not in the safetensors format at
// all, such as an array or a text file given in place of a checkpoint,
// rather than a damaged checkpoint. It wraps ErrCheckpoint.
type notSafetensorsError struct {
	path  string // the file, when known
	looks string // the format the data resembles, or ""
}

func (e *notSafetensorsError) Error() string {
	subject := "the data"
	if e.path != "" {
		subject = e.path
	}
	msg := "nn: " + subject + " is not a safetensors checkpoint"
	if e.looks != "" {
		msg += " (it looks like " + e.looks + ")"
	}
	return msg + "; pass a checkpoint in the safetensors format, such as the model file nidim train writes"
}

func (e *notSafetensorsError) Unwrap() error { return ErrCheckpoint }

// looksLike names the format of data from its first bytes, or returns ""
// when it recognizes none.
func looksLike(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x93NUMPY")):
		return "a NumPy .npy array"
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return "gzip-compressed data"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "a zip archive, such as a PyTorch .pt file"
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] >= 0x08 && data[2] <= 0x0e && data[3] >= 1 && data[3] <= 4:
		return "an MNIST-style IDX file"
	}
	head := data[:min(len(data), 64)]
	for _, b := range head {
		if (b < ' ' || b > '~') && b != '\n' && b != '\r' && b != '\t' {
			return ""
		}
	}
	return "a text file"
}

// ParseCheckpoint decodes the bytes of a safetensors file. It checks the
// whole layout before it allocates any tensor. The header must fit in the
// file, and every tensor must be F32 with a byte size of 4 times its
// element count. The tensors must cover the data section exactly, without
// overlaps or gaps. A file whose layout is consistent but shorter than its
// header describes is reported as truncated.
func ParseCheckpoint(data []byte) (*Checkpoint, error) {
	list, metadata, headerLen, err := parseLayout(data, uint64(len(data)))
	if err != nil {
		return nil, err
	}
	body := data[8+headerLen:]
	c := &Checkpoint{Tensors: make(map[string]*tensor.Tensor, len(list)), Metadata: metadata}
	for _, p := range list {
		raw := body[p.begin:p.end]
		values := make([]float32, len(raw)/4)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		t, err := tensor.FromSlice(values, p.shape...)
		if err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrCheckpoint, p.name, err)
		}
		c.Tensors[p.name] = t
	}
	return c, nil
}

// parseLayout checks the header of a safetensors file of size bytes and
// returns its tensors, its metadata and the header length. data starts the
// file and contains at least its first 8+n bytes, n being the header
// length, when the file has that many. ParseCheckpoint and
// ReadCheckpointHeader both check files with it, so they reject the same
// files with the same errors.
func parseLayout(data []byte, size uint64) ([]placedTensor, map[string]string, uint64, error) {
	if size < 8 {
		return nil, nil, 0, fmt.Errorf("%w: file is %d bytes, shorter than the 8-byte header length; it is truncated or not a checkpoint, so %s", ErrCheckpoint, size, damagedFix)
	}
	// The JSON header of every safetensors file starts right after the
	// header length.
	if size > 8 && data[8] != '{' {
		return nil, nil, 0, &notSafetensorsError{looks: looksLike(data)}
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeaderSize {
		return nil, nil, 0, fmt.Errorf("%w: header length %d exceeds the maximum of %d bytes", ErrCheckpoint, n, maxHeaderSize)
	}
	if n > size-8 {
		return nil, nil, 0, fmt.Errorf("%w: the file is truncated (header length %d needs at least %d bytes, but the file has %d); %s", ErrCheckpoint, n, 8+n, size, damagedFix)
	}
	header, bodyLen := data[8:8+n], size-8-n
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, 0, fmt.Errorf("%w: header does not start with '{'", ErrCheckpoint)
	}
	entries, metadata, err := decodeHeader(header)
	if err != nil {
		return nil, nil, 0, err
	}
	list, err := layOut(entries)
	if err != nil {
		return nil, nil, 0, err
	}

	// layOut checked that the tensors cover [0, end) exactly.
	var end uint64
	if len(list) > 0 {
		end = list[len(list)-1].end
	}
	if end > bodyLen {
		if end > math.MaxUint64-8-n {
			return nil, nil, 0, fmt.Errorf("%w: the tensors end at byte %d of the data section, beyond any file size", ErrCheckpoint, end)
		}
		return nil, nil, 0, fmt.Errorf("%w: the file is truncated (the header describes %d bytes, but the file has %d); %s", ErrCheckpoint, 8+n+end, size, damagedFix)
	}
	if end < bodyLen {
		return nil, nil, 0, fmt.Errorf("%w: bytes [%d, %d] at the end of the data section belong to no tensor", ErrCheckpoint, end, bodyLen)
	}
	return list, metadata, n, nil
}

// CheckpointHeader is the header of a checkpoint file: its metadata and
// where each tensor's values lie in the file, without the values.
type CheckpointHeader struct {
	Metadata map[string]string
	Tensors  map[string]TensorSpan
}

// TensorSpan is the shape of a tensor in a checkpoint file and the byte
// range of its little-endian float32 values, as offsets from the start of
// the file.
type TensorSpan struct {
	Shape       []int
	Offset, End int64
}

// ReadCheckpointHeader reads the header of the checkpoint at path and
// checks it as LoadCheckpoint does, with the same errors, but reads none
// of the tensor values. A file that it accepts is one that LoadCheckpoint
// reads, unless the file changes or a read fails in between.
func ReadCheckpointHeader(path string) (*CheckpointHeader, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingCheckpointError{path: path, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("nn: read checkpoint: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nn: read checkpoint: %w", err)
	}
	h, err := readCheckpointHeader(f, info.Size())
	var notSafetensors *notSafetensorsError
	if errors.As(err, &notSafetensors) {
		notSafetensors.path = path
		return nil, notSafetensors
	}
	var readErr *headerReadError
	if errors.As(err, &readErr) {
		return nil, fmt.Errorf("nn: read checkpoint: %w", readErr.err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// headerReadError is an I/O error of readCheckpointHeader, as opposed to
// an invalid file.
type headerReadError struct{ err error }

func (e *headerReadError) Error() string { return e.err.Error() }

// readFullAt fills p from r at offset off. A ReaderAt may return io.EOF
// with a full p at the end of the input, which is no error here.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &headerReadError{err}
}

// readCheckpointHeader reads and checks the header of a checkpoint file of
// size bytes from r.
func readCheckpointHeader(r io.ReaderAt, size int64) (*CheckpointHeader, error) {
	fileSize := uint64(max(size, 0))
	// The first 72 bytes contain the header length and enough of the
	// data for looksLike. The header itself follows when its length is
	// plausible, and parseLayout rejects the file otherwise.
	data := make([]byte, min(fileSize, 72))
	if err := readFullAt(r, data, 0); err != nil {
		return nil, err
	}
	if fileSize >= 8 {
		if n := binary.LittleEndian.Uint64(data); n <= maxHeaderSize && n <= fileSize-8 && 8+n > uint64(len(data)) {
			rest := make([]byte, 8+n-uint64(len(data)))
			if err := readFullAt(r, rest, int64(len(data))); err != nil {
				return nil, err
			}
			data = append(data, rest...)
		}
	}

	list, metadata, headerLen, err := parseLayout(data, fileSize)
	if err != nil {
		return nil, err
	}
	h := &CheckpointHeader{Metadata: metadata, Tensors: make(map[string]TensorSpan, len(list))}
	start := int64(8 + headerLen)
	for _, p := range list {
		h.Tensors[p.name] = TensorSpan{Shape: p.shape, Offset: start + int64(p.begin), End: start + int64(p.end)}
	}
	return h, nil
}

// placedTensor is a tensor entry of the header with its checked shape and
// byte range in the data section.
type placedTensor struct {
	name       string
	shape      []int
	begin, end uint64
}

// layOut checks each header entry on its own and then that the entries,
// sorted by offset, cover the data section from byte 0 without overlaps or
// gaps. It does not compare the offsets with the file size, so that
// ParseCheckpoint can tell a truncated file from inconsistent offsets.
func layOut(entries map[string]headerEntry) ([]placedTensor, error) {
	list := make([]placedTensor, 0, len(entries))
	// Checking in name order makes the error the same on every run when
	// several entries are invalid.
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name]
		if e.Dtype != "F32" {
			return nil, fmt.Errorf("%w: tensor %q has dtype %q; nidim reads F32 only, so convert the tensor to float32", ErrCheckpoint, name, e.Dtype)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("%w: tensor %q has %d data offsets, want 2", ErrCheckpoint, name, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin > end {
			return nil, fmt.Errorf("%w: tensor %q has data offsets [%d, %d], which end before they begin", ErrCheckpoint, name, begin, end)
		}
		shape := make([]int, len(e.Shape))
		count := uint64(1)
		for i, d := range e.Shape {
			// Bounding count by the span keeps count*4 from overflowing.
			if d < 0 || (d > 0 && count > (end-begin)/uint64(d)) {
				return nil, fmt.Errorf("%w: tensor %q has shape %v, which needs more bytes than its data offsets [%d, %d] span", ErrCheckpoint, name, e.Shape, begin, end)
			}
			shape[i] = int(d)
			count *= uint64(d)
		}
		if count*4 != end-begin {
			return nil, fmt.Errorf("%w: tensor %q has shape %v, which needs %d bytes, but its data offsets [%d, %d] span %d", ErrCheckpoint, name, e.Shape, count*4, begin, end, end-begin)
		}
		list = append(list, placedTensor{name, shape, begin, end})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].begin != list[j].begin {
			return list[i].begin < list[j].begin
		}
		return list[i].end < list[j].end
	})
	var pos uint64
	for _, p := range list {
		if p.begin < pos {
			return nil, fmt.Errorf("%w: tensor %q at bytes [%d, %d] overlaps the tensor before it, which ends at %d", ErrCheckpoint, p.name, p.begin, p.end, pos)
		}
		if p.begin > pos {
			return nil, fmt.Errorf("%w: bytes [%d, %d] of the data section belong to no tensor", ErrCheckpoint, pos, p.begin)
		}
		pos = p.end
	}
	return list, nil
}

// decodeHeader parses the JSON header, rejecting duplicate names and
// unknown fields.
func decodeHeader(header []byte) (map[string]headerEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("%w: header is not a JSON object", ErrCheckpoint)
	}
	entries := map[string]headerEntry{}
	var metadata map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: header is not valid JSON (%v); %s", ErrCheckpoint, err, damagedFix)
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, nil, fmt.Errorf("%w: header names %q twice", ErrCheckpoint, name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("%w: header is not valid JSON (%v); %s", ErrCheckpoint, err, damagedFix)
		}
		if name == metadataKey {
			if err := json.Unmarshal(raw, &metadata); err != nil {
				return nil, nil, fmt.Errorf("%w: %s must map strings to strings: %v", ErrCheckpoint, metadataKey, err)
			}
			continue
		}
		var e headerEntry
		ed := json.NewDecoder(bytes.NewReader(raw))
		ed.DisallowUnknownFields()
		if err := ed.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("%w: the header is not valid safetensors: entry %q is neither %s nor a tensor description (%v); %s", ErrCheckpoint, name, metadataKey, err, damagedFix)
		}
		if e.Shape == nil || e.DataOffsets == nil {
			return nil, nil, fmt.Errorf("%w: tensor %q lacks a shape or data offsets", ErrCheckpoint, name)
		}
		entries[name] = e
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("%w: header is not valid JSON (%v); %s", ErrCheckpoint, err, damagedFix)
	}
	if rest := strings.TrimRight(string(header[dec.InputOffset():]), " "); rest != "" {
		return nil, nil, fmt.Errorf("%w: header has %d bytes after its JSON object that are not spaces", ErrCheckpoint, len(rest))
	}
	return entries, metadata, nil
}

// LoadInto copies the checkpoint's tensors into params, matched by name.
// It copies nothing and returns an error listing every problem when a
// parameter is missing from the checkpoint, a tensor has another shape, or
// the checkpoint holds tensors that no parameter takes.
func (c *Checkpoint) LoadInto(params []*Param) error {
	var problems []string
	used := make(map[string]bool, len(params))
	for _, p := range params {
		t, ok := c.Tensors[p.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing tensor %q", p.Name))
			continue
		}
		used[p.Name] = true
		if !slices.Equal(t.Shape, p.Value.Shape) {
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, the model needs %v", p.Name, t.Shape, p.Value.Shape))
		}
	}
	var extra []string
	for name := range c.Tensors {
		if !used[name] {
			extra = append(extra, fmt.Sprintf("extra tensor %q", name))
		}
	}
	sort.Strings(extra)
	problems = append(problems, extra...)
	if len(problems) > 0 {
		return fmt.Errorf("nn: checkpoint does not match the model: %s", strings.Join(problems, "; "))
	}
	for _, p := range params {
		copy(p.Value.Data, c.Tensors[p.Name].Data)
	}
	return nil
}

// Load copies the checkpoint into the parameters and buffers of l, as
// LoadInto(State(l)) does.
func (c *Checkpoint) Load(l Layer) error { return c.LoadInto(State(l)) }
