package serve

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFastMatchesReflect fails when the fast parser accepts body but its
// result differs from that of encoding/json.
func checkFastMatchesReflect(t *testing.T, body []byte, size int) bool {
	rows, n, apiErr, ok := parseInputsFast(body, size)
	if !ok {
		return false
	}
	wantRows, wantN, wantErr := decodeJSONReflect(body, size)
	if wantErr != nil {
		require.NotNil(t, apiErr, "body %q: fast parser accepted what encoding/json rejects with %q", body, wantErr.msg)
		assert.Equal(t, wantErr.kind, apiErr.kind, "body %q", body)
		assert.Equal(t, wantErr.msg, apiErr.msg, "body %q", body)
		return true
	}
	require.Nil(t, apiErr, "body %q: fast parser rejects what encoding/json accepts", body)
	require.Equal(t, wantN, n, "body %q", body)
	require.Len(t, rows, len(wantRows), "body %q", body)
	for i := range rows {
		require.Equal(t, math.Float32bits(wantRows[i]), math.Float32bits(rows[i]), "body %q, value %d", body, i)
	}
	return true
}

func TestParseInputsFast(t *testing.T) {
	accepted := []string{
		`{"inputs": [[1, 2], [3, 4]]}`,
		" {\n\t\"inputs\" :[ [ -0.5 ,1e-3],[0, 2E+2] ] } \r\n",
		`{"inputs": [[1.0000001, 3.4028235e38]]}`,
		`{"inputs": []}`,
		`{"inputs": [[1, 2, 3]]}`,
		`{"inputs": [[1], [1, 2]]}`,
		`{"inputs": [[]]}`,
		`{"inputs": [[1e39, 1, 2]]}`,
		`{"inputs": [[1e39, 1]]}`,
		`{"inputs": [[-1e39, 0.1]]}`,
	}
	for _, body := range accepted {
		assert.True(t, checkFastMatchesReflect(t, []byte(body), 2), "the fast parser should accept %q", body)
	}
	rejected := []string{
		`{"inputs": [[1, 2]], "x": 1}`,
		`{"inputs": [[1, 2]]} x`,
		`{"inputs": [[01, 2]]}`,
		`{"inputs": [[1., 2]]}`,
		`{"inputs": [[.5, 2]]}`,
		`{"inputs": [[+1, 2]]}`,
		`{"inputs": [[1e, 2]]}`,
		`{"inputs": [[NaN, 2]]}`,
		`{"inputs": [[Infinity, 2]]}`,
		`{"inputs": [[0x10, 2]]}`,
		`{"inputs": [[1e400, 2]]}`,
		`{"inputs": [[1, 2],]}`,
		`{"inputs": [null]}`,
		`{"inputs": null}`,
		`{"\u0069nputs": [[1, 2]]}`,
		`{"inputs": [[1, 2]]`,
		`[[1, 2]]`,
		``,
	}
	for _, body := range rejected {
		assert.False(t, checkFastMatchesReflect(t, []byte(body), 2), "the fast parser should leave %q to encoding/json", body)
	}
}

func FuzzParseInputsFast(f *testing.F) {
	for _, s := range []string{`{"inputs": [[1, 2], [3, 4]]}`, `{"inputs": []}`, `{"inputs": [[1e39, -0.0]]}`, `{"inputs": [[1, 2, 3]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 4096 {
			return
		}
		checkFastMatchesReflect(t, body, 2)
	})
}

// FuzzDecodeInputs checks that any body gives either n rows of the input
// size or a 400 error with a kind and a message.
func FuzzDecodeInputs(f *testing.F) {
	f.Add(false, []byte(`{"inputs": [[1, 2], [3, 4]]}`))
	f.Add(false, []byte(`{"inputs": [[1, 2, 3]]}`))
	f.Add(true, []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }                                                          \n\x00\x00\x80?\x00\x00\x00@"))
	f.Fuzz(func(t *testing.T, npy bool, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		media := mediaJSON
		if npy {
			media = mediaNPY
		}
		rows, n, apiErr := decodeInputs(media, body, 2)
		if apiErr != nil {
			require.Equal(t, 400, apiErr.status)
			require.NotEmpty(t, apiErr.kind)
			require.NotEmpty(t, apiErr.msg)
			return
		}
		require.Positive(t, n)
		require.Len(t, rows, 2*n)
		for i, v := range rows {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "value %d is %v", i, v)
		}
	})
}

// TestExactDecimalMatchesStrconv checks the fast path against
// strconv.ParseFloat bit for bit, and that it declines numbers outside it.
func TestExactDecimalMatchesStrconv(t *testing.T) {
	inputs := []string{"0", "-0", "1", "-1", "0.5", "-0.0", "123.456", "1e22", "1E-22", "4.5e+3",
		"9007199254740992", "900719925474099.2", "0.000001", "3.4028235e38", "1.4e-45", "0.1", "0.7", "1e0"}
	rng := rand.New(rand.NewPCG(4, 5))
	for range 20000 {
		v := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10)))
		inputs = append(inputs, strconv.FormatFloat(float64(v), 'g', -1, 32))
		inputs = append(inputs, strconv.FormatFloat(rng.Float64(), 'f', rng.IntN(16), 64))
	}
	hits := 0
	for _, s := range inputs {
		want, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		got, exact := exactDecimal([]byte(s))
		if !exact {
			continue
		}
		hits++
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "input %q: got %v, want %v", s, got, want)
	}
	assert.Greater(t, hits, len(inputs)/2, "most short decimals take the fast path")

	for _, s := range []string{"9007199254740993", "1e23", "1e-23", "12345678901234567890", "1e1001", "0.12345678901234567"} {
		_, exact := exactDecimal([]byte(s))
		assert.False(t, exact, "%q is outside the fast path", s)
	}
}
