package resident

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// MaxResults bounds one search: a screen, not an export. Past it, the
// result says there were more, and staff narrow the search.
const MaxResults = 50

// SearchBy says how a search read its query.
type SearchBy string

const (
	ByCode      SearchBy = "code"       // digits: a resident code, exactly
	ByBirthDate SearchBy = "birth_date" // a date of birth, 西暦 or 和暦
	ByName      SearchBy = "name"       // anything else: a kana or kanji name, or part of one
)

// SearchResult is what a search found.
type SearchResult struct {
	Residents []Resident `json:"residents"` // at most MaxResults (never nil), by kana reading, then code
	More      bool       `json:"more"`      // more residents matched than are listed
	By        SearchBy   `json:"by"`
	BirthDate time.Time  `json:"birth_date,omitzero"` // the day searched for, when By is ByBirthDate
}

// Search finds residents of tenant as Find does and returns the list alone.
func (s *Service) Search(ctx context.Context, tenant, q string) ([]Resident, error) {
	res, err := s.Find(ctx, tenant, q)
	return res.Residents, err
}

// Find finds residents of tenant by what staff have at the counter:
//
//   - digits: the resident code, exactly;
//   - a date of birth, 西暦 (1977-08-16, 1977年8月16日) or 和暦 (昭和52年8月16日,
//     昭和52.8.16, S52.8.16);
//   - otherwise a name in kana (katakana, hiragana or half-width) or kanji:
//     three characters or more are found anywhere in the name, family or
//     given, across the space between them too; one or two characters at
//     the start of the family or the given name.
//
// Every way is answered from an index inside the municipality (issue 14 I);
// a search that reads what IndexForSearch writes first indexes the
// register's changes not yet indexed.
// The search, with what was asked and how many were found, is an event; the
// residents listed are not read events one by one, their records are
// opened one at a time with Get. When more than MaxResults match, the
// result says so, and lists the first matches of each way the query can
// match (first in kana order for the starts of names, first by code for
// the search anywhere in a name), in kana order.
func (s *Service) Find(ctx context.Context, tenant, q string) (SearchResult, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	pq, err := parseQuery(q)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{Residents: []Resident{}, By: pq.by, BirthDate: pq.date}
	query, args := pq.sql(s.db.Engine(), tenant)
	seen := map[string]bool{}
	hits := map[int]int{}
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
			return collect(ctx, db, query, args, &res, seen, hits)
		})
		if !errors.Is(err, errIndexWaiting) {
			break
		}
		if _, err := IndexForSearch(ctx, s.db); err != nil {
			return SearchResult{}, err
		}
	}
	if err != nil {
		return SearchResult{}, store.Translate(err)
	}
	slices.SortFunc(res.Residents, func(a, b Resident) int {
		if c := strings.Compare(a.NameKana, b.NameKana); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	if len(res.Residents) > MaxResults {
		res.Residents, res.More = res.Residents[:MaxResults], true
	}
	detail := "q=" + pq.shown + " found=" + strconv.Itoa(len(res.Residents))
	if res.More {
		detail += "+"
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "resident.search", Subject: audit.Subject{Type: "query"},
		Outcome: audit.OK, Detail: detail}); err != nil {
		return SearchResult{}, err // no search without its record
	}
	return res, nil
}

// errIndexWaiting says the search index has residents waiting.
var errIndexWaiting = errors.New("resident: search index has residents waiting")

// collect reads a search's rows into res: each resident once, and More when
// one way of matching alone matched more than a screen.
func collect(ctx context.Context, db store.Querier, query string, args []any, res *SearchResult, seen map[string]bool, hits map[int]int) error {
	return store.Each(func(row store.Scanner) error {
		var b int
		r, err := scanResident(branchScanner{row, &b})
		if err != nil {
			return err
		}
		if hits[b]++; hits[b] > MaxResults {
			res.More = true // this way alone matched more than a screen
			return nil
		}
		if !seen[r.Code] {
			seen[r.Code] = true
			res.Residents = append(res.Residents, r)
		}
		return nil
	})(db.Query(ctx, query, args...))
}

var (
	msgSearch     = errs.Message{JA: "宛名番号、氏名（一部でも可）または生年月日を入力してください（40文字以内）", EN: "give a resident code, a name or part of one, or a date of birth (at most 40 characters)"}
	msgSearchDate = errs.Message{JA: "生年月日は 1977-08-16、1977年8月16日、昭和52年8月16日、S52.8.16 のように、ある日付で入力してください",
		EN: "give a date of birth that exists, such as 1977-08-16, 1977年8月16日, 昭和52年8月16日 or S52.8.16"}
	errBadDate = errors.New("resident: not a date")
)

// parsedQuery is a search box's text, read.
type parsedQuery struct {
	by       SearchBy
	code     string
	date     time.Time
	patterns []namePattern
	shown    string // q for the audit log, without digits that could be a My Number
}

// namePattern is a name as stored, searched for in the kana or kanji
// column or both.
type namePattern struct {
	text        string
	kana, kanji bool
}

func parseQuery(q string) (parsedQuery, error) {
	q = strings.TrimSpace(q)
	field := func(m errs.Message) (parsedQuery, error) {
		var fe errs.FieldErrors
		fe.Add("q", m)
		return parsedQuery{}, fe.Err()
	}
	switch {
	case q == "" || utf8.RuneCountInString(q) > 40:
		return field(msgSearch)
	case !utf8.ValidString(q) || strings.IndexFunc(q, unicode.IsControl) >= 0:
		return field(msgNoControls)
	}
	pq := parsedQuery{by: ByName, shown: q}
	if digits(q) >= 8 {
		// Perhaps a My Number pasted into the wrong box: the audit log
		// keeps no number.
		pq.shown = "[digits withheld]"
	}
	if n := width.Narrow.String(q); strings.TrimFunc(n, isASCIIDigit) == "" {
		pq.by, pq.code = ByCode, n
		return pq, nil
	}
	t, like, err := parseBirthDate(q)
	switch {
	case err != nil:
		return field(msgSearchDate)
	case like:
		// A date is no My Number: the log keeps the day searched for.
		pq.by, pq.date, pq.shown = ByBirthDate, t, "birth_date:"+t.Format("2006-01-02")
		return pq, nil
	}
	// The register keeps readings in full-width katakana and names with
	// one full-width space: the query is read the same way, as a reading
	// when it can be one, and as a name.
	if kana := normalizeKana(q); isKana(kana) {
		pq.patterns = append(pq.patterns, namePattern{text: kana, kana: true})
	}
	if name := normalizeName(q); len(pq.patterns) == 1 && pq.patterns[0].text == name {
		pq.patterns[0].kanji = true
	} else {
		pq.patterns = append(pq.patterns, namePattern{text: name, kanji: true})
	}
	return pq, nil
}

// readsIndex reports whether the search reads what IndexForSearch
// writes: on PostgreSQL every search but by code, on SQLite the trigram
// index of the names (a name pattern of three characters or more).
func (pq parsedQuery) readsIndex(e store.Engine) bool {
	if e == store.Postgres {
		return pq.by != ByCode
	}
	for _, p := range pq.patterns {
		if utf8.RuneCountInString(p.text) >= 3 {
			return true
		}
	}
	return false
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
		`DELETE FROM resident_search WHERE (tenant_code, code) IN (` + batch + `)`,
		`INSERT INTO resident_search (tenant_code, code, name_kana, name_kanji, given_kana, given_kanji, birth_date)
			SELECT r.tenant_code, r.code, r.name_kana, r.name_kanji, substr(r.name_kana, strpos(r.name_kana, '　') + 1),
				substr(r.name_kanji, strpos(r.name_kanji, '　') + 1), r.birth_date
			FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code`,
		`INSERT INTO resident_grams (tenant_code, gram, code)
			SELECT r.tenant_code, g, r.code FROM (` + batch + `) AS b JOIN residents AS r ON r.tenant_code = b.tenant_code AND r.code = b.code,
				bango_name_grams(r.name_kana, r.name_kanji) AS g`,
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
			`DELETE FROM resident_search_ids WHERE id IN (` + changed + `)
				AND NOT EXISTS (SELECT 1 FROM residents AS r WHERE r.tenant_code = resident_search_ids.tenant_code AND r.code = resident_search_ids.code)`,
			`INSERT INTO resident_names (rowid, name_kana, name_kanji) SELECT i.id, r.name_kana, r.name_kanji
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
	var firstID int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM resident_search_ids`).Scan(&firstID); err != nil {
		return 0, err
	}
	// A resident already numbered (removed and registered again) keeps its
	// number, and its entry from the changes above.
	n, err := exec(`INSERT OR IGNORE INTO resident_search_ids (tenant_code, code)
		SELECT tenant_code, code FROM residents WHERE rowid > $1 AND rowid <= $2 ORDER BY rowid`, last, hi.Int64)
	if err != nil {
		return 0, err
	}
	if _, err := exec(`INSERT INTO resident_names (rowid, name_kana, name_kanji) SELECT i.id, r.name_kana, r.name_kanji
		FROM resident_search_ids AS i JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code WHERE i.id >= $1`, firstID); err != nil {
		return 0, err
	}
	if _, err := exec(`UPDATE resident_search_cursor SET last_rowid = r.rowid, tenant_code = r.tenant_code, code = r.code
		FROM (SELECT rowid, tenant_code, code FROM residents WHERE rowid = $1) AS r`, hi.Int64); err != nil {
		return 0, err
	}
	return done + n, nil
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

// The SQL of a search is one statement: a UNION ALL of one branch per
// way the query can match, each answered from its own index in that
// index's order and cut at MaxResults+1 (so that a branch with more tells
// that there are more without reading them). Every branch names the
// municipality; on PostgreSQL row-level security narrows it again, and
// allows an index only through leakproof comparisons (=, <, >=): prefixes
// are ranges, and LIKE is only ever a re-check of rows already found.

const searchColumns = `r.tenant_code, r.code, r.name_kanji, r.name_kana, r.alias, r.address, r.birth_date, r.sex,
	r.mynumber_bidx IS NOT NULL, r.version, r.created_at, r.updated_at`

// searchSQL builds the statement; $1 is the municipality.
type searchSQL struct {
	engine   store.Engine
	args     []any
	branches []string
}

func (b *searchSQL) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// branch adds "SELECT … FROM from WHERE r.tenant_code = $1 AND where
// [ORDER BY order] LIMIT MaxResults+1".
func (b *searchSQL) branch(from, where, order string) {
	q := fmt.Sprintf("SELECT %d AS branch, %s FROM %s WHERE r.tenant_code = $1 AND %s", len(b.branches), searchColumns, from, where)
	if order != "" {
		q += " ORDER BY " + order
	}
	b.branches = append(b.branches, q+" LIMIT "+strconv.Itoa(MaxResults+1))
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
// search keys written after it (migration 0017), with "s" its alias.
// where starts the branch's condition with the table's municipality.
func (b *searchSQL) keys() (from, alias, where string) {
	if b.engine == store.Postgres {
		return "resident_search AS s JOIN residents AS r ON r.tenant_code = s.tenant_code AND r.code = s.code", "s.", "s.tenant_code = $1 AND "
	}
	return "residents AS r", "r.", ""
}

// prefix adds the residents whose column starts with p, in its order.
func (b *searchSQL) prefix(column, p string) {
	from, alias, where := b.keys()
	c := b.text(alias + column)
	b.branch(from, where+c+" >= "+b.arg(p)+" AND "+c+" < "+b.arg(prefixEnd(p)), c+", "+alias+"code")
}

func (pq parsedQuery) sql(e store.Engine, tenant string) (string, []any) {
	b := &searchSQL{engine: e}
	b.arg(tenant)
	switch pq.by {
	case ByCode:
		b.branch("residents AS r", "r.code = "+b.arg(pq.code), "")
	case ByBirthDate:
		from, alias, where := b.keys()
		b.branch(from, where+alias+"birth_date = "+b.arg(dateArg(e, pq.date)), "r.name_kana, r.code")
	default:
		for _, p := range pq.patterns {
			b.name(p)
		}
	}
	parts := make([]string, len(b.branches))
	for i, q := range b.branches {
		parts[i] = fmt.Sprintf("SELECT * FROM (%s) AS b%d", q, i)
	}
	return strings.Join(parts, " UNION ALL "), b.args
}

// name adds the branches of one name pattern.
func (b *searchSQL) name(p namePattern) {
	var columns []string // the name columns p is searched in, with their given-name column
	if p.kana {
		columns = append(columns, "name_kana", "given_kana")
	}
	if p.kanji {
		columns = append(columns, "name_kanji", "given_kanji")
	}
	if utf8.RuneCountInString(p.text) < 3 {
		// Too short for a trigram: the start of the family or given name.
		for i := 0; i < len(columns); i += 2 {
			b.prefix(columns[i], p.text)
			b.prefix(columns[i+1], p.text)
		}
		return
	}
	if b.engine == store.SQLite {
		// FTS5's trigram index finds p anywhere, spaces included.
		match := `"` + strings.ReplaceAll(p.text, `"`, `""`) + `"`
		switch {
		case p.kana && p.kanji:
			match = "{name_kana name_kanji} : " + match
		case p.kana:
			match = "name_kana : " + match
		default:
			match = "name_kanji : " + match
		}
		b.branch(`resident_names JOIN resident_search_ids AS i ON i.id = resident_names.rowid
			JOIN residents AS r ON r.tenant_code = i.tenant_code AND r.code = i.code`,
			"i.tenant_code = $1 AND resident_names MATCH "+b.arg(match), "")
		return
	}
	// The postings of p's first and last trigram, in code order, each
	// leading to its resident by the primary key (a lateral subquery, so
	// that the planner walks the postings and stops at the limit), whose
	// names are then re-checked.
	like := "%" + likeEscaper.Replace(p.text) + "%"
	grams := driving(p.text)
	postings := "SELECT DISTINCT g.code FROM resident_grams AS g"
	where := "g.tenant_code = $1 AND g.gram = " + b.arg(grams[0])
	if len(grams) > 1 {
		postings += " JOIN resident_grams AS g2 ON g2.tenant_code = g.tenant_code AND g2.code = g.code AND g2.gram = " + b.arg(grams[1])
	}
	var recheck []string
	for i := 0; i < len(columns); i += 2 {
		recheck = append(recheck, "r."+columns[i]+` LIKE `+b.arg(like)+` ESCAPE '\'`)
	}
	b.branch("("+postings+" WHERE "+where+" ORDER BY g.code OFFSET 0) AS m"+
		" CROSS JOIN LATERAL (SELECT * FROM residents AS r WHERE r.tenant_code = $1 AND r.code = m.code LIMIT 1) AS r",
		"("+strings.Join(recheck, " OR ")+")", "")
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// driving returns the trigrams whose postings a PostgreSQL search for p
// (three characters or more) reads: its first and its last, which
// together narrow the most (a family name's start and a given name's end).
func driving(p string) []string {
	rs := []rune(p)
	first, last := string(rs[:3]), string(rs[len(rs)-3:])
	if first == last {
		return []string{first}
	}
	return []string{first, last}
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

// branchScanner scans the branch number before a resident's columns.
type branchScanner struct {
	row    store.Scanner
	branch *int
}

func (s branchScanner) Scan(dest ...any) error {
	return s.row.Scan(append([]any{s.branch}, dest...)...)
}
