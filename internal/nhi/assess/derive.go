package assess

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/civil"
	"bango/internal/nhi"
	"bango/internal/nhi/premium"
	"bango/internal/store"
)

// What the yearly run derives beside each household's members and
// revenue (R-NHI-4):
//
//   - 特定同一世帯所属者: a member who left NHI for 後期高齢者医療 (a loss of
//     reason nhi.LossLateElderly) from this household, on or before the
//     day the household is judged (1 April, or the first day of the year
//     it has an insured member), and has not moved out or died by then
//     (resident_departures). They count in the reduction test with their
//     income.
//   - 特定世帯 / 特定継続世帯, month by month (reliefOf): a month with a
//     member who moved to 後期高齢者医療 in it or before, still in the
//     household, and exactly one member insured in it — 特定世帯 while
//     fewer than the rules' specific_household.years (5) × 12 months have
//     passed from the month of the latest such move, 特定継続世帯 for
//     specific_continuing.years (3) × 12 months after that. A move within
//     the year gives the relief from its month (the premium engine
//     prorates 平等割 by the months at each relief).
//   - 産前産後: an insured member's birth notified (nhi_births, expected or
//     actual; the latest notice of the person whose birth month can touch
//     the year) gives the premium engine the birth month and whether it is
//     multiple, from which it exempts the months.

// extras is what a run reads beside the eligibility and revenue.
type extras struct {
	remissions map[int64][]premium.Remission    // decided 減免, by household
	formers    map[int64][]former               // by the household they left from
	births     map[string]birthNotice           // by resident code
	pensions   map[string]premium.PensionNotice // the pension insurers' notices of the year, by resident code
	// provisional is, by household, what its assessment in force of the
	// year before collected from the pension in February (特別徴収 then):
	// the base of this year's 仮徴収.
	provisional map[int64]int64
}

type former struct {
	code        string
	lost, birth time.Time
	departed    time.Time // zero: still a resident
}

type birthNotice struct {
	month    string // YYYY-MM
	multiple bool
}

// readExtras reads the extras of fiscal year fy of tenant's households
// (only hh when not 0).
func readExtras(ctx context.Context, q store.Querier, e store.Engine, tenant string, fy int, hh int64) (extras, error) {
	ex := extras{remissions: map[int64][]premium.Remission{}, formers: map[int64][]former{}, births: map[string]birthNotice{},
		pensions: map[string]premium.PensionNotice{}}
	err := store.Each(func(row store.Scanner) error {
		var code string
		var n premium.PensionNotice
		if err := row.Scan(&code, &n.Annual, &n.CarePremium, &n.CareSpecial); err != nil {
			return err
		}
		ex.pensions[code] = n // in id order: the latest notice stays
		return nil
	})(q.Query(ctx, `SELECT resident_code, pension_annual, care_premium_annual, care_special FROM nhi_pension_notices
		WHERE tenant_code = $1 AND fiscal_year = $2 AND withdrawn_at IS NULL ORDER BY resident_code, id`, tenant, fy))
	if err != nil {
		return ex, err
	}
	if err := readRemissions(ctx, q, tenant, fy, hh, ex.remissions); err != nil {
		return ex, err
	}
	if ex.provisional, err = readProvisional(ctx, q, tenant, fy, hh); err != nil {
		return ex, err
	}
	end := civil.Date(fy+1, time.April, 1)
	// The moves to 後期高齢者医療 before the year's end, with birth dates.
	byCode := map[string]*former{}
	var order []string
	err = store.Each(func(row store.Scanner) error {
		var f former
		if err := row.Scan(&f.code, &f.lost, &f.birth); err != nil {
			return err
		}
		f.lost, f.birth = civil.DateOf(f.lost), civil.DateOf(f.birth)
		if p := byCode[f.code]; p != nil {
			*p = f // the latest move
			return nil
		}
		byCode[f.code] = &f
		order = append(order, f.code)
		return nil
	})(q.Query(ctx, `SELECT e.resident_code, e.effective_date, r.birth_date FROM nhi_eligibility_events e
		JOIN residents r ON r.tenant_code = e.tenant_code AND r.code = e.resident_code
		WHERE e.tenant_code = $1 AND e.kind = 'loss' AND e.reason = $2 AND e.effective_date < $3 AND e.voided_at IS NULL
		ORDER BY e.resident_code, e.effective_date, e.id`, tenant, nhi.LossLateElderly, store.DateArg(e, end)))
	if err != nil {
		return ex, err
	}
	if len(order) > 0 {
		// The household each left from: their membership the day before.
		from := map[string]int64{}
		err = store.Each(func(row store.Scanner) error {
			var code string
			var h *int64
			var since time.Time
			if err := row.Scan(&code, &h, &since); err != nil {
				return err
			}
			f := byCode[code]
			if f == nil || !civil.DateOf(since).Before(f.lost) {
				return nil
			}
			if h == nil {
				delete(from, code)
			} else {
				from[code] = *h
			}
			return nil
		})(q.Query(ctx, `SELECT resident_code, household_id, valid_from FROM nhi_memberships WHERE tenant_code = $1 AND voided_at IS NULL AND resident_code IN
			(SELECT resident_code FROM nhi_eligibility_events WHERE tenant_code = $1 AND kind = 'loss' AND reason = $2)
			ORDER BY resident_code, valid_from, id`, tenant, nhi.LossLateElderly))
		if err != nil {
			return ex, err
		}
		err = store.Each(func(row store.Scanner) error {
			var code string
			var d time.Time
			if err := row.Scan(&code, &d); err != nil {
				return err
			}
			if f := byCode[code]; f != nil {
				f.departed = civil.DateOf(d)
			}
			return nil
		})(q.Query(ctx, `SELECT resident_code, effective FROM resident_departures WHERE tenant_code = $1 AND resident_code IN
			(SELECT resident_code FROM nhi_eligibility_events WHERE tenant_code = $1 AND kind = 'loss' AND reason = $2)`, tenant, nhi.LossLateElderly))
		if err != nil {
			return ex, err
		}
		for _, code := range order {
			if h, ok := from[code]; ok && (hh == 0 || h == hh) {
				ex.formers[h] = append(ex.formers[h], *byCode[code])
			}
		}
	}
	// Births whose exemption can touch the year: the months from three
	// before to two after the birth month meet April fy to March fy+1.
	lo, hi := civil.Date(fy, time.February, 1).Format("2006-01"), civil.Date(fy+1, time.June, 1).Format("2006-01")
	err = store.Each(func(row store.Scanner) error {
		var code string
		var b birthNotice
		if err := row.Scan(&code, &b.month, &b.multiple); err != nil {
			return err
		}
		ex.births[code] = b // in id order: the latest notice stays
		return nil
	})(q.Query(ctx, `SELECT resident_code, birth_month, multiple FROM nhi_births WHERE tenant_code = $1 AND birth_month >= $2 AND birth_month <= $3
		ORDER BY resident_code, id`, tenant, lo, hi))
	return ex, err
}

// codes are the residents of household hh whose revenue the extras need
// beside its members and head: its former members.
func (ex extras) codes(hh int64) []string {
	var out []string
	for _, f := range ex.formers[hh] {
		out = append(out, f.code)
	}
	return out
}

// apply adds to h what the extras say of household y in fiscal year fy:
// the births of its insured members, its 特定同一世帯所属者 (undeclared
// when their revenue is missing, added to missing) and its 特定世帯 /
// 特定継続世帯 relief. It returns missing.
func (ex extras) apply(fy int, y nhi.YearHousehold, h *premium.Household, rev map[string]revenue, rules premium.Rules, missing []string) []string {
	for i := range h.Members {
		m := &h.Members[i]
		if b, ok := ex.births[m.ID]; ok && m.Insured {
			m.BirthMonth, m.MultipleBirth = b.month, b.multiple
		}
	}
	if n, ok := ex.pensions[y.Head]; ok {
		h.PensionNotice = &n
	}
	h.ProvisionalBase = ex.provisional[y.ID]
	fs := ex.formers[y.ID]
	if len(fs) == 0 {
		return missing
	}
	// The day the household is judged: 1 April, or its first insured day.
	day := civil.Date(fy, time.April, 1)
	first := time.Time{}
	for _, m := range y.Members {
		if first.IsZero() || m.From.Before(first) {
			first = m.From
		}
	}
	if first.After(day) {
		day = first
	}
	in := map[string]bool{}
	for _, m := range y.Members {
		in[m.ResidentCode] = true
	}
	incomeYearEnd := civil.Date(fy-1, time.December, 31)
	for _, f := range fs {
		if f.lost.After(day) || in[f.code] || !f.departed.IsZero() && !f.departed.After(day) {
			continue
		}
		m := premium.Member{ID: f.code, Former: true, BirthDate: nhi.Date(f.birth)}
		if f.code == y.Head {
			// A head outside NHI is in the household already; mark him former.
			for i := range h.Members {
				if h.Members[i].ID == f.code {
					h.Members[i].Former = true
				}
			}
		} else {
			r, ok := rev[f.code]
			if !ok && !f.birth.After(incomeYearEnd) {
				missing = append(missing, f.code)
				m.Undeclared = true
			}
			m.SalaryRevenue, m.PensionRevenue, m.OtherIncome = r.salary, r.pension, r.other
			h.Members = append(h.Members, m)
		}
	}
	h.Relief, h.ReliefChanges = reliefOf(fy, y, fs, rules)
	return missing
}

// reliefOf is household y's 特定世帯 / 特定継続世帯 relief in fiscal year fy,
// month by month: in a month with a 特定同一世帯所属者 (a former member whose
// move was in that month or before and who had not moved out or died by
// its first day) and exactly one member insured in it (from the month
// the member joined to the month before the one they left, as the premium
// is charged), 特定世帯 while fewer than specific_household.years × 12
// months have passed from the month of the latest such move, then
// 特定継続世帯 for specific_continuing.years × 12 months more. A month
// without an insured member keeps the month before's. It returns April's
// relief and the months it changes.
func reliefOf(fy int, y nhi.YearHousehold, fs []former, rules premium.Rules) (string, []premium.ReliefChange) {
	start := civil.Date(fy, time.April, 1)
	index := func(d time.Time) int { return (d.Year()-fy)*12 + int(d.Month()) - int(time.April) }
	var status [12]string
	for k := range 12 {
		first := start.AddDate(0, k, 0)
		insured := 0
		for _, m := range y.Members {
			if index(m.From) <= k && (m.Until.IsZero() || index(m.Until) > k) {
				insured++
			}
		}
		if insured == 0 && k > 0 {
			status[k] = status[k-1]
			continue
		}
		latest := -1 << 30
		for _, f := range fs {
			if at := index(f.lost); at <= k && at > latest && (f.departed.IsZero() || f.departed.After(first)) {
				latest = at
			}
		}
		if insured != 1 || latest == -1<<30 {
			continue
		}
		switch months, s, c := k-latest, rules.SpecificHousehold.Years*12, rules.SpecificContinuing.Years*12; {
		case months < s:
			status[k] = premium.ReliefSpecific
		case months < s+c:
			status[k] = premium.ReliefSpecificContinuing
		}
	}
	var changes []premium.ReliefChange
	for k := 1; k < 12; k++ {
		if status[k] != status[k-1] {
			changes = append(changes, premium.ReliefChange{Month: start.AddDate(0, k, 0).Format("2006-01"), Relief: status[k]})
		}
	}
	return status[0], changes
}

// readProvisional reads, by household of tenant (only hh when not 0), the
// amount its assessment in force of fiscal year fy − 1 collected from the
// pension in February of fy (特別徴収): the base of fy's 仮徴収. Only
// assessments collected from the pension are read.
func readProvisional(ctx context.Context, q store.Querier, tenant string, fy int, hh int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	feb := strconv.Itoa(fy) + "-02"
	err := store.Each(func(row store.Scanner) error {
		var h int64
		var body string
		if err := row.Scan(&h, &body); err != nil {
			return err
		}
		var r struct {
			Instalments []premium.Instalment `json:"instalments"`
			Collection  premium.Collection   `json:"collection"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return err
		}
		if r.Collection.Method != premium.Special {
			return nil
		}
		for _, in := range r.Instalments {
			if in.Month == feb && in.Amount > 0 {
				out[h] = in.Amount
			}
		}
		return nil
	})(q.Query(ctx, `SELECT a.household_id, a.result FROM nhi_assessments a WHERE a.tenant_code = $1 AND a.fiscal_year = $2 AND ($3 = 0 OR a.household_id = $3)
		AND a.result LIKE '%"method":"special"%' AND a.seq = (SELECT max(b.seq) FROM nhi_assessments b
		WHERE b.tenant_code = a.tenant_code AND b.fiscal_year = a.fiscal_year AND b.household_id = a.household_id)`, tenant, fy-1, hh))
	return out, err
}
