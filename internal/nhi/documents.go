package nhi

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Qualification documents (R-NHI-2).
const (
	DocCard        = "card"        // 被保険者証: recorded as history only since 2 December 2024
	DocCertificate = "certificate" // 資格確認書
	DocNotice      = "notice"      // 資格情報のお知らせ
	DocElderly     = "elderly"     // 高齢受給者証: the 70–74 cost share (R-NHI-3)
)

// Why a document was issued.
const (
	IssueNew     = "new"     // 新規
	IssueRenewal = "renewal" // 更新
	IssueLost    = "lost"    // 再交付（紛失）
	IssueDamaged = "damaged" // 再交付（汚損・破損）
	IssueChanged = "changed" // 再交付（記載事項の変更）
	IssueHistory = "history" // a 被保険者証 issued before, recorded as history
)

// How a document reaches the person.
const (
	DeliveryMail    = "mail"    // 郵送
	DeliveryCounter = "counter" // 窓口交付
)

// DocumentInput is an issue of a document as typed into a form.
type DocumentInput struct {
	ResidentCode string `json:"resident_code"`
	Kind         string `json:"kind"`
	IssuedOn     string `json:"issued_on"`
	ValidUntil   string `json:"valid_until,omitempty"` // the last day it is valid; none for a notice
	Delivery     string `json:"delivery"`
	DeliveredOn  string `json:"delivered_on,omitempty"`
	Reason       string `json:"reason"`
	Replaces     int64  `json:"replaces,omitempty"` // the document a reissue replaces
}

// DocumentEvent is what befell a document after it was issued.
type DocumentEvent struct {
	Event       string    `json:"event"` // returned, invalidated, replaced
	EffectiveOn time.Time `json:"effective_on"`
	RecordedAt  time.Time `json:"recorded_at"`
	RecordedBy  string    `json:"recorded_by"`
}

// Document is one issued document with what befell it.
type Document struct {
	ID            int64     `json:"id"`
	ResidentCode  string    `json:"resident_code"`
	Kind          string    `json:"kind"`
	KindName      string    `json:"kind_name"`
	InsuredNumber string    `json:"insured_number"`
	IssuedOn      time.Time `json:"issued_on"`
	ValidUntil    time.Time `json:"valid_until,omitzero"`
	Delivery      string    `json:"delivery"`
	DeliveredOn   time.Time `json:"delivered_on,omitzero"`
	Reason        string    `json:"reason"`
	Replaces      int64     `json:"replaces,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
	RecordedBy    string    `json:"recorded_by"`
	// ValidFrom is a 高齢受給者証's first day (発効期日); CostShareRatio
	// the 70–74 cost share (割) it prints, as does a 資格確認書 of a member
	// aged 70–74, read from decision CostShareDecision when it was issued.
	ValidFrom         time.Time       `json:"valid_from,omitzero"`
	CostShareRatio    int             `json:"cost_share_ratio,omitempty"`
	CostShareDecision int64           `json:"cost_share_decision,omitempty"`
	Events            []DocumentEvent `json:"events"`
	// Status on the day it is read: valid, expired, or the event that
	// ended it (returned, invalidated, replaced).
	Status string `json:"status"`
}

type docKind struct {
	name        string
	from, until sql.NullTime
	hasValidity bool
	maxYears    sql.NullInt64
}

var (
	msgKindGone = errs.Message{JA: "2024年12月2日以降、被保険者証は新たに交付できません（それ以前の交付の記録のみ）",
		EN: "no 被保険者証 is issued from 2 December 2024; only one issued before may be recorded"}
	msgKindNotYet     = errs.Message{JA: "この書類はこの日にはまだ交付されていません", EN: "this document was not yet issued on this date"}
	msgHistoryOnly    = errs.Message{JA: "被保険者証は「交付の記録（history）」としてのみ登録します", EN: "a 被保険者証 is recorded only as history"}
	msgHistoryCard    = errs.Message{JA: "「交付の記録」は被保険者証のみです", EN: "history is only for a 被保険者証"}
	msgValidRequired  = errs.Message{JA: "有効期限を入力してください", EN: "the validity's last day is required"}
	msgNoValidity     = errs.Message{JA: "この書類に有効期限はありません", EN: "this document carries no validity"}
	msgValidBefore    = errs.Message{JA: "有効期限は交付日より後の日付です", EN: "must be after the issue date"}
	msgIssuedFuture   = errs.Message{JA: "交付日に未来の日付は入力できません", EN: "the issue date cannot be in the future"}
	msgDeliveredEarly = errs.Message{JA: "交付日より前の日付です", EN: "is before the issue date"}
	msgReplaces       = errs.Message{JA: "再交付の場合は、置き換える有効な同じ種類の書類を指定してください", EN: "a reissue names the valid document of the same kind it replaces"}
	msgStillValid     = errs.Message{JA: "有効な同じ種類の書類が既にあります。再交付なら理由を選び、置き換える書類を指定してください",
		EN: "a valid document of this kind exists; for a reissue choose its reason and name the document it replaces"}
	msgEnded = errs.Message{JA: "この書類は既に返還・無効・再交付済みです", EN: "this document was already returned, invalidated or replaced"}
	msgNot70 = errs.Message{JA: "高齢受給者証は70〜74歳の被保険者（70歳の誕生日の翌月1日から75歳の誕生日の前日まで）に交付します。交付日は適用開始の2か月前から",
		EN: "a 高齢受給者証 is for an insured person aged 70 to 74 (from the first of the month after the 70th birthday to the day before the 75th), issued at most two months ahead"}
	msgElderlyUntil = errs.Message{JA: "高齢受給者証の有効期限は負担割合の適用期間の終わり（7月31日）、かつ75歳の誕生日の前日までです",
		EN: "a 高齢受給者証 is valid at most to the end of its cost-share period (31 July) and to the day before the 75th birthday"}
)

func msgNoDecision(on time.Time) errs.Message {
	return errs.Message{JA: Date(on) + " 時点でこの人を含む世帯の一部負担金の割合（70〜74歳）が判定されていません。世帯の画面で " + Date(on) + " から判定してから交付してください",
		EN: "no 70–74 cost share that counts this person is decided for the household on " + Date(on) + ": decide it from that date on the household's page first"}
}

func msgMaxYears(n int64) errs.Message {
	y := strconv.FormatInt(n, 10)
	return errs.Message{JA: "有効期間は交付日から" + y + "年以内です", EN: "the validity is at most " + y + " years from the issue date"}
}

// IssueDocument records a qualification document issued to an insured
// person (R-NHI-2): a 資格確認書 with its validity (at most the years its
// kind allows), a 資格情報のお知らせ, or — as history only — a 被保険者証
// issued before 2 December 2024; a reissue names its reason and the
// document it replaces, which ends then. The issue is an event.
func (s *Service) IssueDocument(ctx context.Context, tenant string, in DocumentInput) (Document, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.document.issue"
	code := strings.TrimSpace(in.ResidentCode)
	var fe errs.FieldErrors
	residentField(&fe, "resident_code", code)
	var issued, until, delivered time.Time
	dateField(&fe, "issued_on", in.IssuedOn, &issued)
	if strings.TrimSpace(in.ValidUntil) != "" {
		dateField(&fe, "valid_until", in.ValidUntil, &until)
	}
	if strings.TrimSpace(in.DeliveredOn) != "" {
		dateField(&fe, "delivered_on", in.DeliveredOn, &delivered)
	}
	delivery := reasonField(&fe, "delivery", in.Delivery, []string{DeliveryMail, DeliveryCounter})
	reason := reasonField(&fe, "reason", in.Reason, []string{IssueNew, IssueRenewal, IssueLost, IssueDamaged, IssueChanged, IssueHistory})
	kind := strings.TrimSpace(in.Kind)
	if kind == "" {
		fe.Add("kind", msgRequired)
	}
	if err := fe.Err(); err != nil {
		return Document{}, s.failed(ctx, tenant, action, subjectOf(code), err)
	}
	var id int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		e := tx.Engine()
		var fe errs.FieldErrors
		var k docKind
		err := tx.QueryRow(ctx, `SELECT name_ja, issuable_from, issuable_until, has_validity, max_valid_years FROM nhi_document_kinds WHERE kind = $1`, kind).
			Scan(&k.name, &k.from, &k.until, &k.hasValidity, &k.maxYears)
		if err == sql.ErrNoRows {
			fe.Add("kind", msgReason([]string{DocCertificate, DocNotice, DocElderly, DocCard}))
			return fe.Err()
		} else if err != nil {
			return store.Translate(err)
		}
		res, err := lookupResident(ctx, tx, tenant, code)
		if err != nil {
			return err
		}
		switch {
		case issued.After(s.today()):
			fe.Add("issued_on", msgIssuedFuture)
		case k.until.Valid && issued.After(dateOnly(k.until.Time)):
			fe.Add("kind", msgKindGone)
		case k.from.Valid && issued.Before(dateOnly(k.from.Time)):
			fe.Add("kind", msgKindNotYet)
		}
		if kind == DocCard && reason != IssueHistory {
			fe.Add("reason", msgHistoryOnly)
		} else if kind != DocCard && reason == IssueHistory {
			fe.Add("reason", msgHistoryCard)
		}
		switch {
		case k.hasValidity && until.IsZero():
			fe.Add("valid_until", msgValidRequired)
		case !k.hasValidity && !until.IsZero():
			fe.Add("valid_until", msgNoValidity)
		case !until.IsZero() && !until.After(issued):
			fe.Add("valid_until", msgValidBefore)
		case !until.IsZero() && k.maxYears.Valid && until.After(issued.AddDate(int(k.maxYears.Int64), 0, 0)):
			fe.Add("valid_until", msgMaxYears(k.maxYears.Int64))
		}
		if !delivered.IsZero() && delivered.Before(issued) {
			fe.Add("delivered_on", msgDeliveredEarly)
		}
		rec, err := s.person(ctx, tx, tenant, code, issued)
		if errs.Is(err, errs.NotFound) {
			fe.Add("resident_code", msgNotInsured)
			return fe.Err()
		} else if err != nil {
			return err
		}
		if !rec.Person.Insured {
			fe.Add("issued_on", msgNotInsured)
		}
		// The 70–74 cost share it prints: a 高齢受給者証 from its first day
		// (the first of the month after the 70th birthday, when issued
		// before), a 資格確認書 of a member aged 70–74 on its issue date.
		var ratio, decision any
		var validFrom any
		from70, at75 := Elderly70From(res.birth), Birthday75(res.birth)
		start := issued
		if kind == DocElderly && start.Before(from70) {
			start = from70
		}
		elderly := !start.Before(from70) && start.Before(at75)
		switch {
		case kind == DocElderly && (!elderly || from70.After(issued.AddDate(0, 2, 0))):
			fe.Add("issued_on", msgNot70)
		case kind == DocElderly || kind == DocCertificate && elderly && fe.Err() == nil:
			d, ok, err := s.decisionFor(ctx, tx, tenant, code, start)
			if err != nil {
				return err
			} else if !ok {
				fe.Add("kind", msgNoDecision(start))
				break
			}
			ratio, decision = d.Ratio, d.ID
			if kind == DocElderly {
				validFrom = dateArg(e, start)
				if !until.IsZero() && (until.After(d.PeriodTo) || !until.Before(at75)) {
					fe.Add("valid_until", msgElderlyUntil)
				}
			}
		}
		// What the person holds of this kind on the issue date.
		current, err := store.Rows(func(row store.Scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		})(tx.Query(ctx, `SELECT d.id FROM nhi_documents d WHERE d.tenant_code = $1 AND d.resident_code = $2 AND d.kind = $3 AND d.issued_on <= $4
			AND (d.valid_until IS NULL OR d.valid_until >= $4)
			AND NOT EXISTS (SELECT 1 FROM nhi_document_events x WHERE x.tenant_code = d.tenant_code AND x.document_id = d.id AND x.effective_on <= $4)
			ORDER BY d.id`, tenant, code, kind, dateArg(e, issued)))
		if err != nil {
			return err
		}
		switch reason {
		case IssueLost, IssueDamaged, IssueChanged:
			found := false
			for _, c := range current {
				found = found || c == in.Replaces
			}
			if !found {
				fe.Add("replaces", msgReplaces)
			}
		case IssueNew, IssueRenewal:
			if in.Replaces != 0 {
				fe.Add("replaces", msgReplaces)
			} else if reason == IssueNew && len(current) > 0 {
				fe.Add("kind", msgStillValid)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		var validUntil, deliveredOn, replaces any
		if !until.IsZero() {
			validUntil = dateArg(e, until)
		}
		if !delivered.IsZero() {
			deliveredOn = dateArg(e, delivered)
		}
		if in.Replaces != 0 {
			replaces = in.Replaces
		}
		now, by := s.now().UTC(), actorOf(ctx)
		if err := tx.QueryRow(ctx, `INSERT INTO nhi_documents (tenant_code, resident_code, kind, insured_number, issued_on, valid_until, delivery,
			delivered_on, reason, replaces, recorded_at, recorded_by, valid_from, cost_share_ratio, cost_share_decision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			tenant, code, kind, rec.Person.InsuredNumber(), dateArg(e, issued), validUntil, delivery, deliveredOn, reason, replaces, now, by,
			validFrom, ratio, decision).Scan(&id); err != nil {
			return store.Translate(err)
		}
		if in.Replaces != 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO nhi_document_events (tenant_code, document_id, event, effective_on, recorded_at, recorded_by)
				VALUES ($1, $2, 'replaced', $3, $4, $5)`, tenant, in.Replaces, dateArg(e, issued), now, by); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(code), Outcome: audit.OK,
			Detail: "document=" + strconv.FormatInt(id, 10) + " kind=" + kind + " reason=" + reason + " issued_on=" + Date(issued) +
				" valid_until=" + Date(until) + " delivery=" + delivery + ratioDetail(ratio, decision)})
	})
	if err != nil {
		return Document{}, s.failed(ctx, tenant, action, subjectOf(code), err)
	}
	docs, err := s.documents(ctx, tenant, code, id)
	if err != nil || len(docs) == 0 {
		return Document{}, errs.Wrap(errs.Internal, err, "nhi: read document %d back", id)
	}
	return docs[0], nil
}

// ReturnDocument records that document id was returned (返還) on on.
func (s *Service) ReturnDocument(ctx context.Context, tenant string, id int64, on string) error {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.document.return"
	var fe errs.FieldErrors
	var d time.Time
	dateField(&fe, "returned_on", on, &d)
	var code string
	err := fe.Err()
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			var issued time.Time
			var ended int
			if err := tx.QueryRow(ctx, `SELECT resident_code, issued_on, (SELECT count(*) FROM nhi_document_events x WHERE x.tenant_code = d.tenant_code AND x.document_id = d.id)
				FROM nhi_documents d WHERE d.tenant_code = $1 AND d.id = $2`, tenant, id).Scan(&code, &issued, &ended); err != nil {
				return store.ScanErr(err, "document "+strconv.FormatInt(id, 10))
			}
			var fe errs.FieldErrors
			switch {
			case ended > 0:
				fe.Add("document", msgEnded)
			case d.Before(dateOnly(issued)):
				fe.Add("returned_on", msgDeliveredEarly)
			case d.After(s.today()):
				fe.Add("returned_on", msgIssuedFuture)
			}
			if err := fe.Err(); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO nhi_document_events (tenant_code, document_id, event, effective_on, recorded_at, recorded_by)
				VALUES ($1, $2, 'returned', $3, $4, $5)`, tenant, id, dateArg(tx.Engine(), d), s.now().UTC(), actorOf(ctx)); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(code), Outcome: audit.OK,
				Detail: "document=" + strconv.FormatInt(id, 10) + " returned_on=" + Date(d)})
		})
	}
	if err != nil {
		subject := subjectOf(code)
		if code == "" {
			subject = audit.Subject{Type: "nhi_document", ID: strconv.FormatInt(id, 10)}
		}
		return s.failed(ctx, tenant, action, subject, err)
	}
	return nil
}

// invalidateDocuments ends, on the loss date, every document of code still
// in force then (無効: the eligibility is lost).
func invalidateDocuments(ctx context.Context, w writer, code string, on time.Time) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO nhi_document_events (tenant_code, document_id, event, effective_on, recorded_at, recorded_by)
		SELECT d.tenant_code, d.id, 'invalidated', $3, $4, $5 FROM nhi_documents d WHERE d.tenant_code = $1 AND d.resident_code = $2
		AND (d.valid_until IS NULL OR d.valid_until >= $3)
		AND NOT EXISTS (SELECT 1 FROM nhi_document_events x WHERE x.tenant_code = d.tenant_code AND x.document_id = d.id)`,
		w.tenant, code, w.d(on), w.now, w.by)
	return err
}

// Documents lists every document issued to insured person code, the
// latest first, with what befell each: the issuance history. The read is
// an event.
func (s *Service) Documents(ctx context.Context, tenant, code string) ([]Document, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	docs, err := s.documents(ctx, tenant, code, 0)
	if err != nil {
		return nil, s.failed(ctx, tenant, "nhi.document.read", subjectOf(code), err)
	}
	if err := s.recordReads(ctx, tenant, "nhi.document.read", []string{code}, "documents="+strconv.Itoa(len(docs))); err != nil {
		return nil, err
	}
	return docs, nil
}

// documents reads code's documents (only document id when id is not 0).
func (s *Service) documents(ctx context.Context, tenant, code string, id int64) ([]Document, error) {
	today := s.today()
	var out []Document
	err := s.db.Read(ctx, func(q store.Querier) error {
		var err error
		out, err = store.Rows(func(row store.Scanner) (Document, error) {
			var d Document
			var until, delivered, from sql.NullTime
			var replaces, ratio, decision sql.NullInt64
			err := row.Scan(&d.ID, &d.ResidentCode, &d.Kind, &d.KindName, &d.InsuredNumber, &d.IssuedOn, &until, &d.Delivery, &delivered, &d.Reason,
				&replaces, &d.RecordedAt, &d.RecordedBy, &from, &ratio, &decision)
			d.IssuedOn, d.RecordedAt, d.Replaces = dateOnly(d.IssuedOn), d.RecordedAt.UTC(), replaces.Int64
			d.CostShareRatio, d.CostShareDecision = int(ratio.Int64), decision.Int64
			if from.Valid {
				d.ValidFrom = dateOnly(from.Time)
			}
			if until.Valid {
				d.ValidUntil = dateOnly(until.Time)
			}
			if delivered.Valid {
				d.DeliveredOn = dateOnly(delivered.Time)
			}
			return d, err
		})(q.Query(ctx, `SELECT d.id, d.resident_code, d.kind, k.name_ja, d.insured_number, d.issued_on, d.valid_until, d.delivery, d.delivered_on,
			d.reason, d.replaces, d.recorded_at, d.recorded_by, d.valid_from, d.cost_share_ratio, d.cost_share_decision FROM nhi_documents d JOIN nhi_document_kinds k ON k.kind = d.kind
			WHERE d.tenant_code = $1 AND d.resident_code = $2 AND ($3 = 0 OR d.id = $3) ORDER BY d.id DESC`, tenant, code, id))
		if err != nil {
			return err
		}
		for i := range out {
			d := &out[i]
			d.Events, err = store.Rows(func(row store.Scanner) (DocumentEvent, error) {
				var ev DocumentEvent
				err := row.Scan(&ev.Event, &ev.EffectiveOn, &ev.RecordedAt, &ev.RecordedBy)
				ev.EffectiveOn, ev.RecordedAt = dateOnly(ev.EffectiveOn), ev.RecordedAt.UTC()
				return ev, err
			})(q.Query(ctx, `SELECT event, effective_on, recorded_at, recorded_by FROM nhi_document_events WHERE tenant_code = $1 AND document_id = $2
				ORDER BY effective_on, id`, tenant, d.ID))
			if err != nil {
				return err
			}
			switch {
			case len(d.Events) > 0 && !d.Events[0].EffectiveOn.After(today):
				d.Status = d.Events[0].Event
			case !d.ValidUntil.IsZero() && d.ValidUntil.Before(today):
				d.Status = "expired"
			default:
				d.Status = "valid"
			}
		}
		return nil
	})
	return out, err
}

func ratioDetail(ratio, decision any) string {
	if ratio == nil {
		return ""
	}
	return " cost_share_ratio=" + strconv.Itoa(ratio.(int)) + " cost_share_decision=" + strconv.FormatInt(decision.(int64), 10)
}

// decisionFor is the 70–74 cost-share decision in force on on for the
// household code belongs to then, when it counts code among its members:
// of the decisions whose period covers the date, the latest to start,
// and of those the latest recorded.
func (s *Service) decisionFor(ctx context.Context, q store.Querier, tenant, code string, on time.Time) (Decision, bool, error) {
	e := s.db.Engine()
	hh, err := membershipOn(ctx, q, e, tenant, code, on)
	if err != nil || hh == 0 {
		return Decision{}, false, err
	}
	var d Decision
	var basis string
	err = q.QueryRow(ctx, `SELECT id, household_id, period_from, period_to, ratio, rule, rule_version, basis FROM nhi_cost_share_decisions
		WHERE tenant_code = $1 AND household_id = $2 AND period_from <= $3 AND period_to >= $3 ORDER BY period_from DESC, id DESC LIMIT 1`,
		tenant, hh, dateArg(e, on)).Scan(&d.ID, &d.Household, &d.PeriodFrom, &d.PeriodTo, &d.Ratio, &d.Rule, &d.RuleVersion, &basis)
	if err == sql.ErrNoRows {
		return Decision{}, false, nil
	} else if err != nil {
		return Decision{}, false, err
	}
	d.PeriodFrom, d.PeriodTo = dateOnly(d.PeriodFrom), dateOnly(d.PeriodTo)
	if err := json.Unmarshal([]byte(basis), &d.Basis); err != nil {
		return Decision{}, false, err
	}
	for _, m := range d.Basis.Members {
		if m.ResidentCode == code {
			return d, true, nil
		}
	}
	return Decision{}, false, nil
}
