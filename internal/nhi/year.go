package nhi

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"time"

	"bango/internal/store"
)

// YearMember is an insured member's time in one household within a
// fiscal year, as the premium assessment (R-NHI-4) prorates it.
type YearMember struct {
	ResidentCode string    `json:"resident_code"`
	BirthDate    time.Time `json:"birth_date"`
	// From is the first day in the household within the year (the year's
	// first day when earlier); Until the first day no longer in it (zero:
	// still in it at the year's end). A member who left and came back
	// within the year is taken from the first day to the last.
	From  time.Time `json:"from"`
	Until time.Time `json:"until,omitzero"`
}

// YearHousehold is a household with every member insured in it at some
// time of a fiscal year, and its head: the last head of the year, who may
// be outside NHI (擬制世帯主).
type YearHousehold struct {
	ID        int64        `json:"id"`
	Kigo      string       `json:"kigo"`
	Head      string       `json:"head"`
	HeadBirth time.Time    `json:"head_birth"`
	Members   []YearMember `json:"members"` // by resident code
}

// HouseholdsOfYear reads, through q on engine e, every household of tenant with an
// insured member at some time of fiscal year fy (1 April fy to 31 March
// fy+1), or only household only when it is not 0, in the order of their
// IDs. It reads the memberships and household versions of the
// municipality in three queries, not one per household, so that a year's
// assessment of hundreds of thousands does not wait on a round trip each.
func HouseholdsOfYear(ctx context.Context, q store.Querier, e store.Engine, tenant string, fy int, only int64) ([]YearHousehold, error) {
	start, end := date(fy, time.April, 1), date(fy+1, time.April, 1)
	filter, args := "", []any{tenant, dateArg(e, end)}
	if only != 0 {
		filter = ` AND resident_code IN (SELECT resident_code FROM nhi_memberships WHERE tenant_code = $1 AND household_id = $3)`
		args = append(args, only)
	}
	type row struct {
		code string
		hh   int64
		from time.Time
	}
	byHH := map[int64]map[string]*YearMember{}
	var cur []row // the rows of one resident, in date order
	flush := func() {
		// A later row of the same date replaces the earlier.
		var rs []row
		for _, r := range cur {
			if n := len(rs); n > 0 && rs[n-1].from.Equal(r.from) {
				rs[n-1] = r
			} else {
				rs = append(rs, r)
			}
		}
		for i, r := range rs {
			if r.hh == 0 {
				continue
			}
			until := time.Time{}
			if i+1 < len(rs) {
				until = rs[i+1].from
			}
			if !until.IsZero() && !until.After(start) || !r.from.Before(end) {
				continue // not within the year
			}
			from := r.from
			if from.Before(start) {
				from = start
			}
			if !until.IsZero() && !until.Before(end) {
				until = time.Time{}
			}
			ms := byHH[r.hh]
			if ms == nil {
				ms = map[string]*YearMember{}
				byHH[r.hh] = ms
			}
			if m := ms[r.code]; m != nil {
				if from.Before(m.From) {
					m.From = from
				}
				if until.IsZero() || !m.Until.IsZero() && until.After(m.Until) {
					m.Until = until
				}
			} else {
				ms[r.code] = &YearMember{ResidentCode: r.code, From: from, Until: until}
			}
		}
		cur = cur[:0]
	}
	err := store.Each(func(sc store.Scanner) error {
		var r row
		var hh sql.NullInt64
		if err := sc.Scan(&r.code, &hh, &r.from); err != nil {
			return err
		}
		r.hh, r.from = hh.Int64, dateOnly(r.from)
		if len(cur) > 0 && cur[0].code != r.code {
			flush()
		}
		cur = append(cur, r)
		return nil
	})(q.Query(ctx, `SELECT resident_code, household_id, valid_from FROM nhi_memberships WHERE tenant_code = $1 AND valid_from < $2 AND voided_at IS NULL`+filter+`
		ORDER BY resident_code, valid_from, id`, args...))
	if err != nil {
		return nil, err
	}
	flush()
	if only != 0 {
		for hh := range byHH {
			if hh != only {
				delete(byHH, hh)
			}
		}
	}
	if len(byHH) == 0 {
		return []YearHousehold{}, nil
	}
	// Heads: the last head of the year that is not a dissolution.
	heads := map[int64]string{}
	kigo := map[int64]string{}
	hfilter, hargs := "", []any{tenant, dateArg(e, end)}
	if only != 0 {
		hfilter, hargs = ` AND v.household_id = $3`, append(hargs, only)
	}
	err = store.Each(func(sc store.Scanner) error {
		var hh int64
		var head, k string
		if err := sc.Scan(&hh, &head, &k); err != nil {
			return err
		}
		kigo[hh] = k
		if head != "" {
			heads[hh] = head
		}
		return nil
	})(q.Query(ctx, `SELECT v.household_id, v.head_resident_code, h.kigo FROM nhi_household_versions v
		JOIN nhi_households h ON h.tenant_code = v.tenant_code AND h.id = v.household_id
		WHERE v.tenant_code = $1 AND v.valid_from < $2 AND v.voided_at IS NULL`+hfilter+` ORDER BY v.household_id, v.valid_from, v.id`, hargs...))
	if err != nil {
		return nil, err
	}
	births := map[string]time.Time{}
	want := map[string]bool{}
	for hh, ms := range byHH {
		want[heads[hh]] = true
		for c := range ms {
			want[c] = true
		}
	}
	// One IN of a UNION, not two INs joined by OR: under an OR PostgreSQL
	// cannot make the IN a semi-join, and with the codes over work_mem it
	// re-read the whole list for every resident (a yearly run at 300,000
	// insured had not finished one statement after four minutes).
	bfilter, bargs := ` AND code IN (SELECT resident_code FROM nhi_memberships WHERE tenant_code = $1
		UNION SELECT head_resident_code FROM nhi_household_versions WHERE tenant_code = $1)`, []any{tenant}
	if only != 0 {
		codes := make([]string, 0, len(want))
		for c := range want {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		bfilter = " AND code IN ("
		for i, c := range codes {
			if i > 0 {
				bfilter += ", "
			}
			bargs = append(bargs, c)
			bfilter += "$" + strconv.Itoa(len(bargs))
		}
		bfilter += ")"
	}
	err = store.Each(func(sc store.Scanner) error {
		var c string
		var b time.Time
		if err := sc.Scan(&c, &b); err != nil {
			return err
		}
		if want[c] {
			births[c] = dateOnly(b)
		}
		return nil
	})(q.Query(ctx, `SELECT code, birth_date FROM residents WHERE tenant_code = $1`+bfilter, bargs...))
	if err != nil {
		return nil, err
	}
	out := make([]YearHousehold, 0, len(byHH))
	for hh, ms := range byHH {
		y := YearHousehold{ID: hh, Kigo: kigo[hh], Head: heads[hh], HeadBirth: births[heads[hh]], Members: make([]YearMember, 0, len(ms))}
		for _, m := range ms {
			m.BirthDate = births[m.ResidentCode]
			y.Members = append(y.Members, *m)
		}
		sort.Slice(y.Members, func(i, j int) bool { return y.Members[i].ResidentCode < y.Members[j].ResidentCode })
		out = append(out, y)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
