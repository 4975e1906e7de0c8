package tensor

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTranspose(t *testing.T) {
	for _, shape := range [][2]int{{0, 5}, {5, 0}, {1, 1}, {1, 40}, {40, 1}, {33, 65}, {70, 3}, {32, 32}, {100, 97}, {300, 270}, {257, 1}, {1, 513}} {
		r, c := shape[0], shape[1]
		a := uniformTensor(t, uint64(r*1000+c), r, c)
		at, err := Transpose(nil, a)
		require.NoError(t, err)
		require.Equal(t, []int{c, r}, at.Shape)
		for i := range r {
			for j := range c {
				require.Equal(t, a.At(i, j), at.At(j, i), "%dx%d at (%d, %d)", r, c, i, j)
			}
		}

		back := Full(-5, r, c)
		_, err = Transpose(back, at)
		require.NoError(t, err)
		require.Equal(t, a.Data, back.Data, "%dx%d: transposing twice is not the identity", r, c)
	}
}

func TestTransposeErrors(t *testing.T) {
	a := uniformTensor(t, 1, 2, 3)
	_, err := Transpose(nil, New(2, 3, 4))
	require.ErrorContains(t, err, "[2 3 4] has 3 dimensions")
	_, err = Transpose(New(2, 3), a)
	requireShapeError(t, err, "[2 3]", "[3 2]")

	square := uniformTensor(t, 2, 4, 4)
	_, err = Transpose(square, square)
	require.ErrorContains(t, err, "shares memory")
}

func BenchmarkTranspose(b *testing.B) {
	for _, shape := range [][2]int{{256, 256}, {1000, 784}, {4096, 4096}} {
		r, c := shape[0], shape[1]
		b.Run(fmt.Sprintf("%dx%d", r, c), func(b *testing.B) {
			a := uniformTensor(b, 1, r, c)
			dst := New(c, r)
			b.SetBytes(int64(8 * r * c)) // each float32 is read once and written once
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Transpose(dst, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
