package pubmed

import (
	"time"

	"bango/internal/access"
	"bango/internal/module"
)

// Module is what public-expense care adds to the engines: its rights, the
// kinds of entry a checker confirms — the application, the decision on
// it, and the issue and end of a 登録者証 (R-ACC-1) — and
// the monthly end of the My Numbers it no longer needs (R-STO-2; the job
// looks every six hours and runs once a month in each municipality).
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "pubmed",
		Permissions: []access.Permission{access.PubmedRead, access.PubmedWrite},
		Reviews: []module.Review{{Kind: KindApplication, Apply: s.ApplyApplication}, {Kind: KindDecision, Apply: s.ApplyDecision},
			{Kind: KindRegistration, Apply: s.ApplyRegistration}, {Kind: KindRegistrationEnd, Apply: s.ApplyRegistrationEnd}},
		Jobs: []module.Job{{Name: "pubmed My Number retention", Every: 6 * time.Hour, Run: s.RetainAll}},
	}
}
