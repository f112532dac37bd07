package web

import (
	"net/http"
	"strconv"
	"strings"

	"bango/internal/access"
	"bango/internal/errs"
	"bango/internal/nhi/assess"
)

// Pension insurers' notices (年金特徴の対象者通知; issue 19, R-NHI-4): the
// page lists the municipality's notices of a fiscal year and, to holders
// of nhi.write, takes a new one; the next assessment run decides from the
// notice in force whether the premium is collected from the head's pension
// (特別徴収).

var pensionFields = []string{"resident_code", "fiscal_year", "annual", "care_premium", "care_special"}

var pensionNotices = map[string]string{"recorded": "nhi.pension.recorded", "withdrawn": "nhi.pension.withdrawn"}

type nhiPensionData struct {
	FiscalYear int
	Notices    []pensionRow
	CanEnter   bool
	// Withdrawing is the notice whose withdrawal was refused (its row
	// shows the error).
	Withdrawing int64
}

type pensionRow struct {
	N                   assess.PensionNotice
	Annual, CarePremium string
}

func (s *Server) nhiPensionPage(w http.ResponseWriter, r *http.Request) error {
	fy := fiscalYearNow()
	if v := strings.TrimSpace(r.URL.Query().Get("fiscal_year")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errs.E(errs.NotFound, "no fiscal year %q", v)
		}
		fy = n
	}
	return s.renderNHIPension(w, r, http.StatusOK, refusal{}, map[string]string{"fiscal_year": strconv.Itoa(fy)})
}

func (s *Server) renderNHIPension(w http.ResponseWriter, r *http.Request, status int, problem refusal, f map[string]string) error {
	sess := sessionFrom(r.Context())
	fy, err := strconv.Atoi(f["fiscal_year"])
	if err != nil {
		fy = fiscalYearNow()
	}
	ns, err := s.biz.Assess.PensionNotices(r.Context(), sess.Tenant, fy, "")
	if err != nil {
		return err
	}
	p := s.newPage(r, "nhi.pension.title", sess)
	d := nhiPensionData{FiscalYear: fy, CanEnter: p.Rights.Has(access.NHIWrite, sess.Tenant)}
	for _, n := range ns {
		d.Notices = append(d.Notices, pensionRow{N: n, Annual: yen(n.Annual), CarePremium: yen(n.CarePremium)})
	}
	d.Withdrawing, _ = strconv.ParseInt(f["withdrawing"], 10, 64)
	p.fill(r, d, problem, f, pensionNotices)
	return s.render(w, r, status, "nhipensions", p)
}

// nhiPensionWithdraw withdraws (取消) a notice entered wrongly, with the
// reason typed in its row.
func (s *Server) nhiPensionWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notice")
	if err != nil {
		return err
	}
	f, err := postedForm(r, "why", "fiscal_year")
	if err != nil {
		return err
	}
	n, err := s.biz.Assess.WithdrawPensionNotice(r.Context(), sessionFrom(r.Context()).Tenant, id, f["why"])
	if err != nil {
		f["withdrawing"] = strconv.FormatInt(id, 10)
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIPension(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/pension-notices?done=withdrawn&fiscal_year="+strconv.Itoa(n.FiscalYear), http.StatusSeeOther)
	return nil
}

// pensionWithdrawBody is a notice's withdrawal through the API: the
// notice is the path's.
type pensionWithdrawBody struct {
	Why string `json:"why"`
}

func (s *Server) apiNHIPensionWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notice")
	if err != nil {
		return err
	}
	var b pensionWithdrawBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	n, err := s.biz.Assess.WithdrawPensionNotice(r.Context(), sessionFrom(r.Context()).Tenant, id, b.Why)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// pensionOf reads the form: amounts that are not numbers are refused
// here, naming their inputs; every other rule is the service's.
func pensionOf(f map[string]string) (assess.PensionNoticeInput, error) {
	var fe errs.FieldErrors
	in := assess.PensionNoticeInput{ResidentCode: f["resident_code"], CareSpecial: f["care_special"] != ""}
	var err error
	if in.FiscalYear, err = strconv.Atoi(f["fiscal_year"]); err != nil {
		fe.Add("fiscal_year", msgEstimateFY)
	}
	for _, a := range []struct {
		name string
		to   *int64
	}{{"annual", &in.Annual}, {"care_premium", &in.CarePremium}} {
		v := strings.ReplaceAll(f[a.name], ",", "")
		if *a.to, err = strconv.ParseInt(v, 10, 64); err != nil {
			fe.Add(a.name, errs.Message{JA: "金額（円、数字）を入力してください", EN: "must be an amount of yen, in digits"})
		}
	}
	return in, fe.Err()
}

func (s *Server) nhiPensionPost(w http.ResponseWriter, r *http.Request) error {
	f, err := postedForm(r, pensionFields...)
	if err != nil {
		return err
	}
	in, err := pensionOf(f)
	if err == nil {
		err = s.biz.Assess.RecordPensionNotice(r.Context(), sessionFrom(r.Context()).Tenant, in)
	}
	if err != nil {
		return formProblem(r, err, func(status int, msg refusal) error { return s.renderNHIPension(w, r, status, msg, f) })
	}
	http.Redirect(w, r, "/nhi/pension-notices?done=recorded&fiscal_year="+strconv.Itoa(in.FiscalYear), http.StatusSeeOther)
	return nil
}

type nhiPensionAnswer struct {
	Notices []assess.PensionNotice `json:"notices"`
}

func (s *Server) apiNHIPensionNotices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fy, err := optionalFiscalYear(q)
	if err != nil {
		return err
	}
	ns, err := s.biz.Assess.PensionNotices(r.Context(), sessionFrom(r.Context()).Tenant, fy, q.Get("resident_code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nhiPensionAnswer{Notices: ns})
	return nil
}

var nhiPensionMessages = messages{
	"nav.nhi.pension":                {"年金特徴の対象者通知", "Pension insurers' notices"},
	"nhi.pension.title":              {"年金保険者からの通知（年金特徴の対象者通知）", "Pension insurers' notices (年金特徴の対象者通知)"},
	"nhi.pension.help":               {"年金保険者から届いた通知の内容（年金の年額、介護保険料の年額、介護保険料がその年金から特別徴収されているか）を1人ずつ入力してください。同じ人・同じ年度の新しい通知が有効になり、次の賦課で、条件を満たす世帯の保険料は世帯主の年金から徴収（特別徴収）されます。", "Type each notice from the pension insurer (the pension's annual amount, the yearly 介護保険料 and whether it is collected from that pension). The latest notice of a person and year is in force; the next assessment run collects the premium of a household that meets every condition from the head's pension (特別徴収)."},
	"nhi.pension.enter":              {"通知の入力", "Enter a notice"},
	"nhi.pension.submit":             {"登録する", "Record"},
	"nhi.pension.recorded":           {"通知を登録しました。次の賦課で使われます。", "The notice is recorded: the next assessment run uses it."},
	"nhi.pension.list":               {"%d年度の通知", "Notices of fiscal year %d"},
	"nhi.pension.none":               {"この年度の通知はありません。", "No notice for this fiscal year."},
	"nhi.pension.in_force":           {"有効", "in force"},
	"nhi.pension.superseded":         {"新しい通知あり", "superseded"},
	"nhi.pension.recorded_by":        {"登録", "Recorded"},
	"nhi.pension.show":               {"表示", "Show"},
	"field.annual":                   {"年金の年額（円）", "Pension, yearly (yen)"},
	"field.care_premium":             {"介護保険料の年額（円）", "介護保険料, yearly (yen)"},
	"field.care_special":             {"介護保険料をこの年金から特別徴収", "介護保険料 collected from this pension"},
	"nhi.premium.phase.provisional":  {"仮徴収", "provisional"},
	"nhi.premium.phase.final":        {"本徴収", "final"},
	"nhi.premium.provisional":        {"仮徴収の各月は前年度2月に年金から徴収した額（%s円）、本徴収の各月は年額の残りを分けた額です。", "Each provisional month (仮徴収) takes the amount collected from the pension last February (%s yen); the final months (本徴収) share the rest of the year's premium."},
	"nhi.premium.provisional.over":   {"仮徴収の額が年額を超えるため、保険料の決定後の仮徴収は残りの額までとし、本徴収はありません。", "The provisional months at that amount would exceed the year's premium: those after the decision take only what is left, and the final months nothing."},
	"action.nhi.pension_notice.read": {"年金特徴の対象者通知の閲覧", "Viewing of pension insurers' notices"},

	"nhi.premium.provisional.stopped": {"今年度は年金からの徴収の条件を満たさないため、決定前に年金から徴収した仮徴収（各%s円）を除いた残りを納付書（普通徴収）でお納めください。", "The household no longer qualifies for collection from the pension: after the provisional months collected before the decision (%s yen each), the rest is paid by ordinary instalments."},
	"nhi.premium.refund":              {"仮徴収が年額を%s円超えています。超えた額は還付（または未納の保険料に充当）します。", "The provisional collection exceeds the year's premium by %s yen: the excess is refunded (or appropriated to unpaid premiums)."},
	"nhi.premium.special_from":        {"%sから年金から徴収します。それまでの納期は納付書でお納めください。", "Collection from the pension starts in %s; the instalments before it are paid by ordinary means."},
	"nhi.premium.phase.ordinary":      {"普通徴収", "ordinary"},
	"nhi.premium.phase.special":       {"特別徴収", "from the pension"},

	"nhi.pension.withdraw":         {"取消", "Withdraw"},
	"nhi.pension.withdraw.why":     {"取消の理由", "Why it is withdrawn"},
	"nhi.pension.withdrawn":        {"通知を取り消しました。次の賦課では使われません。", "The notice is withdrawn: the next assessment run does not use it."},
	"nhi.pension.withdrawn.status": {"取消済み（%s %s: %s）", "withdrawn (%s %s: %s)"},
}
