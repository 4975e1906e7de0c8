package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFingerprinterMatchesDataset(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(300, 40)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	want := (&Dataset{X: x, Shape: []int{1, 5, 8}}).Fingerprint()
	for _, rows := range []int{1, 7, 100, 299, 300} {
		f := NewFingerprinter(x.Shape, []int{1, 5, 8})
		for lo := 0; lo < 300; lo += rows {
			hi := min(lo+rows, 300)
			f.Add(x.Data[lo*40 : hi*40])
		}
		assert.Equal(t, want, f.Fingerprint(), "%d rows a part", rows)
	}
}

func TestRangeSamplerMatchesRangeOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := map[string][]float32{}
	for _, n := range []int{1, 50, 1024, 1025, 5000, 100000} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.ExpFloat64())
		}
		inputs[fmt.Sprintf("%d exponential values", n)] = v
	}
	// Mostly one value, so that RangeOf falls back to the extremes, with
	// -0 and 0, NaN and infinities among them.
	mostlyZero := make([]float32, 20000)
	mostlyZero[17] = float32(math.Copysign(0, -1))
	mostlyZero[400] = float32(math.NaN())
	mostlyZero[9000] = float32(math.Inf(1))
	mostlyZero[12345] = -3
	mostlyZero[19999] = 2.5
	inputs["mostly zero"] = mostlyZero
	signedZeros := make([]float32, 3000)
	for i := range signedZeros {
		if rng.IntN(2) == 0 {
			signedZeros[i] = float32(math.Copysign(0, -1))
		}
	}
	inputs["signed zeros"] = signedZeros

	for name, values := range inputs {
		want := RangeOf(values)
		for _, part := range []int{1, 13, 784, 1000, len(values)} {
			s := NewRangeSampler(len(values))
			for lo := 0; lo < len(values); lo += part {
				s.Add(values[lo:min(lo+part, len(values))])
			}
			got := s.Range()
			require.Equal(t, math.Float32bits(want.Min), math.Float32bits(got.Min), "%s, %d values a part: min %v, want %v", name, part, got.Min, want.Min)
			require.Equal(t, math.Float32bits(want.Max), math.Float32bits(got.Max), "%s, %d values a part: max %v, want %v", name, part, got.Max, want.Max)
		}
	}
}
