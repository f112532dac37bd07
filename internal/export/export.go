// Package export is the approval of exports and copies of personal data
// (R-AC-5): a request says what, why, in which format and whether My
// Numbers are included; a privacy manager of the municipality approves or
// rejects it; the approved file can be downloaded once, within 24 hours,
// by the requester only, and every row of it carries the request ID.
package export

import (
	"context"
	"database/sql"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/store"
)

// Statuses.
const (
	Pending    = "pending"
	Approved   = "approved"
	Rejected   = "rejected"
	Downloaded = "downloaded"
	Expired    = "expired"
)

// ValidFor is how long an approved export can be downloaded.
const ValidFor = 24 * time.Hour

// jst is the time zone staff read times in.
var jst = time.FixedZone("JST", 9*60*60)

// statusWords names a request's status as the export pages do.
var statusWords = map[string]errs.Message{
	Pending:    {JA: "承認待ち", EN: "pending"},
	Approved:   {JA: "承認済み", EN: "approved"},
	Rejected:   {JA: "却下済み", EN: "rejected"},
	Downloaded: {JA: "ダウンロード済み", EN: "downloaded"},
	Expired:    {JA: "期限切れ", EN: "expired"},
}

// notDownloadable is what the requester is told when a request in a
// status other than approved is downloaded.
var notDownloadable = map[string]errs.Message{
	Pending: {JA: "この申請はまだ承認されていません。保護管理者が承認した後にダウンロードできます。",
		EN: "This request is not approved yet: it can be downloaded once a privacy manager approves it."},
	Rejected: {JA: "この申請は却下されたため、ダウンロードできません。却下の理由を確かめ、必要なら改めて申請してください。",
		EN: "This request was rejected, so it cannot be downloaded: read the reason and request again if needed."},
	Downloaded: {JA: "このファイルはすでにダウンロード済みです（ダウンロードは1回だけです）。もう一度必要な場合は、改めて抽出を申請してください。",
		EN: "This file was already downloaded (a file can be downloaded once): request the export again if you need it."},
	Expired: {JA: "ダウンロードの期限が過ぎました。必要な場合は、もう一度抽出を申請してください。",
		EN: "The download period has ended: request the export again if you still need it."},
}

// Writer writes the export of kind for tenant as CSV: every row begins
// with requestID; My Numbers only when includeMyNumber. It returns the
// number of data rows.
type Writer func(ctx context.Context, tenant string, requestID int64, includeMyNumber bool, w io.Writer) (int, error)

// Kind is something that can be exported.
type Kind struct {
	Name   string
	JA, EN string
	Write  Writer
}

// Request is an export request.
type Request struct {
	ID              int64     `json:"id"`
	Tenant          string    `json:"tenant"`
	Kind            string    `json:"kind"`
	Format          string    `json:"format"`
	Reason          string    `json:"reason"`
	IncludeMyNumber bool      `json:"include_mynumber"`
	Requester       string    `json:"requester"`
	RequestedAt     time.Time `json:"requested_at"`
	Status          string    `json:"status"`
	Approver        string    `json:"approver,omitempty"`
	DecidedAt       time.Time `json:"decided_at,omitzero"`
	Note            string    `json:"note,omitempty"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"`
	DownloadedAt    time.Time `json:"downloaded_at,omitzero"`
	Rows            int       `json:"rows"`
	requesterID     int64
}

// Rights says what a staff member may do now.
type Rights interface {
	RightsOf(ctx context.Context, userID int64) (access.Rights, error)
}

// Service keeps export requests.
type Service struct {
	db     *store.DB
	rights Rights
	kinds  map[string]Kind
	order  []string
	now    func() time.Time
}

// NewService returns a Service with no kinds.
func NewService(db *store.DB, rights Rights) *Service {
	return &Service{db: db, rights: rights, kinds: map[string]Kind{}, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Register adds an exportable kind.
func (s *Service) Register(k Kind) {
	if _, ok := s.kinds[k.Name]; !ok {
		s.order = append(s.order, k.Name)
	}
	s.kinds[k.Name] = k
}

// Kinds lists the exportable kinds in registration order.
func (s *Service) Kinds() []Kind {
	out := make([]Kind, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.kinds[n])
	}
	return out
}

// Ask files an export request of kind for tenant.
func (s *Service) Ask(ctx context.Context, requester identity.User, tenant, kind, format, reason string, includeMyNumber bool) (Request, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "export.request"
	subject := audit.Subject{Type: "export", ID: kind}
	reason = strings.TrimSpace(reason)
	var fe errs.FieldErrors
	if _, ok := s.kinds[kind]; !ok {
		fe.Add("kind", errs.Message{JA: "抽出できる種類ではありません", EN: "is not an exportable kind"})
	}
	if format != "csv" {
		fe.Add("format", errs.Message{JA: "形式は CSV です", EN: "must be csv"})
	}
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		fe.Add("reason", errs.Message{JA: "目的・理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
	} else if mynumber.Holds(reason) {
		fe.Add("reason", mynumber.InFreeText)
	}
	err := fe.Err()
	if err == nil {
		err = s.must(ctx, requester, access.ExportRequest, tenant)
	}
	if err == nil && includeMyNumber {
		// A file of My Numbers is a bulk reveal: only for those who may
		// reveal them (R-AC-4).
		err = s.must(ctx, requester, access.MyNumberReveal, tenant)
	}
	var id int64
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `INSERT INTO export_requests (tenant_code, kind, format, reason, include_mynumber, requester_id, requested_at, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING id`, tenant, kind, format, reason, includeMyNumber, requester.ID, s.now()).Scan(&id); err != nil {
				return store.Translate(err)
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: audit.Subject{Type: "export", ID: itoa(id)}, Outcome: audit.OK,
				Purpose: reason, Detail: "kind=" + kind + " format=" + format + " include_mynumber=" + strconv.FormatBool(includeMyNumber)})
		})
	}
	if err != nil {
		return Request{}, s.refused(ctx, tenant, action, subject, err)
	}
	return s.Get(ctx, tenant, id)
}

func (s *Service) must(ctx context.Context, u identity.User, p access.Permission, tenant string) error {
	r, err := s.rights.RightsOf(ctx, u.ID)
	if err != nil {
		return err
	}
	if !r.Has(p, tenant) {
		return errs.Tell(errs.Forbidden, access.Lacking(p), "%s does not hold %s for %s", u.LoginID, p, tenant)
	}
	return nil
}

// Approve lets the requester download the export once within ValidFor.
// The approver holds export.approve for the municipality and is not the
// requester; a request with My Numbers says so in the event.
func (s *Service) Approve(ctx context.Context, approver identity.User, tenant string, id int64, note string) (Request, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	return s.decide(ctx, approver, tenant, id, Approved, note)
}

// Reject refuses a request, with a reason.
func (s *Service) Reject(ctx context.Context, approver identity.User, tenant string, id int64, note string) (Request, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	return s.decide(ctx, approver, tenant, id, Rejected, note)
}

func (s *Service) decide(ctx context.Context, approver identity.User, tenant string, id int64, to, note string) (Request, error) {
	action := map[string]string{Approved: "export.approve", Rejected: "export.reject"}[to]
	subject := audit.Subject{Type: "export", ID: itoa(id)}
	note = strings.TrimSpace(note)
	r, err := s.Get(ctx, tenant, id)
	if err == nil {
		err = s.must(ctx, approver, access.ExportApprove, tenant)
	}
	switch {
	case err != nil:
	case r.requesterID == approver.ID:
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: "自分の抽出申請は承認・却下できません。別の保護管理者が判断します。",
			EN: "You cannot approve or reject your own export request: another privacy manager decides it.",
		}, "you cannot decide your own export request")
	case r.Status != Pending:
		w := statusWords[r.Status]
		err = errs.Tell(errs.Conflict, errs.Message{
			JA: "この申請はすでに" + w.JA + "のため、承認も却下もできません。一覧を開き直してください。",
			EN: "This request is already " + w.EN + ", so it can no longer be approved or rejected: open the list again.",
		}, "export request %d is %s, not pending", id, r.Status)
	case to == Rejected && note == "", utf8.RuneCountInString(note) > 200:
		var fe errs.FieldErrors
		fe.Add("note", errs.Message{JA: "却下の理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
		err = fe.Err()
	case mynumber.Holds(note):
		var fe errs.FieldErrors
		fe.Add("note", mynumber.InFreeText)
		err = fe.Err()
	}
	if err == nil {
		now := s.now()
		var expires any
		if to == Approved {
			expires = now.Add(ValidFor)
		}
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE export_requests SET status = $1, approver_id = $2, decided_at = $3, note = $4, expires_at = $5
				WHERE id = $6 AND tenant_code = $7 AND status = 'pending'`, to, approver.ID, now, note, expires, id, tenant)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.Tell(errs.Conflict, errs.Message{
					JA: "この申請は、ほかの保護管理者が先に判断しました。一覧を開き直してください。",
					EN: "Another privacy manager decided this request first: open the list again.",
				}, "export request %d was decided meanwhile", id)
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
				Detail: "kind=" + r.Kind + " requester=" + r.Requester + " include_mynumber=" + strconv.FormatBool(r.IncludeMyNumber) + " note=" + note})
		})
	}
	if err != nil {
		return Request{}, s.refused(ctx, tenant, action, subject, err)
	}
	return s.Get(ctx, tenant, id)
}

// Download marks request id downloaded and writes its file to w: only
// the requester, only once, only within ValidFor of the approval; a file
// with My Numbers only to a holder of mynumber.reveal who passed a second
// factor within the step-up window (stepUp). The event is written before
// the first byte.
func (s *Service) Download(ctx context.Context, requester identity.User, tenant string, id int64, stepUp bool, w io.Writer) (Request, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "export.download"
	subject := audit.Subject{Type: "export", ID: itoa(id)}
	r, err := s.Get(ctx, tenant, id)
	now := s.now()
	switch {
	case err != nil:
	case r.requesterID != requester.ID:
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: "ダウンロードできるのは申請した本人だけです。このデータが必要な場合は、自分で抽出を申請してください。",
			EN: "Only the person who requested it may download it: request the export yourself if you need the data.",
		}, "only the requester may download export %d", id)
	case r.Status == Approved && !now.Before(r.ExpiresAt):
		s.db.Exec(ctx, `UPDATE export_requests SET status = 'expired' WHERE id = $1 AND status = 'approved'`, id)
		at := r.ExpiresAt.In(jst)
		err = errs.Tell(errs.Forbidden, errs.Message{
			JA: "ダウンロードの期限（" + at.Format("2006年1月2日 15時04分") + "）が過ぎました。必要な場合は、もう一度抽出を申請してください。",
			EN: "The download period ended on " + at.Format("2 January 2006 at 15:04") + " (JST): request the export again if you still need it.",
		}, "export %d expired at %s: ask again", id, r.ExpiresAt.Format(time.RFC3339))
	case r.Status != Approved:
		err = errs.Tell(errs.Forbidden, notDownloadable[r.Status], "export %d is %s: it can be downloaded once, after approval", id, r.Status)
	}
	if err == nil {
		err = s.must(ctx, requester, access.ExportRequest, tenant)
	}
	if err == nil && r.IncludeMyNumber {
		if err = s.must(ctx, requester, access.MyNumberReveal, tenant); err == nil && !stepUp {
			err = errs.Tell(errs.Forbidden, errs.Message{
				JA: "個人番号を含むファイルのダウンロードには、直前の二要素認証が必要です。画面をロックして二要素認証で解除し直してから、もう一度ダウンロードしてください。",
				EN: "A file with My Numbers needs a recent second factor: lock the screen and unlock it again with the second factor, then download again.",
			}, "a file with My Numbers needs a second factor within the last minutes: lock the screen and unlock it again")
		}
	}
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE export_requests SET status = 'downloaded', downloaded_at = $1
				WHERE id = $2 AND tenant_code = $3 AND status = 'approved' AND expires_at > $1`, now, id, tenant)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.Tell(errs.Conflict, errs.Message{
					JA: "このファイルは、たった今ダウンロードされたか、期限が切れました。一覧を開き直して、状態を確かめてください。",
					EN: "This file was downloaded just now or has just expired: open the list again to see its state.",
				}, "export %d was downloaded meanwhile or has just expired", id)
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK, Purpose: r.Reason,
				Detail: "kind=" + r.Kind + " include_mynumber=" + strconv.FormatBool(r.IncludeMyNumber)})
		})
	}
	if err != nil {
		return Request{}, s.refused(ctx, tenant, action, subject, err)
	}
	n, werr := s.kinds[r.Kind].Write(ctx, tenant, id, r.IncludeMyNumber, w)
	s.db.Exec(context.WithoutCancel(ctx), `UPDATE export_requests SET rows_exported = $1 WHERE id = $2`, n, id)
	r.Rows, r.Status = n, Downloaded
	return r, werr
}

const selectRequest = `SELECT r.id, r.tenant_code, r.kind, r.format, r.reason, r.include_mynumber, r.requester_id, q.login_id, r.requested_at,
	r.status, COALESCE(a.login_id, ''), r.decided_at, r.note, r.expires_at, r.downloaded_at, r.rows_exported
	FROM export_requests r JOIN staff_users q ON q.id = r.requester_id LEFT JOIN staff_users a ON a.id = r.approver_id`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var decided, expires, downloaded sql.NullTime
	err := row.Scan(&r.ID, &r.Tenant, &r.Kind, &r.Format, &r.Reason, &r.IncludeMyNumber, &r.requesterID, &r.Requester, &r.RequestedAt,
		&r.Status, &r.Approver, &decided, &r.Note, &expires, &downloaded, &r.Rows)
	r.RequestedAt = r.RequestedAt.UTC()
	r.DecidedAt, r.ExpiresAt, r.DownloadedAt = decided.Time.UTC(), expires.Time.UTC(), downloaded.Time.UTC()
	return r, err
}

// Get returns request id of tenant; another municipality's is not found.
func (s *Service) Get(ctx context.Context, tenant string, id int64) (Request, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	var r Request
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		r, err = scanRequest(q.QueryRow(ctx, selectRequest+` WHERE r.id = $1 AND r.tenant_code = $2`, id, tenant))
		return err
	})
	if err != nil {
		return Request{}, store.ScanErr(err, "export request "+itoa(id))
	}
	return r, nil
}

// CountPending counts tenant's requests waiting for a privacy manager,
// however many (a home page's counter, never the length of a capped list).
func (s *Service) CountPending(ctx context.Context, tenant string) (int, error) {
	var n int
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM export_requests WHERE tenant_code = $1 AND status = 'pending'`, tenant).Scan(&n)
	})
	return n, store.Translate(err)
}

// List returns one page of tenant's requests: one requester's
// (requester > 0) or those with status, newest first. cursor is a page's
// Next ("" for the newest); limit is clamped by store.Limit.
func (s *Service) List(ctx context.Context, tenant string, requester int64, status, cursor string, limit int) (store.Page[Request], error) {
	q := selectRequest + ` WHERE r.tenant_code = $1`
	args := []any{tenant}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if requester > 0 {
		q += ` AND r.requester_id = ` + arg(requester)
	}
	if status != "" {
		q += ` AND r.status = ` + arg(status)
	}
	var before int64
	if ok, err := store.DecodeCursor(cursor, "exports", &before); err != nil {
		return store.Page[Request]{}, err
	} else if ok {
		q += ` AND r.id < ` + arg(before)
	}
	limit = store.Limit(limit)
	q += ` ORDER BY r.id DESC LIMIT ` + arg(limit+1)
	var out []Request
	err := s.db.ReadIn(ctx, tenant, func(db store.Querier) (err error) {
		out, err = store.Rows(scanRequest)(db.Query(ctx, q, args...))
		return err
	})
	if err != nil {
		return store.Page[Request]{}, err
	}
	return store.PageOf(out, limit, "exports", func(r Request) []any { return []any{r.ID} }), nil
}

// refused records a refused step and returns err.
func (s *Service) refused(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	return audit.Refused(ctx, s.db, tenant, action, subject, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
