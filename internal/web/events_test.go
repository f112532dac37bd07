package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var actionKey = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// recordedActions reads bango's Go code (not its tests) for the actions
// its audit events can carry: a string given as an event's Action, kept
// in a variable named action, or passed as a function's parameter named
// action (failed(ctx, tenant, "resident.create", …), audit.Refused).
func recordedActions(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	type pkgFiles struct {
		name  string
		files []*ast.File
	}
	pkgs := map[string]*pkgFiles{} // by folder
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testutil") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			dir := filepath.Dir(path)
			if pkgs[dir] == nil {
				pkgs[dir] = &pkgFiles{name: f.Name.Name}
			}
			pkgs[dir].files = append(pkgs[dir].files, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Which parameter of each function is its action, by "package.name".
	takes := map[string]int{}
	for _, p := range pkgs {
		for _, f := range p.files {
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				i := 0
				for _, field := range fn.Type.Params.List {
					for _, name := range field.Names {
						if name.Name == "action" {
							takes[p.name+"."+fn.Name.Name] = i
						}
						i++
					}
					if len(field.Names) == 0 {
						i++
					}
				}
			}
		}
	}
	found := map[string]string{} // action → where
	add := func(e ast.Expr) {
		ast.Inspect(e, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && actionKey.MatchString(s) {
					if _, seen := found[s]; !seen {
						found[s] = fset.Position(lit.Pos()).String()
					}
				}
			}
			return true
		})
	}
	for _, p := range pkgs {
		for _, f := range p.files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Action" {
						add(n.Value)
					}
				case *ast.ValueSpec:
					for i, name := range n.Names {
						if name.Name == "action" && i < len(n.Values) {
							add(n.Values[i])
						}
					}
				case *ast.AssignStmt:
					for i, lhs := range n.Lhs {
						if id, ok := lhs.(*ast.Ident); ok && id.Name == "action" && i < len(n.Rhs) {
							add(n.Rhs[i])
						}
					}
				case *ast.CallExpr:
					name := ""
					switch fun := n.Fun.(type) {
					case *ast.Ident:
						name = p.name + "." + fun.Name
					case *ast.SelectorExpr:
						name = p.name + "." + fun.Sel.Name // a method of the package's own
						if x, ok := fun.X.(*ast.Ident); ok && slices.ContainsFunc(f.Imports, func(im *ast.ImportSpec) bool {
							path, _ := strconv.Unquote(im.Path.Value)
							return im.Name == nil && filepath.Base(path) == x.Name || im.Name != nil && im.Name.Name == x.Name
						}) {
							name = x.Name + "." + fun.Sel.Name
						}
					}
					if i, ok := takes[name]; ok && i < len(n.Args) {
						if lit, ok := n.Args[i].(*ast.BasicLit); ok {
							add(lit)
						}
					}
				}
				return true
			})
		}
	}
	return found
}

// R-AUD-4: every action the system records has its words in both
// languages (the access report a resident receives names no raw keys),
// and no words stand for an action nothing records.
func TestEventWords(t *testing.T) {
	found := recordedActions(t)
	// The reader must still see the actions it is known to miss nothing of.
	for _, a := range []string{"mynumber.reveal", "resident.read", "audit.access_report", "login.second_factor", "grant.apply", "webauthn.register", "password.reset"} {
		if _, ok := found[a]; !ok {
			t.Fatalf("the code reader did not find %s among %d actions: it is broken", a, len(found))
		}
	}
	for a, where := range found {
		m, ok := catalogue["action."+a]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("%s (recorded at %s) has no words: add \"action.%s\" to eventMessages in internal/web/events.go", a, where, a)
		}
	}
	for k := range catalogue {
		if a, ok := strings.CutPrefix(k, "action."); ok {
			if _, recorded := found[a]; !recorded {
				t.Errorf("%q has words, but nothing records %s", k, a)
			}
		}
	}
	for _, o := range []string{"ok", "denied", "error"} {
		if outcomeLabel("ja", o) == o || outcomeLabel("en", o) == o {
			t.Errorf("outcome %s has no words", o)
		}
	}
	if actionLabel("ja", "mynumber.reveal") != "個人番号の表示" || actionLabel("en", "mynumber.reveal") != "Display of the My Number" {
		t.Errorf("mynumber.reveal in words: %q / %q", actionLabel("ja", "mynumber.reveal"), actionLabel("en", "mynumber.reveal"))
	}
	if actionLabel("ja", "nothing.records_this") != "nothing.records_this" || outcomeLabel("en", "maybe") != "maybe" {
		t.Error("an unknown action or outcome does not show its key")
	}
}
