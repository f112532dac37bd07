package linkage

import (
	"context"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// A municipality's NHI 保険者番号 is configuration, not a flag of each run
// (R-NHI-8): every eligibility-continuity file carries the number in
// force on the day it is made, from nhi_insurer_numbers, whether it is
// exported by hand, pulled by the partner or made by the daily schedule.
// A number changes (a merger gives a new one) by a new row from its day;
// without a number in force no file is made.

// InsurerNumber is one configured number and the day it is in force from.
type InsurerNumber struct {
	Tenant    string    `json:"tenant"`
	Number    string    `json:"insurer_no"`
	From      time.Time `json:"effective_from"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

func errNoInsurer(tenant string, day time.Time) error {
	return errs.Tell(errs.Invalid, errs.Message{
		JA: "この市区町村の保険者番号が" + day.Format("2006年1月2日") + "の時点で設定されていません。保険者番号を設定してから実行してください。ファイルは作成していません。",
		EN: "No insurer number of this municipality is in force on " + day.Format(time.DateOnly) + ": configure it, then run again. No file was made.",
	}, "no insurer number of %s in force on %s (set it with bango linkage insurer set)", tenant, day.Format(time.DateOnly))
}

// SetInsurerNumber configures tenant's insurer number from day from on.
// A row of that day already kept is not overwritten: a correction is a
// number from another day, so that what a file carried stays explained.
func (s *Service) SetInsurerNumber(ctx context.Context, tenant, number string, from time.Time) (InsurerNumber, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.insurer.set"
	subject := audit.Subject{Type: "nhi_insurer_number", ID: tenant}
	number = strings.TrimSpace(number)
	in := InsurerNumber{Tenant: tenant, Number: number, From: civil(from), CreatedAt: s.now().UTC(), CreatedBy: actorOf(ctx)}
	err := checkInsurer(number, from)
	if err == nil {
		err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			if err := store.TenantExists(ctx, tx, tenant); err != nil {
				return err
			}
			return insertInsurer(ctx, tx, in, "")
		})
	}
	if err != nil {
		return InsurerNumber{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	return in, nil
}

// checkInsurer refuses, by field, a number that is not six digits and a
// missing day.
func checkInsurer(number string, from time.Time) error {
	var fe errs.FieldErrors
	if !insurerNo(number) {
		fe.Add("insurer", errs.Message{JA: "保険者番号は6桁の数字です", EN: "the insurer number is six digits"})
	}
	if from.IsZero() {
		fe.Add("from", errs.Message{JA: "適用開始日を入力してください", EN: "give the day it is in force from"})
	}
	return fe.Err()
}

// insertInsurer keeps in as a new row and records it; via names how it
// came (review: confirmed by a second person), empty when set directly.
func insertInsurer(ctx context.Context, tx *store.Tx, in InsurerNumber, via string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO nhi_insurer_numbers (tenant_code, effective_from, insurer_no, created_at, created_by) VALUES ($1, $2, $3, $4, $5)`,
		in.Tenant, dateValue(tx.Engine(), in.From), in.Number, in.CreatedAt, in.CreatedBy); err != nil {
		if err = store.Translate(err); errs.Is(err, errs.Conflict) {
			return errInsurerDayTaken(in)
		}
		return err
	}
	detail := "insurer_no=" + in.Number + " from=" + in.From.Format(time.DateOnly)
	if via != "" {
		detail += " via=" + via
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: in.Tenant, Action: "linkage.insurer.set", Subject: audit.Subject{Type: "nhi_insurer_number", ID: in.Tenant},
		Outcome: audit.OK, Detail: detail})
}

func errInsurerDayTaken(in InsurerNumber) error {
	return errs.Tell(errs.Conflict, errs.Message{JA: "この適用開始日の保険者番号はすでに設定されています。訂正は別の適用開始日で設定してください。",
		EN: "a number from this day is already configured: set a correction from another day"}, "insurer number of %s from %s exists", in.Tenant, in.From.Format(time.DateOnly))
}

// InsurerNumbers lists tenant's configured numbers, the earliest first.
func (s *Service) InsurerNumbers(ctx context.Context, tenant string) ([]InsurerNumber, error) {
	var out []InsurerNumber
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanInsurer)(q.Query(ctx, `SELECT tenant_code, insurer_no, effective_from, created_at, created_by
			FROM nhi_insurer_numbers WHERE tenant_code = $1 ORDER BY effective_from`, tenant))
		return err
	})
	return out, err
}

func scanInsurer(row store.Scanner) (InsurerNumber, error) {
	var n InsurerNumber
	err := row.Scan(&n.Tenant, &n.Number, &n.From, &n.CreatedAt, &n.CreatedBy)
	n.From = civil(n.From)
	return n, err
}

// InsurerNumberOn is tenant's number in force on day, or a refusal
// saying none is configured.
func (s *Service) InsurerNumberOn(ctx context.Context, tenant string, day time.Time) (string, error) {
	var n InsurerNumber
	err := s.db.ReadIn(store.WithScope(ctx, tenant), tenant, func(q store.Querier) (err error) {
		n, err = scanInsurer(q.QueryRow(ctx, `SELECT tenant_code, insurer_no, effective_from, created_at, created_by FROM nhi_insurer_numbers
			WHERE tenant_code = $1 AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1`, tenant, dateValue(s.db.Engine(), civil(day))))
		return store.ScanErr(err, "insurer number")
	})
	if errs.Is(err, errs.NotFound) {
		return "", errNoInsurer(tenant, civil(day))
	}
	return n.Number, err
}
