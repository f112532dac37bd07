package pubmed

import (
	"context"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// The window of the renewal list, in days before a certificate's last day.
const (
	DefaultRenewalDays = 90
	MaxRenewalDays     = 366
	// MaxRenewals is the most one list shows; the count says how many more.
	MaxRenewals = 500
)

// RenewalList is the list of certificates to renew (R-PUB-1): in force,
// whose last day falls within Days from Today, not renewed and with no
// application about them awaiting its decision — the recipients to send
// the renewal papers to, the nearest last day first.
type RenewalList struct {
	Today        time.Time     `json:"today"`
	Until        time.Time     `json:"until"`
	Days         int           `json:"days"`
	HealthCentre string        `json:"health_centre,omitempty"`
	Total        int           `json:"total"`
	Certificates []Certificate `json:"certificates"`
}

var msgDays = errs.Message{JA: "日数は1〜" + strconv.Itoa(MaxRenewalDays) + "の数字で入力してください", EN: "must be a number of days from 1 to " + strconv.Itoa(MaxRenewalDays)}

// Renewals lists the certificates of tenant to renew within days (""
// for DefaultRenewalDays), those of applications received at
// healthCentre when one is given. The list is an audit event.
func (s *Service) Renewals(ctx context.Context, tenant, healthCentre, days string) (RenewalList, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	l := RenewalList{Today: s.today(), Days: DefaultRenewalDays, HealthCentre: strings.TrimSpace(healthCentre), Certificates: []Certificate{}}
	if d := strings.TrimSpace(days); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > MaxRenewalDays {
			var fe errs.FieldErrors
			fe.Add("days", msgDays)
			return l, fe.Err()
		}
		l.Days = n
	}
	l.Until = l.Today.AddDate(0, 0, l.Days)
	err := s.db.Read(ctx, func(q store.Querier) error {
		e := s.db.Engine()
		const due = ` FROM pubmed_certificates c JOIN pubmed_applications a ON a.tenant_code = c.tenant_code AND a.id = c.application_id
			WHERE c.tenant_code = $1 AND c.ended_on IS NULL AND c.valid_until >= $2 AND c.valid_until <= $3 AND ($4 = '' OR a.health_centre = $4)
			AND NOT EXISTS (SELECT 1 FROM pubmed_certificates r WHERE r.tenant_code = c.tenant_code AND r.replaces = c.id)
			AND NOT EXISTS (SELECT 1 FROM pubmed_applications p WHERE p.tenant_code = c.tenant_code AND p.certificate_id = c.id AND p.status = 'received')`
		args := []any{tenant, dateArg(e, l.Today), dateArg(e, l.Until), l.HealthCentre}
		if err := q.QueryRow(ctx, `SELECT count(*)`+due, args...).Scan(&l.Total); err != nil {
			return store.Translate(err)
		}
		var cols []string
		for _, c := range strings.Split(certificateColumns, ",") {
			cols = append(cols, "c."+strings.TrimSpace(c))
		}
		rows, err := store.Rows(scanCertificate)(q.Query(ctx, `SELECT `+strings.Join(cols, ", ")+due+` ORDER BY c.valid_until, c.id LIMIT `+strconv.Itoa(MaxRenewals), args...))
		if err != nil {
			return err
		}
		l.Certificates = append(l.Certificates, rows...)
		return nil
	})
	if err != nil {
		return l, err
	}
	return l, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.renewal.list", Subject: audit.Subject{Type: "pubmed_certificates", ID: l.HealthCentre},
		Outcome: audit.OK, Detail: "days=" + strconv.Itoa(l.Days) + " total=" + strconv.Itoa(l.Total) + " shown=" + strconv.Itoa(len(l.Certificates))})
}
