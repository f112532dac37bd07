package assess

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/nhi/premium"
	"bango/internal/review"
	"bango/internal/store"
)

// RateVersion is one confirmed version of a municipality's rate table of
// a fiscal year. The highest Seq of the year is in force; the others were
// superseded, and every assessment names the one it used.
type RateVersion struct {
	ID          int64             `json:"id"`
	FiscalYear  int               `json:"fiscal_year"`
	Seq         int               `json:"seq"`
	Version     string            `json:"version"`
	Source      string            `json:"source"`
	ConfirmedAt time.Time         `json:"confirmed_at"`
	ConfirmedBy string            `json:"confirmed_by"`
	InForce     bool              `json:"in_force"`
	Table       premium.RateTable `json:"table"`
}

func ratesSubject(fy int) audit.Subject {
	return audit.Subject{Type: "nhi_rate_table", ID: strconv.Itoa(fy)}
}

var (
	msgMuniOther   = errs.Message{JA: "この料率表は別の市区町村のものです（市区町村コードが違います）", EN: "the rate table is another municipality's: its municipality code differs"}
	msgVersionUsed = errs.Message{JA: "この年度の料率表にこの版はすでにあります（訂正は別の版名で入力してください）", EN: "this fiscal year already has a rate table of this version: enter a correction under a new version"}
	msgNoRates     = errs.Message{JA: "この年度の確定した料率表がありません（料率表を入力し、別の職員の確認を受けてください）",
		EN: "no confirmed rate table for this fiscal year: enter one and have another staff member confirm it"}
)

// parseRates reads and checks a rate table of fiscal year fy for tenant:
// the strict file format, the year's statutory rules, the municipality.
func (s *Service) parseRates(tenant string, fy int, body []byte) (premium.RateTable, error) {
	var fe errs.FieldErrors
	s.fiscalYearField(&fe, fy)
	if err := fe.Err(); err != nil {
		return premium.RateTable{}, err
	}
	rules, err := premium.LoadRules(fy)
	if err != nil {
		return premium.RateTable{}, err
	}
	t, err := premium.DecodeRates(body)
	if err != nil {
		return premium.RateTable{}, err
	}
	if err := t.Validate(rules); err != nil {
		return premium.RateTable{}, err
	}
	if t.Municipality != tenant {
		fe.Add("municipality", msgMuniOther)
		return premium.RateTable{}, fe.Err()
	}
	return t, nil
}

// versionTaken reports whether tenant's fiscal year fy has a confirmed
// table of version v.
func versionTaken(ctx context.Context, q store.Querier, tenant string, fy int, v string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM nhi_rate_tables WHERE tenant_code = $1 AND fiscal_year = $2 AND version = $3`, tenant, fy, v).Scan(&n)
	return n > 0, store.Translate(err)
}

// ProposeRates checks a rate table (the README's JSON format) of fiscal
// year fy for tenant and returns the maker's proposal: it holds only when
// another staff member confirms it (ApplyRates). A wrong table is refused
// naming every wrong field, and nothing is written but the refusal's
// event.
func (s *Service) ProposeRates(ctx context.Context, tenant string, fy int, body []byte) (review.Proposal, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.rates.propose"
	t, err := s.parseRates(tenant, fy, body)
	if err == nil {
		err = s.db.Read(ctx, func(q store.Querier) error {
			if err := store.TenantExists(ctx, q, tenant); err != nil {
				return err
			}
			if taken, err := versionTaken(ctx, q, tenant, fy, t.Version); err != nil {
				return err
			} else if taken {
				var fe errs.FieldErrors
				fe.Add("version", msgVersionUsed)
				fe.Kind = errs.Conflict
				return fe.Err()
			}
			return nil
		})
	}
	if err != nil {
		return review.Proposal{}, s.failed(ctx, tenant, action, ratesSubject(fy), err)
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return review.Proposal{}, err
	}
	return review.Proposal{Kind: KindRates, Subject: ratesSubject(fy), Payload: payload,
		Summary: strconv.Itoa(fy) + "年度 国民健康保険料の料率表（版 " + t.Version + "）の確定。出典: " + t.Source}, nil
}

// ApplyRates applies a confirmed rate table inside the confirming
// transaction: checked again, it becomes the year's next version, in force
// from now on, and the version before it stays as it was (superseded).
func (s *Service) ApplyRates(ctx context.Context, tx *store.Tx, tenant string, payload []byte) error {
	const action = "nhi.rates"
	var t premium.RateTable
	if err := json.Unmarshal(payload, &t); err != nil {
		return errs.Wrap(errs.Internal, err, "rate table proposal")
	}
	fy := t.FiscalYear
	if _, err := s.parseRates(tenant, fy, payload); err != nil {
		return err
	}
	if taken, err := versionTaken(ctx, tx, tenant, fy, t.Version); err != nil {
		return err
	} else if taken {
		var fe errs.FieldErrors
		fe.Add("version", msgVersionUsed)
		fe.Kind = errs.Conflict
		return fe.Err()
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM nhi_rate_tables WHERE tenant_code = $1 AND fiscal_year = $2`, tenant, fy).Scan(&seq); err != nil {
		return store.Translate(err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO nhi_rate_tables (tenant_code, fiscal_year, seq, version, source, body, confirmed_at, confirmed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, tenant, fy, seq, t.Version, t.Source, string(payload), s.now().UTC(), actorOf(ctx)).Scan(&id); err != nil {
		return store.Translate(err)
	}
	return audit.Record(ctx, tx, audit.Event{Tenant: tenant, Action: action, Subject: ratesSubject(fy), Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(fy) + " seq=" + strconv.Itoa(seq) + " version=" + t.Version + " rate_table=" + strconv.FormatInt(id, 10)})
}

func scanRates(row store.Scanner) (RateVersion, error) {
	var v RateVersion
	var body string
	err := row.Scan(&v.ID, &v.FiscalYear, &v.Seq, &v.Version, &v.Source, &body, &v.ConfirmedAt, &v.ConfirmedBy)
	if err != nil {
		return v, err
	}
	v.ConfirmedAt = v.ConfirmedAt.UTC()
	if err := json.Unmarshal([]byte(body), &v.Table); err != nil {
		return v, errs.Wrap(errs.Internal, err, "rate table %d", v.ID)
	}
	return v, nil
}

const ratesColumns = `id, fiscal_year, seq, version, source, body, confirmed_at, confirmed_by`

// ratesInForce reads the version of tenant's rate table of fiscal year fy
// in force: the last confirmed. A year without one is refused naming
// fiscal_year.
func ratesInForce(ctx context.Context, q store.Querier, tenant string, fy int) (RateVersion, error) {
	v, err := scanRates(q.QueryRow(ctx, `SELECT `+ratesColumns+` FROM nhi_rate_tables WHERE tenant_code = $1 AND fiscal_year = $2
		ORDER BY seq DESC LIMIT 1`, tenant, fy))
	if errs.Is(store.ScanErr(err, "rate table"), errs.NotFound) {
		var fe errs.FieldErrors
		fe.Add("fiscal_year", msgNoRates)
		return v, fe.Err()
	}
	v.InForce = err == nil
	return v, store.Translate(err)
}

// RateTables lists the confirmed versions of tenant's rate table of fiscal
// year fy (every year when fy is 0), the latest of each year first and
// marked in force. Reading them is an event.
func (s *Service) RateTables(ctx context.Context, tenant string, fy int) ([]RateVersion, error) {
	ctx = store.WithScope(ctx, tenant) // the second wall (R-AC-6)
	const action = "nhi.rates.read"
	var out []RateVersion
	err := s.db.Read(ctx, func(q store.Querier) (err error) {
		if err := store.TenantExists(ctx, q, tenant); err != nil {
			return err
		}
		out, err = store.Rows(scanRates)(q.Query(ctx, `SELECT `+ratesColumns+` FROM nhi_rate_tables WHERE tenant_code = $1 AND ($2 = 0 OR fiscal_year = $2)
			ORDER BY fiscal_year DESC, seq DESC`, tenant, fy))
		return err
	})
	if err != nil {
		return nil, s.failed(ctx, tenant, action, ratesSubject(fy), err)
	}
	seen := map[int]bool{}
	for i := range out {
		out[i].InForce = !seen[out[i].FiscalYear]
		seen[out[i].FiscalYear] = true
	}
	if out == nil {
		out = []RateVersion{}
	}
	if err := audit.RecordAlone(ctx, s.db, audit.Event{Tenant: tenant, Action: action, Subject: ratesSubject(fy), Outcome: audit.OK,
		Detail: "fiscal_year=" + strconv.Itoa(fy) + " versions=" + strconv.Itoa(len(out))}); err != nil {
		return nil, err
	}
	return out, nil
}
