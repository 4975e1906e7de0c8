package simd_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nidim/nidim/simd"
)

var allLevels = []simd.Level{simd.Generic, simd.AVX2, simd.AVX512, simd.NEON}

// unsupportedLevels returns the levels of allLevels that this CPU and build
// cannot run.
func unsupportedLevels() []simd.Level {
	var levels []simd.Level
	for _, l := range allLevels {
		if !slices.Contains(simd.Supported(), l) {
			levels = append(levels, l)
		}
	}
	return levels
}

func TestParseLevelRoundTrip(t *testing.T) {
	for _, l := range allLevels {
		got, err := simd.ParseLevel(l.String())
		require.NoError(t, err, "ParseLevel(%q)", l.String())
		assert.Equal(t, l, got, "ParseLevel(%q)", l.String())

		got, err = simd.ParseLevel(strings.ToUpper(l.String()))
		require.NoError(t, err, "ParseLevel(%q)", strings.ToUpper(l.String()))
		assert.Equal(t, l, got, "ParseLevel is case-insensitive")
	}
	assert.Equal(t, []string{"generic", "avx2", "avx512", "neon"},
		[]string{simd.Generic.String(), simd.AVX2.String(), simd.AVX512.String(), simd.NEON.String()})
	assert.Equal(t, "Level(200)", simd.Level(200).String())
}

func TestParseLevelRejectsUnknownName(t *testing.T) {
	for _, name := range []string{"", "sse4", "avx", "avx-512", " neon"} {
		_, err := simd.ParseLevel(name)
		require.Error(t, err, "ParseLevel(%q)", name)
		assert.Contains(t, err.Error(), `"`+name+`"`, "the error names the value")
		assert.Contains(t, err.Error(), "generic, avx2, avx512, neon", "the error lists the valid names")
	}
}

func TestLookupUnsupportedLevel(t *testing.T) {
	unsupported := unsupportedLevels()
	require.NotEmpty(t, unsupported, "no CPU supports every level, so some level must be missing")
	for _, l := range unsupported {
		k, err := simd.Lookup(l)
		require.Error(t, err, "Lookup(%s)", l)
		assert.Nil(t, k)
		assert.Contains(t, err.Error(), l.String())
	}
	_, err := simd.Lookup(simd.Level(99))
	assert.Error(t, err, "Lookup of an undefined level")
}

func TestLookupSupportedLevels(t *testing.T) {
	supported := simd.Supported()
	require.NotEmpty(t, supported)
	assert.Equal(t, simd.Generic, supported[0], "Supported starts with Generic")
	assert.True(t, slices.IsSorted(supported), "Supported is in increasing order")
	assert.Equal(t, supported[len(supported)-1], simd.Best())

	for _, l := range supported {
		k, err := simd.Lookup(l)
		require.NoError(t, err, "Lookup(%s)", l)
		assert.Equal(t, l, k.Level)
		again, err := simd.Lookup(l)
		require.NoError(t, err)
		assert.Same(t, k, again, "Lookup(%s) builds the kernels once", l)

		assert.NotNil(t, k.Dot, "%s Dot", l)
		assert.NotNil(t, k.Axpy, "%s Axpy", l)
		assert.NotNil(t, k.Scale, "%s Scale", l)
		assert.NotNil(t, k.Add, "%s Add", l)
		assert.NotNil(t, k.Sub, "%s Sub", l)
		assert.NotNil(t, k.Mul, "%s Mul", l)
		assert.NotNil(t, k.Sum, "%s Sum", l)
		assert.NotNil(t, k.Max, "%s Max", l)
		assert.NotNil(t, k.ReLU, "%s ReLU", l)
		assert.NotNil(t, k.ReLUBackward, "%s ReLUBackward", l)
		assert.NotNil(t, k.Gemm.Func, "%s Gemm", l)
	}
}

// highestSupportedAtOrBelow returns the best supported level that is not
// above l in the Level order.
func highestSupportedAtOrBelow(l simd.Level) simd.Level {
	best := simd.Generic
	for _, s := range simd.Supported() {
		if s <= l {
			best = s
		}
	}
	return best
}

func TestStartLevelFollowsEnv(t *testing.T) {
	t.Setenv(simd.EnvVar, "")
	assert.Equal(t, simd.Best(), simd.StartLevel(), "%s unset", simd.EnvVar)

	for _, l := range allLevels {
		want := highestSupportedAtOrBelow(l)
		if l.Arch() != "" && l.Arch() != runtime.GOARCH {
			want = simd.Best()
		}
		t.Setenv(simd.EnvVar, l.String())
		assert.Equal(t, want, simd.StartLevel(), "%s=%s", simd.EnvVar, l)
		t.Setenv(simd.EnvVar, strings.ToUpper(l.String()))
		assert.Equal(t, want, simd.StartLevel(), "%s=%s", simd.EnvVar, strings.ToUpper(l.String()))
	}

	t.Setenv(simd.EnvVar, "fastest")
	assert.Equal(t, simd.Generic, simd.StartLevel(), "an invalid %s falls back to generic", simd.EnvVar)
}

func TestLevelArch(t *testing.T) {
	assert.Equal(t, "", simd.Generic.Arch())
	assert.Equal(t, "amd64", simd.AVX2.Arch())
	assert.Equal(t, "amd64", simd.AVX512.Arch())
	assert.Equal(t, "arm64", simd.NEON.Arch())
	assert.Equal(t, "", simd.Level(99).Arch())
}

// NIDIM_SIMD=avx2 in a service unit shared by amd64 and arm64 machines
// gave the arm64 ones the generic kernels, because avx2 comes before
// neon in the Level order.
func TestStartLevelOtherArchCapsNothing(t *testing.T) {
	var others []simd.Level
	switch runtime.GOARCH {
	case "arm64":
		others = []simd.Level{simd.AVX2, simd.AVX512}
	case "amd64":
		others = []simd.Level{simd.NEON}
	default:
		t.Skipf("no SIMD level is written for %s", runtime.GOARCH)
	}
	for _, l := range others {
		t.Setenv(simd.EnvVar, l.String())
		assert.Equal(t, simd.Best(), simd.StartLevel(), "%s=%s", simd.EnvVar, l)
		if runtime.GOARCH == "arm64" && slices.Contains(simd.Supported(), simd.NEON) {
			assert.Equal(t, simd.NEON, simd.StartLevel(), "%s=%s on arm64", simd.EnvVar, l)
		}
	}
}

func TestSetActive(t *testing.T) {
	before := simd.Active()
	require.NotNil(t, before)
	t.Cleanup(func() {
		if err := simd.SetActive(before.Level); err != nil {
			t.Errorf("restoring level %s: %v", before.Level, err)
		}
	})

	for _, l := range simd.Supported() {
		require.NoError(t, simd.SetActive(l), "SetActive(%s)", l)
		want, err := simd.Lookup(l)
		require.NoError(t, err)
		assert.Same(t, want, simd.Active(), "Active after SetActive(%s)", l)
	}

	require.NoError(t, simd.SetActive(simd.Generic))
	for _, l := range unsupportedLevels() {
		assert.Error(t, simd.SetActive(l), "SetActive(%s)", l)
		assert.Equal(t, simd.Generic, simd.Active().Level, "a failed SetActive(%s) leaves the active level alone", l)
	}
}
