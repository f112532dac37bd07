package linkage

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"bango/internal/audit"
	"bango/internal/errs"
	"bango/internal/store"
)

// Directions of a partner: one way only (R-LNK-2).
const (
	Inbound  = "inbound"  // the partner sends files to bango
	Outbound = "outbound" // bango produces files for the partner
)

// Partner is an external system one municipality exchanges files with, in
// one direction, by the layouts listed. Nothing else is routed: a partner,
// a layout or a direction not configured is refused (R-LNK-4).
type Partner struct {
	Tenant    string    `json:"tenant"`
	ID        string    `json:"partner"`
	Title     string    `json:"title"`
	Direction string    `json:"direction"`
	Layouts   []string  `json:"layouts"`
	Confirm   bool      `json:"confirm"` // an inbound file waits for a second person's confirmation
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

var partnerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// AddPartner configures a partner of p.Tenant: its direction and the
// layouts it may send (inbound) or receive (outbound), each a layout of
// that direction.
func (s *Service) AddPartner(ctx context.Context, p Partner) (Partner, error) {
	ctx = store.WithScope(ctx, p.Tenant)
	const action = "linkage.partner.add"
	subject := audit.Subject{Type: "linkage_partner", ID: p.ID}
	var fe errs.FieldErrors
	if !partnerID.MatchString(p.ID) {
		fe.Add("partner", errs.Message{JA: "連携先IDは英小文字・数字・ハイフンの40文字以内で入力してください", EN: "a partner ID is up to 40 lower-case letters, digits and hyphens"})
	}
	if p.Direction != Inbound && p.Direction != Outbound {
		fe.Add("direction", errs.Message{JA: "方向は inbound（受信）か outbound（送信）のどちらかです", EN: "the direction is inbound or outbound"})
	}
	if len(p.Layouts) == 0 {
		fe.Add("layouts", errs.Message{JA: "やり取りするレイアウトを1つ以上指定してください", EN: "name at least one layout"})
	}
	for _, name := range p.Layouts {
		l, err := Lookup(name, 0)
		switch {
		case err != nil:
			fe.Add("layouts", errs.Message{JA: "レイアウト「" + name + "」はありません", EN: "there is no layout " + name})
		case p.Direction != "" && l.Direction != p.Direction:
			fe.Add("layouts", errs.Message{JA: "レイアウト「" + name + "」は方向が違います（" + l.Direction + "）", EN: "layout " + name + " is " + l.Direction + ", not " + p.Direction})
		}
	}
	if p.Confirm && p.Direction == Outbound {
		fe.Add("confirm", errs.Message{JA: "確認待ちにできるのは受信の連携先だけです", EN: "only an inbound partner's files wait for confirmation"})
	}
	if err := fe.Err(); err != nil {
		return Partner{}, audit.Refused(ctx, s.db, p.Tenant, action, subject, err)
	}
	p.Active, p.CreatedAt, p.CreatedBy = true, s.now().UTC(), actorOf(ctx)
	slices.Sort(p.Layouts)
	p.Layouts = slices.Compact(p.Layouts)
	err := s.db.TransactIn(ctx, p.Tenant, func(tx *store.Tx) error {
		if err := store.TenantExists(ctx, tx, p.Tenant); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO linkage_partners (tenant_code, partner, title, direction, confirm, active, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.Tenant, p.ID, p.Title, p.Direction, p.Confirm, true, p.CreatedAt, p.CreatedBy); err != nil {
			if errs.Is(err, errs.Conflict) {
				return errs.Tell(errs.Conflict, errs.Message{JA: "連携先「" + p.ID + "」はすでに登録されています", EN: "partner " + p.ID + " is already configured"},
					"partner %s of %s exists", p.ID, p.Tenant)
			}
			return err
		}
		for _, l := range p.Layouts {
			if _, err := tx.Exec(ctx, `INSERT INTO linkage_partner_layouts (tenant_code, partner, layout) VALUES ($1, $2, $3)`, p.Tenant, p.ID, l); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Tenant: p.Tenant, Action: action, Subject: subject, Outcome: audit.OK,
			Detail: "direction=" + p.Direction + " layouts=" + strings.Join(p.Layouts, ",") + " confirm=" + boolWord(p.Confirm)})
	})
	if err != nil {
		return Partner{}, audit.Refused(ctx, s.db, p.Tenant, action, subject, err)
	}
	return p, nil
}

// Partners lists tenant's partners.
func (s *Service) Partners(ctx context.Context, tenant string) ([]Partner, error) {
	var out []Partner
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		out, err = store.Rows(scanPartner)(q.Query(ctx, selectPartner+` WHERE tenant_code = $1 ORDER BY partner`, tenant))
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Layouts, err = partnerLayouts(ctx, q, tenant, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

const selectPartner = `SELECT tenant_code, partner, title, direction, confirm, active, created_at, created_by FROM linkage_partners`

func scanPartner(row store.Scanner) (Partner, error) {
	var p Partner
	err := row.Scan(&p.Tenant, &p.ID, &p.Title, &p.Direction, &p.Confirm, &p.Active, &p.CreatedAt, &p.CreatedBy)
	return p, err
}

func partnerLayouts(ctx context.Context, q store.Querier, tenant, partner string) ([]string, error) {
	return store.Rows(func(row store.Scanner) (string, error) {
		var l string
		return l, row.Scan(&l)
	})(q.Query(ctx, `SELECT layout FROM linkage_partner_layouts WHERE tenant_code = $1 AND partner = $2 ORDER BY layout`, tenant, partner))
}

func errNoRoute(tenant, partner, layout, direction string) error {
	return errs.Tell(errs.Forbidden, errs.Message{
		JA: "この連携先とのこのレイアウトの" + directionJA(direction) + "は設定されていません。設定されていない連携は行えません。情報システム担当に連携先の設定を依頼してください。",
		EN: "This partner is not configured to " + directionEN(direction) + " files of this layout, and what is not configured is refused: ask the IS department to configure the partner.",
	}, "no route: tenant %s partner %s layout %s direction %s", tenant, partner, layout, direction)
}

func directionJA(d string) string {
	if d == Outbound {
		return "送信"
	}
	return "受信"
}

func directionEN(d string) string {
	if d == Outbound {
		return "receive"
	}
	return "send"
}

// route finds what a file of layout (version 0: the newest) between tenant
// and partner in direction is allowed by: the partner, configured, active,
// in that direction, with that layout. Anything else has no route.
func (s *Service) route(ctx context.Context, tenant, partner, layout string, version int, direction string) (Partner, *Layout, error) {
	var p Partner
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		var err error
		p, err = scanPartner(q.QueryRow(ctx, selectPartner+` WHERE tenant_code = $1 AND partner = $2`, tenant, partner))
		if err != nil {
			return store.ScanErr(err, "partner")
		}
		p.Layouts, err = partnerLayouts(ctx, q, tenant, partner)
		return err
	})
	if errs.Is(err, errs.NotFound) {
		return Partner{}, nil, errNoRoute(tenant, partner, layout, direction)
	}
	if err != nil {
		return Partner{}, nil, err
	}
	if !p.Active || p.Direction != direction || !slices.Contains(p.Layouts, layout) {
		return Partner{}, nil, errNoRoute(tenant, partner, layout, direction)
	}
	l, err := Lookup(layout, version)
	if err != nil || l.Direction != direction {
		return Partner{}, nil, errNoRoute(tenant, partner, layout, direction)
	}
	return p, l, nil
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func actorOf(ctx context.Context) string {
	if a, ok := audit.ActorFrom(ctx); ok {
		return a.User
	}
	return "system"
}
