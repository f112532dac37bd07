package jpki

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// RenewWithin is how far ahead the renewal list looks: residents whose
// certificates expire within three months are invited to renew (更新).
const RenewWithin = 3 // months

// Renewal is one certificate to renew, as the window's list shows it: what
// the CA told bango of it, and the resident's name from the register.
// Nothing of it is stored.
type Renewal struct {
	Resident   string    `json:"resident"`
	InRegister bool      `json:"in_register"` // false: no longer in the municipality's register
	Name       string    `json:"name,omitempty"`
	NameKana   string    `json:"name_kana,omitempty"`
	Kind       Kind      `json:"kind"`
	Serial     string    `json:"serial"`
	NotAfter   time.Time `json:"not_after"`
}

// Renewals is the list of certificates expiring before a day.
type Renewals struct {
	Before       string    `json:"before"` // YYYY-MM-DD, in Japan: certificates expiring before this day
	Certificates []Renewal `json:"certificates"`
}

// Time is the day Before as a date, for display.
func (r Renewals) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, r.Before)
	return t
}

// Renewals asks the CA which of tenant's certificates, valid and not
// revoked, expire before the day before (YYYY-MM-DD in Japan; "" for three
// months from today), and names their residents from the register. bango
// keeps no certificate: the list is what the CA says now, and nothing of
// it is stored. The list is an audit event (the day and how many), and
// each resident shown is a read.
func (s *Service) Renewals(ctx context.Context, tenant, before string) (list Renewals, err error) {
	ctx = store.WithScope(ctx, tenant)
	defer errs.Annotate(&err, "jpki.Renewals(%s)", tenant)
	if s.ca == nil {
		return Renewals{}, s.refused(ctx, tenant, "jpki.renewals", "", "", errNoCA)
	}
	today := s.now().In(jst)
	if before == "" {
		before = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, jst).AddDate(0, RenewWithin, 0).Format(time.DateOnly)
	}
	if d, perr := time.ParseInLocation(time.DateOnly, before, jst); perr != nil || d.Before(today.AddDate(0, 0, -1)) || d.After(today.AddDate(1, 0, 0)) {
		var fe errs.FieldErrors
		fe.Add("expiring_before", errs.Message{JA: "今日から1年以内の日付を 2027-03-02 の形で入力してください",
			EN: "must be a date within a year from today, as 2027-03-02"})
		return Renewals{}, s.refused(ctx, tenant, "jpki.renewals", "", "", fe.Err())
	}
	resp, err := s.ca.Expiring(ctx, ExpiringRequest{RequestID: randomID(), Municipality: tenant, Before: before})
	if err != nil {
		var ce *CAError
		why := FailUnreachable
		if errors.As(err, &ce) {
			why = ce.Why
			err = ce.Told()
		}
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.renewals", Subject: audit.Subject{Type: "municipality", ID: tenant},
			Outcome: audit.Failed, Detail: "before=" + before + " outcome=" + why}); aerr != nil {
			return Renewals{}, aerr
		}
		return Renewals{}, err
	}
	list = Renewals{Before: before, Certificates: []Renewal{}}
	var codes []string
	for _, c := range resp.Certificates {
		if !slices.Contains(codes, c.Resident) {
			codes = append(codes, c.Resident)
		}
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.renewals", Subject: audit.Subject{Type: "municipality", ID: tenant},
		Outcome: audit.OK, Detail: "before=" + before + " certificates=" + strconv.Itoa(len(resp.Certificates))}); err != nil {
		return Renewals{}, err
	}
	shown, err := s.residents.Shown(ctx, tenant, codes, "jpki.renewals")
	if err != nil {
		return Renewals{}, err
	}
	for _, c := range resp.Certificates {
		r := Renewal{Resident: c.Resident, Kind: c.Kind, Serial: c.Serial, NotAfter: c.NotAfter.UTC()}
		if res, ok := shown[c.Resident]; ok {
			r.InRegister, r.Name, r.NameKana = true, res.NameKanji, res.NameKana
		}
		list.Certificates = append(list.Certificates, r)
	}
	slices.SortStableFunc(list.Certificates, func(a, b Renewal) int { return a.NotAfter.Compare(b.NotAfter) })
	return list, nil
}
