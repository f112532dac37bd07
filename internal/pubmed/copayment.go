package pubmed

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

// CopaymentInput is one co-payment a designated institution charged, as
// written on the recipient's 自己負担上限額管理票.
type CopaymentInput struct {
	ServiceDate string `json:"service_date"`
	Institution string `json:"institution"`
	Amount      string `json:"amount"` // yen
}

// CopaymentLine is one line of a month's record.
type CopaymentLine struct {
	ID          int64     `json:"id"`
	ServiceDate time.Time `json:"service_date"`
	Institution string    `json:"institution"`
	Amount      int64     `json:"amount"`      // as charged
	Counted     int64     `json:"counted"`     // what counted toward the cap
	TotalAfter  int64     `json:"total_after"` // the month's total with this line, at most the cap
	RecordedAt  time.Time `json:"recorded_at"`
	RecordedBy  string    `json:"recorded_by"`
}

// MonthRecord is a certificate's co-payment record of one month
// (自己負担上限額管理票): the lines, the total against the cap, and — once
// the cap is reached — the day it was, after which nothing more is paid
// that month.
type MonthRecord struct {
	Certificate int64           `json:"certificate"`
	Month       string          `json:"month"` // YYYY-MM
	CapYen      int64           `json:"cap_yen"`
	Total       int64           `json:"total"`
	Remaining   int64           `json:"remaining"`
	Reached     bool            `json:"reached"`
	ReachedOn   time.Time       `json:"reached_on,omitzero"`
	Lines       []CopaymentLine `json:"lines"`
}

var (
	msgYen        = errs.Message{JA: "0以上の金額（円、数字）で入力してください", EN: "must be an amount of yen, 0 or more, in digits"}
	msgNotDesigIn = errs.Message{JA: "この受給者証の指定医療機関ではありません", EN: "is not a designated institution of this certificate"}
	msgOutside    = errs.Message{JA: "受給者証の有効期間外の日付です", EN: "is outside the certificate's validity"}
	msgMonth      = errs.Message{JA: "YYYY-MM の形式の年月で入力してください", EN: "must be a month as YYYY-MM"}
)

func yenField(fe *errs.FieldErrors, field, v string) int64 {
	v = strings.NewReplacer(",", "", "，", "", "円", "").Replace(strings.TrimSpace(v))
	if v == "" {
		fe.Add(field, msgRequired)
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 100_000_000 {
		fe.Add(field, msgYen)
		return 0
	}
	return n
}

// RecordCopayment adds a co-payment to the month of its date on
// certificate id's record and returns the month (R-PUB-1): the amount
// counts up to what is left of the cap; once the cap is reached the
// record says so, and what follows that month counts nothing. The date
// must fall within the certificate's validity and the institution be one
// of its designated institutions.
func (s *Service) RecordCopayment(ctx context.Context, tenant string, id int64, in CopaymentInput) (MonthRecord, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.copayment"
	var fe errs.FieldErrors
	day := dateField(&fe, "service_date", in.ServiceDate, true)
	inst := text(&fe, "institution", in.Institution)
	amount := yenField(&fe, "amount", in.Amount)
	subject := audit.Subject{Type: "pubmed_certificate", ID: strconv.FormatInt(id, 10)}
	if err := fe.Err(); err != nil {
		return MonthRecord{}, s.failed(ctx, tenant, action, subject, err)
	}
	month := day.Format("2006-01")
	var out MonthRecord
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		c, err := certificate(ctx, tx, tenant, id)
		if err != nil {
			return err
		}
		subject = subjectOf(c.ResidentCode)
		var fe errs.FieldErrors
		if !c.ValidOn(day) {
			fe.Add("service_date", msgOutside)
		} else if day.After(s.today()) {
			fe.Add("service_date", msgFuture)
		}
		if !slices.Contains(c.Institutions, inst) {
			fe.Add("institution", msgNotDesigIn)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		var total int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(total_after), 0) FROM pubmed_copayments WHERE tenant_code = $1 AND certificate_id = $2 AND month = $3`,
			tenant, id, month).Scan(&total); err != nil {
			return store.Translate(err)
		}
		after := min(total+amount, c.CapYen)
		if _, err := tx.Exec(ctx, `INSERT INTO pubmed_copayments (tenant_code, certificate_id, month, service_date, institution, amount, total_after, recorded_at, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenant, id, month, dateArg(tx.Engine(), day), inst, amount, after, s.now().UTC(), actorOf(ctx)); err != nil {
			return store.Translate(err)
		}
		if out, err = monthRecord(ctx, tx, tenant, c, month); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "certificate=" + strconv.FormatInt(id, 10) + " month=" + month + " amount=" + strconv.FormatInt(amount, 10) +
				" total=" + strconv.FormatInt(out.Total, 10) + " cap=" + strconv.FormatInt(c.CapYen, 10) + " reached=" + strconv.FormatBool(out.Reached)})
	})
	if err != nil {
		return MonthRecord{}, s.failed(ctx, tenant, action, subject, err)
	}
	return out, nil
}

func monthRecord(ctx context.Context, q store.Querier, tenant string, c Certificate, month string) (MonthRecord, error) {
	m := MonthRecord{Certificate: c.ID, Month: month, CapYen: c.CapYen}
	lines, err := store.Rows(func(row store.Scanner) (CopaymentLine, error) {
		var l CopaymentLine
		err := row.Scan(&l.ID, &l.ServiceDate, &l.Institution, &l.Amount, &l.TotalAfter, &l.RecordedAt, &l.RecordedBy)
		l.ServiceDate, l.RecordedAt = dateOnly(l.ServiceDate), l.RecordedAt.UTC()
		return l, err
	})(q.Query(ctx, `SELECT id, service_date, institution, amount, total_after, recorded_at, recorded_by FROM pubmed_copayments
		WHERE tenant_code = $1 AND certificate_id = $2 AND month = $3 ORDER BY id`, tenant, c.ID, month))
	if err != nil {
		return m, err
	}
	m.Lines = []CopaymentLine{}
	for _, l := range lines {
		l.Counted = l.TotalAfter - m.Total
		m.Total = l.TotalAfter
		if !m.Reached && m.Total >= m.CapYen {
			// The line that reached it; the record says so from here on.
			m.Reached, m.ReachedOn = true, l.ServiceDate
		}
		m.Lines = append(m.Lines, l)
	}
	if m.CapYen == 0 {
		m.Reached = true // 生活保護: nothing to pay at all
	}
	m.Remaining = m.CapYen - m.Total
	return m, nil
}

// Month reads certificate id's record of month (YYYY-MM; the current
// month when empty). The read is an event of the recipient.
func (s *Service) Month(ctx context.Context, tenant string, id int64, month string) (MonthRecord, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.copayment.read"
	month = strings.TrimSpace(month)
	if month == "" {
		month = s.today().Format("2006-01")
	}
	subject := audit.Subject{Type: "pubmed_certificate", ID: strconv.FormatInt(id, 10)}
	if _, err := time.Parse("2006-01", month); err != nil {
		var fe errs.FieldErrors
		fe.Add("month", msgMonth)
		return MonthRecord{}, s.failed(ctx, tenant, action, subject, fe.Err())
	}
	var out MonthRecord
	err := s.db.Read(ctx, func(q store.Querier) error {
		c, err := certificate(ctx, q, tenant, id)
		if err != nil {
			return err
		}
		subject = subjectOf(c.ResidentCode)
		out, err = monthRecord(ctx, q, tenant, c, month)
		return err
	})
	if err != nil {
		return out, s.failed(ctx, tenant, action, subject, err)
	}
	return out, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "certificate=" + strconv.FormatInt(id, 10) + " month=" + month})
}
