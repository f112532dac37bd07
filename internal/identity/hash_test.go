package identity

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// waitFor yields until cond holds: the test waits for goroutines to reach
// the queue, never for a length of time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 10_000_000 {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}

// R-AUTH-1: logins beyond the hash queue are refused at once with ErrBusy,
// not queued; a waiter whose request ends leaves the queue; the waiters go
// on when slots free up. Slots are held busy by the test itself, so nothing
// depends on how long a hash takes.
func TestHasherQueueBound(t *testing.T) {
	ctx := context.Background()
	slots := NewSlots(2, 3)
	h := NewHasherOn(Params{Time: 1, MemoryKiB: 1024, Threads: 1}, slots)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}

	var held []func()
	for range 2 {
		release, err := slots.Take(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	type result struct {
		ok  bool
		err error
	}
	results := make(chan result, 4)
	cancels := make([]context.CancelFunc, 3)
	for i := range 3 {
		wctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		go func() {
			ok, err := h.Verify(wctx, enc, "correct horse battery")
			results <- result{ok, err}
		}()
	}
	waitFor(t, "three waiters", func() bool { return slots.Waiting() == 3 })

	// The queue is full: a fourth check and a new hash fail at once.
	if _, err := h.Verify(ctx, enc, "correct horse battery"); !errors.Is(err, ErrBusy) {
		t.Fatalf("verify beyond the queue: %v, want ErrBusy", err)
	}
	if _, err := h.Hash(ctx, "another secret"); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash beyond the queue: %v, want ErrBusy", err)
	}
	if _, err := h.Verify(ctx, "", "unknown login"); !errors.Is(err, ErrBusy) {
		t.Fatalf("the dummy check of an unknown login beyond the queue: %v, want ErrBusy", err)
	}

	// A waiter whose request ends leaves, and makes room for another.
	cancels[0]()
	if r := <-results; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %+v", r)
	}
	waitFor(t, "the cancelled waiter to leave", func() bool { return slots.Waiting() == 2 })
	go func() {
		ok, err := h.Verify(ctx, enc, "correct horse battery")
		results <- result{ok, err}
	}()
	waitFor(t, "a new waiter", func() bool { return slots.Waiting() == 3 })

	// Slots freed: every waiter still in line gets its turn.
	for _, release := range held {
		release()
	}
	for range 3 {
		if r := <-results; r.err != nil || !r.ok {
			t.Fatalf("waiter after release: %+v", r)
		}
	}
	for _, cancel := range cancels {
		cancel()
	}
	if slots.Waiting() != 0 {
		t.Fatalf("waiting = %d after all finished", slots.Waiting())
	}

	// With no waiting places, a full hasher refuses at once.
	none := NewSlots(1, 0)
	release, err := none.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHasherOn(Params{Time: 1, MemoryKiB: 1024, Threads: 1}, none).Hash(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("no queue: %v, want ErrBusy", err)
	}
	release()
}
