package tensor

import "fmt"

// transposeBlock is the side of the square tiles Transpose copies: two
// 32 x 32 float32 tiles take 8 KiB, which fits in any L1 data cache.
const transposeBlock = 32

// Transpose sets dst to the transpose of the 2-D tensor a: a has shape
// [r, c] and dst shape [c, r]. A nil dst is allocated. It copies tile by
// tile, so reads and writes both stay within a few cache lines. It returns
// an error when a is not 2-D, an ErrShape error when dst has another shape,
// and an error when dst shares memory with a, because Transpose does not
// work in place.
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
	for i0 := 0; i0 < r; i0 += transposeBlock {
		i1 := min(i0+transposeBlock, r)
		for j0 := 0; j0 < c; j0 += transposeBlock {
			j1 := min(j0+transposeBlock, c)
			for j := j0; j < j1; j++ {
				col := out[j*r+i0 : j*r+i1]
				for k := range col {
					col[k] = src[(i0+k)*c+j]
				}
			}
		}
	}
	return dst, nil
}
