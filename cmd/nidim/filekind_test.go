package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file passed to a command that reads another kind got a parser's
// complaint. A checkpoint had an "unknown matrix file extension", the NPY
// header bytes were listed as the columns of a sweep table, and JSON gave
// a CSV parse error. Each command now names the kind of file it was given
// and the command that reads it.
func TestWrongFileKindMessages(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "model.safetensors")
	code, history, stderr := runCmd("train", "--data", data, "--labels", labels, "--epochs", "1", "--hidden", "8",
		"--threads", "1", "--no-eval", "--json", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	run := filepath.Join(dir, "run.json")
	require.NoError(t, os.WriteFile(run, []byte(history), 0o644))
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 50, 2)
	figure := filepath.Join(dir, "emb-qq.svg")
	code, _, stderr = runPlotCmd("qq", emb)
	require.Equal(t, exitOK, code, stderr)
	sweepDir := filepath.Join(dir, "sw")
	require.NoError(t, os.Mkdir(sweepDir, 0o755))
	sweep := filepath.Join(sweepDir, "sweep.csv")
	require.NoError(t, os.WriteFile(sweep, []byte("run,kind,prior,dim,level,max_ks,linear_probe_accuracy\nr,ni-dim,gaussian,2,0.5,0.05,0.3\n"), 0o644))
	features := filepath.Join(dir, "features.csv")
	require.NoError(t, os.WriteFile(features, []byte("0.5,1.5\n2.5,3.5\n"), 0o644))

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"test", model}, model + " is a model checkpoint, not an embedding matrix; write its embeddings first with \"nidim embed " + model + " --out emb.npy\""},
		{[]string{"plot", "qq", model}, model + " is a model checkpoint, not an embedding matrix"},
		{[]string{"plot", "hist", run}, run + " is a JSON document, not an embedding matrix; nidim plot curves draws the training history"},
		{[]string{"plot", "scatter", figure}, figure + " is an SVG figure, not an embedding matrix"},
		{[]string{"test", sweep}, sweep + " is the table of nidim sweep, not an embedding matrix; draw it with \"nidim plot tradeoff " + sweep + "\""},
		{[]string{"plot", "tradeoff", emb}, emb + " is an NPY array, not a sweep table; tradeoff reads the sweep.csv that nidim sweep writes"},
		{[]string{"plot", "tradeoff", run}, run + " is a JSON document, not a sweep table"},
		{[]string{"plot", "tradeoff", model}, model + " is a model checkpoint, not a sweep table"},
		{[]string{"plot", "tradeoff", figure}, figure + " is an SVG figure, not a sweep table"},
		{[]string{"plot", "tradeoff", features}, features + " has no header row: its first line contains numbers where the column names belong"},
		{[]string{"plot", "tradeoff", sweepDir}, sweepDir + " is a directory; pass the table that nidim sweep wrote in it, as in \"nidim plot tradeoff " + sweep + "\""},
		{[]string{"plot", "curves", emb}, emb + " is an NPY array, not a training history"},
		{[]string{"plot", "curves", model}, model + " is a model checkpoint, not a training history"},
		{[]string{"plot", "curves", sweep}, sweep + " is the table of nidim sweep, not a training history; draw it with \"nidim plot tradeoff " + sweep + "\""},
	} {
		t.Run(strings.Join(c.args[:len(c.args)-1], " ")+" "+filepath.Base(c.args[len(c.args)-1]), func(t *testing.T) {
			code, stdout, stderr := runCmd(c.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, c.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
		})
	}

	// The files of the right kind still work.
	code, _, stderr = runCmd("plot", "tradeoff", sweep)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("plot", "curves", run)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("test", emb)
	assert.Equal(t, exitOK, code, stderr)
}

func TestSniffKind(t *testing.T) {
	for _, c := range []struct {
		name string
		head string
		want fileKind
	}{
		{"safetensors", "\x13\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":{}}", kindCheckpoint},
		{"npy", npyMagic + "\x01\x00v\x00{'descr': '<f4'", kindNPY},
		{"json object", "\n  {\"epochs\": []}", kindJSON},
		{"json array", "[1, 2]", kindJSON},
		{"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\">", kindSVG},
		{"xml svg", "<?xml version=\"1.0\"?><svg>", kindSVG},
		{"sweep table", "run,kind,prior,dim\n", kindSweepTable},
		{"csv numbers", "0.5,1.5\n", kindUnknown},
		{"csv header", "a,b\n1,2\n", kindUnknown},
		{"text with a brace at byte 8", "12345678{", kindUnknown},
		{"empty", "", kindUnknown},
	} {
		assert.Equal(t, c.want, sniffKind([]byte(c.head)), c.name)
	}
}
