package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/demo"
	"bango/internal/nhi"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/vault"
)

// NHIOptions sizes the NHI benchmark.
type NHIOptions struct {
	Insured int // insured persons; households are two thirds as many
	Queries int // searches of each kind
	Seed    uint64
	Today   time.Time // the day the benchmark plays (zero: today in Japan)
	// SkipSearches and SkipCostShare leave out the searches or the yearly
	// decision (to measure one of them again without the other).
	SkipSearches, SkipCostShare bool
}

// NHIResult is the latency of the NHI clerk's searches and the time of the
// yearly 70–74 cost-share decision over a large municipality with five
// years of history (issue 18), each beside a plain indexed read of the
// same rows on the same engine in the same run.
type NHIResult struct {
	Engine      string      `json:"engine"`
	Role        string      `json:"role,omitempty"`
	Insured     int         `json:"insured"`
	Households  int         `json:"households"`
	Rows        int64       `json:"rows"` // NHI rows loaded: households, versions, insured, events, memberships, scheduled losses, incomes
	LoadSeconds float64     `json:"load_seconds"`
	Queries     int         `json:"queries_per_kind"`
	Searches    []NHISearch `json:"searches"`
	// The yearly decision of FiscalYear's 1 August.
	FiscalYear       int     `json:"fiscal_year"`
	Decided          int     `json:"decided"`
	Ratio2           int     `json:"ratio2"`
	Ratio3           int     `json:"ratio3"`
	Refused          int     `json:"refused"`
	CostShareSeconds float64 `json:"cost_share_seconds"`
	RerunSeconds     float64 `json:"rerun_seconds"`               // the same run again: nothing changes
	BaselineSeconds  float64 `json:"cost_share_baseline_seconds"` // one SELECT of the rows the decisions read
	CostShareRatio   float64 `json:"cost_share_ratio"`            // CostShareSeconds ÷ BaselineSeconds
}

// NHISearch is one kind of the clerk's searches: through the service (the
// page's list and its count, with the audit events) and the baseline, the
// same rows read by primary key.
type NHISearch struct {
	Kind        string  `json:"kind"`
	Example     string  `json:"example"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	BaseP50ms   float64 `json:"baseline_p50_ms"`
	BaseP99ms   float64 `json:"baseline_p99_ms"`
	P99Ratio    float64 `json:"p99_ratio"`
	MeanResults float64 `json:"mean_results"`
}

// nhiWorld is the synthetic municipality: who is insured in which
// household, from when, with what history.
type nhiWorld struct {
	tenant    string
	today     time.Time
	fy        time.Time // 1 August of the fiscal year decided
	start     time.Time // five years before
	people    []nhiPerson
	pseudo    []demo.Person // heads outside NHI
	hhs       []nhiHousehold
	kanaNames []string // family-name kana, for the searches
}

type nhiPerson struct {
	p      demo.Person
	hh     int // index in hhs
	branch int
	acq    time.Time
	// History beyond the acquisition.
	lostOn, reacq time.Time // 社保加入 and back
	lost75        bool      // left for 後期高齢者医療 on the 75th birthday
	movedTo       int       // split into household movedTo (index) on moved; -1 none
	moved         time.Time
}

type nhiHousehold struct {
	id       int64
	from     time.Time
	head     string
	members  []int // person indexes
	headTo   string
	headFrom time.Time
	splitOf  int // the household it split from; -1 none
}

func newNHIWorld(o NHIOptions) *nhiWorld {
	w := &nhiWorld{tenant: demo.Municipalities()[0].Code, today: o.Today}
	y := w.today.Year()
	if w.today.Month() < time.August {
		y--
	}
	w.fy = time.Date(y, time.August, 1, 0, 0, 0, 0, time.UTC)
	w.start = time.Date(y-5, time.April, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(o.Seed, 18))
	g := demo.NewGenerator(demo.Municipalities()[0], o.Seed)
	nh := o.Insured * 2 / 3
	w.hhs = make([]nhiHousehold, nh, nh+nh/20+1)
	w.people = make([]nhiPerson, o.Insured)
	day := func(from time.Time, days int) time.Time { return from.AddDate(0, 0, days) }
	seen := map[string]bool{}
	for i := range w.people {
		p := g.Next()
		switch {
		case i%4 == 0: // aged 70–74 on the fiscal year's 1 August
			lo := w.fy.AddDate(-75, 0, 1)
			p.BirthDate = day(lo, rng.IntN(int(w.fy.AddDate(-70, -1, 0).Sub(lo).Hours()/24)))
		case i%40 == 1 && i >= nh: // a member who reached 75 within the five years
			lo := w.start.AddDate(-74, 0, 0)
			p.BirthDate = day(lo, rng.IntN(int(w.today.AddDate(-75, 0, -1).Sub(lo).Hours()/24)))
		default:
			p.BirthDate = day(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), rng.IntN(64*365))
		}
		w.people[i] = nhiPerson{p: p, movedTo: -1}
		if f, _, _ := strings.Cut(p.NameKana, "　"); !seen[f] {
			seen[f] = true
			w.kanaNames = append(w.kanaNames, f)
		}
	}
	for h := range w.hhs {
		w.hhs[h] = nhiHousehold{id: int64(h + 1), from: day(w.start, h%365), splitOf: -1}
	}
	// Heads first, one per household; the rest join households spread evenly.
	for i := range w.people {
		h := i
		if i >= nh {
			h = (i - nh) * nh / max(1, o.Insured-nh)
		}
		w.people[i].hh = h
		w.people[i].branch = len(w.hhs[h].members) + 1
		w.hhs[h].members = append(w.hhs[h].members, i)
	}
	for h := range w.hhs {
		hh := &w.hhs[h]
		first := &w.people[hh.members[0]]
		hh.head = first.p.ResidentCode
		if h%10 == 9 { // the head is on employee insurance (擬制世帯主)
			q := g.Next()
			q.BirthDate = time.Date(1965+h%30, time.Month(1+h%12), 1+h%28, 0, 0, 0, 0, time.UTC)
			w.pseudo = append(w.pseudo, q)
			hh.head = q.ResidentCode
		}
		if b := first.p.BirthDate; b.After(hh.from) {
			hh.from = b
		}
		for j, i := range hh.members {
			p := &w.people[i]
			p.acq = hh.from
			if p.p.BirthDate.After(p.acq) {
				p.acq = p.p.BirthDate
			}
			if j == 0 {
				continue
			}
			b75 := nhi.Birthday75(p.p.BirthDate)
			switch {
			case !b75.After(w.today):
				p.lost75 = true
			case i%5 == 1 && p.acq.AddDate(0, 0, 700).Before(w.today):
				p.lostOn, p.reacq = p.acq.AddDate(0, 0, 400), p.acq.AddDate(0, 0, 700)
			case h%20 == 7 && p.acq.AddDate(0, 0, 900).Before(w.today.AddDate(0, 0, -10)):
				n := len(w.hhs)
				p.movedTo, p.moved = n, p.acq.AddDate(0, 0, 900)
				w.hhs = append(w.hhs, nhiHousehold{id: int64(n + 1), from: p.moved, head: p.p.ResidentCode, splitOf: h})
				hh = &w.hhs[h] // the slice may have grown
			case h%10 == 3 && hh.head == first.p.ResidentCode && hh.headTo == "" && p.acq.AddDate(0, 0, 500).Before(w.today):
				hh.headTo, hh.headFrom = p.p.ResidentCode, p.acq.AddDate(0, 0, 500)
			}
		}
	}
	return w
}

// load writes the world as the service would have, with the bulk path.
func (w *nhiWorld) load(ctx context.Context, db *store.DB) (int64, error) {
	e := db.Engine()
	d := func(t time.Time) any { return dateArg(e, t) }
	at := w.start.Add(9 * time.Hour)
	const by = "bench-clerk"
	var total int64
	copyRows := func(table string, cols []string, rows func(yield func([]any))) error {
		var buf [][]any
		rows(func(r []any) { buf = append(buf, r) })
		const chunk = 100000
		for lo := 0; lo < len(buf); lo += chunk {
			part := buf[lo:min(lo+chunk, len(buf))]
			err := db.Transact(ctx, func(tx *store.Tx) error {
				i := 0
				n, err := tx.CopyFrom(ctx, table, cols, func() ([]any, error) {
					if i == len(part) {
						return nil, nil
					}
					i++
					return part[i-1], nil
				})
				total += n
				return err
			})
			if err != nil {
				return fmt.Errorf("bench nhi: load %s: %w", table, err)
			}
		}
		return nil
	}
	residentRow := func(p demo.Person) []any {
		return []any{w.tenant, p.ResidentCode, p.NameKanji, p.NameKana, p.Address, d(p.BirthDate), p.Sex, at, at}
	}
	if err := copyRows("residents", []string{"tenant_code", "code", "name_kanji", "name_kana", "address", "birth_date", "sex", "created_at", "updated_at"},
		func(yield func([]any)) {
			for _, p := range w.people {
				yield(residentRow(p.p))
			}
			for _, p := range w.pseudo {
				yield(residentRow(p))
			}
		}); err != nil {
		return 0, err
	}
	total = 0
	if err := copyRows("nhi_households", []string{"id", "tenant_code", "kigo", "created_at", "created_by"}, func(yield func([]any)) {
		for _, h := range w.hhs {
			yield([]any{h.id, w.tenant, "新宿", at, by})
		}
	}); err != nil {
		return 0, err
	}
	// Every row carries its ID: PostgreSQL stages rows under row-level
	// security through a table without the identity default.
	var vid int64
	version := func(h nhiHousehold, from time.Time, head, event string, related any) []any {
		vid++
		return []any{vid, w.tenant, h.id, d(from), head, event, related, d(from), false, at, by}
	}
	if err := copyRows("nhi_household_versions", []string{"id", "tenant_code", "household_id", "valid_from", "head_resident_code", "event", "related_household",
		"notified_on", "late", "recorded_at", "recorded_by"}, func(yield func([]any)) {
		for _, h := range w.hhs {
			if h.splitOf >= 0 {
				yield(version(h, h.from, h.head, "split", w.hhs[h.splitOf].id))
				continue
			}
			yield(version(h, h.from, h.head, "establish", nil))
			if h.headTo != "" {
				yield(version(h, h.headFrom, h.headTo, "head_change", nil))
			}
		}
	}); err != nil {
		return 0, err
	}
	if err := copyRows("nhi_insured", []string{"tenant_code", "resident_code", "number", "branch", "created_at"}, func(yield func([]any)) {
		for _, p := range w.people {
			yield([]any{w.tenant, p.p.ResidentCode, strconv.Itoa(1000000 + p.hh), fmt.Sprintf("%02d", p.branch), at})
		}
	}); err != nil {
		return 0, err
	}
	// Events with their IDs, for the scheduled losses that name them.
	type sched struct {
		code   string
		id     int64
		due    time.Time
		status string
	}
	var scheds []sched
	var id int64
	if err := copyRows("nhi_eligibility_events", []string{"id", "tenant_code", "resident_code", "kind", "effective_date", "reason", "notified_on", "late",
		"source", "recorded_at", "recorded_by"}, func(yield func([]any)) {
		ev := func(code, kind string, on time.Time, reason, source string) int64 {
			id++
			yield([]any{id, w.tenant, code, kind, d(on), reason, d(on), false, source, at, by})
			return id
		}
		for _, p := range w.people {
			c, b75 := p.p.ResidentCode, nhi.Birthday75(p.p.BirthDate)
			a := ev(c, "acquire", p.acq, nhi.AcquireMoveIn, "entry")
			switch {
			case p.lost75:
				ev(c, "loss", b75, nhi.LossLateElderly, "birthday75")
				scheds = append(scheds, sched{c, a, b75, "applied"})
			case !p.lostOn.IsZero():
				ev(c, "loss", p.lostOn, nhi.LossJoinedEmployee, "entry")
				scheds = append(scheds, sched{c, a, b75, "superseded"})
				a2 := ev(c, "acquire", p.reacq, nhi.AcquireLeftEmployee, "entry")
				scheds = append(scheds, sched{c, a2, b75, "scheduled"})
			default:
				scheds = append(scheds, sched{c, a, b75, "scheduled"})
			}
		}
	}); err != nil {
		return 0, err
	}
	if err := copyRows("nhi_scheduled_losses", []string{"tenant_code", "resident_code", "acquired_id", "due_date", "status", "decided_at"}, func(yield func([]any)) {
		for _, s := range scheds {
			var decided any
			if s.status != "scheduled" {
				decided = at
			}
			yield([]any{w.tenant, s.code, s.id, d(s.due), s.status, decided})
		}
	}); err != nil {
		return 0, err
	}
	var mid int64
	if err := copyRows("nhi_memberships", []string{"id", "tenant_code", "resident_code", "household_id", "valid_from", "recorded_at", "recorded_by"}, func(yield0 func([]any)) {
		yield := func(r []any) { mid++; yield0(append([]any{mid}, r...)) }
		for _, p := range w.people {
			c := p.p.ResidentCode
			hh := w.hhs[p.hh].id
			yield([]any{w.tenant, c, hh, d(p.acq), at, by})
			switch {
			case p.lost75:
				yield([]any{w.tenant, c, nil, d(nhi.Birthday75(p.p.BirthDate)), at, by})
			case !p.lostOn.IsZero():
				yield([]any{w.tenant, c, nil, d(p.lostOn), at, by})
				yield([]any{w.tenant, c, hh, d(p.reacq), at, by})
			case p.movedTo >= 0:
				yield([]any{w.tenant, c, w.hhs[p.movedTo].id, d(p.moved), at, by})
			}
		}
	}); err != nil {
		return 0, err
	}
	// Incomes of the five years for everyone who is 70–74 on a 1 August in them.
	var nid int64
	if err := copyRows("nhi_incomes", []string{"id", "tenant_code", "resident_code", "income_year", "taxable_income", "revenue", "old_proviso_income",
		"recorded_at", "recorded_by"}, func(yield0 func([]any)) {
		yield := func(r []any) { nid++; yield0(append([]any{nid}, r...)) }
		for i, p := range w.people {
			if i%4 != 0 && !p.lost75 {
				continue
			}
			for y := w.fy.Year() - 5; y < w.fy.Year(); y++ {
				f := demoIncomes[(i/4+y)%len(demoIncomes)]
				yield([]any{w.tenant, p.p.ResidentCode, y, f[0], f[1], f[2], at, by})
			}
		}
	}); err != nil {
		return 0, err
	}
	if e == store.Postgres {
		for _, t := range []string{"nhi_households", "nhi_household_versions", "nhi_eligibility_events", "nhi_memberships", "nhi_incomes"} {
			if _, err := db.SQL().ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT max(id) FROM `+t+`))`); err != nil {
				return total, err
			}
		}
	}
	// The register is indexed for search as bango serve keeps it (every
	// second): on PostgreSQL the NHI searches by kana and date of birth read
	// the search keys (migration 0017).
	if _, err := resident.IndexForSearch(ctx, db); err != nil {
		return total, fmt.Errorf("bench nhi: index the register for search: %w", err)
	}
	maintain := []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"}
	if e == store.Postgres {
		maintain = []string{"VACUUM (ANALYZE) residents", "VACUUM (ANALYZE) nhi_households", "VACUUM (ANALYZE) nhi_household_versions", "VACUUM (ANALYZE) nhi_insured",
			"VACUUM (ANALYZE) nhi_eligibility_events", "VACUUM (ANALYZE) nhi_memberships", "VACUUM (ANALYZE) nhi_scheduled_losses", "VACUUM (ANALYZE) nhi_incomes", "VACUUM (ANALYZE) resident_search"}
	}
	for _, q := range maintain {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			return total, fmt.Errorf("bench nhi: %s: %w", q, err)
		}
	}
	return total, nil
}

// demoIncomes are incomes on each side of the cost-share thresholds.
var demoIncomes = [][3]int64{
	{0, 1_800_000, 600_000},
	{1_449_999, 4_000_000, 2_500_000},
	{1_450_000, 3_830_000, 2_100_001},
	{800_000, 2_500_000, 1_200_000},
	{1_450_000, 3_829_999, 2_100_001},
	{2_000_000, 5_000_000, 2_100_000},
	{3_000_000, 6_500_000, 4_000_000},
}

func dateArg(e store.Engine, t time.Time) any {
	if e == store.SQLite {
		return t.Format(time.DateOnly)
	}
	return t
}

// NHI builds a municipality of o.Insured insured persons in two thirds as
// many households with five years of history (acquisitions, losses to
// employee insurance and back, to 後期高齢者医療 at 75, splits, changes of
// head, incomes), loaded in bulk as the service writes them; then times
// the clerk's searches through nhi.Service (by insured number, by kana
// prefix, a household as of a past date), each beside the same rows read
// by primary key, and the yearly cost-share decision beside one SELECT of
// the rows it reads.
func NHI(ctx context.Context, dbURL string, o NHIOptions) (NHIResult, error) {
	if o.Insured < 30 || o.Queries <= 0 {
		return NHIResult{}, fmt.Errorf("bench nhi: need at least 30 insured persons and positive queries")
	}
	if o.Today.IsZero() {
		n := time.Now().In(time.FixedZone("JST", 9*60*60))
		o.Today = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return NHIResult{}, err
	}
	defer s.Close()
	mk, _, err := vault.LoadKeyFile(filepath.Join(s.dir, "master.key"), true)
	if err != nil {
		return NHIResult{}, err
	}
	w := newNHIWorld(o)
	res := NHIResult{Engine: string(s.db.Engine()), Insured: o.Insured, Households: len(w.hhs), Queries: o.Queries, FiscalYear: w.fy.Year()}
	if s.db.Engine() == store.Postgres {
		if err := s.db.QueryRow(ctx, `SELECT current_user`).Scan(&res.Role); err != nil {
			return res, err
		}
	}
	if _, err := tenant.NewService(s.db, vault.New(s.db, mk)).Create(ctx, w.tenant, "新宿区"); err != nil {
		return res, err
	}
	t0 := time.Now()
	scoped := store.WithScope(ctx, w.tenant)
	if res.Rows, err = w.load(scoped, s.db); err != nil {
		return res, err
	}
	res.LoadSeconds = time.Since(t0).Seconds()
	svc := nhi.NewService(s.db, quietLogger())
	svc.SetClock(func() time.Time { return o.Today.Add(3 * time.Hour) })
	clerk := audit.WithActor(ctx, audit.Actor{User: "bench-clerk", Terminal: "T-01", Address: "10.0.0.8"})
	rng := rand.New(rand.NewPCG(o.Seed, 180))

	if !o.SkipSearches {
		// The baseline: the rows a search listed, read by primary key.
		baseline := func(codes []string) (time.Duration, error) {
			if len(codes) == 0 {
				codes = []string{"0"}
			}
			args := []any{w.tenant}
			marks := make([]string, len(codes))
			for i, c := range codes {
				args = append(args, c)
				marks[i] = "$" + strconv.Itoa(i+2)
			}
			start := time.Now()
			err := s.db.Read(scoped, func(q store.Querier) error {
				rows, err := q.Query(scoped, `SELECT i.resident_code, r.name_kanji, r.name_kana, r.birth_date, i.number, i.branch FROM nhi_insured i
					JOIN residents r ON r.tenant_code = i.tenant_code AND r.code = i.resident_code WHERE i.tenant_code = $1 AND i.resident_code IN (`+strings.Join(marks, ", ")+`)`, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
				}
				return rows.Err()
			})
			return time.Since(start), err
		}
		search := func(kind string, query func() (nhi.Query, string)) error {
			var ds, bs []time.Duration
			found := 0
			var example string
			for i := range o.Queries {
				q, shown := query()
				if i == 0 {
					example = shown
				}
				start := time.Now()
				page, err := svc.Find(clerk, w.tenant, q, "", 50)
				if err != nil {
					return fmt.Errorf("bench nhi: %s %s: %w", kind, shown, err)
				}
				if _, _, err := svc.Count(clerk, w.tenant, q); err != nil {
					return fmt.Errorf("bench nhi: count %s %s: %w", kind, shown, err)
				}
				ds = append(ds, time.Since(start))
				codes := make([]string, len(page.Items))
				for j, p := range page.Items {
					codes[j] = p.ResidentCode
				}
				found += len(codes)
				b, err := baseline(codes)
				if err != nil {
					return err
				}
				bs = append(bs, b)
			}
			k := NHISearch{Kind: kind, Example: example, P50ms: percentile(ds, 50), P99ms: percentile(ds, 99), BaseP50ms: percentile(bs, 50),
				BaseP99ms: percentile(bs, 99), MeanResults: float64(found) / float64(o.Queries)}
			if k.BaseP99ms > 0 {
				k.P99Ratio = k.P99ms / k.BaseP99ms
			}
			res.Searches = append(res.Searches, k)
			return nil
		}
		pick := func() nhiPerson { return w.people[rng.IntN(len(w.people))] }
		if err := search("insured number (番号)", func() (nhi.Query, string) {
			n := strconv.Itoa(1000000 + pick().hh)
			return nhi.Query{Number: n}, n
		}); err != nil {
			return res, err
		}
		if err := search("kana prefix (family name, 2 characters)", func() (nhi.Query, string) {
			k := string([]rune(w.kanaNames[rng.IntN(len(w.kanaNames))])[:2])
			return nhi.Query{KanaPrefix: k}, k
		}); err != nil {
			return res, err
		}
		if err := search("kana prefix (full family name)", func() (nhi.Query, string) {
			k, _, _ := strings.Cut(pick().p.NameKana, "　")
			return nhi.Query{KanaPrefix: k}, k
		}); err != nil {
			return res, err
		}
		// A household as of a past date: the view and its timeline, beside its
		// memberships and versions read by their index.
		{
			var ds, bs []time.Duration
			found := 0
			var example string
			for i := range o.Queries {
				h := w.hhs[rng.IntN(len(w.hhs))]
				on := h.from.AddDate(0, 0, rng.IntN(max(1, int(o.Today.Sub(h.from).Hours()/24))))
				if i == 0 {
					example = strconv.FormatInt(h.id, 10) + " @" + nhi.Date(on)
				}
				start := time.Now()
				v, err := svc.Household(clerk, w.tenant, h.id, nhi.Date(on))
				if err != nil {
					return res, fmt.Errorf("bench nhi: household %d as of %s: %w", h.id, nhi.Date(on), err)
				}
				ds = append(ds, time.Since(start))
				found += len(v.Members)
				start = time.Now()
				err = s.db.Read(scoped, func(q store.Querier) error {
					for _, sql := range []string{`SELECT resident_code, household_id, valid_from FROM nhi_memberships WHERE tenant_code = $1 AND household_id = $2 AND voided_at IS NULL`,
						`SELECT valid_from, head_resident_code, event FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 AND voided_at IS NULL`} {
						rows, err := q.Query(scoped, sql, w.tenant, h.id)
						if err != nil {
							return err
						}
						for rows.Next() {
						}
						rows.Close()
					}
					return nil
				})
				if err != nil {
					return res, err
				}
				bs = append(bs, time.Since(start))
			}
			k := NHISearch{Kind: "household as of a past date", Example: example, P50ms: percentile(ds, 50), P99ms: percentile(ds, 99),
				BaseP50ms: percentile(bs, 50), BaseP99ms: percentile(bs, 99), MeanResults: float64(found) / float64(o.Queries)}
			if k.BaseP99ms > 0 {
				k.P99Ratio = k.P99ms / k.BaseP99ms
			}
			res.Searches = append(res.Searches, k)
		}
	}

	if !o.SkipCostShare {
		// The yearly decision, then the same again (nothing changes), then the
		// baseline: one SELECT of the rows the decisions read.
		start := time.Now()
		r, err := svc.RedetermineCostShares(clerk, w.tenant, w.fy.Year())
		if err != nil {
			return res, err
		}
		res.CostShareSeconds = time.Since(start).Seconds()
		res.Decided, res.Ratio2, res.Ratio3, res.Refused = r.Decided, r.Ratio2, r.Ratio3, len(r.Refused)
		start = time.Now()
		r2, err := svc.RedetermineCostShares(clerk, w.tenant, w.fy.Year())
		if err != nil {
			return res, err
		}
		res.RerunSeconds = time.Since(start).Seconds()
		if r2.Decided != 0 || r2.Unchanged != r.Decided {
			return res, fmt.Errorf("bench nhi: the rerun decided %d households again (%d unchanged of %d)", r2.Decided, r2.Unchanged, r.Decided)
		}
		start = time.Now()
		e := s.db.Engine()
		err = s.db.Read(scoped, func(q store.Querier) error {
			rows, err := q.Query(scoped, `SELECT m.household_id, i.resident_code, r.birth_date, n.taxable_income, n.revenue, n.old_proviso_income
				FROM nhi_insured i JOIN residents r ON r.tenant_code = i.tenant_code AND r.code = i.resident_code
				JOIN nhi_memberships m ON m.tenant_code = i.tenant_code AND m.resident_code = i.resident_code AND m.voided_at IS NULL
				LEFT JOIN nhi_incomes n ON n.tenant_code = i.tenant_code AND n.resident_code = i.resident_code AND n.income_year = $2
				WHERE i.tenant_code = $1 AND r.birth_date > $3 AND r.birth_date <= $4`,
				w.tenant, w.fy.Year()-1, dateArg(e, w.fy.AddDate(-76, 0, 0)), dateArg(e, w.fy.AddDate(-69, 0, 0)))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		})
		if err != nil {
			return res, err
		}
		res.BaselineSeconds = time.Since(start).Seconds()
		if res.BaselineSeconds > 0 {
			res.CostShareRatio = res.CostShareSeconds / res.BaselineSeconds
		}
	}
	return res, nil
}
