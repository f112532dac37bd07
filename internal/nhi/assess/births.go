package assess

import (
	"context"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/civil"
	"bango/internal/errs"
	"bango/internal/store"
)

// BirthInput is a birth notified for the 産前産後 exemption (出産の届出,
// R-NHI-4): the person giving birth, whether the birth is expected (a
// notice before it, with the expected month) or has happened (the actual
// month), and whether it is multiple. The latest notice of a person is in
// force; the next assessment run exempts the months.
type BirthInput struct {
	ResidentCode string `json:"resident_code"`
	Kind         string `json:"kind"`        // expected or actual
	BirthMonth   string `json:"birth_month"` // YYYY-MM
	Multiple     bool   `json:"multiple"`
	NotifiedOn   string `json:"notified_on"` // YYYY-MM-DD
}

var (
	msgBirthKind   = errs.Message{JA: "expected（出産予定）か actual（出産済み）です", EN: "must be expected or actual"}
	msgBirthMonth  = errs.Message{JA: "YYYY-MM の形式の年月です", EN: "must be a month as YYYY-MM"}
	msgBirthActual = errs.Message{JA: "出産済みの月は今月以前です", EN: "an actual birth's month must not be after this month"}
	msgBirthRange  = errs.Message{JA: "2023年10月から今月の10か月後までの月です（2024年1月以降の月が免除の対象です）", EN: "must be a month from October 2023 to ten months from now (months from January 2024 are exempt)"}
	msgNotifiedOn  = errs.Message{JA: "届出日は YYYY-MM-DD の形式で、今日以前の日付です", EN: "must be a date as YYYY-MM-DD, not after today"}
)

// RecordBirth keeps a notified birth. A wrong notice is refused naming
// every wrong field, and nothing is written but the refusal's event.
func (s *Service) RecordBirth(ctx context.Context, tenant string, in BirthInput) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.birth"
	code := strings.TrimSpace(in.ResidentCode)
	var fe errs.FieldErrors
	if code == "" {
		fe.Add("resident_code", msgRequired)
	} else if strings.Trim(code, "0123456789") != "" || len(code) > 15 {
		fe.Add("resident_code", msgResident)
	}
	today := civil.Today(s.now())
	if in.Kind != "expected" && in.Kind != "actual" {
		fe.Add("kind", msgBirthKind)
	}
	month, err := time.Parse("2006-01", strings.TrimSpace(in.BirthMonth))
	switch {
	case err != nil:
		fe.Add("birth_month", msgBirthMonth)
	case month.Before(civil.Date(2023, time.October, 1)) || month.After(today.AddDate(0, 10, 0)):
		fe.Add("birth_month", msgBirthRange)
	case in.Kind == "actual" && month.After(today):
		fe.Add("birth_month", msgBirthActual)
	}
	notified, err := time.Parse(time.DateOnly, strings.TrimSpace(in.NotifiedOn))
	if err != nil || notified.After(today) {
		fe.Add("notified_on", msgNotifiedOn)
	}
	if err := fe.Err(); err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&n); err != nil {
			return store.Translate(err)
		}
		if n == 0 {
			fe.Add("resident_code", msgNoPerson)
			return fe.Err()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO nhi_births (tenant_code, resident_code, kind, birth_month, multiple, notified_on, recorded_at, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, code, in.Kind, month.Format("2006-01"), in.Multiple,
			store.DateArg(tx.Engine(), notified), s.now().UTC(), actorOf(ctx)); err != nil {
			return store.Translate(err)
		}
		detail := "kind=" + in.Kind + " birth_month=" + month.Format("2006-01")
		if in.Multiple {
			detail += " multiple"
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: residentSubject(code), Outcome: audit.OK, Detail: detail})
	})
	if err != nil {
		return s.failed(ctx, tenant, action, residentSubject(code), err)
	}
	return nil
}
