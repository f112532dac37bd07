package nhi

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
)

// EligibilityEvent is one acquisition or loss as recorded.
type EligibilityEvent struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"` // "acquire" or "loss"
	Date       time.Time `json:"date"` // the date it takes effect
	Reason     string    `json:"reason"`
	NotifiedOn time.Time `json:"notified_on"`
	Late       bool      `json:"late"`   // notified after the limit (遡及)
	Source     string    `json:"source"` // "entry", or "birthday75" (the daily job)
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	voided     sql.NullTime
}

// Period is one eligibility period: from its acquisition to its loss
// (zero while open); the loss date is the first day without NHI.
type Period struct {
	AcquiredOn    time.Time `json:"acquired_on"`
	AcquireReason string    `json:"acquire_reason"`
	LostOn        time.Time `json:"lost_on,omitzero"`
	LossReason    string    `json:"loss_reason,omitempty"`
	acquiredID    int64
}

// covers reports whether the person is insured on d within p.
func (p Period) covers(d time.Time) bool {
	return !d.Before(p.AcquiredOn) && (p.LostOn.IsZero() || d.Before(p.LostOn))
}

func personEvents(ctx context.Context, q store.Querier, tenant, code string) ([]EligibilityEvent, error) {
	return store.Rows(func(row store.Scanner) (EligibilityEvent, error) {
		var e EligibilityEvent
		err := row.Scan(&e.ID, &e.Kind, &e.Date, &e.Reason, &e.NotifiedOn, &e.Late, &e.Source, &e.RecordedAt, &e.RecordedBy)
		e.Date, e.NotifiedOn, e.RecordedAt = dateOnly(e.Date), dateOnly(e.NotifiedOn), e.RecordedAt.UTC()
		return e, err
	})(q.Query(ctx, `SELECT id, kind, effective_date, reason, notified_on, late, source, recorded_at, recorded_by
		FROM nhi_eligibility_events WHERE tenant_code = $1 AND resident_code = $2 AND voided_at IS NULL ORDER BY effective_date, id`, tenant, code))
}

// personEventsKnown is personEvents as known at the end of the day known
// (now when zero): recorded by then, and not voided by then.
func personEventsKnown(ctx context.Context, q store.Querier, tenant, code string, known time.Time) ([]EligibilityEvent, error) {
	evs, err := store.Rows(func(row store.Scanner) (EligibilityEvent, error) {
		var e EligibilityEvent
		err := row.Scan(&e.ID, &e.Kind, &e.Date, &e.Reason, &e.NotifiedOn, &e.Late, &e.Source, &e.RecordedAt, &e.RecordedBy, &e.voided)
		e.Date, e.NotifiedOn, e.RecordedAt = dateOnly(e.Date), dateOnly(e.NotifiedOn), e.RecordedAt.UTC()
		return e, err
	})(q.Query(ctx, `SELECT id, kind, effective_date, reason, notified_on, late, source, recorded_at, recorded_by, voided_at
		FROM nhi_eligibility_events WHERE tenant_code = $1 AND resident_code = $2 ORDER BY effective_date, id`, tenant, code))
	return slices.DeleteFunc(evs, func(e EligibilityEvent) bool { return !visible(known, e.RecordedAt, e.voided) }), err
}

// visible reports whether a row recorded at recorded and voided at voided
// (訂正・取消; NULL: never) is part of the record as known at the end of
// the day known in Japan (now when zero): recorded by then and not voided
// by then.
func visible(known, recorded time.Time, voided sql.NullTime) bool {
	return knownBy(known, recorded) && !(voided.Valid && knownBy(known, voided.Time))
}

// periods pairs a person's events, in date order, into periods.
func periods(evs []EligibilityEvent) []Period {
	var out []Period
	for _, e := range evs {
		switch {
		case e.Kind == "acquire":
			out = append(out, Period{AcquiredOn: e.Date, AcquireReason: e.Reason, acquiredID: e.ID})
		case len(out) > 0 && out[len(out)-1].LostOn.IsZero():
			out[len(out)-1].LostOn, out[len(out)-1].LossReason = e.Date, e.Reason
		}
	}
	return out
}

// membershipOn is the household person code belongs to on d (0: none).
func membershipOn(ctx context.Context, q store.Querier, e store.Engine, tenant, code string, d time.Time) (int64, error) {
	var hh sql.NullInt64
	err := q.QueryRow(ctx, `SELECT household_id FROM nhi_memberships WHERE tenant_code = $1 AND resident_code = $2 AND valid_from <= $3 AND voided_at IS NULL
		ORDER BY valid_from DESC, id DESC LIMIT 1`, tenant, code, dateArg(e, d)).Scan(&hh)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return hh.Int64, store.Translate(err)
}

// headOn is the head of household hh on d; exists is false when the
// household was not yet established or is dissolved on d.
func headOn(ctx context.Context, q store.Querier, e store.Engine, tenant string, hh int64, d time.Time) (head string, exists bool, err error) {
	err = q.QueryRow(ctx, `SELECT head_resident_code FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 AND valid_from <= $3 AND voided_at IS NULL
		ORDER BY valid_from DESC, id DESC LIMIT 1`, tenant, hh, dateArg(e, d)).Scan(&head)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return head, err == nil && head != "", store.Translate(err)
}

// headedBy lists the households whose head on d is code.
func headedBy(ctx context.Context, q store.Querier, e store.Engine, tenant, code string, d time.Time) ([]int64, error) {
	return store.Rows(func(row store.Scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	})(q.Query(ctx, `SELECT v.household_id FROM nhi_household_versions v WHERE v.tenant_code = $1 AND v.head_resident_code = $2 AND v.valid_from <= $3 AND v.voided_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM nhi_household_versions w WHERE w.tenant_code = v.tenant_code AND w.household_id = v.household_id
			AND w.valid_from <= $3 AND w.voided_at IS NULL AND (w.valid_from > v.valid_from OR w.valid_from = v.valid_from AND w.id > v.id))`, tenant, code, dateArg(e, d)))
}

// membersOn lists the residents who belong to household hh on d, by code.
func membersOn(ctx context.Context, q store.Querier, e store.Engine, tenant string, hh int64, d time.Time) ([]string, error) {
	return store.Rows(func(row store.Scanner) (string, error) {
		var c string
		return c, row.Scan(&c)
	})(q.Query(ctx, `SELECT m.resident_code FROM nhi_memberships m WHERE m.tenant_code = $1 AND m.household_id = $2 AND m.valid_from <= $3 AND m.voided_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM nhi_memberships n WHERE n.tenant_code = m.tenant_code AND n.resident_code = m.resident_code
			AND n.valid_from <= $3 AND n.voided_at IS NULL AND (n.valid_from > m.valid_from OR n.valid_from = m.valid_from AND n.id > m.id))
		ORDER BY m.resident_code`, tenant, hh, dateArg(e, d)))
}

// laterForPerson reports whether person code has an eligibility event or
// a membership change dated after d.
func laterForPerson(ctx context.Context, q store.Querier, e store.Engine, tenant, code string, d time.Time) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM nhi_eligibility_events WHERE tenant_code = $1 AND resident_code = $2 AND effective_date > $3 AND voided_at IS NULL)
		+ (SELECT count(*) FROM nhi_memberships WHERE tenant_code = $1 AND resident_code = $2 AND valid_from > $3 AND voided_at IS NULL)`, tenant, code, dateArg(e, d)).Scan(&n)
	return n > 0, store.Translate(err)
}

// laterForHousehold reports whether household hh has a version or a
// member joining dated after d.
func laterForHousehold(ctx context.Context, q store.Querier, e store.Engine, tenant string, hh int64, d time.Time) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 AND valid_from > $3 AND voided_at IS NULL)
		+ (SELECT count(*) FROM nhi_memberships WHERE tenant_code = $1 AND household_id = $2 AND valid_from > $3 AND voided_at IS NULL)`, tenant, hh, dateArg(e, d)).Scan(&n)
	return n > 0, store.Translate(err)
}

// dissolvedWithin reports whether household hh is dissolved on some date
// after from and before to (zero to: any date after from).
func dissolvedWithin(ctx context.Context, q store.Querier, e store.Engine, tenant string, hh int64, from, to time.Time) (bool, error) {
	var n int
	var err error
	if to.IsZero() {
		err = q.QueryRow(ctx, `SELECT count(*) FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 AND head_resident_code = ''
			AND valid_from > $3 AND voided_at IS NULL`, tenant, hh, dateArg(e, from)).Scan(&n)
	} else {
		err = q.QueryRow(ctx, `SELECT count(*) FROM nhi_household_versions WHERE tenant_code = $1 AND household_id = $2 AND head_resident_code = ''
			AND valid_from > $3 AND valid_from < $4 AND voided_at IS NULL`, tenant, hh, dateArg(e, from), dateArg(e, to)).Scan(&n)
	}
	return n > 0, store.Translate(err)
}

// residentOf is what eligibility needs of a resident (宛名).
type residentOf struct {
	code, nameKanji, nameKana string
	birth                     time.Time
}

// lookupResident reads resident code of tenant; one of another
// municipality, or none, is not found.
func lookupResident(ctx context.Context, q store.Querier, tenant, code string) (residentOf, error) {
	r := residentOf{code: code}
	err := q.QueryRow(ctx, `SELECT name_kanji, name_kana, birth_date FROM residents WHERE tenant_code = $1 AND code = $2`, tenant, code).
		Scan(&r.nameKanji, &r.nameKana, &r.birth)
	r.birth = dateOnly(r.birth)
	return r, store.ScanErr(err, "resident "+code)
}

// insuredNumberOf reads the insured number of code; ok is false when the
// person was never insured.
func insuredNumberOf(ctx context.Context, q store.Querier, tenant, code string) (number, branch string, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT number, branch FROM nhi_insured WHERE tenant_code = $1 AND resident_code = $2`, tenant, code).Scan(&number, &branch)
	if err == sql.ErrNoRows {
		return "", "", false, nil
	}
	return number, branch, err == nil, store.Translate(err)
}

func numberHolder(ctx context.Context, q store.Querier, tenant, number, branch string) (string, error) {
	var code string
	err := q.QueryRow(ctx, `SELECT resident_code FROM nhi_insured WHERE tenant_code = $1 AND number = $2 AND branch = $3`, tenant, number, branch).Scan(&code)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return code, store.Translate(err)
}

func householdKigo(ctx context.Context, q store.Querier, tenant string, hh int64) (string, error) {
	var kigo string
	err := q.QueryRow(ctx, `SELECT kigo FROM nhi_households WHERE tenant_code = $1 AND id = $2`, tenant, hh).Scan(&kigo)
	return kigo, store.ScanErr(err, "NHI household")
}

// lockTenant makes the NHI entries of tenant apply one at a time on
// PostgreSQL: a change is checked against the data as it is inside its
// transaction, and two confirmed at once (a loss and a household change of
// one person) must not both check before either writes. SQLite has one
// writer already. The two-key lock space is apart from the migrations' key.
func lockTenant(ctx context.Context, tx *store.Tx, tenant string) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(18, hashtext($1))`, tenant)
	return err
}

// openProposal reads a confirmed change's payload into v and takes the
// municipality's lock, as every applier does before it checks again.
func openProposal(ctx context.Context, tx *store.Tx, tenant string, payload []byte, v any, what string) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return errs.Wrap(errs.Internal, err, "nhi: %s proposal", what)
	}
	return lockTenant(ctx, tx, tenant)
}

// writer writes one confirmed change's rows, stamped with when and by whom.
type writer struct {
	tx     *store.Tx
	tenant string
	now    time.Time
	by     string
	// redecided, when not nil, gathers the dates a batch of acquisitions
	// takes effect on instead of deciding the cost share again after each
	// (the caller decides once for them all).
	redecided *[]time.Time
}

func (w writer) d(t time.Time) any { return dateArg(w.tx.Engine(), t) }

func (w writer) household(ctx context.Context, kigo string) (int64, error) {
	var id int64
	err := w.tx.QueryRow(ctx, `INSERT INTO nhi_households (tenant_code, kigo, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
		w.tenant, kigo, w.now, w.by).Scan(&id)
	return id, store.Translate(err)
}

func (w writer) version(ctx context.Context, hh int64, from time.Time, head, event string, related int64, notified time.Time, late bool) error {
	var rel any
	if related != 0 {
		rel = related
	}
	_, err := w.tx.Exec(ctx, `INSERT INTO nhi_household_versions (tenant_code, household_id, valid_from, head_resident_code, event, related_household,
		notified_on, late, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		w.tenant, hh, w.d(from), head, event, rel, w.d(notified), late, w.now, w.by)
	return err
}

func (w writer) insured(ctx context.Context, code, number, branch string) error {
	_, err := w.tx.Exec(ctx, `INSERT INTO nhi_insured (tenant_code, resident_code, number, branch, created_at) VALUES ($1, $2, $3, $4, $5)`,
		w.tenant, code, number, branch, w.now)
	if errs.Is(err, errs.Conflict) {
		var fe errs.FieldErrors
		fe.Add("number", msgNumberTaken)
		fe.Kind = errs.Conflict
		return &fe
	}
	return err
}

func (w writer) event(ctx context.Context, code, kind string, on time.Time, reason string, notified time.Time, late bool, source string) (int64, error) {
	var id int64
	err := w.tx.QueryRow(ctx, `INSERT INTO nhi_eligibility_events (tenant_code, resident_code, kind, effective_date, reason, notified_on, late, source,
		recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		w.tenant, code, kind, w.d(on), reason, w.d(notified), late, source, w.now, w.by).Scan(&id)
	return id, store.Translate(err)
}

// member writes that code belongs to household hh from on (0: to none).
func (w writer) member(ctx context.Context, code string, hh int64, on time.Time) error {
	var h any
	if hh != 0 {
		h = hh
	}
	_, err := w.tx.Exec(ctx, `INSERT INTO nhi_memberships (tenant_code, resident_code, household_id, valid_from, recorded_at, recorded_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, w.tenant, code, h, w.d(on), w.now, w.by)
	return err
}

func (w writer) schedule(ctx context.Context, code string, acquired int64, due time.Time, status string) error {
	var decided any
	if status != "scheduled" {
		decided = w.now
	}
	_, err := w.tx.Exec(ctx, `INSERT INTO nhi_scheduled_losses (tenant_code, resident_code, acquired_id, due_date, status, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, w.tenant, code, acquired, w.d(due), status, decided)
	return err
}
