package resident

import (
	"context"
	"time"

	"bango/internal/access"
	"bango/internal/export"
	"bango/internal/module"
)

// Module is what the resident module (宛名) adds to the engines: a My Number
// entered waits for a checker (R-ACC-1), the resident list leaves only
// through an approved export (R-AC-5), and the search index is kept
// current in the background.
func (s *Service) Module() module.Module {
	return module.Module{
		Name:        "resident",
		Permissions: []access.Permission{access.ResidentRead, access.ResidentWrite, access.MyNumberEnter, access.MyNumberReveal},
		Reviews:     []module.Review{{Kind: KindMyNumber, Apply: s.ApplyMyNumber}},
		Exports:     []export.Kind{{Name: "residents", JA: "宛名一覧（住民基本情報）", EN: "Resident list", Write: s.ExportCSV}},
		Jobs: []module.Job{{Name: "resident search index", Every: time.Second,
			Run: func(ctx context.Context) error { _, err := IndexForSearch(ctx, s.db); return err }}},
	}
}
