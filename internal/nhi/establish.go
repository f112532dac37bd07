package nhi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/review"
	"bango/internal/store"
)

// HouseholdInput is a new NHI household as typed into one form: its 記号,
// its head (who may be outside NHI, 擬制世帯主), the 番号 its members
// insured for the first time share, the notification date, and each
// insured member with their own acquisition and 枝番. It is one entry for
// a checker: every member is acquired, or none. With Household (and no
// 記号 or head) the members join that existing household instead.
type HouseholdInput struct {
	Household  int64         `json:"household,omitempty"`
	NewKigo    string        `json:"new_kigo,omitempty"`
	NewHead    string        `json:"new_head,omitempty"`
	Number     string        `json:"number,omitempty"`
	NotifiedOn string        `json:"notified_on"`
	Members    []MemberInput `json:"members"`
}

// MemberInput is one insured member of a new household.
type MemberInput struct {
	ResidentCode string `json:"resident_code"`
	AcquiredOn   string `json:"acquired_on"`
	Reason       string `json:"reason"` // one of AcquireReasons
	// Branch is the 2-digit 枝番, on the person's first acquisition; a
	// person insured before keeps their number.
	Branch string `json:"branch,omitempty"`
}

// MaxMembers is the most insured members one new-household entry takes.
const MaxMembers = 20

// establishment is a parsed HouseholdInput, the payload of KindEstablish:
// one acquisition per member into the same new household.
type establishment struct {
	Household int64         `json:"household,omitempty"` // an existing household the members join
	Kigo      string        `json:"kigo,omitempty"`
	Head      string        `json:"head,omitempty"`
	Members   []acquisition `json:"members"`
}

// memberField names field of member i as errors name it:
// members[0].acquired_on.
func memberField(i int, field string) string {
	return "members[" + strconv.Itoa(i) + "]." + field
}

var (
	msgNoMember     = errs.Message{JA: "被保険者を1人以上入力してください", EN: "enter at least one insured member"}
	msgTooMany      = errs.Message{JA: "一度に入力できる被保険者は " + strconv.Itoa(MaxMembers) + " 人までです", EN: "at most " + strconv.Itoa(MaxMembers) + " insured members in one entry"}
	msgSamePerson   = errs.Message{JA: "同じ人が二度入力されています", EN: "the same person is entered twice"}
	msgSameBranch   = errs.Message{JA: "ほかの世帯員と同じ枝番です（枝番は一人ずつ異なります）", EN: "another member has this 枝番 (each member's branch is their own)"}
	msgNoResident   = errs.Message{JA: "この宛名番号の住民はいません", EN: "no resident has this code"}
	householdFields = map[string]bool{"new_kigo": true, "new_head": true, "household": true, "notified_on": true, "number": true}
)

func parseEstablishment(in HouseholdInput) (establishment, error) {
	var fe errs.FieldErrors
	e := establishment{Household: in.Household}
	switch newOne := strings.TrimSpace(in.NewKigo) != "" || strings.TrimSpace(in.NewHead) != ""; {
	case in.Household < 0, in.Household != 0 && newOne:
		fe.Add("household", msgHouseholdChoice)
	case in.Household == 0:
		e.Kigo, e.Head = kigoField(&fe, "new_kigo", in.NewKigo), residentField(&fe, "new_head", in.NewHead)
	}
	var notified time.Time
	dateField(&fe, "notified_on", in.NotifiedOn, &notified)
	number := strings.TrimSpace(in.Number)
	if number != "" && !digits(number, 1, 10) {
		fe.Add("number", msgNumber)
	}
	switch {
	case len(in.Members) == 0:
		fe.Add(memberField(0, "resident_code"), msgNoMember)
	case len(in.Members) > MaxMembers:
		fe.Add("members", msgTooMany)
	}
	codes, branches := map[string]bool{}, map[string]bool{}
	for i, m := range in.Members {
		a := acquisition{Code: residentField(&fe, memberField(i, "resident_code"), m.ResidentCode), NotifiedOn: notified,
			Household: e.Household, NewKigo: e.Kigo, NewHead: e.Head, Number: number, Branch: strings.TrimSpace(m.Branch)}
		dateField(&fe, memberField(i, "acquired_on"), m.AcquiredOn, &a.AcquiredOn)
		a.Reason = reasonField(&fe, memberField(i, "reason"), m.Reason, AcquireReasons)
		if a.Branch != "" && (!digits(a.Branch, 2, 2) || a.Branch == "00") {
			fe.Add(memberField(i, "branch"), msgBranch)
		}
		if a.Code != "" && codes[a.Code] {
			fe.Add(memberField(i, "resident_code"), msgSamePerson)
		}
		if a.Branch != "" && branches[a.Branch] {
			fe.Add(memberField(i, "branch"), msgSameBranch)
		}
		codes[a.Code], branches[a.Branch] = true, true
		e.Members = append(e.Members, a)
	}
	return e, fe.Err()
}

// ProposeHousehold checks a new household with all its members against
// every rule of a single acquisition, member by member, and returns the
// maker's proposal: nothing holds until another staff member confirms it
// (ApplyHousehold), and then every member is acquired at once. A refusal
// is an event for each member named.
func (s *Service) ProposeHousehold(ctx context.Context, tenant string, in HouseholdInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	e, err := parseEstablishment(in)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			_, _, err := s.checkEstablishment(ctx, q, tenant, e)
			return err
		})
	}
	if err != nil {
		for _, m := range in.Members[:min(len(in.Members), MaxMembers)] { // an event per member named, not per line of a flood
			s.failed(ctx, tenant, "nhi.acquire.propose", subjectOf(strings.TrimSpace(m.ResidentCode)), err)
		}
		if len(in.Members) == 0 {
			s.failed(ctx, tenant, "nhi.acquire.propose", subjectOf(strings.TrimSpace(in.NewHead)), err)
		}
		return review.Proposal{}, err
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return review.Proposal{}, err
	}
	codes := make([]string, len(e.Members))
	for i, m := range e.Members {
		codes[i] = m.Code
	}
	where := "国保世帯の新規（記号 " + e.Kigo + "、世帯主 " + e.Head + "）と"
	if e.Household != 0 {
		where = "世帯 " + strconv.FormatInt(e.Household, 10) + " への"
	}
	return review.Proposal{Kind: KindEstablish, Subject: subjectOf(e.Members[0].Code), Payload: payload,
		Summary: where + "被保険者 " + strconv.Itoa(len(codes)) + " 人の資格取得: 宛名番号 " + strings.Join(codes, "、")}, nil
}

// checkEstablishment applies checkAcquisition to every member, reading
// through q, and gathers every refusal under the member's fields; it
// returns each member's acquisition as it will be written (a person
// insured before keeps their number) with its plan.
func (s *Service) checkEstablishment(ctx context.Context, q store.Querier, tenant string, e establishment) ([]acquisition, []acquisitionPlan, error) {
	if err := store.TenantExists(ctx, q, tenant); err != nil {
		return nil, nil, err
	}
	var fe errs.FieldErrors
	seen := map[string]bool{}
	add := func(f errs.FieldError) {
		if k := f.Field + "\x00" + f.Reason.JA; !seen[k] {
			seen[k] = true
			fe.List = append(fe.List, f)
		}
	}
	if e.Household != 0 {
		// The household's existence on each member's date is checked with
		// the member's acquisition; one never established is not found.
		if _, err := householdKigo(ctx, q, tenant, e.Household); err != nil {
			return nil, nil, err
		}
	} else if _, err := lookupResident(ctx, q, tenant, e.Head); errs.Is(err, errs.NotFound) {
		add(errs.FieldError{Field: "new_head", Reason: msgNoResident})
		return nil, nil, fe.Err()
	} else if err != nil {
		return nil, nil, err
	}
	members := make([]acquisition, len(e.Members))
	plans := make([]acquisitionPlan, len(e.Members))
	conflict := true
	for i, a := range e.Members {
		if _, err := lookupResident(ctx, q, tenant, a.Code); errs.Is(err, errs.NotFound) {
			add(errs.FieldError{Field: memberField(i, "resident_code"), Reason: msgNoResident})
			conflict = false
			continue
		} else if err != nil {
			return nil, nil, err
		}
		if _, _, insured, err := insuredNumberOf(ctx, q, tenant, a.Code); err != nil {
			return nil, nil, err
		} else if insured {
			a.Number, a.Branch = "", "" // keeps the number of their earlier period
		}
		p, err := s.checkAcquisition(ctx, q, tenant, a)
		var mfe *errs.FieldErrors
		if err != nil && !errors.As(err, &mfe) {
			return nil, nil, err
		}
		if mfe != nil {
			if mfe.Kind != errs.Conflict {
				conflict = false
			}
			for _, f := range mfe.List {
				switch {
				case f.Reason == msgNumberTaken:
					f.Field = memberField(i, "branch")
				case !householdFields[f.Field]:
					f.Field = memberField(i, f.Field)
				}
				add(f)
			}
		}
		members[i], plans[i] = a, p
	}
	if len(fe.List) > 0 && conflict {
		fe.Kind = errs.Conflict
	}
	return members, plans, fe.Err()
}

// ApplyHousehold applies a confirmed KindEstablish change inside the
// confirming transaction: every member is checked again against the data
// as it is now and, when all pass, the household is established on its
// first member's acquisition date and every member acquired into it, each
// with its own audit event; one refusal writes nothing.
func (s *Service) ApplyHousehold(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var e establishment
	if err := openProposal(ctx, tx, tenant, payload, &e, "household"); err != nil {
		return err
	}
	members, plans, err := s.checkEstablishment(ctx, tx, tenant, e)
	if err != nil {
		return err
	}
	first := 0
	for i, a := range members {
		if a.AcquiredOn.Before(members[first].AcquiredOn) {
			first = i
		}
	}
	var dates []time.Time
	w := writer{tx: tx, tenant: tenant, now: s.now().UTC(), by: actorOf(ctx), redecided: &dates}
	hh := e.Household
	if hh == 0 {
		if hh, err = w.household(ctx, e.Kigo); err != nil {
			return err
		}
		f := members[first]
		if err := w.version(ctx, hh, f.AcquiredOn, e.Head, "establish", 0, f.NotifiedOn, plans[first].acquiredLate); err != nil {
			return err
		}
	}
	for i, a := range members {
		if err := s.writeAcquisition(ctx, w, hh, a, plans[i]); err != nil {
			return err
		}
	}
	// The cost share, once for every member, from each date the entry
	// takes effect on (a new household has none decided: nothing is).
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	for _, d := range slices.Compact(dates) {
		if err := s.redecide(ctx, tx, tenant, d, []int64{hh}, CauseHousehold,
			"acquisition of "+strconv.Itoa(len(members))+" members household="+strconv.FormatInt(hh, 10)); err != nil {
			return err
		}
	}
	return nil
}
