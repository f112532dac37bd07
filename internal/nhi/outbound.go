package nhi

import (
	"context"
	"database/sql"
	"time"

	"bango/internal/store"
)

// EligibilityChange is one acquisition or loss as the files for the NHI
// aggregation system (国保情報集約システム, R-NHI-8) carry it: the insured
// person by insured number, never by My Number, with the household they
// belonged to on the day.
type EligibilityChange struct {
	Event        int64     // the event's ID: changes are read after the last one sent
	ResidentCode string    // for the caller's report only; the file does not carry it
	Kind         string    // acquire or loss
	Effective    time.Time // the day it takes effect
	Reason       string    // as recorded (転入, 死亡, …)
	Kigo         string    // the household's 記号
	Number       string    // 被保険者番号
	Branch       string    // 枝番
	Household    int64
	Head         bool // the person heads the household on the day
	NameKana     string
	Birth        time.Time
	Sex          string
	Recorded     time.Time
}

// EligibilityChangesAfter hands fn every acquisition and loss of tenant
// recorded after event after, in the order recorded. The caller records
// what it does with them (the linkage export is one audit event).
func (s *Service) EligibilityChangesAfter(ctx context.Context, tenant string, after int64, fn func(EligibilityChange) error) error {
	return s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return store.Each(func(row store.Scanner) error {
			var c EligibilityChange
			var hh sql.NullInt64
			var kigo, head sql.NullString
			if err := row.Scan(&c.Event, &c.ResidentCode, &c.Kind, &c.Effective, &c.Reason, &c.Recorded, &c.Number, &c.Branch,
				&c.NameKana, &c.Birth, &c.Sex, &hh, &kigo, &head); err != nil {
				return err
			}
			c.Effective, c.Birth = dateOnly(c.Effective), dateOnly(c.Birth)
			c.Household, c.Kigo, c.Head = hh.Int64, kigo.String, head.String == c.ResidentCode
			return fn(c)
		})(q.Query(ctx, `SELECT t.id, t.resident_code, t.kind, t.effective_date, t.reason, t.recorded_at, t.number, t.branch,
			t.name_kana, t.birth_date, t.sex, t.hh, h.kigo,
			(SELECT v.head_resident_code FROM nhi_household_versions v WHERE v.tenant_code = t.tenant_code AND v.household_id = t.hh
			   AND v.valid_from <= t.effective_date AND v.voided_at IS NULL ORDER BY v.valid_from DESC, v.id DESC LIMIT 1)
			FROM (SELECT e.id, e.tenant_code, e.resident_code, e.kind, e.effective_date, e.reason, e.recorded_at, i.number, i.branch,
			        r.name_kana, r.birth_date, r.sex,
			        (SELECT m.household_id FROM nhi_memberships m WHERE m.tenant_code = e.tenant_code AND m.resident_code = e.resident_code
			           AND m.household_id IS NOT NULL AND m.valid_from <= e.effective_date AND m.voided_at IS NULL ORDER BY m.valid_from DESC, m.id DESC LIMIT 1) AS hh
			      FROM nhi_eligibility_events e
			      JOIN nhi_insured i ON i.tenant_code = e.tenant_code AND i.resident_code = e.resident_code
			      JOIN residents r ON r.tenant_code = e.tenant_code AND r.code = e.resident_code
			      WHERE e.tenant_code = $1 AND e.id > $2 AND e.voided_at IS NULL) t
			LEFT JOIN nhi_households h ON h.tenant_code = t.tenant_code AND h.id = t.hh
			ORDER BY t.id`, tenant, after))
	})
}
