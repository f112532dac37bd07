package pubmed

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Recipient is a recipient already decided elsewhere — the previous
// system's, when a prefecture moves to bango, or the demo's at the scale
// of a prefecture — loaded as an approved new application and its
// certificate valid for a year from From.
type Recipient struct {
	ResidentCode string
	Programme    string
	DiseaseCode  string
	Category     string
	Flags        []string
	Institution  string
	HealthCentre string
	From         time.Time
}

var msgTwice = errs.Message{JA: "同じ人の同じ制度が二度あります", EN: "the same person and programme appear twice"}

// bulkBatch is how many recipients one statement writes.
const bulkBatch = 400

// LoadRecipients writes recipients of tenant set-based, a batch of
// applications and a batch of certificates per statement, in one
// transaction: every row is checked first (the person exists, the disease
// is designated on From, the cap follows from the table in force) and any
// wrong row refuses the whole load naming its line and field, nothing
// written. Each certificate records its cap basis as a decision does; the
// load is one audit event. It returns how many it wrote.
func (s *Service) LoadRecipients(ctx context.Context, tenant string, rs []Recipient) (int, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	type row struct {
		Recipient
		cap  Cap
		name string
		inst string
	}
	rows := make([]row, len(rs))
	var fe errs.FieldErrors
	seen := map[string]bool{}
	for i, r := range rs {
		line := "recipients[" + strconv.Itoa(i+1) + "]."
		if seen[r.ResidentCode+" "+r.Programme] {
			fe.Add(line+"resident_code", msgTwice)
			continue
		}
		seen[r.ResidentCode+" "+r.Programme] = true
		d, ok := s.rules.Disease(r.Programme, r.DiseaseCode)
		if !ok {
			fe.Add(line+"disease_code", msgDisease)
			continue
		}
		if !d.DesignatedOn(r.From) {
			fe.Add(line+"disease_code", msgNotDesig)
			continue
		}
		cap, err := s.rules.DetermineCap(r.Programme, r.Category, r.Flags, r.From)
		if err != nil {
			for _, f := range errs.Fields(err) {
				fe.Add(line+f.Field, f.Reason)
			}
			continue
		}
		inst, _ := json.Marshal([]string{r.Institution})
		rows[i] = row{Recipient: r, cap: cap, name: d.Name, inst: string(inst)}
		if len(fe.List) > 20 {
			break
		}
	}
	if err := fe.Err(); err != nil {
		return 0, s.failed(ctx, tenant, "pubmed.recipients.load", audit.Subject{Type: "pubmed_recipients", ID: tenant}, err)
	}
	now, by := s.now().UTC(), actorOf(ctx)
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		e := tx.Engine()
		known := map[string]bool{}
		res, err := tx.Query(ctx, `SELECT code FROM residents WHERE tenant_code = $1`, tenant)
		if err != nil {
			return store.Translate(err)
		}
		for res.Next() {
			var c string
			if err := res.Scan(&c); err != nil {
				res.Close()
				return err
			}
			known[c] = true
		}
		if err := res.Close(); err != nil {
			return err
		}
		held := map[string]bool{}
		res, err = tx.Query(ctx, `SELECT resident_code, programme FROM pubmed_certificates WHERE tenant_code = $1`, tenant)
		if err != nil {
			return store.Translate(err)
		}
		for res.Next() {
			var c, p string
			if err := res.Scan(&c, &p); err != nil {
				res.Close()
				return err
			}
			held[c+" "+p] = true
		}
		if err := res.Close(); err != nil {
			return err
		}
		var fe errs.FieldErrors
		for i, r := range rows {
			switch {
			case len(fe.List) >= 20:
			case !known[r.ResidentCode]:
				fe.Add("recipients["+strconv.Itoa(i+1)+"].resident_code", msgNoPerson)
			case held[r.ResidentCode+" "+r.Programme]:
				fe.Add("recipients["+strconv.Itoa(i+1)+"].resident_code", msgHolds)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		next := map[string]int64{}
		for _, p := range Programmes {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(DISTINCT number) FROM pubmed_certificates WHERE tenant_code = $1 AND programme = $2`, tenant, p).Scan(&n); err != nil {
				return store.Translate(err)
			}
			next[p] = n
		}
		for start := 0; start < len(rows); start += bulkBatch {
			batch := rows[start:min(start+bulkBatch, len(rows))]
			var q strings.Builder
			args := make([]any, 0, len(batch)*11)
			q.WriteString(`INSERT INTO pubmed_applications (tenant_code, kind, resident_code, programme, disease_code, category, flags, institutions,
				health_centre, received_on, status, confirmed_at, confirmed_by, decided_at, decided_by) VALUES `)
			for i, r := range batch {
				if i > 0 {
					q.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&q, "($%d, 'new', $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, 'approved', $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+10, n+11)
				args = append(args, tenant, r.ResidentCode, r.Programme, r.DiseaseCode, r.Category, strings.Join(r.Flags, ","), r.inst, r.HealthCentre,
					dateArg(e, r.From), now, by)
			}
			q.WriteString(" RETURNING id, resident_code, programme")
			ids := map[string]int64{}
			res, err := tx.Query(ctx, q.String(), args...)
			if err != nil {
				return store.Translate(err)
			}
			for res.Next() {
				var id int64
				var code, programme string
				if err := res.Scan(&id, &code, &programme); err != nil {
					res.Close()
					return err
				}
				ids[code+" "+programme] = id
			}
			if err := res.Close(); err != nil {
				return err
			}
			q.Reset()
			args = args[:0]
			q.WriteString(`INSERT INTO pubmed_certificates (tenant_code, number, resident_code, application_id, programme, disease_code,
				disease_name, disease_version, category, flags, institutions, valid_from, valid_until, cap_yen, cap_basis, issued_at, issued_by) VALUES `)
			for i, r := range batch {
				if i > 0 {
					q.WriteString(", ")
				}
				next[r.Programme]++
				prefix := "1"
				if r.Programme == Shoman {
					prefix = "2"
				}
				basis, _ := json.Marshal(r.cap)
				n := len(args)
				q.WriteString("(")
				for k := 1; k <= 17; k++ {
					if k > 1 {
						q.WriteString(", ")
					}
					q.WriteString("$" + strconv.Itoa(n+k))
				}
				q.WriteString(")")
				args = append(args, tenant, fmt.Sprintf("%s%07d", prefix, next[r.Programme]), r.ResidentCode, ids[r.ResidentCode+" "+r.Programme], r.Programme, r.DiseaseCode,
					r.name, s.rules.DiseaseVersion, r.Category, strings.Join(r.Flags, ","), r.inst, dateArg(e, r.From), dateArg(e, r.From.AddDate(1, 0, -1)),
					r.cap.Yen, string(basis), now, by)
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return store.Translate(err)
			}
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: "pubmed.recipients.load", Subject: audit.Subject{Type: "pubmed_recipients", ID: tenant},
			Outcome: audit.OK, Detail: "recipients=" + strconv.Itoa(len(rows)) + " table=" + s.rules.DiseaseVersion})
	})
	if err != nil {
		return 0, s.failed(ctx, tenant, "pubmed.recipients.load", audit.Subject{Type: "pubmed_recipients", ID: tenant}, err)
	}
	return len(rows), nil
}
