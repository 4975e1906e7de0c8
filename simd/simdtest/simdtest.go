// Package simdtest runs one test body on every SIMD level the CPU supports.
package simdtest

import (
	"os"
	"strings"
	"testing"

	"github.com/nidim/nidim/simd"
)

// RequireEnv names an environment variable with a comma-separated list of
// levels that must be supported. CI sets it on machines known to have them,
// so that a level silently missing from Supported fails instead of being
// skipped.
const RequireEnv = "NIDIM_REQUIRE_LEVELS"

// ForEachLevel runs body as a subtest named after each supported level,
// Generic first. It fails t when a level named in NIDIM_REQUIRE_LEVELS is
// not supported.
func ForEachLevel(t *testing.T, body func(t *testing.T, k *simd.Kernels)) {
	t.Helper()
	CheckRequired(t)
	for _, l := range simd.Supported() {
		k, err := simd.Lookup(l)
		if err != nil {
			t.Fatalf("level %s is listed as supported but Lookup failed: %v", l, err)
		}
		t.Run(l.String(), func(t *testing.T) { body(t, k) })
	}
}

// CheckRequired fails t when a level named in NIDIM_REQUIRE_LEVELS is not
// supported.
func CheckRequired(t testing.TB) {
	t.Helper()
	for _, name := range strings.Split(os.Getenv(RequireEnv), ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		l, err := simd.ParseLevel(name)
		if err != nil {
			t.Fatalf("%s: %v", RequireEnv, err)
		}
		if _, err := simd.Lookup(l); err != nil {
			t.Fatalf("%s requires level %s: %v", RequireEnv, l, err)
		}
	}
}
