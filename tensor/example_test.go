package tensor_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nidim/nidim/tensor"
)

// MatMul computes c = alpha*op(a)*op(b) + beta*c on 2-D tensors. Trans
// uses an operand transposed without copying it.
func ExampleMatMul() {
	a, err := tensor.FromSlice([]float32{
		1, 2, 3,
		4, 5, 6,
	}, 2, 3)
	if err != nil {
		log.Fatal(err)
	}
	b, err := tensor.FromSlice([]float32{
		1, 0,
		0, 1,
		1, 1,
	}, 3, 2)
	if err != nil {
		log.Fatal(err)
	}

	c := tensor.New(2, 2)
	if err := tensor.MatMul(tensor.NoTrans, tensor.NoTrans, 1, a, b, 0, c); err != nil {
		log.Fatal(err)
	}
	fmt.Println("a b:", c)

	// The Gram matrix a a^T, reusing c.
	if err := tensor.MatMul(tensor.NoTrans, tensor.Trans, 1, a, a, 0, c); err != nil {
		log.Fatal(err)
	}
	fmt.Println("a a^T:", c)

	// Shapes that do not fit give an error that wraps ErrShape.
	err = tensor.MatMul(tensor.NoTrans, tensor.NoTrans, 1, a, a, 0, c)
	fmt.Println(err)
	// Output:
	// a b: Tensor[2 2]{4 5 10 11}
	// a a^T: Tensor[2 2]{14 32 32 77}
	// tensor: MatMul: shape mismatch: op(a) is 2 x 3 and op(b) is 2 x 3: the inner dimensions must be equal
}

// WriteNPY writes a float32 tensor in the format numpy.load reads, and
// ReadNPY reads it back. ReadNPY also accepts the other dtypes and the
// Fortran order that numpy can write.
func ExampleWriteNPY() {
	t, err := tensor.FromSlice([]float32{0.5, -1, 2, 3.25, 0, 7}, 3, 2)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tensor.WriteNPY(&buf, t); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", buf.Bytes()[:8])

	back, err := tensor.ReadNPY(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Shape, back.Data)
	// Output:
	// "\x93NUMPY\x01\x00"
	// [3 2] [0.5 -1 2 3.25 0 7]
}

// WriteMatrixFile and ReadMatrixFile take a float64 matrix in row-major
// order and pick the format from the file name: .npy, .csv, .tsv or .txt,
// optionally gzipped.
func ExampleReadMatrixFile() {
	dir, err := os.MkdirTemp("", "tensor-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// NPYFloat64 stores .npy files as float64 instead of float32. The text
	// formats always hold the shortest decimal form of each float64.
	data := []float64{1, 2, 3, 4.5, 5, 6}
	for _, name := range []string{"m.npy", "m.csv.gz"} {
		path := filepath.Join(dir, name)
		if err := tensor.WriteMatrixFile(path, data, 2, 3, tensor.NPYFloat64()); err != nil {
			log.Fatal(err)
		}
		values, rows, cols, err := tensor.ReadMatrixFile(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, rows, cols, values)
	}
	// Output:
	// m.npy 2 3 [1 2 3 4.5 5 6]
	// m.csv.gz 2 3 [1 2 3 4.5 5 6]
}

// A seeded RNG gives the same values on every architecture and SIMD
// level, so a fill from it is reproducible anywhere.
func ExampleFillNormal() {
	t := tensor.New(2, 3)
	if err := tensor.FillNormal(t, tensor.NewRNG(42), 0, 1); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < t.Rows(); i++ {
		fmt.Printf("%.4f\n", t.Row(i))
	}
	fmt.Printf("sum %.4f, mean %.4f\n", t.Sum(), t.Mean())
	// Output:
	// [-0.3483 -1.0370 -0.1561]
	// [-0.4051 -0.4800 0.4352]
	// sum -1.9913, mean -0.3319
}
