package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resetStopped undoes RemoveTemporaryFiles for the tests that follow.
func resetStopped(t *testing.T) {
	t.Cleanup(func() {
		live.Lock()
		live.stopped = false
		live.Unlock()
	})
}

func temporaryFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	require.NoError(t, err)
	return names
}

func TestWriteReplacesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	assert.Empty(t, temporaryFiles(t, filepath.Dir(path)))
	assert.Empty(t, live.paths, "the finished write is still recorded")
}

func TestWriteErrorKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	failure := errors.New("encoder failed")
	err := Write(path, 0o644, func(w io.Writer) error {
		_, _ = io.WriteString(w, "partial")
		return failure
	})
	assert.ErrorIs(t, err, failure)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.Empty(t, temporaryFiles(t, filepath.Dir(path)))
	assert.Empty(t, live.paths, "the failed write is still recorded")
}

// RemoveTemporaryFiles called during a write, as a signal handler does,
// removes the temporary file and keeps the write from replacing path.
func TestRemoveTemporaryFilesDuringWrite(t *testing.T) {
	resetStopped(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	err := Write(path, 0o644, func(w io.Writer) error {
		if _, err := io.WriteString(w, "new"); err != nil {
			return err
		}
		require.Len(t, temporaryFiles(t, dir), 1)
		return RemoveTemporaryFiles()
	})
	assert.ErrorIs(t, err, ErrStopped)
	assert.Empty(t, temporaryFiles(t, dir))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))

	err = Write(filepath.Join(dir, "later.txt"), 0o644, func(w io.Writer) error { return nil })
	assert.ErrorIs(t, err, ErrStopped)
	_, err = os.Stat(filepath.Join(dir, "later.txt"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Empty(t, temporaryFiles(t, dir))
}
