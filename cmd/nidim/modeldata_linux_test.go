package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embed and score ended a failed write of --out at the error, such as
// "file too large", with no advice; export already gave it. An existing
// file at --out is kept, because the write is atomic. The command runs
// under a file size limit, in which the write returns EFBIG.
func TestEmbedScoreWriteFailureGivesAdvice(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()

	for _, command := range []string{"embed", "score"} {
		out := filepath.Join(dir, command+".csv")
		require.NoError(t, os.WriteFile(out, []byte("kept\n"), 0o644))

		// The 240 rows of CSV take several kilobytes.
		code, stdout, stderr := runCmdWithFileSizeLimit(t, 1000, command, model, "--data", data, "--out", out)

		assert.Equal(t, exitFail, code, stderr)
		assert.Empty(t, stdout, command)
		assert.Contains(t, stderr, "file too large", command)
		suffix := "; " + out + " was not written; free disk space, raise the file size limit (ulimit -f), or pass another --out, such as one on another file system.\n"
		assert.True(t, strings.HasSuffix(stderr, suffix), "stderr %q does not end with %q", stderr, suffix)
		assert.Equal(t, "kept\n", string(readFile(t, out)), "%s replaced --out", command)
	}
}

// --row-numbers is written after --out, and its error stated only that
// it was not written, so a file of row numbers from an earlier run stayed
// next to an output it no longer matched. The error now states that the
// output was written. Standard output is a pipe here, which the file
// size limit leaves alone, so only the row numbers fail.
func TestRowNumbersWriteFailureNamesOutput(t *testing.T) {
	data, _, model := trainTinyModel(t)
	numbers := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(numbers, []byte("5\n"), 0o644))

	// The 240 row numbers take 890 bytes.
	code, stdout, stderr := runCmdWithFileSizeLimit(t, 100, "embed", model, "--data", data, "--out", "-", "--row-numbers", numbers)
	assert.Equal(t, exitFail, code, stderr)
	assert.NotEmpty(t, stdout, "the embeddings went to standard output")
	assert.Contains(t, stderr, "file too large")
	suffix := "; " + numbers + " was not written, but the output went to standard output, so any older " + numbers + " does not match it; free disk space, raise the file size limit (ulimit -f), or pass another --row-numbers, and run nidim embed again.\n"
	assert.True(t, strings.HasSuffix(stderr, suffix), "stderr %q does not end with %q", stderr, suffix)
	assert.Equal(t, "5\n", string(readFile(t, numbers)), "the old file is kept")
}
