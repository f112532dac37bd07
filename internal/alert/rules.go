package alert

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"bango/internal/errs"
	"bango/internal/store"
)

// More rules, read off the audit log by Scan.
const (
	RuleAfterHours     = "after_hours"           // a staff action outside business hours
	RuleDenials        = "repeated_denials"      // many refusals for one actor in a short time
	RuleUnregistered   = "unregistered_terminal" // a request from an address that is no designated terminal
	RuleUnknownDBConn  = "unknown_db_connection" // raised by the database monitor
	scanBatch          = 5000
	scanCursor         = "scan"
	unregisteredReason = "reason=unregistered_terminal"
	unknownLogin       = "(unknown login ID)"
)

// Rules are the thresholds of the rules Scan applies.
type Rules struct {
	// Staff work from OpenHour to CloseHour, Japan time; anything a person
	// does outside is an after-hours alert (one per person and day).
	OpenHour, CloseHour int
	// Denials refusals of one actor within DenialWindow raise an alert.
	Denials      int
	DenialWindow time.Duration
}

// DefaultRules: 7:00–22:00, 5 refusals in 10 minutes.
var DefaultRules = Rules{OpenHour: 7, CloseHour: 22, Denials: 5, DenialWindow: 10 * time.Minute}

var jst = time.FixedZone("JST", 9*3600)

// person reports whether an actor is a person (not a system job, the
// command line or an anonymous caller).
func person(actor string) bool {
	return actor != "" && actor != "anonymous" && !strings.HasPrefix(actor, "system:") && !strings.HasPrefix(actor, "cli:")
}

type scanned struct {
	seq             int64
	at              time.Time
	actor, address  string
	action, outcome string
	detail          string
	home            string // the actor's municipality ("" for staff of none)
	staff           bool   // the actor is a staff account (not a mistyped login ID)
}

// Scan applies the rules to the events placed in the tree since the last
// scan (placed leaves come in order; event ids are not committed in order)
// and returns how many alerts it raised. The cursor moves only after the
// rules ran, with a check that nobody moved it meanwhile; a batch run twice
// raises nothing twice (each alert has its key).
func (s *Service) Scan(ctx context.Context, r Rules) (int, error) {
	ctx = store.WithScope(ctx, store.AllTenants) // every municipality's events and alerts
	raised := 0
	for {
		var cursor int64 = -1
		err := s.db.QueryRow(ctx, `SELECT position FROM alert_cursor WHERE rule = $1`, scanCursor).Scan(&cursor)
		if err != nil && err != sql.ErrNoRows {
			return raised, store.Translate(err)
		}
		events, err := s.placedSince(ctx, cursor)
		if err != nil || len(events) == 0 {
			return raised, err
		}
		for _, e := range events {
			n, err := s.apply(ctx, r, e)
			if err != nil {
				return raised, err
			}
			raised += n
		}
		last := events[len(events)-1].seq
		err = s.db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE alert_cursor SET position = $1 WHERE rule = $2 AND position = $3`, last, scanCursor, cursor)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
			if cursor >= 0 {
				return errs.E(errs.Conflict, "another process moved the alert cursor")
			}
			_, err = tx.Exec(ctx, `INSERT INTO alert_cursor (rule, position) VALUES ($1, $2)`, scanCursor, last)
			return err
		})
		if err != nil {
			if errs.Is(err, errs.Conflict) {
				return raised, nil // the other process carries on
			}
			return raised, store.Translate(err)
		}
		if len(events) < scanBatch {
			return raised, nil
		}
	}
}

// placedSince reads the next batch of placed events after leaf cursor,
// with each actor's home municipality.
func (s *Service) placedSince(ctx context.Context, cursor int64) ([]scanned, error) {
	var out []scanned
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		out, err = store.Rows(scanPlaced)(q.Query(ctx, `SELECT l.seq, e.time, e.actor_user, e.actor_address, e.action, e.outcome, e.detail,
			COALESCE(u.tenant_code, ''), u.id IS NOT NULL
			FROM audit_log l JOIN audit_events e ON e.id = l.event_id LEFT JOIN staff_users u ON u.login_id = e.actor_user
			WHERE l.seq > $1 ORDER BY l.seq LIMIT $2`, cursor, scanBatch))
		return err
	})
	return out, err
}

func scanPlaced(row store.Scanner) (scanned, error) {
	var e scanned
	err := row.Scan(&e.seq, &e.at, &e.actor, &e.address, &e.action, &e.outcome, &e.detail, &e.home, &e.staff)
	e.at = e.at.UTC()
	return e, err
}

func (s *Service) apply(ctx context.Context, r Rules, e scanned) (int, error) {
	raised := 0
	// A person's alerts belong to their own municipality; a login ID that
	// is no account (perhaps a password typed in the wrong box) is never
	// shown, only where it came from.
	who := e.actor
	if !e.staff {
		who = unknownLogin
	}
	if person(e.actor) && e.staff && !strings.HasPrefix(e.action, "alert.") {
		local := e.at.In(jst)
		if h := local.Hour(); h < r.OpenHour || h >= r.CloseHour {
			day := local.Format("2006-01-02")
			n, err := s.once(ctx, Alert{Tenant: e.home, Rule: RuleAfterHours, Subject: who,
				Detail: "first=" + local.Format("2006-01-02 15:04") + " action=" + e.action}, e.home+"|"+e.actor+"|"+day)
			if err != nil {
				return raised, err
			}
			raised += n
		}
	}
	if e.outcome == "denied" && person(e.actor) && r.Denials > 0 {
		var n int
		if err := s.db.ReadRow(ctx, `SELECT count(*) FROM audit_events WHERE actor_user = $1 AND outcome = 'denied' AND time > $2 AND time <= $3`,
			e.actor, e.at.Add(-r.DenialWindow), e.at).Scan(&n); err != nil {
			return raised, store.Translate(err)
		}
		if n >= r.Denials {
			window := e.at.Truncate(r.DenialWindow).Format(time.RFC3339)
			detail := "denials=" + strconv.Itoa(n) + " within=" + r.DenialWindow.String() + " last=" + e.action + " address=" + e.address
			k, err := s.once(ctx, Alert{Tenant: e.home, Rule: RuleDenials, Subject: who, Detail: detail}, e.home+"|"+e.actor+"|"+window)
			if err != nil {
				return raised, err
			}
			raised += k
		}
	}
	if e.action == "request.refused" && strings.Contains(e.detail, unregisteredReason) {
		hour := e.at.Truncate(time.Hour).Format(time.RFC3339)
		n, err := s.once(ctx, Alert{Rule: RuleUnregistered, Subject: e.address, Detail: e.detail}, e.address+"|"+hour)
		if err != nil {
			return raised, err
		}
		raised += n
	}
	return raised, nil
}

// RaiseOnce raises a unless an alert of the same rule and key was raised
// before; it returns 1 when it raised one. ctx's scope must hold a's
// municipality, as for Raise.
func (s *Service) RaiseOnce(ctx context.Context, a Alert, key string) (int, error) {
	return s.once(ctx, a, key)
}

// once raises a with dedupe key, unless one with that key exists (several
// processes may race: the unique key settles it).
func (s *Service) once(ctx context.Context, a Alert, key string) (int, error) {
	var n int
	if err := s.db.ReadRow(ctx, `SELECT count(*) FROM alerts WHERE rule = $1 AND dedupe = $2`, a.Rule, key).Scan(&n); err != nil {
		return 0, store.Translate(err)
	}
	if n > 0 {
		return 0, nil
	}
	a.Dedupe = key
	if _, err := s.Raise(ctx, a); err != nil {
		if errs.Is(err, errs.Conflict) {
			return 0, nil
		}
		return 0, err
	}
	return 1, nil
}
