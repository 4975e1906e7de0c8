// Package atomicfile writes files so that readers see either the old
// contents or the complete new contents, never a partial file.
//
// A path that is a symbolic link is written through: the file that the
// link points to gets the new contents, and the link stays.
//
// The package records the temporary files of the writes in progress, so
// that a program can remove them with RemoveTemporaryFiles when a signal
// ends it before a write finishes.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ErrStopped is returned by Write after RemoveTemporaryFiles has run.
var ErrStopped = errors.New("atomicfile: writes stopped because the program is exiting")

// live stores the temporary files of the writes in progress. The mutex
// also orders Write's create and rename steps with RemoveTemporaryFiles.
var live struct {
	sync.Mutex
	paths   map[string]bool
	stopped bool
}

// Write creates or replaces path with what write produces. The data goes to
// a temporary file in the same directory, which is synced and then renamed
// over path. When path is a symbolic link, Target(path) takes its place, so
// the link stays and points to the new contents. On any error the
// temporary file is removed and path is left as it was.
func Write(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	if path, err = Target(path); err != nil {
		return err
	}
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			forget(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("set mode of %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	return rename(tmp.Name(), path)
}

// maxLinks is the maximum number of symbolic links that Target follows in
// a row, the limit of filepath.EvalSymlinks as of Go 1.26.
const maxLinks = 255

// Target returns the file that Write(path, ...) creates or replaces: path
// itself, unless path is a symbolic link. For a link it is the file at the
// end of the chain of links, which need not exist yet: a dangling link
// gets its target created. It returns an error for a chain of more than
// maxLinks links, such as a loop, for a dangling link whose target
// directory does not exist, and for a device, named pipe or socket, given
// directly or through a link.
func Target(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink == 0 && !fi.Mode().IsRegular() && !fi.IsDir() {
		// The rename would put a regular file in place of the device or
		// pipe, which a program running as root may do: --out /dev/null
		// would remove /dev/null. A directory is left to the caller.
		return "", fmt.Errorf("%s is not a regular file but a device, named pipe or socket, and writing replaces the file at that path; pass the path of a regular file", path)
	}
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		// A missing path is created. Any other error is the one that
		// creating the temporary file reports.
		return path, nil
	}
	next := path
	for range maxLinks {
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("read symbolic link %s: %w", next, err)
		}
		if !filepath.IsAbs(target) {
			// Relative to the link's directory. Joined without Clean,
			// which would drop a ".." after a linked directory.
			dir, _ := filepath.Split(next)
			target = dir + target
		}
		next = target
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return danglingTarget(path, next)
		case err != nil:
			return "", fmt.Errorf("resolve symbolic link %s: %w", path, err)
		case fi.Mode()&fs.ModeSymlink == 0:
			// The rename would put a regular file in place of a device or
			// named pipe, such as /dev/null, which a program running as
			// root is allowed to do. A directory is left to the caller.
			if !fi.Mode().IsRegular() && !fi.IsDir() {
				return "", fmt.Errorf("symbolic link %s points to %s, which is not a regular file, and writing through the link would replace it; point the link at a regular file, or remove it", path, next)
			}
			// EvalSymlinks returns the same file, with ".." and the
			// linked directories resolved.
			resolved, err := filepath.EvalSymlinks(next)
			if err != nil {
				return "", fmt.Errorf("resolve symbolic link %s: %w", path, err)
			}
			return resolved, nil
		}
	}
	return "", fmt.Errorf("resolve symbolic link %s: more than %d links in a row, so the links probably form a loop; point %s at a file, or remove it", path, maxLinks, path)
}

// danglingTarget returns target, the missing file that the symbolic link
// path points to through zero or more other links, with its directory
// resolved.
func danglingTarget(path, target string) (string, error) {
	dir, name := filepath.Split(target)
	if name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("symbolic link %s points to %s, which names a directory, not a file", path, target)
	}
	if dir == "" {
		dir = "."
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("symbolic link %s points to %s, but the directory %s does not exist; create it, or point the link at a file in an existing directory", path, target, filepath.Clean(dir))
	}
	if err != nil {
		return "", fmt.Errorf("resolve symbolic link %s: %w", path, err)
	}
	return filepath.Join(resolved, name), nil
}

// createTemp creates the temporary file for path and records it.
func createTemp(path string) (*os.File, error) {
	live.Lock()
	defer live.Unlock()
	if live.stopped {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, ErrStopped)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	if live.paths == nil {
		live.paths = map[string]bool{}
	}
	live.paths[tmp.Name()] = true
	return tmp, nil
}

// rename moves the finished temporary file over path, unless
// RemoveTemporaryFiles has run, which leaves path as it was.
func rename(tmp, path string) error {
	live.Lock()
	defer live.Unlock()
	if live.stopped {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, ErrStopped)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	delete(live.paths, tmp)
	return nil
}

func forget(tmp string) {
	live.Lock()
	defer live.Unlock()
	delete(live.paths, tmp)
}

// RemoveTemporaryFiles removes the temporary files of the writes in
// progress and makes every later Write fail with ErrStopped, so that no
// temporary file appears and no rename happens after it returns. A program
// calls it just before it exits on a signal. Writes still in progress may
// go on writing to their unlinked files until the program exits. It
// returns the first error of a removal other than a missing file.
func RemoveTemporaryFiles() error {
	live.Lock()
	defer live.Unlock()
	live.stopped = true
	var first error
	for tmp := range live.paths {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
		delete(live.paths, tmp)
	}
	return first
}
