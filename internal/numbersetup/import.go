package numbersetup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
	// Open opens the file; it is read once, checked whole while its rows
	// are matched and written, and kept only when nothing is wrong.
	Open func() (io.ReadCloser, error)
	// Maker is the staff member who imports (the setup records them): the
	// exact matches are filed for confirmation in their name, and no
	// confirmation of the setup is theirs.
	Maker identity.User
	// Progress, when set, is told how many bytes the one pass ("import")
	// has read.
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

// Import reads a registry file once with the linkage engine, checking
// every row against the layout (check digits included) and the
// municipality — the header's and every row's municipality code must be
// tenant's — while it matches each good row against the business's people
// without a number and writes it, sealed, into the candidate work table,
// all in one transaction; the exact matches are then filed for a
// checker's confirmation in the maker's name. The whole file is checked
// before anything is kept: a file with any problem is rejected whole with
// its report (line, field, reason; never a field's content), the
// transaction rolled back, and nothing is stored.
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
	// The municipality's keys are read now, not from the sealing goroutines
	// while the transaction holds the database.
	if _, err := s.vault.BlindIndex(ctx, req.Tenant, "numbersetup", nil); err != nil {
		return Setup{}, nil, err
	}
	st := Setup{Tenant: req.Tenant, Business: b.Name(), FileName: req.FileName, Status: "open",
		ImportedBy: req.Maker.LoginID, ImportedAt: s.now().UTC(), Counts: map[string]int{}}
	if st.ImportedBy == "" {
		st.ImportedBy = actorOf(ctx)
	}
	var rep *linkage.Report
	err = s.db.TransactOnce(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO numbersetup_setups (tenant_code, business, file_name, sha256, rows_read, status, imported_by, imported_at)
			VALUES ($1, $2, $3, '', 0, 'open', $4, $5) RETURNING id`, st.Tenant, st.Business, st.FileName, st.ImportedBy, st.ImportedAt).Scan(&st.ID); err != nil {
			return err
		}
		rc, err := req.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if rep, err = s.load(ctx, tx, &st, l, b, counted(rc, req.Progress, "import")); err != nil {
			return err
		}
		if !rep.OK() {
			return errRejected // rolls back the setup and every row written
		}
		st.SHA256, st.Rows = rep.SHA256, rep.Records
		if _, err := tx.Exec(ctx, `UPDATE numbersetup_setups SET sha256 = $1, rows_read = $2, exact = $3, no_match = $4, multiple = $5, one_diff = $6, held = $7
			WHERE id = $8 AND tenant_code = $9`,
			st.SHA256, st.Rows, st.Counts[Exact], st.Counts[NoMatch], st.Counts[Multiple], st.Counts[OneDiff], st.Counts[Held], st.ID, st.Tenant); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: st.Tenant, Action: action, Subject: setupSubject(st.ID), Outcome: audit.OK,
			Detail: "business=" + st.Business + " rows=" + strconv.Itoa(st.Rows) + countsDetail(st.Counts) + " sha256=" + st.SHA256})
	})
	if errors.Is(err, errRejected) {
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: req.Tenant, Action: action, Subject: subject, Outcome: audit.Failed,
			Detail: "outcome=rejected problems=" + strconv.Itoa(rep.Total) + " rows=" + strconv.Itoa(rep.Records) + " sha256=" + rep.SHA256}); aerr != nil {
			return Setup{}, rep, aerr
		}
		return Setup{}, rep, rep.Err()
	}
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
				_, err := tx.Exec(ctx, `UPDATE numbersetup_blocks SET status = 'open' WHERE tenant_code = $1 AND setup_id = $2 AND status = 'submitted'`, st.Tenant, st.ID)
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

// errRejected ends the import's transaction when the file has a problem.
var errRejected = errors.New("numbersetup: the file is rejected")

func countsDetail(c map[string]int) string {
	var b strings.Builder
	for _, o := range Outcomes {
		b.WriteString(" " + o + "=" + strconv.Itoa(c[o]))
	}
	return b.String()
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
