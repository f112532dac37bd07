package pubmed

import (
	"bango/internal/access"
	"bango/internal/module"
)

// Module is what public-expense care adds to the engines: its rights and
// its one kind of entry a checker confirms, the application (R-ACC-1).
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "pubmed",
		Permissions: []access.Permission{access.PubmedRead, access.PubmedWrite},
		Reviews:     []module.Review{{Kind: KindApplication, Apply: s.ApplyApplication}},
	}
}
