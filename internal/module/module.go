// Package module is the contract a business module registers by
// (docs/modules.md): one declaration of what it adds to the engines — its
// maker–checker kinds, its export kinds and its background jobs — made
// in its own package and installed once by the composition root
// (cmd/bango). The engines learn a module's kinds from here and nowhere
// else; its routes, menu entries and home-page counters are its web file
// group's (internal/web/modules.go).
package module

import (
	"context"
	"fmt"
	"time"

	"bango/internal/access"
	"bango/internal/export"
	"bango/internal/review"
)

// Module is one business module's declaration.
type Module struct {
	Name string
	// Permissions are the rights the module's routes check; each must be
	// in the access catalogue, which patterns are built from.
	Permissions []access.Permission
	Reviews     []Review
	Exports     []export.Kind
	Jobs        []Job
}

// Review is a kind of change a checker must confirm before it holds.
type Review struct {
	Kind  string
	Apply review.Applier
	// Confirm is the system permission of a system-wide kind's checker;
	// "" for a municipality's kind, confirmed with review.confirm there.
	Confirm access.Permission
	// Rejected, when set, hears of each rejection inside its transaction.
	Rejected review.Rejecter
}

// Job is background work the server runs every Every.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(context.Context) error
}

// Install hands every module's kinds to the engines. A name declared twice,
// or a permission outside the catalogue, is a programming error found at
// start, not at the first request.
func Install(mods []Module, reviews *review.Service, exports *export.Service) error {
	seen := map[string]string{}
	claim := func(what, name, mod string) error {
		if other, ok := seen[what+" "+name]; ok {
			return fmt.Errorf("module %s: %s %q is already declared by module %s", mod, what, name, other)
		}
		seen[what+" "+name] = mod
		return nil
	}
	for _, m := range mods {
		if err := claim("module", m.Name, m.Name); err != nil {
			return err
		}
		for _, p := range m.Permissions {
			if !access.Known(p) {
				return fmt.Errorf("module %s: permission %q is not in the access catalogue", m.Name, p)
			}
		}
		for _, r := range m.Reviews {
			if err := claim("review kind", r.Kind, m.Name); err != nil {
				return err
			}
			if r.Confirm != "" {
				reviews.RegisterSystem(r.Kind, r.Apply, r.Confirm)
			} else {
				reviews.Register(r.Kind, r.Apply)
			}
			if r.Rejected != nil {
				reviews.OnReject(r.Kind, r.Rejected)
			}
		}
		for _, k := range m.Exports {
			if err := claim("export kind", k.Name, m.Name); err != nil {
				return err
			}
			exports.Register(k)
		}
		for _, j := range m.Jobs {
			if err := claim("job", j.Name, m.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Jobs lists every module's jobs.
func Jobs(mods []Module) []Job {
	var out []Job
	for _, m := range mods {
		out = append(out, m.Jobs...)
	}
	return out
}

// Access is the access engine's own declaration: the rights of the IS
// department and section heads, and its maker–checker kind — a pattern
// change holds once an approver of rights other than its author confirms
// it (R-AC-3).
func Access(a *access.Service) Module {
	return Module{
		Name:        "access",
		Permissions: []access.Permission{access.GrantApply, access.GrantApprove, access.PatternAdmin, access.UserAdmin, access.TerminalAdmin},
		Reviews:     []Review{{Kind: access.KindPattern, Apply: a.ApplyPattern, Confirm: access.GrantApprove}},
	}
}
