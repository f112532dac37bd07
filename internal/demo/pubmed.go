package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/pubmed"
	"bango/internal/resident"
	"bango/internal/review"
)

// PubmedStaff is whom demo public-expense data is entered by: every
// application is the Maker's, confirmed by the Checker (R-ACC-1), and
// decided by the Maker with the Checker's confirmation.
type PubmedStaff struct {
	Service *pubmed.Service
	Review  *review.Service
	Maker   identity.User
	Checker identity.User
	// Residents, when set, lets every third application carry the
	// person's My Number with the identity verification at intake, which
	// the Checker keys again (R-PUB-2).
	Residents *resident.Service
}

// PubmedSummary is what SeedPubmed entered in one municipality.
type PubmedSummary struct {
	Cabinets     int // two locked in staff-only areas, one not (which the forms refuse)
	Certificates int // 指定難病 and 小児慢性特定疾病, every income category
	Rejected     int
	Awaiting     int // confirmed, not decided
	Copayments   int // lines on this month's records
	Reached      int // certificates whose cap this month is reached
	Papers       int // evidence papers kept in a cabinet
	WithNumber   int // applications that came with the My Number
}

// SeedPubmed gives municipality m a few public-expense recipients among
// people (registered already), entered through the service as of today:
// cabinets, applications of both programmes across the income categories
// and flags, one rejected, one awaiting its decision, evidence papers in
// a locked cabinet, and this month's co-payments, one record up to its
// cap. n is how many applications (at least 4).
func SeedPubmed(ctx context.Context, st PubmedStaff, m Municipality, people []Person, today time.Time, n int) (PubmedSummary, error) {
	var sum PubmedSummary
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	clerk := audit.WithActor(ctx, audit.Actor{User: st.Maker.LoginID})
	checker := audit.WithActor(ctx, audit.Actor{User: st.Checker.LoginID})
	var cabinets []int64
	for _, c := range []pubmed.CabinetInput{{Name: "書庫A", Location: "保健所2階 書庫", Locked: true, StaffOnly: true},
		{Name: "書庫B", Location: "保健所地下 文書庫", Locked: true, StaffOnly: true}, {Name: "受付横の棚", Location: "保健所1階 窓口", StaffOnly: false}} {
		cab, err := st.Service.AddCabinet(clerk, m.Code, c)
		if err != nil {
			return sum, err
		}
		cabinets = append(cabinets, cab.ID)
		sum.Cabinets++
	}
	rules := st.Service.Rules()
	adult, child := rules.Diseases(pubmed.Nanbyo), rules.Diseases(pubmed.Shoman)
	n = max(n, 4)
	received := today.AddDate(0, 0, -20)
	if received.Month() != today.Month() {
		received = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	made := 0
	for i := 0; i < len(people) && made < n; i++ {
		p := people[i]
		age := today.Year() - p.BirthDate.Year()
		in := pubmed.ApplicationInput{Kind: pubmed.AppNew, ResidentCode: p.ResidentCode,
			Institutions: []string{m.Name + "中央病院", m.Name + "駅前薬局"}, HealthCentre: m.Name + "保健所", ReceivedOn: received.Format(time.DateOnly)}
		// The household's tax and income, one of each category in turn
		// (the rule derives it).
		hh := demoHouseholds[made%len(demoHouseholds)]
		in.TaxStatus = hh.status
		switch hh.status {
		case pubmed.TaxLevied:
			in.IncomeLevy = &hh.yen
		case pubmed.TaxExempt:
			in.AnnualIncome = &hh.yen
		}
		switch {
		case age < 18 && len(child) > 0:
			in.Programme, in.DiseaseCode = pubmed.Shoman, child[made%len(child)].Code
			if made%3 == 1 {
				in.Flags = []string{pubmed.FlagSevere}
			}
		case age >= 18 && len(adult) > 0:
			in.Programme, in.DiseaseCode = pubmed.Nanbyo, adult[made%len(adult)].Code
			if made%3 == 1 {
				in.Flags = []string{pubmed.FlagHighLong}
			}
		default:
			continue
		}
		if made%7 == 6 {
			in.Flags = append(in.Flags, pubmed.FlagVentilator)
		}
		var again map[string][]byte
		if st.Residents != nil && made%3 == 0 && p.MyNumber != "" {
			n, err := mynumber.Parse(p.MyNumber)
			if err != nil {
				return sum, err
			}
			idx, err := st.Residents.MyNumberIndex(checker, m.Code, n)
			if err != nil {
				return sum, err
			}
			in.MyNumber, in.IdentityMethod, again = p.MyNumber, resident.VerifiedByMyNumberCard, map[string][]byte{"mynumber": idx}
		}
		prop, err := st.Service.ProposeApplication(clerk, m.Code, in)
		if err != nil {
			return sum, err
		}
		c, err := st.Review.Submit(clerk, st.Maker, m.Code, prop)
		if err != nil {
			return sum, err
		}
		if _, err := st.Review.Confirm(checker, st.Checker, m.Code, c.ID, again); err != nil {
			return sum, err
		}
		if again != nil {
			sum.WithNumber++
		}
		page, err := st.Service.Applications(clerk, m.Code, pubmed.ApplicationQuery{ResidentCode: p.ResidentCode}, "", 1)
		if err != nil || len(page.Items) == 0 {
			return sum, err
		}
		app := page.Items[0]
		if _, err := st.Service.StoreEvidence(clerk, m.Code, app.ID, pubmed.EvidenceInput{Description: "臨床調査個人票（" + strconv.Itoa(made+1) + "）",
			Cabinet: cabinets[made%2]}); err != nil {
			return sum, err
		}
		sum.Papers++
		made++
		switch made {
		case 2:
			if err := st.decide(clerk, checker, m.Code, app.ID, pubmed.DecisionInput{Outcome: pubmed.Reject, Reason: "重症度分類等の基準を満たさない"}); err != nil {
				return sum, err
			}
			sum.Rejected++
			continue
		case 3:
			sum.Awaiting++
			continue
		}
		if err := st.decide(clerk, checker, m.Code, app.ID, pubmed.DecisionInput{Outcome: pubmed.Approve}); err != nil {
			return sum, err
		}
		certs, err := st.Service.Certificates(clerk, m.Code, app.ResidentCode)
		if err != nil || len(certs) == 0 {
			return sum, fmt.Errorf("demo: the certificate of application %d: %v", app.ID, err)
		}
		d := pubmed.Decision{Certificate: &certs[0]}
		sum.Certificates++
		// This month's co-payments: the first recipient's reach the cap.
		amounts := []int64{1500, 800}
		if made == 1 {
			amounts = []int64{d.Certificate.CapYen / 2, d.Certificate.CapYen/2 + 700, 1200}
		}
		var rec pubmed.MonthRecord
		for j, a := range amounts {
			rec, err = st.Service.RecordCopayment(clerk, m.Code, d.Certificate.ID, pubmed.CopaymentInput{ServiceDate: received.Format(time.DateOnly),
				Institution: in.Institutions[j%2], Amount: strconv.FormatInt(a, 10)})
			if err != nil {
				return sum, err
			}
			sum.Copayments++
		}
		if rec.Reached {
			sum.Reached++
		}
	}
	return sum, nil
}

// Prefecture scale of the sources: 50,000 指定難病 and 4,000
// 小児慢性特定疾病 recipients in one prefecture.
const (
	PrefectureNanbyo = 50000
	PrefectureShoman = 4000
)

// SeedPubmedScale loads nanbyo 指定難病 and shoman 小児慢性特定疾病
// recipients among people (registered already) set-based, as recipients
// decided before (pubmed.Service.LoadRecipients): children under 18 take
// the pediatric programme first, everyone else the adult one, across the
// income categories and flags, their certificates running from this
// fiscal year's April. It returns how many it loaded of each.
func SeedPubmedScale(ctx context.Context, svc *pubmed.Service, m Municipality, people []Person, today time.Time, nanbyo, shoman int) (int, int, error) {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	from := time.Date(today.Year(), time.April, 1, 0, 0, 0, 0, time.UTC)
	if today.Before(from) {
		from = from.AddDate(-1, 0, 0)
	}
	rules := svc.Rules()
	adult, child := rules.Diseases(pubmed.Nanbyo), rules.Diseases(pubmed.Shoman)
	var adults, children []pubmed.Disease
	for _, d := range adult {
		if d.DesignatedOn(from) {
			adults = append(adults, d)
		}
	}
	for _, d := range child {
		if d.DesignatedOn(from) {
			children = append(children, d)
		}
	}
	if len(adults) == 0 || len(children) == 0 {
		return 0, 0, fmt.Errorf("demo: no designated disease on %s", pubmed.Date(from))
	}
	var rs []pubmed.Recipient
	na, nc := 0, 0
	for i, p := range people {
		r := pubmed.Recipient{ResidentCode: p.ResidentCode, Category: pubmed.Categories[i%len(pubmed.Categories)],
			Institution: m.Name + []string{"中央病院", "大学病院", "駅前クリニック"}[i%3], HealthCentre: m.Name + []string{"中央保健所", "北保健所", "南保健所"}[i%3], From: from}
		switch age := from.Year() - p.BirthDate.Year(); {
		case age < 18 && nc < shoman:
			r.Programme, r.DiseaseCode = pubmed.Shoman, children[i%len(children)].Code
			if i%5 == 1 {
				r.Flags = []string{pubmed.FlagSevere}
			}
			nc++
		case na < nanbyo:
			r.Programme, r.DiseaseCode = pubmed.Nanbyo, adults[i%len(adults)].Code
			if i%5 == 1 {
				r.Flags = []string{pubmed.FlagHighLong}
			}
			na++
		default:
			continue
		}
		if i%97 == 5 {
			r.Flags = append(r.Flags, pubmed.FlagVentilator)
		}
		rs = append(rs, r)
		if na >= nanbyo && nc >= shoman {
			break
		}
	}
	if _, err := svc.LoadRecipients(ctx, m.Code, rs); err != nil {
		return 0, 0, err
	}
	return na, nc, nil
}

// demoHouseholds are a household's tax and income giving each income
// category in order: 生活保護, 低所得Ⅰ, 低所得Ⅱ, 一般所得Ⅰ, 一般所得Ⅱ, 上位所得.
var demoHouseholds = []struct {
	status string
	yen    int64
}{{pubmed.TaxWelfare, 0}, {pubmed.TaxExempt, 620000}, {pubmed.TaxExempt, 1180000}, {pubmed.TaxLevied, 38400},
	{pubmed.TaxLevied, 126000}, {pubmed.TaxLevied, 312000}}

// decide has the Maker propose decision in on application id and the
// Checker confirm it (R-ACC-1).
func (st PubmedStaff) decide(clerk, checker context.Context, tenant string, id int64, in pubmed.DecisionInput) error {
	p, err := st.Service.ProposeDecision(clerk, tenant, id, in)
	if err != nil {
		return err
	}
	c, err := st.Review.Submit(clerk, st.Maker, tenant, p)
	if err != nil {
		return err
	}
	_, err = st.Review.Confirm(checker, st.Checker, tenant, c.ID, nil)
	return err
}
