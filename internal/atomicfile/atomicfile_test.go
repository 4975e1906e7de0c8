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

// writeText writes text to path with Write and returns Write's error.
func writeText(path, text string) error {
	return Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

// requireLink requires that path is a symbolic link to target.
func requireLink(t *testing.T, path, target string) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSymlink, fi.Mode().Type(), "%s is no longer a symbolic link", path)
	got, err := os.Readlink(path)
	require.NoError(t, err)
	require.Equal(t, target, got)
}

// A write to a symbolic link used to replace the link with a regular file
// and leave the file it pointed to as it was.
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "model-3.txt")
	link := filepath.Join(dir, "latest.txt")
	require.NoError(t, os.WriteFile(file, []byte("old"), 0o644))
	symlink(t, "model-3.txt", link)

	require.NoError(t, writeText(link, "new"))
	requireLink(t, link, "model-3.txt")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	assert.Empty(t, temporaryFiles(t, dir))
}

// A chain of links is followed to its end, and every link stays.
func TestWriteThroughSymlinkChain(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	require.NoError(t, os.WriteFile(file, []byte("old"), 0o644))
	symlink(t, "file.txt", filepath.Join(dir, "second.txt"))
	symlink(t, filepath.Join(dir, "second.txt"), filepath.Join(dir, "first.txt"))

	require.NoError(t, writeText(filepath.Join(dir, "first.txt"), "new"))
	requireLink(t, filepath.Join(dir, "first.txt"), filepath.Join(dir, "second.txt"))
	requireLink(t, filepath.Join(dir, "second.txt"), "file.txt")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
}

// The temporary file goes to the directory of the linked file, so that the
// rename stays within one directory and one file system.
func TestWriteSymlinkIntoOtherDirectory(t *testing.T) {
	root := t.TempDir()
	links, files := filepath.Join(root, "links"), filepath.Join(root, "files")
	require.NoError(t, os.Mkdir(links, 0o755))
	require.NoError(t, os.Mkdir(files, 0o755))
	file := filepath.Join(files, "out.txt")
	link := filepath.Join(links, "out.txt")
	require.NoError(t, os.WriteFile(file, []byte("old"), 0o644))
	symlink(t, "../files/out.txt", link)

	err := Write(link, 0o644, func(w io.Writer) error {
		assert.Len(t, temporaryFiles(t, files), 1, "temporary files next to the linked file")
		assert.Empty(t, temporaryFiles(t, links), "temporary files next to the link")
		_, err := io.WriteString(w, "new")
		return err
	})
	require.NoError(t, err)
	requireLink(t, link, "../files/out.txt")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	assert.Empty(t, temporaryFiles(t, files))
}

// A relative target with ".." is read from the directory that the link is
// in, which through a linked directory is not the lexical parent.
func TestWriteSymlinkInLinkedDirectory(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real", "sub")
	require.NoError(t, os.MkdirAll(real, 0o755))
	symlink(t, real, filepath.Join(root, "alias"))
	require.NoError(t, os.WriteFile(filepath.Join(root, "real", "file.txt"), []byte("old"), 0o644))
	link := filepath.Join(root, "alias", "out.txt")
	symlink(t, "../file.txt", link)
	// The dangling link resolves the same way.
	dangling := filepath.Join(root, "alias", "new.txt")
	symlink(t, "../new.txt", dangling)

	require.NoError(t, writeText(link, "new"))
	got, err := os.ReadFile(filepath.Join(root, "real", "file.txt"))
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	assert.NoFileExists(t, filepath.Join(root, "file.txt"))

	require.NoError(t, writeText(dangling, "created"))
	got, err = os.ReadFile(filepath.Join(root, "real", "new.txt"))
	require.NoError(t, err)
	assert.Equal(t, "created", string(got))
	assert.NoFileExists(t, filepath.Join(root, "new.txt"))
	requireLink(t, dangling, "../new.txt")
}

// A dangling link gets the file it points to, as a shell redirection
// through it would, and stays a link.
func TestWriteDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "latest.txt")
	symlink(t, "missing.txt", link)

	require.NoError(t, writeText(link, "new"))
	requireLink(t, link, "missing.txt")
	got, err := os.ReadFile(filepath.Join(dir, "missing.txt"))
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	assert.Empty(t, temporaryFiles(t, dir))
}

// A dangling link into a missing directory, or to a directory name, is an
// error that names the link, and nothing is written.
func TestWriteDanglingSymlinkErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, target, want string
	}{
		{"no-dir.txt", filepath.Join(dir, "missing", "out.txt"),
			"symbolic link " + filepath.Join(dir, "no-dir.txt") + " points to " + filepath.Join(dir, "missing", "out.txt") + ", but the directory " + filepath.Join(dir, "missing") + " does not exist; create it, or point the link at a file in an existing directory"},
		{"dir-name.txt", "missing/",
			"symbolic link " + filepath.Join(dir, "dir-name.txt") + " points to " + dir + "/missing/, which names a directory, not a file"},
	} {
		link := filepath.Join(dir, c.name)
		symlink(t, c.target, link)
		err := writeText(link, "new")
		assert.EqualError(t, err, c.want, c.name)
		requireLink(t, link, c.target)
	}
	assert.NoDirExists(t, filepath.Join(dir, "missing"))
	assert.Empty(t, temporaryFiles(t, dir))
}

// A loop of links used to make the rename replace the first link. It is
// now an error that names the link and the likely cause.
func TestWriteSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	first, second, self := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "self.txt")
	symlink(t, "b.txt", first)
	symlink(t, "a.txt", second)
	symlink(t, "self.txt", self)

	for _, link := range []string{first, self} {
		err := writeText(link, "new")
		assert.EqualError(t, err, "resolve symbolic link "+link+": more than 255 links in a row, so the links probably form a loop; point "+link+" at a file, or remove it")
	}
	requireLink(t, first, "b.txt")
	requireLink(t, second, "a.txt")
	requireLink(t, self, "self.txt")
	assert.Empty(t, temporaryFiles(t, dir))
}

// Target leaves a path that is not a link as it was given, so that the
// temporary file and the messages keep its form.
func TestTargetKeepsPlainPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "..", "file.txt")
	for _, path := range []string{file, "relative/missing.txt"} {
		got, err := Target(path)
		require.NoError(t, err)
		assert.Equal(t, path, got)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file.txt"), nil, 0o644))
	got, err := Target(filepath.Join(dir, "file.txt"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "file.txt"), got)
}

// symlink makes link point to target, and skips the test where the system
// or the user's rights allow no symbolic links, as on Windows by default.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create a symbolic link here: %v", err)
	}
}
