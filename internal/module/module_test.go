package module_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/export"
	"bango/internal/module"
	"bango/internal/review"
)

func engines() (*review.Service, *export.Service) {
	return review.NewService(nil, nil, nil), export.NewService(nil, nil)
}

func write(context.Context, string, int64, bool, io.Writer) (int, error) { return 0, nil }

// A module's export kinds reach the export engine through Install, in the
// order declared; a name declared twice, by one module or two, and a
// permission outside the catalogue stop the start.
func TestInstall(t *testing.T) {
	rv, ex := engines()
	mods := []module.Module{
		{Name: "a", Permissions: []access.Permission{access.ResidentRead}, Exports: []export.Kind{{Name: "list-a", Write: write}},
			Jobs: []module.Job{{Name: "index"}}},
		{Name: "b", Exports: []export.Kind{{Name: "list-b", Write: write}}, Reviews: []module.Review{{Kind: "b.change"}}},
	}
	if err := module.Install(mods, rv, ex); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range ex.Kinds() {
		names = append(names, k.Name)
	}
	if strings.Join(names, ",") != "list-a,list-b" {
		t.Fatalf("export kinds = %v", names)
	}
	if jobs := module.Jobs(mods); len(jobs) != 1 || jobs[0].Name != "index" {
		t.Fatalf("jobs = %v", jobs)
	}
	for name, bad := range map[string][]module.Module{
		"same export kind": {{Name: "a", Exports: []export.Kind{{Name: "x"}}}, {Name: "b", Exports: []export.Kind{{Name: "x"}}}},
		"same review kind": {{Name: "a", Reviews: []module.Review{{Kind: "k"}, {Kind: "k"}}}},
		"same module":      {{Name: "a"}, {Name: "a"}},
		"same job":         {{Name: "a", Jobs: []module.Job{{Name: "j"}}}, {Name: "b", Jobs: []module.Job{{Name: "j"}}}},
		"unknown right":    {{Name: "a", Permissions: []access.Permission{"resident.fly"}}},
	} {
		rv, ex := engines()
		if err := module.Install(bad, rv, ex); err == nil {
			t.Errorf("%s: installed", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
