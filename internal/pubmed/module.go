package pubmed

import (
	"time"

	"bango/internal/access"
	"bango/internal/module"
)

// Module is what public-expense care adds to the engines: its rights, its
// one kind of entry a checker confirms, the application (R-ACC-1), and
// the monthly end of the My Numbers it no longer needs (R-STO-2; the job
// looks every six hours and runs once a month in each municipality).
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "pubmed",
		Permissions: []access.Permission{access.PubmedRead, access.PubmedWrite},
		Reviews:     []module.Review{{Kind: KindApplication, Apply: s.ApplyApplication}},
		Jobs:        []module.Job{{Name: "pubmed My Number retention", Every: 6 * time.Hour, Run: s.RetainAll}},
	}
}
