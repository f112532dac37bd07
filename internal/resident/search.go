package resident

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// MaxResults is how many residents a page of a search lists when the
// caller asks for no other size (store.Limit clamps what it asks).
const MaxResults = store.DefaultLimit

// SearchBy says how a search read its query.
type SearchBy string

const (
	ByCode      SearchBy = "code"       // digits: a resident code, exactly
	ByBirthDate SearchBy = "birth_date" // a date of birth, 西暦 or 和暦
	ByName      SearchBy = "name"       // a kana or kanji name, or part of one
	ByAddress   SearchBy = "address"    // part of an address, three characters or more
)

// SearchBys are the ways a search can be asked to read its query, for a
// form's choice and the API's by parameter; "" reads it as it looks.
var SearchBys = []SearchBy{ByName, ByBirthDate, ByAddress, ByCode}

// SearchQuery is a search as staff ask it.
type SearchQuery struct {
	Q      string
	By     SearchBy // "" reads Q as it looks (see Find)
	Cursor string   // a result's Next, for the page after; "" for the first
	Limit  int      // residents a page, clamped by store.Limit
}

// CountCap is where a search's count stops: past it, staff narrow the
// search rather than page through it (four pages of the default size),
// and counting on would cost every search with a common name a read of
// its matches up to the cap — at 1,000,000 residents most name searches
// pass any cap, and counting to 1,000 was most of what they cost (issue
// 14 I). The pages go on past it.
const CountCap = 200

// SearchResult is one page of what a search found.
type SearchResult struct {
	Residents []Resident `json:"residents"`  // never nil, by resident code (宛名番号順)
	Total     int        `json:"total"`      // residents matched in all, counted in the database up to CountCap
	TotalOver bool       `json:"total_over"` // more than Total (CountCap) matched
	Next      string     `json:"next"`       // the cursor of the next page, "" at the end
	More      bool       `json:"more"`       // more residents follow than are listed
	By        SearchBy   `json:"by"`
	BirthDate time.Time  `json:"birth_date,omitzero"` // the day searched for, when By is ByBirthDate
	// Unindexed is how many residents, at least, were registered or
	// changed lately and wait for the search index (a bulk import just
	// ended): a search by name, reading or address may miss them until
	// serve's indexer has reached them. 0 when the index is up to date.
	Unindexed int `json:"unindexed,omitempty"`
}

// Search finds residents of tenant as Find does and returns the first
// page's list alone.
func (s *Service) Search(ctx context.Context, tenant, q string) ([]Resident, error) {
	res, err := s.Find(ctx, tenant, q)
	return res.Residents, err
}

// Find returns the first page of FindPage for q read as it looks.
func (s *Service) Find(ctx context.Context, tenant, q string) (SearchResult, error) {
	return s.FindPage(ctx, tenant, SearchQuery{Q: q})
}

// FindPage finds residents of tenant by what staff have at the counter.
// Unless the query says how to read it (By), it is read as:
//
//   - digits: the resident code, exactly;
//   - a date of birth, 西暦 (1977-08-16, 1977年8月16日) or 和暦 (昭和52年8月16日,
//     昭和52.8.16, S52.8.16);
//   - part of an address, when it could not be part of a name: it holds a
//     digit (北3条, 西新宿2-8), 丁目 or 番地 (新宿二丁目), or a prefecture
//     and then a city, ward, town or village (東京都新宿区);
//   - otherwise a name in kana (katakana, hiragana or half-width) or kanji:
//     three characters or more are found anywhere in the name, family or
//     given, across the space between them too; one or two characters at
//     the start of the family or the given name.
//
// A name is never matched against addresses, nor an address against
// names, unless asked: a town's name alone (西新宿) is read as a name, and
// found as an address with By set to ByAddress (the form's choice 住所,
// the API's by=address). An address is found anywhere in it, from three
// characters, as typed and with its digits in the other width, and a
// chōme in digits (2丁目) as the register writes it (二丁目) too.
//
// Every way is answered from an index inside the municipality (issue 14
// I); a search that reads what IndexForSearch writes first indexes the
// register's changes not yet indexed. The residents are listed a page at
// a time by resident code (宛名番号順), each page after the last one
// shown, with the count of all that matched up to CountCap, both read in
// one statement. The code is the one order every index can page in
// without reading all the matches (the trigram postings are kept in it,
// the prefixes sort their range), so a common name costs a page, not a
// read of everyone who bears it.
// The search, with what was asked and how many were found, is an event;
// the residents listed are not read events one by one, their records are
// opened one at a time with Get.
func (s *Service) FindPage(ctx context.Context, tenant string, sq SearchQuery) (SearchResult, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	pq, err := parseQuery(sq.Q, sq.By)
	if err != nil {
		return SearchResult{}, err
	}
	var after string
	if _, err := store.DecodeCursor(sq.Cursor, searchList, &after); err != nil {
		return SearchResult{}, err
	}
	if after != "" && (len(after) > 15 || strings.TrimFunc(after, isASCIIDigit) != "") {
		// A cursor is the client's text: only a code can be one here.
		return SearchResult{}, store.BadCursor()
	}
	limit := store.Limit(sq.Limit)
	res := SearchResult{Residents: []Resident{}, By: pq.by, BirthDate: pq.date}
	query, args := pq.sql(s.db.Engine(), tenant, after, limit)
	var rows []Resident
	// The search asks, in its own read, whether the index has residents
	// waiting; only then does it index them first and search again (a
	// resident registered in between is indexed by the next search).
	for indexed := !pq.readsIndex(s.db.Engine()); ; indexed = true {
		err = s.db.Read(ctx, func(db store.Querier) error {
			if !indexed {
				var waiting bool
				if err := db.QueryRow(ctx, waitingSQL(s.db.Engine())).Scan(&waiting); err != nil || waiting {
					return cmp.Or(err, errIndexWaiting)
				}
			}
			rows, res.Total = nil, 0
			if err := collect(ctx, db, query, args, &rows, &res.Total); err != nil {
				return err
			}
			if len(rows) == 0 && after != "" {
				// A page past the last: the count is read alone.
				q, a := pq.countSQL(s.db.Engine(), tenant)
				return db.QueryRow(ctx, q, a...).Scan(&res.Total)
			}
			return nil
		})
		if !errors.Is(err, errIndexWaiting) {
			break
		}
		if res.Unindexed, err = IndexBeforeSearch(ctx, s.db, tenant); err != nil {
			return SearchResult{}, err
		}
	}
	if err != nil {
		return SearchResult{}, store.Translate(err)
	}
	page := store.PageOf(rows, limit, searchList, func(r Resident) []any { return []any{r.Code} })
	res.Residents, res.Next, res.More = page.Items, page.Next, page.More
	if res.Total > CountCap {
		res.Total, res.TotalOver = CountCap, true
	}
	detail := "q=" + pq.shown + " found=" + strconv.Itoa(res.Total)
	if res.TotalOver {
		detail += "+"
	}
	if res.Unindexed > 0 {
		detail += " unindexed=" + strconv.Itoa(res.Unindexed)
	}
	if after != "" {
		// Not the cursor's code: a cursor is the client's text, and the
		// log keeps no digits a client chose.
		detail += " page=next"
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.search", Subject: audit.Subject{Type: "query"},
		Outcome: audit.OK, Detail: detail}); err != nil {
		return SearchResult{}, err // no search without its record
	}
	return res, nil
}

// searchList names the search's cursors.
const searchList = "residents.search"

// errIndexWaiting says the search index has residents waiting.
var errIndexWaiting = errors.New("resident: search index has residents waiting")

// collect reads a page's rows, each with the count of all matches, into
// rows and total; a resident listed twice (its names changed between the
// index and the register read) is listed once.
func collect(ctx context.Context, db store.Querier, query string, args []any, rows *[]Resident, total *int) error {
	seen := map[string]bool{}
	return store.Each(func(row store.Scanner) error {
		r, err := scanResident(totalScanner{row, total})
		if err != nil {
			return err
		}
		if !seen[r.Code] {
			seen[r.Code] = true
			*rows = append(*rows, r)
		}
		return nil
	})(db.Query(ctx, query, args...))
}

var (
	msgSearch     = errs.Message{JA: "宛名番号、氏名（一部でも可）、生年月日または住所の一部を入力してください（40文字以内）", EN: "give a resident code, a name or part of one, a date of birth or part of an address (at most 40 characters)"}
	msgSearchDate = errs.Message{JA: "生年月日は 1977-08-16、1977年8月16日、昭和52年8月16日、S52.8.16 のように、ある日付で入力してください",
		EN: "give a date of birth that exists, such as 1977-08-16, 1977年8月16日, 昭和52年8月16日 or S52.8.16"}
	msgSearchCode    = errs.Message{JA: "宛名番号は数字だけで入力してください", EN: "a resident code is digits only"}
	msgSearchAddress = errs.Message{JA: "住所は3文字以上続けて入力してください（例：西新宿、北3条、二丁目8番）", EN: "give at least three characters of the address in a row (such as 西新宿, 北3条, 二丁目8番)"}
	msgSearchBy      = errs.Message{JA: "検索の種類は、自動・氏名・生年月日・住所・宛名番号から選んでください", EN: "choose how to search: automatic, name, date of birth, address or resident code"}
	errBadDate       = errors.New("resident: not a date")
)

// ParseSearchBy reads a form's or the API's choice of how to search: ""
// (as the query looks) or one of SearchBys; anything else is a field
// error on by.
func ParseSearchBy(s string) (SearchBy, error) {
	if s == "" || slices.Contains(SearchBys, SearchBy(s)) {
		return SearchBy(s), nil
	}
	var fe errs.FieldErrors
	fe.Add("by", msgSearchBy)
	return "", fe.Err()
}

// parsedQuery is a search box's text, read.
type parsedQuery struct {
	by       SearchBy
	code     string
	date     time.Time
	patterns []pattern
	shown    string // q for the audit log, without digits that could be a My Number
}

// pattern is text as stored, searched for in the kana or kanji names or
// in the address.
type pattern struct {
	text                 string
	kana, kanji, address bool
}

func parseQuery(q string, by SearchBy) (parsedQuery, error) {
	q = strings.TrimSpace(q)
	field := func(name string, m errs.Message) (parsedQuery, error) {
		var fe errs.FieldErrors
		fe.Add(name, m)
		return parsedQuery{}, fe.Err()
	}
	if _, err := ParseSearchBy(string(by)); err != nil {
		return parsedQuery{}, err
	}
	switch {
	case q == "" || utf8.RuneCountInString(q) > 40:
		return field("q", msgSearch)
	case !utf8.ValidString(q) || strings.IndexFunc(q, unicode.IsControl) >= 0:
		return field("q", msgNoControls)
	}
	pq := parsedQuery{by: ByName, shown: q}
	if digits(q) >= 8 {
		// Perhaps a My Number pasted into the wrong box: the audit log
		// keeps no number.
		pq.shown = "[digits withheld]"
	}
	n := width.Narrow.String(q)
	isCode := strings.TrimFunc(n, isASCIIDigit) == ""
	if by == ByCode || by == "" && isCode {
		if !isCode {
			return field("q", msgSearchCode)
		}
		pq.by, pq.code = ByCode, n
		return pq, nil
	}
	if by == "" || by == ByBirthDate {
		t, like, err := parseBirthDate(q)
		switch {
		case err != nil || !like && by == ByBirthDate:
			return field("q", msgSearchDate)
		case like:
			// A date is no My Number: the log keeps the day searched for.
			pq.by, pq.date, pq.shown = ByBirthDate, t, "birth_date:"+t.Format("2006-01-02")
			return pq, nil
		}
	}
	if by == ByAddress || by == "" && looksLikeAddress(q) {
		pq.by, pq.shown = ByAddress, "address:"+pq.shown
		for _, v := range addressForms(q) {
			if utf8.RuneCountInString(v) < 3 {
				return field("q", msgSearchAddress)
			}
			pq.patterns = append(pq.patterns, pattern{text: v, address: true})
		}
		return pq, nil
	}
	// The register keeps readings in full-width katakana and names with
	// one full-width space: the query is read the same way, as a reading
	// when it can be one, and as a name.
	if kana := normalizeKana(q); isKana(kana) {
		pq.patterns = append(pq.patterns, pattern{text: kana, kana: true})
	}
	if name := normalizeName(q); len(pq.patterns) == 1 && pq.patterns[0].text == name {
		pq.patterns[0].kanji = true
	} else {
		pq.patterns = append(pq.patterns, pattern{text: name, kanji: true})
	}
	return pq, nil
}

// looksLikeAddress reports whether q, neither a code nor a date, can only
// be part of an address: names hold no digit, no 丁目 or 番地, and no
// prefecture followed by a municipality (東京都新宿区). Words that end
// municipalities also end family names (中村, 町田, 市川), so they alone
// do not make an address; nor do digits alone (a number pasted with
// spaces is no address).
func looksLikeAddress(q string) bool {
	words := strings.IndexFunc(q, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= '０' && r <= '９' || unicode.IsSpace(r) || unicode.IsPunct(r) || r == 'ー' || r == '－')
	}) >= 0
	if words && digits(q) > 0 || strings.Contains(q, "丁目") || strings.Contains(q, "番地") {
		return true
	}
	i := strings.IndexAny(q, "都道府県")
	return i >= 0 && strings.ContainsAny(q[i:], "市区町村郡")
}

// addressForms are the texts an address query is searched as: as typed,
// blanks dropped; with its digits in the other width (the register keeps
// an address as it was given); and a chōme in digits (2丁目) in the
// kanji numerals registers write it in (二丁目).
func addressForms(q string) []string {
	q = strings.Join(strings.Fields(q), "")
	folded := norm.NFKC.String(q) // full-width ASCII narrow, half-width kana wide (voiced marks joined)
	wide := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, folded)
	forms := []string{q}
	for _, f := range []string{folded, wide, kanjiChome(folded)} {
		if !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// kanjiChome writes the chōme numbers of s given in ASCII digits (1 to
// 99) in kanji numerals: 西新宿2丁目 → 西新宿二丁目.
func kanjiChome(s string) string {
	return chomeDigits.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(strings.TrimSuffix(m, "丁目"))
		if n < 1 || n > 99 {
			return m
		}
		const numerals = "〇一二三四五六七八九"
		digit := func(d int) string { return string([]rune(numerals)[d]) }
		var out string
		switch {
		case n < 10:
			out = digit(n)
		case n == 10:
			out = "十"
		case n < 20:
			out = "十" + digit(n%10)
		case n%10 == 0:
			out = digit(n/10) + "十"
		default:
			out = digit(n/10) + "十" + digit(n%10)
		}
		return out + "丁目"
	})
}

var chomeDigits = regexp.MustCompile(`[0-9]+丁目`)

// readsIndex reports whether the search reads what IndexForSearch
// writes: on PostgreSQL every search but by code, on SQLite the FTS5
// indexes of the names and addresses (every search by name or address).
func (pq parsedQuery) readsIndex(e store.Engine) bool {
	if e == store.Postgres {
		return pq.by != ByCode
	}
	return pq.by == ByName || pq.by == ByAddress
}

// indexBatch is how many residents one transaction of IndexForSearch
// indexes: a batch holds SQLite's writer for well under a second.
const indexBatch = 20000

// IndexForSearch brings the search index up to date with the register and
// returns how many residents it indexed. The index is not written as
// residents are (see migrations 0014 and 0017): the new, changed and
// removed residents are indexed here, a batch per transaction, so that a
// bulk import pays for the register's own keys only. Find calls it
// before each search that reads the index, so a search always sees the
// register as it is; bango serve calls it every second so that searches
// rarely wait, and a bulk import is best followed by it. It indexes the
// municipalities of ctx's scope, or every one when ctx has none (the
// system's own work).
func IndexForSearch(ctx context.Context, db *store.DB) (int, error) {
	if _, ok := store.ScopeOf(ctx); !ok {
		ctx = store.WithScope(ctx, store.AllTenants)
	}
	waiting, batch := waitingSQL(db.Engine()), indexBatchPostgres
	if db.Engine() == store.SQLite {
		batch = indexBatchTx
	}
	total := 0
	for {
		var more bool
		if err := db.Read(ctx, func(q store.Querier) error { return q.QueryRow(ctx, waiting).Scan(&more) }); err != nil {
			return total, store.Translate(err)
		}
		if !more {
			return total, nil
		}
		var n int
		if err := db.Transact(ctx, func(tx *store.Tx) (err error) {
			n, err = batch(ctx, tx)
			return err
		}); err != nil {
			return total, fmt.Errorf("resident: index for search: %w", err)
		}
		total += n
	}
}

// SearchWaitsFor is the most residents waiting for the search index that
// a search indexes itself before it answers. More wait only after a bulk
// import or load, and indexing them is serve's indexer's work: on
// PostgreSQL 300,000 took two minutes, longer than a request may last, so
// a search then answers from the index as it stands and says how many
// residents it may miss (SearchResult.Unindexed). A variable for tests.
var SearchWaitsFor = 2000

// IndexBeforeSearch brings the search index up to date before a search
// in tenant that reads it when few residents wait (SearchWaitsFor, a
// second's work at most), so that a search sees the register as it is;
// when more wait it indexes none and returns how many of tenant's, at
// least, wait, for the search to report. Another municipality's waiting
// residents are neither counted nor waited for: SQLite's index is one for
// all, and a search of one municipality neither learns of another's
// import nor waits for its indexing.
func IndexBeforeSearch(ctx context.Context, db *store.DB, tenant string) (int, error) {
	own, all, err := waitingForSearch(ctx, db, tenant)
	if err != nil || own == 0 {
		return 0, err
	}
	if all > SearchWaitsFor {
		return own, nil
	}
	_, err = IndexForSearch(ctx, db)
	return 0, err
}

// waitingForSearch counts the residents waiting for the search index:
// tenant's, and all that one indexing of ctx's scope would index.
func waitingForSearch(ctx context.Context, db *store.DB, tenant string) (own, all int, err error) {
	err = db.Read(ctx, func(q store.Querier) error {
		return q.QueryRow(ctx, waitingCountSQL(db.Engine()), SearchWaitsFor+1, tenant).Scan(&own, &all)
	})
	return own, all, store.Translate(err)
}

// waitingCountSQL counts the residents of municipality $2 waiting for the
// search index, and all waiting that an indexing would take: on
// PostgreSQL, whose index is indexed a municipality at a time, both are
// $2's, of its first lists up to $1 lists (a bulk write queues a list a
// chunk, so a count past $1 is what a search reports, not all); on SQLite
// every one of them (ranges of rowids), and, when the register's rowids
// were renumbered and the index is made anew, $1 for both.
func waitingCountSQL(e store.Engine) string {
	if e == store.SQLite {
		return `SELECT CASE WHEN r.renumbered THEN $1 ELSE
				(SELECT count(*) FROM resident_search_pending WHERE tenant_code = $2) +
				(SELECT count(*) FROM residents WHERE rowid > (SELECT last_rowid FROM resident_search_cursor) AND tenant_code = $2) END,
			CASE WHEN r.renumbered THEN $1 ELSE
				(SELECT count(*) FROM resident_search_pending) +
				(SELECT count(*) FROM residents WHERE rowid > (SELECT last_rowid FROM resident_search_cursor)) END
			FROM (SELECT EXISTS (SELECT 1 FROM resident_search_cursor AS c WHERE c.last_rowid > 0 AND NOT EXISTS (
				SELECT 1 FROM residents AS r WHERE r.rowid = c.last_rowid AND r.tenant_code = c.tenant_code AND r.code = c.code)) AS renumbered) AS r`
	}
	// An import queues its residents' codes a chunk to a list.
	return `SELECT n, n FROM (SELECT coalesce(sum(cardinality(codes)), 0)::int AS n
		FROM (SELECT codes FROM resident_search_pending WHERE tenant_code = $2 ORDER BY id LIMIT $1) AS p) AS c`
}

// waitingSQL asks whether residents of the scope wait for the search index.
func waitingSQL(e store.Engine) string {
	if e == store.SQLite {
		return `SELECT EXISTS (SELECT 1 FROM resident_search_pending)
			OR EXISTS (SELECT 1 FROM residents WHERE rowid > (SELECT last_rowid FROM resident_search_cursor))
			OR EXISTS (SELECT 1 FROM resident_search_cursor AS c WHERE c.last_rowid > 0 AND NOT EXISTS (
				SELECT 1 FROM residents AS r WHERE r.rowid = c.last_rowid AND r.tenant_code = c.tenant_code AND r.code = c.code))`
	}
	return `SELECT EXISTS (SELECT 1 FROM resident_search_pending)`
}

// searchIndexLock is the advisory lock PostgreSQL's indexers take turns
// by: two at once could both index one resident, listed twice.
const searchIndexLock = 0x62616e676f01 // "bango" 1

// indexBatchPostgres indexes up to indexBatch of the waiting residents:
// the entries written for the names they were indexed under go, and
// entries for the register as it is now are written.
func indexBatchPostgres(ctx context.Context, tx *store.Tx) (int, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, searchIndexLock); err != nil {
		return 0, err
	}
	// The oldest lists of codes, up to indexBatch codes (at least one list).
	type list struct {
		id int64
		n  int
	}
	lists, err := store.Rows(func(r store.Scanner) (l list, err error) {
		return l, r.Scan(&l.id, &l.n)
	})(tx.Query(ctx, `SELECT id, cardinality(codes) FROM resident_search_pending ORDER BY id LIMIT $1`, indexBatch))
	if err != nil || len(lists) == 0 {
		return 0, err
	}
	ids := []int64{lists[0].id}
	for n, i := lists[0].n, 1; i < len(lists) && n+lists[i].n <= indexBatch; i++ {
		ids, n = append(ids, lists[i].id), n+lists[i].n
	}
	type key struct{ tenant, code string }
	keys, err := store.Rows(func(r store.Scanner) (k key, err error) {
		return k, r.Scan(&k.tenant, &k.code)
	})(tx.Query(ctx, `WITH p AS (DELETE FROM resident_search_pending WHERE id = ANY ($1) RETURNING tenant_code, codes)
		SELECT DISTINCT p.tenant_code, c FROM p, unnest(p.codes) AS c`, ids))
	if err != nil {
		return 0, err
	}
	tenants, codes := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		tenants[i], codes[i] = k.tenant, k.code
	}
	const batch = `SELECT * FROM unnest($1::text[], $2::text[]) AS b (tenant_code, code)`
	for _, q := range []string{
		`DELETE FROM resident_grams AS g USING resident_search AS s, bango_name_grams(s.name_kana, s.name_kanji) AS old
			WHERE (s.tenant_code, s.code) IN (` + batch + `) AND g.tenant_code = s.tenant_code AND g.gram = old AND g.code = s.code`,
		`DELETE FROM resident_address_grams AS g USING resident_search AS s, bango_grams(s.address) AS old
			WHERE (s.tenant_code, s.code) IN (` + batch + `) AND g.tenant_code = s.tenant_code AND g.gram = old AND g.code = s.code`,
		`DELETE FROM resident_prefixes AS g USING resident_search AS s, bango_name_prefixes(s.name_kana, s.name_kanji) AS old
			WHERE (s.tenant_code, s.code) IN (` + batch + `) AND g.tenant_code = s.tenant_code AND g.prefix = old AND g.code = s.code`,
		`DELETE FROM resident_search WHERE (tenant_code, code) IN (` + batch + `)`,
		`INSERT INTO resident_search (tenant_code, code, name_kana, name_kanji, given_kana, given_kanji, birth_date, address)
			SELECT r.tenant_code, r.code, r.name_kana, r.name_kanji, substr(r.name_kana, strpos(r.name_kana, '　') + 1),
				substr(r.name_kanji, strpos(r.name_kanji, '　') + 1), r.birth_date, r.address
			FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code`,
		`INSERT INTO resident_grams (tenant_code, gram, code)
			SELECT r.tenant_code, g, r.code FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code,
				bango_name_grams(r.name_kana, r.name_kanji) AS g`,
		`INSERT INTO resident_address_grams (tenant_code, gram, code)
			SELECT r.tenant_code, g, r.code FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code,
				bango_grams(r.address) AS g`,
		`INSERT INTO resident_prefixes (tenant_code, prefix, code)
			SELECT r.tenant_code, p, r.code FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code,
				bango_name_prefixes(r.name_kana, r.name_kanji) AS p
			ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.Exec(ctx, q, tenants, codes); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// indexBatchTx indexes up to indexBatch changed and indexBatch new
// residents.
func indexBatchTx(ctx context.Context, tx *store.Tx) (int, error) {
	exec := func(q string, args ...any) (int, error) {
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	done := 0
	// Changed and removed residents: their entries go, and come back with
	// the names as they are now.
	var hi sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT max(rowid) FROM (SELECT rowid FROM resident_search_pending ORDER BY rowid LIMIT $1)`, indexBatch).Scan(&hi); err != nil {
		return 0, err
	}
	if hi.Valid {
		const changed = `SELECT i.id FROM resident_search_pending AS p JOIN resident_search_ids AS i ON i.tenant_code = p.tenant_code AND i.code = p.code WHERE p.rowid <= $1`
		for _, q := range []string{
			`DELETE FROM resident_names WHERE rowid IN (` + changed + `)`,
			`DELETE FROM resident_addresses WHERE rowid IN (` + changed + `)`,
			`DELETE FROM resident_words WHERE rowid IN (` + changed + `)`,
			`DELETE FROM resident_search_ids WHERE id IN (` + changed + `)
				AND NOT EXISTS (SELECT 1 FROM residents AS r WHERE r.tenant_code = resident_search_ids.tenant_code AND r.code = resident_search_ids.code)`,
			`INSERT INTO resident_names (rowid, name_kana, name_kanji) SELECT i.id, r.name_kana, r.name_kanji
				FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code WHERE i.id IN (` + changed + `)`,
			`INSERT INTO resident_addresses (rowid, address) SELECT i.id, r.address
				FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code WHERE i.id IN (` + changed + `)`,
			`INSERT INTO resident_words (rowid, kana, kanji) SELECT i.id, r.name_kana, r.name_kanji
				FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code WHERE i.id IN (` + changed + `)`,
		} {
			if _, err := exec(q, hi.Int64); err != nil {
				return 0, err
			}
		}
		n, err := exec(`DELETE FROM resident_search_pending WHERE rowid <= $1`, hi.Int64)
		if err != nil {
			return 0, err
		}
		done += n
	}
	// New residents, above the cursor; from scratch if rowids were renumbered.
	var last int64
	var renumbered bool
	if err := tx.QueryRow(ctx, `SELECT c.last_rowid, c.last_rowid > 0 AND NOT EXISTS (SELECT 1 FROM residents AS r
		WHERE r.rowid = c.last_rowid AND r.tenant_code = c.tenant_code AND r.code = c.code) FROM resident_search_cursor AS c`).Scan(&last, &renumbered); err != nil {
		return 0, err
	}
	if renumbered {
		if _, err := exec(`INSERT INTO resident_names (resident_names) VALUES ('delete-all')`); err != nil {
			return 0, err
		}
		if _, err := exec(`INSERT INTO resident_addresses (resident_addresses) VALUES ('delete-all')`); err != nil {
			return 0, err
		}
		if _, err := exec(`INSERT INTO resident_words (resident_words) VALUES ('delete-all')`); err != nil {
			return 0, err
		}
		if _, err := exec(`DELETE FROM resident_search_ids`); err != nil {
			return 0, err
		}
		last = 0
	}
	if err := tx.QueryRow(ctx, `SELECT max(rowid) FROM (SELECT rowid FROM residents WHERE rowid > $1 ORDER BY rowid LIMIT $2)`, last, indexBatch).Scan(&hi); err != nil {
		return 0, err
	}
	if !hi.Valid {
		return done, nil
	}
	// A municipality new to the index takes the next slot of numbers.
	if _, err := exec(`INSERT INTO resident_search_tenants (tenant_code, slot)
		SELECT t, (SELECT coalesce(max(slot), 0) FROM resident_search_tenants) + row_number() OVER (ORDER BY t)
		FROM (SELECT DISTINCT tenant_code AS t FROM residents WHERE rowid > $1 AND rowid <= $2
			AND tenant_code NOT IN (SELECT tenant_code FROM resident_search_tenants))`, last, hi.Int64); err != nil {
		return 0, err
	}
	// A resident already numbered (removed and registered again) keeps its
	// number, and its entry from the changes above; the others are
	// numbered in the order of their codes (searchNumber) and indexed.
	fresh := `SELECT t.slot * ` + strconv.FormatInt(codeSpan, 10) + ` + ` + codeOrderSQL("r.code") + ` AS id,
			r.tenant_code, r.code, r.name_kana, r.name_kanji, r.address
		FROM residents AS r JOIN resident_search_tenants AS t ON t.tenant_code = r.tenant_code
		WHERE r.rowid > $1 AND r.rowid <= $2
			AND NOT EXISTS (SELECT 1 FROM resident_search_ids AS i WHERE i.tenant_code = r.tenant_code AND i.code = r.code)`
	if _, err := exec(`INSERT INTO resident_names (rowid, name_kana, name_kanji) SELECT id, name_kana, name_kanji FROM (`+fresh+`) ORDER BY id`, last, hi.Int64); err != nil {
		return 0, err
	}
	if _, err := exec(`INSERT INTO resident_addresses (rowid, address) SELECT id, address FROM (`+fresh+`) ORDER BY id`, last, hi.Int64); err != nil {
		return 0, err
	}
	if _, err := exec(`INSERT INTO resident_words (rowid, kana, kanji) SELECT id, name_kana, name_kanji FROM (`+fresh+`) ORDER BY id`, last, hi.Int64); err != nil {
		return 0, err
	}
	n, err := exec(`INSERT INTO resident_search_ids (id, tenant_code, code) SELECT id, tenant_code, code FROM (`+fresh+`)`, last, hi.Int64)
	if err != nil {
		return 0, err
	}
	if _, err := exec(`UPDATE resident_search_cursor SET last_rowid = r.rowid, tenant_code = r.tenant_code, code = r.code
		FROM (SELECT rowid, tenant_code, code FROM residents WHERE rowid = $1) AS r`, hi.Int64); err != nil {
		return 0, err
	}
	return done + n, nil
}

// codeSpan is 11^15, the numbers one municipality's residents take in
// SQLite's search index: a resident's number is its municipality's slot
// times codeSpan plus codeOrder of its code, so that the trigram indexes,
// which list their matches by number, list them in the order of the codes
// (宛名番号順) and a page is read from the start of the matches, not
// sorted out of all of them.
const codeSpan int64 = 4177248169415651

// codeOrder maps a resident code (at most 15 ASCII digits, as validate
// allows) to a number below codeSpan in the codes' own order: each digit
// is a base-11 digit 1–10, padded on the right with 0, so that a code
// sorts before every longer code it starts (12 < 120 < 13) as strings do.
func codeOrder(code string) int64 {
	var n int64
	for i := range 15 {
		n *= 11
		if i < len(code) {
			n += int64(code[i]-'0') + 1
		}
	}
	return n
}

// codeOrderSQL is codeOrder of the SQLite column col, for numbering in
// one statement.
func codeOrderSQL(col string) string {
	terms := make([]string, 15)
	weight := int64(1)
	for i := 14; i >= 0; i-- {
		terms[i] = fmt.Sprintf("(CASE WHEN length(%s) > %d THEN unicode(substr(%s, %d, 1)) - 47 ELSE 0 END) * %d", col, i, col, i+1, weight)
		weight *= 11
	}
	return "(" + strings.Join(terms, " + ") + ")"
}

// digits counts the ASCII and full-width digits in s.
func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}

// The SQL of a search is one statement: a branch per way the query can
// match, each answered from its own index inside the municipality and
// giving the codes it matched. The page is the union of each branch's
// first limit+1 codes after the last one shown, cut at limit+1 and joined
// to the register by primary key; the count is the union of each
// branch's first CountCap+1 codes, counted. Every branch names the
// municipality; on PostgreSQL row-level security narrows it again, and
// allows an index only through leakproof comparisons (=, <, >=):
// prefixes are ranges, and LIKE is only ever a re-check of rows already
// found.

const searchColumns = `r.tenant_code, r.code, r.name_kanji, r.name_kana, r.alias, r.address, r.birth_date, r.sex,
	r.mynumber_bidx IS NOT NULL, r.version, r.created_at, r.updated_at`

// searchSQL builds the statement; $1 is the municipality.
type searchSQL struct {
	engine store.Engine
	args   []any
	// branches are "SELECT code FROM … WHERE …", each to be completed by
	// a condition on the code (column code) and an order.
	branches []branch
}

// branch is one way of matching: its statement, and the expression of the
// code it pages by. A branch that reads its matches in another order that
// follows the codes (SQLite's trigram indexes, by number) names that
// order and the condition that starts after a code.
type branch struct {
	sql, code string
	order     string
	after     func(code string) string
}

func (b *searchSQL) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// add adds "SELECT code FROM from WHERE where", code naming the column
// the code is read from.
func (b *searchSQL) add(code, from, where string) {
	b.branches = append(b.branches, branch{sql: "SELECT " + code + " AS code FROM " + from + " WHERE " + where, code: code})
}

// addKeyed adds a branch that reads a key index (a name's start, a date
// of birth) and sorts its range by code. It pages by an expression of
// the code no index of the table is ordered by — on PostgreSQL the code
// compared byte by byte, on SQLite +code — so that the planner reads the
// key's range rather than walking the municipality's primary key in code
// order until enough match. Codes are ASCII digits, which every
// collation orders as bytes, so the branch's first codes are the same in
// either order.
func (b *searchSQL) addKeyed(alias, from, where string) {
	b.add(alias+"code", from, where)
	code := "+" + alias + "code"
	if b.engine == store.Postgres {
		code = b.text(alias + "code")
	}
	b.branches[len(b.branches)-1].code = code
}

// text is column compared byte by byte, as the prefix indexes are built.
func (b *searchSQL) text(column string) string {
	if b.engine == store.Postgres {
		return column + ` COLLATE "C"`
	}
	return column
}

// keys is where a search reads the names' starts and the dates of birth
// from: the register itself on SQLite, and on PostgreSQL the table of
// search keys written after it (migration 0017), with its alias.
func (b *searchSQL) keys() (from, alias string) {
	if b.engine == store.Postgres {
		return "resident_search AS s", "s."
	}
	return "residents AS r", "r."
}

// prefix adds the residents whose column starts with p.
func (b *searchSQL) prefix(column, p string) {
	from, alias := b.keys()
	c := b.text(alias + column)
	b.addKeyed(alias, from, alias+"tenant_code = $1 AND "+c+" >= "+b.arg(p)+" AND "+c+" < "+b.arg(prefixEnd(p)))
}

// branches adds the branches of pq.
func (pq parsedQuery) branches(e store.Engine, tenant string) *searchSQL {
	b := &searchSQL{engine: e}
	b.arg(tenant)
	switch pq.by {
	case ByCode:
		b.add("r.code", "residents AS r", "r.tenant_code = $1 AND r.code = "+b.arg(pq.code))
	case ByBirthDate:
		from, alias := b.keys()
		b.addKeyed(alias, from, alias+"tenant_code = $1 AND "+alias+"birth_date = "+b.arg(dateArg(e, pq.date)))
	default:
		for _, p := range pq.patterns {
			b.pattern(p)
		}
	}
	return b
}

// union is the union of the branches' first n codes after after ("" for
// all), each in code order; or, for a count, any n of each branch's.
func (b *searchSQL) union(after string, n int, ordered bool) string {
	var cond string
	limit := b.arg(n)
	parts := make([]string, len(b.branches))
	for i, br := range b.branches {
		q, order := br.sql, br.code
		if br.order != "" {
			order = br.order
		}
		switch {
		case after != "" && br.after != nil:
			q += " AND " + br.after(after)
		case after != "":
			if cond == "" {
				cond = b.arg(after)
			}
			q += " AND " + br.code + " > " + cond
		}
		if ordered {
			q += " ORDER BY " + order
		}
		parts[i] = fmt.Sprintf("SELECT code FROM (%s LIMIT %s) AS b%d", q, limit, i)
	}
	return strings.Join(parts, " UNION ")
}

// sql is the statement of one page: limit+1 residents after the code
// after ("" for the first page), each with the count of all matches up
// to CountCap+1.
func (pq parsedQuery) sql(e store.Engine, tenant, after string, limit int) (string, []any) {
	b := pq.branches(e, tenant)
	q := "SELECT (SELECT count(*) FROM (" + b.union("", CountCap+1, false) + ") AS c) AS total, " + searchColumns +
		" FROM (" + b.union(after, limit+1, true) + " ORDER BY code LIMIT " + b.arg(limit+1) + ") AS p"
	if e == store.Postgres {
		// A lateral subquery, so that the page's few rows are read by the
		// primary key whatever the planner guesses of the union.
		q += " CROSS JOIN LATERAL (SELECT * FROM residents AS r WHERE r.tenant_code = $1 AND r.code = p.code LIMIT 1) AS r"
	} else {
		q += " JOIN residents AS r ON r.tenant_code = $1 AND r.code = p.code"
	}
	return q + " ORDER BY p.code", b.args
}

// countSQL counts the matches of pq alone, up to CountCap+1.
func (pq parsedQuery) countSQL(e store.Engine, tenant string) (string, []any) {
	b := pq.branches(e, tenant)
	return "SELECT count(*) FROM (" + b.union("", CountCap+1, false) + ") AS c", b.args
}

// pattern adds the branches of one pattern.
func (b *searchSQL) pattern(p pattern) {
	var columns []string // the name columns p is searched in, with their given-name column
	if p.kana {
		columns = append(columns, "name_kana", "given_kana")
	}
	if p.kanji {
		columns = append(columns, "name_kanji", "given_kanji")
	}
	if utf8.RuneCountInString(p.text) < 3 {
		// Too short for a trigram: the start of the family or given name
		// (an address is at least three characters). PostgreSQL keeps
		// each start as a posting in code order (k: kana, n: the name as
		// written; migration 0035), so a page is its first entries; SQLite
		// reads the ranges of the register's name indexes.
		if b.engine == store.Postgres {
			if p.kana {
				b.add("g.code", "resident_prefixes AS g", "g.tenant_code = $1 AND g.prefix = "+b.arg("k"+p.text))
			}
			if p.kanji {
				b.add("g.code", "resident_prefixes AS g", "g.tenant_code = $1 AND g.prefix = "+b.arg("n"+p.text))
			}
			return
		}
		if wordChars(p.text) {
			// SQLite: the words of the names (family and given, split at
			// the space) in an FTS5 index with prefix indexes of one and
			// two characters, numbered like the trigrams (migration 0037).
			column := "{kana kanji}"
			switch {
			case !p.kanji:
				column = "kana"
			case !p.kana:
				column = "kanji"
			}
			b.fts("resident_words", column+` : "`+p.text+`" *`)
			return
		}
		for i := 0; i < len(columns); i += 2 {
			b.prefix(columns[i], p.text)
			b.prefix(columns[i+1], p.text)
		}
		return
	}
	if b.engine == store.SQLite {
		// FTS5's trigram indexes find p anywhere, spaces included.
		match := `"` + strings.ReplaceAll(p.text, `"`, `""`) + `"`
		table := "resident_names"
		switch {
		case p.address:
			table = "resident_addresses"
		case p.kana && p.kanji:
			match = "{name_kana name_kanji} : " + match
		case p.kana:
			match = "name_kana : " + match
		default:
			match = "name_kanji : " + match
		}
		b.fts(table, match)
		return
	}
	// The postings of p's first and last trigram, in code order, each
	// leading to its resident by the primary key (a lateral subquery, so
	// that the planner walks the postings and stops at the limit), whose
	// names or address are then re-checked.
	grams, recheck := "resident_grams", []string{}
	for i := 0; i < len(columns); i += 2 {
		recheck = append(recheck, "r."+columns[i])
	}
	if p.address {
		grams, recheck = "resident_address_grams", []string{"r.address"}
	}
	like := b.arg("%" + likeEscaper.Replace(p.text) + "%")
	for i := range recheck {
		recheck[i] += " LIKE " + like + ` ESCAPE '\'`
	}
	drive := driving(p.text)
	postings := "SELECT g.code FROM " + grams + " AS g"
	where := "g.tenant_code = $1 AND g.gram = " + b.arg(drive[0])
	for i, gram := range drive[1:] {
		a := "g" + strconv.Itoa(i+2)
		postings += " JOIN " + grams + " AS " + a + " ON " + a + ".tenant_code = g.tenant_code AND " + a + ".code = g.code AND " + a + ".gram = " + b.arg(gram)
	}
	// The code the union pages by is the postings' (g.code), so that a
	// page's condition narrows the postings' range.
	b.add("g.code", "("+postings+" WHERE "+where+" GROUP BY g.code) AS g"+
		" CROSS JOIN LATERAL (SELECT * FROM residents AS r WHERE r.tenant_code = $1 AND r.code = g.code LIMIT 1) AS r",
		"("+strings.Join(recheck, " OR ")+")")
}

// fts adds a branch of the SQLite FTS5 table's matches of match. They
// are read in the order of their numbers, which is the order of their
// codes (codeOrder), inside the municipality's span; the join back to the
// code is a check of the municipality too.
func (b *searchSQL) fts(table, match string) {
	rowid, slot := table+".rowid", "(SELECT slot FROM resident_search_tenants WHERE tenant_code = $1)"
	span := strconv.FormatInt(codeSpan, 10)
	b.add("i.code", table+" JOIN resident_search_ids AS i ON i.id = "+rowid,
		table+" MATCH "+b.arg(match)+" AND "+rowid+" > "+slot+" * "+span+" AND "+rowid+" < ("+slot+" + 1) * "+span+" AND +i.tenant_code = $1")
	br := &b.branches[len(b.branches)-1]
	br.order = rowid
	br.after = func(code string) string {
		return rowid + " > " + slot + " * " + span + " + " + b.arg(codeOrder(code))
	}
}

// wordChars reports whether every character of s is one FTS5's unicode61
// tokenizer keeps in a word (letters, numbers, private use): a start of a
// name made of them is one word's start, found by resident_words.
func wordChars(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.In(r, unicode.L, unicode.N, unicode.Co) }) < 0
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// driving returns the trigrams whose postings a PostgreSQL search for p
// (three characters or more) reads: its first and its last, which
// together narrow the most in a name (a family name's start and a given
// name's end) and in a town and its chōme; and each trigram that spans a
// change between digits and other characters. A town and a lot number
// (若松町67番地) share their first and last trigrams with thousands of
// neighbours (若松町…, …7番地: 5,000 candidates to re-check for 170
// residents at 1,000,000), while the trigram where the number starts
// (町67) is rare; re-checking the candidates was the address search's
// p99 (issue 14 I).
func driving(p string) []string {
	rs := []rune(p)
	n := len(rs)
	starts := []int{0, n - 3}
	for i := 1; i < n; i++ {
		if unicode.IsDigit(rs[i]) != unicode.IsDigit(rs[i-1]) && i-1 <= n-3 {
			starts = append(starts, i-1)
		}
	}
	slices.Sort(starts)
	var grams []string
	for _, at := range slices.Compact(starts) {
		if g := string(rs[at : at+3]); !slices.Contains(grams, g) {
			grams = append(grams, g)
		}
	}
	return grams
}

// prefixEnd is the least string above every string that starts with p,
// in byte order (UTF-8 byte order is code point order).
func prefixEnd(p string) string {
	r, size := utf8.DecodeLastRuneInString(p)
	switch {
	case size == 0:
		return string(utf8.MaxRune)
	case r >= utf8.MaxRune:
		return prefixEnd(p[:len(p)-size])
	case r+1 >= 0xD800 && r+1 <= 0xDFFF: // no surrogates in UTF-8
		return p[:len(p)-size] + string(rune(0xE000))
	}
	return p[:len(p)-size] + string(r+1)
}

// totalScanner scans the count of all matches before a resident's columns.
type totalScanner struct {
	row   store.Scanner
	total *int
}

func (s totalScanner) Scan(dest ...any) error {
	return s.row.Scan(append([]any{s.total}, dest...)...)
}
