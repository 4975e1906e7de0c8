package tensor

import "fmt"

// Transpose copies square tiles of transposeTile x transposeTile elements.
// Two 32 x 32 float32 tiles take 8 KiB, which fits in any L1 data cache.
// The tiles are visited in panels of transposePanel x transposePanel, so
// one panel touches at most 4*256 pages of 4 KiB (each of its 256 source
// and 256 destination row segments spans at most two pages). That is meant
// to fit the second-level TLB of current cores.
//
// NOTE: both sizes are estimates from cache and TLB sizes, not tuned by
// measurement.
const (
	transposeTile  = 32
	transposePanel = 256
)

// Transpose sets dst to the transpose of the 2-D tensor a: a has shape
// [r, c] and dst shape [c, r]. A nil dst is allocated. It copies tile by
// tile, so the cache lines of a tile are reused from the L1 cache. It
// returns an error when a is not 2-D, an ErrShape error when dst has
// another shape, and an error when dst shares memory with a, because
// Transpose does not work in place.
func Transpose(dst, a *Tensor) (*Tensor, error) {
	if len(a.Shape) != 2 {
		return nil, fmt.Errorf("tensor: Transpose: shape %v has %d dimensions, want 2: Reshape the tensor to a matrix first", a.Shape, len(a.Shape))
	}
	r, c := a.Shape[0], a.Shape[1]
	if dst == nil {
		dst = New(c, r)
	} else if len(dst.Shape) != 2 || dst.Shape[0] != c || dst.Shape[1] != r {
		return nil, shapeError("Transpose", dst.Shape, []int{c, r}, fmt.Sprintf("dst must have the transposed shape of %v", a.Shape))
	}
	if overlaps(dst.Data, a.Data) {
		return nil, fmt.Errorf("tensor: Transpose: dst shares memory with the input of shape %v: pass a separate dst", a.Shape)
	}
	src, out := a.Data, dst.Data
	for pi := 0; pi < r; pi += transposePanel {
		for pj := 0; pj < c; pj += transposePanel {
			transposePanelAt(out, src, r, c, pi, min(pi+transposePanel, r), pj, min(pj+transposePanel, c))
		}
	}
	return dst, nil
}

// transposePanelAt transposes rows i0 to i1-1 and columns j0 to j1-1 of the
// r x c matrix src into the c x r matrix out, tile by tile.
func transposePanelAt(out, src []float32, r, c, i0, i1, j0, j1 int) {
	for ti := i0; ti < i1; ti += transposeTile {
		ti1 := min(ti+transposeTile, i1)
		for tj := j0; tj < j1; tj += transposeTile {
			tj1 := min(tj+transposeTile, j1)
			for j := tj; j < tj1; j++ {
				col := out[j*r+ti : j*r+ti1]
				for k := range col {
					col[k] = src[(ti+k)*c+j]
				}
			}
		}
	}
}
