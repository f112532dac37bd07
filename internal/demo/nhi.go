package demo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/nhi"
	"bango/internal/review"
)

// NHIStaff is whom demo NHI data is entered by, through the service as a
// clerk would: every entry is the Maker's proposal confirmed by the
// Checker, another staff member (R-ACC-1).
type NHIStaff struct {
	Service *nhi.Service
	Review  *review.Service
	Maker   identity.User
	Checker identity.User
}

// NHISummary is what SeedNHI entered in one municipality.
type NHISummary struct {
	Households  int       // established (a split adds one)
	Insured     int       // persons acquired
	PseudoHeads int       // households headed by someone outside NHI (擬制世帯主)
	Elderly     int       // insured persons aged 70–74 on the fiscal year's 1 August
	Children    int       // pre-school children insured
	Documents   int       // 資格確認書, 資格情報のお知らせ and one 被保険者証 of history
	Upcoming75  string    // resident code of the next to leave for 後期高齢者医療
	Upcoming75s time.Time // … on this date
	Split       int64     // the household a member moved out of, a year ago
	Lost        string    // resident code of someone who left NHI (社保加入)
	CostShare   nhi.CostShareReport
	Ratios      map[int]int // households by ratio, from CostShare
}

// Income patterns of 70–74 members, on each side of the thresholds (in
// order: 2割 by 課税所得, 2割 just under it, 3割 at every threshold, 2割 by
// 収入 alone, 2割 by 旧ただし書所得, 3割 well above everything).
var demoIncomes = [][3]int64{
	{0, 1_800_000, 600_000},
	{1_449_999, 4_000_000, 2_500_000},
	{1_450_000, 3_830_000, 2_100_001},
	{800_000, 2_500_000, 1_200_000},
	{1_450_000, 3_829_999, 2_100_001},
	{2_000_000, 5_000_000, 2_100_000},
	{3_000_000, 6_500_000, 4_000_000},
}

// fiscalFrom is the 1 August that begins the cost-share period in force on
// today.
func fiscalFrom(today time.Time) time.Time {
	y := today.Year()
	if today.Month() < time.August {
		y--
	}
	return time.Date(y, time.August, 1, 0, 0, 0, 0, time.UTC)
}

type demoHousehold struct {
	head    string   // resident code
	pseudo  bool     // the head is not insured (擬制世帯主)
	members []string // insured, in branch order
}

// SeedNHI gives municipality m NHI households for about a quarter of
// people (its demo residents, registered already), entered through the
// service as of today: heads outside NHI, 70–74 members with incomes on
// each side of the cost-share thresholds, pre-school children, the next
// 75th birthday scheduled, a member who moved to a household of their own
// a year ago (a split), one who left for employee insurance, documents
// issued, and the cost share of the fiscal year decided.
func SeedNHI(ctx context.Context, st NHIStaff, m Municipality, people []Person, today time.Time) (NHISummary, error) {
	var sum NHISummary
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	on := fiscalFrom(today)
	birth := map[string]time.Time{}
	var elderly, children, adults []string
	for _, p := range people {
		b := p.BirthDate
		birth[p.ResidentCode] = b
		b75 := nhi.Birthday75(b)
		switch {
		case !on.Before(nhi.Elderly70From(b)) && on.Before(b75) && b75.After(today):
			elderly = append(elderly, p.ResidentCode)
		case b.After(today.AddDate(-6, 0, 0)) && !b.After(today):
			children = append(children, p.ResidentCode)
		case b.After(today.AddDate(-65, 0, 0)) && !b.After(today.AddDate(-20, 0, 0)):
			adults = append(adults, p.ResidentCode)
		}
	}
	target := len(people) / 4
	take := func(pool *[]string) (string, bool) {
		if len(*pool) == 0 {
			return "", false
		}
		c := (*pool)[0]
		*pool = (*pool)[1:]
		return c, true
	}
	var hhs []demoHousehold
	insured := 0
	add := func(h demoHousehold) {
		hhs = append(hhs, h)
		insured += len(h.members)
	}
	// The next 75th birthday: someone aged 74 who leaves for 後期高齢者医療 soon.
	if len(elderly) > 0 {
		next := slices.MinFunc(elderly, func(a, b string) int { return nhi.Birthday75(birth[a]).Compare(nhi.Birthday75(birth[b])) })
		elderly = slices.DeleteFunc(elderly, func(c string) bool { return c == next })
		add(demoHousehold{head: next, members: []string{next}})
		sum.Upcoming75, sum.Upcoming75s = next, nhi.Birthday75(birth[next])
	}
	// Households of 70–74 members: alone, two together, with a head outside
	// NHI, with a younger member; up to about 40% of the insured.
	for i := 0; insured < target*2/5; i++ {
		e, ok := take(&elderly)
		if !ok {
			break
		}
		switch i % 4 {
		case 1:
			if e2, ok := take(&elderly); ok {
				add(demoHousehold{head: e, members: []string{e, e2}})
				continue
			}
		case 2:
			if h, ok := take(&adults); ok {
				add(demoHousehold{head: h, pseudo: true, members: []string{e}})
				continue
			}
		case 3:
			if a, ok := take(&adults); ok {
				add(demoHousehold{head: e, members: []string{e, a}})
				continue
			}
		}
		add(demoHousehold{head: e, members: []string{e}})
	}
	// Families: one or two adults with pre-school children; every fifth
	// headed by someone outside NHI. The first has two adults, for the split
	// and the loss below.
	for i := 0; insured < target; i++ {
		h, ok := take(&adults)
		if !ok {
			break
		}
		fam := demoHousehold{head: h, members: []string{h}}
		if i%5 == 4 {
			fam.pseudo, fam.members = true, nil
			if a, ok := take(&adults); ok {
				fam.members = append(fam.members, a)
			}
		}
		extra := 0
		switch {
		case i == 0:
			extra = 3
		case i%2 == 0:
			extra = 1
		}
		for range extra {
			if a, ok := take(&adults); ok {
				fam.members = append(fam.members, a)
			}
		}
		for range i % 3 {
			if c, ok := take(&children); ok {
				fam.members = append(fam.members, c)
			}
		}
		if len(fam.members) == 0 {
			continue
		}
		add(fam)
	}

	clerk := audit.WithActor(ctx, audit.Actor{User: st.Maker.LoginID})
	checker := audit.WithActor(ctx, audit.Actor{User: st.Checker.LoginID})
	enter := func(p review.Proposal, err error) error {
		if err != nil {
			return err
		}
		c, err := st.Review.Submit(clerk, st.Maker, m.Code, p)
		if err != nil {
			return err
		}
		_, err = st.Review.Confirm(checker, st.Checker, m.Code, c.ID, nil)
		return err
	}
	day := nhi.Date
	base := time.Date(today.Year()-3, time.April, 1, 0, 0, 0, 0, time.UTC)
	acquiredOn := map[string]time.Time{}
	hhIDs := make([]int64, len(hhs))
	for i, h := range hhs {
		number := strconv.Itoa(100001 + i)
		for j, code := range h.members {
			in := nhi.AcquisitionInput{ResidentCode: code, Reason: nhi.AcquireMoveIn, Number: number, Branch: fmt.Sprintf("%02d", j+1)}
			acq, notified := base, base.AddDate(0, 0, 7)
			if i%3 == 1 {
				in.Reason = nhi.AcquireLeftEmployee
			}
			if b := birth[code]; b.After(base) {
				acq, notified, in.Reason = b, b.AddDate(0, 0, 10), nhi.AcquireBirth
			}
			if i == 2 && j == 0 {
				notified = acq.AddDate(0, 2, 0) // notified late: 遡及
			}
			if notified.After(today) {
				notified = today
			}
			in.AcquiredOn, in.NotifiedOn = day(acq), day(notified)
			acquiredOn[code] = acq
			if j == 0 {
				in.NewKigo, in.NewHead = m.Name, h.head
			} else {
				in.Household = hhIDs[i]
			}
			if err := enter(st.Service.ProposeAcquisition(clerk, m.Code, in)); err != nil {
				return sum, fmt.Errorf("demo NHI acquisition of %s: %w", code, err)
			}
			if j == 0 {
				rec, err := st.Service.Get(clerk, m.Code, code, in.AcquiredOn)
				if err != nil {
					return sum, err
				}
				hhIDs[i] = rec.Person.Household
			}
			sum.Insured++
			b := birth[code]
			if !on.Before(nhi.Elderly70From(b)) && on.Before(nhi.Birthday75(b)) {
				sum.Elderly++
			}
			if b.After(today.AddDate(-6, 0, 0)) {
				sum.Children++
			}
		}
		sum.Households++
		if h.pseudo {
			sum.PseudoHeads++
		}
	}
	// Documents: a 資格確認書 to every third person, a 資格情報のお知らせ to
	// the others (My Number card holders), and one 被保険者証 of before
	// December 2024 kept as history.
	change := time.Date(2024, time.December, 2, 0, 0, 0, 0, time.UTC)
	n := 0
	for _, h := range hhs {
		for _, code := range h.members {
			issued := change
			if acquiredOn[code].After(change) {
				issued = acquiredOn[code]
			}
			in := nhi.DocumentInput{ResidentCode: code, Kind: nhi.DocNotice, IssuedOn: day(issued), Delivery: nhi.DeliveryMail,
				DeliveredOn: day(issued), Reason: nhi.IssueNew}
			b := birth[code]
			// A 資格確認書 of a member aged 70–74 prints the cost share, not
			// decided yet here: they get the お知らせ and, below, a 高齢受給者証.
			if n%3 == 0 && (issued.Before(nhi.Elderly70From(b)) || !issued.Before(nhi.Birthday75(b))) {
				in.Kind, in.ValidUntil = nhi.DocCertificate, day(time.Date(on.Year()+1, time.July, 31, 0, 0, 0, 0, time.UTC))
			}
			if n == 0 && acquiredOn[code].Before(time.Date(2024, time.August, 1, 0, 0, 0, 0, time.UTC)) {
				if _, err := st.Service.IssueDocument(clerk, m.Code, nhi.DocumentInput{ResidentCode: code, Kind: nhi.DocCard,
					IssuedOn: "2024-08-01", ValidUntil: "2025-07-31", Delivery: nhi.DeliveryMail, Reason: nhi.IssueHistory}); err != nil {
					return sum, fmt.Errorf("demo 被保険者証 of %s: %w", code, err)
				}
				sum.Documents++
			}
			if _, err := st.Service.IssueDocument(clerk, m.Code, in); err != nil {
				return sum, fmt.Errorf("demo document of %s: %w", code, err)
			}
			sum.Documents++
			n++
		}
	}
	// Incomes of the year before the period for every 70–74 member.
	k := 0
	for _, h := range hhs {
		for _, code := range h.members {
			b := birth[code]
			if on.Before(nhi.Elderly70From(b)) || !on.Before(nhi.Birthday75(b)) {
				continue
			}
			f := demoIncomes[k%len(demoIncomes)]
			k++
			if err := st.Service.RecordIncome(clerk, m.Code, nhi.IncomeInput{ResidentCode: code, IncomeYear: strconv.Itoa(on.Year() - 1),
				TaxableIncome: strconv.FormatInt(f[0], 10), Revenue: strconv.FormatInt(f[1], 10), OldProvisoIncome: strconv.FormatInt(f[2], 10)}); err != nil {
				return sum, fmt.Errorf("demo income of %s: %w", code, err)
			}
		}
	}
	// History: in the first family of two adults or more, the second
	// moved to a household of their own a year ago, and the third left
	// NHI for employee insurance four months ago.
	for i, h := range hhs {
		if h.pseudo || len(h.members) < 3 || slices.ContainsFunc(h.members, func(c string) bool { return !on.Before(nhi.Elderly70From(birth[c])) }) {
			continue
		}
		mover, leaver := h.members[1], h.members[2]
		moved := today.AddDate(-1, 0, 0)
		if err := enter(st.Service.ProposeHouseholdChange(clerk, m.Code, nhi.HouseholdChangeInput{Household: hhIDs[i], Change: nhi.ChangeSplit,
			EffectiveOn: day(moved), NotifiedOn: day(moved.AddDate(0, 0, 5)), NewHead: mover, Members: []string{mover}})); err != nil {
			return sum, fmt.Errorf("demo household split: %w", err)
		}
		lost := today.AddDate(0, -4, 0)
		if err := enter(st.Service.ProposeLoss(clerk, m.Code, nhi.LossInput{ResidentCode: leaver, LostOn: day(lost), Reason: nhi.LossJoinedEmployee,
			NotifiedOn: day(lost.AddDate(0, 0, 3))})); err != nil {
			return sum, fmt.Errorf("demo loss: %w", err)
		}
		sum.Split, sum.Lost = hhIDs[i], leaver
		sum.Households++
		break
	}
	r, err := st.Service.RedetermineCostShares(clerk, m.Code, on.Year())
	if err != nil {
		return sum, err
	}
	sum.CostShare, sum.Ratios = r, map[int]int{2: r.Ratio2, 3: r.Ratio3}
	// A 高齢受給者証 to every member aged 70–74 and insured on 1 August,
	// with the ratio decided, valid to 31 July or the day before the 75th
	// birthday.
	for _, h := range hhs {
		for _, code := range h.members {
			b := birth[code]
			if acquiredOn[code].After(on) || on.Before(nhi.Elderly70From(b)) || !on.Before(nhi.Birthday75(b)) || code == sum.Lost {
				continue
			}
			until := time.Date(on.Year()+1, time.July, 31, 0, 0, 0, 0, time.UTC)
			if last := nhi.Birthday75(b).AddDate(0, 0, -1); last.Before(until) {
				until = last
			}
			if _, err := st.Service.IssueDocument(clerk, m.Code, nhi.DocumentInput{ResidentCode: code, Kind: nhi.DocElderly, IssuedOn: day(on),
				ValidUntil: day(until), Delivery: nhi.DeliveryMail, DeliveredOn: day(on), Reason: nhi.IssueNew}); err != nil {
				return sum, fmt.Errorf("demo 高齢受給者証 of %s: %w", code, err)
			}
			sum.Documents++
		}
	}
	return sum, nil
}
