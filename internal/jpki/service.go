package jpki

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/resident"
	"bango/internal/store"
	"bango/internal/vault"
)

// jst is the time zone of a municipality's "today" (the application date).
var jst = time.FixedZone("JST", 9*60*60)

// OpenFor is how long an application may stay open at the window before
// the sweeper ends it as timed out: the identity check, the choice and the
// card's requests take minutes, not hours.
const OpenFor = 15 * time.Minute

// Service issues and revokes the card's certificates at the window.
type Service struct {
	db        *store.DB
	vault     *vault.Vault
	residents *resident.Service
	ca        *Client // nil: no CA configured
	log       *slog.Logger
	now       func() time.Time
	instance  string // this process; another's work record is a leftover

	mu      sync.Mutex
	inWork  map[string]bool // applications this process is sending or ending
	held    map[string]held // tenant/id: the sealed work records this process opened, while they are open
	openFor time.Duration
}

// held is a work record as this process opened it: the same sealed bytes
// as its row, kept in this process's memory only while the application is
// open, so that issuing needs no read of the row (a round trip on
// PostgreSQL, issue 22). The row stays the record that counts: it is
// written before the application is handed back and destroyed with the
// outcome (R-JPKI-2); the copy goes at every end this process records —
// outcome, cancel, sweep — and at its time. Only this process ends its own
// applications while it runs (the sweeper's assumption: one bango serve per
// database), so the copy is open exactly while the row is; a process that
// restarts has no copy and reads the row, which its sweep then ends.
type held struct {
	resident string
	expires  time.Time
	sealed   []byte
}

func heldKey(tenant, id string) string { return tenant + "/" + id }

func (s *Service) hold(tenant, id string, h held) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[heldKey(tenant, id)] = h
}

func (s *Service) forget(tenant, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.held, heldKey(tenant, id))
}

// forgetExpired drops the copies past their time (their rows are the
// sweeper's).
func (s *Service) forgetExpired(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, h := range s.held {
		if !now.Before(h.expires) {
			delete(s.held, k)
		}
	}
}

// NewService returns a Service that reaches the CA through ca (nil when
// none is configured: every issuance is then refused as unavailable).
func NewService(db *store.DB, v *vault.Vault, residents *resident.Service, ca *Client, log *slog.Logger) *Service {
	return &Service{db: db, vault: v, residents: residents, ca: ca, log: log, now: time.Now, instance: randomID(), openFor: OpenFor,
		inWork: map[string]bool{}, held: map[string]held{}}
}

// claim marks application id as being sent or ended by this process, and
// reports false when it already is.
func (s *Service) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inWork[id] {
		return false
	}
	s.inWork[id] = true
	return true
}

func (s *Service) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inWork, id)
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Configured reports whether a CA is configured.
func (s *Service) Configured() bool { return s.ca != nil }

// Application is an issuance opened at the window, as the clerk sees it
// while it is processed. Its items are read from the register and never
// stored in the clear.
type Application struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Resident  string    `json:"resident"`
	Applicant Items     `json:"applicant"`
	Date      string    `json:"application_date"`
	ExpiresAt time.Time `json:"expires_at"`
}

// work is what the sealed work record holds: the items to be sent. The
// card's requests and the CA's answers live only in the memory of the
// call that sends them.
type work struct {
	Applicant Items  `json:"applicant"`
	Date      string `json:"application_date"`
}

func binding(tenant, id string) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "jpki_work", Column: "sealed", Row: id}
}

func subjectOf(code string) audit.Subject { return audit.Subject{Type: "resident", ID: code} }

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}

// Open opens an application for resident code: it records how the
// applicant's identity was verified (R-ACC-4, method as in
// resident.MethodLabels), reads the applicant's items from the register
// and keeps them sealed in a new work record until the issuance ends. A
// resident of another municipality is not found.
func (s *Service) Open(ctx context.Context, tenant, code, method string) (a Application, err error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	defer errs.Annotate(&err, "jpki.Open(%s/%s)", tenant, code)
	if s.ca == nil {
		return Application{}, s.refused(ctx, tenant, "jpki.open", code, "", errNoCA)
	}
	// The identity check, the register's read, the sealed work record and
	// the application's event: one transaction, committed with the other
	// windows' steps waiting on SQLite (group.go), in two round trips on
	// PostgreSQL (the register's read, which is the resident check; then
	// one statement for the verification, the work record and the events,
	// and the commit).
	now := s.now().UTC()
	a = Application{ID: randomID(), Tenant: tenant, Resident: code, Date: now.In(jst).Format(time.DateOnly), ExpiresAt: now.Add(s.openFor)}
	// Sealing nothing loads the municipality's keys now, on the pool, so
	// that sealing inside the transaction needs no second connection.
	if _, _, err := s.vault.Seal(ctx, binding(tenant, a.ID), nil); err != nil {
		return Application{}, err
	}
	var sealed []byte // the committed attempt's (body may run again)
	err = commitPiped(ctx, s.db, tenant, func(p *store.Pipe) error {
		var r resident.Resident
		opened := audit.Event{Tenant: tenant, Action: "jpki.open", Subject: subjectOf(code), Outcome: audit.OK,
			Detail: "application=" + a.ID + " method=" + method}
		d, err := s.residents.VerifyAndGetDeferred(ctx, p, tenant, code, method, actorOf(ctx), "公的個人認証の申請 / JPKI application", &r, opened)
		if err != nil {
			return err
		}
		if err := p.Flush(); err != nil {
			return err
		}
		a.Applicant = Items{Name: r.NameKanji, Alias: r.Alias, Address: r.Address, BirthDate: r.BirthDate.Format(time.DateOnly), Sex: r.Sex}
		var version int
		sealed, version, err = s.seal(ctx, tenant, a.ID, work{Applicant: a.Applicant, Date: a.Date})
		if err != nil {
			return err
		}
		workArgs := []any{a.ID, tenant, code, s.instance, actorOf(ctx), now, a.ExpiresAt, sealed, version}
		if s.db.Engine() == store.Postgres {
			// The verification, the work record and the events: one
			// statement (audit.RecordPipedWith), sent with the commit.
			return audit.RecordPipedWith(ctx, p, []string{d.Query, insertWork(len(d.Args))},
				append(append(make([]any, 0, len(d.Args)+len(workArgs)), d.Args...), workArgs...), d.Events...)
		}
		p.Exec(d.Query, d.Args...)
		p.Exec(insertWork(0), workArgs...)
		return audit.RecordPiped(ctx, p, d.Events...)
	})
	if errs.Is(err, errs.NotFound) {
		// Not a resident of this municipality: recorded as the register
		// records a read out of scope (a cross-municipality probe).
		if nf := s.residents.Exists(ctx, tenant, code); nf != nil {
			return Application{}, nf
		}
	}
	if err != nil {
		return Application{}, s.refused(ctx, tenant, "jpki.open", code, "", err)
	}
	s.hold(tenant, a.ID, held{resident: code, expires: a.ExpiresAt, sealed: sealed})
	return a, nil
}

// insertWork is the INSERT of a work record, its nine parameters numbered
// from $(from+1).
func insertWork(from int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO jpki_work (id, tenant_code, resident_code, state, instance, opened_by, opened_at, expires_at, sealed, key_version)
		VALUES ($` + strconv.Itoa(from+1) + `, $` + strconv.Itoa(from+2) + `, $` + strconv.Itoa(from+3) + `, 'open'`)
	for i := 4; i <= 9; i++ {
		q.WriteString(", $" + strconv.Itoa(from+i))
	}
	q.WriteString(")")
	return q.String()
}

// Current returns the open application id, as the clerk sees it.
func (s *Service) Current(ctx context.Context, tenant, id string) (Application, error) {
	ctx = store.WithScope(ctx, tenant)
	row, w, err := s.load(ctx, tenant, id)
	if err != nil {
		return Application{}, err
	}
	return Application{ID: id, Tenant: tenant, Resident: row.resident, Applicant: w.Applicant, Date: w.Date, ExpiresAt: row.expires}, nil
}

// Request is what the clerk sends to issue: the card's PKCS#10 requests,
// in PEM or as base64 DER, for the kinds chosen (one or both; empty: not
// chosen).
type Request struct {
	Signature      string `json:"csr_signature,omitempty"`
	Authentication string `json:"csr_authentication,omitempty"`
}

// requestBytes reads a request given as PEM or base64 DER; anything else
// is passed on as it is, for ParseRequest to refuse.
func requestBytes(s string) []byte {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return []byte(s)
	}
	if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err == nil {
		return der
	}
	return []byte(s)
}

// Certificate is an issued certificate, handed back to the caller for the
// card and never stored.
type Certificate struct {
	Kind      Kind      `json:"kind"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DER       []byte    `json:"certificate"`
	Chain     [][]byte  `json:"chain"`
}

// Failure is a kind the CA did not issue, and why.
type Failure struct {
	Kind Kind   `json:"kind"`
	Why  string `json:"why"` // FailRefused, FailTimeout, FailUnreachable, FailBadAnswer
	Err  error  `json:"-"`
}

// Result is how an issuance ended.
type Result struct {
	Application string        `json:"application"`
	Resident    string        `json:"resident"`
	Issued      []Certificate `json:"issued"`
	Failed      []Failure     `json:"failed,omitempty"`
}

// Err is the failure staff are told when nothing was issued.
func (r Result) Err() error {
	if len(r.Issued) > 0 || len(r.Failed) == 0 {
		return nil
	}
	var ce *CAError
	if errors.As(r.Failed[0].Err, &ce) {
		return ce.Told()
	}
	return r.Failed[0].Err
}

var errNoCA = errs.Tell(errs.Unavailable, errs.Message{
	JA: "認証局（J-LIS）への接続が設定されていないため、電子証明書を発行できません。情報システム部門に連絡してください",
	EN: "No certification authority (J-LIS) is configured, so no certificate can be issued. Call the IS department"}, "jpki: no CA configured")

// Issue issues the chosen certificates of application id. The card's
// requests are checked before anything is sent (a wrong one is refused
// naming its field and the application stays open to read the card
// again); then the sealed items and the requests are sent to the CA, and
// each answer checked. However the CA answers
// — issued, refused, not in time, not matching — the work record is
// destroyed in the same transaction as the outcome of each certificate is
// recorded (R-JPKI-2): an audit event with the kind, serial number and
// validity, and no personal item. The certificates go back to the caller.
func (s *Service) Issue(ctx context.Context, tenant, id string, req Request) (res Result, err error) {
	ctx = store.WithScope(ctx, tenant)
	defer errs.Annotate(&err, "jpki.Issue(%s/%s)", tenant, id)
	if s.ca == nil {
		return Result{}, s.refused(ctx, tenant, "jpki.issue", "", id, errNoCA)
	}
	// Only one issuance per application: this process claims it until its
	// outcome is recorded, so a second click, a cancel or the sweeper
	// meanwhile sends and destroys nothing.
	if !s.claim(id) {
		return Result{}, s.refused(ctx, tenant, "jpki.issue", "", id, errBusy)
	}
	defer s.release(id)
	row, w, err := s.loadHeld(ctx, tenant, id)
	if err != nil {
		return Result{}, s.refused(ctx, tenant, "jpki.issue", "", id, err)
	}
	parsed, err := s.checkRequests(req, w.Applicant)
	if err != nil {
		return Result{}, s.refused(ctx, tenant, "jpki.issue", row.resident, id, err)
	}

	res = Result{Application: id, Resident: row.resident}
	for _, kind := range Kinds {
		csr, ok := parsed[kind]
		if !ok {
			continue
		}
		ir := IssueRequest{RequestID: id + "-" + string(kind), Municipality: tenant, Resident: row.resident, Kind: kind, ApplicationDate: w.Date, CSR: csr.Raw}
		if kind == Signature {
			it := w.Applicant
			ir.Applicant = &it
		}
		got, err := s.ca.Issue(ctx, ir, csr)
		if err != nil {
			why := FailUnreachable
			var ce *CAError
			if errors.As(err, &ce) {
				why = ce.Why
			}
			res.Failed = append(res.Failed, Failure{Kind: kind, Why: why, Err: err})
			s.log.WarnContext(ctx, "jpki: the CA did not issue", "tenant", tenant, "application", id, "kind", kind, "why", why, "err", err)
			continue
		}
		c := Certificate{Kind: kind, Serial: got.Certificate.SerialNumber.Text(16), NotBefore: got.Certificate.NotBefore.UTC(),
			NotAfter: got.Certificate.NotAfter.UTC(), DER: got.Certificate.Raw}
		for _, ca := range got.Chain {
			c.Chain = append(c.Chain, ca.Raw)
		}
		res.Issued = append(res.Issued, c)
	}

	// The outcome and the end of the work record in one transaction,
	// committed with the other windows' steps waiting (group.go). A
	// request whose context is gone still records its end.
	done := context.WithoutCancel(ctx)
	var events []audit.Event
	for _, c := range res.Issued {
		events = append(events, audit.Event{Tenant: tenant, Action: "jpki.issue", Subject: subjectOf(row.resident), Outcome: audit.OK,
			Detail: "application=" + id + " kind=" + string(c.Kind) + " serial=" + c.Serial +
				" not_before=" + c.NotBefore.Format(time.RFC3339) + " not_after=" + c.NotAfter.Format(time.RFC3339)})
	}
	for _, f := range res.Failed {
		events = append(events, audit.Event{Tenant: tenant, Action: "jpki.issue", Subject: subjectOf(row.resident), Outcome: audit.Failed,
			Detail: "application=" + id + " kind=" + string(f.Kind) + " outcome=" + f.Why})
	}
	const end = `DELETE FROM jpki_work WHERE tenant_code = $1 AND id = $2`
	err = commitPiped(done, s.db, tenant, func(p *store.Pipe) error {
		if s.db.Engine() == store.Postgres && len(events) > 0 {
			// One statement: the work record's end as a WITH clause of
			// the events' INSERT (PostgreSQL runs it to completion).
			return audit.RecordPipedWith(done, p, []string{end}, []any{tenant, id}, events...)
		}
		p.Exec(end, tenant, id)
		return audit.RecordPiped(done, p, events...)
	})
	// Ended, or, if the commit failed, left to the row (read again by a
	// next attempt, or swept).
	s.forget(tenant, id)
	if err != nil {
		return Result{}, err
	}
	return res, res.Err()
}

// errBusy is an application whose issuance is under way: a second click.
var errBusy = errs.Tell(errs.Conflict, errs.Message{
	JA: "この申請は発行処理中です。結果が表示されるまでお待ちください",
	EN: "This application is being issued; wait for the result"},
	"jpki: application being issued")

// errEnded is an application that is no longer open: issued, cancelled,
// timed out or swept.
var errEnded = errs.Tell(errs.NotFound, errs.Message{
	JA: "この申請は終了しています（発行済み・取消し・時間切れ）。入力内容は保持していません。必要なら本人確認からやり直してください",
	EN: "This application has ended (issued, cancelled or timed out). Nothing was kept; start again from the identity check if needed"},
	"jpki: application not open")

// checkRequests parses the chosen requests and checks them before anything
// is sent: each verifies and has an accepted key, the two kinds use two
// keys (the card holds one per certificate), and a request's subject, if
// it names anyone, names the applicant for a signature and no one for an
// authentication certificate.
func (s *Service) checkRequests(req Request, applicant Items) (map[Kind]*x509.CertificateRequest, error) {
	var fe errs.FieldErrors
	given := map[Kind][]byte{Signature: requestBytes(req.Signature), Authentication: requestBytes(req.Authentication)}
	parsed := map[Kind]*x509.CertificateRequest{}
	for _, kind := range Kinds {
		data := given[kind]
		if len(data) == 0 {
			continue
		}
		field := "csr_" + string(kind)
		csr, err := ParseRequest(data, s.ca.Policy(), field)
		if err != nil {
			fe.List = append(fe.List, errs.Fields(err)...)
			continue
		}
		if name := csr.Subject.CommonName; len(csr.Subject.Names) > 0 && (kind == Authentication || (name != "" && name != applicant.Name)) {
			fe.Add(field, errs.Message{
				JA: "証明書発行要求に申請者以外の情報が記載されています。カードで作成した要求を読み取り直してください",
				EN: "the request names someone other than the applicant; read the request made by the card again"})
			continue
		}
		parsed[kind] = csr
	}
	if len(given[Signature]) == 0 && len(given[Authentication]) == 0 {
		fe.Add("kind", errs.Message{JA: "発行する電子証明書を選び、カードの発行要求を読み取ってください",
			EN: "choose the certificates to issue and read the card's requests"})
	}
	if s, a := parsed[Signature], parsed[Authentication]; s != nil && a != nil && string(s.RawSubjectPublicKeyInfo) == string(a.RawSubjectPublicKeyInfo) {
		fe.Add("csr_authentication", errs.Message{
			JA: "署名用と利用者証明用で同じ鍵が使われています。カードで作成した要求を読み取り直してください",
			EN: "the same key is used for both certificates; read the requests made by the card again"})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return parsed, nil
}

// Cancel ends an open application at the clerk's request: the work
// record is destroyed in the transaction that records the cancellation.
func (s *Service) Cancel(ctx context.Context, tenant, id string) error {
	ctx = store.WithScope(ctx, tenant)
	if !s.claim(id) {
		return s.refused(ctx, tenant, "jpki.cancel", "", id, errBusy)
	}
	defer s.release(id)
	s.forget(tenant, id)
	var code string
	err := s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT resident_code FROM jpki_work WHERE tenant_code = $1 AND id = $2 AND state = 'open'`, tenant, id).Scan(&code); err != nil {
			if errs.Is(store.ScanErr(err, "application"), errs.NotFound) {
				return errEnded
			}
			return store.Translate(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM jpki_work WHERE tenant_code = $1 AND id = $2`, tenant, id); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "jpki.cancel", Subject: subjectOf(code), Outcome: audit.OK,
			Detail: "application=" + id})
	})
	if err != nil {
		return s.refused(ctx, tenant, "jpki.cancel", code, id, err)
	}
	return nil
}

// Sweep destroys the work records a crash or an abandoned window left
// behind — those past their time, and those of another process (a
// previous run of this server) — each in the transaction that records its
// end as an audit event: "timeout" for an application left open past its
// time, "abandoned" for one whose process ended (it may have been at the
// CA when it did). An application this process is sending is left to the
// call that sends it. It returns how many it destroyed. bango serve runs
// it at start and every minute; it assumes one server process per
// database.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	all := store.WithScope(ctx, store.AllTenants) // system work over every municipality
	s.forgetExpired(s.now().UTC())
	type left struct{ id, tenant, code, instance string }
	var list []left
	err := s.db.Read(all, func(q store.Querier) (err error) {
		list, err = store.Rows(func(row store.Scanner) (left, error) {
			var l left
			return l, row.Scan(&l.id, &l.tenant, &l.code, &l.instance)
		})(q.Query(all, `SELECT id, tenant_code, resident_code, instance FROM jpki_work WHERE expires_at < $1 OR instance <> $2 ORDER BY id`,
			s.now().UTC(), s.instance))
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range list {
		if !s.claim(l.id) {
			continue // being sent or ended by this process
		}
		s.forget(l.tenant, l.id)
		outcome := "timeout"
		if l.instance != s.instance {
			outcome = "abandoned" // the process that held it ended
		}
		err := s.db.TransactIn(ctx, l.tenant, func(tx *store.Tx) error {
			r, err := tx.Exec(ctx, `DELETE FROM jpki_work WHERE tenant_code = $1 AND id = $2`, l.tenant, l.id)
			if err != nil {
				return store.Translate(err)
			}
			if k, _ := r.RowsAffected(); k == 0 {
				return nil // ended meanwhile
			}
			n++
			return audit.Record(ctx, tx, audit.Event{Tenant: l.tenant, Action: "jpki.expire", Subject: subjectOf(l.code), Outcome: audit.Failed,
				Detail: "application=" + l.id + " outcome=" + outcome})
		})
		s.release(l.id)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

type workRow struct {
	resident string
	state    string
	expires  time.Time
}

// loadHeld opens the open work record id of tenant from this process's
// copy (no read of the row), or reads the row when there is none.
func (s *Service) loadHeld(ctx context.Context, tenant, id string) (workRow, work, error) {
	s.mu.Lock()
	h, ok := s.held[heldKey(tenant, id)]
	s.mu.Unlock()
	if !ok {
		return s.load(ctx, tenant, id)
	}
	if !s.now().Before(h.expires) {
		return workRow{}, work{}, errEnded // the sweeper's
	}
	w, err := s.unseal(ctx, tenant, id, h.sealed)
	if err != nil {
		return workRow{}, work{}, err
	}
	return workRow{resident: h.resident, state: "open", expires: h.expires}, w, nil
}

// load reads and opens the open work record id of tenant.
func (s *Service) load(ctx context.Context, tenant, id string) (workRow, work, error) {
	var row workRow
	var sealed []byte
	// One round trip on PostgreSQL (store.ReadOne).
	err := s.db.ReadOne(store.WithScope(ctx, tenant), func(r store.Scanner) error {
		return r.Scan(&row.resident, &row.state, &row.expires, &sealed)
	}, `SELECT resident_code, state, expires_at, sealed FROM jpki_work WHERE tenant_code = $1 AND id = $2`, tenant, id)
	if err != nil {
		if errs.Is(store.ScanErr(err, "application"), errs.NotFound) {
			return workRow{}, work{}, errEnded
		}
		return workRow{}, work{}, store.Translate(err)
	}
	if row.state != "open" || !s.now().Before(row.expires) {
		return workRow{}, work{}, errEnded
	}
	w, err := s.unseal(ctx, tenant, id, sealed)
	if err != nil {
		return workRow{}, work{}, err
	}
	return row, w, nil
}

func (s *Service) unseal(ctx context.Context, tenant, id string, sealed []byte) (work, error) {
	plain, err := s.vault.Open(ctx, binding(tenant, id), sealed)
	if err != nil {
		return work{}, err
	}
	var w work
	if err := json.Unmarshal(plain, &w); err != nil {
		return work{}, err
	}
	return w, nil
}

func (s *Service) seal(ctx context.Context, tenant, id string, w work) ([]byte, int, error) {
	plain, err := json.Marshal(w)
	if err != nil {
		return nil, 0, err
	}
	return s.vault.Seal(ctx, binding(tenant, id), plain)
}

// refused records a refused step by its kind and fields, never a value,
// and returns err.
func (s *Service) refused(ctx context.Context, tenant, action, code, id string, err error) error {
	detail := "error=" + strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
	if id != "" {
		detail = "application=" + id + " " + detail
	}
	var names []string
	for _, f := range errs.Fields(err) {
		names = append(names, f.Field)
	}
	if len(names) > 0 {
		detail += " fields=" + strings.Join(names, ",")
	}
	outcome := audit.Failed
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		outcome = audit.Denied
	}
	if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: subjectOf(code), Outcome: outcome, Detail: detail}); aerr != nil {
		s.log.ErrorContext(ctx, "audit event for a refused step not written", "action", action, "err", aerr)
	}
	return err
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
