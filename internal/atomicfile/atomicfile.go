// Package atomicfile writes files so that readers see either the old
// contents or the complete new contents, never a partial file.
//
// The package records the temporary files of the writes in progress, so
// that a program can remove them with RemoveTemporaryFiles when a signal
// ends it before a write finishes.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
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
// over path. On any error the temporary file is removed and path is left as
// it was.
func Write(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
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
