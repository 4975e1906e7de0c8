package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeNormalCSV writes an n x d matrix of seeded N(0, 1) draws plus shift
// as CSV with a header row and returns its path.
func writeNormalCSV(t *testing.T, n, d int, seed uint64, shift float64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for j := 0; j < d; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "z%d", j)
	}
	b.WriteByte('\n')
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.17g", rng.NormFloat64()+shift)
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "emb.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runNidim(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

type testJSON struct {
	N     int     `json:"n"`
	D     int     `json:"d"`
	Prior string  `json:"prior"`
	Alpha float64 `json:"alpha"`
	Tests []struct {
		Name      string   `json:"name"`
		Component int      `json:"component"`
		Statistic *float64 `json:"statistic"`
		PValue    *float64 `json:"p_value"`
		PAdjusted *float64 `json:"p_adjusted"`
		Error     string   `json:"error"`
	} `json:"tests"`
	Components []map[string]float64 `json:"components"`
	Reject     bool                 `json:"reject"`
	Verdict    string               `json:"verdict"`
}

func TestCommandTestJSON(t *testing.T) {
	path := writeNormalCSV(t, 300, 3, 1, 0)
	code, stdout, stderr := runNidim("test", "--json", "--replicates", "19", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var r testJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout)
	}
	if r.N != 300 || r.D != 3 || r.Prior != "gaussian" || r.Alpha != 0.01 {
		t.Errorf("n %d d %d prior %q alpha %v", r.N, r.D, r.Prior, r.Alpha)
	}
	// 11 per-component tests on 3 columns and 8 multivariate ones.
	if len(r.Tests) != 41 || len(r.Components) != 3 {
		t.Errorf("%d tests and %d components, want 41 and 3", len(r.Tests), len(r.Components))
	}
	for _, e := range r.Tests {
		if e.Statistic == nil || e.PValue == nil || e.PAdjusted == nil || e.Error != "" {
			t.Errorf("entry %+v incomplete", e)
		}
	}
}

func TestCommandTestTextVerdict(t *testing.T) {
	shifted := writeNormalCSV(t, 300, 2, 2, 0.5)
	code, stdout, stderr := runNidim("test", shifted, "--replicates", "19", "--tests", "ks-prior,shapiro-wilk,energy-prior")
	if code != exitOK {
		t.Fatalf("a rejecting run must still exit 0: exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "FAIL: ") || !strings.Contains(last, "ks-prior") {
		t.Errorf("last line %q, want a FAIL verdict naming ks-prior", last)
	}
	// Two components x two component tests plus energy-prior on all.
	rows := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "ks-prior ") || strings.HasPrefix(l, "shapiro-wilk ") || strings.HasPrefix(l, "energy-prior ") {
			rows++
		}
	}
	if rows != 5 {
		t.Errorf("%d test rows, want 5:\n%s", rows, stdout)
	}
}

func TestCommandTestUniformNPY(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, d = 200, 4
	data := make([]float64, n*d)
	for k := range data {
		data[k] = rng.Float64()
	}
	path := filepath.Join(t.TempDir(), "u.npy")
	if err := tensor.WriteMatrixFile(path, data, n, d, tensor.NPYFloat64()); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runNidim("test", "--prior", "uniform", "--replicates", "19", "--json", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var r testJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	// 4 per-component tests on 4 columns, energy-prior and sphericity on
	// all; the grid test is skipped without --eps and has no entry.
	if r.Prior != "uniform" || len(r.Tests) != 18 {
		t.Errorf("prior %q with %d tests, want uniform with 18", r.Prior, len(r.Tests))
	}
	if r.Reject {
		t.Errorf("uniform sample rejected: %s", r.Verdict)
	}
}

func TestCommandTestUsageErrors(t *testing.T) {
	good := writeNormalCSV(t, 50, 2, 4, 0)
	nanPath := filepath.Join(t.TempDir(), "nan.csv")
	if err := os.WriteFile(nanPath, []byte("a,b\n1,2\n3,NaN\n5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tiny := filepath.Join(t.TempDir(), "tiny.csv")
	if err := os.WriteFile(tiny, []byte("1,2\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown test", []string{"test", "--tests", "shapiro", good}, []string{`unknown test "shapiro"`, "shapiro-wilk, shapiro-francia"}},
		{"composite with uniform", []string{"test", "--prior", "uniform", "--tests", "shapiro-wilk", good}, []string{`"shapiro-wilk"`, "prior uniform"}},
		{"unknown prior", []string{"test", "--prior", "cauchy", good}, []string{`unknown prior "cauchy"`}},
		{"eps with gaussian", []string{"test", "--eps", "0.1", good}, []string{"--eps does not apply to the gaussian prior", "drop --eps"}},
		{"eps with laplace", []string{"test", "--prior", "laplace", "--eps", "0", good}, []string{"--eps does not apply to the laplace prior"}},
		// A half-width the grid test cannot take used to exit 0 with the
		// test listed as not run.
		{"eps too wide", []string{"test", "--prior", "uniform", "--eps", "0.7", good}, []string{"invalid --eps 0.7: the grid test needs a half-width between 0 and 0.5, exclusive", "drop --eps"}},
		{"eps zero", []string{"test", "--prior", "uniform", "--eps", "0", good}, []string{"invalid --eps 0:"}},
		// A negative --eps got the library's advice to pass 0 when the
		// half-width is unknown, which the command rejects.
		{"eps negative", []string{"test", "--prior", "uniform", "--eps", "-0.1", good}, []string{"invalid --eps -0.1: the grid test needs a half-width between 0 and 0.5, exclusive", "drop --eps"}},
		{"eps NaN", []string{"test", "--prior", "uniform", "--eps", "NaN", good}, []string{"invalid --eps NaN:"}},
		{"negative eps with gaussian", []string{"test", "--eps", "-1", good}, []string{"--eps does not apply to the gaussian prior"}},
		{"bad alpha", []string{"test", "--alpha", "2", good}, []string{"invalid --alpha 2"}},
		{"bad replicates", []string{"test", "--replicates", "0", good}, []string{"invalid --replicates 0"}},
		{"bad max replicates", []string{"test", "--max-replicates", "0", good}, []string{"invalid --max-replicates 0: use 1 or more"}},
		{"fixed and sequential", []string{"test", "--replicates", "99", "--max-replicates", "999", good}, []string{"--replicates fixes", "pass one of them"}},
		{"unknown flag", []string{"test", "--bogus", good}, []string{"unknown flag --bogus", "nidim help test"}},
		{"missing file", []string{"test"}, []string{"missing FILE"}},
		{"two files", []string{"test", good, good}, []string{"unexpected argument"}},
		{"no such file", []string{"test", filepath.Join(t.TempDir(), "none.csv")}, []string{"none.csv"}},
		{"NaN value", []string{"test", nanPath}, []string{"NaN", "of component 1 in row 2 (counting components from 0 and rows from 1)"}},
		{"too few rows", []string{"test", "--tests", "anderson-darling,mardia-skewness", tiny}, []string{"no test could run", "add rows"}},
	}
	for _, c := range cases {
		code, stdout, stderr := runNidim(c.args...)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d (stderr %q)", c.name, code, exitUsage, stderr)
		}
		if stdout != "" {
			t.Errorf("%s: wrote to stdout: %q", c.name, stdout)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: stderr is not one line: %q", c.name, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not contain %q", c.name, stderr, w)
			}
		}
	}
}

func TestCommandTestWarnsAboutSkippedTests(t *testing.T) {
	path := writeNormalCSV(t, 6, 2, 5, 0)
	code, stdout, stderr := runNidim("test", "--tests", "ks-prior,anderson-darling", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "anderson-darling could not run (2 entries)") {
		t.Errorf("stderr %q does not warn about anderson-darling", stderr)
	}
	if !strings.Contains(stdout, "could not run") {
		t.Errorf("report does not list the failed entries:\n%s", stdout)
	}
}

func TestCommandTestHelp(t *testing.T) {
	for _, args := range [][]string{{"test", "--help"}, {"help", "test"}} {
		code, stdout, _ := runNidim(args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, want := range []string{"--prior", "--tests", "--alpha", "--max-samples", "--energy-samples", "--replicates", "--max-replicates", "--seed", "--threads", "--json"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: help lacks %s", args, want)
			}
		}
		for _, name := range []string{"shapiro-wilk", "cramer-von-mises-prior", "henze-zirkler", "energy-prior", "sphericity"} {
			if !strings.Contains(stdout, "\n  "+name+" ") {
				t.Errorf("%v: help lacks a line for %s", args, name)
			}
		}
	}
}

func TestCommandTestSeedReproducible(t *testing.T) {
	path := writeNormalCSV(t, 120, 3, 6, 0)
	args := []string{"test", "--json", "--replicates", "29", "--seed", "7", "--tests", "energy,energy-prior", path}
	_, first, _ := runNidim(args...)
	_, second, _ := runNidim(append(args, "--threads", "1")...)
	if first == "" || first != second {
		t.Errorf("same seed, different output:\n%s\n%s", first, second)
	}
}

// Without --replicates the Monte Carlo p-values are sequential, and the
// JSON says how many replicates each drew and whether it stopped early;
// --replicates B keeps the fixed count, and --max-replicates sets the cap.
func TestCommandTestSequentialJSON(t *testing.T) {
	path := writeNormalCSV(t, 120, 3, 6, 0)
	shifted := writeNormalCSV(t, 120, 3, 6, 1)
	mc := func(args ...string) []map[string]any {
		t.Helper()
		code, stdout, stderr := runNidim(append([]string{"test", "--json", "--tests", "energy-prior,sliced-epps-pulley"}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		var r struct {
			Tests []map[string]any `json:"tests"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		return r.Tests
	}
	for _, e := range mc(path) {
		// Two tests: the maximum is the report's floor of 999.
		if e["stopped_early"] != true || e["stop_after"] != 10.0 || e["max_replicates"] != 999.0 || e["replicates"].(float64) >= 999 {
			t.Errorf("null data: %v", e)
		}
	}
	for _, e := range mc(shifted, "--max-replicates", "1234") {
		if e["stopped_early"] != false || e["replicates"] != 1234.0 || e["max_replicates"] != 1234.0 || e["p_value"] != 1/1235.0 {
			t.Errorf("shifted data: %v", e)
		}
	}
	for _, e := range mc(path, "--replicates", "29") {
		_, sequential := e["max_replicates"]
		if e["stopped_early"] != false || e["replicates"] != 29.0 || sequential {
			t.Errorf("fixed count: %v", e)
		}
	}
}

func TestCommandTestTSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emb.tsv")
	var b strings.Builder
	rng := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "%.17g\t%.17g\n", rng.NormFloat64(), rng.NormFloat64())
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runNidim("test", "--json", "--tests", "ks-prior,sphericity", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var r testJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.N != 40 || r.D != 2 || len(r.Tests) != 3 {
		t.Errorf("n %d d %d with %d tests, want 40, 2 and 3", r.N, r.D, len(r.Tests))
	}
}

// writeNormalNPY writes seeded N(0, 1) draws of the given shape as .npy and
// returns its path.
func writeNormalNPY(t *testing.T, shape ...int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 1))
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	var b bytes.Buffer
	if err := tensor.WriteNPY64(&b, data, shape); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "emb.npy")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An array of 3 dimensions used to be tested as a matrix of its first
// dimension by the product of the others.
func TestCommandTestArrayRank(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{[]int{10, 10, 4}, "holds an array of shape (10, 10, 4) with 3 dimensions; an embedding file needs a matrix"},
		{[]int{}, "holds an array of shape () with 0 dimensions"},
	} {
		path := writeNormalNPY(t, c.shape...)
		for _, cmd := range []string{"test", "plot qq", "plot hist"} {
			args := append(strings.Fields(cmd), path)
			code, stdout, stderr := runNidim(args...)
			if code != exitUsage {
				t.Errorf("%s, shape %v: exit %d, want %d (stderr %q)", cmd, c.shape, code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("%s, shape %v: wrote to stdout: %q", cmd, c.shape, stdout)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("%s, shape %v: stderr %q does not contain %q", cmd, c.shape, stderr, c.want)
			}
		}
	}

	// A 1-d array is one column, as before.
	code, stdout, stderr := runNidim("test", "--json", "--tests", "ks-prior", writeNormalNPY(t, 200))
	if code != exitOK {
		t.Fatalf("1-d array: exit %d, stderr %q", code, stderr)
	}
	var got testJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("1-d array: %v in %q", err, stdout)
	}
	if got.N != 200 || got.D != 1 {
		t.Errorf("1-d array tested as %d x %d, want 200 x 1", got.N, got.D)
	}
}

// nidim test counts the rows of a non-finite value from 1, as train,
// embed, score and eval count rows, and its component from 0, as the
// report's table does. It used to count the component from 1.
func TestCommandTestNonFiniteNumbering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emb.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,b,c\n1,2,3\n3,4,5\n5,6,inf\n7,8,9\n"), 0o644))
	for _, args := range [][]string{{"test", path}, {"test", "--json", path}} {
		code, stdout, stderr := runNidim(args...)
		assert.Equal(t, exitUsage, code, args)
		assert.Empty(t, stdout, args)
		assert.Equal(t, "nidim test: "+path+": non-finite value +Inf of component 2 in row 3 (counting components from 0 and rows from 1); remove or replace it.\n", stderr, args)
	}
}

// "nidim test -" reads the matrix from standard input, as text or NPY,
// gzipped or not.
func TestCommandTestReadsStandardInput(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	const n, d = 300, 2
	x := make([]float64, n*d)
	var text bytes.Buffer
	for i := range n {
		x[2*i], x[2*i+1] = rng.NormFloat64(), rng.NormFloat64()
		fmt.Fprintf(&text, "%v,%v\n", x[2*i], x[2*i+1])
	}
	npyPath := filepath.Join(dir, "x.npy")
	require.NoError(t, tensor.WriteMatrixFile(npyPath, x, n, d, tensor.NPYFloat64()))
	npy, err := os.ReadFile(npyPath)
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(text.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	defer func() { stdin = os.Stdin }()
	var want string
	for _, c := range []struct {
		name  string
		input []byte
	}{{"csv", text.Bytes()}, {"npy", npy}, {"gzipped csv", gz.Bytes()}} {
		stdin = bytes.NewReader(c.input)
		var out, errb bytes.Buffer
		code := run([]string{"test", "--json", "-"}, &out, &errb)
		require.Equal(t, exitOK, code, "%s: %s", c.name, errb.String())
		var r map[string]any
		require.NoError(t, json.Unmarshal(out.Bytes(), &r), c.name)
		assert.Equal(t, float64(n), r["n"], c.name)
		assert.Equal(t, float64(d), r["d"], c.name)
		if want == "" {
			want = out.String()
		}
		assert.Equal(t, want, out.String(), "%s gives the report of the csv", c.name)
	}

	stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	assert.Equal(t, exitUsage, run([]string{"test", "-"}, &out, &errb))
	assert.Contains(t, errb.String(), "standard input")
}

// A value outside the exponential prior's support rules the prior out.
// When only mapped tests were chosen, the message used to suggest adding
// rows, which cannot help.
func TestCommandTestOutsideSupportAdvice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "neg.csv")
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "%g,%g\n", float64(i%7)/3, float64(i%5)/2-1)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	code, _, stderr := runCmd("test", "--prior", "exponential", "--tests", "mean-covariance", path)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "such a value rules the prior out, which ks-prior and anderson-darling-prior report: add them with --tests.\n")
	assert.NotContains(t, stderr, "add rows")
}

// A value outside a transform prior's support stops every test of the
// mapped values, and the same warning used to be printed once per test.
func TestCommandTestWarnsOncePerCause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "neg.csv")
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "%g,%g\n", float64(i%7)/3+0.1, float64(i%5)/2-1)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	code, stdout, stderr := runCmd("test", "--prior", "exponential", "--replicates", "9", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "nidim test: warning: 16 tests could not run (shapiro-wilk, shapiro-francia, anderson-darling, lilliefors, cramer-von-mises, dagostino-k2, jarque-bera, epps-pulley, "+
		"mardia-skewness, mardia-kurtosis, henze-zirkler, energy, energy-prior, sliced-epps-pulley, sphericity, mean-covariance): "+
		"the value -1 of component 1 in row 1 (counting rows from 1) maps to -Inf under the exponential prior (outside its support or beyond its float64 tail), so the normality tests of the mapped values cannot run.\n", stderr)
	assert.Contains(t, stdout, "; 16 could not run")

	// Tests that fail on several components for the same reason give one
	// line with the count of entries.
	short := writeNormalCSV(t, 6, 2, 5, 0)
	code, _, stderr = runCmd("test", "--tests", "ks-prior,anderson-darling,cramer-von-mises,mardia-skewness", short)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "nidim test: warning: 2 tests could not run, 4 entries in all (anderson-darling, cramer-von-mises): need at least 8 values, got 6.\n", stderr)
}

// nidim test on a large file ran for minutes without a sign of progress.
// On a terminal it now shows each step on one line of stderr, and the
// report on stdout stays the same.
func TestCommandTestShowsProgressOnTerminal(t *testing.T) {
	path := writeNormalCSV(t, 50, 2, 7, 0)
	for _, format := range [][]string{nil, {"--json"}} {
		args := append([]string{"test", "--tests", "ks-prior,henze-zirkler,sphericity", "--replicates", "9", path}, format...)
		code, plainOut, plainErr := runCmd(args...)
		require.Equal(t, exitOK, code, plainErr)
		assert.Empty(t, plainErr, "progress on a stderr that is no terminal")

		saved := isTerminal
		isTerminal = func(io.Writer) bool { return true }
		code, stdout, stderr := runCmd(args...)
		isTerminal = saved
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, plainOut, stdout, "stdout with %v", format)
		assert.Equal(t, "\r\033[Knidim test: step 1 of 3: per-component tests, 0 of 2 components done"+
			"\r\033[Knidim test: step 1 of 3: per-component tests, 1 of 2 components done"+
			"\r\033[Knidim test: step 1 of 3: per-component tests, 2 of 2 components done"+
			"\r\033[Knidim test: step 2 of 3: henze-zirkler"+
			"\r\033[Knidim test: step 3 of 3: sphericity"+
			"\r\033[K", stderr)
	}
}

// fakeTerminalStdin makes stdin a pipe that isTerminal reports as a
// terminal, until the test ends. The pipe's writer is closed, so a command
// that reads it anyway gets its end at once instead of blocking.
func fakeTerminalStdin(t *testing.T) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, w.Close())
	savedTerminal := isTerminal
	stdin = r
	isTerminal = func(f io.Writer) bool { return f == r }
	t.Cleanup(func() {
		stdin, isTerminal = os.Stdin, savedTerminal
		r.Close()
	})
}

// "nidim test -" with a terminal as standard input used to wait silently
// for input. It now rejects the terminal and names the pipe to use.
func TestCommandTestRejectsTerminalStdin(t *testing.T) {
	fakeTerminalStdin(t)
	code, stdout, stderr := runCmd("test", "-")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim test: standard input is a terminal, so FILE - would wait for embeddings typed there; pipe or redirect them, as in nidim embed MODEL --out - | nidim test - or nidim test - < embeddings.npy, or pass the file's path.\n", stderr)
}

// The embeddings of a model trained for the uniform or the exponential
// prior, tested or plotted without --prior, were compared with N(0, I)
// without a word, and every test rejected them. nidim test and nidim plot
// qq and hist now name the prior whose support holds every value, and
// say nothing when --prior is given or the values are Gaussian.
func TestCommandTestNotesDefaultPriorOnPositiveData(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, d = 200, 3
	write := func(name string, draw func() float64) string {
		data := make([]float64, n*d)
		for k := range data {
			data[k] = draw()
		}
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, tensor.WriteMatrixFile(path, data, n, d))
		return path
	}
	uniform := write("u.npy", rng.Float64)
	exponential := write("e.npy", rng.ExpFloat64)
	normal := write("n.npy", rng.NormFloat64)
	svg := filepath.Join(t.TempDir(), "f.svg")
	for _, c := range []struct{ path, where, prior string }{
		{uniform, "lies in [0, 1]", "uniform"},
		{exponential, "is 0 or more", "exponential"},
	} {
		code, _, stderr := runNidim("test", "--replicates", "19", c.path)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stderr, "nidim test: note: every value in "+c.path+" "+c.where+", as in the embeddings of a model trained with --prior "+c.prior+
			", but without --prior the tests compare them with N(0, I); pass --prior "+c.prior+" if they are such embeddings\n")
		for _, kind := range []string{"qq", "hist"} {
			code, _, stderr := runNidim("plot", kind, c.path, "--out", svg)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "nidim plot "+kind+": note: every value in "+c.path+" "+c.where+", as in the embeddings of a model trained with --prior "+c.prior+
				", but without --prior the panels compare them with N(0, 1); pass --prior "+c.prior+" if they are such embeddings\n")
			code, _, stderr = runNidim("plot", kind, c.path, "--prior", c.prior, "--out", svg)
			require.Equal(t, exitOK, code, stderr)
			assert.NotContains(t, stderr, "note", "--prior given")
		}
		code, _, stderr = runNidim("test", "--replicates", "19", "--prior", c.prior, c.path)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "note", "--prior given")
		code, _, stderr = runNidim("test", "--replicates", "19", "--prior", "gaussian", c.path)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "note", "--prior gaussian given")
	}
	code, _, stderr := runNidim("test", "--replicates", "19", normal)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "note")

	// The note comes before the battery, which can take minutes, not
	// after it.
	saved := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	code, _, stderr = runCmd("test", "--replicates", "19", uniform)
	isTerminal = saved
	require.Equal(t, exitOK, code, stderr)
	note, step := strings.Index(stderr, "nidim test: note: every value in"), strings.Index(stderr, "nidim test: step 1 of ")
	require.GreaterOrEqual(t, note, 0, stderr)
	require.GreaterOrEqual(t, step, 0, stderr)
	assert.Less(t, note, step, "the note precedes the battery's progress")
}

// A rejecting Monte Carlo test draws every replicate, so on a terminal
// its step counts them. Before, the line named the step alone for all
// of that time.
func TestCommandTestProgressCountsReplicates(t *testing.T) {
	shifted := writeNormalCSV(t, 60, 2, 7, 1)
	saved := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	code, _, stderr := runCmd("test", "--tests", "energy-prior", "--max-replicates", "200", "--threads", "1", shifted)
	isTerminal = saved
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "\r\033[Knidim test: step 1 of 1: energy-prior"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 10 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 20 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 30 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 40 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 50 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 62 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 77 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 96 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 120 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 150 of at most 200 replicates"+
		"\r\033[Knidim test: step 1 of 1: energy-prior, 187 of at most 200 replicates"+
		"\r\033[K", stderr)

	code, stdout, _ := runCmd("help", "test")
	require.Equal(t, exitOK, code)
	assert.Contains(t, strings.Join(strings.Fields(stdout), " "), "with the replicates that a Monte Carlo test has drawn so far")
}

// The --json help named the top-level keys only and sent a reader of the
// command line to package stats for the keys of the test entries,
// including the new ones of sequential p-values.
func TestCommandTestHelpNamesEntryKeys(t *testing.T) {
	code, stdout, stderr := runCmd("help", "test")
	require.Equal(t, exitOK, code, stderr)
	help := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, help, "Each entry of tests has name, component (-1 for all), statistic, p_value, p_adjusted and the test's own keys.")
	assert.Contains(t, help, "A Monte Carlo test adds replicates (the number drawn) and stopped_early, and a sequential one stop_after (10) and max_replicates; jarque-bera, dagostino-k2, sphericity and mean-covariance add asymptotic_p_value.")
	assert.Contains(t, help, "--max-replicates N the maximum number of replicates of a sequential Monte Carlo p-value")
}

// --max-replicates below the count that stops a sequential test makes
// every Monte Carlo test a fixed one, which a note says.
func TestCommandTestNotesMaxReplicatesBelowStop(t *testing.T) {
	path := writeNormalCSV(t, 60, 2, 7, 0)
	code, _, stderr := runCmd("test", "--tests", "energy-prior", "--max-replicates", "5", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim test: note: a sequential Monte Carlo test stops once 10 replicates are at least as extreme as its statistic, so with --max-replicates 5 every such test draws all 5 and its p-value is at least 1/6, as with --replicates 5\n")
	code, _, stderr = runCmd("test", "--tests", "energy-prior", "--max-replicates", "10", path)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "stops once")
}

// runTestLogged runs nidim test as runLogged does.
func runTestLogged(t *testing.T, step time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runLogged(t, step, append([]string{"test"}, args...)...)
}

// runLogged runs nidim with args and stderr in a file, as under 2>log,
// with a clock that advances by step on every reading and no ticks, and
// returns the exit status, stdout and the file's contents.
func runLogged(t *testing.T, step time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	log, err := os.Create(filepath.Join(t.TempDir(), "stderr.log"))
	require.NoError(t, err)
	defer log.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	savedClock, savedTicks := progressClock, progressTicks
	progressClock = func() time.Time {
		now = now.Add(step)
		return now
	}
	progressTicks = func() (<-chan time.Time, func()) { return nil, func() {} }
	defer func() { progressClock, progressTicks = savedClock, savedTicks }()

	var out bytes.Buffer
	code = run(args, &out, log)
	logged, err := os.ReadFile(log.Name())
	require.NoError(t, err)
	return code, out.String(), string(logged)
}

// With stderr in a log file, a long nidim test wrote nothing until the
// report. After its first 5 seconds it now writes the current step at
// most every 10 seconds, and a last line when the tests finish.
func TestCommandTestLogsProgressOffTerminal(t *testing.T) {
	shifted := writeNormalCSV(t, 60, 2, 7, 1)
	args := []string{"--tests", "energy-prior", "--max-replicates", "200", "--threads", "1", shifted}
	plainCode, plainOut, plainErr := runCmd(append([]string{"test"}, args...)...)
	require.Equal(t, exitOK, plainCode, plainErr)

	// Each reading of the clock adds 3 s: the run starts at 3 s, the
	// step starts at 6 s, and each block of replicates adds 3 s more.
	code, stdout, stderr := runTestLogged(t, 3*time.Second, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, plainOut, stdout, "the report does not change")
	assert.Equal(t, "nidim test: step 1 of 1: energy-prior, 10 of at most 200 replicates (6s elapsed)\n"+
		"nidim test: step 1 of 1: energy-prior, 50 of at most 200 replicates (18s elapsed)\n"+
		"nidim test: step 1 of 1: energy-prior, 120 of at most 200 replicates (30s elapsed)\n"+
		"nidim test: the tests finished after 39s\n", stderr)

	// The same with --json: stdout holds the JSON report alone.
	_, plainJSON, _ := runCmd(append([]string{"test", "--json"}, args...)...)
	code, stdout, stderr = runTestLogged(t, 3*time.Second, append([]string{"--json"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, plainJSON, stdout)
	assert.Contains(t, stderr, "nidim test: the tests finished after 39s\n")

	// A run shorter than 5 seconds writes nothing.
	code, stdout, stderr = runTestLogged(t, 100*time.Millisecond, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, plainOut, stdout)
	assert.Empty(t, stderr)

	code, help, _ := runCmd("help", "test")
	require.Equal(t, exitOK, code)
	assert.Contains(t, strings.Join(strings.Fields(help), " "), "When stderr is a file or a pipe, a run that lasts more than 5 seconds writes that status there as a line of its own at most every 10 seconds")
}

// A step whose status stays the same, such as the last block of a
// rejecting test's replicates, wrote no line for as long as it took. The
// ticks of the log's goroutine now repeat the status once per interval.
func TestProgressLogRepeatsStatusOnTicks(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	ticks := make(chan time.Time)
	savedClock, savedTicks := progressClock, progressTicks
	progressClock = func() time.Time { return now }
	progressTicks = func() (<-chan time.Time, func()) { return ticks, func() {} }
	defer func() { progressClock, progressTicks = savedClock, savedTicks }()

	var log bytes.Buffer
	p := newProgressLog(&log, "nidim test: ", "the tests finished")
	ticks <- start.Add(2 * time.Second) // no status yet
	now = start.Add(3 * time.Second)
	p.show("step 1 of 1: energy, 10 of at most 200 replicates") // within the first 5 s
	for _, s := range []int{4, 6, 12, 15, 16, 25, 26} {
		ticks <- start.Add(time.Duration(s) * time.Second)
	}
	// The goroutine receives this tick only after it has handled the one
	// before, and the time of the start writes nothing.
	ticks <- start
	now = start.Add(30 * time.Second)
	p.show("step 1 of 1: energy, 20 of at most 200 replicates") // within 10 s of the tick at 26 s
	ticks <- start.Add(36 * time.Second)
	now = start.Add(40 * time.Second)
	p.finish()

	assert.Equal(t, "nidim test: step 1 of 1: energy, 10 of at most 200 replicates (6s elapsed)\n"+
		"nidim test: step 1 of 1: energy, 10 of at most 200 replicates (16s elapsed)\n"+
		"nidim test: step 1 of 1: energy, 10 of at most 200 replicates (26s elapsed)\n"+
		"nidim test: step 1 of 1: energy, 20 of at most 200 replicates (36s elapsed)\n"+
		"nidim test: the tests finished after 40s\n", log.String())
}

// --max-replicates 99999999 was accepted and ran for days on a rejecting
// file, and --replicates 99999999999 ended in a fatal out-of-memory error.
// Counts above 1000000 are now invalid unless 10 K/alpha is larger.
func TestCommandTestLimitsReplicates(t *testing.T) {
	path := writeNormalCSV(t, 60, 2, 7, 0)
	tests := []string{"test", "--tests", "energy-prior,ks-prior"}
	code, stdout, stderr := runCmd(append(tests, "--max-replicates", "99999999", path)...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim test: invalid --max-replicates 99999999: use at most 1000000; from 3000 replicates on, about 10 K/alpha for the K = 3 p-values of this run and alpha 0.01, "+
		"more replicates change no rejection of Holm's adjustment, while a test that rejects draws all 99999999, about 33333 times as many.\n", stderr)

	code, stdout, stderr = runCmd(append(tests, "--replicates", "1000001", path)...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim test: invalid --replicates 1000001: use at most 1000000; from 3000 replicates on, about 10 K/alpha for the K = 3 p-values of this run and alpha 0.01, "+
		"the p-values resolve a tenth of Holm's smallest threshold alpha/K, while every Monte Carlo test draws all 1000001 on any data, about 333 times as many.\n", stderr)

	// Null data stop after a few dozen replicates, so the largest valid
	// maximum runs fast.
	code, _, stderr = runCmd(append(tests, "--max-replicates", "1000000", path)...)
	assert.Equal(t, exitOK, code, stderr)

	// At alpha 1e-6, 10 K/alpha exceeds 1000000 and is the limit. Holm
	// compares in floating point, where K/alpha takes B + 1 = 3000001.
	code, _, stderr = runCmd(append(tests, "--alpha", "1e-6", "--max-replicates", "30000010", path)...)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd(append(tests, "--alpha", "1e-6", "--max-replicates", "30000011", path)...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: invalid --max-replicates 30000011: use at most 30000010; from 30000010 replicates on, about 10 K/alpha for the K = 3 p-values of this run and alpha 1e-06, "+
		"more replicates change no rejection of Holm's adjustment, while a test that rejects draws all 30000011.\n", stderr)

	// At alpha 1e-300 Holm's count saturates, and only 1000000 applies.
	code, _, stderr = runCmd(append(tests, "--alpha", "1e-300", "--replicates", "2000000", path)...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: invalid --replicates 2000000: use at most 1000000, because at alpha 1e-300 no count of replicates that could be drawn lets Holm over the K = 3 p-values of this run "+
		"reject on one Monte Carlo p-value alone, while every Monte Carlo test draws all 2000000.\n", stderr)

	// One p-value is singular.
	code, _, stderr = runCmd("test", "--tests", "energy", "--alpha", "1e-5", "--max-replicates", "1000001", path)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "about 10 K/alpha for the K = 1 p-value of this run and alpha 1e-05")

	// Without a Monte Carlo test no replicate is drawn, and the error
	// spoke of tests that do not run.
	code, _, stderr = runCmd("test", "--tests", "ks-prior", "--replicates", "5000000", path)
	assert.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "replicates")
	code, _, stderr = runCmd("test", "--tests", "sphericity", "--replicates", "5000000", path)
	assert.Equal(t, exitOK, code, stderr)

	// On no more rows than columns sphericity draws replicates.
	wide := writeNormalCSV(t, 4, 5, 7, 0)
	code, _, stderr = runCmd("test", "--tests", "sphericity", "--replicates", "5000000", wide)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim test: invalid --replicates 5000000: use at most 1000000")
}

// 15 rows of 16 components that were all nearly one N(0, 1) column
// passed nidim test --replicates 199 and the reports of
// train and eval. Every test of the dependence between components needed
// more rows than columns. Schott's form of sphericity runs on them, and
// its count of replicates lets Holm reject on it alone.
func TestCommandTestRejectsCollapsedFewRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 15 {
		common := rng.NormFloat64()
		for j := range 16 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.17g", common+0.01*rng.NormFloat64())
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "collapsed.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	code, stdout, stderr := runCmd("test", "--replicates", "199", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "FAIL: 2 of 180 tests reject N(0, I) at alpha 0.01 after Holm adjustment; worst: sphericity (p = 5.43e-05, adjusted 0.00978); 4 could not run")
	assert.Contains(t, stdout, "Schott's standardized sum of squared correlations")
	assert.Equal(t, "nidim test: warning: 4 tests could not run (mardia-skewness, mardia-kurtosis, henze-zirkler, energy): "+
		"needs more rows than columns to estimate a 16 x 16 covariance matrix, got 15 rows; add rows or test fewer columns.\n", stderr)
}

// The help text did not say that the Monte Carlo tests share their random
// numbers, which correlates their errors.
func TestCommandTestHelpNotesSharedReplicates(t *testing.T) {
	code, stdout, stderr := runCmd("help", "test")
	require.Equal(t, exitOK, code, stderr)
	help := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, help, "The Monte Carlo tests are energy, energy-prior, sliced-epps-pulley, jarque-bera and dagostino-k2.")
	assert.Contains(t, help, "energy, energy-prior and sliced-epps-pulley simulate replicate r from the same random numbers of --seed, and jarque-bera and dagostino-k2 share theirs, so their Monte Carlo errors are correlated.")
	assert.Contains(t, help, "On no more rows than columns, where their determinants are 0, sphericity and mean-covariance are Monte Carlo tests too")
	assert.Contains(t, help, "Holm's adjustment holds under any dependence between the p-values")
}

// nidim test --alpha 1e-20 never ended: the count of replicates that Holm
// needs, K/alpha, overflowed int, and its search ran for 5e20 steps.
func TestCommandTestTinyAlphaEnds(t *testing.T) {
	path := writeNormalCSV(t, 60, 2, 7, 0)
	for _, alpha := range []string{"1e-20", "1e-300"} {
		code, stdout, stderr := runCmd("test", "--tests", "ks-prior,energy-prior", "--alpha", alpha, path)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, "PASS: no test rejects N(0, I) at alpha "+alpha+" after Holm adjustment (3 tests)", alpha)
		assert.Contains(t, strings.Join(strings.Fields(stdout), " "), "because no count of replicates that could be drawn lets Holm reject on them alone at alpha "+alpha, alpha)
	}
}

// A text file of embeddings with a column of class names, such as iris.data
// without a header, or with a missing-value marker, was rejected with
// "invalid number" alone, while train and embed named the fix.
func TestTestNamesTextColumnFix(t *testing.T) {
	dir := t.TempDir()
	names := filepath.Join(dir, "iris.csv")
	require.NoError(t, os.WriteFile(names, []byte("5.1,3.5,setosa\n4.9,3.0,setosa\n"), 0o644))
	code, stdout, stderr := runCmd("test", names)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim test: "+names+`: line 1, field 3 holds "setosa", which is not a number; an embedding file contains only numbers, so drop that column, such as a column of class names, and keep the embedding components.`+"\n", stderr)

	header := filepath.Join(dir, "header.csv")
	require.NoError(t, os.WriteFile(header, []byte("a,b\n1,2\n3,x\n"), 0o644))
	_, _, stderr = runCmd("test", header)
	assert.Contains(t, stderr, `: line 3, field 2 (column "b") holds "x", which is not a number;`)

	missing := filepath.Join(dir, "missing.csv")
	require.NoError(t, os.WriteFile(missing, []byte("1,2\nNA,3\n"), 0o644))
	code, _, stderr = runCmd("test", missing)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: "+missing+`: line 2, field 1 holds "NA", a marker of a missing value, which is not a number; fill the value in or drop the row.`+"\n", stderr)
}
