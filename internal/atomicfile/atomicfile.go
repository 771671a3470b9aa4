// Package atomicfile writes a file whole or not at all: the bytes go to a
// temporary file in the same directory, which is renamed over the target
// only once it is complete, so a reader or a crash never sees half a file.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Write writes data to path with mode 0644 (and, unless mtime is zero,
// that modification time). On any failure the temporary file is removed
// and path is left as it was; the error is the file system's.
func Write(path string, data []byte, mtime time.Time) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return err
	}
	err = os.Chmod(f.Name(), 0o644)
	if err == nil && !mtime.IsZero() {
		err = os.Chtimes(f.Name(), mtime, mtime)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
