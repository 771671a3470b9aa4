package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every run of sovcheck pays for the package initialisation of everything
// linked in, whatever the command. These tests keep what docs/startup.md
// took out of the start from coming back.

// releaseTags returns the build tags of the Makefile's release build.
func releaseTags(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatalf("reading Makefile: %v", err)
	}
	m := regexp.MustCompile(`(?m)^TAGS\s*:=\s*(\S+)\s*$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("Makefile: no TAGS := line")
	}
	return string(m[1])
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Module     *struct{ Main bool }
}

// deps lists the packages linked into sovcheck when built with tags.
func deps(t *testing.T, tags string) []listedPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-tags", tags, "-json=ImportPath,Dir,GoFiles,Module", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func importPaths(pkgs []listedPackage) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.ImportPath)
	}
	return out
}

// TestReleaseBuildLeavesOutCLIDocs checks that the release build tags keep
// urfave/cli's documentation generation, and the Markdown parser it
// brings, out of the binary; without the tags they are in, so the check
// can fail.
func TestReleaseBuildLeavesOutCLIDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("lists the dependency graph with the go command")
	}
	unwanted := []string{"github.com/cpuguy83/go-md2man/v2/md2man", "github.com/russross/blackfriday/v2"}
	release := importPaths(deps(t, releaseTags(t)))
	plain := importPaths(deps(t, ""))
	for _, p := range unwanted {
		if slices.Contains(release, p) {
			t.Errorf("release build (-tags %s) links %s: got it, want it left out", releaseTags(t), p)
		}
		if !slices.Contains(plain, p) {
			t.Errorf("build without tags does not link %s: the release tags no longer matter, drop them", p)
		}
	}
}

// TestNoCompiledStateAtInit checks that sovcheck's own packages build no
// regexp or template at package initialisation: such state is a
// sync.OnceValue, built on first use by the command that needs it.
func TestNoCompiledStateAtInit(t *testing.T) {
	if testing.Short() {
		t.Skip("lists the dependency graph with the go command")
	}
	var found []string
	for _, p := range deps(t, releaseTags(t)) {
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, f := range p.GoFiles {
			path := filepath.Join(p.Dir, f)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range initCompiled(t, path, src) {
				found = append(found, p.ImportPath+": "+v)
			}
		}
	}
	if len(found) > 0 {
		t.Errorf("package-level state compiled at init, got:\n  %s\nwant sync.OnceValue getters", strings.Join(found, "\n  "))
	}
}

func TestInitCompiledFinds(t *testing.T) {
	src := []byte(`package p

import ("regexp"; "sync"; "text/template")

var bad = regexp.MustCompile("a+")
var (
	alsoBad  = template.Must(template.New("x").Parse("{{.}}"))
	fine     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("b+") })
	fineToo  = "regexp.MustCompile"
)

func f() { _ = regexp.MustCompile("c+") }
`)
	got := initCompiled(t, "p.go", src)
	want := []string{"bad (p.go:5)", "alsoBad (p.go:7)"}
	if !slices.Equal(got, want) {
		t.Errorf("initCompiled: got %q, want %q", got, want)
	}
}

// initCompiled returns the package-level variables of one file whose
// initialiser calls regexp.MustCompile, regexp.Compile or template.Must
// directly (not inside a function literal).
func initCompiled(t *testing.T, path string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, v := range vs.Values {
				if compiles(v) {
					out = append(out, vs.Names[min(i, len(vs.Names)-1)].Name+" ("+filepath.Base(path)+":"+
						strconv.Itoa(fset.Position(vs.Pos()).Line)+")")
				}
			}
		}
	}
	return out
}

func compiles(e ast.Expr) bool {
	hit := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // runs on first use, not at init
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok {
				switch x.Name + "." + n.Sel.Name {
				case "regexp.MustCompile", "regexp.Compile", "template.Must":
					hit = true
				}
			}
		}
		return !hit
	})
	return hit
}

// TestNoCollectionAtStart runs a release build of sovcheck with the
// collector's and the inits' traces on (internal/startheap):
//   - no more than maxBeforeStartheap bytes are allocated by the packages
//     initialised before startheap turns the collector off (1.1 MB today;
//     the first collection comes near 3.5 MB);
//   - ten runs of `sovcheck version` collect nothing. Without startheap, 4
//     runs in 10 collected, so ten runs with none would be chance once in
//     160;
//   - the twin: with GOGC=1 the runtime collects before startheap runs,
//     and the check sees it.
//
// That main gives the collector back with GOGC and GOMEMLIMIT is
// internal/startheap's own test.
func TestNoCollectionAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sovcheck")
	}
	bin := filepath.Join(t.TempDir(), "sovcheck")
	build := exec.Command("go", "build", "-trimpath", "-tags", releaseTags(t), "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	before, found := 0, false
	for _, line := range traced(t, bin, "") {
		if f := strings.Fields(line); len(f) >= 8 && f[0] == "init" {
			if f[1] == "github.com/sovcheck/sovcheck/internal/startheap" {
				found = true
				break
			}
			n, err := strconv.Atoi(f[7])
			if err != nil {
				t.Fatalf("inittrace line %q: %v", line, err)
			}
			before += n
		}
	}
	if !found || before > maxBeforeStartheap {
		t.Errorf("initialised before internal/startheap: %d bytes (startheap traced: %v), want at most %d: a package that now initialises first allocates more, and the first collection may run before startheap",
			before, found, maxBeforeStartheap)
	}
	var gcs []string
	for range 10 {
		for _, line := range traced(t, bin, "") {
			if strings.HasPrefix(line, "gc ") {
				gcs = append(gcs, line)
			}
		}
	}
	if len(gcs) > 0 {
		t.Errorf("sovcheck version collected %d times in 10 runs, got:\n  %s\nwant no collection: a package now initialises before internal/startheap and allocates past the first heap goal, or startheap no longer turns the collector off",
			len(gcs), strings.Join(gcs, "\n  "))
	}
	if !slices.ContainsFunc(traced(t, bin, "1"), func(l string) bool { return strings.HasPrefix(l, "gc ") }) {
		t.Error("GOGC=1 sovcheck version: got no collection, want some before startheap: the collector's trace is not read")
	}
}

// maxBeforeStartheap bounds the bytes the packages initialised before
// internal/startheap may allocate.
const maxBeforeStartheap = 2 << 20

// traced runs bin version with GODEBUG=gctrace=1,inittrace=1 and GOGC=gogc
// and returns the lines of its traces, in order.
func traced(t *testing.T, bin, gogc string) []string {
	t.Helper()
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1,inittrace=1", "GOGC="+gogc, "GOMEMLIMIT=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sovcheck version (GOGC=%q): %v\n%s", gogc, err, stderr.String())
	}
	return strings.Split(stderr.String(), "\n")
}
