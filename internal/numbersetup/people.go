package numbersetup

import (
	"context"

	"bango/internal/errs"
	"bango/internal/store"
)

// PeopleWhere is a Business of the residents of a municipality for whom
// the SQL condition where holds (it sees the resident as r and its
// municipality as $1), without a My Number: the adapters of the modules
// (internal/pubmed, internal/nhi) are one condition each.
type PeopleWhere struct {
	ID    string
	Label errs.Message
	Where string // e.g. EXISTS (SELECT 1 FROM nhi_insured i WHERE i.tenant_code = r.tenant_code AND i.resident_code = r.code)
}

// Name is the business's identifier.
func (b PeopleWhere) Name() string { return b.ID }

// Title is what the screens call it.
func (b PeopleWhere) Title() errs.Message { return b.Label }

const selectPeople = `SELECT r.code, r.name_kanji, r.birth_date, r.sex, r.address FROM residents r
	WHERE r.tenant_code = $1 AND r.mynumber_bidx IS NULL`

// People streams the business's people without a number.
func (b PeopleWhere) People(ctx context.Context, q store.Querier, tenant string, fn func(Person) error) error {
	return store.Each(func(row store.Scanner) error {
		var p Person
		if err := row.Scan(&p.Code, &p.Name, &p.Birth, &p.Sex, &p.Address); err != nil {
			return err
		}
		p.Birth = p.Birth.UTC()
		return fn(p)
	})(q.Query(ctx, selectPeople+` AND `+b.Where, tenant))
}

// Holds reports whether code is one of them.
func (b PeopleWhere) Holds(ctx context.Context, q store.Querier, tenant, code string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM residents r WHERE r.tenant_code = $1 AND r.mynumber_bidx IS NULL AND r.code = $2 AND `+b.Where,
		tenant, code).Scan(&n)
	return n > 0, err
}

// NHIPeople is the NHI's people for a setup (R-WAU-2): the municipality's
// insured persons who have no My Number registered. It lives here, not in
// internal/nhi, because the linkage engine this package reads files with
// already imports internal/nhi.
func NHIPeople() Business {
	return PeopleWhere{
		ID:    "nhi",
		Label: errs.Message{JA: "国民健康保険", EN: "National Health Insurance"},
		Where: `EXISTS (SELECT 1 FROM nhi_insured i WHERE i.tenant_code = r.tenant_code AND i.resident_code = r.code)`,
	}
}
