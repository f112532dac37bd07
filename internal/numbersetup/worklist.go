package numbersetup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/review"
	"bango/internal/store"
)

// Candidate is one row of a setup's work table as staff see it: the
// registry's items and what matching found, the number only as a mask.
type Candidate struct {
	Setup      int64     `json:"setup"`
	Line       int       `json:"line"`
	FileCode   string    `json:"file_code"`
	Name       string    `json:"name"`
	NameKana   string    `json:"name_kana"`
	Birth      time.Time `json:"birth_date"`
	Sex        string    `json:"sex"`
	Address    string    `json:"address"`
	MyNumber   string    `json:"mynumber"` // the mask, while the sealed number is kept; "" once it is gone
	Outcome    string    `json:"outcome"`
	DiffItem   string    `json:"diff_item,omitempty"`
	PersonCode string    `json:"person_code,omitempty"`
	Status     string    `json:"status"`
	Change     int64     `json:"change,omitempty"`
	Note       string    `json:"note,omitempty"`
	DecidedBy  string    `json:"decided_by,omitempty"`
}

const selectSetup = `SELECT id, tenant_code, business, file_name, sha256, rows_read, exact, no_match, multiple, one_diff, held, status,
	imported_by, imported_at, closed_by, closed_at, destroyed, change_id FROM numbersetup_setups`

func scanSetup(row store.Scanner) (Setup, error) {
	var st Setup
	var ex, nm, mu, od, he int
	var closed *time.Time
	var change *int64
	err := row.Scan(&st.ID, &st.Tenant, &st.Business, &st.FileName, &st.SHA256, &st.Rows, &ex, &nm, &mu, &od, &he, &st.Status,
		&st.ImportedBy, &st.ImportedAt, &st.ClosedBy, &closed, &st.Destroyed, &change)
	if change != nil {
		st.Change = *change
	}
	st.Counts = map[string]int{Exact: ex, NoMatch: nm, Multiple: mu, OneDiff: od, Held: he}
	if closed != nil {
		t := closed.UTC()
		st.ClosedAt = &t
	}
	st.ImportedAt = st.ImportedAt.UTC()
	return st, err
}

// forUpdate locks the setup's row read, on PostgreSQL, for the rest of
// the transaction. Every change of a setup's blocks and rows — resolve,
// discard, confirmation, return, close — takes it first: at read committed
// two of them could otherwise read the same block and each write it back
// without what the other took out (a discarded number sealed again in its
// block), or a resolve could write a row into a setup closed meanwhile.
// SQLite's transactions take the one writer's turn at BEGIN already.
func forUpdate(tx *store.Tx) string {
	if tx.Engine() == store.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}

// lockSetup takes the setup's row lock (forUpdate) on its own.
func lockSetup(ctx context.Context, tx *store.Tx, tenant string, setup int64) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT 1 FROM numbersetup_setups WHERE tenant_code = $1 AND id = $2 FOR UPDATE`, tenant, setup)
	return err
}

const selectCandidate = `SELECT setup_id, line, file_code, name, name_kana, birth_date, sex, address, mynumber_sealed IS NOT NULL, outcome,
	diff_item, person_code, status, change_id, note, decided_by FROM numbersetup_candidates`

func scanCandidate(row store.Scanner) (Candidate, error) {
	var c Candidate
	var sealed bool
	var change *int64
	err := row.Scan(&c.Setup, &c.Line, &c.FileCode, &c.Name, &c.NameKana, &c.Birth, &c.Sex, &c.Address, &sealed, &c.Outcome,
		&c.DiffItem, &c.PersonCode, &c.Status, &change, &c.Note, &c.DecidedBy)
	c.Birth = c.Birth.UTC()
	if sealed {
		c.MyNumber = "************"
	}
	if change != nil {
		c.Change = *change
	}
	return c, err
}

// Setups lists tenant's setups, newest first.
func (s *Service) Setups(ctx context.Context, tenant string) ([]Setup, error) {
	ctx = store.WithScope(ctx, tenant)
	var out []Setup
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(scanSetup)(q.Query(ctx, selectSetup+` WHERE tenant_code = $1 ORDER BY id DESC LIMIT 200`, tenant))
		return err
	})
	return out, err
}

// Setup returns one setup of tenant.
func (s *Service) Setup(ctx context.Context, tenant string, id int64) (Setup, error) {
	ctx = store.WithScope(ctx, tenant)
	if err := s.returnRejected(ctx, tenant, id); err != nil {
		return Setup{}, err
	}
	var st Setup
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		st, err = scanSetup(q.QueryRow(ctx, selectSetup+` WHERE tenant_code = $1 AND id = $2`, tenant, id))
		return store.ScanErr(err, "setup "+strconv.FormatInt(id, 10))
	})
	return st, err
}

// returnRejected puts back on the work list the rows of an open setup
// whose confirmation a checker rejected (or its maker withdrew): the
// exact matches filed at the import, and each row staff resolved. They
// are open again, with the change's number and the checker's reason in
// the note, for staff to resolve again or discard; the setup no longer
// names a change for its exact matches. The setup's screens and the work
// list call it first, so a rejection shows at once. Audited as
// numbersetup.return with the change and the rows returned.
func (s *Service) returnRejected(ctx context.Context, tenant string, setup int64) error {
	var st Setup
	var ids []int64
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		st, err = scanSetup(q.QueryRow(ctx, selectSetup+` WHERE tenant_code = $1 AND id = $2`, tenant, setup))
		if err != nil || st.Status != "open" {
			return store.ScanErr(err, "setup "+strconv.FormatInt(setup, 10))
		}
		ids, err = store.Rows(func(r store.Scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})(q.Query(ctx, `SELECT DISTINCT change_id FROM numbersetup_candidates
			WHERE tenant_code = $1 AND setup_id = $2 AND change_id IS NOT NULL AND status = 'submitted'`, tenant, setup))
		return err
	})
	if err != nil || st.Status != "open" {
		return err
	}
	type back struct {
		id             int64
		exact          bool
		status, reason string
	}
	var backs []back
	check := func(id int64, exact bool) error {
		c, err := s.reviews.Get(ctx, tenant, id)
		if err != nil {
			return err
		}
		if c.Status == review.Rejected || c.Status == review.Withdrawn {
			backs = append(backs, back{id: id, exact: exact, status: c.Status, reason: c.Reason})
		}
		return nil
	}
	if st.Change != 0 {
		if err := check(st.Change, true); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if err := check(id, false); err != nil {
			return err
		}
	}
	if len(backs) == 0 {
		return nil
	}
	return s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		for _, b := range backs {
			if err := returnChange(ctx, tx, tenant, setup, b.id, b.exact, b.status, b.reason); err != nil {
				return err
			}
		}
		return nil
	})
}

// returnChange puts the rows of change id of setup back on the work list
// (exact: the setup's exact matches, its blocks and any of their rows),
// with the change's number and the checker's reason in the note, and
// records numbersetup.return; nothing when they are back already.
func returnChange(ctx context.Context, tx *store.Tx, tenant string, setup, id int64, exact bool, status, reason string) error {
	if err := lockSetup(ctx, tx, tenant, setup); err != nil {
		return err
	}
	how := "差戻し"
	if status == review.Withdrawn {
		how = "入力者が取下げ"
	}
	note := how + "（変更" + strconv.FormatInt(id, 10) + "）"
	if reason != "" { // a withdrawal's reason may be left out
		note += ": " + reason
	}
	var n int64
	if exact {
		// Only while the setup still names the change: another view may
		// have returned the rows meanwhile.
		res, err := tx.Exec(ctx, `UPDATE numbersetup_setups SET change_id = NULL WHERE tenant_code = $1 AND id = $2 AND change_id = $3 AND status = 'open'`,
			tenant, setup, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		var inBlocks sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT SUM(entries) FROM numbersetup_blocks WHERE tenant_code = $1 AND setup_id = $2 AND status = 'submitted'`,
			tenant, setup).Scan(&inBlocks); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE numbersetup_blocks SET status = 'open', note = $1 WHERE tenant_code = $2 AND setup_id = $3 AND status = 'submitted'`,
			note, tenant, setup); err != nil {
			return err
		}
		res, err = tx.Exec(ctx, `UPDATE numbersetup_candidates SET status = 'open', note = $1
			WHERE tenant_code = $2 AND setup_id = $3 AND status = 'submitted' AND outcome = 'exact' AND change_id IS NULL`, note, tenant, setup)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		n += inBlocks.Int64
	} else {
		res, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET status = 'open', note = $1, change_id = NULL, decided_by = ''
			WHERE tenant_code = $2 AND setup_id = $3 AND status = 'submitted' AND change_id = $4`, note, tenant, setup, id)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
	}
	if n == 0 {
		return nil
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "numbersetup.return", Subject: setupSubject(setup), Outcome: audit.OK,
		Detail: "change=" + strconv.FormatInt(id, 10) + " exact=" + strconv.FormatBool(exact) + " rows=" + strconv.FormatInt(n, 10)})
}

// Returned is the review engine's word that change id of tenant, a
// KindConfirm change, was rejected (inside the rejecting transaction):
// its rows go back on the work list at once, as returnChange says.
func (s *Service) Returned(ctx context.Context, tx *store.Tx, tenant string, id int64, status, reason string) error {
	type named struct {
		setup int64
		exact int
	}
	setups, err := store.Rows(func(r store.Scanner) (named, error) {
		var n named
		return n, r.Scan(&n.setup, &n.exact)
	})(tx.Query(ctx, `SELECT id, CASE WHEN change_id = $2 THEN 1 ELSE 0 END FROM numbersetup_setups WHERE tenant_code = $1 AND status = 'open'
		AND (change_id = $2 OR id IN (SELECT setup_id FROM numbersetup_candidates WHERE tenant_code = $1 AND change_id = $2 AND status = 'submitted'))`, tenant, id))
	if err != nil {
		return err
	}
	for _, n := range setups {
		if err := returnChange(ctx, tx, tenant, n.setup, id, n.exact == 1, status, reason); err != nil {
			return err
		}
	}
	return nil
}

// ListRequest picks candidates of a setup.
type ListRequest struct {
	Setup int64
	// WorkList: the rows staff must resolve or discard (status open);
	// otherwise every row.
	WorkList bool
	After    int // the last line of the page before
	Limit    int
}

// Candidates lists a setup's candidates by line, a page at a time; the
// listing is audited, for it shows personal data of the registry.
func (s *Service) Candidates(ctx context.Context, tenant string, req ListRequest) (store.Page[Candidate], error) {
	ctx = store.WithScope(ctx, tenant)
	if err := s.returnRejected(ctx, tenant, req.Setup); err != nil {
		return store.Page[Candidate]{}, err
	}
	limit := store.Limit(req.Limit)
	var rows []Candidate
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) (err error) {
		if rows, err = listCandidates(ctx, tx, tenant, req, limit+1); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "numbersetup.list", Subject: setupSubject(req.Setup), Outcome: audit.OK,
			Detail: "worklist=" + strconv.FormatBool(req.WorkList) + " after=" + strconv.Itoa(req.After) + " shown=" + strconv.Itoa(min(len(rows), limit))})
	})
	if err != nil {
		return store.Page[Candidate]{}, err
	}
	p := store.Page[Candidate]{Items: rows}
	if p.Items == nil {
		p.Items = []Candidate{}
	}
	if len(p.Items) > limit {
		p.Items, p.More = p.Items[:limit], true
		p.Next = strconv.Itoa(p.Items[limit-1].Line)
	}
	return p, nil
}

// listCandidates reads up to n candidates of req's setup after line
// req.After by line: the work table's rows and the blocks' entries
// merged. The blocks are read in the order of their first lines (a
// block of exact matches and one of the work list may span the same
// lines), until the next one starts after the n-th line found.
func listCandidates(ctx context.Context, tx *store.Tx, tenant string, req ListRequest, n int) ([]Candidate, error) {
	q := selectCandidate + ` WHERE tenant_code = $1 AND setup_id = $2 AND line > $3`
	bq := `SELECT block, first_line FROM numbersetup_blocks WHERE tenant_code = $1 AND setup_id = $2 AND last_line > $3`
	if req.WorkList {
		q += ` AND status = 'open'`
		bq += ` AND status = 'open'`
	}
	rows, err := store.Rows(scanCandidate)(tx.Query(ctx, q+` ORDER BY line LIMIT `+strconv.Itoa(n), tenant, req.Setup, req.After))
	if err != nil {
		return nil, err
	}
	type span struct{ id, first int }
	spans, err := store.Rows(func(r store.Scanner) (span, error) {
		var s span
		return s, r.Scan(&s.id, &s.first)
	})(tx.Query(ctx, bq+` ORDER BY first_line, block`, tenant, req.Setup, req.After))
	if err != nil {
		return nil, err
	}
	var entries []Candidate
	for _, sp := range spans {
		if len(entries) >= n {
			slices.SortFunc(entries, func(a, b Candidate) int { return a.Line - b.Line })
			entries = entries[:n]
			if sp.first > entries[n-1].Line {
				break
			}
		}
		b, err := scanBlock(tx.QueryRow(ctx, selectBlock+` WHERE tenant_code = $1 AND setup_id = $2 AND block = $3`, tenant, req.Setup, sp.id))
		if err != nil {
			return nil, err
		}
		for j := range b.entries {
			if b.entries[j].line > req.After {
				entries = append(entries, b.candidate(req.Setup, j))
			}
		}
	}
	slices.SortFunc(entries, func(a, b Candidate) int { return a.Line - b.Line })
	out := make([]Candidate, 0, min(n, len(rows)+len(entries)))
	for len(out) < n && (len(rows) > 0 || len(entries) > 0) {
		if len(entries) == 0 || len(rows) > 0 && rows[0].Line < entries[0].Line {
			out, rows = append(out, rows[0]), rows[1:]
		} else {
			out, entries = append(out, entries[0]), entries[1:]
		}
	}
	return out, nil
}

// confirmPayload is what a KindConfirm change carries: the setup and
// either its exact matches or the lines staff resolved.
type confirmPayload struct {
	Setup int64 `json:"setup"`
	Exact bool  `json:"exact,omitempty"`
	Lines []int `json:"lines,omitempty"`
}

var (
	errClosed = errs.Tell(errs.Conflict, errs.Message{
		JA: "この個人番号設定は終了しています。候補者と封印した個人番号は削除済みです。",
		EN: "This setup is closed: its candidates and their sealed numbers are deleted.",
	}, "the setup is closed")
	errNotOpen = errs.Tell(errs.Conflict, errs.Message{
		JA: "この候補者は作業リストにありません（確認待ち・設定済み・破棄済みのいずれかです）。",
		EN: "This candidate is not on the work list: it waits for confirmation, is applied or was discarded.",
	}, "the candidate is not open")
	errHeldResolve = &errs.FieldErrors{Kind: errs.Conflict, List: []errs.FieldError{{Field: "person", Reason: errs.Message{
		JA: "この個人番号は別の方に登録済みです。ほかの方には設定できません。証拠を確かめて破棄してください",
		EN: "this number is already registered to another person and cannot be given to someone else; check and discard it",
	}}}}
	errNotPerson = &errs.FieldErrors{List: []errs.FieldError{{Field: "person", Reason: errs.Message{
		JA: "この業務の対象者で個人番号が未登録の宛名番号を指定してください",
		EN: "name a person of this business who has no My Number yet",
	}}}}
	errSameAsImporter = errs.Tell(errs.Forbidden, errs.Message{
		JA: "ファイルを取り込んだ職員は、その個人番号設定を確認できません。別の職員が確認してください。",
		EN: "The staff member who imported the file cannot confirm its setup: another person confirms.",
	}, "the importer cannot confirm the setup")
)

func reasonNote(note string) errs.Message {
	return errs.Message{JA: "理由は200文字以内です", EN: "the reason is at most 200 characters"}
}

// openCandidate reads an open setup's candidate for an update. An entry
// of a block back on the work list (its confirmation rejected) first
// moves out of its block into a row of its own.
func (s *Service) openCandidate(ctx context.Context, tx *store.Tx, tenant string, setup int64, line int) (Setup, Candidate, error) {
	st, err := scanSetup(tx.QueryRow(ctx, selectSetup+` WHERE tenant_code = $1 AND id = $2`+forUpdate(tx), tenant, setup))
	if err != nil {
		return st, Candidate{}, store.ScanErr(err, "setup "+strconv.FormatInt(setup, 10))
	}
	if st.Status != "open" {
		return st, Candidate{}, errClosed
	}
	read := func() (Candidate, error) {
		return scanCandidate(tx.QueryRow(ctx, selectCandidate+` WHERE tenant_code = $1 AND setup_id = $2 AND line = $3`, tenant, setup, line))
	}
	c, err := read()
	if errors.Is(err, sql.ErrNoRows) {
		bs, berr := blocksAt(ctx, tx, tenant, setup, line)
		if berr != nil {
			return st, c, berr
		}
		for _, b := range bs {
			i := b.find(line)
			if i < 0 {
				continue
			}
			if b.status != Open {
				return st, b.candidate(setup, i), errNotOpen
			}
			if _, err := s.takeOut(ctx, tx, tenant, setup, []int{line}, func(b *block, e *entry) moved {
				return moved{outcome: e.outcome, item: e.item, status: Open, note: b.noteOf(e), decidedBy: b.decidedBy}
			}); err != nil {
				return st, c, err
			}
			c, err = read()
		}
	}
	if err != nil {
		return st, c, store.ScanErr(err, "candidate "+strconv.Itoa(line))
	}
	if c.Status != Open {
		return st, c, errNotOpen
	}
	return st, c, nil
}

// Resolve has the maker choose the person a work-list row's number
// belongs to — a person of the setup's business without a number — and
// files it for a checker's confirmation; nothing is registered until
// then. A number another person holds cannot be resolved, only discarded.
func (s *Service) Resolve(ctx context.Context, maker identity.User, tenant string, setup int64, line int, person string) (Candidate, error) {
	ctx = store.WithScope(ctx, tenant)
	// The municipality's keys are read now, not inside the transaction
	// (an entry of a block is sealed again there).
	if _, err := s.vault.BlindIndex(ctx, tenant, "numbersetup", nil); err != nil {
		return Candidate{}, err
	}
	const action = "numbersetup.resolve"
	subject := setupSubject(setup)
	person = strings.TrimSpace(person)
	var st Setup
	var c Candidate
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		var err error
		if st, c, err = s.openCandidate(ctx, tx, tenant, setup, line); err != nil {
			return err
		}
		if c.Outcome == Held {
			return errHeldResolve
		}
		b := s.businesses[st.Business]
		if b == nil {
			return errNoBusiness(st.Business)
		}
		ok, err := b.Holds(ctx, tx, tenant, person)
		if err != nil {
			return err
		}
		if person == "" || !ok {
			return errNotPerson
		}
		_, err = tx.Exec(ctx, `UPDATE numbersetup_candidates SET person_code = $1, status = 'submitted', decided_by = $2
			WHERE tenant_code = $3 AND setup_id = $4 AND line = $5 AND status = 'open'`, person, actorOf(ctx), tenant, setup, line)
		return err
	})
	if err != nil {
		return Candidate{}, audit.Refused(ctx, s.db, tenant, action, subject, err)
	}
	payload, _ := json.Marshal(confirmPayload{Setup: setup, Lines: []int{line}})
	ch, err := s.reviews.Submit(ctx, maker, tenant, review.Proposal{Kind: KindConfirm, Subject: audit.Subject{Type: "resident", ID: person},
		Summary: fmt.Sprintf("個人番号の設定: 宛名番号 %s（第%d号 %d行目・%s）", person, setup, line, outcomeWords[c.Outcome]), Payload: payload})
	if err != nil {
		if rerr := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET person_code = $1, status = 'open', decided_by = ''
				WHERE tenant_code = $2 AND setup_id = $3 AND line = $4 AND status = 'submitted'`, c.PersonCode, tenant, setup, line)
			return err
		}); rerr != nil {
			return Candidate{}, rerr
		}
		return Candidate{}, err
	}
	err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET change_id = $1 WHERE tenant_code = $2 AND setup_id = $3 AND line = $4`,
			ch.ID, tenant, setup, line); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "line=" + strconv.Itoa(line) + " outcome=" + c.Outcome + " person=" + person + " change=" + strconv.FormatInt(ch.ID, 10)})
	})
	c.PersonCode, c.Status, c.Change = person, Submitted, ch.ID
	return c, err
}

var outcomeWords = map[string]string{Exact: "完全一致", NoMatch: "該当なし", Multiple: "複数候補", OneDiff: "1項目相違", Held: "番号登録済み"}

// Discard takes a work-list row off the list with the reason, and
// destroys its sealed number.
func (s *Service) Discard(ctx context.Context, tenant string, setup int64, line int, reason string) error {
	ctx = store.WithScope(ctx, tenant)
	// The municipality's keys are read now, not inside the transaction
	// (an entry of a block is sealed again there).
	if _, err := s.vault.BlindIndex(ctx, tenant, "numbersetup", nil); err != nil {
		return err
	}
	const action = "numbersetup.discard"
	reason = strings.TrimSpace(reason)
	var fe errs.FieldErrors
	if reason == "" {
		fe.Add("reason", errs.Message{JA: "破棄の理由を入力してください", EN: "give the reason for discarding"})
	}
	if utf8.RuneCountInString(reason) > 200 {
		fe.Add("reason", reasonNote(reason))
	} else if mynumber.Holds(reason) {
		fe.Add("reason", mynumber.InFreeText)
	}
	err := fe.Err()
	if err == nil {
		err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			_, c, err := s.openCandidate(ctx, tx, tenant, setup, line)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET status = 'discarded', note = $1, decided_by = $2,
				mynumber_sealed = NULL, mynumber_bidx = NULL, mynumber_key_version = NULL
				WHERE tenant_code = $3 AND setup_id = $4 AND line = $5`, reason, actorOf(ctx), tenant, setup, line); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: setupSubject(setup), Outcome: audit.OK,
				Detail: "line=" + strconv.Itoa(line) + " outcome=" + c.Outcome + " sealed_destroyed=1"})
		})
	}
	if err != nil {
		return audit.Refused(ctx, s.db, tenant, action, setupSubject(setup), err)
	}
	return nil
}

// Close ends a setup: every candidate row is deleted, the sealed numbers
// with them, and the count destroyed is recorded on the setup and in the
// audit event. A change still waiting for confirmation then applies
// nothing (its checker rejects it).
func (s *Service) Close(ctx context.Context, tenant string, setup int64) (Setup, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "numbersetup.close"
	var st Setup
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		var err error
		st, err = scanSetup(tx.QueryRow(ctx, selectSetup+` WHERE tenant_code = $1 AND id = $2`+forUpdate(tx), tenant, setup))
		if err != nil {
			return store.ScanErr(err, "setup "+strconv.FormatInt(setup, 10))
		}
		if st.Status != "open" {
			return errClosed
		}
		var sealed, pending int
		if err := tx.QueryRow(ctx, `SELECT COUNT(mynumber_sealed), COUNT(CASE WHEN status = 'submitted' THEN 1 END) FROM numbersetup_candidates
			WHERE tenant_code = $1 AND setup_id = $2`, tenant, setup).Scan(&sealed, &pending); err != nil {
			return err
		}
		// The blocks' entries count as rows, each with its sealed number.
		var entries, bsealed, bpending sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT SUM(entries), SUM(CASE WHEN mynumber_sealed IS NOT NULL THEN entries END),
			SUM(CASE WHEN status = 'submitted' THEN entries END) FROM numbersetup_blocks
			WHERE tenant_code = $1 AND setup_id = $2`, tenant, setup).Scan(&entries, &bsealed, &bpending); err != nil {
			return err
		}
		sealed += int(bsealed.Int64)
		pending += int(bpending.Int64)
		if _, err := tx.Exec(ctx, `DELETE FROM numbersetup_blocks WHERE tenant_code = $1 AND setup_id = $2`, tenant, setup); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM numbersetup_candidates WHERE tenant_code = $1 AND setup_id = $2`, tenant, setup)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		n += entries.Int64
		now := s.now().UTC()
		st.Status, st.ClosedBy, st.ClosedAt, st.Destroyed = "closed", actorOf(ctx), &now, int(n)
		if _, err := tx.Exec(ctx, `UPDATE numbersetup_setups SET status = 'closed', closed_by = $1, closed_at = $2, destroyed = $3
			WHERE tenant_code = $4 AND id = $5`, st.ClosedBy, now, n, tenant, setup); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: setupSubject(setup), Outcome: audit.OK,
			Detail: "rows_deleted=" + strconv.FormatInt(n, 10) + " sealed_destroyed=" + strconv.Itoa(sealed) + " pending_dropped=" + strconv.Itoa(pending)})
	})
	if err != nil {
		return Setup{}, audit.Refused(ctx, s.db, tenant, action, setupSubject(setup), err)
	}
	return st, nil
}

// ApplyConfirmed applies a confirmed KindConfirm change inside the
// confirming transaction: each of its candidates' numbers is opened and
// registered for its person through the resident's own path (its checks,
// its mynumber.register event with the resident as subject), and the
// candidate's sealed copy destroyed. A candidate that can no longer be
// registered — the person got a number meanwhile, or someone now holds
// this one — is marked failed with the reason and goes back to nobody;
// the others are applied. The checker must not be the one who imported
// the file.
func (s *Service) ApplyConfirmed(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var p confirmPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "numbersetup: confirmation payload")
	}
	st, err := scanSetup(tx.QueryRow(ctx, selectSetup+` WHERE tenant_code = $1 AND id = $2`+forUpdate(tx), tenant, p.Setup))
	if err != nil {
		return store.ScanErr(err, "setup "+strconv.FormatInt(p.Setup, 10))
	}
	if st.Status != "open" {
		return errClosed
	}
	by := actorOf(ctx)
	if by == st.ImportedBy {
		return errSameAsImporter
	}
	applied, failed := 0, 0
	if p.Exact {
		for after := 0; ; {
			blocks, err := store.Rows(scanBlock)(tx.Query(ctx, selectBlock+` WHERE tenant_code = $1 AND setup_id = $2 AND status = 'submitted' AND block > $3
				ORDER BY block LIMIT 4`, tenant, p.Setup, after))
			if err != nil {
				return err
			}
			if len(blocks) == 0 {
				break
			}
			for i := range blocks {
				after = blocks[i].id
				a, f, err := s.applyBlock(ctx, tx, tenant, p.Setup, &blocks[i], by)
				if err != nil {
					return err
				}
				applied, failed = applied+a, failed+f
			}
		}
	}
	after := 0
	for {
		q := `SELECT line, person_code, mynumber_sealed FROM numbersetup_candidates WHERE tenant_code = $1 AND setup_id = $2 AND status = 'submitted' AND line > $3`
		args := []any{tenant, p.Setup, after}
		if p.Exact {
			q += ` AND outcome = 'exact'`
		} else {
			if len(p.Lines) == 0 {
				break
			}
			q += ` AND line IN (` + placeholders(4, len(p.Lines)) + `)`
			for _, l := range p.Lines {
				args = append(args, l)
			}
		}
		type row struct {
			line   int
			person string
			sealed []byte
		}
		rows, err := store.Rows(func(r store.Scanner) (row, error) {
			var x row
			return x, r.Scan(&x.line, &x.person, &x.sealed)
		})(tx.Query(ctx, q+` ORDER BY line LIMIT 500`, args...))
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			after = r.line
			n, err := s.vault.OpenNumber(ctx, candidateBinding(tenant, p.Setup, r.line), r.sealed)
			if err != nil {
				return err
			}
			status, note := Applied, ""
			err = s.residents.SetMyNumberConfirmed(ctx, tx, tenant, r.person, n,
				"via=numbersetup setup="+strconv.FormatInt(p.Setup, 10)+" line="+strconv.Itoa(r.line))
			switch {
			case errs.Is(err, errs.Conflict):
				status, note = Failed, failReason(err)
				failed++
			case err != nil:
				return err
			default:
				applied++
			}
			if _, err := tx.Exec(ctx, `UPDATE numbersetup_candidates SET status = $1, note = $2, decided_by = $3,
				mynumber_sealed = CASE WHEN $1 = 'applied' THEN NULL ELSE mynumber_sealed END,
				mynumber_bidx = CASE WHEN $1 = 'applied' THEN NULL ELSE mynumber_bidx END,
				mynumber_key_version = CASE WHEN $1 = 'applied' THEN NULL ELSE mynumber_key_version END
				WHERE tenant_code = $4 AND setup_id = $5 AND line = $6`, status, note, by, tenant, p.Setup, r.line); err != nil {
				return err
			}
		}
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "numbersetup.confirm", Subject: setupSubject(p.Setup), Outcome: audit.OK,
		Detail: "applied=" + strconv.Itoa(applied) + " failed=" + strconv.Itoa(failed) + " exact=" + strconv.FormatBool(p.Exact)})
}

// applyBlock registers each entry's number of block b for its person
// through the resident's own path; an entry that can no longer be
// registered moves out of the block as a failed row with the reason (its
// sealed number kept, as a failed row's is), and the block is then
// applied: its sealed numbers destroyed.
func (s *Service) applyBlock(ctx context.Context, tx *store.Tx, tenant string, setup int64, b *block, by string) (applied, failed int, err error) {
	nums, err := s.openNumbers(ctx, tenant, setup, b)
	if err != nil {
		return 0, 0, err
	}
	defer clear(nums)
	var lines []int
	reasons := map[int]string{}
	for i := range b.entries {
		e := &b.entries[i]
		// The four items are compared again with the person's record as it
		// is now (R-ACC-3): a record changed since the import (a move, a
		// corrected name) is no longer the match the checker confirmed, and
		// the match itself was made on keyed hashes of the items.
		same, err := sameItems(ctx, tx, tenant, e)
		if err != nil {
			return applied, failed, err
		}
		if !same {
			lines = append(lines, e.line)
			reasons[e.line] = "items_changed"
			failed++
			continue
		}
		err = s.residents.SetMyNumberConfirmed(ctx, tx, tenant, e.person, nums[i],
			"via=numbersetup setup="+strconv.FormatInt(setup, 10)+" line="+strconv.Itoa(e.line))
		switch {
		case errs.Is(err, errs.Conflict):
			lines = append(lines, e.line)
			reasons[e.line] = failReason(err)
			failed++
		case err != nil:
			return applied, failed, err
		default:
			applied++
		}
	}
	if len(lines) > 0 {
		if _, err := s.takeOut(ctx, tx, tenant, setup, lines, func(_ *block, e *entry) moved {
			return moved{outcome: Exact, status: Failed, note: reasons[e.line], decidedBy: by}
		}); err != nil {
			return applied, failed, err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE numbersetup_blocks SET status = 'applied', decided_by = $1, note = '', mynumber_sealed = NULL, mynumber_key_version = NULL
		WHERE tenant_code = $2 AND setup_id = $3 AND block = $4`, by, tenant, setup, b.id)
	return applied, failed, err
}

// sameItems reports whether e's person still has the basic four items e
// was matched by.
func sameItems(ctx context.Context, tx *store.Tx, tenant string, e *entry) (bool, error) {
	var p Person
	err := tx.QueryRow(ctx, `SELECT name_kanji, birth_date, sex, address FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, e.person).
		Scan(&p.Name, &p.Birth, &p.Sex, &p.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	y1, m1, d1 := p.Birth.UTC().Date()
	y2, m2, d2 := e.birth.Date()
	return normalize(p.Name) == normalize(e.name) && normalize(p.Address) == normalize(e.address) && p.Sex == e.sex &&
		y1 == y2 && m1 == m2 && d1 == d2, nil
}

func failReason(err error) string {
	for _, f := range errs.Fields(err) {
		if f.Field == "mynumber" {
			return "number_held_by_another"
		}
	}
	return "person_has_number"
}

func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}
