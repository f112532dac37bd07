package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
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
// exhaust memory, so at most a fixed number of hashes run at once; the rest
// wait their turn or give up with their request.
type Hasher struct {
	p   Params
	sem chan struct{}
}

// NewHasher returns a Hasher running at most concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	return &Hasher{p: p, sem: make(chan struct{}, max(1, concurrent))}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns secret's Argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func (h *Hasher) Hash(ctx context.Context, secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, h.p.Time, h.p.MemoryKiB, h.p.Threads, 32)
	h.release()
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
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	h.release()
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
