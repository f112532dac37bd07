package pubmed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mnhold"
	"bango/internal/mynumber"
	"bango/internal/resident"
	"bango/internal/review"
	"bango/internal/store"
)

// The kinds of application (申請).
const (
	AppNew     = "new"     // 新規
	AppRenewal = "renewal" // 更新
	AppChange  = "change"  // 変更（階層区分・指定医療機関等）
	AppCancel  = "cancel"  // 取消（返還）
)

// AppKinds are the kinds a form offers, in order.
var AppKinds = []string{AppNew, AppRenewal, AppChange, AppCancel}

// The states of an application.
const (
	StatusReceived = "received" // 受付（確認済み）、決定待ち
	StatusApproved = "approved" // 認定
	StatusRejected = "rejected" // 却下
)

// MaxInstitutions is the most designated medical institutions one
// certificate names.
const MaxInstitutions = 10

// ApplicationInput is an application as typed from the paper received at
// a health centre. A renewal, change or cancellation names the
// certificate it concerns; a change or cancellation its first day.
type ApplicationInput struct {
	Kind         string `json:"kind"`
	ResidentCode string `json:"resident_code"`
	Programme    string `json:"programme"`
	DiseaseCode  string `json:"disease_code"`
	// The household's tax and income, from which the income category
	// (階層区分) follows by the tier rule in force (DetermineTier): the
	// status (welfare, exempt, levied), the total 所得割 when levied, the
	// yearly income when exempt. A cancellation needs none.
	TaxStatus    string `json:"tax_status"`
	IncomeLevy   *int64 `json:"income_levy,omitempty"`
	AnnualIncome *int64 `json:"annual_income,omitempty"`
	// Category, when it differs from the rule's, overrides it; it then
	// needs CategoryReason, kept with who chose it.
	Category       string   `json:"category,omitempty"`
	CategoryReason string   `json:"category_reason,omitempty"`
	Flags          []string `json:"flags"`
	Institutions   []string `json:"institutions"`
	HealthCentre   string   `json:"health_centre"`
	ReceivedOn     string   `json:"received_on"`
	EffectiveOn    string   `json:"effective_on,omitempty"`
	Certificate    int64    `json:"certificate,omitempty"`
	// MyNumber is the applicant's 個人番号 as typed from the application
	// and the number evidence document (R-PUB-2): the checker keys it
	// again blind (R-ACC-1), and nobody sees it after (R-AC-4).
	MyNumber string `json:"mynumber,omitempty"`
	// IdentityMethod is how the applicant's identity was verified at
	// intake (R-ACC-4): mynumber_card, notification_card_photo_id or
	// signature_certificate; needed with a My Number.
	IdentityMethod string `json:"identity_method,omitempty"`
}

// application is a checked ApplicationInput, the payload of
// KindApplication.
type application struct {
	Kind         string    `json:"kind"`
	ResidentCode string    `json:"resident_code"`
	Programme    string    `json:"programme"`
	DiseaseCode  string    `json:"disease_code"`
	Category     string    `json:"category"`
	Flags        []string  `json:"flags"`
	Institutions []string  `json:"institutions"`
	HealthCentre string    `json:"health_centre"`
	ReceivedOn   time.Time `json:"received_on"`
	EffectiveOn  time.Time `json:"effective_on,omitzero"`
	Certificate  int64     `json:"certificate,omitempty"`
	Tier         *Tier     `json:"tier,omitempty"`
	// The resident module's sealed proposal of the number, when the
	// resident has none yet: applied with the application.
	MyNumberProposal   []byte `json:"mynumber_proposal,omitempty"`
	MyNumberEntered    bool   `json:"mynumber_entered,omitempty"`
	VerificationID     int64  `json:"verification_id,omitempty"`
	VerificationMethod string `json:"verification_method,omitempty"`
	number             mynumber.Number
}

var (
	msgRequired  = errs.Message{JA: "入力されていません", EN: "is required"}
	msgDate      = errs.Message{JA: "YYYY-MM-DD の形式の正しい日付で入力してください", EN: "must be a valid date as YYYY-MM-DD"}
	msgResident  = errs.Message{JA: "宛名番号は1〜15桁の数字です", EN: "must be 1 to 15 digits"}
	msgNoPerson  = errs.Message{JA: "この宛名番号の住民はいません", EN: "no resident has this code"}
	msgKind      = errs.Message{JA: "申請の種類は 新規・更新・変更・取消 のいずれかです", EN: "the kind is one of new, renewal, change, cancel"}
	msgText      = errs.Message{JA: "1〜100文字で、制御文字を含めずに入力してください", EN: "must be 1 to 100 characters without control characters"}
	msgTooMany   = errs.Message{JA: "指定医療機関は " + strconv.Itoa(MaxInstitutions) + " か所までです", EN: "at most " + strconv.Itoa(MaxInstitutions) + " designated institutions"}
	msgNoInst    = errs.Message{JA: "指定医療機関を1か所以上入力してください", EN: "name at least one designated medical institution"}
	msgFuture    = errs.Message{JA: "未来の日付は入力できません", EN: "cannot be in the future"}
	msgDisease   = errs.Message{JA: "この制度の指定疾病の一覧にない疾病番号です", EN: "is not a designated disease of this programme in the master list"}
	msgNotDesig  = errs.Message{JA: "受付日にこの疾病は指定されていません（指定の期間外）", EN: "the disease is not designated on the date received (outside its effective period)"}
	msgCertNeed  = errs.Message{JA: "更新・変更・取消は対象の受給者証を指定してください", EN: "a renewal, change or cancellation names the certificate it concerns"}
	msgCertNew   = errs.Message{JA: "新規の申請に受給者証は指定しません", EN: "a new application names no certificate"}
	msgCertOther = errs.Message{JA: "この人のこの制度の受給者証ではありません", EN: "is not this person's certificate of this programme"}
	msgCertEnded = errs.Message{JA: "この受給者証は既に終了しています", EN: "this certificate has already ended"}
	msgEffNeed   = errs.Message{JA: "変更・取消は適用日を入力してください", EN: "a change or cancellation needs its first day"}
	msgEffOut    = errs.Message{JA: "適用日は受給者証の有効期間内の日付です", EN: "must fall within the certificate's validity"}
	msgEffNot    = errs.Message{JA: "新規・更新に適用日は入力しません（認定時に有効期間を決めます）", EN: "a new application or renewal has no first day here (the decision sets the validity)"}
	msgHolds     = errs.Message{JA: "この制度の有効な受給者証が既にあります。更新か変更で申請してください", EN: "a valid certificate of this programme exists: apply for its renewal or a change"}
	msgPending   = errs.Message{JA: "この受給者証について決定待ちの申請があります", EN: "an application about this certificate awaits its decision"}
	msgIdentity  = errs.Message{JA: "個人番号を受け取るときは、受付時の本人確認の方法を選んでください", EN: "a My Number received needs the identity verification made at intake"}
	msgMethod    = errs.Message{JA: "本人確認の方法を一覧から選んでください", EN: "must be one of mynumber_card, notification_card_photo_id, signature_certificate"}
	msgNotOnFile = errs.Message{JA: "この人に登録されている個人番号と一致しません。申請書と番号確認書類を確かめてください", EN: "does not match the My Number registered for this person; check the application and the evidence document"}
)

// text checks a short free text (an institution, a health centre).
func text(fe *errs.FieldErrors, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		fe.Add(field, msgRequired)
	case utf8.RuneCountInString(v) > 100 || strings.IndexFunc(v, unicode.IsControl) >= 0:
		fe.Add(field, msgText)
	}
	return v
}

func dateField(fe *errs.FieldErrors, field, v string, required bool) time.Time {
	v = strings.TrimSpace(strings.ReplaceAll(v, "/", "-"))
	if v == "" {
		if required {
			fe.Add(field, msgRequired)
		}
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || t.Year() < 1900 {
		fe.Add(field, msgDate)
		return time.Time{}
	}
	return t
}

func residentField(fe *errs.FieldErrors, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		fe.Add("resident_code", msgRequired)
		return v
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			fe.Add("resident_code", msgResident)
			return v
		}
	}
	if len(v) > 15 {
		fe.Add("resident_code", msgResident)
	}
	return v
}

// parse checks the form alone: every field and the cap it leads to.
func (s *Service) parse(in ApplicationInput) (application, error) {
	var fe errs.FieldErrors
	a := application{Kind: strings.TrimSpace(in.Kind), ResidentCode: residentField(&fe, in.ResidentCode), Programme: strings.TrimSpace(in.Programme),
		DiseaseCode: strings.TrimSpace(in.DiseaseCode), Certificate: in.Certificate}
	if !slices.Contains(AppKinds, a.Kind) {
		fe.Add("kind", msgKind)
	}
	a.HealthCentre = text(&fe, "health_centre", in.HealthCentre)
	a.ReceivedOn = dateField(&fe, "received_on", in.ReceivedOn, true)
	a.EffectiveOn = dateField(&fe, "effective_on", in.EffectiveOn, false)
	if a.DiseaseCode == "" {
		fe.Add("disease_code", msgRequired)
	} else if d, ok := s.rules.Disease(a.Programme, a.DiseaseCode); !ok {
		if slices.Contains(Programmes, a.Programme) {
			fe.Add("disease_code", msgDisease)
		}
	} else if !a.ReceivedOn.IsZero() && !d.DesignatedOn(a.ReceivedOn) {
		fe.Add("disease_code", msgNotDesig)
	}
	for _, f := range in.Flags {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(a.Flags, f) {
			a.Flags = append(a.Flags, f)
		}
	}
	slices.Sort(a.Flags)
	if a.Flags == nil {
		a.Flags = []string{}
	}
	capOn := a.ReceivedOn
	if capOn.Before(date(2015, 1, 1)) {
		capOn = date(2015, 1, 1) // a wrong date is its own field's error
	}
	// The category follows from the household's tax and income by the
	// rule in force on the day received; the decision derives it again
	// on the certificate's first day. A cancellation decides no cap.
	if a.Kind != AppCancel || strings.TrimSpace(in.TaxStatus) != "" {
		t, err := s.rules.DetermineTier(a.Programme, IncomeInput{TaxStatus: in.TaxStatus, IncomeLevy: in.IncomeLevy, AnnualIncome: in.AnnualIncome}, capOn)
		for _, f := range errs.Fields(err) {
			if f.Field != "programme" {
				fe.Add(f.Field, f.Reason)
			}
		}
		if err == nil {
			t.override(&fe, in.Category, in.CategoryReason, "")
			a.Tier, a.Category = &t, t.Category
		}
	}
	cat := a.Category
	if cat == "" {
		cat = Welfare // only the flags are checked here
	}
	if _, err := s.rules.DetermineCap(a.Programme, cat, a.Flags, capOn); err != nil {
		for _, f := range errs.Fields(err) {
			if f.Field != "valid_from" {
				fe.Add(f.Field, f.Reason)
			}
		}
	}
	for i, v := range in.Institutions {
		if strings.TrimSpace(v) == "" {
			continue
		}
		a.Institutions = append(a.Institutions, text(&fe, "institutions", in.Institutions[i]))
	}
	switch {
	case len(a.Institutions) == 0 && a.Kind != AppCancel:
		fe.Add("institutions", msgNoInst)
	case len(a.Institutions) > MaxInstitutions:
		fe.Add("institutions", msgTooMany)
	}
	if a.Institutions == nil {
		a.Institutions = []string{}
	}
	if v := strings.TrimSpace(in.MyNumber); v != "" {
		n, err := mynumber.Parse(v) // the check digit too (R-ACC-2)
		var pe *mynumber.ParseError
		switch {
		case err == nil:
			a.number = n
		case errors.As(err, &pe):
			fe.Add("mynumber", pe.Reason)
		default:
			return a, err
		}
	}
	a.VerificationMethod = strings.TrimSpace(in.IdentityMethod)
	if _, ok := resident.MethodLabels[a.VerificationMethod]; a.VerificationMethod != "" && !ok {
		fe.Add("identity_method", msgMethod)
	} else if a.VerificationMethod == "" && strings.TrimSpace(in.MyNumber) != "" {
		fe.Add("identity_method", msgIdentity)
	}
	switch a.Kind {
	case AppNew:
		if a.Certificate != 0 {
			fe.Add("certificate", msgCertNew)
		}
	case AppRenewal, AppChange, AppCancel:
		if a.Certificate <= 0 {
			fe.Add("certificate", msgCertNeed)
		}
	}
	switch a.Kind {
	case AppChange, AppCancel:
		if a.EffectiveOn.IsZero() && strings.TrimSpace(in.EffectiveOn) == "" {
			fe.Add("effective_on", msgEffNeed)
		}
	case AppNew, AppRenewal:
		if !a.EffectiveOn.IsZero() {
			fe.Add("effective_on", msgEffNot)
		}
	}
	return a, fe.Err()
}

// check checks a parsed application against the data: the person, the
// date, and the certificate a renewal, change or cancellation concerns.
func (s *Service) check(ctx context.Context, q store.Querier, tenant string, a application) error {
	if err := store.TenantExists(ctx, q, tenant); err != nil {
		return err
	}
	var fe errs.FieldErrors
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, a.ResidentCode).Scan(&n); err != nil {
		return store.Translate(err)
	}
	if n == 0 {
		fe.Add("resident_code", msgNoPerson)
		return fe.Err()
	}
	if a.ReceivedOn.After(s.today()) {
		fe.Add("received_on", msgFuture)
	}
	e := s.db.Engine()
	if a.Kind == AppNew {
		var held int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM pubmed_certificates WHERE tenant_code = $1 AND resident_code = $2 AND programme = $3
			AND valid_from <= $4 AND COALESCE(ended_on, valid_until) >= $4`, tenant, a.ResidentCode, a.Programme, dateArg(e, a.ReceivedOn)).Scan(&held); err != nil {
			return store.Translate(err)
		}
		if held > 0 {
			fe.Add("kind", msgHolds)
		}
		return fe.Err()
	}
	c, err := certificate(ctx, q, tenant, a.Certificate)
	if errs.Is(err, errs.NotFound) || (err == nil && (c.ResidentCode != a.ResidentCode || c.Programme != a.Programme)) {
		fe.Add("certificate", msgCertOther)
		return fe.Err()
	} else if err != nil {
		return err
	}
	if !c.EndedOn.IsZero() {
		fe.Add("certificate", msgCertEnded)
	}
	if (a.Kind == AppChange || a.Kind == AppCancel) && !a.EffectiveOn.IsZero() && (a.EffectiveOn.Before(c.ValidFrom) || a.EffectiveOn.After(c.ValidUntil)) {
		fe.Add("effective_on", msgEffOut)
	}
	var pending int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM pubmed_applications WHERE tenant_code = $1 AND certificate_id = $2 AND status = 'received'`,
		tenant, a.Certificate).Scan(&pending); err != nil {
		return store.Translate(err)
	}
	if pending > 0 {
		fe.Add("certificate", msgPending)
	}
	return fe.Err()
}

// KindNames are the Japanese names of the kinds of application.
var KindNames = map[string]string{AppNew: "新規", AppRenewal: "更新", AppChange: "変更", AppCancel: "取消"}

// CategoryNames are the Japanese names of the income categories.
var CategoryNames = map[string]string{Welfare: "生活保護", Low1: "低所得Ⅰ", Low2: "低所得Ⅱ", General1: "一般所得Ⅰ", General2: "一般所得Ⅱ", Upper: "上位所得"}

// ProgrammeNames are the Japanese names of the programmes.
var ProgrammeNames = map[string]string{Nanbyo: "特定医療費（指定難病）", Shoman: "小児慢性特定疾病医療費", Ryoiku: "療育医療"}

// ProposeApplication checks an application as entered by a clerk and
// returns the maker's proposal: it holds only once a different staff
// member confirms it (R-ACC-1; ApplyApplication), and is decided after.
// A refusal is an event naming the wrong fields.
func (s *Service) ProposeApplication(ctx context.Context, tenant string, in ApplicationInput) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "pubmed.application.propose"
	a, err := s.parse(in)
	if notRun := s.rules.notRunHere(in.Programme, tenant, in.ReceivedOn); notRun != nil {
		err = notRun // a programme not run here: nothing else to say
	}
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error { return s.check(ctx, q, tenant, a) })
	}
	var blind map[string][]byte
	if err == nil && !a.number.IsZero() {
		blind, err = s.takeNumber(ctx, tenant, &a)
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, subjectOf(strings.TrimSpace(in.ResidentCode)), err)
	}
	if a.Tier != nil && a.Tier.Override != "" {
		a.Tier.OverrideBy = actorOf(ctx)
	}
	if a.VerificationMethod != "" {
		v, err := s.residents.RecordVerification(ctx, tenant, a.ResidentCode, a.VerificationMethod, actorOf(ctx), "公費負担医療の申請の受付 / public-expense application")
		if err != nil {
			return review.Proposal{}, err
		}
		a.VerificationID = v.ID
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return review.Proposal{}, err
	}
	summary := ProgrammeNames[a.Programme] + "の" + KindNames[a.Kind] + "申請（宛名番号 " + a.ResidentCode + "、疾病番号 " + a.DiseaseCode +
		"、" + a.HealthCentre + " " + Date(a.ReceivedOn) + " 受付）"
	if a.Tier != nil {
		summary += "。階層区分 " + CategoryNames[a.Tier.Category] + "（" + a.Tier.Why + "）"
		if a.Tier.Override != "" {
			summary += "、基準では " + CategoryNames[a.Tier.Derived] + " のところ変更: " + a.Tier.OverrideReason
		}
	}
	if a.MyNumberEntered {
		summary += "。個人番号あり（申請書と番号確認書類から再入力して確認）"
	}
	return review.Proposal{Kind: KindApplication, Subject: subjectOf(a.ResidentCode), Payload: payload, Summary: summary, Blind: blind}, nil
}

var msgNoEnterRight = errs.Message{JA: "個人番号を入力する権限（mynumber.enter）がありません。個人番号の欄を空にして申請を入力し、権限のある職員が入力してください",
	EN: "you do not hold mynumber.enter: leave the My Number empty, or have staff who hold it enter the application"}

// RefuseNumberEntry refuses an application typed with a My Number by staff
// who do not hold mynumber.enter (the caller checks the right, R-AC-1):
// the refusal names the field, writes nothing, and is a denied event.
func (s *Service) RefuseNumberEntry(ctx context.Context, tenant, residentCode string) error {
	ctx = store.WithScope(ctx, tenant)
	var fe errs.FieldErrors
	fe.Add("mynumber", msgNoEnterRight)
	if err := audit.RecordAlone(context.WithoutCancel(ctx), s.db, audit.Event{Tenant: tenant, Action: "pubmed.application.propose",
		Subject: subjectOf(strings.TrimSpace(residentCode)), Outcome: audit.Denied, Detail: "error=forbidden fields=mynumber mynumber.enter not held"}); err != nil {
		return err
	}
	return fe.Err()
}

// takeNumber prepares the My Number typed on application a for its
// checker: a resident without a number gets it through the resident
// module's own proposal, applied with the application; one who has a
// number must have this one. Either way the checker keys it again and the
// review engine compares blind indexes (R-ACC-1, R-AC-4).
func (s *Service) takeNumber(ctx context.Context, tenant string, a *application) (map[string][]byte, error) {
	if s.residents == nil {
		return nil, errs.E(errs.Internal, "pubmed: no resident service to take a My Number through")
	}
	has, same, err := s.residents.MyNumberOnFile(ctx, tenant, a.ResidentCode, a.number)
	if err != nil {
		return nil, err
	}
	a.MyNumberEntered = true
	switch {
	case has && !same:
		var fe errs.FieldErrors
		fe.Add("mynumber", msgNotOnFile)
		return nil, fe.Err()
	case has:
		idx, err := s.residents.MyNumberIndex(ctx, tenant, a.number)
		return map[string][]byte{"mynumber": idx}, err
	}
	p, err := s.residents.ProposeMyNumber(ctx, tenant, a.ResidentCode, a.number)
	if err != nil {
		return nil, err
	}
	a.MyNumberProposal = p.Payload
	return p.Blind, nil
}

// ApplyApplication records a confirmed application inside the confirming
// transaction, checked again against the data as it is now; it then
// waits for its decision.
func (s *Service) ApplyApplication(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var a application
	if err := json.Unmarshal(payload, &a); err != nil {
		return errs.Wrap(errs.Internal, err, "pubmed: application proposal")
	}
	if err := lockTenant(ctx, tx, tenant); err != nil {
		return err
	}
	if err := s.check(ctx, tx, tenant, a); err != nil {
		return err
	}
	if a.Category == "" && a.Certificate != 0 { // a cancellation keeps the category it ends
		c, err := certificate(ctx, tx, tenant, a.Certificate)
		if err != nil {
			return err
		}
		a.Category = c.Category
	}
	tierBasis := ""
	if a.Tier != nil {
		b, _ := json.Marshal(a.Tier)
		tierBasis = string(b)
	}
	if len(a.MyNumberProposal) > 0 {
		if s.residents == nil {
			return errs.E(errs.Internal, "pubmed: no resident service to register a My Number through")
		}
		if err := s.residents.ApplyMyNumber(ctx, tx, tenant, a.MyNumberProposal); err != nil {
			return err
		}
	}
	if a.MyNumberEntered {
		if err := mnhold.Hold(ctx, tx, tenant, a.ResidentCode, Business, a.ReceivedOn); err != nil {
			return err
		}
	}
	e := tx.Engine()
	inst, _ := json.Marshal(a.Institutions)
	var eff, cert, verification any
	if a.VerificationID != 0 {
		verification = a.VerificationID
	}
	if !a.EffectiveOn.IsZero() {
		eff = dateArg(e, a.EffectiveOn)
	}
	if a.Certificate != 0 {
		cert = a.Certificate
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO pubmed_applications (tenant_code, kind, resident_code, programme, disease_code, category, flags, institutions,
		health_centre, received_on, effective_on, certificate_id, status, confirmed_at, confirmed_by, mynumber_entered, verification_id, verification_method,
		tier_basis)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'received', $13, $14, $15, $16, $17, $18) RETURNING id`,
		tenant, a.Kind, a.ResidentCode, a.Programme, a.DiseaseCode, a.Category, strings.Join(a.Flags, ","), string(inst), a.HealthCentre,
		dateArg(e, a.ReceivedOn), eff, cert, s.now().UTC(), actorOf(ctx), a.MyNumberEntered, verification, a.VerificationMethod, tierBasis).Scan(&id); err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "pubmed.application.receive", Subject: subjectOf(a.ResidentCode), Outcome: audit.OK,
		Detail: "application=" + strconv.FormatInt(id, 10) + " kind=" + a.Kind + " programme=" + a.Programme + " disease=" + a.DiseaseCode +
			" received_on=" + Date(a.ReceivedOn) + " mynumber=" + strconv.FormatBool(a.MyNumberEntered) + " identity=" + a.VerificationMethod +
			" category=" + a.Category + tierDetail(a.Tier)})
}

// lockTenant serializes the municipality's writers of certificates on
// PostgreSQL (SQLite has one writer), so that two decisions cannot give
// one person two certificates or one number twice.
func lockTenant(ctx context.Context, tx *store.Tx, tenant string) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(21, hashtext($1))`, tenant)
	return err
}

// Application is an application as confirmed, with its decision.
type Application struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	ResidentCode string    `json:"resident_code"`
	Programme    string    `json:"programme"`
	DiseaseCode  string    `json:"disease_code"`
	Category     string    `json:"category"`
	Flags        []string  `json:"flags"`
	Institutions []string  `json:"institutions"`
	HealthCentre string    `json:"health_centre"`
	ReceivedOn   time.Time `json:"received_on"`
	EffectiveOn  time.Time `json:"effective_on,omitzero"`
	Certificate  int64     `json:"certificate,omitempty"`
	Status       string    `json:"status"`
	RejectReason string    `json:"reject_reason,omitempty"`
	ConfirmedAt  time.Time `json:"confirmed_at"`
	ConfirmedBy  string    `json:"confirmed_by"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	DecidedBy    string    `json:"decided_by,omitempty"`
	// MyNumberEntered says a My Number came with the application; it is
	// shown only as MyNumberMask (R-AC-4).
	MyNumberEntered bool   `json:"mynumber_entered"`
	MyNumberMask    string `json:"mynumber,omitempty"`
	// The identity verification recorded at intake (R-ACC-4).
	VerificationID     int64  `json:"identity_verification_id,omitempty"`
	VerificationMethod string `json:"identity_method,omitempty"`
	// Tier is how the category was derived from the household's tax and
	// income; nil for an application entered before the rules.
	Tier *Tier `json:"tier,omitempty"`
}

const applicationColumns = `id, kind, resident_code, programme, disease_code, category, flags, institutions, health_centre, received_on, effective_on,
	certificate_id, status, reject_reason, confirmed_at, confirmed_by, decided_at, decided_by, mynumber_entered, verification_id, verification_method, tier_basis`

func scanApplication(row store.Scanner) (Application, error) {
	var a Application
	var flags, inst, tier string
	var eff, decided sql.NullTime
	var cert, verification sql.NullInt64
	err := row.Scan(&a.ID, &a.Kind, &a.ResidentCode, &a.Programme, &a.DiseaseCode, &a.Category, &flags, &inst, &a.HealthCentre, &a.ReceivedOn, &eff,
		&cert, &a.Status, &a.RejectReason, &a.ConfirmedAt, &a.ConfirmedBy, &decided, &a.DecidedBy, &a.MyNumberEntered, &verification, &a.VerificationMethod, &tier)
	if err != nil {
		return a, err
	}
	if tier != "" {
		a.Tier = &Tier{}
		if err := json.Unmarshal([]byte(tier), a.Tier); err != nil {
			return a, err
		}
	}
	a.VerificationID = verification.Int64
	if a.MyNumberEntered {
		a.MyNumberMask = mynumber.Mask
	}
	a.ReceivedOn, a.ConfirmedAt, a.Certificate = dateOnly(a.ReceivedOn), a.ConfirmedAt.UTC(), cert.Int64
	if eff.Valid {
		a.EffectiveOn = dateOnly(eff.Time)
	}
	if decided.Valid {
		a.DecidedAt = decided.Time.UTC()
	}
	a.Flags = splitFlags(flags)
	a.Institutions = []string{}
	json.Unmarshal([]byte(inst), &a.Institutions)
	return a, nil
}

func splitFlags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func readApplication(ctx context.Context, q store.Querier, tenant string, id int64) (Application, error) {
	a, err := scanApplication(q.QueryRow(ctx, `SELECT `+applicationColumns+` FROM pubmed_applications WHERE tenant_code = $1 AND id = $2`, tenant, id))
	return a, store.ScanErr(err, "application "+strconv.FormatInt(id, 10))
}

// Application reads application id; the read is an event of the
// recipient. One of another municipality is not found.
func (s *Service) Application(ctx context.Context, tenant string, id int64) (Application, error) {
	ctx = store.WithScope(ctx, tenant)
	var a Application
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		a, err = readApplication(ctx, q, tenant, id)
		return err
	})
	if err != nil {
		return a, s.failed(ctx, tenant, "pubmed.application.read", audit.Subject{Type: "pubmed_application", ID: strconv.FormatInt(id, 10)}, err)
	}
	return a, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.application.read", Subject: subjectOf(a.ResidentCode), Outcome: audit.OK,
		Detail: "application=" + strconv.FormatInt(id, 10)})
}

// ApplicationQuery narrows the status list: a health centre, a status
// ("" for every one), a person.
type ApplicationQuery struct {
	HealthCentre string `json:"health_centre"`
	Status       string `json:"status"`
	ResidentCode string `json:"resident_code"`
}

var msgStatus = errs.Message{JA: "状態は 決定待ち・認定・却下 のいずれかです", EN: "the status is one of received, approved, rejected"}

// Applications lists applications, the latest first, a page at a time
// (R-PUB-1: the status list per health centre). The list is an event.
func (s *Service) Applications(ctx context.Context, tenant string, q ApplicationQuery, cursor string, limit int) (store.Page[Application], error) {
	ctx = store.WithScope(ctx, tenant)
	limit = store.Limit(limit)
	q.HealthCentre, q.Status, q.ResidentCode = strings.TrimSpace(q.HealthCentre), strings.TrimSpace(q.Status), strings.TrimSpace(q.ResidentCode)
	var page store.Page[Application]
	if q.Status != "" && !slices.Contains([]string{StatusReceived, StatusApproved, StatusRejected}, q.Status) {
		var fe errs.FieldErrors
		fe.Add("status", msgStatus)
		return page, fe.Err()
	}
	var after int64
	if ok, err := store.DecodeCursor(cursor, "pubmed.applications", &after); err != nil {
		return page, err
	} else if !ok {
		after = 1<<62 - 1
	}
	err := s.db.Read(ctx, func(qr store.Querier) error {
		rows, err := store.Rows(scanApplication)(qr.Query(ctx, `SELECT `+applicationColumns+` FROM pubmed_applications WHERE tenant_code = $1
			AND ($2 = '' OR health_centre = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR resident_code = $4) AND id < $5 ORDER BY id DESC LIMIT $6`,
			tenant, q.HealthCentre, q.Status, q.ResidentCode, after, limit+1))
		page = store.PageOf(rows, limit, "pubmed.applications", func(a Application) []any { return []any{a.ID} })
		return err
	})
	if err != nil {
		return page, err
	}
	return page, audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "pubmed.application.list", Subject: audit.Subject{Type: "pubmed_applications", ID: q.HealthCentre},
		Outcome: audit.OK, Detail: "status=" + q.Status + " shown=" + strconv.Itoa(len(page.Items))})
}

// CountAwaitingDecision counts the confirmed applications of tenant that
// wait for their decision, counted in the database.
func (s *Service) CountAwaitingDecision(ctx context.Context, tenant string) (int, error) {
	var n int
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM pubmed_applications WHERE tenant_code = $1 AND status = 'received'`, tenant).Scan(&n)
	})
	return n, err
}
