package review

import (
	"context"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/identity"
	"bango/internal/store"
)

// The maker's side of the engine: their own entries, to see what became
// of each (a rejection's reason is for them), and to withdraw one still
// waiting — an entry found wrong before a checker reached it.

// CountMine counts the maker's own entries in tenant still waiting for a
// checker: the clerk's "my entries awaiting a check" on the home page.
func (s *Service) CountMine(ctx context.Context, tenant string, makerID int64) (int, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	var n int
	err := s.db.Read(ctx, func(db store.Querier) error {
		return db.QueryRow(ctx, `SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND status = 'pending' AND maker_id = $2`,
			tenant, makerID).Scan(&n)
	})
	return n, store.Translate(err)
}

// Mine returns one page of the maker's own changes in tenant, the newest
// first, whatever became of them: waiting, confirmed, rejected with the
// checker's reason, or withdrawn. cursor is a page's Next ("" for the
// first page); limit is clamped by store.Limit. A page that shows any is
// an audit event naming them: their summaries name residents.
func (s *Service) Mine(ctx context.Context, tenant string, maker identity.User, cursor string, limit int) (store.Page[Change], error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	q := selectChange + ` WHERE c.tenant_code = $1 AND c.maker_id = $2`
	args := []any{tenant, maker.ID}
	var before int64
	if ok, err := store.DecodeCursor(cursor, "review-mine", &before); err != nil {
		return store.Page[Change]{}, err
	} else if ok {
		args = append(args, before)
		q += ` AND c.id < $` + strconv.Itoa(len(args))
	}
	limit = store.Limit(limit)
	args = append(args, limit+1)
	var out []Change
	err := s.db.Read(ctx, func(db store.Querier) (err error) {
		out, err = store.Rows(scanChange)(db.Query(ctx, q+` ORDER BY c.id DESC LIMIT $`+strconv.Itoa(len(args)), args...))
		return err
	})
	if err != nil {
		return store.Page[Change]{}, store.Translate(err)
	}
	page := store.PageOf(out, limit, "review-mine", func(c Change) []any { return []any{c.ID} })
	if len(page.Items) > 0 {
		ids := make([]string, len(page.Items))
		for i, c := range page.Items {
			ids[i] = itoa(c.ID)
		}
		if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "review.mine", Subject: audit.Subject{Type: "user", ID: maker.LoginID},
			Outcome: audit.OK, Detail: "changes=" + strings.Join(ids, ",")}); err != nil {
			return store.Page[Change]{}, err
		}
	}
	return page, nil
}

// Withdraw takes back the maker's own change id of tenant while it still
// waits for a checker, with an optional note of why: nothing is applied,
// and a module whose rows wait on the change hears of it as of a
// rejection (its Rejecter), in the same transaction. Only the maker may
// withdraw (R-ACC-1: the checker's way is to reject); a change decided
// meanwhile is a conflict.
func (s *Service) Withdraw(ctx context.Context, maker identity.User, tenant string, id int64, reason string) (Change, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	const action = "review.withdraw"
	c, err := s.get(ctx, tenant, id)
	subject := audit.Subject{Type: c.SubjectType, ID: c.Subject}
	reason = strings.TrimSpace(reason)
	switch {
	case err != nil:
	case c.makerID != maker.ID:
		err = errNotYourChange
	case c.Status != Pending:
		err = errNoLongerPending(c)
	default:
		err = checkReason(reason, false, errs.Message{JA: "取下げの理由は200文字以内で入力してください", EN: "give a reason of at most 200 characters"})
	}
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE review_changes SET status = 'withdrawn', decided_at = $1, reason = $2
				WHERE id = $3 AND tenant_code = $4 AND maker_id = $5 AND status = 'pending'`, s.now(), reason, id, tenant, maker.ID)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNoLongerPending(Change{ID: id, Status: "decided"})
			}
			if err := s.rejected(ctx, tx, c, Withdrawn, reason); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
				Detail: "change=" + itoa(id) + " kind=" + c.Kind + " reason=" + reason})
		})
	}
	if err != nil {
		return Change{}, s.refused(ctx, tenant, action, subjectOr(subject, id), err)
	}
	return s.Get(ctx, tenant, id)
}

// errNotYourChange refuses a withdrawal by anyone but the maker. It says
// no more than "not yours": the change is in the caller's municipality.
var errNotYourChange = errs.Tell(errs.Forbidden, errs.Message{
	JA: "取り下げられるのは、自分が入力した確認待ちの変更だけです。",
	EN: "You can withdraw only your own entries that await a checker.",
}, "only the maker may withdraw a change")

// errNoLongerPending refuses to withdraw change c, decided already.
func errNoLongerPending(c Change) error {
	w, ok := statusWords[c.Status]
	if !ok { // decided between the reading and the writing
		w = errs.Message{JA: "確認または差戻し済み", EN: "confirmed or rejected"}
	}
	return errs.Tell(errs.Conflict, errs.Message{
		JA: "この変更はすでに" + w.JA + "のため、取り下げられません。自分の入力の一覧を開き直してください。",
		EN: "This change is already " + w.EN + ", so it can no longer be withdrawn: open the list of your entries again.",
	}, "change %d is %s, not pending", c.ID, c.Status)
}

// CountRejectedMine counts the maker's own entries in tenant a checker
// rejected since since: the home page tells the maker to see why.
func (s *Service) CountRejectedMine(ctx context.Context, tenant string, makerID int64, since time.Time) (int, error) {
	ctx = scope(ctx, tenant) // the second wall (R-AC-6)
	var n int
	err := s.db.Read(ctx, func(db store.Querier) error {
		return db.QueryRow(ctx, `SELECT count(*) FROM review_changes WHERE tenant_code = $1 AND maker_id = $2 AND status = 'rejected' AND decided_at >= $3`,
			tenant, makerID, since.UTC()).Scan(&n)
	})
	return n, store.Translate(err)
}
