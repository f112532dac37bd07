package resident

import (
	"context"

	"bango/internal/mynumber"
	"bango/internal/store"
)

// SetMyNumberConfirmed registers n for resident code inside tx, the
// transaction of a checker's confirmation that another engine holds (the
// My Number setup from a registry file, internal/numbersetup). It seals n
// for the resident and goes through the same checks and audit event as a
// number confirmed by double entry: the resident has no number yet, nobody
// else in the municipality holds n, and mynumber.register is recorded with
// the resident as subject and detail saying where it came from. A refusal
// is a Conflict error and writes nothing.
func (s *Service) SetMyNumberConfirmed(ctx context.Context, tx *store.Tx, tenant, code string, n mynumber.Number, detail string) error {
	sn, err := s.vault.SealNumber(ctx, binding(tenant, code), n)
	if err != nil {
		return err
	}
	return s.setMyNumber(ctx, tx, tenant, code, sn, detail)
}
