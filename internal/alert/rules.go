package alert

import (
	"context"
	"strconv"
	"strings"
	"time"

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

// person reports whether an actor is a staff member (not a system job, the
// command line or an anonymous caller).
func person(actor string) bool {
	return actor != "" && actor != "anonymous" && !strings.HasPrefix(actor, "system:") && !strings.HasPrefix(actor, "cli:")
}

type scanned struct {
	id                     int64
	at                     time.Time
	tenant, actor, address string
	action, outcome        string
	detail                 string
}

// Scan applies the rules to the audit events written since the last scan
// and raises what they find; it returns how many alerts it raised. Several
// processes may scan: the cursor moves in the transaction that reads it.
func (s *Service) Scan(ctx context.Context, r Rules) (int, error) {
	var events []scanned
	var cursor int64
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(event_id), 0) FROM alert_cursor WHERE rule = $1`, scanCursor).Scan(&cursor); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, time, tenant_code, actor_user, actor_address, action, outcome, detail FROM audit_events
			WHERE id > $1 ORDER BY id LIMIT $2`, cursor, scanBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		events = events[:0]
		for rows.Next() {
			var e scanned
			if err := rows.Scan(&e.id, &e.at, &e.tenant, &e.actor, &e.address, &e.action, &e.outcome, &e.detail); err != nil {
				return err
			}
			events = append(events, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		last := events[len(events)-1].id
		res, err := tx.Exec(ctx, `UPDATE alert_cursor SET event_id = $1 WHERE rule = $2 AND event_id = $3`, last, scanCursor, cursor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO alert_cursor (rule, event_id) VALUES ($1, $2)`, scanCursor, last)
		}
		return err
	})
	if err != nil {
		return 0, store.Translate(err)
	}
	raised := 0
	for _, e := range events {
		n, err := s.apply(ctx, r, e)
		if err != nil {
			return raised, err
		}
		raised += n
	}
	return raised, nil
}

func (s *Service) apply(ctx context.Context, r Rules, e scanned) (int, error) {
	raised := 0
	if person(e.actor) && !strings.HasPrefix(e.action, "alert.") {
		local := e.at.In(jst)
		if h := local.Hour(); h < r.OpenHour || h >= r.CloseHour {
			day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, jst)
			ok, err := s.once(ctx, Alert{Tenant: e.tenant, Rule: RuleAfterHours, Subject: e.actor,
				Detail: "first=" + local.Format("2006-01-02 15:04") + " action=" + e.action}, day.UTC())
			if err != nil {
				return raised, err
			}
			raised += ok
		}
	}
	if e.outcome == "denied" && person(e.actor) && r.Denials > 0 {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE actor_user = $1 AND outcome = 'denied' AND time > $2 AND time <= $3`,
			e.actor, e.at.Add(-r.DenialWindow), e.at).Scan(&n); err != nil {
			return raised, store.Translate(err)
		}
		if n >= r.Denials {
			ok, err := s.once(ctx, Alert{Tenant: e.tenant, Rule: RuleDenials, Subject: e.actor,
				Detail: "denials=" + strconv.Itoa(n) + " within=" + r.DenialWindow.String() + " last=" + e.action}, e.at.Add(-r.DenialWindow))
			if err != nil {
				return raised, err
			}
			raised += ok
		}
	}
	if e.action == "request.refused" && strings.Contains(e.detail, unregisteredReason) {
		ok, err := s.once(ctx, Alert{Rule: RuleUnregistered, Subject: e.address, Detail: e.detail}, e.at.Add(-time.Hour))
		if err != nil {
			return raised, err
		}
		raised += ok
	}
	return raised, nil
}

// RaiseOnce raises a unless an alert of the same rule and subject was
// raised since since; it returns 1 when it raised one.
func (s *Service) RaiseOnce(ctx context.Context, a Alert, since time.Time) (int, error) {
	return s.once(ctx, a, since)
}

// once raises a unless an alert of the same rule and subject was raised
// since since.
func (s *Service) once(ctx context.Context, a Alert, since time.Time) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE rule = $1 AND subject = $2 AND raised_at >= $3`, a.Rule, a.Subject, since).Scan(&n); err != nil {
		return 0, store.Translate(err)
	}
	if n > 0 {
		return 0, nil
	}
	if _, err := s.Raise(ctx, a); err != nil {
		return 0, err
	}
	return 1, nil
}
