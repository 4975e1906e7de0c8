package tensor

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The read benchmarks decode in-memory files the size of 1000 MNIST images
// (784 values each) and report the input rate with SetBytes.

func BenchmarkReadNPY(b *testing.B) {
	x := New(1000, 784)
	for i := range x.Data {
		x.Data[i] = float32(i%255) / 255
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, x); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNPY(bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadIDXUint8(b *testing.B) {
	x := New(1000, 28, 28)
	for i := range x.Data {
		x.Data[i] = float32(i % 256)
	}
	var buf bytes.Buffer
	if err := WriteIDX(&buf, x, IDXUint8); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadIDX(bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCSV(b *testing.B) {
	data := make([]float64, 1000*784)
	for i := range data {
		data[i] = float64(i%1000) / 997
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, data, 1000, 784, nil, ','); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, _, err := ReadCSV(bytes.NewReader(file), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCSVSavetxt reads text like numpy.savetxt(fmt="%.6g") writes:
// 20000 x 50 values of mixed sign and magnitude, some in exponent form,
// separated by commas or by spaces, the default delimiter of savetxt.
// strconv.FormatFloat with 'g' and precision 6 writes what C's %.6g writes.
func BenchmarkReadCSVSavetxt(b *testing.B) {
	const rows, cols = 20000, 50
	rng := rand.New(rand.NewPCG(1, 2))
	separators := []struct{ name, sep string }{{"comma", ","}, {"space", " "}}
	for _, s := range separators {
		var buf bytes.Buffer
		for range rows {
			for c := range cols {
				if c > 0 {
					buf.WriteString(s.sep)
				}
				v := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(13)-6))
				buf.WriteString(strconv.FormatFloat(v, 'g', 6, 64))
			}
			buf.WriteByte('\n')
		}
		file := buf.Bytes()
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, _, err := ReadCSV(bytes.NewReader(file), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
