// Package review is the maker–checker engine (R-ACC-1) every business
// module uses: a maker's change waits as a pending change; a different
// staff member holding review.confirm for the municipality confirms it,
// and it is applied in the same transaction, or rejects it with a reason.
// Fields such as a My Number are confirmed by blind double entry: the
// checker keys the value again from the evidence document without seeing
// the first entry, and the engine compares blind indexes, so that nobody
// sees the number after entry (R-AC-4) and a typo cannot pass.
package review

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"slices"
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
	"bango/internal/vault"
)

// Statuses of a pending change.
const (
	Pending   = "pending"
	Confirmed = "confirmed"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
)

// MaxMismatches is how many failed double entries a change survives; the
// next one rejects it, so that a checker cannot guess a number by trial.
const MaxMismatches = 3

// Proposal is what a business module submits.
type Proposal struct {
	Kind    string
	Subject audit.Subject
	Summary string            // what the queue shows: never a My Number
	Payload []byte            // the change, sealed by the engine
	Blind   map[string][]byte // fields to key in again, as blind indexes
}

// Applier applies a confirmed change inside the confirming transaction.
type Applier func(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error

// Rejecter hears, inside the deciding transaction, that change id of a
// kind it registered (OnReject) ended unapplied: status Rejected, with the
// checker's reason, or Withdrawn by its maker (reason then the maker's,
// perhaps ""). A module whose rows wait on the change puts them back at
// once.
type Rejecter func(ctx context.Context, tx *store.Tx, tenant string, id int64, status, reason string) error

// kind is a registered kind of change: how to apply it, which permission
// its checker holds, and who hears of a rejection.
type kind struct {
	apply    Applier
	confirm  access.Permission
	rejected Rejecter
}

// Change is a pending (or decided) change as staff see it.
type Change struct {
	ID            int64     `json:"id"`
	Tenant        string    `json:"tenant"`
	Kind          string    `json:"kind"`
	Subject       string    `json:"subject"`
	SubjectType   string    `json:"subject_type"`
	Summary       string    `json:"summary"`
	BlindFields   []string  `json:"blind_fields,omitempty"`
	Maker         string    `json:"maker"`
	MakerName     string    `json:"maker_name"`
	MakerSection  string    `json:"maker_section"`
	MadeAt        time.Time `json:"made_at"`
	Status        string    `json:"status"`
	Mismatches    int       `json:"mismatches"`
	Checker       string    `json:"checker,omitempty"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	Reason        string    `json:"reason,omitempty"`
	blind         map[string]string
	makerID       int64
	ref           string
	sealedPayload []byte
}

// Rights says what a staff member may do now.
type Rights interface {
	RightsOf(ctx context.Context, userID int64) (access.Rights, error)
}

// Service is the engine.
type Service struct {
	db     *store.DB
	vault  *vault.Vault
	rights Rights
	kinds  map[string]kind
	now    func() time.Time
}

// NewService returns an engine with no kinds registered.
func NewService(db *store.DB, v *vault.Vault, rights Rights) *Service {
	return &Service{db: db, vault: v, rights: rights, kinds: map[string]kind{}, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Register makes a kind of change of a municipality's data known, with how
// to apply it once confirmed; its checker holds review.confirm there.
func (s *Service) Register(name string, apply Applier) {
	s.kinds[name] = kind{apply: apply, confirm: access.ReviewConfirm}
}

// OnReject has fn hear of every rejection of a registered kind of change.
func (s *Service) OnReject(name string, fn Rejecter) {
	k := s.kinds[name]
	k.rejected = fn
	s.kinds[name] = k
}

// rejected tells the kind's Rejecter, if any, that change c ended with
// status (Rejected or Withdrawn) unapplied.
func (s *Service) rejected(ctx context.Context, tx *store.Tx, c Change, status, reason string) error {
	if fn := s.kinds[c.Kind].rejected; fn != nil {
		return fn(ctx, tx, c.Tenant, c.ID, status, reason)
	}
	return nil
}

// RegisterSystem makes a kind of system-wide change known (tenant ""),
// whose checker holds confirm (a system permission such as grant.approve).
func (s *Service) RegisterSystem(name string, apply Applier, confirm access.Permission) {
	s.kinds[name] = kind{apply: apply, confirm: confirm}
}

// scope is the database scope of tenant's changes: a system-wide change
// (tenant "") is read and written with the system's scope.
func scope(ctx context.Context, tenant string) context.Context {
	if tenant == "" {
		return store.WithScope(ctx, store.AllTenants)
	}
	return store.WithScope(ctx, tenant)
}

// changeKey carries the ID of the change being applied to its Applier.
type changeKey struct{}

// ChangeOf returns, inside an Applier, the ID of the confirmed change it
// applies (a module that marks rows with the change that wrote them).
func ChangeOf(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(changeKey{}).(int64)
	return id, ok
}

func binding(tenant, ref string) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "review_changes", Column: "payload", Row: ref}
}

// Submit files a maker's proposal for tenant. The caller has checked the
// maker's right to make it (mynumber.enter, …).
func (s *Service) Submit(ctx context.Context, maker identity.User, tenant string, p Proposal) (Change, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	if _, ok := s.kinds[p.Kind]; !ok {
		return Change{}, errs.E(errs.Internal, "review: kind %q is not registered", p.Kind)
	}
	refBytes := make([]byte, 16)
	rand.Read(refBytes)
	ref := hex.EncodeToString(refBytes)
	sealed, ver, err := s.vault.Seal(ctx, binding(tenant, ref), p.Payload)
	if err != nil {
		return Change{}, err
	}
	blind := map[string]string{}
	for f, idx := range p.Blind {
		blind[f] = hex.EncodeToString(idx)
	}
	blindJSON, _ := json.Marshal(blind)
	var id int64
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var open int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND kind = $2 AND subject_type = $3 AND subject_id = $4 AND status = 'pending'`,
			tenant, p.Kind, p.Subject.Type, p.Subject.ID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return errs.Tell(errs.Conflict, errs.Message{
				JA: "この対象には、同じ種類の変更がすでに確認待ちになっています。先にその変更を確認または差し戻してもらってから、入力してください。",
				EN: "A change of this kind for the same record already awaits confirmation: have it confirmed or rejected first, then enter this one.",
			}, "a change of this kind for %s %s already awaits confirmation", p.Subject.Type, p.Subject.ID)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO review_changes (tenant_code, ref, kind, subject_type, subject_id, summary, seal_scope, payload_sealed,
			payload_key_version, blind, maker_id, maker_department, maker_section, made_at, status)
			VALUES ($1, $2, $3, $4, $5, $6, $1, $7, $8, $9, $10, $11, $12, $13, 'pending') RETURNING id`,
			tenant, ref, p.Kind, p.Subject.Type, p.Subject.ID, p.Summary, sealed, ver, string(blindJSON), maker.ID, maker.Department, maker.Section, s.now()).Scan(&id); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "review.submit", Subject: p.Subject, Outcome: audit.OK,
			Detail: "change=" + itoa(id) + " kind=" + p.Kind + " double_entry=" + strings.Join(sortedKeys(blind), ",")})
	})
	if err != nil {
		return Change{}, s.refused(ctx, tenant, "review.submit", p.Subject, err)
	}
	return s.Get(ctx, tenant, id)
}

// Confirm confirms change id of tenant and applies it. The checker is not
// the maker and holds review.confirm for tenant; every double-entry field
// must match what the maker entered. A mismatch names the fields, never
// the values; the third rejects the change.
func (s *Service) Confirm(ctx context.Context, checker identity.User, tenant string, id int64, reentered map[string][]byte) (Change, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	const action = "review.confirm"
	c, err := s.get(ctx, tenant, id)
	subject := audit.Subject{Type: c.SubjectType, ID: c.Subject}
	if err == nil {
		err = s.checkChecker(ctx, checker, c)
	}
	if err != nil {
		return Change{}, s.refused(ctx, tenant, action, subjectOr(subject, id), err)
	}
	if wrong := mismatched(c.blind, reentered); len(wrong) > 0 {
		return Change{}, s.mismatch(ctx, checker, c, wrong)
	}
	apply := s.kinds[c.Kind].apply
	if apply == nil {
		return Change{}, errs.E(errs.Internal, "review: kind %q is not registered", c.Kind)
	}
	// Opened before the transaction: the vault may read its keys from the
	// pool, which a transaction must not.
	payload, err := s.vault.Open(ctx, binding(tenant, c.ref), c.sealedPayload)
	if err != nil {
		return Change{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE review_changes SET status = 'confirmed', checker_id = $1, decided_at = $2
			WHERE id = $3 AND tenant_code = $4 AND status = 'pending'`, checker.ID, s.now(), id, tenant)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDecidedMeanwhile(id)
		}
		if err := apply(context.WithValue(ctx, changeKey{}, id), tx, tenant, payload); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "change=" + itoa(id) + " kind=" + c.Kind + " maker=" + c.Maker})
	})
	if err != nil {
		return Change{}, s.refused(ctx, tenant, action, subject, err)
	}
	return s.Get(ctx, tenant, id)
}

// Reject refuses change id with a reason; nothing is applied.
func (s *Service) Reject(ctx context.Context, checker identity.User, tenant string, id int64, reason string) (Change, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	const action = "review.reject"
	c, err := s.get(ctx, tenant, id)
	subject := audit.Subject{Type: c.SubjectType, ID: c.Subject}
	reason = strings.TrimSpace(reason)
	if err == nil {
		err = s.checkChecker(ctx, checker, c)
	}
	if err == nil {
		err = checkReason(reason, true, errs.Message{JA: "差戻しの理由を200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
	}
	if err == nil {
		err = s.decide(ctx, checker, c, Rejected, reason, action)
	}
	if err != nil {
		return Change{}, s.refused(ctx, tenant, action, subjectOr(subject, id), err)
	}
	return s.Get(ctx, tenant, id)
}

func (s *Service) decide(ctx context.Context, checker identity.User, c Change, to, reason, action string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE review_changes SET status = $1, checker_id = $2, decided_at = $3, reason = $4
			WHERE id = $5 AND tenant_code = $6 AND status = 'pending'`, to, checker.ID, s.now(), reason, c.ID, c.Tenant)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDecidedMeanwhile(c.ID)
		}
		if to == Rejected {
			if err := s.rejected(ctx, tx, c, Rejected, reason); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: c.Tenant, Action: action, Subject: audit.Subject{Type: c.SubjectType, ID: c.Subject},
			Outcome: audit.OK, Detail: "change=" + itoa(c.ID) + " kind=" + c.Kind + " maker=" + c.Maker + " reason=" + reason})
	})
}

// checkReason checks the reason a change is rejected or withdrawn with:
// at most 200 characters (and given, when required; tooLong says so) and
// no My Number in it — the maker and the queue read it, and a number is
// never shown after entry (R-AC-4).
func checkReason(reason string, required bool, tooLong errs.Message) error {
	var fe errs.FieldErrors
	switch {
	case (required && reason == "") || utf8.RuneCountInString(reason) > 200:
		fe.Add("reason", tooLong)
	case mynumber.Holds(reason):
		fe.Add("reason", mynumber.InFreeText)
	}
	return fe.Err()
}

var errOwnChange = errs.Tell(errs.Forbidden, errs.Message{
	JA: "自分が入力した内容は確認・差戻しできません。別の職員が確認します。",
	EN: "You cannot confirm or reject your own entry: another staff member does.",
}, "you cannot confirm or reject your own entry")

// errDecidedMeanwhile says another checker decided change id first.
func errDecidedMeanwhile(id int64) error {
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "この変更は、ほかの職員が先に確認または差し戻しました。確認待ちの一覧を開き直してください。",
		EN: "Another staff member confirmed or rejected this change first: open the list of changes awaiting confirmation again.",
	}, "change %d was decided meanwhile", id)
}

// statusWords names a change's status as the review pages do.
var statusWords = map[string]errs.Message{
	Confirmed: {JA: "確認済み", EN: "confirmed"},
	Rejected:  {JA: "差戻し済み", EN: "rejected"},
	Withdrawn: {JA: "取下げ済み", EN: "withdrawn"},
}

func (s *Service) checkChecker(ctx context.Context, checker identity.User, c Change) error {
	rights, err := s.rights.RightsOf(ctx, checker.ID)
	if err != nil {
		return err
	}
	switch {
	case checker.ID == c.makerID:
		return errOwnChange
	case !rights.Has(s.kinds[c.Kind].confirm, c.Tenant):
		return errs.Tell(errs.Forbidden, access.Lacking(s.kinds[c.Kind].confirm), "%s does not hold %s for %q", checker.LoginID, s.kinds[c.Kind].confirm, c.Tenant)
	case c.Status != Pending:
		w := statusWords[c.Status]
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "この変更はすでに" + w.JA + "のため、確認も差戻しもできません。確認待ちの一覧を開き直してください。",
			EN: "This change is already " + w.EN + ", so it can no longer be confirmed or rejected: open the list of changes awaiting confirmation again.",
		}, "change %d is %s, not pending", c.ID, c.Status)
	}
	return nil
}

// mismatched lists the double-entry fields whose re-entered blind index
// differs from (or lacks) the maker's.
func mismatched(want map[string]string, got map[string][]byte) []string {
	var wrong []string
	for f, w := range want {
		wb, _ := hex.DecodeString(w)
		g, ok := got[f]
		if !ok || subtle.ConstantTimeCompare(wb, g) != 1 {
			wrong = append(wrong, f)
		}
	}
	slices.Sort(wrong)
	return wrong
}

// mismatch counts a failed double entry, rejecting the change at the
// limit, and answers naming the fields.
func (s *Service) mismatch(ctx context.Context, checker identity.User, c Change, wrong []string) error {
	subject := audit.Subject{Type: c.SubjectType, ID: c.Subject}
	rejected := false
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `UPDATE review_changes SET mismatches = mismatches + 1 WHERE id = $1 AND status = 'pending' RETURNING mismatches`, c.ID).Scan(&n); err != nil {
			return store.ScanErr(err, "change "+itoa(c.ID))
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: c.Tenant, Action: "review.confirm", Subject: subject, Outcome: audit.Denied,
			Detail: "change=" + itoa(c.ID) + " reason=double_entry_mismatch fields=" + strings.Join(wrong, ",") + " mismatches=" + strconv.Itoa(n)}); err != nil {
			return err
		}
		if n < MaxMismatches {
			return nil
		}
		rejected = true
		// The maker reads the reason on their own entries' page.
		why := "確認者の再入力が" + strconv.Itoa(n) + "回一致しませんでした（double entry did not match " + strconv.Itoa(n) + " times）"
		if _, err := tx.Exec(ctx, `UPDATE review_changes SET status = 'rejected', checker_id = $1, decided_at = $2, reason = $3 WHERE id = $4`,
			checker.ID, s.now(), why, c.ID); err != nil {
			return err
		}
		if err := s.rejected(ctx, tx, c, Rejected, why); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: c.Tenant, Action: "review.reject", Subject: subject, Outcome: audit.OK,
			Detail: "change=" + itoa(c.ID) + " reason=double_entry_mismatch_limit"})
	})
	if err != nil {
		return err
	}
	var fe errs.FieldErrors
	for _, f := range wrong {
		msg := errs.Message{JA: "最初の入力と一致しません。証拠書類を確かめてください", EN: "does not match the first entry; check the evidence document"}
		if rejected {
			msg = errs.Message{JA: "一致しない入力が続いたため、この変更は差し戻されました", EN: "did not match too many times: the change was rejected"}
		}
		fe.Add(f, msg)
	}
	return fe.Err()
}

const selectChange = `SELECT c.id, c.tenant_code, c.ref, c.kind, c.subject_type, c.subject_id, c.summary, c.payload_sealed, c.blind,
	c.maker_id, m.login_id, m.name, c.maker_department || ' ' || c.maker_section, c.made_at, c.status, c.mismatches,
	COALESCE(k.login_id, ''), c.decided_at, c.reason
	FROM review_changes c JOIN staff_users m ON m.id = c.maker_id LEFT JOIN staff_users k ON k.id = c.checker_id`

func scanChange(row interface{ Scan(...any) error }) (Change, error) {
	var c Change
	var blind string
	var decided sql.NullTime
	err := row.Scan(&c.ID, &c.Tenant, &c.ref, &c.Kind, &c.SubjectType, &c.Subject, &c.Summary, &c.sealedPayload, &blind,
		&c.makerID, &c.Maker, &c.MakerName, &c.MakerSection, &c.MadeAt, &c.Status, &c.Mismatches, &c.Checker, &decided, &c.Reason)
	if err != nil {
		return c, err
	}
	c.MadeAt, c.DecidedAt = c.MadeAt.UTC(), decided.Time.UTC()
	if err := json.Unmarshal([]byte(blind), &c.blind); err != nil {
		return c, errs.Wrap(errs.Internal, err, "review change %d: blind fields", c.ID)
	}
	c.BlindFields = sortedKeys(c.blind)
	return c, nil
}

// Get returns change id of tenant; a change of another municipality is
// "not found", never "forbidden", so that its existence does not leak.
func (s *Service) Get(ctx context.Context, tenant string, id int64) (Change, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	return s.get(ctx, tenant, id)
}

func (s *Service) get(ctx context.Context, tenant string, id int64) (Change, error) {
	var c Change
	err := s.db.Read(scope(ctx, tenant), func(q store.Querier) (err error) {
		c, err = scanChange(q.QueryRow(ctx, selectChange+` WHERE c.id = $1 AND c.tenant_code = $2`, id, tenant))
		return err
	})
	if err != nil {
		return Change{}, store.ScanErr(err, "change "+itoa(id))
	}
	return c, nil
}

// Queue returns one page of the pending changes of tenant made in one
// section (all sections when department and section are both empty),
// oldest first: cursor is a page's Next ("" for the first page), limit
// is clamped by store.Limit.
func (s *Service) Queue(ctx context.Context, tenant, department, section, cursor string, limit int) (store.Page[Change], error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	q := selectChange + ` WHERE c.tenant_code = $1 AND c.status = 'pending'`
	args := []any{tenant}
	if department != "" || section != "" {
		q += ` AND c.maker_department = $2 AND c.maker_section = $3`
		args = append(args, department, section)
	}
	var after int64
	if ok, err := store.DecodeCursor(cursor, "review", &after); err != nil {
		return store.Page[Change]{}, err
	} else if ok {
		args = append(args, after)
		q += ` AND c.id > $` + strconv.Itoa(len(args))
	}
	limit = store.Limit(limit)
	args = append(args, limit+1)
	var out []Change
	// IDs follow the order changes were made in: the oldest first.
	err := s.db.Read(ctx, func(db store.Querier) (err error) {
		out, err = store.Rows(scanChange)(db.Query(ctx, q+` ORDER BY c.id LIMIT $`+strconv.Itoa(len(args)), args...))
		return err
	})
	if err != nil {
		return store.Page[Change]{}, err
	}
	return store.PageOf(out, limit, "review", func(c Change) []any { return []any{c.ID} }), nil
}

// CountQueue counts what Queue lists, however many.
func (s *Service) CountQueue(ctx context.Context, tenant, department, section string) (int, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	q := `SELECT count(*) FROM review_changes c WHERE c.tenant_code = $1 AND c.status = 'pending'`
	args := []any{tenant}
	if department != "" || section != "" {
		q += ` AND c.maker_department = $2 AND c.maker_section = $3`
		args = append(args, department, section)
	}
	var n int
	err := s.db.Read(ctx, func(db store.Querier) error { return db.QueryRow(ctx, q, args...).Scan(&n) })
	return n, store.Translate(err)
}

// PendingFor reports whether subject of tenant has a change of kind waiting.
func (s *Service) PendingFor(ctx context.Context, tenant, kind string, subject audit.Subject) (bool, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	var n int
	err := s.db.Read(ctx, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND kind = $2 AND subject_type = $3 AND subject_id = $4 AND status = 'pending'`,
			tenant, kind, subject.Type, subject.ID).Scan(&n)
	})
	return n > 0, store.Translate(err)
}

// refused records a refused step and returns err.
func (s *Service) refused(ctx context.Context, tenant, action string, subject audit.Subject, err error) error {
	return audit.Refused(ctx, s.db, tenant, action, subject, err)
}

func subjectOr(s audit.Subject, id int64) audit.Subject {
	if s.Type == "" {
		return audit.Subject{Type: "review_change", ID: itoa(id)}
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
