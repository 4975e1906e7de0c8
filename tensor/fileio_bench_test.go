package tensor

import (
	"bytes"
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
