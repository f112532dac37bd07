package nhi

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// Documents reissued when a decision changes the ratio (R-NHI-2, R-NHI-3).
// A 高齢受給者証, and a 資格確認書 that prints the ratio, is a document the
// insured person shows at the clinic: when a decision recorded for their
// household sets a ratio other than the one printed on a document still in
// force on the decision's first day, bango reissues it in the same
// transaction — reason changed (再交付・記載事項の変更), delivered by mail,
// the new one printing the new ratio and the decision it was read from, a
// 高齢受給者証 applying from the decision's first day — and the old one is
// replaced from that day. The print view of the new one is at once on the
// person's page; the issue is an event like a clerk's.

// decidedHousehold is one household a batch recorded a decision for.
type decidedHousehold struct {
	household int64
	ratio     int
	decision  int64    // the decision's ID
	codes     []string // the 70–74 members the decision counts
}

// reissueForDecisions reissues, inside tx, the ratio-printing documents of
// the members of the households decided on on whose printed ratio the
// decisions changed. The decisions were just recorded: each household's
// decision (its ID from the insert) is the one the new documents name.
func (s *Service) reissueForDecisions(ctx context.Context, tx *store.Tx, tenant string, on time.Time, hhs []decidedHousehold) error {
	if len(hhs) == 0 {
		return nil
	}
	e := tx.Engine()
	ratioOf, decisionOf := map[string]int{}, map[string]int64{}
	args := []any{tenant, dateArg(e, on)}
	in := ""
	for _, h := range hhs {
		if h.decision == 0 {
			return fmt.Errorf("nhi: reissue: no decision recorded for household %d from %s", h.household, on.Format(time.DateOnly))
		}
		for _, c := range h.codes {
			ratioOf[c], decisionOf[c] = h.ratio, h.decision
			args = append(args, c)
			if in != "" {
				in += ", "
			}
			in += "$" + strconv.Itoa(len(args))
		}
	}
	if in == "" {
		return nil
	}
	type held struct {
		id                    int64
		code, kind            string
		ratio                 int
		validUntil, validFrom sql.NullTime
	}
	docs, err := store.Rows(func(row store.Scanner) (held, error) {
		var d held
		err := row.Scan(&d.id, &d.code, &d.kind, &d.ratio, &d.validUntil, &d.validFrom)
		return d, err
	})(tx.Query(ctx, `SELECT d.id, d.resident_code, d.kind, d.cost_share_ratio, d.valid_until, d.valid_from FROM nhi_documents d
		WHERE d.tenant_code = $1 AND d.kind IN ('elderly', 'certificate') AND d.cost_share_ratio IS NOT NULL AND d.resident_code IN (`+in+`)
		AND (d.valid_until IS NULL OR d.valid_until >= $2)
		AND NOT EXISTS (SELECT 1 FROM nhi_document_events x WHERE x.tenant_code = d.tenant_code AND x.document_id = d.id)
		ORDER BY d.id`, args...))
	if err != nil {
		return err
	}
	issued := s.today()
	now, by := s.now().UTC(), actorOf(ctx)
	for _, d := range docs {
		ratio := ratioOf[d.code]
		if d.ratio == ratio {
			continue
		}
		rec, err := s.person(ctx, tx, tenant, d.code, on)
		if err != nil {
			return err
		}
		var validFrom, validUntil any
		if d.validUntil.Valid {
			validUntil = dateArg(e, dateOnly(d.validUntil.Time))
		}
		if d.kind == DocElderly {
			from := on
			if d.validFrom.Valid && dateOnly(d.validFrom.Time).After(from) {
				from = dateOnly(d.validFrom.Time)
			}
			validFrom = dateArg(e, from)
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO nhi_documents (tenant_code, resident_code, kind, insured_number, issued_on, valid_until, delivery,
			delivered_on, reason, replaces, recorded_at, recorded_by, valid_from, cost_share_ratio, cost_share_decision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			tenant, d.code, d.kind, rec.Person.InsuredNumber(), dateArg(e, issued), validUntil, DeliveryMail, IssueChanged, d.id, now, by,
			validFrom, ratio, decisionOf[d.code]).Scan(&id); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO nhi_document_events (tenant_code, document_id, event, effective_on, recorded_at, recorded_by)
			VALUES ($1, $2, 'replaced', $3, $4, $5)`, tenant, d.id, dateArg(e, on), now, by); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "nhi.document.issue", Subject: subjectOf(d.code), Outcome: audit.OK,
			Detail: "document=" + strconv.FormatInt(id, 10) + " kind=" + d.kind + " reason=" + IssueChanged + " issued_on=" + Date(issued) +
				" replaces=" + strconv.FormatInt(d.id, 10) + " effective_on=" + Date(on) + " delivery=" + DeliveryMail +
				" source=cost_share_decision" + ratioDetail(ratio, decisionOf[d.code]) + " ratio_before=" + strconv.Itoa(d.ratio)}); err != nil {
			return err
		}
	}
	return nil
}
