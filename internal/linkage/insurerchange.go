package linkage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/review"
	"bango/internal/store"
)

// KindInsurer is the maker–checker kind of a new 保険者番号 filed on the
// insurer page or through the API.
//
// The number is a control like a schedule: every eligibility-continuity
// file carries it, and the aggregation system files what it receives
// under it. A wrong number sends the municipality's data under another
// insurer's name, so a number filed by a linkage operator takes effect
// only when another person holding review.confirm in the municipality
// confirms it (R-ACC-1). `bango linkage insurer set` on the server stays
// direct: the IS department's setup, recorded the same way.
const KindInsurer = "linkage.insurer"

// InsurerChange is a new number and the day it is in force from, as
// filed: the day as YYYY-MM-DD.
type InsurerChange struct {
	Number string `json:"insurer_no"`
	From   string `json:"effective_from"`
}

// ProposeInsurerNumber files tenant's new insurer number for a second
// person's confirmation. Refused at once, by field: a number that is not
// six digits, a day that is not a date, a day before today when a number
// is already configured (what files already carried must stay explained:
// a correction is a number from a day to come), a day that already has a
// number, and the number already in force on that day.
func (s *Service) ProposeInsurerNumber(ctx context.Context, maker identity.User, tenant string, ch InsurerChange) (review.Change, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "linkage.insurer.propose"
	subject := audit.Subject{Type: "nhi_insurer_number", ID: tenant}
	if s.reviews == nil {
		return review.Change{}, errs.E(errs.Internal, "linkage: an insurer number change needs the review engine")
	}
	number := strings.TrimSpace(ch.Number)
	var fe errs.FieldErrors
	if !insurerNo(number) {
		fe.Add("insurer", errs.Message{JA: "保険者番号は6桁の数字です", EN: "the insurer number is six digits"})
	}
	from, perr := time.Parse(time.DateOnly, strings.TrimSpace(ch.From))
	switch {
	case strings.TrimSpace(ch.From) == "":
		fe.Add("from", errs.Message{JA: "適用開始日を入力してください", EN: "give the day it is in force from"})
	case perr != nil:
		fe.Add("from", errs.Message{JA: "適用開始日は年-月-日（例: 2027-04-01）の実在する日付です", EN: "the day it is in force from is a real date, YYYY-MM-DD"})
	}
	err := fe.Err()
	var cur []InsurerNumber
	if err == nil {
		cur, err = s.InsurerNumbers(ctx, tenant)
	}
	today := civil(s.now().In(jst))
	var before InsurerNumber // the number in force on the day, if any
	if err == nil {
		for _, n := range cur {
			if !n.From.After(from) {
				before = n
			}
		}
		switch {
		case len(cur) > 0 && from.Before(today):
			fe.Add("from", errs.Message{JA: "保険者番号が設定済みのため、適用開始日は今日以降の日付です（送信済みのファイルの番号を変えないため）",
				EN: "a number is configured already: the new one is in force from today or a later day (files already sent keep theirs)"})
			err = fe.Err()
		case before.From.Equal(from) && before.Number != "":
			err = errInsurerDayTaken(InsurerNumber{Tenant: tenant, From: from})
		case before.Number == number:
			err = errs.Tell(errs.Invalid, errs.Message{JA: "その日にはすでにこの保険者番号が適用されています。", EN: "That number is in force on that day already."},
				"insurer number %s already in force on %s", number, from.Format(time.DateOnly))
		}
	}
	if err != nil {
		return review.Change{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	in := InsurerNumber{Tenant: tenant, Number: number, From: from}
	payload, _ := json.Marshal(in)
	was := "未設定"
	if before.Number != "" {
		was = fmt.Sprintf("%s（%sから）", before.Number, before.From.Format("2006年1月2日"))
	}
	return s.reviews.Submit(ctx, maker, tenant, review.Proposal{Kind: KindInsurer, Subject: subject,
		Summary: fmt.Sprintf("保険者番号: %s → %s（%sから）", was, number, from.Format("2006年1月2日")), Payload: payload})
}

// applyInsurer keeps a confirmed number inside the confirming
// transaction, checked again; a number from the same day kept meanwhile
// (by the command) refuses it.
func (s *Service) applyInsurer(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var in InsurerNumber
	if err := json.Unmarshal(payload, &in); err != nil {
		return errs.Wrap(errs.Internal, err, "linkage: insurer number change payload")
	}
	if in.Tenant != tenant {
		return errs.E(errs.Internal, "linkage: an insurer number of %s confirmed in %s", in.Tenant, tenant)
	}
	if err := checkInsurer(in.Number, in.From); err != nil {
		return err
	}
	in.From, in.CreatedAt, in.CreatedBy = civil(in.From), s.now().UTC(), actorOf(ctx)
	return insertInsurer(ctx, tx, in, "review")
}

// PendingInsurer is a new insurer number filed and waiting for its
// checker: the review change, what it changes from and to, who filed it
// and when.
type PendingInsurer struct {
	Change  int64     `json:"change"`
	Summary string    `json:"summary"`
	Maker   string    `json:"maker"`
	MadeAt  time.Time `json:"made_at"`
}

// PendingInsurerNumber is tenant's insurer number change waiting for its
// checker (one at a time), or nil: the insurer page shows it beside the
// numbers in force.
func (s *Service) PendingInsurerNumber(ctx context.Context, tenant string) (*PendingInsurer, error) {
	list, err := s.pendingChanges(ctx, tenant, KindInsurer, "nhi_insurer_number")
	if err != nil || len(list) == 0 {
		return nil, err
	}
	p := list[len(list)-1]
	return &PendingInsurer{Change: p.Change, Summary: p.Summary, Maker: p.Maker, MadeAt: p.MadeAt}, nil
}
