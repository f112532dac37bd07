package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"

	"bango/internal/errs"
)

// Params are Argon2id's cost parameters.
type Params struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams follow RFC 9106's second recommendation scaled to a small
// server: 64 MiB, 2 passes.
var DefaultParams = Params{Time: 2, MemoryKiB: 64 * 1024, Threads: 2}

// Hasher hashes passwords and PINs with Argon2id. A login storm must not
// exhaust memory nor queue without end, so hashes run in a bounded number of
// Slots (see there); beyond them a hash fails at once with ErrBusy.
type Hasher struct {
	p     Params
	slots *Slots
}

// NewHasher returns a Hasher running at most concurrent hashes at once,
// with four waiting places per running hash.
func NewHasher(p Params, concurrent int) *Hasher {
	concurrent = max(1, concurrent)
	return NewHasherOn(p, NewSlots(concurrent, 4*concurrent))
}

// NewHasherOn returns a Hasher whose hashes run in slots.
func NewHasherOn(p Params, slots *Slots) *Hasher {
	return &Hasher{p: p, slots: slots}
}

// ErrBusy: every hash slot is taken and the queue for them is full. The
// caller is answered at once (503 with Retry-After) rather than queued: an
// unbounded queue lets anonymous logins tie up the server and every
// legitimate login behind them. Nothing was checked, counted or recorded.
var ErrBusy = errs.E(errs.Unavailable, "ただいまログインが混み合っています。少し待ってからもう一度お試しください。 / Too many logins at once: try again in a moment.")

// Slots bound memory-hard work: at most running hashes at once (each holds
// Argon2's memory) and at most waiting more waiting for a turn; anyone
// beyond is refused at once with ErrBusy. A waiter whose context ends
// leaves the queue. The zero value is not usable; see NewSlots.
type Slots struct {
	run     chan struct{}
	waiting atomic.Int64
	maxWait int64
}

// NewSlots returns Slots for running hashes at once (at least one) and
// waiting more in line (none: refuse whenever all are running).
func NewSlots(running, waiting int) *Slots {
	return &Slots{run: make(chan struct{}, max(1, running)), maxWait: int64(max(0, waiting))}
}

// Take waits for a slot and returns the function that gives it back.
func (s *Slots) Take(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	release = func() { <-s.run }
	select {
	case s.run <- struct{}{}:
		return release, nil
	default:
	}
	if s.waiting.Add(1) > s.maxWait {
		s.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer s.waiting.Add(-1)
	select {
	case s.run <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Waiting reports how many callers wait for a slot now.
func (s *Slots) Waiting() int { return int(s.waiting.Load()) }

// Hash returns secret's Argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func (h *Hasher) Hash(ctx context.Context, secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	release, err := h.slots.Take(ctx)
	if err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, h.p.Time, h.p.MemoryKiB, h.p.Threads, 32)
	release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.MemoryKiB, h.p.Time, h.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether secret matches encoded, using the parameters
// stored in encoded (so that older hashes still verify after a change of
// cost). An empty encoded never matches, but costs the same time.
func (h *Hasher) Verify(ctx context.Context, encoded, secret string) (bool, error) {
	p, salt, want, ok := parsePHC(encoded)
	if !ok {
		// Burn the same work as a real check, so that timing does not tell
		// an unknown login ID from a wrong password.
		p, salt, want = h.p, make([]byte, 16), make([]byte, 32)
	}
	release, err := h.slots.Take(ctx)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	release()
	return ok && subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parsePHC(s string) (Params, []byte, []byte, bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Params{}, nil, nil, false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 {
		return Params{}, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 {
		return Params{}, nil, nil, false
	}
	return p, salt, key, true
}
