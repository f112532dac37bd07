// Package access decides who may do what, where (R-AC-1…3, R-AC-6): a
// fixed catalogue of permissions, patterns that group them by affiliation
// and job, and grants of a pattern to one staff member for one
// municipality, applied for by a section head and approved by the IS
// department. Rights are per user, never per terminal, and are read from
// the database at every request, so a grant's end or revocation takes
// effect at once.
package access

import "sort"

// Permission is one right from the catalogue.
type Permission string

// The catalogue. Business modules add theirs here; a pattern can hold only
// names from this list.
const (
	ResidentRead   Permission = "resident.read"   // query address records (宛名)
	ResidentWrite  Permission = "resident.write"  // register and change them
	MyNumberEnter  Permission = "mynumber.enter"  // key in a My Number
	MyNumberReveal Permission = "mynumber.reveal" // see a full My Number, with a purpose and step-up
	ReviewConfirm  Permission = "review.confirm"  // confirm or reject another's entry
	ExportRequest  Permission = "export.request"  // ask to export or copy data
	ExportApprove  Permission = "export.approve"  // approve an export (privacy manager)
	GrantApply     Permission = "grant.apply"     // apply for rights for one's section
	GrantApprove   Permission = "grant.approve"   // approve rights (IS department)
	PatternAdmin   Permission = "pattern.admin"   // edit patterns
	UserAdmin      Permission = "user.admin"      // manage staff accounts
	TerminalAdmin  Permission = "terminal.admin"  // manage designated terminals
	AuditRead      Permission = "audit.read"      // search the audit log, access reports
	AlertReview    Permission = "alert.review"    // review reveals and alerts
	LinkageRun     Permission = "linkage.run"     // run data linkage
	NHIRead        Permission = "nhi.read"        // query NHI households and insured persons
	NHIWrite       Permission = "nhi.write"       // enter NHI acquisitions, losses, household changes and incomes
	NHIAdmin       Permission = "nhi.admin"       // run the NHI section's yearly batches (the 70–74 cost-share decision), a right of the section head
	PubmedRead     Permission = "pubmed.read"     // query public-expense medical care recipients and applications
	PubmedWrite    Permission = "pubmed.write"    // enter and decide public-expense applications, co-payments, evidence papers
	JPKIIssue      Permission = "jpki.issue"      // issue and revoke the My Number card's certificates at the window (公的個人認証)
)

// Reach says where a permission can hold.
type Reach int

const (
	// InTenant permissions hold for the municipality of their grant.
	InTenant Reach = iota
	// SystemOnly permissions concern the system itself (accounts,
	// terminals, patterns) and come only from system patterns.
	SystemOnly
	// Either permissions may be held for one municipality or, through a
	// system pattern, for all (an auditor of the whole union).
	Either
)

// Info describes a permission for the pattern editor.
type Info struct {
	Name  Permission `json:"name"`
	Reach Reach      `json:"reach"`
	JA    string     `json:"ja"`
	EN    string     `json:"en"`
}

var catalogue = map[Permission]Info{
	ResidentRead:   {ResidentRead, InTenant, "宛名の照会", "Query address records"},
	ResidentWrite:  {ResidentWrite, InTenant, "宛名の登録・変更", "Register and change address records"},
	MyNumberEnter:  {MyNumberEnter, InTenant, "個人番号の入力", "Enter My Numbers"},
	MyNumberReveal: {MyNumberReveal, InTenant, "個人番号の表示（目的・再認証が必要）", "Reveal My Numbers (purpose and step-up required)"},
	ReviewConfirm:  {ReviewConfirm, InTenant, "入力内容の確認・差戻し", "Confirm or reject entries"},
	ExportRequest:  {ExportRequest, InTenant, "データ抽出・複製の申請", "Request exports and copies"},
	ExportApprove:  {ExportApprove, InTenant, "データ抽出・複製の承認", "Approve exports and copies"},
	GrantApply:     {GrantApply, Either, "所属職員の権限申請", "Apply for rights for one's section"},
	GrantApprove:   {GrantApprove, SystemOnly, "権限付与の承認", "Approve rights"},
	PatternAdmin:   {PatternAdmin, SystemOnly, "権限パターンの編集", "Edit access patterns"},
	UserAdmin:      {UserAdmin, SystemOnly, "職員アカウントの管理", "Manage staff accounts"},
	TerminalAdmin:  {TerminalAdmin, SystemOnly, "指定端末の管理", "Manage designated terminals"},
	AuditRead:      {AuditRead, Either, "監査ログの検索・アクセス報告", "Search the audit log and access reports"},
	AlertReview:    {AlertReview, Either, "表示記録・警告の点検", "Review reveals and alerts"},
	LinkageRun:     {LinkageRun, InTenant, "データ連携の実行", "Run data linkage"},
	NHIRead:        {NHIRead, InTenant, "国保資格の照会", "Query NHI eligibility"},
	NHIWrite:       {NHIWrite, InTenant, "国保資格の取得・喪失・世帯変更・所得の入力", "Enter NHI acquisitions, losses, household changes and incomes"},
	NHIAdmin:       {NHIAdmin, InTenant, "国保の年次処理（負担割合の年次判定など）の実行", "Run the NHI section's yearly batches (the yearly cost-share decision and the like)"},
	PubmedRead:     {PubmedRead, InTenant, "公費負担医療（指定難病・小児慢性特定疾病）の照会", "Query public-expense medical care"},
	PubmedWrite:    {PubmedWrite, InTenant, "公費負担医療の申請の入力・決定、自己負担額・証拠書類の記録", "Enter and decide public-expense applications, record co-payments and evidence papers"},
	JPKIIssue:      {JPKIIssue, InTenant, "公的個人認証の電子証明書の発行・失効", "Issue and revoke the My Number card's certificates (JPKI)"},
}

// Catalogue lists every permission, sorted by name.
func Catalogue() []Info {
	out := make([]Info, 0, len(catalogue))
	for _, i := range catalogue {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Known reports whether p is in the catalogue.
func Known(p Permission) bool { _, ok := catalogue[p]; return ok }

// InfoOf describes p.
func InfoOf(p Permission) (Info, bool) { i, ok := catalogue[p]; return i, ok }
