package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A failed write of the exported file, such as "file too large" under a
// file size limit, used to end the message at the error, with no advice.
// Under the limit the write returns EFBIG.
func TestExportWriteFailureGivesAdvice(t *testing.T) {
	_, _, model := trainTinyModel(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "exported.safetensors")
	require.NoError(t, os.WriteFile(out, nil, 0o644))

	// The tiny model's export takes about 2 KB.
	code, stdout, stderr := runCmdWithFileSizeLimit(t, 1000, "export", model, "--out", out)

	assert.Equal(t, exitFail, code, stderr)
	assert.Empty(t, stdout)
	prefix := "nidim export: write checkpoint " + out + ": write " + filepath.Join(dir, ".exported.safetensors.tmp-")
	assert.True(t, strings.HasPrefix(stderr, prefix), "stderr %q does not start with %q", stderr, prefix)
	suffix := ": file too large; " + out + " was not written; free disk space, raise the file size limit (ulimit -f), or pass another --out, such as one on another file system.\n"
	assert.True(t, strings.HasSuffix(stderr, suffix), "stderr %q does not end with %q", stderr, suffix)
	assert.Empty(t, readFile(t, out), "the empty file at --out was replaced")
}
