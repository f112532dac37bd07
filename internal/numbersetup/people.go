package numbersetup

import (
	"context"
	"math/bits"

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

// Count is how many they are (to size the import's index of them).
func (b PeopleWhere) Count(ctx context.Context, q store.Querier, tenant string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM residents r WHERE r.tenant_code = $1 AND r.mynumber_bidx IS NULL AND `+b.Where, tenant).Scan(&n)
	return n, err
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

// many is a key's person in a keyTable when two people or more have it.
const many = ^uint32(0)

// keyTable finds a person by a key: open addressing, linear probing,
// slots indexed by the key's high bits scaled to the table (the keys are
// hashes already), at most three quarters full: sized for the people
// counted, not rounded up to a power of two. A slot holds the key and the person's index
// plus one (0: empty), or many. One probe sequence inserts or marks a key
// (a Go map took a lookup and an assignment, and a fifth of the setup's
// CPU at 1,000,000 people), and the table holds no pointers for the
// garbage collector to scan.
type keyTable struct {
	slots []slot
	n     int
}

type slot struct {
	k key
	v uint32
}

func (t *keyTable) put(k key, i uint32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(k, i+1)
}

// home is the slot where k's probe sequence starts: the key's high bits
// scaled to the table (any size, not only a power of two).
func (t *keyTable) home(k key) int {
	hi, _ := bits.Mul64(k.a, uint64(len(t.slots)))
	return int(hi)
}

// place puts v for k: a second person with k makes it many.
func (t *keyTable) place(k key, v uint32) {
	for s := t.home(k); ; s = t.after(s) {
		p := &t.slots[s]
		switch {
		case p.v == 0:
			p.k, p.v = k, v
			t.n++
			return
		case p.k == k:
			p.v = many
			return
		}
	}
}

// after is the slot after s, round the table.
func (t *keyTable) after(s int) int {
	if s++; s == len(t.slots) {
		return 0
	}
	return s
}

// reserve makes room for n keys without growing.
func (t *keyTable) reserve(n int) {
	size := max(1024, n*4/3+1)
	if size > len(t.slots) && t.n == 0 {
		t.slots = make([]slot, size)
	}
}

func (t *keyTable) grow() {
	old := t.slots
	t.slots, t.n = make([]slot, max(1024, 2*len(old))), 0
	for _, p := range old {
		if p.v != 0 {
			t.place(p.k, p.v)
		}
	}
}

// get is the index of the one person who has k, or many; ok false when
// nobody has it.
func (t *keyTable) get(k key) (i uint32, ok bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	for s := t.home(k); ; s = t.after(s) {
		p := &t.slots[s]
		switch {
		case p.v == 0:
			return 0, false
		case p.k == k && p.v == many:
			return many, true
		case p.k == k:
			return p.v - 1, true
		}
	}
}

// peopleIndex is a business's people without a number, by the keys of
// their basic four items, and their resident codes (all in one buffer).
// At 24 bytes a slot, a table from half to three quarters full, five keys
// a person and the codes, it takes about 200–300 bytes a person: memory in
// proportion to the business's people (bounded by the municipality),
// never to the file.
type peopleIndex struct {
	codeBuf []byte
	codeEnd []uint32
	all     keyTable
	three   [4]keyTable
}

// newPeopleIndex makes an index sized for about n people (it grows
// past them).
func newPeopleIndex(n int) *peopleIndex {
	x := &peopleIndex{codeEnd: make([]uint32, 0, n)}
	for _, t := range append([]*keyTable{&x.all}, &x.three[0], &x.three[1], &x.three[2], &x.three[3]) {
		t.reserve(n)
	}
	return x
}

func (x *peopleIndex) add(code string, all key, three [4]key) {
	i := uint32(len(x.codeEnd))
	x.codeBuf = append(x.codeBuf, code...)
	x.codeEnd = append(x.codeEnd, uint32(len(x.codeBuf)))
	x.all.put(all, i)
	for k := range three {
		x.three[k].put(three[k], i)
	}
}

// code is person i's resident code.
func (x *peopleIndex) code(i uint32) string {
	start := uint32(0)
	if i > 0 {
		start = x.codeEnd[i-1]
	}
	return string(x.codeBuf[start:x.codeEnd[i]])
}

// diffItems names the item a key of three leaves out.
var diffItems = [4]string{"name", "birth_date", "sex", "address"}

// match is a row's outcome among the people: exact when one person has
// all four items (person), multiple (four_items) when two or more do;
// else one_diff naming the item when one person has three of them,
// multiple (three_items) when two or more do, no_match when nobody does.
// Whether the number is held is found later, in the database.
func (x *peopleIndex) match(all key, three [4]key) (outcome, item, person, note string) {
	if v, ok := x.all.get(all); ok {
		if v == many {
			return Multiple, "", "", "four_items"
		}
		return Exact, "", x.code(v), ""
	}
	found, skip := many, 0
	for k := range three {
		v, ok := x.three[k].get(three[k])
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
	return OneDiff, diffItems[skip], x.code(found), ""
}

// readPeople reads b's people in tenant on a connection of its own (a
// business's people are only read) into an index keyed by k: one
// goroutine reads and keys them, another puts them in the index, a batch
// at a time.
func (s *Service) readPeople(ctx context.Context, b Business, tenant string, k keyer) (*peopleIndex, error) {
	type keyed struct {
		code  string
		all   key
		three [4]key
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sized := make(chan int, 1)
	batches := make(chan []keyed, 8)
	var rerr error
	go func() {
		defer close(batches)
		defer close(sized) // unsent when the count failed: the index is not sized
		rerr = s.db.ReadIn(ctx, tenant, func(q store.Querier) error {
			n := 0
			if c, ok := b.(interface {
				Count(context.Context, store.Querier, string) (int, error)
			}); ok {
				var err error
				if n, err = c.Count(ctx, q, tenant); err != nil {
					return err
				}
			}
			sized <- n
			cur := make([]keyed, 0, 1024)
			err := b.People(ctx, q, tenant, func(p Person) error {
				all, three := k.keys(p)
				cur = append(cur, keyed{p.Code, all, three})
				if len(cur) < cap(cur) {
					return nil
				}
				select {
				case batches <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur = make([]keyed, 0, 1024)
				return nil
			})
			if err == nil && len(cur) > 0 {
				batches <- cur
			}
			return err
		})
	}()
	n := <-sized
	x := newPeopleIndex(n + n/16)
	for batch := range batches {
		for i := range batch {
			x.add(batch[i].code, batch[i].all, batch[i].three)
		}
	}
	return x, rerr
}
