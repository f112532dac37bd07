package identity

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

var rfcSecret = []byte("12345678901234567890")

// RFC 4226 appendix D.
func TestHOTPVectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(rfcSecret, uint64(i), 6); got != w {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, w)
		}
	}
}

// R-AUTH-1: RFC 6238 appendix B (SHA-1, 8 digits).
func TestTOTPVectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := hotp(rfcSecret, uint64(totpStep(time.Unix(v.unix, 0))), 8); got != v.want {
			t.Errorf("TOTP(%d) = %s, want %s", v.unix, got, v.want)
		}
	}
}

// R-AUTH-1: a code is good for its step and one either side, once.
func TestCheckTOTP(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cur := totpStep(now)
	code := func(step int64) string { return hotp(rfcSecret, uint64(step), 6) }
	for _, d := range []int64{-1, 0, 1} {
		if s, ok := checkTOTP(rfcSecret, code(cur+d), now, 0); !ok || s != cur+d {
			t.Errorf("step %+d refused", d)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := checkTOTP(rfcSecret, code(cur+d), now, 0); ok {
			t.Errorf("step %+d accepted", d)
		}
	}
	if _, ok := checkTOTP(rfcSecret, code(cur), now, cur); ok {
		t.Error("a replayed code was accepted")
	}
	if _, ok := checkTOTP(rfcSecret, code(cur+1), now, cur); !ok {
		t.Error("the next step was refused after a login")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := checkTOTP(rfcSecret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTOTPKeyURI(t *testing.T) {
	k := totpKey("bango", "clerk01", rfcSecret)
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret)
	if err != nil || string(raw) != string(rfcSecret) {
		t.Fatalf("secret does not round-trip: %v", err)
	}
	if !strings.HasPrefix(k.URI, "otpauth://totp/bango:clerk01?") || !strings.Contains(k.URI, "secret="+k.Secret) || !strings.Contains(k.URI, "period=30") {
		t.Fatalf("URI = %s", k.URI)
	}
}

// R-AUTH-3: the policy's rules, each with its reason.
func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, want string // want: part of the English reason, "" = accepted
	}{
		{"correct horse battery", ""},
		{"Kx7#mQ2!vLp9", ""},
		{"短いパスワード", "at least 12"},
		{"Short1!", "at least 12"},
		{strings.Repeat("ab", 65), "at most 128"},
		{"tanaka.h-secret-2026", "login ID"},
		{"TanakaHSpring2026x", "login ID"}, // the ID without its dot, another case
		{"ｔａｎａｋａ．ｈ-secret-26", "login ID"}, // full width
		{"aaaaaaaaaaaaaaaa", "different characters"},
		{"ababababababab12", "different characters"},
		{"password1234", "common"},
		{"Password2026!", "common"},
		{"qwertyuiop12", "common"},
		{"!!Sakura2026!!", "common"},
		{"1q2w3e4r5t6y", "common"},
		{"tab\there-is-bad", "cannot be used"},
	}
	for _, tt := range tests {
		r := CheckPassword("tanaka.h", tt.pw)
		switch {
		case tt.want == "" && r != nil:
			t.Errorf("%q refused: %s", tt.pw, r.EN)
		case tt.want != "" && (r == nil || !strings.Contains(r.EN, tt.want) || r.JA == ""):
			t.Errorf("%q: got %v, want a reason with %q", tt.pw, r, tt.want)
		}
	}
}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 1)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("Hash = %s, %v", enc, err)
	}
	if ok, _ := h.Verify(ctx, enc, "correct horse battery"); !ok {
		t.Fatal("the right password failed")
	}
	for _, bad := range []string{"correct horse batterY", ""} {
		if ok, _ := h.Verify(ctx, enc, bad); ok {
			t.Fatalf("%q passed", bad)
		}
	}
	for _, enc := range []string{"", "$argon2id$v=19$m=x$a$b", "plain"} {
		if ok, _ := h.Verify(ctx, enc, ""); ok {
			t.Fatalf("malformed hash %q matched", enc)
		}
	}
	// A stronger hasher still verifies hashes made with older parameters.
	h2 := NewHasher(Params{Time: 2, MemoryKiB: 2048, Threads: 1}, 1)
	if ok, _ := h2.Verify(ctx, enc, "correct horse battery"); !ok {
		t.Fatal("old parameters not honoured")
	}
	// The bound: with every slot taken, a hash waits, and gives up with
	// its context.
	release, err := h.slots.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(cctx, "x"); err == nil {
		t.Fatal("a hash ran beyond the concurrency bound")
	}
	release()
}
