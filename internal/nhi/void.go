package nhi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/review"
	"bango/internal/store"
)

// 訂正・取消 (R-NHI-1, R-ACC-1): a recorded acquisition or loss found wrong
// is voided, never deleted or overwritten. The event and the membership
// and household-version rows its entry wrote (the same entry: the same
// person, date and time of recording) are marked voided with when, by
// whom, the confirmed change and the reason, and every read of the record
// skips them (a read as known at an earlier date still shows them). A
// correction (訂正) is a void and the right entry in one change: the
// right entry is checked by the rules of an acquisition or a loss against
// the record with the wrong one voided, and a refusal of either writes
// nothing. Only a person's latest entry is voided, so that nothing
// recorded after it rests on it; an earlier one is reached by voiding the
// later ones first. The households touched are decided again (cost share)
// from the date.

// VoidInput is a void (取消) or correction (訂正) as typed into a form.
type VoidInput struct {
	ResidentCode string `json:"resident_code"`
	Event        int64  `json:"event"`       // the eligibility event voided (its ID in the person's history)
	Reason       string `json:"void_reason"` // why it is voided
	// A correction names the right entry, of the event's kind; neither is
	// a void.
	Acquisition *AcquisitionInput `json:"acquisition,omitempty"`
	Loss        *LossInput        `json:"loss,omitempty"`
}

// voiding is a parsed VoidInput, the payload of KindVoid and KindCorrect.
type voiding struct {
	Code        string       `json:"code"`
	Event       int64        `json:"event"`
	Reason      string       `json:"reason"`
	Acquisition *acquisition `json:"acquisition,omitempty"`
	Loss        *loss        `json:"loss,omitempty"`
}

func (v voiding) kind() string {
	if v.Acquisition != nil || v.Loss != nil {
		return KindCorrect
	}
	return KindVoid
}

var (
	msgEventUnknown    = errs.Message{JA: "この人の資格の記録にありません", EN: "is not an eligibility entry of this person"}
	msgVoidedAlready   = errs.Message{JA: "既に取り消されています", EN: "is voided already"}
	msgVoidAutomatic   = errs.Message{JA: "75歳到達による自動の喪失は取り消せません", EN: "the loss at the 75th birthday is applied by the daily job and cannot be voided"}
	msgVoidLatestOnly  = errs.Message{JA: "この人のより新しい記録があります。新しい記録から順に取り消してください", EN: "a later entry of this person exists: void the later entries first"}
	msgVoidHeadless    = errs.Message{JA: "取り消すと世帯主のいない国保世帯が残ります（世帯の他の被保険者を先に取り消すか訂正してください）", EN: "voiding it would leave an NHI household without a head on a date it has members"}
	msgCorrectKind     = errs.Message{JA: "訂正後の記録は取り消す記録と同じ種類（取得または喪失）です", EN: "the corrected entry must be of the voided entry's kind (acquisition or loss)"}
	msgVoidReasonLong  = errs.Message{JA: "200文字以内で入力してください", EN: "must be at most 200 characters"}
	errVoidTrial       = errors.New("nhi: void tried")
	voidSetColumns     = `voided_at = $3, voided_by = $4, void_change = $5, void_reason = $6`
	voidRecordedAtOfEv = `(SELECT recorded_at FROM nhi_eligibility_events WHERE tenant_code = $1 AND id = $7)`
)

func parseVoid(in VoidInput) (voiding, error) {
	var fe errs.FieldErrors
	v := voiding{Code: residentField(&fe, "resident_code", in.ResidentCode), Event: in.Event, Reason: strings.TrimSpace(in.Reason)}
	if in.Event <= 0 {
		fe.Add("event", msgRequired)
	}
	switch {
	case v.Reason == "":
		fe.Add("void_reason", msgRequired)
	case utf8.RuneCountInString(v.Reason) > 200:
		fe.Add("void_reason", msgVoidReasonLong)
	case strings.IndexFunc(v.Reason, unicode.IsControl) >= 0 || !utf8.ValidString(v.Reason):
		fe.Add("void_reason", msgNoControls)
	case mynumber.Holds(v.Reason):
		fe.Add("void_reason", mynumber.InFreeText)
	}
	switch {
	case in.Acquisition != nil && in.Loss != nil:
		fe.Add("event", msgCorrectKind)
	case in.Acquisition != nil:
		a := *in.Acquisition
		a.ResidentCode = v.Code // the same person
		p, err := parseAcquisition(a)
		for _, f := range errs.Fields(err) {
			fe.Add(f.Field, f.Reason)
		}
		v.Acquisition = &p
	case in.Loss != nil:
		l := *in.Loss
		l.ResidentCode = v.Code
		p, err := parseLoss(l)
		for _, f := range errs.Fields(err) {
			fe.Add(f.Field, f.Reason)
		}
		v.Loss = &p
	}
	return v, fe.Err()
}

// ProposeVoid checks a void or correction — by doing it in a transaction
// that is rolled back, so that the corrected record is checked by the
// same rules as on confirmation — and returns the maker's proposal
// (KindVoid, or KindCorrect with a corrected entry): it holds only once
// another staff member confirms it (ApplyVoid). A refusal names the field
// and is an event; nothing waits.
func (s *Service) ProposeVoid(ctx context.Context, tenant string, in VoidInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	v, err := parseVoid(in)
	action := "nhi.void.propose"
	if v.kind() == KindCorrect {
		action = "nhi.correct.propose"
	}
	subject := subjectOf(strings.TrimSpace(in.ResidentCode))
	var ev voidedEvent
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			if err := lockTenant(ctx, tx, tenant); err != nil {
				return err
			}
			var err error
			if ev, err = s.applyVoid(ctx, tx, tenant, v); err != nil {
				return err
			}
			return errVoidTrial // nothing of the trial is kept
		})
		if errors.Is(err, errVoidTrial) {
			err = nil
		}
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return review.Proposal{}, err
	}
	what := "取得"
	if ev.kind == "loss" {
		what = "喪失"
	}
	summary := "国保資格の記録の取消: 宛名番号 " + v.Code + " " + what + " " + Date(ev.on) + "（" + v.Reason + "）"
	switch {
	case v.Acquisition != nil:
		summary = "国保資格の記録の訂正: 宛名番号 " + v.Code + " 取得 " + Date(ev.on) + " → " + Date(v.Acquisition.AcquiredOn) + " " + v.Acquisition.Reason + "（" + v.Reason + "）"
	case v.Loss != nil:
		summary = "国保資格の記録の訂正: 宛名番号 " + v.Code + " 喪失 " + Date(ev.on) + " → " + Date(v.Loss.LostOn) + " " + v.Loss.Reason + "（" + v.Reason + "）"
	}
	return review.Proposal{Kind: v.kind(), Subject: subject, Payload: payload, Summary: summary}, nil
}

// ApplyVoid applies a confirmed KindVoid or KindCorrect change inside the
// confirming transaction, checking it again against the record as it is
// now.
func (s *Service) ApplyVoid(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var v voiding
	if err := openProposal(ctx, tx, tenant, payload, &v, "void"); err != nil {
		return err
	}
	_, err := s.applyVoid(ctx, tx, tenant, v)
	return err
}

// voidedEvent is the event a void names, as recorded.
type voidedEvent struct {
	code, kind, source string
	on                 time.Time
	voided             sql.NullTime
}

// applyVoid voids v's event and the rows its entry wrote inside tx,
// checks the record left, writes the corrected entry if any (checked by
// its own rules against that record), undoes what the entry scheduled,
// decides the households again and records the event. Any refusal is
// returned before the transaction commits, so nothing is written.
func (s *Service) applyVoid(ctx context.Context, tx *store.Tx, tenant string, v voiding) (voidedEvent, error) {
	e := tx.Engine()
	var ev voidedEvent
	if err := store.TenantExists(ctx, tx, tenant); err != nil {
		return ev, err
	}
	if _, err := lookupResident(ctx, tx, tenant, v.Code); err != nil {
		return ev, err
	}
	var fe errs.FieldErrors
	err := tx.QueryRow(ctx, `SELECT resident_code, kind, source, effective_date, voided_at FROM nhi_eligibility_events WHERE tenant_code = $1 AND id = $2`,
		tenant, v.Event).Scan(&ev.code, &ev.kind, &ev.source, &ev.on, &ev.voided)
	ev.on = dateOnly(ev.on)
	switch {
	case err == sql.ErrNoRows || err == nil && ev.code != v.Code:
		fe.Add("event", msgEventUnknown)
		return ev, fe.Err()
	case err != nil:
		return ev, store.Translate(err)
	case ev.voided.Valid:
		fe.Add("event", msgVoidedAlready)
	case ev.source != "entry":
		fe.Add("event", msgVoidAutomatic)
	case v.Acquisition != nil && ev.kind != "acquire", v.Loss != nil && ev.kind != "loss":
		fe.Add("event", msgCorrectKind)
	}
	if err := fe.Err(); err != nil {
		return ev, err
	}
	evs, err := personEvents(ctx, tx, tenant, v.Code)
	if err != nil {
		return ev, err
	}
	if len(evs) == 0 || evs[len(evs)-1].ID != v.Event {
		fe.Add("event", msgVoidLatestOnly)
	} else if later, err := laterForPerson(ctx, tx, e, tenant, v.Code, ev.on); err != nil {
		return ev, err
	} else if later {
		fe.Add("event", msgLaterRecords)
	}
	if err := fe.Err(); err != nil {
		return ev, err
	}
	// The households the entry touched: the person's the day before
	// (left by a loss) and on the day (joined by an acquisition).
	var households []int64
	for _, d := range []time.Time{ev.on.AddDate(0, 0, -1), ev.on} {
		hh, err := membershipOn(ctx, tx, e, tenant, v.Code, d)
		if err != nil {
			return ev, err
		}
		if hh != 0 {
			households = append(households, hh)
		}
	}
	w := writer{tx: tx, tenant: tenant, now: s.now().UTC(), by: actorOf(ctx)}
	var change any
	if id, ok := review.ChangeOf(ctx); ok {
		change = id
	}
	args := []any{tenant, v.Code, w.now, w.by, change, v.Reason, v.Event, w.d(ev.on)}
	// The memberships and versions first: they are found by the event's
	// time of recording, read from its row.
	if _, err := tx.Exec(ctx, `UPDATE nhi_memberships SET `+voidSetColumns+` WHERE tenant_code = $1 AND resident_code = $2
		AND valid_from = $8 AND recorded_at = `+voidRecordedAtOfEv+` AND voided_at IS NULL`, args...); err != nil {
		return ev, store.Translate(err)
	}
	for _, hh := range households {
		vargs := append([]any{tenant, hh}, args[2:]...)
		if _, err := tx.Exec(ctx, `UPDATE nhi_household_versions SET `+voidSetColumns+` WHERE tenant_code = $1 AND household_id = $2
			AND valid_from = $8 AND recorded_at = `+voidRecordedAtOfEv+` AND voided_at IS NULL`, vargs...); err != nil {
			return ev, store.Translate(err)
		}
	}
	// What the entry scheduled or ended: an acquisition's 75th-birthday
	// loss is not due any more and documents issued on it end; a loss's
	// superseded schedule is due again.
	if ev.kind == "acquire" {
		if _, err := tx.Exec(ctx, `UPDATE nhi_scheduled_losses SET status = 'superseded', decided_at = $3
			WHERE tenant_code = $1 AND acquired_id = $2 AND status = 'scheduled'`, tenant, v.Event, w.now); err != nil {
			return ev, store.Translate(err)
		}
		if err := invalidateDocuments(ctx, w, v.Code, ev.on); err != nil {
			return ev, err
		}
	} else if _, err := tx.Exec(ctx, `UPDATE nhi_scheduled_losses SET status = 'scheduled', decided_at = NULL
		WHERE tenant_code = $1 AND resident_code = $2 AND status = 'superseded'
		AND decided_at = (SELECT recorded_at FROM nhi_eligibility_events WHERE tenant_code = $1 AND id = $3)`,
		tenant, v.Code, v.Event); err != nil {
		return ev, store.Translate(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE nhi_eligibility_events SET `+voidSetColumns+` WHERE tenant_code = $1 AND resident_code = $2 AND id = $7`,
		args[:7]...); err != nil {
		return ev, store.Translate(err)
	}
	// The record left: every household touched has its head on each date
	// a member belongs to it.
	for _, hh := range households {
		var headless int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM nhi_memberships m WHERE m.tenant_code = $1 AND m.household_id = $2 AND m.voided_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM nhi_household_versions v WHERE v.tenant_code = m.tenant_code AND v.household_id = m.household_id
				AND v.valid_from <= m.valid_from AND v.voided_at IS NULL)`, tenant, hh).Scan(&headless); err != nil {
			return ev, store.Translate(err)
		}
		if headless > 0 {
			fe.Add("event", msgVoidHeadless)
			return ev, fe.Err()
		}
	}
	detail := "event=" + strconv.FormatInt(v.Event, 10) + " kind=" + ev.kind + " effective_on=" + Date(ev.on)
	if id, ok := change.(int64); ok {
		detail += " change=" + strconv.FormatInt(id, 10)
	}
	// The corrected entry, checked against the record without the wrong
	// one; it decides its own households again from its date.
	switch {
	case v.Acquisition != nil:
		if err := s.applyAcquisition(ctx, tx, tenant, *v.Acquisition); err != nil {
			return ev, err
		}
		detail += " corrected_on=" + Date(v.Acquisition.AcquiredOn)
	case v.Loss != nil:
		if err := s.applyLoss(ctx, tx, tenant, *v.Loss); err != nil {
			return ev, err
		}
		detail += " corrected_on=" + Date(v.Loss.LostOn)
	}
	if err := s.redecide(ctx, tx, tenant, ev.on, households, CauseHousehold, "void of event "+strconv.FormatInt(v.Event, 10)+" of "+v.Code); err != nil {
		return ev, err
	}
	action := "nhi.void"
	if v.kind() == KindCorrect {
		action = "nhi.correct"
	}
	return ev, audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(v.Code), Outcome: audit.OK,
		Detail: detail + " void_reason=" + v.Reason})
}
