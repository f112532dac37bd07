package web

import (
	"net/http"
	"slices"
	"strconv"

	"bango/internal/access"
	"bango/internal/identity"
	"bango/internal/linkage"
)

// Files a partner's machine pushed whose partner is configured to hold
// them for a second person (R-LNK-2, R-ACC-1): checked whole on arrival,
// they wait here with the partner as maker until a staff checker holding
// review.confirm confirms (applied then) or declines (purged) each.

// heldData is the queue of partners' held files.
type heldData struct {
	Files []linkage.Job
}

var heldNotices = map[string]string{"confirmed": "linkage.held.confirmed", "declined": "linkage.held.declined"}

func (s *Server) renderHeld(w http.ResponseWriter, r *http.Request, status int, problem refusal, form map[string]string) error {
	list, err := s.biz.Linkage.PartnerHeld(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	if problem.At != "" && !slices.ContainsFunc(list, func(j linkage.Job) bool { return "held-"+strconv.FormatInt(j.ID, 10) == problem.At }) {
		problem.At = "" // the file is no longer held (decided meanwhile): said at the top
	}
	p := s.newPage(r, "linkage.held.title", sessionFrom(r.Context()))
	p.fill(r, &heldData{Files: list}, problem, form, heldNotices)
	return s.render(w, r, status, "partnerheld", p)
}

func (s *Server) heldPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderHeld(w, r, http.StatusOK, refusal{}, nil)
}

func (s *Server) heldConfirmPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "file")
	if err != nil {
		return err
	}
	if _, err := postedForm(r); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	if _, err := s.biz.Linkage.ConfirmPartnerFile(r.Context(), sess.User, sess.Tenant, id); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error {
			return s.renderHeld(w, r, status, besideHeldRow(msg, r.PathValue("id")), map[string]string{"file": r.PathValue("id")})
		})
	}
	http.Redirect(w, r, "/linkage/held?done=confirmed", http.StatusSeeOther)
	return nil
}

func (s *Server) heldDeclinePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "file")
	if err != nil {
		return err
	}
	f, err := postedForm(r, "reason")
	if err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	if _, err := s.biz.Linkage.DeclinePartnerFile(r.Context(), sess.User, sess.Tenant, id, f["reason"]); err != nil {
		return formProblem(r, err, func(status int, msg refusal) error {
			f["file"] = r.PathValue("id")
			return s.renderHeld(w, r, status, besideHeldRow(msg, f["file"]), f)
		})
	}
	http.Redirect(w, r, "/linkage/held?done=declined", http.StatusSeeOther)
	return nil
}

// besideHeldRow puts a refusal of held file id beside its row: a refused
// field (the decline's reason) is named by the row's own input, so that the
// error summary leads to it and the message stands under it; any other
// refusal (the file decided meanwhile, the database check) is said in the
// row instead of the top of the page.
func besideHeldRow(msg refusal, id string) refusal {
	if len(msg.Fields) == 0 {
		msg.At = "held-" + id
		return msg
	}
	fields := make([]formField, len(msg.Fields))
	for i, f := range msg.Fields {
		f.Field += "-" + id
		fields[i] = f
	}
	msg.Fields = fields
	return msg
}

func (s *Server) apiHeld(w http.ResponseWriter, r *http.Request) error {
	list, err := s.biz.Linkage.PartnerHeld(r.Context(), sessionFrom(r.Context()).Tenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linkageList[linkage.Job]{Items: nonNil(list)})
	return nil
}

func (s *Server) apiHeldConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "file")
	if err != nil {
		return err
	}
	var in struct{}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	j, err := s.biz.Linkage.ConfirmPartnerFile(r.Context(), sess.User, sess.Tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) apiHeldDecline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "file")
	if err != nil {
		return err
	}
	var in rejectBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess := sessionFrom(r.Context())
	j, err := s.biz.Linkage.DeclinePartnerFile(r.Context(), sess.User, sess.Tenant, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) linkageHeldModule() webModule {
	c := access.ReviewConfirm
	return webModule{
		name: "linkage-held",
		routes: []route{
			{pattern: "GET /linkage/held", gate: loggedIn, perm: c, where: currentTenant, h: s.heldPage},
			{pattern: "POST /linkage/held/{id}/confirm", gate: loggedIn, perm: c, where: currentTenant, h: s.heldConfirmPost},
			{pattern: "POST /linkage/held/{id}/decline", gate: loggedIn, perm: c, where: currentTenant, h: s.heldDeclinePost},
			{pattern: "GET /api/v1/linkage/held", gate: loggedIn, perm: c, where: currentTenant, json: true, h: s.apiHeld,
				summary: "Files partners pushed that wait for a staff member's confirmation, oldest first (the partner is the maker)", answer: linkageList[linkage.Job]{}},
			{pattern: "POST /api/v1/linkage/held/{id}/confirm", gate: loggedIn, perm: c, where: currentTenant, json: true, h: s.apiHeldConfirm,
				summary: "Confirm a partner's held file: it is checked against the database again and applied, then purged", answer: linkage.Job{}},
			{pattern: "POST /api/v1/linkage/held/{id}/decline", gate: loggedIn, perm: c, where: currentTenant, json: true, h: s.apiHeldDecline,
				summary: "Decline a partner's held file, with the reason: nothing is applied and the file is purged", body: rejectBody{}, answer: linkage.Job{}},
		},
		menu: []navItem{{Key: "nav.linkage.held", Href: "/linkage/held", perm: c, under: "nav.review"}},
		counters: []counter{
			{id: "linkage-held", key: "home.linkage.held", href: "/linkage/held", perm: c, where: currentTenant,
				count: func(r *http.Request, sess *identity.Session) (int, error) {
					list, err := s.biz.Linkage.PartnerHeld(r.Context(), sess.Tenant)
					return len(list), err
				}},
		},
	}
}

// linkageHeldMessages are the strings of the partners' held files.
var linkageHeldMessages = messages{
	"action.linkage.held.list":    {"連携先から受信した確認待ちファイルの一覧の閲覧", "Viewing of partners' files awaiting confirmation"},
	"action.linkage.held.confirm": {"連携先から受信したファイルの確認・取込", "Partner's held file confirmed and applied"},
	"action.linkage.held.decline": {"連携先から受信したファイルの取消", "Partner's held file declined"},
	"action.egress.refused":       {"設定外の接続先への通信の拒否", "Outbound connection to an unconfigured address refused"},
	"action.linkage.insurer.set":  {"保険者番号の設定", "Insurer number configured"},
	"nav.linkage.held":            {"連携ファイルの確認", "Partner files"},
	"home.linkage.held":           {"連携先から受信した確認待ちファイル %d 件", "%d partner files to confirm"},
	"linkage.held.title":          {"連携ファイルの確認", "Partner files to confirm"},
	"linkage.held.help":           {"連携先の機械が送信し、全件の検査を通ったファイルです。内容を確かめて「確認して取り込む」か、理由を入力して「取り消す」を選んでください。確認するまで何も反映されません。", "Files a partner's machine sent that passed the whole-file check. Confirm to apply one, or give a reason and decline it. Nothing is applied until it is confirmed."},
	"linkage.held.none":           {"確認待ちのファイルはありません。", "There are no files to confirm."},
	"linkage.held.maker":          {"送信元（入力者）", "Sent by (maker)"},
	"linkage.held.confirm":        {"確認して取り込む", "Confirm and apply"},
	"linkage.held.decline":        {"取り消す", "Decline"},
	"linkage.held.confirmed":      {"ファイルを取り込みました。", "The file is applied."},
	"linkage.held.declined":       {"ファイルを取り消しました。受信したファイルは消去しました。", "The file is declined and erased."},
	"field.linkage.held.reason":   {"取消の理由", "Why it is declined"},
}
