package access

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Pattern scopes.
const (
	ScopeTenant = "tenant" // granted for one municipality
	ScopeSystem = "system" // holds for the whole system
)

// Pattern is a named set of permissions for one affiliation and job.
type Pattern struct {
	ID          int64        `json:"id"`
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	Affiliation string       `json:"affiliation"`
	Job         string       `json:"job"`
	Scope       string       `json:"scope"`
	Builtin     bool         `json:"builtin"`
	Permissions []Permission `json:"permissions"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// DefaultPatterns are the roles of design.md, shipped so that a new system
// can be used at once; IS administrators edit them like any other.
var DefaultPatterns = []Pattern{
	{Code: "nhi-clerk", Name: "国保担当（業務担当）", Affiliation: "国民健康保険担当課", Job: "資格・賦課・給付の入力と照会", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, ResidentWrite, MyNumberEnter, NHIRead, NHIWrite}},
	{Code: "nhi-checker", Name: "国保担当（確認者）", Affiliation: "国民健康保険担当課", Job: "入力内容の確認", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, NHIRead, ReviewConfirm}},
	// The section's yearly batches are the section head's to start, not
	// every clerk's: they decide every household of the municipality at once.
	{Code: "nhi-admin", Name: "国保担当（管理者）", Affiliation: "国民健康保険担当課", Job: "負担割合の年次判定など年次処理の実行と照会", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, NHIRead, NHIAdmin}},
	{Code: "pubmed-clerk", Name: "公費負担医療担当（業務担当）", Affiliation: "保健所（地域保健担当）", Job: "指定難病・小児慢性特定疾病の申請の入力・決定と照会", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, MyNumberEnter, PubmedRead, PubmedWrite}},
	{Code: "pubmed-checker", Name: "公費負担医療担当（確認者）", Affiliation: "保健所（地域保健担当）", Job: "入力内容の確認", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, PubmedRead, ReviewConfirm}},
	// Only the resident-records section's window starts an issuance of the
	// card's certificates (公的個人認証, R-JPKI-1).
	{Code: "resident-records-clerk", Name: "住民記録担当（窓口）", Affiliation: "戸籍住民課", Job: "公的個人認証の電子証明書の発行・失効と宛名の照会", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, JPKIIssue}},
	{Code: "number-viewer", Name: "個人番号閲覧者", Affiliation: "国民健康保険担当課", Job: "個人番号の事後確認", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, MyNumberReveal}},
	{Code: "section-head", Name: "所属長", Affiliation: "業務所管課", Job: "所属職員の権限申請・抽出申請", Scope: ScopeTenant,
		Permissions: []Permission{ResidentRead, GrantApply, ExportRequest}},
	{Code: "privacy-manager", Name: "保護管理者", Affiliation: "個人情報保護担当", Job: "抽出承認・表示記録と警告の点検", Scope: ScopeTenant,
		Permissions: []Permission{ExportApprove, AlertReview, AuditRead}},
	{Code: "linkage", Name: "データ連携", Affiliation: "国民健康保険担当課", Job: "連携ファイルの送受信", Scope: ScopeTenant,
		Permissions: []Permission{LinkageRun}},
	// The IS department's work is split in two so that whoever makes
	// accounts is not also whoever approves their rights.
	{Code: "is-admin", Name: "情報システム管理者", Affiliation: "情報システム部門", Job: "職員・端末・パターンの管理、権限の申請", Scope: ScopeSystem,
		Permissions: []Permission{GrantApply, PatternAdmin, UserAdmin, TerminalAdmin, AuditRead}},
	{Code: "is-approver", Name: "情報システム部門 権限承認者", Affiliation: "情報システム部門", Job: "権限付与の承認", Scope: ScopeSystem,
		Permissions: []Permission{GrantApprove, AuditRead}},
	{Code: "auditor", Name: "監査担当", Affiliation: "監査部門", Job: "監査ログの検索・報告（変更不可）", Scope: ScopeSystem,
		Permissions: []Permission{AuditRead}},
}

// Service keeps patterns and grants and answers rights.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// NewService returns a Service.
func NewService(db *store.DB) *Service {
	return &Service{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock, for tests of grant periods.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SeedDefaults adds the default patterns that are not there yet; an
// edited default is left as the administrators made it.
func (s *Service) SeedDefaults(ctx context.Context) (int, error) {
	added := 0
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		added = 0
		for _, p := range DefaultPatterns {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM access_patterns WHERE code = $1`, p.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			p.Builtin = true
			if _, err := s.insertPattern(ctx, tx, p); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// checkPattern validates p: names, scope, and that every permission exists
// and fits the scope (a municipality's pattern cannot hold a system right,
// nor a system pattern a right over one municipality's records).
func checkPattern(p Pattern) error {
	var fe errs.FieldErrors
	if !validCode(p.Code) {
		fe.Add("code", errs.Message{JA: "英小文字・数字・「-」の2〜40文字です", EN: "must be 2 to 40 lower-case letters, digits or '-'"})
	}
	for field, v := range map[string]string{"name": p.Name, "affiliation": p.Affiliation, "job": p.Job} {
		if field == "name" && strings.TrimSpace(v) == "" {
			fe.Add(field, errs.Message{JA: "入力されていません", EN: "is required"})
		}
		if utf8.RuneCountInString(v) > 80 {
			fe.Add(field, errs.Message{JA: "80文字以内です", EN: "must be at most 80 characters"})
		}
	}
	if p.Scope != ScopeTenant && p.Scope != ScopeSystem {
		fe.Add("scope", errs.Message{JA: "「団体ごと」か「システム全体」を選んでください", EN: "choose per municipality or system-wide"})
	}
	if len(p.Permissions) == 0 {
		fe.Add("permissions", errs.Message{JA: "一つ以上選んでください", EN: "choose at least one"})
	}
	for _, perm := range p.Permissions {
		info, ok := catalogue[perm]
		switch {
		case !ok:
			fe.Add("permissions", errs.Message{JA: "「" + string(perm) + "」は権限の一覧にありません。一覧から選んでください", EN: "“" + string(perm) + "” is not in the permission catalogue: choose from the list"})
		case p.Scope == ScopeTenant && info.Reach == SystemOnly:
			fe.Add("permissions", errs.Message{JA: "「" + info.JA + "」はシステム全体の権限のため、団体ごとのパターンには含められません。外すか、範囲を「システム全体」にしてください",
				EN: "“" + info.EN + "” is a system-wide right and cannot be in a per-municipality pattern: untick it, or make the pattern system-wide"})
		case p.Scope == ScopeSystem && info.Reach == InTenant:
			fe.Add("permissions", errs.Message{JA: "「" + info.JA + "」は団体ごとの権限のため、システム全体のパターンには含められません。外すか、範囲を「団体ごと」にしてください",
				EN: "“" + info.EN + "” holds per municipality and cannot be in a system-wide pattern: untick it, or make the pattern per municipality"})
		}
	}
	return fe.Err()
}

func validCode(c string) bool {
	if len(c) < 2 || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func (s *Service) insertPattern(ctx context.Context, tx *store.Tx, p Pattern) (int64, error) {
	if err := checkPattern(p); err != nil {
		return 0, err
	}
	now := s.now()
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO access_patterns (code, name, affiliation, job, scope, builtin, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, p.Code, p.Name, p.Affiliation, p.Job, p.Scope, p.Builtin, now).Scan(&id); err != nil {
		return 0, store.Translate(err)
	}
	if err := setPermissions(ctx, tx, id, p.Permissions); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, audit.Event{Action: "pattern.create", Subject: audit.Subject{Type: "pattern", ID: p.Code},
		Outcome: audit.OK, Detail: "scope=" + p.Scope + " permissions=" + joinPerms(p.Permissions)})
}

func setPermissions(ctx context.Context, tx *store.Tx, id int64, perms []Permission) error {
	if _, err := tx.Exec(ctx, `DELETE FROM access_pattern_permissions WHERE pattern_id = $1`, id); err != nil {
		return err
	}
	seen := map[Permission]bool{}
	for _, p := range perms {
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := tx.Exec(ctx, `INSERT INTO access_pattern_permissions (pattern_id, permission) VALUES ($1, $2)`, id, string(p)); err != nil {
			return err
		}
	}
	return nil
}

func joinPerms(ps []Permission) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = string(p)
	}
	slices.Sort(ss)
	return strings.Join(slices.Compact(ss), ",")
}

func (s *Service) updatePattern(ctx context.Context, tx *store.Tx, p Pattern) error {
	old, err := patternIn(ctx, tx, p.Code)
	if err != nil {
		return err
	}
	p.Scope = old.Scope
	if err := checkPattern(p); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE access_patterns SET name = $1, affiliation = $2, job = $3, updated_at = $4 WHERE id = $5`,
		p.Name, p.Affiliation, p.Job, s.now(), old.ID); err != nil {
		return err
	}
	if err := setPermissions(ctx, tx, old.ID, p.Permissions); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "pattern.update", Subject: audit.Subject{Type: "pattern", ID: p.Code},
		Outcome: audit.OK, Detail: "from=" + joinPerms(old.Permissions) + " to=" + joinPerms(p.Permissions)})
}

// KindPattern is the maker–checker kind of a pattern change: patterns
// decide everyone's rights, so a change waits for a second person who
// approves rights (grant.approve) before it holds.
const KindPattern = "access.pattern"

// PatternProposal is a new or changed pattern as its approver sees it:
// the permissions it adds and removes, and the payload ApplyPattern
// applies once a second person confirms (R-AC-3).
type PatternProposal struct {
	Pattern Pattern
	New     bool
	Added   []Permission
	Removed []Permission
	Summary string // for the approver's queue, in Japanese as kept
	Payload []byte
}

// PatternChange checks a new or changed pattern (IS administrators,
// R-AC-2) and returns what the review engine keeps until a holder of
// grant.approve other than its author confirms it. A pattern's code and
// scope do not change.
func (s *Service) PatternChange(ctx context.Context, p Pattern) (PatternProposal, error) {
	p.Builtin = false
	pp := PatternProposal{}
	old, err := s.Pattern(ctx, p.Code)
	switch {
	case err == nil:
		p.Scope = old.Scope
	case errs.Is(err, errs.NotFound):
		pp.New = true
	default:
		return pp, err
	}
	if err := checkPattern(p); err != nil {
		return pp, err
	}
	p.Permissions = compact(p.Permissions)
	pp.Added, pp.Removed = diffPermissions(old.Permissions, p.Permissions)
	if !pp.New && len(pp.Added) == 0 && len(pp.Removed) == 0 && old.Name == p.Name && old.Affiliation == p.Affiliation && old.Job == p.Job {
		return pp, errs.Tell(errs.Invalid, errs.Message{
			JA: "変更された項目がありません。権限・名称・所属・職名のいずれかを変えてから保存してください。",
			EN: "Nothing was changed: change the permissions, name, affiliation or job before saving.",
		}, "pattern %s: nothing would change", p.Code)
	}
	verb := "変更"
	if pp.New {
		verb = "追加（" + p.Scope + "）"
	}
	pp.Summary = "権限パターンの" + verb + ": " + p.Code + " " + p.Name + " — 追加: " + permsOrNone(pp.Added) + " / 削除: " + permsOrNone(pp.Removed)
	pp.Pattern = p
	pp.Payload, err = json.Marshal(patternPayload{Pattern: p, New: pp.New, From: compact(old.Permissions)})
	return pp, err
}

// patternPayload is a pattern change as the review engine keeps it: the
// pattern wanted and the permissions it had when the change was made, so
// that a change confirmed after another one cannot silently undo it.
type patternPayload struct {
	Pattern Pattern      `json:"pattern"`
	New     bool         `json:"new"`
	From    []Permission `json:"from"`
}

func compact(ps []Permission) []Permission {
	out := slices.Clone(ps)
	slices.Sort(out)
	return slices.Compact(out)
}

// diffPermissions lists what to has that from lacks, and the reverse.
func diffPermissions(from, to []Permission) (added, removed []Permission) {
	for _, p := range to {
		if !slices.Contains(from, p) {
			added = append(added, p)
		}
	}
	for _, p := range from {
		if !slices.Contains(to, p) {
			removed = append(removed, p)
		}
	}
	return compact(added), compact(removed)
}

func permsOrNone(ps []Permission) string {
	if len(ps) == 0 {
		return "なし"
	}
	return joinPerms(ps)
}

// ApplyPattern applies a confirmed pattern change inside the confirming
// transaction: it creates the pattern or updates it.
func (s *Service) ApplyPattern(ctx context.Context, tx *store.Tx, _ string, payload []byte) error {
	var pp patternPayload
	if err := json.Unmarshal(payload, &pp); err != nil {
		return errs.Wrap(errs.Internal, err, "access: pattern change")
	}
	cur, err := patternIn(ctx, tx, pp.Pattern.Code)
	switch {
	case err == nil && pp.New:
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "同じコードのパターン「" + cur.Name + "」が、この変更の後に作られました。この変更は却下し、今のパターンを見てから作り直してください。",
			EN: "A pattern with this code (“" + cur.Name + "”) was created after this change was made: reject this change, then make it again from the current pattern.",
		}, "pattern %s was created meanwhile: reject this change and make it again", pp.Pattern.Code)
	case err == nil && !slices.Equal(compact(cur.Permissions), pp.From):
		return errs.Tell(errs.Conflict, errs.Message{
			JA: "パターン「" + cur.Name + "」は、この変更の後に別の変更で変わりました。この変更は却下し、今の内容から作り直してください。",
			EN: "The pattern “" + cur.Name + "” was changed by another change after this one was made: reject this change, then make it again from the current pattern.",
		}, "pattern %s changed since this change was made: reject it and make it again", pp.Pattern.Code)
	case err == nil:
		return s.updatePattern(ctx, tx, pp.Pattern)
	case errs.Is(err, errs.NotFound) && pp.New:
		_, err = s.insertPattern(ctx, tx, pp.Pattern)
		return err
	default:
		return err
	}
}

// Pattern returns the pattern with code.
func (s *Service) Pattern(ctx context.Context, code string) (Pattern, error) {
	var p Pattern
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		p, err = patternIn(ctx, q, code)
		return err
	})
	return p, err
}

func patternIn(ctx context.Context, q store.Querier, code string) (Pattern, error) {
	var p Pattern
	err := q.QueryRow(ctx, `SELECT id, code, name, affiliation, job, scope, builtin, updated_at FROM access_patterns WHERE code = $1`, code).
		Scan(&p.ID, &p.Code, &p.Name, &p.Affiliation, &p.Job, &p.Scope, &p.Builtin, &p.UpdatedAt)
	if err != nil {
		return p, store.ScanErr(err, "pattern "+code)
	}
	p.Permissions, err = store.Rows(scanPermission)(q.Query(ctx, `SELECT permission FROM access_pattern_permissions WHERE pattern_id = $1 ORDER BY permission`, p.ID))
	return p, err
}

func scanPermission(row store.Scanner) (Permission, error) {
	var perm string
	err := row.Scan(&perm)
	return Permission(perm), err
}

// Patterns lists every pattern with its permissions.
func (s *Service) Patterns(ctx context.Context) ([]Pattern, error) {
	var out []Pattern
	// One row per permission: each pattern's rows are folded into it.
	err := store.Each(func(row store.Scanner) error {
		var p Pattern
		var perm string
		if err := row.Scan(&p.Code, &p.Name, &p.Affiliation, &p.Job, &p.Scope, &p.Builtin, &p.UpdatedAt, &p.ID, &perm); err != nil {
			return err
		}
		if n := len(out); n == 0 || out[n-1].ID != p.ID {
			out = append(out, p)
		}
		if perm != "" {
			out[len(out)-1].Permissions = append(out[len(out)-1].Permissions, Permission(perm))
		}
		return nil
	})(s.db.Query(ctx, `SELECT p.code, p.name, p.affiliation, p.job, p.scope, p.builtin, p.updated_at, p.id, COALESCE(pp.permission, '')
		FROM access_patterns p LEFT JOIN access_pattern_permissions pp ON pp.pattern_id = p.id ORDER BY p.scope DESC, p.code, pp.permission`))
	if err != nil {
		return nil, err
	}
	return out, nil
}
