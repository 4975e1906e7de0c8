package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A failed write of the SVG, such as "file too large" under a file size
// limit, advised to check that the directory exists and is writable,
// which parse has already checked. Under the limit the write returns
// EFBIG.
func TestPlotWriteFailureGivesAdvice(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 200, 2)
	out := filepath.Join(dir, "scatter.svg")
	require.NoError(t, os.WriteFile(out, []byte("kept\n"), 0o644))

	// 200 points take about 10 KB of SVG.
	status, stdout, stderr := runCmdWithFileSizeLimit(t, 1000, "plot", "scatter", emb, "--out", out)

	assert.Equal(t, exitFail, status, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "file too large")
	assert.NotContains(t, stderr, "check that its directory exists")
	assert.Contains(t, stderr, "; "+out+" was not written; free disk space, raise the file size limit (ulimit -f), or pass another --out, such as one on another file system.\n")
	assert.Equal(t, "kept\n", string(readFile(t, out)), "--out was replaced")
}
