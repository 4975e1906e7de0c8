package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShellQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"m.safetensors", "m.safetensors"},
		{"/tmp/run-1/m_2.safetensors", "/tmp/run-1/m_2.safetensors"},
		{"1,28,28", "1,28,28"},
		{"", "''"},
		{"my data.npy", "'my data.npy'"},
		{"it's.npy", `'it'\''s.npy'`},
		{"$HOME/m.safetensors", "'$HOME/m.safetensors'"},
		{"a;b", "'a;b'"},
		{"~/m", "'~/m'"},
		{"*.npy", "'*.npy'"},
	} {
		assert.Equal(t, c.want, shellQuote(c.in), "shellQuote(%q)", c.in)
	}
}

// splitWithShell splits line into words as /bin/sh does.
func splitWithShell(t *testing.T, line string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to check the quoting with")
	}
	out, err := exec.Command(sh, "-c", `for w in `+line+`; do printf '%s\0' "$w"; done`).Output()
	require.NoError(t, err, line)
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func TestShellQuoteSurvivesShell(t *testing.T) {
	words := []string{"plain", "two words", "it's", `back\slash`, `"double"`, "$HOME", "`date`", "a;b|c&d", "*", "new\nline", "-", "x=y"}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	assert.Equal(t, words, splitWithShell(t, strings.Join(quoted, " ")))
}

// The resume commands that messages suggest used to paste paths as they
// are, so a path with a space or a quote broke the command.
func TestSuggestedCommandsQuotePaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "it's a dir")
	require.NoError(t, os.Mkdir(dir, 0o755))
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m 1.safetensors")
	trainStepHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == 2 && p.Step == 1 {
			interrupt()
		}
	}
	t.Cleanup(func() { trainStepHook = nil })

	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "3", "--threads", "1", "--no-eval", "--out", out)
	require.Equal(t, exitFail, code, stderr)
	command := "nidim train --resume " + shellQuote(out) + " --epochs 3 --data " + shellQuote(data) + " --labels " + shellQuote(labels)
	assert.Contains(t, stderr, "; continue with:\n  "+command+"\n")
	assert.Contains(t, command, `'\''s a dir/m 1.safetensors'`)
	assert.Equal(t, []string{"nidim", "train", "--resume", out, "--epochs", "3", "--data", data, "--labels", labels},
		splitWithShell(t, command))

	// A new run into the unfinished checkpoint suggests resuming it, with
	// the data flags quoted too.
	trainStepHook = nil
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--epochs", "1", "--no-eval", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "(216 training rows of shape [6]), with:\n  nidim train --resume "+shellQuote(out)+" --data "+shellQuote(data)+" --labels "+shellQuote(labels)+"\n")

	code, _, stderr = runCmd("embed", out, "--data", data, "--out", filepath.Join(t.TempDir(), "z.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "; nidim train --resume "+shellQuote(out)+", with the data flags it was trained on, finishes it\n")

	exported := filepath.Join(t.TempDir(), "export.safetensors")
	code, _, stderr = runCmd("export", out, "--out", exported)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "; finish the run with nidim train --resume "+shellQuote(out)+" and the data flags")
	code, _, stderr = runCmd("export", out, "--out", exported, "--force")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "; keep it to finish the run with nidim train --resume "+shellQuote(out)+"\n")
}

// A suggested command ends the message on a line of its own, without the
// period that sentence adds to other messages: copied to the end of the
// line, it must still run.
func TestSentenceLeavesCommandLineBare(t *testing.T) {
	assert.Equal(t, "interrupted; continue with:\n  nidim train --resume 'a b.safetensors'",
		sentence("interrupted; continue with"+commandLine("nidim train --resume "+shellQuote("a b.safetensors"))))
	assert.Equal(t, "invalid --dim 0.", sentence("dim: invalid --dim 0"))
	assert.Equal(t, "see the table:\n  d = 4.", sentence("see the table:\n  d = 4"))
}

// A failed save printed "training stopped: nn: write checkpoint ...",
// because sentence dropped package prefixes only at the start.
func TestSentenceDropsInnerPackagePrefixes(t *testing.T) {
	assert.Equal(t, "saving the checkpoint after epoch 1 failed, so training stopped: write checkpoint m.safetensors: write .m.safetensors.tmp-1: file too large; m.safetensors was not written.",
		sentence("saving the checkpoint after epoch 1 failed, so training stopped: nn: write checkpoint m.safetensors: write .m.safetensors.tmp-1: file too large; m.safetensors was not written"))
	assert.Equal(t, "saving the checkpoint failed: encode config: invalid value.",
		sentence("saving the checkpoint failed: dim: encode config: invalid value"))
	assert.Equal(t, "a: b: c.", sentence("dim: a: tensor: nn: b: stats: c"))
	assert.Equal(t, "open nn/x: no such file.", sentence("open nn/x: no such file"))
}
