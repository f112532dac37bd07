package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator is a software WebAuthn authenticator for tests: one ES256
// key, "none" attestation, and flags the test sets. It answers the JSON
// options bango's begin endpoints return, the way a browser's
// credential.toJSON() would, so that the server's checks are exercised
// without a browser.
type Authenticator struct {
	t       *testing.T
	Origin  string // what the "browser" reports as the page's origin
	RPID    string
	UV      bool   // report user verification (biometrics passed)
	Counter uint32 // signature counter, advanced at each assertion
	key     *ecdsa.PrivateKey
	credID  []byte
}

// NewAuthenticator returns an authenticator for rpID seen from origin,
// verifying its user.
func NewAuthenticator(t *testing.T, rpID, origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &Authenticator{t: t, Origin: origin, RPID: rpID, UV: true, key: key, credID: id}
}

// CredentialID is the credential's ID, base64url.
func (a *Authenticator) CredentialID() string { return base64.RawURLEncoding.EncodeToString(a.credID) }

type publicKeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
	} `json:"publicKey"`
}

func (a *Authenticator) challenge(options []byte) string {
	var o publicKeyOptions
	if err := json.Unmarshal(options, &o); err != nil || o.PublicKey.Challenge == "" {
		a.t.Fatalf("authenticator: options without a challenge: %s", options)
	}
	return o.PublicKey.Challenge
}

func (a *Authenticator) flags(attested bool) byte {
	f := byte(0x01) // user present
	if a.UV {
		f |= 0x04
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (a *Authenticator) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(a.RPID))
	b := append(h[:], a.flags(attested))
	b = binary.BigEndian.AppendUint32(b, a.Counter)
	if attested {
		b = append(b, make([]byte, 16)...) // AAGUID: none
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.credID)))
		b = append(b, a.credID...)
		point, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			a.t.Fatal(err)
		}
		cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]})
		if err != nil {
			a.t.Fatal(err)
		}
		b = append(b, cose...)
	}
	return b
}

func (a *Authenticator) clientData(kind, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": kind, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

var b64 = base64.RawURLEncoding.EncodeToString

// Create answers registration options with a new credential, as JSON.
func (a *Authenticator) Create(options []byte) []byte {
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(true)})
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": a.CredentialID(), "rawId": a.CredentialID(), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(a.clientData("webauthn.create", a.challenge(options))),
			"attestationObject": b64(att),
		},
		"clientExtensionResults": map[string]any{},
	})
	return out
}

// Get answers login options with a signed assertion, as JSON.
func (a *Authenticator) Get(options []byte) []byte {
	a.Counter++
	ad := a.authData(false)
	cd := a.clientData("webauthn.get", a.challenge(options))
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": a.CredentialID(), "rawId": a.CredentialID(), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(cd),
			"authenticatorData": b64(ad),
			"signature":         b64(sig),
		},
		"clientExtensionResults": map[string]any{},
	})
	return out
}
