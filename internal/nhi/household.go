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

// Household changes (世帯変更).
const (
	ChangeHead  = "head"  // 世帯主変更
	ChangeSplit = "split" // 世帯分離: members leave for a new household
	ChangeMerge = "merge" // 世帯合併: every member joins another household, which this one ends in
)

// HouseholdChangeInput is a change of household as typed into a form.
type HouseholdChangeInput struct {
	Household   int64  `json:"household"`
	Change      string `json:"change"` // ChangeHead, ChangeSplit or ChangeMerge
	EffectiveOn string `json:"effective_on"`
	NotifiedOn  string `json:"notified_on"`
	// NewHead: the new head (head), or the head of the new household (split).
	NewHead string `json:"new_head,omitempty"`
	// Members: the insured members who leave for the new household (split).
	Members []string `json:"members,omitempty"`
	// Kigo: the new household's 記号 (split; the old one's when empty).
	Kigo string `json:"kigo,omitempty"`
	// Into: the household the members join (merge).
	Into int64 `json:"into,omitempty"`
}

type householdChange struct {
	Household   int64     `json:"household"`
	Change      string    `json:"change"`
	EffectiveOn time.Time `json:"effective_on"`
	NotifiedOn  time.Time `json:"notified_on"`
	NewHead     string    `json:"new_head,omitempty"`
	Members     []string  `json:"members,omitempty"`
	Kigo        string    `json:"kigo,omitempty"`
	Into        int64     `json:"into,omitempty"`
}

var msgChange = errs.Message{JA: "head（世帯主変更）・split（世帯分離）・merge（世帯合併）のいずれかです", EN: "must be head, split or merge"}

func parseHouseholdChange(in HouseholdChangeInput) (householdChange, error) {
	var fe errs.FieldErrors
	c := householdChange{Household: in.Household, Change: strings.TrimSpace(in.Change), Into: in.Into}
	if c.Household <= 0 {
		fe.Add("household", msgRequired)
	}
	dateField(&fe, "effective_on", in.EffectiveOn, &c.EffectiveOn)
	dateField(&fe, "notified_on", in.NotifiedOn, &c.NotifiedOn)
	switch c.Change {
	case ChangeHead:
		c.NewHead = residentField(&fe, "new_head", in.NewHead)
	case ChangeSplit:
		c.NewHead = residentField(&fe, "new_head", in.NewHead)
		for _, m := range in.Members {
			if m = strings.TrimSpace(m); m != "" && !slices.Contains(c.Members, m) {
				c.Members = append(c.Members, residentField(&fe, "members", m))
			}
		}
		if len(c.Members) == 0 {
			fe.Add("members", msgNoMembers)
		}
		if strings.TrimSpace(in.Kigo) != "" {
			c.Kigo = kigoField(&fe, "kigo", in.Kigo)
		}
	case ChangeMerge:
		switch {
		case c.Into <= 0:
			fe.Add("into", msgRequired)
		case c.Into == c.Household:
			fe.Add("into", msgSameHousehold)
		}
	case "":
		fe.Add("change", msgRequired)
	default:
		fe.Add("change", msgChange)
	}
	return c, fe.Err()
}

// ProposeHouseholdChange checks a change of head, a split or a merge and
// returns the maker's proposal (ApplyHouseholdChange applies it once
// confirmed).
func (s *Service) ProposeHouseholdChange(ctx context.Context, tenant string, in HouseholdChangeInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.household.propose"
	subject := audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(in.Household, 10)}
	c, err := parseHouseholdChange(in)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			_, err := s.checkHouseholdChange(ctx, q, tenant, c)
			return err
		})
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subject, err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return review.Proposal{}, err
	}
	what := map[string]string{ChangeHead: "世帯主変更（新世帯主 " + c.NewHead + "）",
		ChangeSplit: "世帯分離（" + strings.Join(c.Members, "・") + " が新しい世帯へ、世帯主 " + c.NewHead + "）",
		ChangeMerge: "世帯合併（世帯 " + strconv.FormatInt(c.Into, 10) + " へ）"}[c.Change]
	return review.Proposal{Kind: KindHousehold, Subject: subject, Payload: payload,
		Summary: "国保世帯の変更: 世帯 " + strconv.FormatInt(c.Household, 10) + " " + Date(c.EffectiveOn) + " " + what}, nil
}

type householdPlan struct {
	members  []string // the household's members on the date
	moving   []string // who moves (split, merge)
	dissolve bool     // split: nobody is left
	kigo     string
	late     bool
}

func (s *Service) checkHouseholdChange(ctx context.Context, q store.Querier, tenant string, c householdChange) (householdPlan, error) {
	e := s.db.Engine()
	var p householdPlan
	if err := store.TenantExists(ctx, q, tenant); err != nil {
		return p, err
	}
	var fe errs.FieldErrors
	head, exists, err := headOn(ctx, q, e, tenant, c.Household, c.EffectiveOn)
	if err != nil {
		return p, err
	}
	if !exists {
		// Another municipality's household, or none on that date.
		fe.Add("household", msgHouseholdMissing)
		return p, fe.Err()
	}
	rule, err := loadNoticeRule(ctx, q, e, c.EffectiveOn)
	if err != nil {
		return p, err
	}
	rule.dates(&fe, "effective_on", c.EffectiveOn, c.NotifiedOn, s.today())
	p.late = rule.late(c.EffectiveOn, c.NotifiedOn)
	if later, err := laterForHousehold(ctx, q, e, tenant, c.Household, c.EffectiveOn); err != nil {
		return p, err
	} else if later {
		fe.Add("effective_on", msgLaterRecords)
	}
	if p.members, err = membersOn(ctx, q, e, tenant, c.Household, c.EffectiveOn); err != nil {
		return p, err
	}
	if c.NewHead != "" {
		if _, err := lookupResident(ctx, q, tenant, c.NewHead); err != nil {
			return p, err
		}
	}
	switch c.Change {
	case ChangeHead:
		if c.NewHead == head {
			fe.Add("new_head", msgHeadSame)
		} else if err := s.notElsewhere(ctx, q, tenant, c.NewHead, c.Household, c.EffectiveOn, "new_head", &fe); err != nil {
			return p, err
		}
	case ChangeSplit:
		for _, m := range c.Members {
			if !slices.Contains(p.members, m) {
				fe.Add("members", msgNotMember)
				break
			}
		}
		p.moving = c.Members
		remaining := slices.DeleteFunc(slices.Clone(p.members), func(m string) bool { return slices.Contains(c.Members, m) })
		p.dissolve = len(remaining) == 0
		switch {
		case slices.Contains(c.Members, head) && !p.dissolve:
			fe.Add("members", msgHeadNeeded) // the old household keeps members: change its head first
		case c.NewHead == head && !p.dissolve:
			fe.Add("new_head", msgTwoHouseholds)
		case slices.Contains(remaining, c.NewHead):
			fe.Add("new_head", msgTwoHouseholds)
		case !slices.Contains(c.Members, c.NewHead) && c.NewHead != head:
			if err := s.notElsewhere(ctx, q, tenant, c.NewHead, 0, c.EffectiveOn, "new_head", &fe); err != nil {
				return p, err
			}
		}
		for _, m := range c.Members {
			if later, err := laterForPerson(ctx, q, e, tenant, m, c.EffectiveOn); err != nil {
				return p, err
			} else if later {
				fe.Add("members", msgLaterRecords)
				break
			}
		}
		if p.kigo = c.Kigo; p.kigo == "" {
			if p.kigo, err = householdKigo(ctx, q, tenant, c.Household); err != nil {
				return p, err
			}
		}
	case ChangeMerge:
		if _, ok, err := headOn(ctx, q, e, tenant, c.Into, c.EffectiveOn); err != nil {
			return p, err
		} else if !ok {
			fe.Add("into", msgHouseholdMissing)
		} else if later, err := laterForHousehold(ctx, q, e, tenant, c.Into, c.EffectiveOn); err != nil {
			return p, err
		} else if later {
			fe.Add("into", msgLaterRecords)
		}
		p.moving = p.members
		for _, m := range p.members {
			if later, err := laterForPerson(ctx, q, e, tenant, m, c.EffectiveOn); err != nil {
				return p, err
			} else if later {
				fe.Add("effective_on", msgLaterRecords)
				break
			}
		}
	}
	return p, fe.Err()
}

// ApplyHouseholdChange applies a confirmed KindHousehold change inside the
// confirming transaction, as new versions and memberships dated from its
// effective date.
func (s *Service) ApplyHouseholdChange(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var c householdChange
	if err := openProposal(ctx, tx, tenant, payload, &c, "household change"); err != nil {
		return err
	}
	p, err := s.checkHouseholdChange(ctx, tx, tenant, c)
	if err != nil {
		return err
	}
	w := writer{tx: tx, tenant: tenant, now: s.now().UTC(), by: actorOf(ctx)}
	on := c.EffectiveOn
	detail := "change=" + c.Change + " household=" + strconv.FormatInt(c.Household, 10) + " effective_on=" + Date(on) + " late=" + strconv.FormatBool(p.late)
	affected := []int64{c.Household, c.Into}
	switch c.Change {
	case ChangeHead:
		if err := w.version(ctx, c.Household, on, c.NewHead, "head_change", 0, c.NotifiedOn, p.late); err != nil {
			return err
		}
		detail += " new_head=" + c.NewHead
	case ChangeSplit:
		hh, err := w.household(ctx, p.kigo)
		if err != nil {
			return err
		}
		if err := w.version(ctx, hh, on, c.NewHead, "split", c.Household, c.NotifiedOn, p.late); err != nil {
			return err
		}
		for _, m := range p.moving {
			if err := w.member(ctx, m, hh, on); err != nil {
				return err
			}
		}
		if p.dissolve {
			if err := w.version(ctx, c.Household, on, "", "dissolve", 0, c.NotifiedOn, p.late); err != nil {
				return err
			}
		}
		detail += " new_household=" + strconv.FormatInt(hh, 10) + " new_head=" + c.NewHead
		affected = append(affected, hh)
	case ChangeMerge:
		for _, m := range p.moving {
			if err := w.member(ctx, m, c.Into, on); err != nil {
				return err
			}
		}
		if err := w.version(ctx, c.Household, on, "", "merged", c.Into, c.NotifiedOn, p.late); err != nil {
			return err
		}
		detail += " into=" + strconv.FormatInt(c.Into, 10)
	}
	// The 70–74 cost share of every household the change touches, from
	// the day it takes effect.
	if err := s.redecide(ctx, tx, tenant, on, affected, CauseHousehold, detail); err != nil {
		return err
	}
	// The event is each insured person's whom the change concerns.
	concerned := p.moving
	if c.Change == ChangeHead {
		concerned = p.members
	}
	events := []audit.Event{}
	for _, m := range concerned {
		events = append(events, audit.Event{Tenant: tenant, Action: "nhi.household", Subject: subjectOf(m), Outcome: audit.OK, Detail: detail})
	}
	if len(events) == 0 {
		events = append(events, audit.Event{Tenant: tenant, Action: "nhi.household", Outcome: audit.OK, Detail: detail,
			Subject: audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(c.Household, 10)}})
	}
	for _, ev := range events {
		if err := audit.Record(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}
