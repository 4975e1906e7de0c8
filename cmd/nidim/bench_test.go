package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nidim/nidim/simd"
	"github.com/stretchr/testify/assert"
)

func TestBenchGemmJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "gemm", "--sizes", "8,13", "--level", "generic", "--threads", "2", "--json"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr: %s", code, stderr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, stdout.String())
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	wantKeys := []string{"gflops", "impl", "k", "m", "n", "op", "threads"}
	for i, row := range rows {
		var keys []string
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("row %d has keys %v, want %v", i, keys, wantKeys)
		}
		if row["impl"] != "nidim-generic" || row["op"] != "NN" || row["threads"] != 2.0 {
			t.Errorf("row %d = %v", i, row)
		}
		if g, ok := row["gflops"].(float64); !ok || !(g > 0) {
			t.Errorf("row %d: gflops = %v, want a positive number", i, row["gflops"])
		}
	}
	if rows[1]["m"] != 13.0 || rows[1]["k"] != 13.0 || rows[1]["n"] != 13.0 {
		t.Errorf("second row = %v, want m = k = n = 13", rows[1])
	}
}

func TestBenchGemmText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "gemm", "--sizes", "5"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr: %s", code, stderr.String())
	}
	want := "nidim-" + simd.Active().Level.String()
	if !strings.HasPrefix(stdout.String(), want) || !strings.Contains(stdout.String(), "GFLOP/s") {
		t.Errorf("output %q, want a row starting with %s and ending in GFLOP/s", stdout.String(), want)
	}
}

func TestBenchInvalidUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string // a part of the message on stderr
	}{
		{[]string{"bench"}, "Usage: nidim bench"},
		{[]string{"bench", "nope"}, `unknown case "nope"`},
		{[]string{"bench", "gemm", "--sizes", "64,x"}, `invalid size "x"`},
		{[]string{"bench", "gemm", "--sizes", "0"}, `invalid size "0"`},
		{[]string{"bench", "gemm", "--sizes", ""}, "no cases to time"},
		{[]string{"bench", "gemm", "--threads", "-1"}, "invalid --threads -1: use 0 for all cores"},
		{[]string{"bench", "gemm", "--level", "sse9"}, `invalid --level "sse9": use one of generic`},
		{[]string{"bench", "gemm", "--bogus"}, "unknown flag --bogus"},
		{[]string{"bench", "gemm", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit status %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, stderr.String(), tc.want)
		}
	}
}

// TestBenchGemmAllThreads checks that --threads 0 means all cores, as in
// the other commands.
func TestBenchGemmAllThreads(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "gemm", "--sizes", "8", "--level", "generic", "--threads", "0", "--json"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["threads"] != float64(runtime.GOMAXPROCS(0)) {
		t.Errorf("rows %v, want one with threads %d", rows, runtime.GOMAXPROCS(0))
	}
}

func TestLevelList(t *testing.T) {
	if got := levelList([]simd.Level{simd.Generic, simd.AVX2, simd.NEON}); got != "generic, avx2, neon" {
		t.Errorf("levelList = %q, want %q", got, "generic, avx2, neon")
	}
}

func TestBenchUnsupportedLevel(t *testing.T) {
	for _, l := range []simd.Level{simd.AVX2, simd.AVX512, simd.NEON} {
		if _, err := simd.Lookup(l); err == nil {
			continue
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"bench", "gemm", "--level", l.String()}, &stdout, &stderr); code != exitUsage {
			t.Errorf("--level %s: exit status %d, want %d", l, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), "not supported") {
			t.Errorf("--level %s: stderr %q", l, stderr.String())
		}
	}
}

func TestHelpBenchListsFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "bench"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d", code)
	}
	for _, flag := range []string{"--sizes", "--training", "--threads", "--level", "--json"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("help does not mention %s", flag)
		}
	}
}

// Both bench cases parse their flags through parseBenchFlags: the same
// help, unknown-flag and extra-argument handling, in the case's name.
func TestBenchCasesShareFlagParsing(t *testing.T) {
	for _, c := range []struct{ name, usage string }{
		{"gemm", fmt.Sprintf(benchGemmUsage, simd.Active().Level)},
		{"step", fmt.Sprintf(benchStepUsage, runtime.GOMAXPROCS(0))},
	} {
		code, stdout, stderr := runCmd("bench", c.name, "--help")
		assert.Equal(t, exitOK, code, c.name)
		assert.Equal(t, c.usage, stdout, c.name)
		assert.Empty(t, stderr, c.name)
		assert.NotContains(t, stdout, "%!", c.name)

		code, _, stderr = runCmd("bench", c.name, "--bogus")
		assert.Equal(t, exitUsage, code, c.name)
		assert.Equal(t, "nidim bench "+c.name+": unknown flag --bogus; run \"nidim help bench\" for the flags.\n", stderr)

		code, _, stderr = runCmd("bench", c.name, "--json", "extra")
		assert.Equal(t, exitUsage, code, c.name)
		assert.Equal(t, "nidim bench "+c.name+": unexpected argument \"extra\"; pass only flags.\n", stderr)
	}
}
