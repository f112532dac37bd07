package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP as in RFC 6238 with the parameters every authenticator app
// understands: HMAC-SHA1, 30-second steps, 6 digits.
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1 // steps accepted either side of now, for clock drift
)

// hotp is RFC 4226's HOTP value of counter, as digits decimal digits.
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for i := 0; i < digits; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// checkTOTP finds the step within the skew whose code is code and that is
// later than lastStep: a code already used is refused even inside its
// window (RFC 6238 §5.2).
func checkTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s <= lastStep || s < 0 {
			continue
		}
		if hmac.Equal([]byte(hotp(secret, uint64(s), totpDigits)), []byte(code)) {
			return s, true
		}
	}
	return 0, false
}

func newTOTPSecret() []byte {
	b := make([]byte, 20) // 160 bits, as RFC 4226 recommends for SHA-1
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return b
}

// TOTPKey is what enrolment shows: the secret in base32 for typing, and
// the otpauth URI that authenticator apps read from a QR code.
type TOTPKey struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

func totpKey(issuer, account string, secret []byte) TOTPKey {
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	q := url.Values{}
	q.Set("secret", s)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	label := url.PathEscape(issuer + ":" + account)
	return TOTPKey{Secret: s, URI: "otpauth://totp/" + label + "?" + q.Encode()}
}
