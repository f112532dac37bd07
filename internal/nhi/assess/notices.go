package assess

import (
	"context"
	"strconv"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// NoticesPage is how many notices one bulk print view holds: a run of
// hundreds of thousands is printed a page of these at a time.
const NoticesPage = 200

// NoticeBatch is a page of a fiscal year's decision notices, in
// household order: the assessment in force of each household.
type NoticeBatch struct {
	FiscalYear int      `json:"fiscal_year"`
	Page       int      `json:"page"`  // from 1
	Pages      int      `json:"pages"` // of NoticesPage each
	Households int      `json:"households"`
	Notices    []Notice `json:"notices"`
}

var msgPage = errs.Message{JA: "1以上のページ番号です", EN: "must be a page number, 1 or more"}

// Notices reads page page (from 1) of the decision notices (保険料決定通知書)
// of tenant's fiscal year fy: each assessed household's assessment in
// force, with its 記号 and its head's name and address, in household
// order, NoticesPage to a page. Reading them is one event naming the year,
// the page and the households printed.
func (s *Service) Notices(ctx context.Context, tenant string, fy, page int) (NoticeBatch, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.assessment.read"
	subject := audit.Subject{Type: "nhi_assessment_run", ID: strconv.Itoa(fy)}
	b := NoticeBatch{FiscalYear: fy, Page: page, Notices: []Notice{}}
	var fe errs.FieldErrors
	s.fiscalYearField(&fe, fy)
	if page < 1 || page > 1_000_000 {
		fe.Add("page", msgPage)
	}
	if err := fe.Err(); err != nil {
		return b, s.failed(ctx, tenant, action, subject, err)
	}
	err := s.db.Read(ctx, func(q store.Querier) error {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT count(DISTINCT household_id) FROM nhi_assessments WHERE tenant_code = $1 AND fiscal_year = $2`,
			tenant, fy).Scan(&b.Households); err != nil {
			return store.Translate(err)
		}
		b.Pages = max(1, (b.Households+NoticesPage-1)/NoticesPage)
		list, err := store.Rows(scanAssessment)(q.Query(ctx, `SELECT `+assessmentColumns+` FROM nhi_assessments a WHERE tenant_code = $1 AND fiscal_year = $2
			AND seq = (SELECT MAX(seq) FROM nhi_assessments l WHERE l.tenant_code = a.tenant_code AND l.household_id = a.household_id AND l.fiscal_year = a.fiscal_year)
			ORDER BY household_id LIMIT $3 OFFSET $4`, tenant, fy, NoticesPage, (page-1)*NoticesPage))
		if err != nil {
			return err
		}
		for _, a := range list {
			n := Notice{Assessment: a}
			n.InForce = true
			for _, m := range a.Input.Members {
				if m.Head {
					n.HeadCode = m.ID
				}
			}
			if err := q.QueryRow(ctx, `SELECT kigo FROM nhi_households WHERE tenant_code = $1 AND id = $2`, tenant, a.Household).Scan(&n.Kigo); err != nil {
				return store.ScanErr(err, "household")
			}
			if err := q.QueryRow(ctx, `SELECT name_kanji, address FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, n.HeadCode).
				Scan(&n.HeadName, &n.HeadAddress); err != nil {
				return store.ScanErr(err, "head of household")
			}
			b.Notices = append(b.Notices, n)
		}
		return nil
	})
	if err != nil {
		return NoticeBatch{}, s.failed(ctx, tenant, action, subject, err)
	}
	if len(b.Notices) == 0 && page > 1 {
		fe.Add("page", errs.Message{JA: "この年度の通知書はそのページまでありません", EN: "the fiscal year's notices have fewer pages"})
		return NoticeBatch{}, s.failed(ctx, tenant, action, subject, fe.Err())
	}
	// Each household's notice read is an event of that household, as one
	// notice's view is, all of them a statement.
	events := make([]audit.Event, 0, len(b.Notices)+1)
	events = append(events, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(fy) + " view=notices page=" + strconv.Itoa(page) + " notices=" + strconv.Itoa(len(b.Notices))})
	for _, n := range b.Notices {
		events = append(events, audit.Event{Tenant: tenant, Action: action, Subject: householdSubject(n.Household), Outcome: audit.OK,
			Detail: "assessment=" + strconv.FormatInt(n.ID, 10) + " view=notices page=" + strconv.Itoa(page)})
	}
	if err := s.db.Transact(ctx, func(tx *store.Tx) error { return audit.RecordMany(ctx, tx, events...) }); err != nil {
		return NoticeBatch{}, err
	}
	return b, nil
}
