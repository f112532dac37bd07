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

// many is a key's person index when two people or more have it.
const many = ^uint32(0)

// peopleIndex is a business's people without a number, by the keys of
// their basic four items: each key to the index of the one person who has
// it (in codes), or many. It holds about 24 bytes a key and five keys a
// person, and the people's codes: memory in proportion to the business's
// people (bounded by the municipality), never to the file.
type peopleIndex struct {
	codes []string
	all   map[key]uint32
	three [4]map[key]uint32
}

func newPeopleIndex() *peopleIndex {
	x := &peopleIndex{all: map[key]uint32{}}
	for i := range x.three {
		x.three[i] = map[key]uint32{}
	}
	return x
}

func (x *peopleIndex) add(code string, all key, three [4]key) {
	i := uint32(len(x.codes))
	x.codes = append(x.codes, code)
	put(x.all, all, i)
	for k := range three {
		put(x.three[k], three[k], i)
	}
}

func put(m map[key]uint32, k key, i uint32) {
	if _, ok := m[k]; ok {
		m[k] = many
	} else {
		m[k] = i
	}
}

// diffItems names the item a key of three leaves out.
var diffItems = [4]string{"name", "birth_date", "sex", "address"}

// match is a row's outcome among the people: exact when one person has
// all four items (person), multiple (four_items) when two or more do;
// else one_diff naming the item when one person has three of them,
// multiple (three_items) when two or more do, no_match when nobody does.
// Whether the number is held is found later, in the database.
func (x *peopleIndex) match(all key, three [4]key) (outcome, item, person, note string) {
	if v, ok := x.all[all]; ok {
		if v == many {
			return Multiple, "", "", "four_items"
		}
		return Exact, "", x.codes[v], ""
	}
	found, skip := many, 0
	for k := range three {
		v, ok := x.three[k][three[k]]
		switch {
		case !ok:
			continue
		case v == many, found != many && v != found:
			return Multiple, "", "", "three_items"
		}
		found, skip = v, k
	}
	if found == many {
		return NoMatch, "", "", ""
	}
	return OneDiff, diffItems[skip], x.codes[found], ""
}

// readPeople reads b's people in tenant on a connection of its own (a
// business's people are only read) into an index keyed by k.
func (s *Service) readPeople(ctx context.Context, b Business, tenant string, k keyer) (*peopleIndex, error) {
	x := newPeopleIndex()
	err := s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
		return b.People(ctx, q, tenant, func(p Person) error {
			all, three := k.keys(p)
			x.add(p.Code, all, three)
			return nil
		})
	})
	return x, err
}
