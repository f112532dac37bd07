package jpki

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// RegisterRevocation is one certificate the CA revoked because of the
// register — a change of the basic four items or alias, a move out, a
// death — as its audit event (jpki.revoke, by=register) records it: the
// resident code, serial, kind, reason and time; and the resident's name
// as the register holds it now (a resident who moved out or died stays in
// the register with a departure), read when the list is shown.
type RegisterRevocation struct {
	Resident   string    `json:"resident"`
	InRegister bool      `json:"in_register"` // false: not in the municipality's register
	Name       string    `json:"name,omitempty"`
	NameKana   string    `json:"name_kana,omitempty"`
	Serial     string    `json:"serial"`
	Kind       Kind      `json:"kind"`
	Reason     string    `json:"reason"` // RevokeChanged, RevokeMovedOut, RevokeDeceased
	RevokedAt  time.Time `json:"revoked_at"`
}

// RegisterRevocations is the window's list of the certificates revoked by
// the register in a period, newest first.
type RegisterRevocations struct {
	From         string               `json:"from"` // YYYY-MM-DD in Japan, inclusive
	To           string               `json:"to"`   // YYYY-MM-DD in Japan, inclusive
	Certificates []RegisterRevocation `json:"certificates"`
	More         bool                 `json:"more"` // more than MaxRegisterRevocations: a shorter period shows them
}

// RevokedFor is the period the list shows when none is given, up to today.
const RevokedFor = 30 // days

// MaxRegisterRevocations bounds one list.
const MaxRegisterRevocations = 2000

// FromTime and ToTime are the period's days as dates, for display.
func (l RegisterRevocations) FromTime() time.Time {
	t, _ := time.Parse(time.DateOnly, l.From)
	return t
}

func (l RegisterRevocations) ToTime() time.Time {
	t, _ := time.Parse(time.DateOnly, l.To)
	return t
}

// RevokedByRegister lists tenant's certificates the CA revoked because of
// the register from the day from to the day to (YYYY-MM-DD in Japan,
// inclusive; "" for the last RevokedFor days up to today), read from the
// audit log, where each is an event and nothing else of it is kept — so
// that the window can tell a resident at the counter that a certificate
// lapsed. Each is named from the register, as the renewal list does:
// name and kana, never the number. Asking is an audit event
// (jpki.revoked_list: the period and how many), and each resident shown a
// read (resident.read, for=jpki.revoked_list).
func (s *Service) RevokedByRegister(ctx context.Context, tenant, from, to string) (list RegisterRevocations, err error) {
	ctx = store.WithScope(ctx, tenant)
	today := s.now().In(jst)
	var fe errs.FieldErrors
	day := func(field, v string, dflt time.Time) time.Time {
		if v == "" {
			return time.Date(dflt.Year(), dflt.Month(), dflt.Day(), 0, 0, 0, 0, jst)
		}
		t, err := time.ParseInLocation(time.DateOnly, v, jst)
		if err != nil {
			fe.Add(field, errs.Message{JA: "日付を 2026-12-02 の形で入力してください", EN: "must be a date, as 2026-12-02"})
		}
		return t
	}
	end := day("to", to, today)
	start := day("from", from, end.AddDate(0, 0, -RevokedFor+1))
	if len(fe.List) == 0 && start.After(end) {
		fe.Add("from", errs.Message{JA: "開始日は終了日以前の日付にしてください", EN: "must not be after the end of the period"})
	}
	if len(fe.List) == 0 && end.Sub(start) > 366*24*time.Hour {
		fe.Add("from", errs.Message{JA: "期間は1年以内にしてください", EN: "the period must be at most a year"})
	}
	if err := fe.Err(); err != nil {
		return RegisterRevocations{}, s.refused(ctx, tenant, "jpki.revoked_list", "", "", err)
	}
	list = RegisterRevocations{From: start.Format(time.DateOnly), To: end.Format(time.DateOnly), Certificates: []RegisterRevocation{}}
	// Read every revocation of the period (the window's too) and keep the
	// register's; the log is bounded by the period.
	events, more, err := audit.Collect(ctx, s.db, audit.Query{Tenants: []string{tenant}, Action: "jpki.revoke", Outcome: audit.OK,
		From: start, To: end.AddDate(0, 0, 1)}, 4*MaxRegisterRevocations)
	if err != nil {
		return RegisterRevocations{}, err
	}
	for _, e := range events {
		r, ok := registerRevocation(e)
		if !ok {
			continue
		}
		if len(list.Certificates) == MaxRegisterRevocations {
			list.More = true
			break
		}
		list.Certificates = append(list.Certificates, r)
	}
	list.More = list.More || more
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.revoked_list", Subject: audit.Subject{Type: "municipality", ID: tenant},
		Outcome: audit.OK, Detail: "from=" + list.From + " to=" + list.To + " certificates=" + strconv.Itoa(len(list.Certificates))}); err != nil {
		return RegisterRevocations{}, err
	}
	var codes []string
	for _, c := range list.Certificates {
		if !slices.Contains(codes, c.Resident) {
			codes = append(codes, c.Resident)
		}
	}
	shown, err := s.residents.Shown(ctx, tenant, codes, "jpki.revoked_list")
	if err != nil {
		return RegisterRevocations{}, err
	}
	for i, c := range list.Certificates {
		if r, ok := shown[c.Resident]; ok {
			list.Certificates[i].InRegister, list.Certificates[i].Name, list.Certificates[i].NameKana = true, r.NameKanji, r.NameKana
		}
	}
	return list, nil
}

// registerRevocation reads a jpki.revoke event the register's sending
// recorded ("serial=… [kind=…] reason=… revoked_at=… by=register").
func registerRevocation(e audit.Event) (RegisterRevocation, bool) {
	f := map[string]string{}
	for _, w := range strings.Fields(e.Detail) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		}
	}
	if f["by"] != "register" || f["serial"] == "" {
		return RegisterRevocation{}, false
	}
	at, err := time.Parse(time.RFC3339, f["revoked_at"])
	if err != nil {
		at = e.Time
	}
	kind := Kind(f["kind"])
	if kind == "" {
		kind = Signature // a change of items revokes the signature certificate only
	}
	return RegisterRevocation{Resident: e.Subject.ID, Serial: f["serial"], Kind: kind, Reason: f["reason"], RevokedAt: at.UTC()}, true
}
