// The rules, for every package of the module:
//
//   - the server (backend/...) never imports the desktop (app/...), not
//     even in a test;
//   - only main.go, in the module root, imports Wails (nothing else depends
//     on it, not even through another module);
//   - the domain package backend imports the standard library only;
//   - a helper imports the standard library, the domain and other helpers;
//   - an adapter imports another adapter only along an edge of
//     adapterEdges, which says why;
//   - the desktop (main.go and app/...) links no server package but the
//     domain, the helpers and backend/client;
//   - only wiring imports wiring, and only tests import test support.
//
// The rules look at what non-test files import, except the first two, which
// hold for tests as well: a test may use real neighbours (an API test runs
// on a real store), but the server's tests never need the desktop. Build
// tags do not change the module's own imports (sqlite_fts5, Wails' dev and
// production), so `go list` runs with the tags the tests use; each
// platform is listed apart, as a file for one system can import more.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// role is what a package of the module is, which decides what it may import.
type role string

const (
	// domain is the package backend: types, rules, sentences and error codes.
	// It imports the standard library only, so every other package can use it
	// and it never drags a technology along.
	domain role = "domain"
	// helper is a small package of plain logic that talks to no service and
	// keeps no state, often shared by the server and the desktop (a migration
	// runner, file-name safety, the data directory). It imports the standard
	// library, the domain and other helpers, so using one never links an
	// adapter.
	helper role = "helper"
	// adapter is a package named after its technology (SQLite, HTTP, the
	// keychain, ...). It may import another adapter only along an edge listed
	// in adapterEdges: otherwise a change of technology ripples sideways.
	adapter role = "adapter"
	// wiring puts adapters together (main packages, the demo seeding): it may
	// import anything on its side.
	wiring role = "wiring"
	// testSupport is a package other packages' tests use (a real server on
	// loopback, a contract suite, a polling helper): one whose non-test
	// files import "testing". It may import anything on its side and only
	// test files may import it, so neither it nor "testing" reaches a binary.
	testSupport role = "test support"
)

// roles names every package of the module, by import path without the module
// prefix ("" is the module root). A package whose non-test files import
// "testing" is test support without being listed. A new package gets a line
// here with a sentence.
var roles = map[string]struct {
	role role
	why  string
}{
	"":                                    {wiring, "the desktop app's main: binds app's services to the Wails window"},
	"backend/cmd/doorstep-server":         {wiring, "the server's main: flags, subcommands, adapters put together"},
	"backend/demo":                        {wiring, "seeds the demo landlord through the store for `doorstep-server demo` and tests"},
	"internal/pecheck":                    {wiring, "reads a Windows exe's headers for the Windows package test (go run); no package ships it"},
	"backend/cmd/doorstep-load":           {wiring, "the load generator of `make bench-server`: drives a running server from another process (go build); no package ships it"},
	"backend/cmd/doorstep-load/rawfanout": {wiring, "the raw gorilla/websocket fan-out server that `make bench-server` measures beside the real one; no package ships it"},
	"internal/rawfanout":                  {wiring, "the raw fan-out floor the server benchmark compares against: websockets and nothing else; no package ships it"},
	"internal/bigthread":                  {wiring, "gives the demo landlord a conversation of 100,000 messages for the desktop benchmark (go run); no package ships it"},

	"backend": {domain, "domain types, rules, sentences, error codes"},

	"archtest": {testSupport, "this test; its package holds no code"},

	"backend/backup":     {helper, "the backup directory's layout and manifest: written under a temporary name, checked file by file, unpacked; plain file work, knowing neither SQLite nor the file store"},
	"backend/datadir":    {helper, "where a program keeps its data by the OS's conventions; the server and the desktop both ask, and it talks to nothing"},
	"backend/filename":   {helper, "file names from others made safe to show and save; server and desktop both need it"},
	"backend/evidence":   {helper, "a conversation's export for a dispute, written and verified; plain file work, its PDF drawn by a renderer passed in"},
	"backend/migrate":    {helper, "numbered embedded SQL migrations over database/sql; the server's store and the desktop cache both run them"},
	"backend/signingkey": {helper, "the server's signing key file in its data directory: made once, then only read, never replaced; plain file work"},
	"app/attach":         {helper, "the desktop's checks of local files, its copies of pasted or dropped bytes and thumbnails; plain file work, no service"},
	"app/directory":      {helper, "the New Chat type-ahead: a filter over a directory the desktop already has"},

	"backend/sqlite":         {adapter, "the server's store on SQLite"},
	"backend/postgres":       {adapter, "the server's store on PostgreSQL, for several server nodes on one database"},
	"backend/httpapi":        {adapter, "HTTP and websocket API over the store"},
	"backend/hub":            {adapter, "in-process fan-out of committed events"},
	"backend/natsbridge":     {adapter, "committed events passed between server nodes through NATS, into each node's own fan-out (given as functions, so it imports no other adapter)"},
	"backend/filestore":      {adapter, "uploaded files on disk, and the contract (Files) every file store keeps"},
	"backend/notify":         {adapter, "e-mail and SMS to tenants, with the dev mailbox"},
	"backend/i18n":           {adapter, "every sentence a tenant reads, one golang.org/x/text catalogue per language, and the choice of a tenant's language"},
	"backend/importcsv":      {adapter, "a CSV file read into domain values"},
	"backend/portal":         {adapter, "the tenant portal's embedded page"},
	"backend/client":         {adapter, "the Go client of the HTTP API"},
	"backend/metrics":        {adapter, "Prometheus metrics of what the server's parts observe, served on a listener of their own"},
	"app":                    {adapter, "the desktop's services bound to the UI: the adapter between the window and the desktop's parts (Wails itself only in main.go)"},
	"app/cache":              {adapter, "the desktop's SQLite: cache, outbox, search index"},
	"app/engine":             {adapter, "the desktop's sync and sending"},
	"app/keychain":           {adapter, "the OS keychain"},
	"internal/pdf":           {adapter, "an export's PDF, drawn with go-pdf/fpdf; the desktop and the server's verify-export both draw it"},
	"internal/sqlitetrouble": {adapter, "storage trouble told apart from bugs in go-sqlite3's errors; the server's store and the desktop's cache both ask it"},
}

// adapterEdges are the only imports from one adapter to another, each with
// why it is the right way round.
var adapterEdges = map[[2]string]string{
	{"app", "backend/client"}:                    "the client is the desktop's only way to the server",
	{"app", "app/cache"}:                         "the services answer from the local cache first",
	{"app", "app/engine"}:                        "the services start and stop sync and sending",
	{"app", "app/keychain"}:                      "a session is kept in the OS keychain, never in a file",
	{"app", "internal/pdf"}:                      "an export carries its conversation as a PDF",
	{"app/cache", "internal/sqlitetrouble"}:      "a full or failing disk under the cache is unavailable, never internal",
	{"backend/sqlite", "internal/sqlitetrouble"}: "its driver answers storage trouble as unavailable",
	{"app/engine", "app/cache"}:                  "sync writes what arrives into the cache; the sender drains its outbox",
	{"app/engine", "backend/client"}:             "sync and sending talk to the server through the client",
	{"backend/httpapi", "backend/hub"}:           "websocket connections subscribe to the fan-out",
	{"backend/httpapi", "backend/filestore"}:     "uploads stream into the file store and downloads out of it",
	{"backend/postgres", "backend/filestore"}:    "files kept in the database keep the file stores' contract, its types and refusals",
	{"backend/httpapi", "backend/portal"}:        "the API serves the tenant portal's page",
	{"backend/httpapi", "backend/i18n"}:          "the portal's pages and its catalogue are in the tenant's language",
	{"backend/notify", "backend/i18n"}:           "e-mails and text messages are written in the tenant's language",
}

// desktopServerLink is the one server package beyond the domain and the
// helpers that the desktop may link.
const desktopServerLink = "backend/client"

// wailsModule is the desktop window's framework; only main.go may use it.
const wailsModule = "github.com/wailsapp/wails"

// platforms whose import graphs are checked: a file for one system can
// import what the others do not.
var platforms = []string{"linux", "darwin", "windows"}

// pkg is what `go list -json` says about one package.
type pkg struct {
	ImportPath   string
	Dir          string
	Standard     bool
	GoFiles      []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Module       *struct{ Path string }
	Error        *struct{ Err string }
}

// graph is what go list said for one platform: the module's packages, every
// package listed by path, and whether each path is the standard library's.
type graph struct {
	module   string
	pkgs     []pkg // packages of the module, in go list's order
	byPath   map[string]pkg
	standard map[string]bool
}

// TestArchitecture fails on every import that breaks a rule, naming the
// edge and the platforms it was seen on.
func TestArchitecture(t *testing.T) {
	seen := map[string][]string{} // problem → platforms
	for _, goos := range platforms {
		g := load(t, goos)
		var problems []string
		for _, p := range g.pkgs {
			problems = append(problems, g.check(p)...)
		}
		for name := range roles {
			if !slices.ContainsFunc(g.pkgs, func(p pkg) bool { return g.rel(p.ImportPath) == name }) {
				problems = append(problems, fmt.Sprintf("archtest lists %q, which is not a package of the module: remove its line", name))
			}
		}
		for _, p := range problems {
			seen[p] = append(seen[p], goos)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(seen)) {
		if on := seen[p]; len(on) < len(platforms) {
			p += " (on " + strings.Join(on, ", ") + ")"
		}
		t.Error(p)
	}
}

// check applies every rule to the imports of one package of the module and
// returns what breaks them.
func (g graph) check(p pkg) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	from := g.rel(p.ImportPath)
	if p.Error != nil {
		bad("%s: go list: %s", p.ImportPath, p.Error.Err)
	}
	r, ok := g.roleOf(from)
	if !ok {
		bad("%s has no role: add it to roles in archtest/arch_test.go with a sentence saying what it is (a package whose non-test files import \"testing\" is test support without a line)", p.ImportPath)
		return problems
	}
	tests := slices.Concat(p.TestImports, p.XTestImports)

	// Wails: only the root package, and there only main.go.
	if from == "" {
		problems = append(problems, wailsOutsideMainGo(p)...)
	} else if direct := slices.Concat(p.Imports, tests); slices.ContainsFunc(direct, isWails) {
		bad("%s imports %s: only main.go talks to Wails", p.ImportPath, direct[slices.IndexFunc(direct, isWails)])
	} else if i := slices.IndexFunc(p.Deps, isWails); i >= 0 {
		bad("%s depends on %s through its imports: only main.go talks to Wails", p.ImportPath, p.Deps[i])
	}

	// The server never depends on the desktop, not even in a test.
	for _, imp := range slices.Concat(p.Imports, tests) {
		if to, own := g.inModule(imp); own && under(from, "backend") && under(to, "app") {
			bad("%s imports %s: the server (backend/...) never imports the desktop (app/...)", p.ImportPath, imp)
		}
	}

	if g.desktop(from) {
		problems = append(problems, g.serverLinks(p)...)
	}

	for _, imp := range p.Imports {
		to, own := g.inModule(imp)
		toRole, _ := g.roleOf(to)
		switch {
		case own && toRole == testSupport && r != testSupport:
			bad("%s imports %s outside its tests: test support must not reach a binary", p.ImportPath, imp)
		case own && toRole == wiring && r != wiring && r != testSupport:
			bad("%s imports %s: only wiring imports wiring", p.ImportPath, imp)
		case r == domain && !g.standard[imp]:
			bad("%s imports %s: the domain package imports the standard library only", p.ImportPath, imp)
		case r == helper && !g.standard[imp] && !(own && (toRole == domain || toRole == helper)):
			bad("%s imports %s: a helper imports the standard library, the domain and other helpers only", p.ImportPath, imp)
		case r == adapter && own && toRole == adapter && adapterEdges[[2]string{from, to}] == "":
			bad("%s imports %s: an adapter does not import another adapter (share through the domain or a helper, or list the edge in adapterEdges with why)", p.ImportPath, imp)
		}
	}
	return problems
}

// serverLinks lists the server adapters and wiring a desktop package links,
// each where it enters the desktop: what comes through another desktop
// package is that package's problem.
func (g graph) serverLinks(p pkg) []string {
	inherited := map[string]bool{}
	for _, imp := range p.Imports {
		if to, own := g.inModule(imp); own && g.desktop(to) {
			for _, d := range g.byPath[imp].Deps {
				inherited[d] = true
			}
		}
	}
	var problems []string
	for _, dep := range p.Deps {
		to, own := g.inModule(dep)
		toRole, _ := g.roleOf(to)
		if !own || inherited[dep] || !under(to, "backend") || to == desktopServerLink || (toRole != adapter && toRole != wiring) {
			continue
		}
		through := ""
		if !slices.Contains(p.Imports, dep) {
			i := slices.IndexFunc(p.Imports, func(imp string) bool { return slices.Contains(g.byPath[imp].Deps, dep) })
			through = " (through " + p.Imports[i] + ")"
		}
		problems = append(problems, fmt.Sprintf("%s links %s%s: the desktop reaches the server only through %s",
			p.ImportPath, dep, through, desktopServerLink))
	}
	return problems
}

// wailsOutsideMainGo lists the files of the root package other than main.go
// that import Wails.
func wailsOutsideMainGo(p pkg) []string {
	var problems []string
	fset := token.NewFileSet()
	for _, name := range slices.Concat(p.GoFiles, p.TestGoFiles, p.XTestGoFiles) {
		if name == "main.go" {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, spec := range f.Imports {
			if imp, _ := strconv.Unquote(spec.Path.Value); isWails(imp) {
				problems = append(problems, fmt.Sprintf("%s imports %s: only main.go talks to Wails", name, imp))
			}
		}
	}
	return problems
}

// load lists the module's packages and all they depend on for one system,
// with the build tags the tests use.
func load(t *testing.T, goos string) graph {
	t.Helper()
	mod, err := goCmd(goos, "list", "-m")
	if err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(goos, "list", "-e", "-deps", "-tags", "sqlite_fts5",
		"-json=ImportPath,Dir,Standard,GoFiles,TestGoFiles,XTestGoFiles,Imports,TestImports,XTestImports,Deps,Module,Error",
		"./...")
	if err != nil {
		t.Fatal(err)
	}
	g := graph{module: strings.TrimSpace(string(mod)), byPath: map[string]pkg{}, standard: map[string]bool{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list: %v", err)
		}
		g.standard[p.ImportPath] = p.Standard
		g.byPath[p.ImportPath] = p
		// npm installs packages that ship Go code of their own (flatted,
		// with ESLint) under frontend/node_modules, which ./... walks: they
		// are not the module's.
		if strings.Contains(p.ImportPath, "/node_modules/") {
			continue
		}
		if p.Module != nil && p.Module.Path == g.module {
			g.pkgs = append(g.pkgs, p)
		}
	}
	if len(g.pkgs) == 0 {
		t.Fatal("go list found no package of the module")
	}
	return g
}

// goCmd runs the go command at the module root (the parent of this
// package's directory) for goos and returns its standard output.
func goCmd(goos string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("GOOS=%s go %s: %v\n%s", goos, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// own reports whether imp is a package of the module and its path without
// the module prefix.
func (g graph) inModule(imp string) (string, bool) {
	if imp == g.module {
		return "", true
	}
	rest, ok := strings.CutPrefix(imp, g.module+"/")
	return rest, ok
}

// rel is a package of the module's path without the module prefix.
func (g graph) rel(imp string) string {
	rest, _ := g.inModule(imp)
	return rest
}

// roleOf is the role of a package of the module, by its path without the
// module prefix.
func (g graph) roleOf(rel string) (role, bool) {
	if r, ok := roles[rel]; ok {
		return r.role, true
	}
	full := g.module
	if rel != "" {
		full += "/" + rel
	}
	if p, ok := g.byPath[full]; ok && slices.Contains(p.Imports, "testing") {
		return testSupport, true
	}
	return "", false
}

// desktop reports whether a package of the module belongs to the desktop
// app: main.go's package or app/....
func (g graph) desktop(rel string) bool { return rel == "" || under(rel, "app") }

// under reports whether rel is dir or inside it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func isWails(imp string) bool { return under(imp, wailsModule) }
