package serve

import (
	"math"
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
