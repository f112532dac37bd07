package resident

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/mynumber"
	"bango/internal/review"
	"bango/internal/store"
	"bango/internal/vault"
)

// KindMyNumber is the maker–checker kind of registering a My Number.
const KindMyNumber = "resident.mynumber"

// myNumberProposal is the sealed payload of a KindMyNumber change.
type myNumberProposal struct {
	Code   string `json:"code"`
	Sealed []byte `json:"sealed"` // the number, sealed for the review row's resident
}

func proposalBinding(tenant, code string) vault.Binding {
	return vault.Binding{Tenant: tenant, Table: "review_changes", Column: "mynumber", Row: code}
}

// ProposeMyNumber checks that n can be registered for resident code (the
// resident exists, has no number, nobody else holds n) and returns the
// maker's proposal: it is applied only when a checker keys the same
// number again (R-ACC-1). The number itself goes only into the sealed
// payload and, as a blind index, into the double-entry field.
func (s *Service) ProposeMyNumber(ctx context.Context, tenant, code string, n mynumber.Number) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	if n.IsZero() {
		return review.Proposal{}, &errs.FieldErrors{List: []errs.FieldError{{Field: "mynumber", Reason: msgRequired}}}
	}
	r, err := s.get(ctx, tenant, code)
	if err != nil {
		return review.Proposal{}, err
	}
	if r.HasMyNumber {
		return review.Proposal{}, errHasNumber(r.NameKanji, code)
	}
	sn, err := s.vault.SealNumber(ctx, proposalBinding(tenant, code), n)
	if err != nil {
		return review.Proposal{}, err
	}
	var holder string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if holder, err = holderOf(ctx, tx, tenant, sn.Index); err == nil {
			return numberTaken()
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		return nil
	})
	if isDuplicateNumber(err) {
		// Typing a number that someone holds is a lookup of sorts: the
		// auditor sees who holds it, the typist does not.
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "mynumber.register", Subject: audit.Subject{Type: "resident", ID: code},
			Outcome: audit.Denied, Detail: "reason=number_held_by_another holder=" + holder}); aerr != nil {
			return review.Proposal{}, aerr
		}
	}
	if err != nil {
		return review.Proposal{}, err
	}
	payload, err := json.Marshal(myNumberProposal{Code: code, Sealed: sn.Sealed})
	if err != nil {
		return review.Proposal{}, err
	}
	return review.Proposal{
		Kind:    KindMyNumber,
		Subject: audit.Subject{Type: "resident", ID: code},
		Summary: "個人番号の登録: 宛名番号 " + code + " " + r.NameKanji,
		Payload: payload,
		Blind:   map[string][]byte{"mynumber": sn.Index},
	}, nil
}

// ApplyMyNumber applies a confirmed KindMyNumber change inside the
// confirming transaction.
func (s *Service) ApplyMyNumber(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	var p myNumberProposal
	if err := json.Unmarshal(payload, &p); err != nil {
		return errs.Wrap(errs.Internal, err, "resident: My Number proposal")
	}
	n, err := s.vault.OpenNumber(ctx, proposalBinding(tenant, p.Code), p.Sealed)
	if err != nil {
		return err
	}
	sn, err := s.vault.SealNumber(ctx, binding(tenant, p.Code), n)
	if err != nil {
		return err
	}
	return s.setMyNumber(ctx, tx, tenant, p.Code, sn, "via=review")
}

// MyNumberIndex is the blind index of n in tenant, for a checker's
// re-entry: it is compared, never stored.
func (s *Service) MyNumberIndex(ctx context.Context, tenant string, n mynumber.Number) ([]byte, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	return s.vault.NumberIndex(ctx, tenant, n)
}

// DefaultRevealPurposes are the statutory uses (番号法 別表) a reveal may
// give; "other" needs a note.
var DefaultRevealPurposes = []string{
	"国民健康保険の資格の取得・喪失に関する事務",
	"国民健康保険料の賦課・徴収に関する事務",
	"国民健康保険の保険給付の支給に関する事務",
	"特定医療費（指定難病）の支給に関する事務",
	"小児慢性特定疾病医療費の支給に関する事務",
	"情報提供ネットワークシステムによる情報照会・提供",
	"本人からの開示請求への対応",
}

// OtherPurpose is the purpose that needs a note.
const OtherPurpose = "その他"

// Revealed is a My Number shown to someone allowed to see it.
type Revealed struct {
	Code   string
	Number string // the digits, grouped 4-4-4
}

// ErrRevealUsed answers a reveal form sent again (a reload, a double
// click): one reveal is one event, so it reveals nothing and records
// nothing.
var ErrRevealUsed = errs.Tell(errs.Conflict, errs.Message{
	JA: "この表示は済んでいます（再読み込みでは表示しません）。もう一度必要な場合は、利用目的を選んで改めて表示してください。",
	EN: "This reveal was already made (a reload does not reveal again). If you need it again, choose the purpose and reveal anew.",
}, "this reveal form was already used: open the record and reveal again if needed")

// ErrRevealStepUp answers a reveal without a recent second factor.
var ErrRevealStepUp = errs.Tell(errs.Forbidden, errs.Message{
	JA: "個人番号の表示には、直前の二要素認証が必要です。画面をロックして二要素認証で解除し直してから、もう一度表示してください。",
	EN: "Revealing a My Number needs a recent second factor: lock the screen and unlock it again with the second factor, then reveal again.",
}, "a second factor within the last minutes is needed to reveal a My Number: lock the screen and unlock it again")

// BulkReveals watches reveals: inside the transaction that records one,
// it raises an alert when user has revealed more than perHour numbers of
// tenant within the hour (alert.Service does).
type BulkReveals interface {
	CheckReveals(ctx context.Context, tx *store.Tx, tenant, user string, perHour int) (bool, error)
}

// RevealPolicy is how reveals are allowed and watched (R-AC-4, R-AUD-4).
type RevealPolicy struct {
	Purposes []string // the statutory uses a reveal may give; OtherPurpose with a note is always allowed
	PerHour  int      // reveals per user and hour above which Alerts raises an alert
	Alerts   BulkReveals
}

// SetRevealPolicy sets the purposes and the bulk-reveal watch; without
// one, only DefaultRevealPurposes are allowed and nothing is watched.
func (s *Service) SetRevealPolicy(p RevealPolicy) {
	if len(p.Purposes) == 0 {
		p.Purposes = DefaultRevealPurposes
	}
	s.reveal = p
}

// RevealPurposes are the purposes a reveal may give, for the form.
func (s *Service) RevealPurposes() []string {
	if len(s.reveal.Purposes) == 0 {
		return DefaultRevealPurposes
	}
	return s.reveal.Purposes
}

// RevealRequest is one reveal as a person asks for it.
type RevealRequest struct {
	Code, Purpose, Note string
	// Once is the reveal form's one-time token ("" from the API, where
	// each call is one reveal): a token used before reveals nothing.
	Once string
	// StepUp: the person passed a second factor within the step-up window.
	StepUp bool
	// FromForm: a reveal from the record's page, whose form always
	// carries Once; one without it is refused.
	FromForm bool
}

// Reveal returns resident Code's My Number to a holder of mynumber.reveal
// (the caller has checked the right) who gives a purpose — one of the
// policy's, or OtherPurpose with a note — and passed a second factor
// lately (R-AC-4). A resident outside tenant is "not found" (a probe,
// audited); a refusal is an event; the reveal is an event with its
// purpose, written before the number is opened — no event, no number —
// in the transaction that also raises the bulk-reveal alert.
func (s *Service) Reveal(ctx context.Context, tenant string, req RevealRequest) (Revealed, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	code := req.Code
	subject := audit.Subject{Type: "resident", ID: code}
	if err := s.Exists(ctx, tenant, code); err != nil {
		return Revealed{}, err
	}
	if req.FromForm && req.Once == "" {
		return Revealed{}, errs.Tell(errs.Invalid, errs.Message{
			JA: "表示の操作を受け付けられませんでした（画面の情報が欠けています）。宛名の画面を開き直して、もう一度表示してください。",
			EN: "The reveal form arrived incomplete: open the record again and reveal from there.",
		}, "the reveal form is incomplete: open the record again")
	}
	if !req.StepUp {
		if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "mynumber.reveal", Subject: subject,
			Outcome: audit.Denied, Detail: "reason=no_recent_second_factor"}); err != nil {
			return Revealed{}, err
		}
		return Revealed{}, ErrRevealStepUp
	}
	purpose, note := strings.TrimSpace(req.Purpose), strings.TrimSpace(req.Note)
	var fe errs.FieldErrors
	if purpose != OtherPurpose && !slices.Contains(s.RevealPurposes(), purpose) {
		fe.Add("purpose", errs.Message{JA: "利用目的を一覧から選んでください", EN: "choose a purpose from the list"})
	}
	if purpose == OtherPurpose && note == "" {
		fe.Add("note", errs.Message{JA: "「その他」の場合は具体的な目的を入力してください", EN: "describe the purpose when choosing other"})
	}
	if utf8.RuneCountInString(note) > 200 {
		fe.Add("note", errs.Message{JA: "200文字以内です", EN: "must be at most 200 characters"})
	} else if mynumber.Holds(note) {
		fe.Add("note", mynumber.InFreeText)
	}
	if err := fe.Err(); err != nil {
		// A reveal without a proper purpose is refused, and the refusal is
		// an event the privacy manager sees.
		if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "mynumber.reveal", Subject: subject, Outcome: audit.Denied,
			Detail: "reason=no_valid_purpose fields=" + strings.Join(fieldNames(err), ",")}); aerr != nil {
			return Revealed{}, aerr
		}
		return Revealed{}, err
	}
	full := purpose
	if note != "" {
		full += ": " + note
	}
	var sealed []byte
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT mynumber_sealed FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).Scan(&sealed); err != nil {
			return store.ScanErr(err, "resident "+code)
		}
		if sealed == nil {
			return errs.Tell(errs.NotFound, errs.Message{
				JA: "この宛名には個人番号が登録されていません。登録が必要な場合は、個人番号を入力して確認を受けてください。",
				EN: "No My Number is registered for this resident. To register one, enter it and have it confirmed.",
			}, "resident %s has no My Number registered", code)
		}
		if req.Once != "" {
			sum := sha256.Sum256([]byte(req.Once))
			if _, err := tx.Exec(ctx, `INSERT INTO reveal_once (token_hash, login_id, used_at) VALUES ($1, $2, $3)`,
				sum[:], actorOf(ctx), s.now()); errs.Is(err, errs.Conflict) {
				return ErrRevealUsed
			} else if err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "mynumber.reveal", Subject: subject, Purpose: full, Outcome: audit.OK}); err != nil {
			return err
		}
		if s.reveal.Alerts == nil {
			return nil
		}
		_, err := s.reveal.Alerts.CheckReveals(ctx, tx, tenant, actorOf(ctx), s.reveal.PerHour)
		return err
	})
	if err == ErrRevealUsed {
		return Revealed{}, err
	}
	if err != nil {
		return Revealed{}, s.failed(ctx, tenant, "mynumber.reveal", subject, err)
	}
	number, err := s.vault.RevealNumber(ctx, binding(tenant, code), sealed)
	if err != nil {
		return Revealed{}, err
	}
	return Revealed{Code: code, Number: number}, nil
}

// ForgetRevealTokens removes one-time reveal tokens used before cutoff: a
// form older than that is long gone from any screen.
func (s *Service) ForgetRevealTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		res, err := tx.Exec(ctx, `DELETE FROM reveal_once WHERE used_at < $1`, cutoff)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}

func actorOf(ctx context.Context) string {
	a, _ := audit.ActorFrom(ctx)
	return a.User
}
