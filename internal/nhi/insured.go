package nhi

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/resident"
	"bango/internal/store"
)

// Person is an insured person (被保険者) as of a date.
type Person struct {
	Tenant       string    `json:"tenant"`
	ResidentCode string    `json:"resident_code"`
	NameKanji    string    `json:"name_kanji"`
	NameKana     string    `json:"name_kana"`
	BirthDate    time.Time `json:"birth_date"`
	Kigo         string    `json:"kigo"`   // the household's 記号 on AsOf
	Number       string    `json:"number"` // 番号
	Branch       string    `json:"branch"` // 枝番
	Household    int64     `json:"household"`
	AsOf         time.Time `json:"as_of"`
	KnownAt      time.Time `json:"known_at,omitzero"` // read as known at the end of this day (GetKnownAt)
	Insured      bool      `json:"insured"`           // insured on AsOf
}

// InsuredNumber is the number as printed: 記号・番号（枝番）.
func (p Person) InsuredNumber() string {
	return p.Kigo + "・" + p.Number + "（" + p.Branch + "）"
}

// Query is what a clerk searches insured persons by; every field given
// must match. The list is of persons insured on AsOf (today when empty).
type Query struct {
	Number       string // 番号, or 番号-枝番
	ResidentCode string
	KanaPrefix   string // the start of the name in katakana
	BirthDate    string // YYYY-MM-DD
	Household    int64
	AsOf         string // YYYY-MM-DD
	// KnownAt reads the record as known at the end of this day in Japan
	// (記録時点, YYYY-MM-DD; now when empty): only the events and
	// memberships recorded by then and not voided by then count.
	KnownAt string
}

type parsedQuery struct {
	number, branch, code, kana string
	birth, asOf, known         time.Time
	household                  int64
	shown                      string // what was asked, for the event: never a name
}

func (s *Service) parseQuery(q Query) (parsedQuery, error) {
	var fe errs.FieldErrors
	p := parsedQuery{code: strings.TrimSpace(q.ResidentCode), kana: normalizeKana(q.KanaPrefix), household: q.Household, asOf: s.today()}
	var by []string
	if n := strings.TrimSpace(q.Number); n != "" {
		p.number, p.branch, _ = strings.Cut(n, "-")
		if !digits(p.number, 1, 10) {
			fe.Add("number", msgNumber)
		}
		if p.branch != "" && !digits(p.branch, 2, 2) {
			fe.Add("number", msgBranch)
		}
		by = append(by, "number")
	}
	if p.code != "" {
		if !digits(p.code, 1, 15) {
			fe.Add("resident_code", msgResident)
		}
		by = append(by, "resident_code")
	}
	if p.kana != "" {
		if !isKana(p.kana) || utf8.RuneCountInString(p.kana) > 30 {
			fe.Add("kana", errs.Message{JA: "カタカナ30文字以内で入力してください", EN: "must be at most 30 katakana"})
		}
		by = append(by, "kana")
	}
	if strings.TrimSpace(q.BirthDate) != "" {
		dateField(&fe, "birth_date", q.BirthDate, &p.birth)
		by = append(by, "birth_date")
	}
	if p.household != 0 {
		by = append(by, "household")
	}
	if strings.TrimSpace(q.AsOf) != "" {
		dateField(&fe, "as_of", q.AsOf, &p.asOf)
	}
	p.known = s.knownField(&fe, q.KnownAt)
	p.shown = "by=" + strings.Join(by, ",") + " as_of=" + Date(p.asOf)
	if !p.known.IsZero() {
		p.shown += " known_at=" + Date(p.known)
	}
	return p, fe.Err()
}

// householdOn is the household of the person whose code is the
// expression code on the query's date ($2), of the municipality $1, of
// the memberships (m) that hold the condition rows (not voided: now).
func householdOn(code, rows string) string {
	return `(SELECT m.household_id FROM nhi_memberships m WHERE m.tenant_code = $1 AND m.resident_code = ` + code + `
	AND m.valid_from <= $2 AND ` + rows + ` ORDER BY m.valid_from DESC, m.id DESC LIMIT 1)`
}

// householdOnSQL is the household of i's person on the date, now.
var householdOnSQL = householdOn("i.resident_code", "m.voided_at IS NULL")

// insuredOn holds when the person whose code is the expression code is
// insured in the municipality ($1) on the query's date ($2): their latest
// eligibility event (e) on or before it of those that hold the condition
// rows is an acquisition (a person has events only once insured, with
// their insured number).
func insuredOn(code, rows string) string {
	return `(SELECT e.kind FROM nhi_eligibility_events e WHERE e.tenant_code = $1 AND e.resident_code = ` + code + `
	AND e.effective_date <= $2 AND ` + rows + ` ORDER BY e.effective_date DESC, e.id DESC LIMIT 1) = 'acquire'`
}

// rows is the condition on the rows (alias a) of the record a search
// reads: as known at the end of the day known in Japan, those recorded
// by then and not voided by then (as knownBy and visible read them);
// now, those not voided.
func (p parsedQuery) rows(b *searchSQL, a string) string {
	if p.known.IsZero() {
		return a + ".voided_at IS NULL"
	}
	k := b.arg(p.known.Add(24*time.Hour - 9*time.Hour).UTC())
	return a + ".recorded_at < " + k + " AND (" + a + ".voided_at IS NULL OR " + a + ".voided_at >= " + k + ")"
}

// CountCap is where a search's count stops, as the resident search's
// does: past it, staff narrow the search rather than page through it, and
// counting on would decide the eligibility of every match of a common
// name on the date.
const CountCap = 1000

// The lists a search's cursors belong to: by resident code, or by the
// name's reading (a search by kana).
const (
	listByCode = "nhi"
	listByKana = "nhi.kana"
)

// ByKana reports whether a search lists by the name's reading (カナ氏名順,
// then resident code): one with a kana prefix does, so that a page of a
// common name is read from the index of names in its order and stops at
// the page; the others list by resident code.
func (q Query) ByKana() bool { return normalizeKana(q.KanaPrefix) != "" }

// searchSQL builds a search's statements: $1 is the municipality, $2 the
// date the persons must be insured on.
type searchSQL struct {
	e    store.Engine
	args []any
}

func (b *searchSQL) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// keys is where the names' readings and the dates of birth are read by
// index: the register on SQLite, the table of search keys written after it
// on PostgreSQL (migration 0017; Find indexes what waits first).
func (b *searchSQL) keys() string {
	if b.e == store.Postgres {
		return "resident_search AS k"
	}
	return "residents AS k"
}

// text is column compared byte by byte, as the names' index is built.
func (b *searchSQL) text(column string) string {
	if b.e == store.Postgres {
		return column + ` COLLATE "C"`
	}
	return column
}

// driver names the index a search starts from: the narrowest the query
// gives.
type driver int

const (
	byAll       driver = iota // every insured person, by the primary key
	byCode                    // the resident code
	byNumber                  // the insured number's index
	byHousehold               // the household's memberships
	byBirth                   // the index of dates of birth
	byKanaRange               // the index of names' readings, in its order
)

func (p parsedQuery) driver() driver {
	switch {
	case p.code != "":
		return byCode
	case p.number != "":
		return byNumber
	case p.household != 0:
		return byHousehold
	case !p.birth.IsZero():
		return byBirth
	case p.kana != "":
		return byKanaRange
	}
	return byAll
}

// readsKeys reports whether the search starts from the names' or the
// birth dates' index, which PostgreSQL keeps in resident_search.
func (p parsedQuery) readsKeys() bool { d := p.driver(); return d == byBirth || d == byKanaRange }

// candidates is the statement of the resident codes a search starts from
// (column code, and kana when it reads the names' index), with the order
// the page lists them in: the resident code, the insured number, the
// household's members, the date of birth, the name's reading, or else
// every insured person of the municipality. A page by code starts after
// the code after ("" for the first); a page by kana starts after that
// person's reading and code (see check), so that a cursor carries no name.
func (p parsedQuery) candidates(b *searchSQL, after string) (sql, order string) {
	var q string
	order = "c.code"
	switch p.driver() {
	case byCode:
		q = "SELECT i.resident_code AS code FROM nhi_insured AS i WHERE i.tenant_code = $1 AND i.resident_code = " + b.arg(p.code)
	case byNumber:
		q = "SELECT i.resident_code AS code FROM nhi_insured AS i WHERE i.tenant_code = $1 AND i.number = " + b.arg(p.number)
		if p.branch != "" {
			q += " AND i.branch = " + b.arg(p.branch)
		}
	case byHousehold:
		q = "SELECT DISTINCT m.resident_code AS code FROM nhi_memberships AS m WHERE m.tenant_code = $1 AND " + p.rows(b, "m") + " AND m.household_id = " + b.arg(p.household)
	case byBirth:
		// The date's few residents, sorted: on SQLite by +code, so that
		// the planner reads the date's index rather than walking the
		// municipality's primary key in code order.
		q = "SELECT k.code AS code FROM " + b.keys() + " WHERE k.tenant_code = $1 AND k.birth_date = " + b.arg(dateArg(b.e, p.birth))
		if b.e == store.SQLite {
			order = "+c.code"
		}
	case byKanaRange:
		k := b.text("k.name_kana")
		q = "SELECT k.code AS code, " + k + " AS kana FROM " + b.keys() + " WHERE k.tenant_code = $1 AND " + k + " >= " + b.arg(p.kana) +
			" AND " + k + " < " + b.arg(p.kana+"\U0010FFFF")
		if after != "" {
			a := b.arg(after)
			q += " AND (" + k + ", k.code) > ((SELECT " + b.text("a.name_kana") + " FROM " + strings.TrimSuffix(b.keys(), "k") + "a WHERE a.tenant_code = $1 AND a.code = " + a + "), " + a + ")"
		}
		return q, b.text("c.kana") + ", c.code"
	default:
		q = "SELECT i.resident_code AS code FROM nhi_insured AS i WHERE i.tenant_code = $1"
	}
	if p.kana != "" {
		// Few candidates, listed by the register's reading (see check).
		return q, b.text("r.name_kana") + ", c.code"
	}
	if after != "" {
		q = "SELECT d.code FROM (" + q + ") AS d WHERE d.code > " + b.arg(after)
	}
	return q, order
}

// check is what a candidate (c.code) must hold beyond what its index
// gave: insured in the municipality on the date, and every other field
// asked, read from the insured number (i) and the register (r) only when
// asked; on a page by kana from few candidates, past the last person
// shown. It returns the joins it needs and the condition.
func (p parsedQuery) check(b *searchSQL, after string) (joins, where string) {
	d := p.driver()
	var w []string
	w = append(w, insuredOn("c.code", p.rows(b, "e")))
	needI, needR := false, false
	if p.number != "" && d != byNumber {
		needI = true
		w = append(w, "i.number = "+b.arg(p.number))
		if p.branch != "" {
			w = append(w, "i.branch = "+b.arg(p.branch))
		}
	}
	if p.kana != "" && d != byKanaRange {
		needR = true
		k := b.text("r.name_kana")
		w = append(w, k+" >= "+b.arg(p.kana), k+" < "+b.arg(p.kana+"\U0010FFFF"))
		if after != "" {
			a := b.arg(after)
			w = append(w, "("+k+", r.code) > ((SELECT "+b.text("a.name_kana")+" FROM residents AS a WHERE a.tenant_code = $1 AND a.code = "+a+"), "+a+")")
		}
	}
	if !p.birth.IsZero() && d != byBirth {
		needR = true
		w = append(w, "r.birth_date = "+b.arg(dateArg(b.e, p.birth)))
	}
	if p.household != 0 {
		w = append(w, householdOn("c.code", p.rows(b, "m"))+" = "+b.arg(p.household))
	}
	// CROSS JOIN: SQLite keeps the written order (the candidates outside).
	if needI {
		joins += " CROSS JOIN nhi_insured AS i"
		w = append(w, "i.tenant_code = $1", "i.resident_code = c.code")
	}
	if needR {
		joins += " CROSS JOIN residents AS r"
		w = append(w, "r.tenant_code = $1", "r.code = c.code")
	}
	return joins, strings.Join(w, " AND ")
}

// matches is the statement of the codes of the candidates that hold the
// check, in the page's order when ordered, up to limit: read in the
// candidates' order and stopped there, so that a list stops at its page
// and a count at its cap rather than deciding the eligibility of every
// match of a common name.
func (p parsedQuery) matches(b *searchSQL, after string, ordered bool, limit int) string {
	driver, order := p.candidates(b, after)
	joins, where := p.check(b, after)
	q := "SELECT c.code FROM (" + driver + ") AS c" + joins + " WHERE " + where
	if ordered {
		q += " ORDER BY " + order
	}
	return q + " LIMIT " + b.arg(limit)
}

// pageSQL is the statement of a page: limit+1 persons after the code
// after, each with their insured number, names and birth date, household
// and its 記号 on the date, read for the page's persons only.
func (p parsedQuery) pageSQL(e store.Engine, tenant, after string, limit int) (string, []any) {
	b := &searchSQL{e: e, args: []any{tenant, dateArg(e, p.asOf)}}
	order := "i.resident_code"
	if p.kana != "" {
		order = b.text("r.name_kana") + ", i.resident_code"
	}
	page := p.matches(b, after, true, limit+1)
	hh := householdOn("i.resident_code", p.rows(b, "m"))
	return `SELECT i.resident_code, r.name_kanji, r.name_kana, r.birth_date, i.number, i.branch, COALESCE(` + hh + `, 0),
		COALESCE((SELECT h.kigo FROM nhi_households h WHERE h.tenant_code = $1 AND h.id = ` + hh + `), '')
		FROM (` + page + `) AS p CROSS JOIN nhi_insured AS i CROSS JOIN residents AS r
		WHERE i.tenant_code = $1 AND i.resident_code = p.code AND r.tenant_code = $1 AND r.code = p.code ORDER BY ` + order, b.args
}

// countSQL counts the matches up to CountCap+1.
func (p parsedQuery) countSQL(e store.Engine, tenant string) (string, []any) {
	b := &searchSQL{e: e, args: []any{tenant, dateArg(e, p.asOf)}}
	return "SELECT count(*) FROM (" + p.matches(b, "", false, CountCap+1) + ") AS n", b.args
}

func scanPerson(row store.Scanner) (Person, error) {
	var p Person
	err := row.Scan(&p.ResidentCode, &p.NameKanji, &p.NameKana, &p.BirthDate, &p.Number, &p.Branch, &p.Household, &p.Kigo)
	p.BirthDate = dateOnly(p.BirthDate)
	return p, err
}

// indexKeys brings PostgreSQL's table of search keys up to date before a
// search that reads it, as the resident search does: it is written after
// the register (resident.IndexForSearch), and a search sees the register
// as it is, unless a bulk import left more residents waiting than a
// search indexes itself (resident.IndexBeforeSearch): then it returns how
// many, and the search reads the keys as they stand.
func (s *Service) indexKeys(ctx context.Context, tenant string, pq parsedQuery) (int, error) {
	if s.db.Engine() != store.Postgres || !pq.readsKeys() {
		return 0, nil
	}
	return resident.IndexBeforeSearch(ctx, s.db, tenant)
}

// Find lists one page of the persons insured on q.AsOf that match q: by
// the name's reading and then resident code when q has a kana prefix (see
// Query.ByKana), by resident code otherwise. cursor is a page's Next (""
// for the first), limit is clamped by store.Limit. The search is an event
// of every person listed.
func (s *Service) Find(ctx context.Context, tenant string, q Query, cursor string, limit int) (store.Page[Person], error) {
	found, err := s.FindPage(ctx, tenant, q, cursor, limit)
	return found.Page, err
}

// Found is a page of a search and how many residents, at least, it may
// have missed because they wait for the search keys (a bulk import just
// ended; 0 when q does not read the keys or none wait).
type Found struct {
	Page      store.Page[Person]
	Unindexed int
}

// FindPage is Find with what it may have missed.
func (s *Service) FindPage(ctx context.Context, tenant string, q Query, cursor string, limit int) (Found, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	pq, err := s.parseQuery(q)
	if err != nil {
		return Found{}, s.failed(ctx, tenant, "nhi.search", audit.Subject{Type: "query"}, err)
	}
	list := listByCode
	if q.ByKana() {
		list = listByKana
	}
	var after string
	if _, err := store.DecodeCursor(cursor, list, &after); err != nil {
		return Found{}, err
	}
	unindexed, err := s.indexKeys(ctx, tenant, pq)
	if err != nil {
		return Found{}, err
	}
	limit = store.Limit(limit)
	query, args := pq.pageSQL(s.db.Engine(), tenant, after, limit)
	var rows []Person
	err = s.db.Read(ctx, func(db store.Querier) (err error) {
		rows, err = store.Rows(scanPerson)(db.Query(ctx, query, args...))
		return err
	})
	if err != nil {
		return Found{}, err
	}
	page := store.PageOf(rows, limit, list, func(p Person) []any { return []any{p.ResidentCode} })
	codes := make([]string, len(page.Items))
	for i := range page.Items {
		page.Items[i].Tenant, page.Items[i].AsOf, page.Items[i].KnownAt, page.Items[i].Insured = tenant, pq.asOf, pq.known, true
		codes[i] = page.Items[i].ResidentCode
	}
	detail := pq.shown + " found=" + strconv.Itoa(len(codes))
	if page.More {
		detail += "+"
	}
	if unindexed > 0 {
		detail += " unindexed=" + strconv.Itoa(unindexed)
	}
	if err := s.recordReads(ctx, tenant, "nhi.search", codes, detail); err != nil {
		return Found{}, err // no search without its record
	}
	return Found{Page: page, Unindexed: unindexed}, nil
}

// Count counts in the database what Find lists, up to CountCap: over is
// true when more matched.
func (s *Service) Count(ctx context.Context, tenant string, q Query) (n int, over bool, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	pq, err := s.parseQuery(q)
	if err != nil {
		return 0, false, err
	}
	if _, err := s.indexKeys(ctx, tenant, pq); err != nil {
		return 0, false, err
	}
	query, args := pq.countSQL(s.db.Engine(), tenant)
	if err := s.db.ReadRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, false, store.Translate(err)
	}
	if n > CountCap {
		return CountCap, true, nil
	}
	return n, false, nil
}

// recordReads records that codes were read (one event each, the insured
// person its subject), or, when none was, one event of the query.
func (s *Service) recordReads(ctx context.Context, tenant, action string, codes []string, detail string) error {
	if len(codes) == 0 {
		return audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: audit.Subject{Type: "query"}, Outcome: audit.OK, Detail: detail})
	}
	events := make([]audit.Event, len(codes))
	for i, c := range codes {
		events[i] = audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(c), Outcome: audit.OK, Detail: detail}
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error { return audit.RecordMany(ctx, tx, events...) })
}

// Membership is one row of a person's household history: from ValidFrom
// they belong to Household (0: to none).
type Membership struct {
	Household  int64     `json:"household"`
	ValidFrom  time.Time `json:"valid_from"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	voided     sql.NullTime
}

// PersonRecord is an insured person as of a date with their whole
// history: eligibility events and periods, household memberships, and
// the dates age brings.
type PersonRecord struct {
	Person        Person             `json:"person"`
	Periods       []Period           `json:"periods"`
	Events        []EligibilityEvent `json:"events"`
	Memberships   []Membership       `json:"memberships"`
	Birthday75    time.Time          `json:"birthday75"`     // NHI is lost on it (後期高齢者医療)
	Elderly70From time.Time          `json:"elderly70_from"` // the 70–74 cost share applies from
	ScheduledLoss time.Time          `json:"scheduled_loss,omitzero"`
}

// Get returns the insured person with resident code as of asOf (YYYY-MM-DD,
// today when empty), with their history. Someone never insured here, or of
// another municipality, is not found (a recorded probe). The read is an
// event.
func (s *Service) Get(ctx context.Context, tenant, code, asOf string) (PersonRecord, error) {
	return s.GetKnownAt(ctx, tenant, code, asOf, "")
}

// GetKnownAt is Get as the record was known at the end of knownAt
// (YYYY-MM-DD in Japan; none when empty): only the events and memberships
// recorded by then count — a late notification recorded afterwards is
// not there — so that what a notice or a decision was based on can be
// read again beside the record as of an effective date. A date in the
// future is refused naming known_at; someone not yet insured then is not
// found. The read is an event.
func (s *Service) GetKnownAt(ctx context.Context, tenant, code, asOf, knownAt string) (PersonRecord, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.read"
	on := s.today()
	var fe errs.FieldErrors
	if strings.TrimSpace(asOf) != "" {
		dateField(&fe, "as_of", asOf, &on)
	}
	known := s.knownField(&fe, knownAt)
	if err := fe.Err(); err != nil {
		return PersonRecord{}, s.failed(ctx, tenant, action, subjectOf(code), err)
	}
	var rec PersonRecord
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		rec, err = s.personKnown(ctx, q, tenant, code, on, known)
		return err
	})
	if err != nil {
		return PersonRecord{}, s.failed(ctx, tenant, action, subjectOf(code), err)
	}
	detail := "as_of=" + Date(on)
	if !known.IsZero() {
		detail += " known_at=" + Date(known)
	}
	if err := s.recordReads(ctx, tenant, action, []string{code}, detail); err != nil {
		return PersonRecord{}, err
	}
	return rec, nil
}

func (s *Service) person(ctx context.Context, q store.Querier, tenant, code string, on time.Time) (PersonRecord, error) {
	return s.personKnown(ctx, q, tenant, code, on, time.Time{})
}

// personKnown reads code as of on, as known at the end of the day known
// in Japan (everything recorded when known is zero).
func (s *Service) personKnown(ctx context.Context, q store.Querier, tenant, code string, on, known time.Time) (PersonRecord, error) {
	e := s.db.Engine()
	number, branch, ok, err := insuredNumberOf(ctx, q, tenant, code)
	if err != nil {
		return PersonRecord{}, err
	}
	if !ok {
		return PersonRecord{}, errs.E(errs.NotFound, "insured person %s not found", code)
	}
	r, err := lookupResident(ctx, q, tenant, code)
	if err != nil {
		return PersonRecord{}, err
	}
	rec := PersonRecord{Person: Person{Tenant: tenant, ResidentCode: code, NameKanji: r.nameKanji, NameKana: r.nameKana, BirthDate: r.birth,
		Number: number, Branch: branch, AsOf: on}, Birthday75: Birthday75(r.birth), Elderly70From: Elderly70From(r.birth)}
	if rec.Events, err = personEventsKnown(ctx, q, tenant, code, known); err != nil {
		return PersonRecord{}, err
	}
	if len(rec.Events) == 0 && !known.IsZero() {
		return PersonRecord{}, errs.E(errs.NotFound, "insured person %s not yet recorded on %s", code, Date(known))
	}
	rec.Person.KnownAt = known
	rec.Periods = periods(rec.Events)
	for _, p := range rec.Periods {
		if p.covers(on) {
			rec.Person.Insured = true
		}
	}
	if known.IsZero() {
		if rec.Person.Household, err = membershipOn(ctx, q, e, tenant, code, on); err != nil {
			return PersonRecord{}, err
		}
	}
	if rec.Person.Household != 0 {
		if rec.Person.Kigo, err = householdKigo(ctx, q, tenant, rec.Person.Household); err != nil {
			return PersonRecord{}, err
		}
	}
	rec.Memberships, err = store.Rows(func(row store.Scanner) (Membership, error) {
		var m Membership
		var hh sql.NullInt64
		var v sql.NullTime
		err := row.Scan(&hh, &m.ValidFrom, &m.RecordedAt, &m.RecordedBy, &v)
		m.Household, m.ValidFrom, m.RecordedAt = hh.Int64, dateOnly(m.ValidFrom), m.RecordedAt.UTC()
		m.voided = v
		return m, err
	})(q.Query(ctx, `SELECT household_id, valid_from, recorded_at, recorded_by, voided_at FROM nhi_memberships
		WHERE tenant_code = $1 AND resident_code = $2 ORDER BY valid_from, id`, tenant, code))
	if err != nil {
		return PersonRecord{}, err
	}
	// The memberships known then (now: those not voided).
	rec.Memberships = slices.DeleteFunc(rec.Memberships, func(m Membership) bool { return !visible(known, m.RecordedAt, m.voided) })
	if !known.IsZero() {
		// The household on the date, of the memberships known then.
		for _, m := range rec.Memberships {
			if !m.ValidFrom.After(on) {
				rec.Person.Household = m.Household
			}
		}
		if rec.Person.Household != 0 {
			if rec.Person.Kigo, err = householdKigo(ctx, q, tenant, rec.Person.Household); err != nil {
				return PersonRecord{}, err
			}
		}
		return rec, nil // the schedule of the 75th-birthday loss is read as it is now only
	}
	var due time.Time
	err = q.QueryRow(ctx, `SELECT due_date FROM nhi_scheduled_losses WHERE tenant_code = $1 AND resident_code = $2 AND status = 'scheduled'
		ORDER BY due_date LIMIT 1`, tenant, code).Scan(&due)
	if err != nil && err != sql.ErrNoRows {
		return PersonRecord{}, store.Translate(err)
	}
	if err == nil {
		rec.ScheduledLoss = dateOnly(due)
	}
	return rec, nil
}

// HouseholdVersion is one version of a household: from ValidFrom its head
// is Head (dissolved when "").
type HouseholdVersion struct {
	ValidFrom  time.Time `json:"valid_from"`
	Head       string    `json:"head"`
	Event      string    `json:"event"` // establish, split, head_change, merged, dissolve
	Related    int64     `json:"related,omitempty"`
	NotifiedOn time.Time `json:"notified_on"`
	Late       bool      `json:"late"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	voided     sql.NullTime
}

// Move is a person joining or leaving the household on a date.
type Move struct {
	On           time.Time `json:"on"`
	ResidentCode string    `json:"resident_code"`
	Joined       bool      `json:"joined"`          // false: left
	Other        int64     `json:"other,omitempty"` // the household left for (0: none)
}

// HouseholdView is an NHI household as of a date, with its timeline.
type HouseholdView struct {
	ID       int64     `json:"id"`
	Tenant   string    `json:"tenant"`
	Kigo     string    `json:"kigo"`
	AsOf     time.Time `json:"as_of"`
	KnownAt  time.Time `json:"known_at,omitzero"` // read as known at the end of this day (HouseholdKnownAt)
	Exists   bool      `json:"exists"`            // established and not dissolved on AsOf
	Head     string    `json:"head"`
	HeadName string    `json:"head_name"`
	// PseudoHead: the head is not insured in the household (擬制世帯主):
	// notices go to the head, who pays no premium of their own.
	PseudoHead bool               `json:"pseudo_head"`
	Members    []Person           `json:"members"`
	Versions   []HouseholdVersion `json:"versions"`
	Moves      []Move             `json:"moves"`
}

// Household returns household id as of asOf (YYYY-MM-DD, today when
// empty) with its members then and every version and move. Reading it is
// an event of each member shown.
func (s *Service) Household(ctx context.Context, tenant string, id int64, asOf string) (HouseholdView, error) {
	return s.HouseholdKnownAt(ctx, tenant, id, asOf, "")
}

// HouseholdKnownAt is Household as it was known at the end of knownAt
// (YYYY-MM-DD in Japan; everything recorded when empty): only the versions
// and moves recorded by then count, and each member reads as known then
// (GetKnownAt), so that what a notice or a decision was based on can be
// read again. A date in the future is refused naming known_at; a
// household not yet recorded then is not found.
func (s *Service) HouseholdKnownAt(ctx context.Context, tenant string, id int64, asOf, knownAt string) (HouseholdView, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.household.read"
	hsub := audit.Subject{Type: "nhi_household", ID: strconv.FormatInt(id, 10)}
	on := s.today()
	var fe errs.FieldErrors
	if strings.TrimSpace(asOf) != "" {
		dateField(&fe, "as_of", asOf, &on)
	}
	known := s.knownField(&fe, knownAt)
	if err := fe.Err(); err != nil {
		return HouseholdView{}, s.failed(ctx, tenant, action, hsub, err)
	}
	var v HouseholdView
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		v, err = s.household(ctx, q, tenant, id, on, known)
		return err
	})
	if err != nil {
		return HouseholdView{}, s.failed(ctx, tenant, action, hsub, err)
	}
	codes := make([]string, len(v.Members))
	for i, m := range v.Members {
		codes[i] = m.ResidentCode
	}
	detail := "household=" + hsub.ID + " as_of=" + Date(on)
	if !known.IsZero() {
		detail += " known_at=" + Date(known)
	}
	if err := s.recordReads(ctx, tenant, action, codes, detail); err != nil {
		return HouseholdView{}, err
	}
	return v, nil
}

// knownField parses a known_at date: not in the future (zero when empty).
func (s *Service) knownField(fe *errs.FieldErrors, knownAt string) time.Time {
	var known time.Time
	if strings.TrimSpace(knownAt) != "" && dateField(fe, "known_at", knownAt, &known) && known.After(s.today()) {
		fe.Add("known_at", errs.Message{JA: "記録時点に未来の日付は指定できません", EN: "cannot be in the future"})
	}
	return known
}

// knownBy reports whether a row recorded at t was recorded by the end of
// the day known in Japan (UTC+9), as recorded times are kept; everything
// is when known is zero.
func knownBy(known, t time.Time) bool {
	return known.IsZero() || t.Before(known.Add(24*time.Hour-9*time.Hour))
}

func (s *Service) household(ctx context.Context, q store.Querier, tenant string, id int64, on, known time.Time) (HouseholdView, error) {
	e := s.db.Engine()
	v := HouseholdView{ID: id, Tenant: tenant, AsOf: on, KnownAt: known, Members: []Person{}}
	var err error
	if v.Kigo, err = householdKigo(ctx, q, tenant, id); err != nil {
		return v, err
	}
	v.Versions, err = store.Rows(func(row store.Scanner) (HouseholdVersion, error) {
		var hv HouseholdVersion
		var rel sql.NullInt64
		err := row.Scan(&hv.ValidFrom, &hv.Head, &hv.Event, &rel, &hv.NotifiedOn, &hv.Late, &hv.RecordedAt, &hv.RecordedBy, &hv.voided)
		hv.ValidFrom, hv.NotifiedOn, hv.RecordedAt, hv.Related = dateOnly(hv.ValidFrom), dateOnly(hv.NotifiedOn), hv.RecordedAt.UTC(), rel.Int64
		return hv, err
	})(q.Query(ctx, `SELECT valid_from, head_resident_code, event, related_household, notified_on, late, recorded_at, recorded_by, voided_at
		FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 ORDER BY valid_from, id`, tenant, id))
	if err != nil {
		return v, err
	}
	type row struct {
		code     string
		hh       int64
		from     time.Time
		recorded time.Time
		voided   sql.NullTime
	}
	rows, err := store.Rows(func(sc store.Scanner) (row, error) {
		var r row
		var hh sql.NullInt64
		err := sc.Scan(&r.code, &hh, &r.from, &r.recorded, &r.voided)
		r.hh, r.from = hh.Int64, dateOnly(r.from)
		return r, err
	})(q.Query(ctx, `SELECT resident_code, household_id, valid_from, recorded_at, voided_at FROM nhi_memberships WHERE tenant_code = $1
		AND resident_code IN (SELECT resident_code FROM nhi_memberships WHERE tenant_code = $1 AND household_id = $2)
		ORDER BY valid_from, id`, tenant, id))
	if err != nil {
		return v, err
	}
	// The versions and memberships known then (now: those not voided).
	v.Versions = slices.DeleteFunc(v.Versions, func(hv HouseholdVersion) bool { return !visible(known, hv.RecordedAt, hv.voided) })
	rows = slices.DeleteFunc(rows, func(r row) bool { return !visible(known, r.recorded, r.voided) })
	var members []string
	if known.IsZero() {
		if v.Head, v.Exists, err = headOn(ctx, q, e, tenant, id, on); err != nil {
			return v, err
		}
		if members, err = membersOn(ctx, q, e, tenant, id, on); err != nil {
			return v, err
		}
	} else {
		// As known then: the versions and memberships above.
		if len(v.Versions) == 0 {
			return v, errs.E(errs.NotFound, "NHI household %d not yet recorded on %s", id, Date(known))
		}
		for _, hv := range v.Versions {
			if !hv.ValidFrom.After(on) {
				v.Head, v.Exists = hv.Head, hv.Head != ""
			}
		}
		latest := map[string]int64{}
		for _, r := range rows {
			if !r.from.After(on) {
				latest[r.code] = r.hh
			}
		}
		for c, hh := range latest {
			if hh == id {
				members = append(members, c)
			}
		}
		slices.Sort(members)
	}
	if v.Head != "" {
		h, err := lookupResident(ctx, q, tenant, v.Head)
		if err != nil {
			return v, err
		}
		v.HeadName = h.nameKanji
	}
	v.PseudoHead = v.Exists
	for _, c := range members {
		rec, err := s.personKnown(ctx, q, tenant, c, on, known)
		if err != nil {
			return v, err
		}
		v.Members = append(v.Members, rec.Person)
		if c == v.Head {
			v.PseudoHead = false
		}
	}
	in := map[string]bool{}
	for _, r := range rows {
		switch {
		case r.hh == id && !in[r.code]:
			in[r.code] = true
			v.Moves = append(v.Moves, Move{On: r.from, ResidentCode: r.code, Joined: true})
		case r.hh != id && in[r.code]:
			in[r.code] = false
			v.Moves = append(v.Moves, Move{On: r.from, ResidentCode: r.code, Other: r.hh})
		}
	}
	return v, nil
}

// normalizeKana widens half-width katakana and turns hiragana into
// katakana, as the register stores readings.
func normalizeKana(s string) string {
	s = width.Widen.String(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'ぁ' && r <= 'ゖ':
			r += 'ァ' - 'ぁ'
		case r == ' ':
			r = '　'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isKana(s string) bool {
	for _, r := range s {
		if !(r >= 'ァ' && r <= 'ヶ' || r == 'ー' || r == '・' || r == '　' || r == 'ヴ') {
			return false
		}
	}
	return true
}
