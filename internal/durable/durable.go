// Package durable writes the files bango cannot lose half of — key files,
// the local CA — so that a crash, a power cut or a full disk leaves either
// the old file or the new one, never a truncated one, and never one that
// others could read even for a moment.
package durable

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces path with data in one step: a temporary file in the
// same folder, set to mode before any data is written, synced, renamed
// over path, and the folder synced so that the rename survives a power
// cut.
func WriteFile(path string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Chmod sets the exact mode regardless of the umask.
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%s: make the rename durable: %w", path, err)
	}
	return nil
}

// SyncDir makes the renames and creations in dir durable.
func SyncDir(dir string) error {
	// Windows cannot flush a directory handle; NTFS journals the rename.
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
