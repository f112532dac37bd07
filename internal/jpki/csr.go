package jpki

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"

	"bango/internal/errs"
)

// KeyPolicy is what the CA accepts as a card's key: the key type and the
// sizes allowed. The My Number card makes RSA keys of 2048 bits.
type KeyPolicy struct {
	RSABits []int // allowed modulus sizes
}

// DefaultKeyPolicy is J-LIS's: RSA, 2048 bits.
var DefaultKeyPolicy = KeyPolicy{RSABits: []int{2048}}

func (p KeyPolicy) describe() string {
	bits := make([]string, len(p.RSABits))
	for i, b := range p.RSABits {
		bits[i] = fmt.Sprint(b)
	}
	return "RSA " + strings.Join(bits, "/") + " bits"
}

// ParseRequest reads a PKCS#10 request given as DER or PEM and checks it
// as the CA would, before anything is sent (R-JPKI-1): its signature
// verifies with the key it carries (so it was made by the card holding
// that key), and the key is of a type and size the CA accepts. field
// names the form field for the error.
func ParseRequest(data []byte, policy KeyPolicy, field string) (*x509.CertificateRequest, error) {
	der := data
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fieldErr(field, errs.Message{
				JA: "証明書発行要求（PKCS#10）ではありません（" + b.Type + "）。カードで作成した要求を読み取り直してください",
				EN: "is not a certificate request (PKCS#10) but " + b.Type + "; read the request made by the card again"})
		}
		der = b.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fieldErr(field, errs.Message{
			JA: "証明書発行要求（PKCS#10）として読み取れません。カードで作成した要求を読み取り直してください",
			EN: "cannot be read as a certificate request (PKCS#10); read the request made by the card again"})
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fieldErr(field, errs.Message{
			JA: "証明書発行要求の署名が、要求に含まれる公開鍵で検証できません（偽造または改変）。送信していません",
			EN: "its signature does not verify with the public key it carries (forged or altered); nothing was sent"})
	}
	if err := policy.Check(csr.PublicKey); err != nil {
		return nil, fieldErr(field, errs.Message{
			JA: "鍵の種類または長さを認証局が受け付けません（" + policy.describe() + "のみ）。送信していません",
			EN: "the key type or size is not accepted by the certification authority (only " + policy.describe() + "); nothing was sent"})
	}
	return csr, nil
}

// Check reports whether pub is a key the policy accepts.
func (p KeyPolicy) Check(pub any) error {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("jpki: key of type %T, want RSA", pub)
	}
	if !slices.Contains(p.RSABits, k.N.BitLen()) {
		return fmt.Errorf("jpki: RSA key of %d bits, want %v", k.N.BitLen(), p.RSABits)
	}
	if k.E != 65537 {
		return fmt.Errorf("jpki: RSA exponent %d, want 65537", k.E)
	}
	return nil
}

func fieldErr(field string, m errs.Message) error {
	var fe errs.FieldErrors
	fe.Add(field, m)
	return fe.Err()
}
