package access

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"bango/internal/store"
)

// Rights are what one user may do now, from their live grants.
type Rights struct {
	system  map[Permission]bool            // from system patterns: hold everywhere
	tenants map[string]map[Permission]bool // from municipality patterns
}

// Has reports whether the rights include p for tenant. A system right
// (user.admin, …) needs no tenant; a municipality right holds only for
// the tenant of its grant, unless a system pattern gives it everywhere.
func (r Rights) Has(p Permission, tenant string) bool {
	info, ok := catalogue[p]
	if !ok {
		return false
	}
	if info.Reach != InTenant && r.system[p] {
		return true
	}
	if info.Reach == SystemOnly || tenant == "" {
		return false
	}
	return r.tenants[tenant][p]
}

// Anywhere reports whether p is held for at least one tenant or system-wide:
// whether to show its menu entry.
func (r Rights) Anywhere(p Permission) bool {
	if r.system[p] {
		return true
	}
	for _, ps := range r.tenants {
		if ps[p] {
			return true
		}
	}
	return false
}

// Tenants lists the municipalities where p is held; all is true when a
// system pattern gives it everywhere.
func (r Rights) Tenants(p Permission) (tenants []string, all bool) {
	if info := catalogue[p]; info.Reach != InTenant && r.system[p] {
		return nil, true
	}
	for t, ps := range r.tenants {
		if ps[p] {
			tenants = append(tenants, t)
		}
	}
	slices.Sort(tenants)
	return tenants, false
}

// AllTenants lists every municipality the user holds any right for, for
// the scope switcher of union staff.
func (r Rights) AllTenants() []string {
	var out []string
	for t := range r.tenants {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Empty reports whether the user holds no right at all.
func (r Rights) Empty() bool { return len(r.system) == 0 && len(r.tenants) == 0 }

// RightsOf reads the live grants of userID: approved, begun, not ended.
// It runs at every request, so an ended or revoked grant ends the rights
// of live sessions at their next request.
func (s *Service) RightsOf(ctx context.Context, userID int64) (Rights, error) {
	return s.rightsIn(ctx, s.db, userID)
}

// rightsIn is RightsOf read through q: inside a transaction, its Tx.
func (s *Service) rightsIn(ctx context.Context, q store.Querier, userID int64) (Rights, error) {
	r := Rights{system: map[Permission]bool{}, tenants: map[string]map[Permission]bool{}}
	now := s.now()
	err := store.Each(func(row store.Scanner) error {
		var tenant, scope, perm string
		var from time.Time
		var until sql.NullTime
		if err := row.Scan(&tenant, &scope, &perm, &from, &until); err != nil {
			return err
		}
		if now.Before(from) || (until.Valid && !now.Before(until.Time)) {
			return nil
		}
		p := Permission(perm)
		if !Known(p) {
			return nil // a name dropped from the catalogue grants nothing
		}
		if scope == ScopeSystem {
			r.system[p] = true
			return nil
		}
		if r.tenants[tenant] == nil {
			r.tenants[tenant] = map[Permission]bool{}
		}
		r.tenants[tenant][p] = true
		return nil
	})(q.Query(ctx, `SELECT g.tenant_code, p.scope, pp.permission, g.valid_from, g.valid_until
		FROM access_grants g JOIN access_patterns p ON p.id = g.pattern_id JOIN access_pattern_permissions pp ON pp.pattern_id = p.id
		WHERE g.user_id = $1 AND g.status = 'approved'`, userID))
	return r, err
}
