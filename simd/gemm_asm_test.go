package simd

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// guardedFeatures lists, per level, the CPU features that cpuSupports on
// amd64 checks before it lets the level run.
var guardedFeatures = map[string][]string{
	"AVX2":   {"AVX", "AVX2", "FMA3"},
	"AVX512": {"AVX", "AVX2", "FMA3", "AVX512F", "AVX512BW", "AVX512VL"},
}

var (
	zmmPattern = regexp.MustCompile(`\bZ\d+\b|\.BCST\b|\bVPXORD\b`)
	fmaPattern = regexp.MustCompile(`\bVFMADD`)
	ymmPattern = regexp.MustCompile(`\bY\d+\b`)
)

// neededFeature returns the CPU feature one instruction needs, or "" for
// the base instruction set. An FMA on ZMM registers is EVEX-encoded and
// part of AVX512F; on XMM or YMM registers it is VEX-encoded FMA3.
func neededFeature(ins string) string {
	switch {
	case zmmPattern.MatchString(ins):
		return "AVX512F"
	case fmaPattern.MatchString(ins):
		return "FMA3"
	case ymmPattern.MatchString(ins):
		return "AVX"
	}
	return ""
}

// TestGemmAsmRequires checks that each TEXT in gemm_amd64.s states in its
// "Requires:" comment every feature its instructions (macros expanded)
// need, and that the level the kernel belongs to guards all of them.
func TestGemmAsmRequires(t *testing.T) {
	src, err := os.ReadFile("gemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(src), "\\\n", ";"), "\n")

	macros := map[string][]string{}
	define := regexp.MustCompile(`^#define\s+(\w+)(\([^)]*\))?\s*(.*)$`)
	for _, line := range lines {
		if m := define.FindStringSubmatch(line); m != nil {
			macros[m[1]] = strings.Split(m[3], ";")
		}
	}
	var expand func(line string, depth int) []string
	expand = func(line string, depth int) []string {
		line = strings.TrimSpace(line)
		name, _, _ := strings.Cut(line, "(")
		body, ok := macros[strings.TrimSpace(name)]
		if !ok || depth > 5 {
			return []string{line}
		}
		var out []string
		for _, b := range body {
			out = append(out, expand(b, depth+1)...)
		}
		return out
	}

	kernels := 0
	for i, line := range lines {
		name, ok := strings.CutPrefix(line, "TEXT ·")
		if !ok {
			continue
		}
		kernels++
		name, _, _ = strings.Cut(name, "(")
		if i < 1 || !strings.HasPrefix(lines[i-1], "// Requires: ") {
			t.Errorf("%s: no \"// Requires:\" line right above TEXT", name)
			continue
		}
		stated := strings.Split(strings.TrimPrefix(lines[i-1], "// Requires: "), ", ")

		needed := map[string]bool{}
		for _, body := range lines[i+1:] {
			if strings.HasPrefix(body, "TEXT ") {
				break
			}
			code, _, _ := strings.Cut(body, "//")
			if strings.TrimSpace(code) == "" || strings.HasPrefix(code, "#") {
				continue
			}
			for _, ins := range expand(code, 0) {
				if f := neededFeature(ins); f != "" {
					needed[f] = true
				}
			}
		}
		for f := range needed {
			if !slices.Contains(stated, f) {
				t.Errorf("%s uses %s but its Requires line is %v", name, f, stated)
			}
		}

		level := "AVX2"
		if strings.HasSuffix(name, "AVX512") {
			level = "AVX512"
		}
		for _, f := range stated {
			if !slices.Contains(guardedFeatures[level], f) {
				t.Errorf("%s requires %s, which the %s guard does not check", name, f, level)
			}
		}
	}
	if kernels == 0 {
		t.Errorf("found no TEXT block in gemm_amd64.s")
	}
}
