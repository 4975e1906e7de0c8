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
