package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"bango/internal/audit"
	"bango/internal/demo"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/tenant"
	"bango/internal/vault"
)

// ResidentSearchOptions sizes the resident search benchmark.
type ResidentSearchOptions struct {
	Residents int           // in the municipality searched; a second one holds a tenth as many
	Queries   int           // searches of each kind, one after another
	Sessions  int           // staff sessions searching at once under load
	Duration  time.Duration // of each load phase
	Think     time.Duration // a paced session's mean pause between searches
	Seed      uint64
	// Profile, when set, receives a CPU profile of the load phases alone
	// (go tool pprof), where the time under many sessions goes.
	Profile io.Writer
}

// ResidentSearchResult is the latency of the searches staff make at the
// counter over a large municipality (issue 14 I), each kind against the
// search by code (the primary key, through the same path: scope, search,
// audit event) measured in the same run.
type ResidentSearchResult struct {
	Engine       string       `json:"engine"`
	Role         string       `json:"role,omitempty"` // PostgreSQL: the role searched as
	Residents    int          `json:"residents"`
	Others       int          `json:"other_municipality_residents"`
	LoadSeconds  float64      `json:"load_seconds"`  // both municipalities imported through the real path
	IndexSeconds float64      `json:"index_seconds"` // then indexed for search where that waits (SQLite) and analysed
	Queries      int          `json:"queries_per_kind"`
	FloorP50ms   float64      `json:"primary_key_select_p50_ms"` // one SELECT by primary key, no audit event: the floor
	FloorP99ms   float64      `json:"primary_key_select_p99_ms"`
	Kinds        []SearchKind `json:"kinds"`
	Load         []SearchLoad `json:"load"`
}

// SearchKind is one kind of search, alone or under load.
type SearchKind struct {
	Kind        string  `json:"kind"`
	Example     string  `json:"example,omitempty"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	MeanResults float64 `json:"mean_results,omitempty"`
	MoreShare   float64 `json:"more_share,omitempty"` // share of searches that matched more than a screen
	P50Ratio    float64 `json:"p50_ratio,omitempty"`  // ÷ the search by code
	P99Ratio    float64 `json:"p99_ratio,omitempty"`
}

// SearchLoad is a phase of concurrent sessions, each searching, pausing
// Think on average (none: as fast as answers come), until Seconds pass.
type SearchLoad struct {
	Sessions  int     `json:"sessions"`
	ThinkMs   float64 `json:"think_ms"`
	Seconds   float64 `json:"seconds"`
	Searches  int     `json:"searches"`
	PerSecond float64 `json:"searches_per_second"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	Errors    int     `json:"errors"`
	// CPU time of this process (bango, and SQLite inside it) per search:
	// less at the mercy of other work on the machine than the latencies.
	CPUms float64      `json:"process_cpu_ms_per_search"`
	Kinds []SearchKind `json:"kinds"`
}

// searchKinds are the searches staff make, each written from a resident
// of the municipality as staff would type it.
var searchKinds = []struct {
	name string
	q    func(p demo.Person, r *rand.Rand) string
}{
	{"code (baseline)", func(p demo.Person, _ *rand.Rand) string { return p.ResidentCode }},
	{"kana, first two of the family name", func(p demo.Person, _ *rand.Rand) string { return string([]rune(p.NameKana)[:2]) }},
	{"kana family name", func(p demo.Person, _ *rand.Rand) string { return family(p.NameKana) }},
	{"kana full name", func(p demo.Person, _ *rand.Rand) string { return p.NameKana }},
	{"given name, kana", func(p demo.Person, _ *rand.Rand) string { return given(p.NameKana) }},
	{"given name, kanji", func(p demo.Person, _ *rand.Rand) string { return given(p.NameKanji) }},
	{"kanji family name", func(p demo.Person, _ *rand.Rand) string { return family(p.NameKanji) }},
	{"kanji, three anywhere", func(p demo.Person, r *rand.Rand) string {
		rs := []rune(p.NameKanji)
		i := r.IntN(len(rs) - 2)
		return string(rs[i : i+3])
	}},
	{"birth date, 和暦", func(p demo.Person, _ *rand.Rand) string { return resident.Wareki(p.BirthDate) }},
	{"birth date, 西暦", func(p demo.Person, _ *rand.Rand) string { return p.BirthDate.Format("2006-01-02") }},
	{"address, town and chōme", func(p demo.Person, _ *rand.Rand) string { return town(p.Address) }},
}

// town is the part of an address staff type to find a street: after the
// municipality's ward or city, up to its chōme (西新宿二丁目) or its
// 番地.
func town(address string) string {
	_, rest, ok := strings.Cut(address, "区")
	if !ok {
		_, rest, _ = strings.Cut(address, "市")
	}
	for _, end := range []string{"丁目", "番地"} {
		if i := strings.Index(rest, end); i >= 0 {
			return rest[:i+len(end)]
		}
	}
	return rest
}

// errOtherMunicipality fails the benchmark: a search across
// municipalities is a defect, not a figure.
var errOtherMunicipality = errors.New("bench search: a search crossed municipalities")

func family(name string) string { f, _, _ := strings.Cut(name, "　"); return f }
func given(name string) string  { _, g, _ := strings.Cut(name, "　"); return g }

// ResidentSearch imports o.Residents synthetic residents of 新宿区 (and a
// tenth as many of 札幌市, never to be found) through the real import path,
// then times o.Queries searches of each kind one after another, then
// o.Sessions concurrent sessions for o.Duration: paced (o.Think on average
// between a session's searches) and then unpaced. Every search runs as
// staff do, through resident.Service.Find with its audit event; a result
// from the other municipality fails the benchmark.
func ResidentSearch(ctx context.Context, dbURL string, o ResidentSearchOptions) (ResidentSearchResult, error) {
	if o.Residents < 100 || o.Queries <= 0 || o.Sessions <= 0 || o.Duration <= 0 || o.Think < 0 {
		return ResidentSearchResult{}, fmt.Errorf("bench search: need at least 100 residents and positive queries, sessions and duration")
	}
	ctx = audit.WithActor(ctx, audit.Actor{User: "system:bench"})
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return ResidentSearchResult{}, err
	}
	defer s.Close()
	mk, _, err := vault.LoadKeyFile(filepath.Join(s.dir, "master.key"), true)
	if err != nil {
		return ResidentSearchResult{}, err
	}
	v := vault.New(s.db, mk)
	ms := demo.Municipalities()
	res := ResidentSearchResult{Engine: string(s.db.Engine()), Residents: o.Residents, Others: max(1, o.Residents/10), Queries: o.Queries}
	if s.db.Engine() == store.Postgres {
		if err := s.db.QueryRow(ctx, `SELECT current_user`).Scan(&res.Role); err != nil {
			return res, err
		}
	}
	for _, m := range ms {
		if _, err := tenant.NewService(s.db, v).Create(ctx, m.Code, m.Name); err != nil {
			return res, err
		}
	}
	svc := resident.NewService(s.db, v, quietLogger())

	// The searches are written from residents sampled while importing.
	var sample []demo.Person
	every := max(1, o.Residents/4000)
	t0 := time.Now()
	for i, m := range ms {
		n := []int{o.Residents, res.Others}[i]
		g := demo.NewGenerator(m, o.Seed+uint64(i))
		rep, err := svc.Import(ctx, m.Code, func(yield func(resident.Record) bool) {
			for line := 1; line <= n; line++ {
				p := g.Next()
				if i == 0 && line%every == 0 {
					sample = append(sample, p)
				}
				in := resident.Input{Code: p.ResidentCode, NameKanji: p.NameKanji, NameKana: p.NameKana, Alias: p.Alias,
					Address: p.Address, BirthDate: p.BirthDate.Format("2006-01-02"), Sex: p.Sex, MyNumber: p.MyNumber}
				if !yield(resident.Record{Line: line, Input: in}) {
					return
				}
			}
		})
		if err != nil {
			return res, fmt.Errorf("bench search: import %s: %w", m.Code, err)
		}
		if rep.Rows != int64(n) {
			return res, fmt.Errorf("bench search: imported %d residents of %d", rep.Rows, n)
		}
	}
	res.LoadSeconds = time.Since(t0).Seconds()
	t0 = time.Now()
	if _, err := resident.IndexForSearch(ctx, s.db); err != nil {
		return res, err
	}
	// What the database does soon after a bulk import, done now: planner
	// statistics, and on PostgreSQL the visibility map that index-only
	// scans read (autovacuum), on SQLite the import's pages copied from the
	// write-ahead log into the database (the next commits' checkpoints).
	maintain := []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"}
	if s.db.Engine() == store.Postgres {
		maintain = []string{"VACUUM (ANALYZE) residents", "VACUUM (ANALYZE) resident_search", "VACUUM (ANALYZE) resident_grams", "VACUUM (ANALYZE) resident_address_grams", "VACUUM (ANALYZE) resident_prefixes", "VACUUM resident_search_pending"}
	}
	for _, q := range maintain {
		if _, err := s.db.SQL().ExecContext(ctx, q); err != nil {
			return res, fmt.Errorf("bench search: %s: %w", q, err)
		}
	}
	res.IndexSeconds = time.Since(t0).Seconds()

	here := ms[0].Code
	find := func(ctx context.Context, q string) (resident.SearchResult, time.Duration, error) {
		start := time.Now()
		r, err := svc.Find(ctx, here, q)
		d := time.Since(start)
		if err == nil {
			for _, x := range r.Residents {
				if x.Tenant != here {
					return r, d, fmt.Errorf("%w: %q in %s found a resident of %s", errOtherMunicipality, q, here, x.Tenant)
				}
			}
		}
		return r, d, err
	}

	// One session, one kind after another.
	rng := rand.New(rand.NewPCG(o.Seed, 14))
	staff := audit.WithActor(ctx, audit.Actor{User: "bench-clerk", Terminal: "T-01", Address: "10.0.0.8"})
	floor := make([]time.Duration, 0, o.Queries)
	scoped := store.WithScope(ctx, here)
	for range o.Queries {
		p := sample[rng.IntN(len(sample))]
		start := time.Now()
		var n int
		err := s.db.Read(scoped, func(q store.Querier) error {
			return q.QueryRow(scoped, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, here, p.ResidentCode).Scan(&n)
		})
		if err != nil || n != 1 {
			return res, fmt.Errorf("bench search: primary key lookup of %s: %d rows, %v", p.ResidentCode, n, err)
		}
		floor = append(floor, time.Since(start))
	}
	res.FloorP50ms, res.FloorP99ms = percentile(floor, 50), percentile(floor, 99)
	for _, k := range searchKinds {
		ds := make([]time.Duration, 0, o.Queries)
		var found, more int
		var example string
		for i := range o.Queries {
			q := k.q(sample[rng.IntN(len(sample))], rng)
			if i == 0 {
				example = q
			}
			r, d, err := find(staff, q)
			if err != nil {
				return res, fmt.Errorf("bench search: %s %q: %w", k.name, q, err)
			}
			ds, found = append(ds, d), found+len(r.Residents)
			if r.More {
				more++
			}
		}
		res.Kinds = append(res.Kinds, SearchKind{Kind: k.name, Example: example, P50ms: percentile(ds, 50), P99ms: percentile(ds, 99),
			MeanResults: float64(found) / float64(o.Queries), MoreShare: float64(more) / float64(o.Queries)})
	}
	ratios(res.Kinds)

	// Many sessions at once: paced as staff work, then as fast as they can.
	if o.Profile != nil {
		if err := pprof.StartCPUProfile(o.Profile); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	for _, think := range []time.Duration{o.Think, 0} {
		l, err := searchLoad(ctx, find, sample, o, think)
		if err != nil {
			return res, err
		}
		res.Load = append(res.Load, l)
		if o.Think == 0 {
			break
		}
	}
	return res, nil
}

// ratios sets each kind's latency against the first kind's, the search by code.
func ratios(ks []SearchKind) {
	for i := range ks {
		if ks[0].P50ms > 0 && ks[0].P99ms > 0 {
			ks[i].P50Ratio, ks[i].P99Ratio = ks[i].P50ms/ks[0].P50ms, ks[i].P99ms/ks[0].P99ms
		}
	}
}

func searchLoad(ctx context.Context, find func(context.Context, string) (resident.SearchResult, time.Duration, error),
	sample []demo.Person, o ResidentSearchOptions, think time.Duration) (SearchLoad, error) {
	l := SearchLoad{Sessions: o.Sessions, ThinkMs: float64(think.Microseconds()) / 1000}
	byKind := make([][]time.Duration, len(searchKinds))
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	deadline := start.Add(o.Duration)
	for i := range o.Sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(o.Seed, uint64(1000+i)))
			staff := audit.WithActor(ctx, audit.Actor{User: fmt.Sprintf("bench-staff%03d", i), Session: fmt.Sprint("s", i), Terminal: "T-01", Address: "10.0.0.8"})
			mine := make([][]time.Duration, len(searchKinds))
			failed := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if think > 0 {
					time.Sleep(time.Duration(rng.Int64N(int64(2 * think)))) // a pause of think on average
					if !time.Now().Before(deadline) {
						break
					}
				}
				k := rng.IntN(len(searchKinds))
				_, d, err := find(staff, searchKinds[k].q(sample[rng.IntN(len(sample))], rng))
				if err != nil {
					failed++
					if errors.Is(err, errOtherMunicipality) {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
					}
					continue
				}
				mine[k] = append(mine[k], d)
			}
			mu.Lock()
			defer mu.Unlock()
			l.Errors += failed
			for k := range mine {
				byKind[k] = append(byKind[k], mine[k]...)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return l, firstErr
	}
	l.Seconds = time.Since(start).Seconds()
	var all []time.Duration
	for k, ds := range byKind {
		all = append(all, ds...)
		if len(ds) > 0 {
			l.Kinds = append(l.Kinds, SearchKind{Kind: searchKinds[k].name, P50ms: percentile(ds, 50), P99ms: percentile(ds, 99)})
		}
	}
	l.Searches = len(all)
	if l.Searches == 0 {
		return l, fmt.Errorf("bench search: no search finished under load (%d errors)", l.Errors)
	}
	l.PerSecond = float64(l.Searches) / l.Seconds
	l.CPUms = float64((processCPU() - cpu0).Microseconds()) / 1000 / float64(l.Searches)
	l.P50ms, l.P99ms = percentile(all, 50), percentile(all, 99)
	if len(l.Kinds) == len(searchKinds) {
		ratios(l.Kinds)
	}
	return l, nil
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
