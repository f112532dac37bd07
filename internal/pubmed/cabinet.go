package pubmed

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Cabinet is a place where evidence papers (証拠書類) are kept (R-PUB-3):
// its location, whether it locks, and whether it stands in an area only
// staff enter. Only a cabinet that is both may be chosen for a paper.
type Cabinet struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Location   string    `json:"location"`
	Locked     bool      `json:"locked"`
	StaffOnly  bool      `json:"staff_only"`
	Papers     int       `json:"papers"` // papers kept there now
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
}

// Usable reports whether papers may be kept in the cabinet.
func (c Cabinet) Usable() bool { return c.Locked && c.StaffOnly }

// CabinetInput is a cabinet as typed into the ledger.
type CabinetInput struct {
	Name      string `json:"name"`
	Location  string `json:"location"`
	Locked    bool   `json:"locked"`
	StaffOnly bool   `json:"staff_only"`
}

// EvidenceInput is an evidence paper of an application and the cabinet
// it is put in.
type EvidenceInput struct {
	Description string `json:"description"`
	Cabinet     int64  `json:"cabinet"`
}

// EvidenceEvent is what befell a paper: stored, moved, disposed.
type EvidenceEvent struct {
	Event       string    `json:"event"`
	FromCabinet int64     `json:"from_cabinet,omitempty"`
	ToCabinet   int64     `json:"to_cabinet,omitempty"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
}

// Evidence is an evidence paper with where it is and its history.
type Evidence struct {
	ID          int64           `json:"id"`
	Application int64           `json:"application"`
	Description string          `json:"description"`
	Cabinet     int64           `json:"cabinet,omitempty"` // 0 once disposed
	CabinetName string          `json:"cabinet_name,omitempty"`
	DisposedOn  time.Time       `json:"disposed_on,omitzero"`
	Events      []EvidenceEvent `json:"events"`
}

var (
	msgUnsafe   = errs.Message{JA: "施錠でき、職員以外が立ち入れない場所にある保管庫だけを選べます（この保管庫は条件を満たしていません）", EN: "only a cabinet that is locked and stands in a staff-only area can be chosen; this one is not"}
	msgCabinet  = errs.Message{JA: "保管庫を一覧から選んでください", EN: "choose a cabinet from the list"}
	msgSameCab  = errs.Message{JA: "今ある保管庫と同じです", EN: "is the cabinet the paper is in"}
	msgDisposed = errs.Message{JA: "この書類は既に廃棄されています", EN: "this paper has already been disposed of"}
	msgNameUsed = errs.Message{JA: "同じ名前の保管庫が既にあります", EN: "a cabinet of this name exists"}
	msgWhy      = errs.Message{JA: "理由を1〜200文字で入力してください", EN: "give the reason, 1 to 200 characters"}
)

func reasonField(fe *errs.FieldErrors, v string) string {
	v = strings.TrimSpace(v)
	if v == "" || utf8.RuneCountInString(v) > 200 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		fe.Add("reason", msgWhy)
	}
	return v
}

// AddCabinet records a cabinet in the ledger, as it is: one not locked or
// outside a staff-only area is recorded too, and refused when chosen.
func (s *Service) AddCabinet(ctx context.Context, tenant string, in CabinetInput) (Cabinet, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.cabinet.add"
	var fe errs.FieldErrors
	c := Cabinet{Name: text(&fe, "name", in.Name), Location: text(&fe, "location", in.Location), Locked: in.Locked, StaffOnly: in.StaffOnly,
		RecordedAt: s.now().UTC(), RecordedBy: actorOf(ctx)}
	subject := audit.Subject{Type: "pubmed_cabinet", ID: c.Name}
	err := fe.Err()
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			if err := store.TenantExists(ctx, tx, tenant); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM pubmed_cabinets WHERE tenant_code = $1 AND name = $2`, tenant, c.Name).Scan(&n); err != nil {
				return store.Translate(err)
			}
			if n > 0 {
				var fe errs.FieldErrors
				fe.Add("name", msgNameUsed)
				return fe.Err()
			}
			if err := tx.QueryRow(ctx, `INSERT INTO pubmed_cabinets (tenant_code, name, location, locked, staff_only, recorded_at, recorded_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, tenant, c.Name, c.Location, c.Locked, c.StaffOnly, c.RecordedAt, c.RecordedBy).Scan(&c.ID); err != nil {
				return store.Translate(err)
			}
			subject.ID = strconv.FormatInt(c.ID, 10)
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
				Detail: "cabinet=" + subject.ID + " locked=" + strconv.FormatBool(c.Locked) + " staff_only=" + strconv.FormatBool(c.StaffOnly)})
		})
	}
	if err != nil {
		return Cabinet{}, s.failed(ctx, tenant, action, subject, err)
	}
	return c, nil
}

// Cabinets lists the ledger's cabinets by name, each with the papers kept
// in it now.
func (s *Service) Cabinets(ctx context.Context, tenant string) ([]Cabinet, error) {
	var out []Cabinet
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		out, err = store.Rows(func(row store.Scanner) (Cabinet, error) {
			var c Cabinet
			err := row.Scan(&c.ID, &c.Name, &c.Location, &c.Locked, &c.StaffOnly, &c.Papers, &c.RecordedAt, &c.RecordedBy)
			c.RecordedAt = c.RecordedAt.UTC()
			return c, err
		})(q.Query(ctx, `SELECT c.id, c.name, c.location, c.locked, c.staff_only,
			(SELECT count(*) FROM pubmed_evidence e WHERE e.tenant_code = c.tenant_code AND e.cabinet_id = c.id), c.recorded_at, c.recorded_by
			FROM pubmed_cabinets c WHERE c.tenant_code = $1 ORDER BY c.name`, tenant))
		return err
	})
	if out == nil {
		out = []Cabinet{}
	}
	return out, err
}

// usableCabinet checks that cabinet id may be chosen (R-PUB-3).
func usableCabinet(ctx context.Context, q store.Querier, tenant string, id int64, field string) error {
	var locked, staffOnly bool
	err := q.QueryRow(ctx, `SELECT locked, staff_only FROM pubmed_cabinets WHERE tenant_code = $1 AND id = $2`, tenant, id).Scan(&locked, &staffOnly)
	var fe errs.FieldErrors
	switch {
	case err == sql.ErrNoRows:
		fe.Add(field, msgCabinet)
	case err != nil:
		return store.Translate(err)
	case !locked || !staffOnly:
		fe.Add(field, msgUnsafe)
	}
	return fe.Err()
}

// StoreEvidence records an evidence paper of application id and the
// cabinet it is put in, which must be locked and in a staff-only area.
func (s *Service) StoreEvidence(ctx context.Context, tenant string, application int64, in EvidenceInput) (Evidence, error) {
	ctx = store.WithScope(ctx, tenant)
	const action = "pubmed.evidence.store"
	var fe errs.FieldErrors
	desc := text(&fe, "description", in.Description)
	if in.Cabinet <= 0 {
		fe.Add("cabinet", msgCabinet)
	}
	subject := audit.Subject{Type: "pubmed_application", ID: strconv.FormatInt(application, 10)}
	var id int64
	err := fe.Err()
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			a, err := readApplication(ctx, tx, tenant, application)
			if err != nil {
				return err
			}
			subject = subjectOf(a.ResidentCode)
			if err := usableCabinet(ctx, tx, tenant, in.Cabinet, "cabinet"); err != nil {
				return err
			}
			now, by := s.now().UTC(), actorOf(ctx)
			if err := tx.QueryRow(ctx, `INSERT INTO pubmed_evidence (tenant_code, application_id, description, cabinet_id, recorded_at, recorded_by)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, tenant, application, desc, in.Cabinet, now, by).Scan(&id); err != nil {
				return store.Translate(err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO pubmed_evidence_events (tenant_code, evidence_id, event, to_cabinet, reason, at, by_user)
				VALUES ($1, $2, 'stored', $3, '', $4, $5)`, tenant, id, in.Cabinet, now, by); err != nil {
				return store.Translate(err)
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
				Detail: "application=" + strconv.FormatInt(application, 10) + " evidence=" + strconv.FormatInt(id, 10) + " cabinet=" + strconv.FormatInt(in.Cabinet, 10)})
		})
	}
	if err != nil {
		return Evidence{}, s.failed(ctx, tenant, action, subject, err)
	}
	return s.evidenceOne(ctx, tenant, id)
}

// MoveEvidence records that paper id was moved to another cabinet, which
// must be locked and in a staff-only area, and why.
func (s *Service) MoveEvidence(ctx context.Context, tenant string, id, to int64, reason string) (Evidence, error) {
	return s.evidenceEvent(ctx, tenant, id, "moved", to, reason)
}

// DisposeEvidence records that paper id was disposed of (shredded) and why.
func (s *Service) DisposeEvidence(ctx context.Context, tenant string, id int64, reason string) (Evidence, error) {
	return s.evidenceEvent(ctx, tenant, id, "disposed", 0, reason)
}

func (s *Service) evidenceEvent(ctx context.Context, tenant string, id int64, event string, to int64, reason string) (Evidence, error) {
	ctx = store.WithScope(ctx, tenant)
	action := "pubmed.evidence.move"
	if event == "disposed" {
		action = "pubmed.evidence.dispose"
	}
	var fe errs.FieldErrors
	reason = reasonField(&fe, reason)
	if event == "moved" && to <= 0 {
		fe.Add("to_cabinet", msgCabinet)
	}
	subject := audit.Subject{Type: "pubmed_evidence", ID: strconv.FormatInt(id, 10)}
	err := fe.Err()
	if err == nil {
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			var from sql.NullInt64
			var code string
			if err := tx.QueryRow(ctx, `SELECT e.cabinet_id, a.resident_code FROM pubmed_evidence e JOIN pubmed_applications a ON a.tenant_code = e.tenant_code AND a.id = e.application_id
				WHERE e.tenant_code = $1 AND e.id = $2`, tenant, id).Scan(&from, &code); err != nil {
				return store.ScanErr(err, "evidence "+strconv.FormatInt(id, 10))
			}
			subject = subjectOf(code)
			var fe errs.FieldErrors
			switch {
			case !from.Valid:
				fe.Add("evidence", msgDisposed)
			case event == "moved" && from.Int64 == to:
				fe.Add("to_cabinet", msgSameCab)
			}
			if err := fe.Err(); err != nil {
				return err
			}
			now, by := s.now().UTC(), actorOf(ctx)
			var toArg any
			if event == "moved" {
				if err := usableCabinet(ctx, tx, tenant, to, "to_cabinet"); err != nil {
					return err
				}
				toArg = to
				if _, err := tx.Exec(ctx, `UPDATE pubmed_evidence SET cabinet_id = $1 WHERE tenant_code = $2 AND id = $3`, to, tenant, id); err != nil {
					return err
				}
			} else if _, err := tx.Exec(ctx, `UPDATE pubmed_evidence SET cabinet_id = NULL, disposed_on = $1 WHERE tenant_code = $2 AND id = $3`,
				dateArg(tx.Engine(), s.today()), tenant, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO pubmed_evidence_events (tenant_code, evidence_id, event, from_cabinet, to_cabinet, reason, at, by_user)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, id, event, from.Int64, toArg, reason, now, by); err != nil {
				return store.Translate(err)
			}
			return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: subject, Outcome: audit.OK,
				Detail: "evidence=" + strconv.FormatInt(id, 10) + " from=" + strconv.FormatInt(from.Int64, 10) + " to=" + strconv.FormatInt(to, 10)})
		})
	}
	if err != nil {
		return Evidence{}, s.failed(ctx, tenant, action, subject, err)
	}
	return s.evidenceOne(ctx, tenant, id)
}

func (s *Service) evidenceOne(ctx context.Context, tenant string, id int64) (Evidence, error) {
	list, err := s.evidence(ctx, tenant, 0, id)
	if err != nil || len(list) == 0 {
		return Evidence{}, errs.Wrap(errs.Internal, err, "pubmed: read evidence %d back", id)
	}
	return list[0], nil
}

// EvidenceOf lists the evidence papers of application id with where each
// is and its history.
func (s *Service) EvidenceOf(ctx context.Context, tenant string, application int64) ([]Evidence, error) {
	return s.evidence(ctx, tenant, application, 0)
}

func (s *Service) evidence(ctx context.Context, tenant string, application, id int64) ([]Evidence, error) {
	var out []Evidence
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		out, err = store.Rows(func(row store.Scanner) (Evidence, error) {
			var e Evidence
			var cab sql.NullInt64
			var name sql.NullString
			var disposed sql.NullTime
			err := row.Scan(&e.ID, &e.Application, &e.Description, &cab, &name, &disposed)
			e.Cabinet, e.CabinetName = cab.Int64, name.String
			if disposed.Valid {
				e.DisposedOn = dateOnly(disposed.Time)
			}
			return e, err
		})(q.Query(ctx, `SELECT e.id, e.application_id, e.description, e.cabinet_id, c.name, e.disposed_on FROM pubmed_evidence e
			LEFT JOIN pubmed_cabinets c ON c.tenant_code = e.tenant_code AND c.id = e.cabinet_id
			WHERE e.tenant_code = $1 AND ($2 = 0 OR e.application_id = $2) AND ($3 = 0 OR e.id = $3) ORDER BY e.id`, tenant, application, id))
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Events, err = store.Rows(func(row store.Scanner) (EvidenceEvent, error) {
				var ev EvidenceEvent
				var from, to sql.NullInt64
				err := row.Scan(&ev.Event, &from, &to, &ev.Reason, &ev.At, &ev.By)
				ev.FromCabinet, ev.ToCabinet, ev.At = from.Int64, to.Int64, ev.At.UTC()
				return ev, err
			})(q.Query(ctx, `SELECT event, from_cabinet, to_cabinet, reason, at, by_user FROM pubmed_evidence_events WHERE tenant_code = $1 AND evidence_id = $2 ORDER BY id`,
				tenant, out[i].ID))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if out == nil {
		out = []Evidence{}
	}
	return out, err
}
