package tensor

import (
	"bytes"
	"compress/gzip"
	endian "encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sizeHintTestIDX returns a plain u8 IDX file of shape (count, 28, 28) whose
// pixel i is i mod 251.
func sizeHintTestIDX(count int) []byte {
	file := []byte{0, 0, IDXUint8, 3}
	file = endian.BigEndian.AppendUint32(file, uint32(count))
	file = endian.BigEndian.AppendUint32(file, 28)
	file = endian.BigEndian.AppendUint32(file, 28)
	for i := range count * 28 * 28 {
		file = append(file, byte(i%251))
	}
	return file
}

func sizeHintGzip(t *testing.T, members ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(m)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	}
	return buf.Bytes()
}

// allocatedBytes returns the bytes that read allocates on the heap.
func allocatedBytes(read func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReadIDXGzipAllocatesArrayOnce(t *testing.T) {
	// 3000 images of 784 u8 pixels: 2,352,000 values, 9,408,000 bytes as
	// float32. Growing the array by doubling from 64 KiB allocated 26 MB
	// in all (Go 1.26, linux/amd64).
	const count = 3000
	const arrayBytes = count * 784 * 4
	plain := sizeHintTestIDX(count)
	zipped := sizeHintGzip(t, plain)
	path := filepath.Join(t.TempDir(), "images-idx3-ubyte.gz")
	require.NoError(t, os.WriteFile(path, zipped, 0o644))

	for _, c := range []struct {
		name string
		open func(t *testing.T) io.Reader
	}{
		{"bytes.Reader", func(t *testing.T) io.Reader { return bytes.NewReader(zipped) }},
		{"os.File", func(t *testing.T) io.Reader {
			f, err := os.Open(path)
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			return f
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.open(t)
			var x *Tensor
			var err error
			allocated := allocatedBytes(func() { x, err = ReadIDX(r) })
			require.NoError(t, err)
			assert.Equal(t, []int{count, 28, 28}, x.Shape)
			assert.Equal(t, float32(250), x.Data[250])
			assert.Equal(t, float32((count*784-1)%251), x.Data[count*784-1])
			assert.GreaterOrEqual(t, allocated, uint64(arrayBytes))
			assert.Less(t, allocated, uint64(arrayBytes)*5/4, "bytes allocated for a %d-byte array", arrayBytes)
		})
	}
}

func TestReadIDXGzipWrongTrailerStillReads(t *testing.T) {
	const count = 100
	plain := sizeHintTestIDX(count)
	// With two gzip members, the trailer of the last one records only its
	// own 10 bytes. With 500 bytes after the array, the trailer records
	// more than the array. Neither may change the values read.
	cases := map[string][]byte{
		"two members":    sizeHintGzip(t, plain[:len(plain)-10], plain[len(plain)-10:]),
		"trailing bytes": sizeHintGzip(t, append(bytes.Clone(plain), make([]byte, 500)...)),
	}
	for name, zipped := range cases {
		t.Run(name, func(t *testing.T) {
			x, err := ReadIDX(bytes.NewReader(zipped))
			require.NoError(t, err)
			require.Equal(t, []int{count, 28, 28}, x.Shape)
			for i, v := range x.Data {
				if v != float32(i%251) {
					t.Fatalf("value %d is %v, want %d", i, v, i%251)
				}
			}
		})
	}
}

func TestReadIDXForgedGzipTrailerAllocatesLittle(t *testing.T) {
	// The header claims 2^26 u8 pixels (256 MiB as float32), and the forged
	// trailer agrees with it, but about 60 compressed bytes cannot expand
	// to 64 MiB, so the reader must not trust the trailer.
	header := []byte{0, 0, IDXUint8, 1, 0x04, 0, 0, 0}
	zipped := sizeHintGzip(t, append(header, make([]byte, 4096)...))
	endian.LittleEndian.PutUint32(zipped[len(zipped)-4:], 1<<26+uint32(len(header)))

	var err error
	allocated := allocatedBytes(func() { _, err = ReadIDX(bytes.NewReader(zipped)) })
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	// gzip checks ISIZE against the data when the stream ends, before the
	// reader sees that the array is incomplete.
	assert.Equal(t, "tensor: idx: invalid format: gzip stream: gzip: invalid checksum", err.Error())
	assert.Less(t, allocated, uint64(2<<20), "bytes allocated")
}

func TestDecompressedSize(t *testing.T) {
	plain := sizeHintTestIDX(10)
	zipped := sizeHintGzip(t, plain)

	forged := bytes.Clone(zipped)
	limit := maxDeflateRatio * (len(forged) - gzipOverhead)
	endian.LittleEndian.PutUint32(forged[len(forged)-4:], uint32(limit+1))
	atLimit := bytes.Clone(forged)
	endian.LittleEndian.PutUint32(atLimit[len(atLimit)-4:], uint32(limit))

	for _, c := range []struct {
		name  string
		input []byte
		skip  int64
		size  int64
		ok    bool
	}{
		{"plain", plain, 0, int64(len(plain)), true},
		{"plain after 5 bytes", plain, 5, int64(len(plain)) - 5, true},
		{"gzip", zipped, 0, int64(len(plain)), true},
		{"gzip trailer over the DEFLATE limit", forged, 0, 0, false},
		{"gzip trailer at the DEFLATE limit", atLimit, 0, int64(limit), true},
		{"gzip shorter than header and trailer", zipped[:gzipOverhead-1], 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := bytes.NewReader(c.input)
			_, err := r.Seek(c.skip, io.SeekStart)
			require.NoError(t, err)
			size, ok := DecompressedSize(r)
			assert.Equal(t, c.ok, ok, "ok")
			assert.Equal(t, c.size, size, "size")
			pos, err := r.Seek(0, io.SeekCurrent)
			require.NoError(t, err)
			assert.Equal(t, c.skip, pos, "position after the call")
		})
	}
}

func TestWithSizeHintTruncatedInput(t *testing.T) {
	// The hint agrees with the header, but the data ends early: the reader
	// reports the truncation as it does without a hint.
	file := sizeHintTestIDX(2)
	short := file[:len(file)-100]
	r := WithSizeHint(npyStream{bytes.NewReader(short)}, int64(len(file)))
	_, err := ReadIDX(r)
	var invalid *FormatError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "tensor: idx: invalid format: data truncated: shape (2, 28, 28) of u8 needs 1568 bytes, but the input ends after 1468; the file is incomplete or its header is wrong", err.Error())
}

func TestReadArrayFileGzipNPYAllocatesArrayOnce(t *testing.T) {
	// 300000 float32 values read as float64: 2,400,000 bytes.
	const n = 300000
	x := New(n/100, 100)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	var plain bytes.Buffer
	require.NoError(t, WriteNPY(&plain, x))
	path := filepath.Join(t.TempDir(), "x.npy.gz")
	require.NoError(t, os.WriteFile(path, sizeHintGzip(t, plain.Bytes()), 0o644))

	var data []float64
	var shape []int
	var err error
	allocated := allocatedBytes(func() { data, shape, err = ReadArrayFile(path) })
	require.NoError(t, err)
	assert.Equal(t, []int{n / 100, 100}, shape)
	assert.Equal(t, float64(n-1), data[n-1])
	assert.Less(t, allocated, uint64(n*8)*5/4, "bytes allocated for a %d-byte array", n*8)
}
