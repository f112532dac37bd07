package access

import (
	"context"
	"slices"

	"bango/internal/identity"
	"bango/internal/store"
)

// DutiesApart are the pairs of permissions one person should not hold in
// one municipality: who keys in a My Number should not also be who can
// see any number in full (R-ACC-1's maker–checker keeps entries apart;
// this keeps the two powers apart). Holding both is not forbidden — a
// small town may have one clerk — but granting it warns, and the
// applicant says they mean it.
var DutiesApart = [][2]Permission{{MyNumberEnter, MyNumberReveal}}

// JoinedDuties returns the pairs of DutiesApart that grantee would hold in
// tenant once pattern is granted there, with their live rights.
func (s *Service) JoinedDuties(ctx context.Context, grantee identity.User, pattern, tenant string) ([][2]Permission, error) {
	p, err := s.Pattern(ctx, pattern)
	if err != nil {
		return nil, err
	}
	rights, err := s.RightsOf(ctx, grantee.ID)
	if err != nil {
		return nil, err
	}
	return joined(p.Permissions, func(perm Permission) bool { return rights.Has(perm, tenant) }), nil
}

// PatternJoinsDuties returns the pairs of DutiesApart that pattern's
// permissions hold together.
func PatternJoinsDuties(perms []Permission) [][2]Permission {
	return joined(perms, func(Permission) bool { return false })
}

func joined(adding []Permission, held func(Permission) bool) [][2]Permission {
	var out [][2]Permission
	for _, pair := range DutiesApart {
		has := func(p Permission) bool { return slices.Contains(adding, p) || held(p) }
		if has(pair[0]) && has(pair[1]) {
			out = append(out, pair)
		}
	}
	return out
}

// CountApplied counts the applicant's applications still waiting for an
// approver: the section head's "my applications" on the home page.
func (s *Service) CountApplied(ctx context.Context, applicant identity.User) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM access_grants WHERE status = 'pending' AND applicant_id = $1`, applicant.ID).Scan(&n)
	return n, store.Translate(err)
}
