package tensor

// Size hints let the binary readers allocate an array once when its size is
// expected but not proven, as with the uncompressed size that a gzip file
// records in its trailer.

import (
	"bytes"
	endian "encoding/binary"
	"io"
)

// maxDeflateRatio is the largest ratio of uncompressed to compressed size
// that DEFLATE (RFC 1951) can reach: a match of 258 bytes takes at least
// 2 bits, one for its length code and one for its distance code.
const maxDeflateRatio = 1032

// gzipOverhead is the size of the smallest gzip header (10 bytes) and the
// trailer (CRC-32 and ISIZE, 8 bytes), RFC 1952.
const gzipOverhead = 18

// sizeHintReader is a reader that expects its source to deliver remaining
// more bytes. See WithSizeHint.
type sizeHintReader struct {
	r         io.Reader
	remaining int64
}

func (h *sizeHintReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.remaining -= int64(n)
	return n, err
}

// WithSizeHint wraps r so that ReadIDX, ReadNPY and ReadNPY64 expect size
// more bytes from it, such as DecompressedSize returns. When the array
// data that the header announces fits in the remaining expected bytes,
// these readers allocate the array at once. Otherwise they grow it as the
// data arrives, which keeps the old and the grown copy in memory
// together. The hint is trusted for nothing else:
// input that ends early is still an error. Pass no size larger than the
// input can deliver, because a corrupt header that agrees with the hint
// then allocates that much before the data runs out.
func WithSizeHint(r io.Reader, size int64) io.Reader {
	return &sizeHintReader{r: r, remaining: size}
}

// expectedBytes returns the bytes that r is expected to deliver, for a
// reader made by WithSizeHint.
func expectedBytes(r io.Reader) (int64, bool) {
	h, ok := r.(*sizeHintReader)
	if !ok || h.remaining < 0 {
		return 0, false
	}
	return h.remaining, true
}

// DecompressedSize returns the number of bytes that src yields from its
// current position on, after gunzipping when the data there is gzip (it
// starts with 1f 8b). For gzip it returns the uncompressed size that the
// trailer records (ISIZE, RFC 1952), which is right for a file of one gzip
// member smaller than 4 GiB. For a file of several members, ISIZE gives the
// last member's size, and for 4 GiB or more it gives the size modulo 2^32,
// so the result is a hint for WithSizeHint, not a proven size. It returns
// false when src cannot seek, when the gzip data is too short for a header
// and a trailer, and when ISIZE exceeds what DEFLATE can expand the
// compressed bytes to (1032 times), which only a corrupt file claims. It
// leaves src at the position where it found it.
func DecompressedSize(src io.ReadSeeker) (int64, bool) {
	start, err := src.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false
	}
	var magic [2]byte
	n, _ := io.ReadFull(src, magic[:])
	if _, err := src.Seek(start, io.SeekStart); err != nil {
		return 0, false
	}
	end, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, false
	}
	if n < len(magic) || !isGzip(magic[:]) {
		if _, err := src.Seek(start, io.SeekStart); err != nil {
			return 0, false
		}
		return max(end-start, 0), true
	}
	return gzipTrailerSize(src, start, end)
}

// gzipTrailerSize returns the ISIZE field of the gzip data in src from
// offset start to offset end, checked as DecompressedSize describes, and
// seeks src back to start.
func gzipTrailerSize(src io.ReadSeeker, start, end int64) (int64, bool) {
	compressed := end - start
	if compressed < gzipOverhead {
		src.Seek(start, io.SeekStart)
		return 0, false
	}
	var isize [4]byte
	_, err := src.Seek(end-int64(len(isize)), io.SeekStart)
	if err == nil {
		_, err = io.ReadFull(src, isize[:])
	}
	if _, seekErr := src.Seek(start, io.SeekStart); seekErr != nil || err != nil {
		return 0, false
	}
	size := int64(endian.LittleEndian.Uint32(isize[:]))
	if size > maxDeflateRatio*(compressed-gzipOverhead) {
		return 0, false
	}
	return size, true
}

// gzipSizeAfterMagic returns the hint of DecompressedSize for r, a gzip
// stream of which the caller has read the first len(magic) bytes, when r can
// seek. It leaves r where it found it.
func gzipSizeAfterMagic(r io.Reader, magic []byte) (int64, bool) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		return 0, false
	}
	pos, err := rs.Seek(0, io.SeekCurrent)
	if err != nil || pos < int64(len(magic)) {
		return 0, false
	}
	start := pos - int64(len(magic))
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return 0, false
	}
	// Check that the bytes before pos are the ones read, so that a reader
	// whose position is not where the caller started cannot lend its
	// trailer to other data.
	head := make([]byte, len(magic))
	_, err = io.ReadFull(rs, head)
	var size int64
	var sized bool
	if err == nil && bytes.Equal(head, magic) {
		end, endErr := rs.Seek(0, io.SeekEnd)
		if endErr == nil {
			size, sized = gzipTrailerSize(rs, start, end)
		}
	}
	if _, err := rs.Seek(pos, io.SeekStart); err != nil {
		return 0, false
	}
	return size, sized
}
