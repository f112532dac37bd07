//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vault

import (
	"context"
	"errors"
	"testing"
	"time"

	"bango/internal/errs"
)

// R-STO-1: the key folder's lock is exclusive, also between two holders in
// one process; a waiter gets it once it is released, or gives up with ctx
// and says who holds it.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := lockDir(ctx, dir); !errors.Is(err, context.DeadlineExceeded) || !errs.Is(err, errs.Unavailable) {
		t.Fatalf("second lock while held: %v, want to give up with the deadline", err)
	}

	got := make(chan error, 1)
	go func() {
		unlock2, err := lockDir(context.Background(), dir)
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lock taken while held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not taken after release")
	}
}
