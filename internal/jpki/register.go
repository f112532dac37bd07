package jpki

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/store"
)

// A signature certificate carries the basic four items and the alias, and
// must be revoked when they change (R-JPKI-1). A municipality does not
// revoke it at the window: its register system tells J-LIS of every
// change of a resident's items, and J-LIS revokes the signature
// certificate whose items no longer match (異動等失効). bango does the same
// through the boundary: the jpki module's job sends the current items of
// every resident whose register entry changed since the last sending
// (POST /v1/items-changed), whatever changed it — a change at the window,
// the linkage's differences — and records each certificate the CA revoked.
// What bango keeps is how far the register has been sent, per municipality
// (jpki_register_watch); no item and no certificate.

// sendOverlap is how far back each sending looks beyond the last one: a
// change stamped just before a sending may commit just after it. A
// resident sent twice is harmless: the CA revokes only what no longer
// matches.
const sendOverlap = time.Minute

// sendBatch is how many residents one message carries.
const sendBatch = 500

// RegisterSent is what one sending of the register's changes did.
type RegisterSent struct {
	Residents int       // residents whose items or departure were sent
	Revoked   []Revoked // signature certificates the CA revoked
}

// SendRegisterChanges sends to the CA the current items of every resident
// of every municipality whose register entry changed since the last
// sending, and records each signature certificate the CA revoked
// (jpki.revoke, reason items_changed) with the new extent of the sending
// in one transaction. A municipality seen for the first time starts from
// now. When the CA cannot be reached the extent stays, and the next run
// sends the same residents again. It runs with the sweeper, at start and
// every minute.
func (s *Service) SendRegisterChanges(ctx context.Context) (RegisterSent, error) {
	var sum RegisterSent
	if s.ca == nil {
		return sum, nil
	}
	all := store.WithScope(ctx, store.AllTenants)
	var tenants []string
	err := s.db.Read(all, func(q store.Querier) (err error) {
		tenants, err = store.Rows(func(row store.Scanner) (string, error) {
			var t string
			return t, row.Scan(&t)
		})(q.Query(all, `SELECT code FROM tenants ORDER BY code`))
		return err
	})
	if err != nil {
		return sum, err
	}
	var firstErr error
	for _, tenant := range tenants {
		got, err := s.sendTenant(ctx, tenant)
		sum.Residents += got.Residents
		sum.Revoked = append(sum.Revoked, got.Revoked...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return sum, firstErr
}

func (s *Service) sendTenant(ctx context.Context, tenant string) (sent RegisterSent, err error) {
	ctx = store.WithScope(ctx, tenant)
	start := s.now().UTC()
	var through time.Time
	var known bool
	err = s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		err := q.QueryRow(ctx, `SELECT through FROM jpki_register_watch WHERE tenant_code = $1`, tenant).Scan(&through)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		known = err == nil
		return store.Translate(err)
	})
	if err != nil {
		return sent, err
	}
	if !known {
		return sent, s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO jpki_register_watch (tenant_code, through) VALUES ($1, $2) ON CONFLICT (tenant_code) DO NOTHING`, tenant, start)
			return store.Translate(err)
		})
	}
	// Every engine compares the instants, whatever offset a writer stamped
	// (an index on each: migration 0052).
	since := func(col string) string {
		if s.db.Engine() == store.SQLite {
			return `julianday(` + col + `) > julianday($2)`
		}
		return col + ` > $2`
	}
	from := through.Add(-sendOverlap)
	var changed []ResidentItems
	var left []ResidentLeft
	err = s.db.ReadIn(ctx, tenant, func(q store.Querier) (err error) {
		changed, err = store.Rows(func(row store.Scanner) (ResidentItems, error) {
			var r ResidentItems
			var birth time.Time
			err := row.Scan(&r.Resident, &r.Items.Name, &r.Items.Alias, &r.Items.Address, &birth, &r.Items.Sex)
			r.Items.BirthDate = birth.UTC().Format(time.DateOnly)
			return r, err
		})(q.Query(ctx, `SELECT code, name_kanji, alias, address, birth_date, sex FROM residents
			WHERE tenant_code = $1 AND `+since("updated_at")+` ORDER BY code`, tenant, from))
		if err != nil {
			return err
		}
		// Residents who left the register (転出, 死亡) since: the
		// departures the resident-records differences recorded.
		left, err = store.Rows(func(row store.Scanner) (ResidentLeft, error) {
			var r ResidentLeft
			var on time.Time
			err := row.Scan(&r.Resident, &r.Kind, &on)
			r.Effective = on.UTC().Format(time.DateOnly)
			return r, err
		})(q.Query(ctx, `SELECT resident_code, kind, effective FROM resident_departures
			WHERE tenant_code = $1 AND `+since("recorded_at")+` ORDER BY resident_code`, tenant, from))
		return err
	})
	if err != nil || len(changed)+len(left) == 0 {
		return sent, err
	}
	// One message a batch: the changed items, then the departures; the
	// extent moves with the last batch's events.
	type message struct {
		n    int
		what string // the sending event's count: residents= or left=
		send func() ([]Revoked, error)
	}
	var messages []message
	for b := range slices.Chunk(changed, sendBatch) {
		messages = append(messages, message{len(b), "residents", func() ([]Revoked, error) {
			resp, err := s.ca.ItemsChanged(ctx, ItemsChangedRequest{RequestID: randomID(), Municipality: tenant, Residents: b})
			for i := range resp.Revoked {
				resp.Revoked[i].Kind = ""
			}
			return resp.Revoked, err
		}})
	}
	for b := range slices.Chunk(left, sendBatch) {
		messages = append(messages, message{len(b), "left", func() ([]Revoked, error) {
			resp, err := s.ca.ResidentsLeft(ctx, ResidentsLeftRequest{RequestID: randomID(), Municipality: tenant, Residents: b})
			return resp.Revoked, err
		}})
	}
	why := map[string]string{}
	for _, r := range left {
		why[r.Resident] = r.Kind
	}
	for i, m := range messages {
		revoked, err := m.send()
		if err != nil {
			why := FailUnreachable
			var ce *CAError
			if errors.As(err, &ce) {
				why = ce.Why
			}
			if aerr := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: "jpki.register_sent", Subject: audit.Subject{Type: "municipality", ID: tenant},
				Outcome: audit.Failed, Detail: m.what + "=" + strconv.Itoa(m.n) + " outcome=" + why}); aerr != nil {
				s.log.ErrorContext(ctx, "audit event for a failed sending not written", "err", aerr)
			}
			return sent, err
		}
		sent.Residents += m.n
		sent.Revoked = append(sent.Revoked, revoked...)
		last := i == len(messages)-1
		events := []audit.Event{{Tenant: tenant, Action: "jpki.register_sent", Subject: audit.Subject{Type: "municipality", ID: tenant},
			Outcome: audit.OK, Detail: m.what + "=" + strconv.Itoa(m.n) + " revoked=" + strconv.Itoa(len(revoked))}}
		for _, r := range revoked {
			// What the certificate was revoked for, and (for a departure)
			// which kind of certificate: no personal item.
			detail := "serial=" + r.Serial + " reason=" + RevokeChanged
			if r.Kind != "" {
				detail = "serial=" + r.Serial + " kind=" + string(r.Kind) + " reason=" + why[r.Resident]
			}
			events = append(events, audit.Event{Tenant: tenant, Action: "jpki.revoke", Subject: subjectOf(r.Resident), Outcome: audit.OK,
				Detail: detail + " revoked_at=" + r.RevokedAt.UTC().Format(time.RFC3339) + " by=register"})
		}
		err = s.db.TransactIn(ctx, tenant, func(tx *store.Tx) error {
			if last {
				if _, err := tx.Exec(ctx, `UPDATE jpki_register_watch SET through = $2 WHERE tenant_code = $1`, tenant, start); err != nil {
					return store.Translate(err)
				}
			}
			return audit.RecordMany(ctx, tx, events...)
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}
