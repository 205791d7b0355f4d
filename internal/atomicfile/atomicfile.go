// Package atomicfile writes files so that a reader sees either the old file
// or the whole new one, never a part, even if the writer is killed or the
// machine loses power.
//
// The one rule, used by checkpoints (pkg/train), downloads (pkg/data) and
// figures (pkg/show): write a temporary file with a unique name in the
// destination's folder, sync it, rename it over the destination (atomic
// within one file system), then sync the folder so the rename itself is
// durable. On any error the temporary file is removed. A process killed
// mid-write leaves its temporary file, hidden and never read: its name is
// ".NAME.RANDOM.part" (see [IsTemp]), and [RemoveStale] clears old ones.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempSuffix ends every temporary file's name.
const tempSuffix = ".part"

// File is a temporary file that becomes path on Commit. Write to it like any
// *os.File; call Abort (safe after Commit, so it can be deferred) when giving up.
type File struct {
	*os.File
	path string
	perm fs.FileMode
	done bool
}

// Create starts writing path: it creates the destination's folder if needed
// and a temporary file beside path, which Commit gives the mode perm.
func Create(path string, perm fs.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*"+tempSuffix)
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, path: path, perm: perm}, nil
}

// Commit syncs the temporary file, renames it to path and syncs the folder.
// On error the temporary file is removed and path is left as it was.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s already committed or aborted", f.path)
	}
	err := f.Sync()
	if err == nil {
		err = f.Chmod(f.perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		f.done = true
		os.Remove(f.Name())
		return err
	}
	f.done = true
	return syncDir(filepath.Dir(f.path))
}

// Abort closes and removes the temporary file; path is left as it was. It does
// nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write writes data to path atomically, with mode perm.
func Write(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.File.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// syncDir makes a rename in dir durable. File systems that cannot sync a
// folder (some network and Windows ones) say so with EINVAL or the like; the
// rename has happened, so that is not an error here.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

// IsTemp reports whether name (a base name) is a temporary file that Create
// made for a destination whose base name is dest.
func IsTemp(dest, name string) bool {
	return strings.HasPrefix(name, "."+dest+".") && strings.HasSuffix(name, tempSuffix) &&
		len(name) > len(dest)+2+len(tempSuffix)
}

// TempGlob is the filepath.Glob pattern of path's temporary files.
func TempGlob(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*"+tempSuffix)
}

// RemoveStale removes the temporary files of path that have not been modified
// for longer than olderThan: those a killed process left behind (a live writer
// keeps writing to its file). Errors are ignored: a leftover that cannot be
// removed is only wasted space, never read.
func RemoveStale(path string, olderThan time.Duration) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(base, e.Name()) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > olderThan {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
