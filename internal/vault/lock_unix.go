//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vault

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"bango/internal/errs"
)

// lockDir takes an exclusive lock on the key file's folder, waiting while
// another process (or another Vault in this one) holds it, until ctx ends.
// The lock is flock(2) on the folder itself, so no lock file is left
// behind, and the kernel drops it when its holder dies: a crashed rotation
// never blocks the next.
func lockDir(ctx context.Context, dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "vault: open %s to lock it", dir)
	}
	fd := int(d.Fd())
	wait := time.NewTicker(50 * time.Millisecond)
	defer wait.Stop()
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(fd, syscall.LOCK_UN)
				d.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			d.Close()
			return nil, errs.Wrap(errs.Unavailable, err, "vault: lock %s", dir)
		}
		select {
		case <-ctx.Done():
			d.Close()
			return nil, errs.Wrap(errs.Unavailable, ctx.Err(), "vault: gave up waiting for another key rotation, which holds the lock on %s", dir)
		case <-wait.C:
		}
	}
}
