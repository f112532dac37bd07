package premium

import (
	"fmt"
	"strings"
	"time"

	"bango/internal/errs"
)

// Member is one person of a household as the calculation sees them. Dates
// are YYYY-MM-DD; amounts are yen of the income year (the calendar year
// before the fiscal year).
type Member struct {
	ID        string `json:"id"`   // a label for the breakdown (a name or resident code)
	Head      bool   `json:"head"` // 世帯主, insured or not
	Insured   bool   `json:"insured"`
	Former    bool   `json:"former,omitempty"` // 特定同一世帯所属者: left NHI for 後期高齢者医療, same household
	BirthDate string `json:"birth_date,omitempty"`
	// Age, instead of BirthDate, is the age on 1 April of the fiscal year
	// (an estimate's "how old"): the member is taken as born on 1 January,
	// so that the age is also the one on 31 December of the income year
	// (the pension band) and a child aged 6 has started school.
	Age *int `json:"age,omitempty"`
	// AcquiredOn and LostOn bound the NHI eligibility within the fiscal
	// year: the month of acquisition counts, the month of loss does not.
	// Empty: insured before the year began (or from birth) and after it
	// ends (or to the late-elderly birthday).
	AcquiredOn     string `json:"acquired_on,omitempty"`
	LostOn         string `json:"lost_on,omitempty"`
	SalaryRevenue  int64  `json:"salary_revenue"`
	PensionRevenue int64  `json:"pension_revenue"`
	OtherIncome    int64  `json:"other_income"`
	// BirthMonth is the expected or actual month of a birth (YYYY-MM) for
	// the 産前産後 exemption; MultipleBirth for twins or more.
	BirthMonth    string `json:"birth_month,omitempty"`
	MultipleBirth bool   `json:"multiple_birth,omitempty"`
	// Undeclared marks a member whose income is not declared (未申告): no
	// revenue is known, so none is taken for the 所得割, and the household
	// gets no 軽減 (the reduction test needs everyone's income).
	Undeclared bool `json:"undeclared,omitempty"`

	birth, acquired, lost, delivery time.Time
}

// Household is what an estimate is computed from.
type Household struct {
	// Relief is the 平等割 relief of a household whose member moved to
	// 後期高齢者医療: "specific" (特定世帯, the five years after) or
	// "specific_continuing" (特定継続世帯, the three years after that).
	Relief string `json:"relief,omitempty"`
	// ReliefChanges change the relief from a month of the year on (a
	// member's move to 後期高齢者医療 within the year makes a 特定世帯 from
	// the month of the move; a 特定世帯's five years may end within it):
	// Relief holds from April to the first change, each change to the
	// next. The 平等割 of each month charged is at the month's relief.
	ReliefChanges []ReliefChange `json:"relief_changes,omitempty"`
	Members       []Member       `json:"members"`
	// PensionNotice is the pension insurer's notice of the head's pension
	// (特別徴収 needs it); nil: none, ordinary collection.
	PensionNotice *PensionNotice `json:"pension_notice,omitempty"`
	// ProvisionalBase is the head's premium collected from the pension in
	// February of the fiscal year before (特別徴収 then): with it, special
	// collection takes that amount in each of the rules' provisional
	// months (仮徴収) and the rest of the year's premium in the final
	// months (本徴収). 0: not collected from the pension last February.
	ProvisionalBase int64 `json:"provisional_base,omitempty"`
}

// ReliefChange is the relief of a household from Month (YYYY-MM, within
// the fiscal year) on: "" (none), specific or specific_continuing.
type ReliefChange struct {
	Month  string `json:"month"`
	Relief string `json:"relief"`
}

const (
	ReliefSpecific           = "specific"
	ReliefSpecificContinuing = "specific_continuing"
)

// DecodeHousehold reads a household file (JSON, documented in the
// README): an unknown field is an error naming it.
func DecodeHousehold(b []byte) (Household, error) {
	var h Household
	err := strict(b, &h)
	return h, err
}

var (
	msgDateFmt   = errs.Message{JA: "YYYY-MM-DD の形式の正しい日付です", EN: "must be a valid date as YYYY-MM-DD"}
	msgMonthFmt  = errs.Message{JA: "YYYY-MM の形式の年月です", EN: "must be a month as YYYY-MM"}
	msgOneHead   = errs.Message{JA: "世帯主（head）をちょうど1人指定してください", EN: "name exactly one member as the head"}
	msgNoInsured = errs.Message{JA: "国保の被保険者が1人もいません", EN: "no member is insured by NHI"}
	msgFormer    = errs.Message{JA: "特定同一世帯所属者は国保の被保険者ではありません（insured と former は同時に指定できません）",
		EN: "a 特定同一世帯所属者 is not insured by NHI: insured and former cannot both be set"}
	msgRelief       = errs.Message{JA: "specific か specific_continuing です", EN: "must be specific or specific_continuing"}
	msgReliefFormer = errs.Message{JA: "特定世帯・特定継続世帯には特定同一世帯所属者（former）か、年度内に国保を離れる被保険者がいます",
		EN: "a 特定世帯 has a member marked former or an insured member who leaves NHI within the year"}
	msgReliefMonth = errs.Message{JA: "年度内の年月（YYYY-MM）で、前の変更より後の月です", EN: "must be a month (YYYY-MM) of the fiscal year, after the change before"}
	msgLostOrder   = errs.Message{JA: "喪失日は取得日の翌日以降です", EN: "the loss date must be after the acquisition date"}
	msgBeforeBirth = errs.Message{JA: "生年月日より前の日付です", EN: "is before the date of birth"}
	msgNotInsuredM = errs.Message{JA: "国保の被保険者でない人には資格・出産の項目は指定できません", EN: "applies only to a member insured by NHI"}
	msgNoMembers   = errs.Message{JA: "世帯員がいません", EN: "the household has no members"}
	msgAgeOrBirth  = errs.Message{JA: "生年月日か年齢のどちらか一方を入力してください", EN: "give either birth_date or age, not both"}
	msgUndeclared  = errs.Message{JA: "未申告の人には収入を入力できません", EN: "a member whose income is undeclared has no revenue: leave the amounts 0"}
	msgID          = errs.Message{JA: "1〜40文字の重複しない名前です", EN: "must be a unique label of 1 to 40 characters"}
)

// check validates the household for fiscal year fy, parsing its dates;
// NHI ends by law at lateAge (後期高齢者医療).
func (h *Household) check(fy, lateAge int) error {
	var fe errs.FieldErrors
	start, end := date(fy, time.April, 1), date(fy+1, time.March, 31)
	switch h.Relief {
	case "", ReliefSpecific, ReliefSpecificContinuing:
	default:
		fe.Add("relief", msgRelief)
	}
	relief := h.Relief != ""
	prev := -1
	for i, c := range h.ReliefChanges {
		f := fmt.Sprintf("relief_changes[%d].", i)
		switch c.Relief {
		case "", ReliefSpecific, ReliefSpecificContinuing:
			relief = relief || c.Relief != ""
		default:
			fe.Add(f+"relief", msgRelief)
		}
		m, err := time.Parse("2006-01", c.Month)
		k := monthIndex(fy, m)
		if err != nil || k < 0 || k > 11 || k <= prev {
			fe.Add(f+"month", msgReliefMonth)
			continue
		}
		prev = k
	}
	if len(h.Members) == 0 {
		fe.Add("members", msgNoMembers)
	}
	h.PensionNotice.check(&fe)
	if h.ProvisionalBase < 0 || h.ProvisionalBase > MaxYen {
		fe.Add("provisional_base", msgPension)
	}
	heads, insured, former, leaves := 0, 0, 0, 0
	ids := map[string]bool{}
	for i := range h.Members {
		m := &h.Members[i]
		f := fmt.Sprintf("members[%d].", i)
		if id := strings.TrimSpace(m.ID); id == "" || len([]rune(id)) > 40 || ids[id] {
			fe.Add(f+"id", msgID)
		}
		ids[strings.TrimSpace(m.ID)] = true
		if m.Head {
			heads++
		}
		if m.Insured {
			insured++
		}
		if m.Former {
			former++
			if m.Insured {
				fe.Add(f+"former", msgFormer)
			}
		}
		amountField(&fe, f+"salary_revenue", m.SalaryRevenue)
		amountField(&fe, f+"pension_revenue", m.PensionRevenue)
		amountField(&fe, f+"other_income", m.OtherIncome)
		var b time.Time
		var err error
		switch {
		case m.BirthDate != "" && m.Age != nil:
			fe.Add(f+"age", msgAgeOrBirth)
			continue
		case m.Age != nil:
			if *m.Age < 0 || *m.Age > 130 {
				fe.Add(f+"age", msgAge)
				continue
			}
			b = date(fy-*m.Age, time.January, 1)
		default:
			if b, err = time.Parse(time.DateOnly, m.BirthDate); err != nil {
				fe.Add(f+"birth_date", msgDateFmt)
				continue
			}
		}
		m.birth = b
		if b.After(end) || ageOn(b, start) > 130 {
			fe.Add(f+"birth_date", msgAge)
			continue
		}
		m.acquired, m.lost = time.Time{}, time.Time{}
		if !m.Insured && (m.AcquiredOn != "" || m.LostOn != "" || m.BirthMonth != "") {
			fe.Add(f+"insured", msgNotInsuredM)
		}
		if m.AcquiredOn != "" {
			if m.acquired, err = time.Parse(time.DateOnly, m.AcquiredOn); err != nil {
				fe.Add(f+"acquired_on", msgDateFmt)
			} else if m.acquired.Before(b) {
				fe.Add(f+"acquired_on", msgBeforeBirth)
			}
		}
		if m.LostOn != "" || m.Insured && reachAge(b, lateAge).Before(end) {
			leaves++ // leaves NHI within the year (or before it)
		}
		if m.LostOn != "" {
			if m.lost, err = time.Parse(time.DateOnly, m.LostOn); err != nil {
				fe.Add(f+"lost_on", msgDateFmt)
			} else if !m.lost.After(m.acquired) || !m.lost.After(b) {
				fe.Add(f+"lost_on", msgLostOrder)
			}
		}
		if m.Undeclared && (m.SalaryRevenue != 0 || m.PensionRevenue != 0 || m.OtherIncome != 0) {
			fe.Add(f+"undeclared", msgUndeclared)
		}
		m.delivery = time.Time{}
		if m.BirthMonth != "" {
			if m.delivery, err = time.Parse("2006-01", m.BirthMonth); err != nil {
				fe.Add(f+"birth_month", msgMonthFmt)
			}
		} else if m.MultipleBirth {
			fe.Add(f+"birth_month", msgRequiredRT)
		}
	}
	if len(h.Members) > 0 && heads != 1 {
		fe.Add("members", msgOneHead)
	}
	if len(h.Members) > 0 && insured == 0 {
		fe.Add("members", msgNoInsured)
	}
	if relief && former == 0 && leaves == 0 {
		fe.Add("relief", msgReliefFormer)
	}
	return fe.Err()
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// reachAge is the day a person born on birth reaches age n: the day
// before the n-th anniversary (年齢計算ニ関スル法律, 民法第143条); born on
// 29 February, 28 February in a common year.
func reachAge(birth time.Time, n int) time.Time {
	y := birth.Year() + n
	if birth.Month() == time.February && birth.Day() == 29 && !isLeap(y) {
		return date(y, time.February, 28)
	}
	return date(y, birth.Month(), birth.Day()).AddDate(0, 0, -1)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// ageOn is the age on day d of a person born on birth (negative before
// birth).
func ageOn(birth, d time.Time) int {
	if d.Before(birth) {
		return -1
	}
	n := d.Year() - birth.Year()
	for n > 0 && reachAge(birth, n).After(d) {
		n--
	}
	for !reachAge(birth, n+1).After(d) {
		n++
	}
	return n
}

// march31After is the first 31 March on or after d.
func march31After(d time.Time) time.Time {
	m := date(d.Year(), time.March, 31)
	if d.After(m) {
		return date(d.Year()+1, time.March, 31)
	}
	return m
}
