//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A link to a device or named pipe, such as out.npy -> /dev/null, got a
// regular file renamed over the device. Writing through such a link is
// now an error, and the pipe and the link stay.
func TestWriteSymlinkToPipeRejected(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := unix.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("cannot create a named pipe here: %v", err)
	}
	link := filepath.Join(dir, "out.txt")
	symlink(t, "pipe", link)

	err := writeText(link, "new")
	assert.EqualError(t, err, "symbolic link "+link+" points to "+pipe+", which is not a regular file, and writing through the link would replace it; point the link at a regular file, or remove it")
	fi, err := os.Lstat(pipe)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the pipe was replaced")
	requireLink(t, link, "pipe")
	assert.Empty(t, temporaryFiles(t, dir))
}

// The same for a device or named pipe named directly: as root, --out
// /dev/null replaced /dev/null with a regular file.
func TestWritePipeRejected(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := unix.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("cannot create a named pipe here: %v", err)
	}
	err := writeText(pipe, "new")
	assert.EqualError(t, err, pipe+" is not a regular file but a device, named pipe or socket, and writing replaces the file at that path; pass the path of a regular file")
	fi, err := os.Lstat(pipe)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the pipe was replaced")
	assert.Empty(t, temporaryFiles(t, dir))
}
