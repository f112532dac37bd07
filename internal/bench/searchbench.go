package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// SearchResult is the latency of the auditor's two common searches over a
// large log (R-AUD-2): by subject, and by actor over a week.
type SearchResult struct {
	Engine       string  `json:"engine"`
	Events       int     `json:"events"`
	LoadSeconds  float64 `json:"load_seconds"`
	IndexSeconds float64 `json:"index_seconds"` // building the search index from the placed leaves
	Queries      int     `json:"queries_per_search"`
	SubjectP50ms float64 `json:"subject_p50_ms"`
	SubjectP99ms float64 `json:"subject_p99_ms"`
	SubjectHits  float64 `json:"subject_mean_results"`
	ActorP50ms   float64 `json:"actor_week_p50_ms"`
	ActorP99ms   float64 `json:"actor_week_p99_ms"`
	ActorHits    float64 `json:"actor_week_mean_results"`
	TenantP50ms  float64 `json:"one_municipality_subject_p50_ms"`
	TenantP99ms  float64 `json:"one_municipality_subject_p99_ms"`
	Residents    int     `json:"residents"`
	Staff        int     `json:"staff"`
	SpanDays     int     `json:"span_days"`
}

// The synthetic log: events of staff over a year, about residents of five
// municipalities, every one placed in the tree (leaf rows included, so
// that the search's join to its inclusion proof costs what it does in
// production).
const (
	searchStaff     = 2000
	searchResidents = 500000
	searchSpanDays  = 365
)

var searchTenants = []string{"131041", "011002", "271004", "401005", "232068"}

var searchActions = []string{"resident.read", "resident.search", "mynumber.reveal", "resident.update", "review.confirm", "login.password", "session.start"}

// searchEvent is event i of the synthetic log.
func searchEvent(i int, start time.Time, n int) []any {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	step := time.Duration(searchSpanDays) * 24 * time.Hour / time.Duration(n)
	at := start.Add(time.Duration(i) * step)
	actor := "staff" + strconv.Itoa(r.IntN(searchStaff))
	code := strconv.Itoa(100000 + r.IntN(searchResidents))
	tenant := searchTenants[r.IntN(len(searchTenants))]
	action := searchActions[r.IntN(len(searchActions))]
	purpose := ""
	if action == "mynumber.reveal" {
		purpose = "国民健康保険の資格の取得・喪失に関する事務"
	}
	return []any{at, tenant, actor, "s" + strconv.Itoa(i%9973), "T-" + strconv.Itoa(r.IntN(200)), "10.0." + strconv.Itoa(r.IntN(250)) + "." + strconv.Itoa(r.IntN(250)),
		action, "resident", code, purpose, "ok", "", ""}
}

// AuditSearch loads events synthetic events into a scratch log and times
// queries searches of each kind.
func AuditSearch(ctx context.Context, dbURL string, events, queries int) (SearchResult, error) {
	s, err := newScratch(ctx, dbURL)
	if err != nil {
		return SearchResult{}, err
	}
	defer s.Close()
	res := SearchResult{Engine: string(s.db.Engine()), Events: events, Queries: queries, Residents: searchResidents, Staff: searchStaff, SpanDays: searchSpanDays}
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	if err := loadSearchLog(ctx, s.db, events, start); err != nil {
		return res, err
	}
	res.LoadSeconds = time.Since(t0).Seconds()
	t0 = time.Now()
	if _, err := audit.IndexForSearch(ctx, s.db); err != nil {
		return res, err
	}
	for _, table := range []string{"audit_search"} {
		if _, err := s.db.SQL().ExecContext(ctx, `ANALYZE `+table); err != nil {
			return res, err
		}
	}
	res.IndexSeconds = time.Since(t0).Seconds()
	r := rand.New(rand.NewPCG(42, 42))
	var subj, actor, tenant []time.Duration
	var subjHits, actorHits int
	for i := 0; i < queries; i++ {
		code := strconv.Itoa(100000 + r.IntN(searchResidents))
		d, n, err := timeSearch(ctx, s.db, audit.Query{AllTenants: true, Subjects: []audit.Subject{{Type: "resident", ID: code}}, Limit: 50})
		if err != nil {
			return res, err
		}
		subj, subjHits = append(subj, d), subjHits+n
		from := start.Add(time.Duration(r.IntN(searchSpanDays-7)) * 24 * time.Hour)
		d, n, err = timeSearch(ctx, s.db, audit.Query{AllTenants: true, Actor: "staff" + strconv.Itoa(r.IntN(searchStaff)), From: from, To: from.Add(7 * 24 * time.Hour), Limit: 50})
		if err != nil {
			return res, err
		}
		actor, actorHits = append(actor, d), actorHits+n
		d, _, err = timeSearch(ctx, s.db, audit.Query{Tenants: []string{searchTenants[r.IntN(len(searchTenants))]}, Subjects: []audit.Subject{{Type: "resident", ID: code}}, Limit: 50})
		if err != nil {
			return res, err
		}
		tenant = append(tenant, d)
	}
	res.SubjectP50ms, res.SubjectP99ms, res.SubjectHits = percentile(subj, 50), percentile(subj, 99), float64(subjHits)/float64(queries)
	res.ActorP50ms, res.ActorP99ms, res.ActorHits = percentile(actor, 50), percentile(actor, 99), float64(actorHits)/float64(queries)
	res.TenantP50ms, res.TenantP99ms = percentile(tenant, 50), percentile(tenant, 99)
	return res, nil
}

func timeSearch(ctx context.Context, db *store.DB, q audit.Query) (time.Duration, int, error) {
	t := time.Now()
	p, err := audit.Search(ctx, db, q)
	return time.Since(t), len(p.Events), err
}

// loadSearchLog bulk-loads n events and their leaves (placeholder hashes:
// the search joins the leaf table, it does not read the hashes).
func loadSearchLog(ctx context.Context, db *store.DB, n int, start time.Time) error {
	cols := []string{"time", "tenant_code", "actor_user", "actor_session", "actor_terminal", "actor_address",
		"action", "subject_type", "subject_id", "purpose", "outcome", "request_id", "detail"}
	const chunk = 200000
	for done := 0; done < n; done += chunk {
		end := min(done+chunk, n)
		err := db.Transact(ctx, func(tx *store.Tx) error {
			i := done
			_, err := tx.CopyFrom(ctx, "audit_events", cols, func() ([]any, error) {
				if i == end {
					return nil, nil
				}
				row := searchEvent(i, start, n)
				i++
				return row, nil
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("bench: load events %d–%d: %w", done, end, err)
		}
	}
	// Leaves: one per event, in id order, as the sequencer would place them
	// (reading every municipality's events, as it does).
	err := db.Transact(store.WithScope(ctx, store.AllTenants), func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, event_id, time, hashes) SELECT id - 1, id, time, $1 FROM audit_events`, make([]byte, 32))
		return err
	})
	if err != nil {
		return fmt.Errorf("bench: place leaves: %w", err)
	}
	for _, table := range []string{"audit_events", "audit_log"} {
		if _, err := db.SQL().ExecContext(ctx, `ANALYZE `+table); err != nil {
			return err
		}
	}
	return nil
}
