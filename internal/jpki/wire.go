// Package jpki issues and revokes the electronic certificates of the My
// Number card (公的個人認証, R-JPKI-1, R-JPKI-2) at the window of the
// resident-records section: the signature certificate (署名用電子証明書),
// which carries the basic four items and the alias, and the user
// authentication certificate (利用者証明用電子証明書), which carries no
// personal item.
//
// The certification authority (J-LIS) is on the other side of a network
// boundary: bango sends it documented JSON messages over HTTPS with mutual
// TLS (R-LNK-3; docs/jpki.md), and the CA's address and trust anchor are
// configuration. `bango jpki-standin-ca` (package standin) is a real X.509
// CA behind the same boundary for tests and the demo.
//
// What is sent and received is held only while an issuance is processed,
// sealed in one short-lived work record that is destroyed in the same
// transaction as the outcome is recorded; what remains is an audit event
// with the outcome, serial number and validity and no personal item.
package jpki

import (
	"encoding/asn1"
	"fmt"
	"time"
)

// Kind is the kind of certificate.
type Kind string

// The two certificates of the My Number card.
const (
	Signature      Kind = "signature"      // 署名用電子証明書: basic four items and alias
	Authentication Kind = "authentication" // 利用者証明用電子証明書: no personal item
)

// Kinds lists the kinds in the order a form offers them.
var Kinds = []Kind{Signature, Authentication}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Signature || k == Authentication }

// Items are the applicant's items a signature certificate carries
// (R-JPKI-1): the basic four items and the alias (通称).
type Items struct {
	Name      string `json:"name"`
	Alias     string `json:"alias,omitempty"`
	Address   string `json:"address"`
	BirthDate string `json:"birth_date"` // YYYY-MM-DD
	Sex       string `json:"sex"`        // 1 male, 2 female, as in the resident register
}

// IssueRequest is what bango sends to POST /v1/certificates. Applicant is
// present for a signature certificate and absent for an authentication
// certificate, which carries no personal item.
type IssueRequest struct {
	RequestID    string `json:"request_id"`   // bango's work record; echoed in the answer
	Municipality string `json:"municipality"` // 団体コード of the issuing window
	// Resident is the applicant's resident code (宛名番号) in the
	// municipality's register. The CA keeps it with its record of the
	// certificate, never in the certificate, so that it can tell the
	// municipality whose certificates expire (POST /v1/expiring) without
	// bango keeping any certificate.
	Resident        string `json:"resident"`
	Kind            Kind   `json:"kind"`
	Applicant       *Items `json:"applicant,omitempty"`
	ApplicationDate string `json:"application_date"` // YYYY-MM-DD, in Japan
	CSR             []byte `json:"csr"`              // PKCS#10, DER (base64 in JSON)
}

// IssueResponse is the CA's answer to an issuance.
type IssueResponse struct {
	RequestID   string   `json:"request_id"`
	Certificate []byte   `json:"certificate"` // DER
	Chain       [][]byte `json:"chain"`       // the issuing CA certificates up to, not including, the trust anchor
}

// RevokeRequest is what bango sends to POST /v1/revocations.
type RevokeRequest struct {
	RequestID    string `json:"request_id"`
	Municipality string `json:"municipality"`
	Serial       string `json:"serial"` // hexadecimal
	Reason       string `json:"reason"` // RevokeLost, RevokeChanged, RevokeOther
}

// Revocation reasons.
const (
	RevokeLost    = "lost"          // 紛失
	RevokeChanged = "items_changed" // 基本4情報の変更（署名用）
	RevokeOther   = "other"
	// Sent by the register (POST /v1/residents-left), never at the window.
	RevokeMovedOut = "moved_out" // 転出・職権消除（署名用）
	RevokeDeceased = "deceased"  // 死亡（署名用・利用者証明用）
)

// RevokeResponse is the CA's answer to a revocation.
type RevokeResponse struct {
	RequestID string    `json:"request_id"`
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
}

// ExpiringRequest is what bango sends to POST /v1/expiring: the
// municipality's certificates, not revoked and still valid, whose validity
// ends before the start of the day Before in Japan — the residents to
// invite to renew (更新).
type ExpiringRequest struct {
	RequestID    string `json:"request_id"`
	Municipality string `json:"municipality"`
	Before       string `json:"before"` // YYYY-MM-DD
}

// ExpiringResponse is the CA's answer to POST /v1/expiring, soonest to
// expire first.
type ExpiringResponse struct {
	RequestID    string     `json:"request_id"`
	Certificates []Expiring `json:"certificates"`
}

// Expiring is one certificate the CA lists as expiring: what it keeps of
// it, no personal item.
type Expiring struct {
	Serial   string    `json:"serial"` // hexadecimal
	Kind     Kind      `json:"kind"`
	NotAfter time.Time `json:"not_after"`
	Resident string    `json:"resident"` // as sent at issuance
}

// ItemsChangedRequest is what bango sends to POST /v1/items-changed: the
// current items of residents whose register entry changed, as a
// municipality's register system tells J-LIS of every change. The CA
// revokes each valid signature certificate of those residents whose items
// differ from the ones sent (reason RevokeChanged); an authentication
// certificate carries no item and stays valid.
type ItemsChangedRequest struct {
	RequestID    string          `json:"request_id"`
	Municipality string          `json:"municipality"`
	Residents    []ResidentItems `json:"residents"`
}

// ResidentItems are one resident's items as the register holds them now.
type ResidentItems struct {
	Resident string `json:"resident"` // resident code, as sent at issuance
	Items    Items  `json:"items"`
}

// ItemsChangedResponse is the CA's answer: the certificates it revoked.
type ItemsChangedResponse struct {
	RequestID string    `json:"request_id"`
	Revoked   []Revoked `json:"revoked"`
}

// Revoked is one certificate revoked because of the register: its
// resident's items changed, or the resident left.
type Revoked struct {
	Serial    string    `json:"serial"` // hexadecimal
	Resident  string    `json:"resident"`
	Kind      Kind      `json:"kind,omitempty"` // signature or authentication (POST /v1/residents-left)
	RevokedAt time.Time `json:"revoked_at"`
}

// ResidentsLeftRequest is what bango sends to POST /v1/residents-left:
// residents who left the municipality's register, as a register system
// tells J-LIS. The CA revokes each valid signature certificate of a
// resident who moved out (転出, 職権消除: the address it carries no longer
// holds; the authentication certificate carries no item and may go on at
// the new address, 継続利用) and every valid certificate of a resident who
// died (reasons RevokeMovedOut and RevokeDeceased).
type ResidentsLeftRequest struct {
	RequestID    string         `json:"request_id"`
	Municipality string         `json:"municipality"`
	Residents    []ResidentLeft `json:"residents"`
}

// ResidentLeft is one resident who left the register.
type ResidentLeft struct {
	Resident  string `json:"resident"`  // resident code, as sent at issuance
	Kind      string `json:"kind"`      // RevokeMovedOut or RevokeDeceased
	Effective string `json:"effective"` // YYYY-MM-DD, the day of the move or death
}

// ResidentsLeftResponse is the CA's answer: the certificates it revoked.
type ResidentsLeftResponse struct {
	RequestID string    `json:"request_id"`
	Revoked   []Revoked `json:"revoked"`
}

// Refusal is the CA's answer when it refuses a request (HTTP 4xx), with a
// machine code and its reason in Japanese and English.
type Refusal struct {
	RequestID string `json:"request_id"`
	Code      string `json:"code"`
	JA        string `json:"ja"`
	EN        string `json:"en"`
}

// Refusal codes.
const (
	RefusedCSR       = "csr_invalid"    // signature, key type or size
	RefusedItems     = "items_invalid"  // missing or malformed applicant items
	RefusedKind      = "kind_invalid"   // unknown kind, or items sent for an authentication certificate
	RefusedUnknown   = "serial_unknown" // revocation of a certificate the CA did not issue
	RefusedMalformed = "malformed"      // the message itself
)

// The stand-in's object identifiers are under IANA's enterprise number for
// examples and documentation (32473, RFC 5612), which nobody else uses;
// the real J-LIS profile has its own.
var (
	// OIDItems is the extension that carries the applicant's items in a
	// signature certificate.
	OIDItems = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 22, 1}
	// OIDPolicySignature and OIDPolicyAuthentication are the certificate
	// policies that tell the kinds apart.
	OIDPolicySignature      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 22, 2, 1}
	OIDPolicyAuthentication = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 22, 2, 2}
)

type itemsASN1 struct {
	Name      string `asn1:"utf8"`
	Alias     string `asn1:"utf8"`
	Address   string `asn1:"utf8"`
	BirthDate string `asn1:"utf8"`
	Sex       string `asn1:"utf8"`
}

// MarshalItems encodes the items for the OIDItems extension.
func MarshalItems(it Items) ([]byte, error) {
	return asn1.Marshal(itemsASN1(it))
}

// UnmarshalItems decodes the OIDItems extension.
func UnmarshalItems(der []byte) (Items, error) {
	var a itemsASN1
	rest, err := asn1.Unmarshal(der, &a)
	if err != nil {
		return Items{}, err
	}
	if len(rest) > 0 {
		return Items{}, fmt.Errorf("jpki: %d bytes after the items", len(rest))
	}
	return Items(a), nil
}
