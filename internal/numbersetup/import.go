package numbersetup

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/linkage"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/vault"
)

// ImportRequest is one registry file to set numbers from.
type ImportRequest struct {
	Tenant   string
	Business string // a business's Name
	FileName string
	// Open opens the file; it is read twice — checked whole, then matched —
	// and the second read must give the same bytes (by SHA-256).
	Open func() (io.ReadCloser, error)
	// Maker is the staff member who imports (the setup records them): the
	// exact matches are filed for confirmation in their name, and no
	// confirmation of the setup is theirs.
	Maker identity.User
	// Progress, when set, is told how many bytes each pass has read
	// ("check", then "match").
	Progress func(pass string, done int64)
}

// Setup is one imported registry file and what its rows became.
type Setup struct {
	ID         int64          `json:"id"`
	Tenant     string         `json:"tenant"`
	Business   string         `json:"business"`
	FileName   string         `json:"file_name"`
	SHA256     string         `json:"sha256"`
	Rows       int            `json:"rows"`
	Counts     map[string]int `json:"counts"` // rows by outcome
	Status     string         `json:"status"` // open, closed
	ImportedBy string         `json:"imported_by"`
	ImportedAt time.Time      `json:"imported_at"`
	ClosedBy   string         `json:"closed_by,omitempty"`
	ClosedAt   *time.Time     `json:"closed_at,omitempty"`
	Destroyed  int            `json:"destroyed"` // candidates deleted, sealed numbers with them, at the close
	// Change is the maker–checker change that holds the exact matches
	// for confirmation (0 when there were none).
	Change int64 `json:"change,omitempty"`
}

var (
	reasonOtherMunicipality = errs.Message{JA: "この市区町村の行ではありません", EN: "is not this municipality's"}
	reasonCreatedFuture     = errs.Message{JA: "作成年月日が未来の日付です", EN: "the file is dated in the future"}
	reasonBornAfterCreated  = errs.Message{JA: "生年月日が作成年月日より後です", EN: "the date of birth is after the file was made"}
	errFileChanged          = errs.Tell(errs.Conflict, errs.Message{
		JA: "ファイルが検査の後に変わりました。何も取り込んでいません。もう一度取り込んでください。",
		EN: "The file changed after it was checked; nothing was stored. Import it again.",
	}, "the file changed between the check and the match")
)

func errNoBusiness(name string) error {
	return &errs.FieldErrors{List: []errs.FieldError{{Field: "business", Reason: errs.Message{
		JA: "業務「" + name + "」は個人番号の設定に対応していません（pubmed・nhi のいずれか）",
		EN: "business " + name + " does not take a My Number setup (pubmed or nhi)",
	}}}}
}

func setupSubject(id int64) audit.Subject {
	return audit.Subject{Type: "numbersetup", ID: strconv.FormatInt(id, 10)}
}

func candidateBinding(tenant string, setup int64, line int) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "numbersetup_candidates", Column: "mynumber", Row: strconv.FormatInt(setup, 10) + ":" + strconv.Itoa(line)}
}

// Import checks a registry file whole with the linkage engine — every row
// against the layout (check digits included), then the municipality: the
// header's and every row's municipality code must be tenant's — and, only
// when nothing is wrong, matches every row against the business's people
// without a number into the candidate work table, in one transaction; the
// exact matches are then filed for a checker's confirmation in the
// maker's name. A file with any problem is rejected whole with its report
// (line, field, reason; never a field's content) and nothing is stored.
func (s *Service) Import(ctx context.Context, req ImportRequest) (Setup, *linkage.Report, error) {
	ctx = store.WithScope(ctx, req.Tenant)
	const action = "numbersetup.import"
	subject := audit.Subject{Type: "numbersetup", ID: req.Business}
	b := s.businesses[req.Business]
	if b == nil {
		return Setup{}, nil, audit.Refused(ctx, s.db, req.Tenant, action, subject, errNoBusiness(req.Business))
	}
	l, err := linkage.Lookup(LayoutName, 0)
	if err != nil {
		return Setup{}, nil, err
	}
	rep, err := s.check(req, l)
	if err != nil {
		return Setup{}, nil, err
	}
	if !rep.OK() {
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: req.Tenant, Action: action, Subject: subject, Outcome: audit.Failed,
			Detail: "outcome=rejected problems=" + strconv.Itoa(rep.Total) + " rows=" + strconv.Itoa(rep.Records) + " sha256=" + rep.SHA256}); aerr != nil {
			return Setup{}, rep, aerr
		}
		return Setup{}, rep, rep.Err()
	}
	m, err := s.matcher(ctx, b, req.Tenant)
	if err != nil {
		return Setup{}, rep, err
	}
	// The municipality's keys are read now, not from the sealing goroutine
	// while the transaction holds the database.
	if _, err := s.vault.BlindIndex(ctx, req.Tenant, "numbersetup", nil); err != nil {
		return Setup{}, rep, err
	}
	st := Setup{Tenant: req.Tenant, Business: b.Name(), FileName: req.FileName, SHA256: rep.SHA256, Rows: rep.Records, Status: "open",
		ImportedBy: req.Maker.LoginID, ImportedAt: s.now().UTC(), Counts: map[string]int{}}
	if st.ImportedBy == "" {
		st.ImportedBy = actorOf(ctx)
	}
	err = s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO numbersetup_setups (tenant_code, business, file_name, sha256, rows_read, status, imported_by, imported_at)
			VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id`, st.Tenant, st.Business, st.FileName, st.SHA256, st.Rows, st.ImportedBy, st.ImportedAt).Scan(&st.ID); err != nil {
			return err
		}
		rc, err := req.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := s.write(ctx, tx, &st, l, m, counted(rc, req.Progress, "match")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE numbersetup_setups SET exact = $1, no_match = $2, multiple = $3, one_diff = $4, held = $5 WHERE id = $6 AND tenant_code = $7`,
			st.Counts[Exact], st.Counts[NoMatch], st.Counts[Multiple], st.Counts[OneDiff], st.Counts[Held], st.ID, st.Tenant); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: st.Tenant, Action: action, Subject: setupSubject(st.ID), Outcome: audit.OK,
			Detail: "business=" + st.Business + " rows=" + strconv.Itoa(st.Rows) + countsDetail(st.Counts) + " sha256=" + st.SHA256})
	})
	if err != nil {
		return Setup{}, rep, err
	}
	if st.Counts[Exact] > 0 {
		payload, _ := json.Marshal(confirmPayload{Setup: st.ID, Exact: true})
		c, err := s.reviews.Submit(ctx, req.Maker, st.Tenant, review.Proposal{Kind: KindConfirm, Subject: setupSubject(st.ID),
			Summary: fmt.Sprintf("個人番号の設定（%s）: 第%d号 完全一致 %d件 (%s)", b.Title().JA, st.ID, st.Counts[Exact], st.FileName), Payload: payload})
		if err != nil {
			// Not filed: the exact matches go on the work list, to be
			// resolved one by one.
			if rerr := s.db.TransactIn(ctx, st.Tenant, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET status = 'open' WHERE tenant_code = $1 AND setup_id = $2 AND status = 'submitted'`, st.Tenant, st.ID)
				return err
			}); rerr != nil {
				return st, rep, rerr
			}
			return st, rep, err
		}
		st.Change = c.ID
		err = s.db.TransactIn(ctx, st.Tenant, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE numbersetup_setups SET change_id = $1 WHERE tenant_code = $2 AND id = $3`, c.ID, st.Tenant, st.ID)
			return err
		})
		if err != nil {
			return st, rep, err
		}
	}
	return st, rep, nil
}

// statusOf is where a row of outcome starts: an exact match waits for the
// confirmation filed at the end of the import, the rest on the work list.
func statusOf(outcome string) string {
	if outcome == Exact {
		return Submitted
	}
	return Open
}

func countsDetail(c map[string]int) string {
	var b strings.Builder
	for _, o := range Outcomes {
		b.WriteString(" " + o + "=" + strconv.Itoa(c[o]))
	}
	return b.String()
}

// check reads the file once: the layout's checks, then the municipality's.
func (s *Service) check(req ImportRequest, l *linkage.Layout) (*linkage.Report, error) {
	rc, err := req.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var extra []linkage.Problem
	more := 0
	today := s.now()
	var created time.Time
	add := func(r *linkage.Record, field string, why errs.Message) {
		if len(extra) < 1000 {
			extra = append(extra, linkage.Problem{Line: r.Line, Record: r.Def.Name, Field: field, Reason: why})
		} else {
			more++
		}
	}
	rep, err := linkage.Parse(counted(rc, req.Progress, "check"), l, linkage.Options{MaxBytes: s.maxBytes}, func(r *linkage.Record) error {
		switch r.Def.Role {
		case linkage.Header:
			if r.Get("municipality").Text != req.Tenant {
				add(r, "municipality", reasonOtherMunicipality)
			}
			created = r.Get("created").Date
			if created.After(today) {
				add(r, "created", reasonCreatedFuture)
			}
		case linkage.Data:
			if r.Get("municipality").Text != req.Tenant {
				add(r, "municipality", reasonOtherMunicipality)
			}
			if !created.IsZero() && r.Get("birth").Date.After(created) {
				add(r, "birth", reasonBornAfterCreated)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Problems = append(rep.Problems, extra...)
	rep.Total += len(extra) + more
	slices.SortStableFunc(rep.Problems, func(a, b linkage.Problem) int { return a.Line - b.Line })
	if len(rep.Problems) > 1000 {
		rep.Problems = rep.Problems[:1000]
	}
	return rep, nil
}

var candidateColumns = []string{"tenant_code", "setup_id", "line", "file_code", "name", "name_kana", "birth_date", "sex", "address",
	"mynumber_sealed", "mynumber_bidx", "mynumber_key_version", "outcome", "diff_item", "person_code", "status", "note"}

// write parses the file again and writes each data row as a candidate
// with its outcome, sealed, in batches handed from the parsing goroutine
// to the transaction's bulk path.
func (s *Service) write(ctx context.Context, tx *store.Tx, st *Setup, l *linkage.Layout, m *matcher, r io.Reader) error {
	e := tx.Engine()
	seen := map[string]int{} // blind index → line, for a number given twice in the file
	f := linkage.Checked{R: r, Layout: l, Options: linkage.Options{MaxBytes: s.maxBytes}, SHA256: st.SHA256, Changed: errFileChanged}
	_, err := linkage.CopyRecords(ctx, tx, "numbersetup_candidates", candidateColumns, f, func(rec *linkage.Record) ([]any, error) {
		sn, err := s.vault.SealNumber(ctx, candidateBinding(st.Tenant, st.ID, rec.Line), rec.Get("mynumber").Number)
		if err != nil {
			return nil, err
		}
		p := Person{Name: rec.Get("name").Text, Birth: rec.Get("birth").Date, Sex: rec.Get("sex").Text, Address: rec.Get("address").Text}
		var res match
		switch {
		case m.held[string(sn.Index)]:
			res = match{outcome: Held, note: "held_by_resident"}
		case seen[string(sn.Index)] != 0:
			res = match{outcome: Held, note: "repeated_in_file line=" + strconv.Itoa(seen[string(sn.Index)])}
		default:
			res = m.match(p)
		}
		if seen[string(sn.Index)] == 0 {
			seen[string(sn.Index)] = rec.Line
		}
		st.Counts[res.outcome]++
		return []any{st.Tenant, st.ID, rec.Line, rec.Get("resident_code").Text, p.Name, rec.Get("name_kana").Text,
			store.DateArg(e, p.Birth), p.Sex, p.Address, sn.Sealed, sn.Index, sn.KeyVersion, res.outcome, res.item, res.person, statusOf(res.outcome), res.note}, nil
	})
	return err
}

// The four items, by the name a one-item difference reports.
var items = [4]string{"name", "birth_date", "sex", "address"}

// matcher holds a business's people without a number as hashes of the
// basic four items: one key of all four, and four keys of three (each
// leaving one item out), so that a row finds its exact match and the
// people who differ from it in one item by lookups alone. It holds the
// people, never the file: memory follows the people, not the file's size.
type matcher struct {
	seed  maphash.Seed
	codes []string
	exact map[uint64]int32 // person index, or -1 when two people or more share the key
	three map[uint64]int32
	held  map[string]bool // blind indexes of the numbers residents of the municipality hold
}

type match struct {
	outcome, item, person, note string
}

// normalize makes the items comparable as the registry and the resident
// record write them: NFKC (full- and half-width alike) without spaces.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	return strings.Join(strings.Fields(s), "")
}

func (m *matcher) keys(p Person) (all uint64, three [4]uint64) {
	v := [4]string{normalize(p.Name), p.Birth.Format(time.DateOnly), p.Sex, normalize(p.Address)}
	var h maphash.Hash
	h.SetSeed(m.seed)
	for i := range v {
		h.WriteString(v[i])
		h.WriteByte(0)
	}
	all = h.Sum64()
	for skip := range 4 {
		h.Reset()
		h.WriteByte(byte('0' + skip))
		for i := range v {
			if i != skip {
				h.WriteString(v[i])
			}
			h.WriteByte(0)
		}
		three[skip] = h.Sum64()
	}
	return all, three
}

func put(m map[uint64]int32, k uint64, i int32) {
	if j, ok := m[k]; ok && j != i {
		m[k] = -1
		return
	}
	m[k] = i
}

func (s *Service) matcher(ctx context.Context, b Business, tenant string) (*matcher, error) {
	m := &matcher{seed: maphash.MakeSeed(), exact: map[uint64]int32{}, three: map[uint64]int32{}, held: map[string]bool{}}
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		if err := b.People(ctx, q, tenant, func(p Person) error {
			i := int32(len(m.codes))
			m.codes = append(m.codes, p.Code)
			all, three := m.keys(p)
			put(m.exact, all, i)
			for _, k := range three {
				put(m.three, k, i)
			}
			return nil
		}); err != nil {
			return err
		}
		return store.Each(func(row store.Scanner) error {
			var idx []byte
			if err := row.Scan(&idx); err != nil {
				return err
			}
			m.held[string(idx)] = true
			return nil
		})(q.Query(ctx, `SELECT mynumber_bidx FROM residents WHERE tenant_code = $1 AND mynumber_bidx IS NOT NULL`, tenant))
	})
	return m, err
}

// match finds p's outcome: one person with all four items equal is exact;
// two or more are multiple; otherwise one person with three of them equal
// is one_diff (naming the item that differs), more than one multiple, and
// nobody no_match.
func (m *matcher) match(p Person) match {
	all, three := m.keys(p)
	if i, ok := m.exact[all]; ok {
		if i < 0 {
			return match{outcome: Multiple, note: "four_items"}
		}
		return match{outcome: Exact, person: m.codes[i]}
	}
	found, item := int32(-2), ""
	for skip, k := range three {
		i, ok := m.three[k]
		if !ok {
			continue
		}
		if i < 0 || found >= 0 && found != i {
			return match{outcome: Multiple, note: "three_items"}
		}
		found, item = i, items[skip]
	}
	if found >= 0 {
		return match{outcome: OneDiff, item: item, person: m.codes[found]}
	}
	return match{outcome: NoMatch}
}

// counted tells progress how many bytes r has given.
func counted(r io.Reader, progress func(string, int64), pass string) io.Reader {
	if progress == nil {
		return r
	}
	return &progressReader{r: r, fn: progress, pass: pass}
}

type progressReader struct {
	r    io.Reader
	fn   func(string, int64)
	pass string
	n    int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.fn(p.pass, p.n)
	return n, err
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}
