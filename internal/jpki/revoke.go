package jpki

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// RevokeReasons are the reasons the window offers, in order: the card was
// lost, or the basic four items changed (the signature certificate must
// then be revoked), or another.
var RevokeReasons = []string{RevokeLost, RevokeChanged, RevokeOther}

var serialHex = regexp.MustCompile(`^[0-9a-f]{1,40}$`)

// Revocation is a revocation the CA made.
type Revocation struct {
	Resident  string    `json:"resident"`
	Serial    string    `json:"serial"`
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revoked_at"`
}

// Revoke asks the CA to revoke the certificate serial (hexadecimal) of
// resident code, for reason, through the same boundary as issuance. The
// resident must be of tenant (another municipality's is not found). The
// audit event holds the serial, the reason and when; nothing else is
// kept.
func (s *Service) Revoke(ctx context.Context, tenant, code, serial, reason string) (rv Revocation, err error) {
	ctx = store.WithScope(ctx, tenant)
	defer errs.Annotate(&err, "jpki.Revoke(%s/%s)", tenant, code)
	if s.ca == nil {
		return Revocation{}, s.refused(ctx, tenant, "jpki.revoke", code, "", errNoCA)
	}
	serial = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(serial, ":", "")))
	var fe errs.FieldErrors
	if !serialHex.MatchString(serial) {
		fe.Add("serial", errs.Message{JA: "証明書のシリアル番号を16進数で入力してください", EN: "must be the certificate's serial number in hexadecimal"})
	}
	known := false
	for _, r := range RevokeReasons {
		known = known || r == reason
	}
	if !known {
		fe.Add("revoke_reason", errs.Message{JA: "失効の理由を選択してください", EN: "must be one of lost, items_changed, other"})
	}
	if err := fe.Err(); err != nil {
		return Revocation{}, s.refused(ctx, tenant, "jpki.revoke", code, "", err)
	}
	if err := s.residents.Exists(ctx, tenant, code); err != nil {
		return Revocation{}, err
	}
	resp, err := s.ca.Revoke(ctx, RevokeRequest{RequestID: randomID(), Municipality: tenant, Serial: serial, Reason: reason})
	if err != nil {
		var ce *CAError
		why := FailUnreachable
		if errors.As(err, &ce) {
			why = ce.Why
			err = ce.Told()
		}
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.revoke", Subject: subjectOf(code), Outcome: audit.Failed,
			Detail: "serial=" + serial + " reason=" + reason + " outcome=" + why}); aerr != nil {
			return Revocation{}, aerr
		}
		return Revocation{}, err
	}
	rv = Revocation{Resident: code, Serial: resp.Serial, Reason: reason, RevokedAt: resp.RevokedAt.UTC()}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.revoke", Subject: subjectOf(code), Outcome: audit.OK,
		Detail: "serial=" + rv.Serial + " reason=" + reason + " revoked_at=" + rv.RevokedAt.Format(time.RFC3339)}); err != nil {
		return Revocation{}, err
	}
	return rv, nil
}
