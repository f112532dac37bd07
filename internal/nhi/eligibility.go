package nhi

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/review"
	"bango/internal/store"
)

// AcquisitionInput is an acquisition (資格取得) as typed into a form.
type AcquisitionInput struct {
	ResidentCode string `json:"resident_code"`
	AcquiredOn   string `json:"acquired_on"` // the date it takes effect
	Reason       string `json:"reason"`      // one of AcquireReasons
	NotifiedOn   string `json:"notified_on"` // 届出日
	// The household: an existing one (Household), or a new one with its
	// 記号 and head (NewKigo, NewHead; the head may be outside NHI, 擬制世帯主).
	Household int64  `json:"household,omitempty"`
	NewKigo   string `json:"new_kigo,omitempty"`
	NewHead   string `json:"new_head,omitempty"`
	// The insured number (番号, 2-digit 枝番), on the person's first
	// acquisition; a person insured before keeps theirs.
	Number string `json:"number,omitempty"`
	Branch string `json:"branch,omitempty"`
	// A period that has already ended, entered late: its loss.
	LostOn     string `json:"lost_on,omitempty"`
	LossReason string `json:"loss_reason,omitempty"`
}

// acquisition is a parsed AcquisitionInput, the payload of KindAcquire.
type acquisition struct {
	Code       string    `json:"code"`
	AcquiredOn time.Time `json:"acquired_on"`
	Reason     string    `json:"reason"`
	NotifiedOn time.Time `json:"notified_on"`
	Household  int64     `json:"household,omitempty"`
	NewKigo    string    `json:"new_kigo,omitempty"`
	NewHead    string    `json:"new_head,omitempty"`
	Number     string    `json:"number,omitempty"`
	Branch     string    `json:"branch,omitempty"`
	LostOn     time.Time `json:"lost_on,omitzero"`
	LossReason string    `json:"loss_reason,omitempty"`
}

func parseAcquisition(in AcquisitionInput) (acquisition, error) {
	var fe errs.FieldErrors
	a := acquisition{Code: residentField(&fe, "resident_code", in.ResidentCode), Household: in.Household,
		Number: strings.TrimSpace(in.Number), Branch: strings.TrimSpace(in.Branch)}
	dateField(&fe, "acquired_on", in.AcquiredOn, &a.AcquiredOn)
	a.Reason = reasonField(&fe, "reason", in.Reason, AcquireReasons)
	dateField(&fe, "notified_on", in.NotifiedOn, &a.NotifiedOn)
	newOne := strings.TrimSpace(in.NewKigo) != "" || strings.TrimSpace(in.NewHead) != ""
	switch {
	case in.Household != 0 && newOne, in.Household == 0 && !newOne:
		fe.Add("household", msgHouseholdChoice)
	case newOne:
		a.NewKigo = kigoField(&fe, "new_kigo", in.NewKigo)
		a.NewHead = residentField(&fe, "new_head", in.NewHead)
	}
	if a.Number != "" && !digits(a.Number, 1, 10) {
		fe.Add("number", msgNumber)
	}
	if a.Branch != "" && (!digits(a.Branch, 2, 2) || a.Branch == "00") {
		fe.Add("branch", msgBranch)
	}
	if strings.TrimSpace(in.LostOn) != "" || strings.TrimSpace(in.LossReason) != "" {
		dateField(&fe, "lost_on", in.LostOn, &a.LostOn)
		a.LossReason = reasonField(&fe, "loss_reason", in.LossReason, LossReasons)
	}
	return a, fe.Err()
}

// ProposeAcquisition checks an acquisition against the person's history
// and the household as they stand, and returns the maker's proposal: it
// holds only once another staff member confirms it (ApplyAcquisition). A
// resident of another municipality is not found; a refusal is an event.
func (s *Service) ProposeAcquisition(ctx context.Context, tenant string, in AcquisitionInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.acquire.propose"
	subject := subjectOf(strings.TrimSpace(in.ResidentCode))
	a, err := parseAcquisition(in)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			_, err := s.checkAcquisition(ctx, q, tenant, a)
			return err
		})
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return review.Proposal{}, err
	}
	where := "世帯 " + strconv.FormatInt(a.Household, 10)
	if a.Household == 0 {
		where = "新しい世帯（記号 " + a.NewKigo + "、世帯主 " + a.NewHead + "）"
	}
	return review.Proposal{Kind: KindAcquire, Subject: subject, Payload: payload,
		Summary: "国保資格の取得: 宛名番号 " + a.Code + " " + Date(a.AcquiredOn) + " " + a.Reason + " " + where}, nil
}

// acquisitionPlan is what a checked acquisition writes.
type acquisitionPlan struct {
	person       residentOf
	rule         noticeRule
	newInsured   bool
	birthday75   time.Time
	acquiredLate bool
	lossLate     bool
}

// checkAcquisition applies every rule of R-NHI-1 to a, reading through q
// (the proposer's read, or the confirming transaction).
func (s *Service) checkAcquisition(ctx context.Context, q store.Querier, tenant string, a acquisition) (acquisitionPlan, error) {
	e := s.db.Engine()
	today := s.today()
	var p acquisitionPlan
	var err error
	if err := store.TenantExists(ctx, q, tenant); err != nil {
		return p, err
	}
	if p.person, err = lookupResident(ctx, q, tenant, a.Code); err != nil {
		return p, err
	}
	if p.rule, err = loadNoticeRule(ctx, q, e, a.AcquiredOn); err != nil {
		return p, err
	}
	var fe errs.FieldErrors
	p.birthday75 = Birthday75(p.person.birth)
	if a.AcquiredOn.Before(p.person.birth) {
		fe.Add("acquired_on", msgBeforeBirth)
	}
	if !a.AcquiredOn.Before(p.birthday75) {
		fe.Add("acquired_on", msgAt75)
	}
	p.rule.dates(&fe, "acquired_on", a.AcquiredOn, a.NotifiedOn, today)
	p.acquiredLate = p.rule.late(a.AcquiredOn, a.NotifiedOn)
	end := time.Time{} // open
	if !a.LostOn.IsZero() {
		end = a.LostOn
		switch {
		case !a.LostOn.After(a.AcquiredOn):
			fe.Add("lost_on", msgLossBeforeAcquire)
		case a.LostOn.After(p.birthday75):
			fe.Add("lost_on", msgLossAfter75)
		case a.LostOn.After(today.AddDate(0, 0, p.rule.futureDays)):
			fe.Add("lost_on", msgFuture(p.rule.futureDays))
		}
		p.lossLate = p.rule.late(a.LostOn, a.NotifiedOn)
	}
	evs, err := personEvents(ctx, q, tenant, a.Code)
	if err != nil {
		return p, err
	}
	for _, per := range periods(evs) {
		if overlaps(a.AcquiredOn, end, per.AcquiredOn, per.LostOn) {
			fe.Add("acquired_on", msgOverlap)
			break
		}
	}
	// One household per person and date: the person may not head another.
	heads, err := headedBy(ctx, q, e, tenant, a.Code, a.AcquiredOn)
	if err != nil {
		return p, err
	}
	if slices.ContainsFunc(heads, func(h int64) bool { return h != a.Household }) {
		fe.Add("resident_code", msgTwoHouseholds)
	}
	if a.Household != 0 {
		if _, exists, err := headOn(ctx, q, e, tenant, a.Household, a.AcquiredOn); err != nil {
			return p, err
		} else if !exists {
			fe.Add("household", msgHouseholdMissing)
		} else if gone, err := dissolvedWithin(ctx, q, e, tenant, a.Household, a.AcquiredOn, end); err != nil {
			return p, err
		} else if gone {
			fe.Add("household", msgHouseholdMissing)
		}
	} else if a.NewHead != a.Code {
		if _, err := lookupResident(ctx, q, tenant, a.NewHead); err != nil {
			return p, err
		}
		if err := s.notElsewhere(ctx, q, tenant, a.NewHead, 0, a.AcquiredOn, "new_head", &fe); err != nil {
			return p, err
		}
	}
	number, branch, insured, err := insuredNumberOf(ctx, q, tenant, a.Code)
	if err != nil {
		return p, err
	}
	p.newInsured = !insured
	switch {
	case insured && (a.Number != "" && a.Number != number || a.Branch != "" && a.Branch != branch):
		fe.Add("number", errs.Message{JA: "この人の被保険者番号は既に " + number + "（枝番 " + branch + "）です",
			EN: "the person's insured number is already " + number + " (branch " + branch + ")"})
	case !insured && a.Number == "":
		fe.Add("number", msgRequired)
	case !insured && a.Branch == "":
		fe.Add("branch", msgRequired)
	case !insured:
		if holder, err := numberHolder(ctx, q, tenant, a.Number, a.Branch); err != nil {
			return p, err
		} else if holder != "" {
			fe.Add("number", msgNumberTaken)
			if len(fe.List) == 1 {
				fe.Kind = errs.Conflict
			}
		}
	}
	return p, fe.Err()
}

// overlaps reports whether [a1, a2) and [b1, b2) share a day; a zero end
// is open.
func overlaps(a1, a2, b1, b2 time.Time) bool {
	return (a2.IsZero() || b1.Before(a2)) && (b2.IsZero() || a1.Before(b2))
}

// notElsewhere adds a field error when code belongs to, or heads, a
// household other than hh on d (hh 0: any household).
func (s *Service) notElsewhere(ctx context.Context, q store.Querier, tenant, code string, hh int64, d time.Time, field string, fe *errs.FieldErrors) error {
	e := s.db.Engine()
	in, err := membershipOn(ctx, q, e, tenant, code, d)
	if err != nil {
		return err
	}
	heads, err := headedBy(ctx, q, e, tenant, code, d)
	if err != nil {
		return err
	}
	if in != 0 && in != hh || slices.ContainsFunc(heads, func(h int64) bool { return h != hh }) {
		fe.Add(field, msgTwoHouseholds)
	}
	return nil
}

// ApplyAcquisition applies a confirmed KindAcquire change inside the
// confirming transaction, checking it again against the data as it is
// now: the person's period, household membership, the household (when
// new, with its first version), the insured number, and the loss at the
// 75th birthday, scheduled — or applied at once when that day has come.
func (s *Service) ApplyAcquisition(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var a acquisition
	if err := openProposal(ctx, tx, tenant, payload, &a, "acquisition"); err != nil {
		return err
	}
	return s.applyAcquisition(ctx, tx, tenant, a)
}

// applyAcquisition checks a again inside tx and writes it (ApplyAcquisition,
// and a correction's corrected entry).
func (s *Service) applyAcquisition(ctx context.Context, tx *store.Tx, tenant string, a acquisition) error {
	p, err := s.checkAcquisition(ctx, tx, tenant, a)
	if err != nil {
		return err
	}
	w := writer{tx: tx, tenant: tenant, now: s.now().UTC(), by: actorOf(ctx)}
	hh := a.Household
	if hh == 0 {
		if hh, err = w.household(ctx, a.NewKigo); err != nil {
			return err
		}
		if err := w.version(ctx, hh, a.AcquiredOn, a.NewHead, "establish", 0, a.NotifiedOn, p.acquiredLate); err != nil {
			return err
		}
	}
	return s.writeAcquisition(ctx, w, hh, a, p)
}

// writeAcquisition writes a checked acquisition of a into household hh:
// the insured number on a first acquisition, the event, the membership,
// and the loss at the 75th birthday, scheduled or applied, with its audit
// event.
func (s *Service) writeAcquisition(ctx context.Context, w writer, hh int64, a acquisition, p acquisitionPlan) error {
	tx, tenant := w.tx, w.tenant
	if p.newInsured {
		if err := w.insured(ctx, a.Code, a.Number, a.Branch); err != nil {
			return err
		}
	}
	id, err := w.event(ctx, a.Code, "acquire", a.AcquiredOn, a.Reason, a.NotifiedOn, p.acquiredLate, "entry")
	if err != nil {
		return err
	}
	if err := w.member(ctx, a.Code, hh, a.AcquiredOn); err != nil {
		return err
	}
	detail := "household=" + strconv.FormatInt(hh, 10) + " acquired_on=" + Date(a.AcquiredOn) + " reason=" + a.Reason +
		" late=" + strconv.FormatBool(p.acquiredLate)
	// A period that has ended already: by the loss entered with it, or by
	// the 75th birthday passed before it was entered.
	lostOn, lossReason, notified, late, source := a.LostOn, a.LossReason, a.NotifiedOn, p.lossLate, "entry"
	if lostOn.IsZero() && !p.birthday75.After(s.today()) {
		lostOn, lossReason, notified, late, source = p.birthday75, LossLateElderly, p.birthday75, false, "birthday75"
	}
	if lostOn.IsZero() {
		if err := w.schedule(ctx, a.Code, id, p.birthday75, "scheduled"); err != nil {
			return err
		}
		detail += " birthday75_loss=" + Date(p.birthday75)
	} else {
		if _, err := w.event(ctx, a.Code, "loss", lostOn, lossReason, notified, late, source); err != nil {
			return err
		}
		members, err := membersOn(ctx, tx, tx.Engine(), tenant, hh, lostOn)
		if err != nil {
			return err
		}
		later, err := laterForHousehold(ctx, tx, tx.Engine(), tenant, hh, lostOn)
		if err != nil {
			return err
		}
		dissolve := !later && !slices.ContainsFunc(members, func(c string) bool { return c != a.Code })
		if err := s.leave(ctx, w, a.Code, hh, lostOn, "", notified, late, dissolve); err != nil {
			return err
		}
		if source == "birthday75" {
			if err := w.schedule(ctx, a.Code, id, p.birthday75, "applied"); err != nil {
				return err
			}
		}
		detail += " lost_on=" + Date(lostOn) + " loss_reason=" + lossReason + " household_dissolved=" + strconv.FormatBool(dissolve)
		if w.redecided != nil {
			*w.redecided = append(*w.redecided, lostOn)
		} else if err := s.redecide(ctx, tx, tenant, lostOn, []int64{hh}, CauseHousehold, "loss of "+a.Code+" reason="+lossReason); err != nil {
			return err
		}
	}
	if w.redecided != nil {
		*w.redecided = append(*w.redecided, a.AcquiredOn)
	} else if err := s.redecide(ctx, tx, tenant, a.AcquiredOn, []int64{hh}, CauseHousehold, "acquisition of "+a.Code+" household="+strconv.FormatInt(hh, 10)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "nhi.acquire", Subject: subjectOf(a.Code), Outcome: audit.OK, Detail: detail})
}

// LossInput is a loss (資格喪失) as typed into a form.
type LossInput struct {
	ResidentCode string `json:"resident_code"`
	LostOn       string `json:"lost_on"` // the first day without NHI
	Reason       string `json:"reason"`  // one of LossReasons
	NotifiedOn   string `json:"notified_on"`
	// NewHead is the household's next head, needed when the head dies or
	// moves away while insured members remain.
	NewHead string `json:"new_head,omitempty"`
}

type loss struct {
	Code       string    `json:"code"`
	LostOn     time.Time `json:"lost_on"`
	Reason     string    `json:"reason"`
	NotifiedOn time.Time `json:"notified_on"`
	NewHead    string    `json:"new_head,omitempty"`
}

func parseLoss(in LossInput) (loss, error) {
	var fe errs.FieldErrors
	l := loss{Code: residentField(&fe, "resident_code", in.ResidentCode)}
	dateField(&fe, "lost_on", in.LostOn, &l.LostOn)
	l.Reason = reasonField(&fe, "reason", in.Reason, LossReasons)
	dateField(&fe, "notified_on", in.NotifiedOn, &l.NotifiedOn)
	if strings.TrimSpace(in.NewHead) != "" {
		l.NewHead = residentField(&fe, "new_head", in.NewHead)
	}
	return l, fe.Err()
}

// ProposeLoss checks a loss and returns the maker's proposal (ApplyLoss
// applies it once confirmed).
func (s *Service) ProposeLoss(ctx context.Context, tenant string, in LossInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.loss.propose"
	subject := subjectOf(strings.TrimSpace(in.ResidentCode))
	l, err := parseLoss(in)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			_, err := s.checkLoss(ctx, q, tenant, l)
			return err
		})
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return review.Proposal{}, err
	}
	return review.Proposal{Kind: KindLoss, Subject: subject, Payload: payload,
		Summary: "国保資格の喪失: 宛名番号 " + l.Code + " " + Date(l.LostOn) + " " + l.Reason}, nil
}

type lossPlan struct {
	household int64
	remaining []string // the other members on the loss date
	dissolve  bool
	late      bool
}

var msgHeadNotNeeded = errs.Message{JA: "世帯主が世帯を離れる場合（死亡・転出）のみ指定します", EN: "is named only when the head leaves the household (death, moving out)"}

func (s *Service) checkLoss(ctx context.Context, q store.Querier, tenant string, l loss) (lossPlan, error) {
	e := s.db.Engine()
	var p lossPlan
	if err := store.TenantExists(ctx, q, tenant); err != nil {
		return p, err
	}
	person, err := lookupResident(ctx, q, tenant, l.Code)
	if err != nil {
		return p, err
	}
	rule, err := loadNoticeRule(ctx, q, e, l.LostOn)
	if err != nil {
		return p, err
	}
	var fe errs.FieldErrors
	rule.dates(&fe, "lost_on", l.LostOn, l.NotifiedOn, s.today())
	p.late = rule.late(l.LostOn, l.NotifiedOn)
	if l.LostOn.Before(person.birth) {
		fe.Add("lost_on", msgBeforeBirth)
	}
	if l.LostOn.After(Birthday75(person.birth)) {
		fe.Add("lost_on", msgLossAfter75)
	}
	evs, err := personEvents(ctx, q, tenant, l.Code)
	if err != nil {
		return p, err
	}
	ps := periods(evs)
	switch {
	case len(ps) == 0 || l.LostOn.Before(ps[0].AcquiredOn):
		fe.Add("lost_on", msgNotInsured)
	case !ps[len(ps)-1].LostOn.IsZero():
		last := ps[len(ps)-1]
		if l.LostOn.Before(last.LostOn) && !l.LostOn.Before(last.AcquiredOn) {
			fe.Add("lost_on", msgLaterRecords) // already lost later: a correction, not a loss
		} else {
			fe.Add("lost_on", msgNotInsured)
		}
	case !l.LostOn.After(ps[len(ps)-1].AcquiredOn):
		fe.Add("lost_on", msgLossBeforeAcquire)
	}
	if err := fe.Err(); err != nil {
		return p, err
	}
	if later, err := laterForPerson(ctx, q, e, tenant, l.Code, l.LostOn); err != nil {
		return p, err
	} else if later {
		fe.Add("lost_on", msgLaterRecords)
	}
	if p.household, err = membershipOn(ctx, q, e, tenant, l.Code, l.LostOn); err != nil {
		return p, err
	}
	head, _, err := headOn(ctx, q, e, tenant, p.household, l.LostOn)
	if err != nil {
		return p, err
	}
	members, err := membersOn(ctx, q, e, tenant, p.household, l.LostOn)
	if err != nil {
		return p, err
	}
	p.remaining = slices.DeleteFunc(members, func(c string) bool { return c == l.Code })
	leaves := head == l.Code && (l.Reason == LossDeath || l.Reason == LossMoveOut)
	switch {
	case l.NewHead != "" && !leaves:
		fe.Add("new_head", msgHeadNotNeeded)
	case leaves && len(p.remaining) > 0 && l.NewHead == "":
		fe.Add("new_head", msgHeadNeeded)
	case l.NewHead != "":
		if _, err := lookupResident(ctx, q, tenant, l.NewHead); err != nil {
			return p, err
		}
		if err := s.notElsewhere(ctx, q, tenant, l.NewHead, p.household, l.LostOn, "new_head", &fe); err != nil {
			return p, err
		}
	}
	if len(p.remaining) == 0 {
		later, err := laterForHousehold(ctx, q, e, tenant, p.household, l.LostOn)
		if err != nil {
			return p, err
		}
		p.dissolve = !later
	} else if l.NewHead != "" {
		if later, err := laterForHousehold(ctx, q, e, tenant, p.household, l.LostOn); err != nil {
			return p, err
		} else if later {
			fe.Add("new_head", msgLaterRecords)
		}
	}
	return p, fe.Err()
}

// ApplyLoss applies a confirmed KindLoss change inside the confirming
// transaction: the loss, the person leaving the household, a new head if
// named, the household dissolved when no insured member is left, and the
// 75th-birthday loss no longer needed.
func (s *Service) ApplyLoss(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var l loss
	if err := openProposal(ctx, tx, tenant, payload, &l, "loss"); err != nil {
		return err
	}
	return s.applyLoss(ctx, tx, tenant, l)
}

// applyLoss checks l again inside tx and writes it (ApplyLoss, and a
// correction's corrected entry).
func (s *Service) applyLoss(ctx context.Context, tx *store.Tx, tenant string, l loss) error {
	p, err := s.checkLoss(ctx, tx, tenant, l)
	if err != nil {
		return err
	}
	w := writer{tx: tx, tenant: tenant, now: s.now().UTC(), by: actorOf(ctx)}
	if _, err := w.event(ctx, l.Code, "loss", l.LostOn, l.Reason, l.NotifiedOn, p.late, "entry"); err != nil {
		return err
	}
	if err := s.leave(ctx, w, l.Code, p.household, l.LostOn, l.NewHead, l.NotifiedOn, p.late, p.dissolve); err != nil {
		return err
	}
	detail := "household=" + strconv.FormatInt(p.household, 10) + " lost_on=" + Date(l.LostOn) + " reason=" + l.Reason + " late=" + strconv.FormatBool(p.late)
	if l.NewHead != "" {
		detail += " new_head=" + l.NewHead
	}
	if p.dissolve {
		detail += " household_dissolved=true"
	}
	if err := s.redecide(ctx, tx, tenant, l.LostOn, []int64{p.household}, CauseHousehold, "loss of "+l.Code+" reason="+l.Reason); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "nhi.loss", Subject: subjectOf(l.Code), Outcome: audit.OK, Detail: detail})
}

// leave writes what follows a loss: the person out of the household, the
// new head, the household dissolved, the person's documents invalidated
// (R-NHI-2), and the scheduled 75th-birthday loss superseded.
func (s *Service) leave(ctx context.Context, w writer, code string, hh int64, on time.Time, newHead string, notified time.Time, late, dissolve bool) error {
	if err := w.member(ctx, code, 0, on); err != nil {
		return err
	}
	if err := invalidateDocuments(ctx, w, code, on); err != nil {
		return err
	}
	if newHead != "" {
		if err := w.version(ctx, hh, on, newHead, "head_change", 0, notified, late); err != nil {
			return err
		}
	}
	if dissolve && hh != 0 {
		if err := w.version(ctx, hh, on, "", "dissolve", 0, notified, late); err != nil {
			return err
		}
	}
	_, err := w.tx.Exec(ctx, `UPDATE nhi_scheduled_losses SET status = 'superseded', decided_at = $1
		WHERE tenant_code = $2 AND resident_code = $3 AND status = 'scheduled' AND due_date >= $4`, w.now, w.tenant, code, w.d(on))
	return err
}
