package arch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	module = "github.com/sovcheck/sovcheck"
	// maxFileLines is the most lines of a non-test .go file.
	maxFileLines = 600
	// maxFuncLines is the most lines of a function (from func to its
	// closing brace) whose doc comment gives no reason.
	maxFuncLines = 120
	// lengthReason starts the line of a doc comment that says why a
	// function is longer than maxFuncLines.
	lengthReason = "Length:"
)

// Names of packages, relative to the module, used in the tables.
const (
	vocab      = "internal/vocab"
	reason     = "internal/reason"
	boundedio  = "internal/boundedio"
	anchor     = "internal/anchor"
	sandbox    = "internal/sandbox"
	oci        = "internal/oci"
	buildinfo  = "internal/buildinfo"
	atomicfile = "internal/atomicfile"
	startheap  = "internal/startheap"
	clicore    = "internal/clicore"
	wherecli   = "internal/wherecli"
	cmd        = "cmd/sovcheck"
	anyButCmd  = "*" // development tools: anything but cmd/sovcheck
)

// base is what every package may import: the leaf vocabulary, the reason
// codes, the bounded reader and the name of the running build.
var base = []string{vocab, reason, boundedio, buildinfo, atomicfile}

func with(extra ...string) []string { return append(slices.Clone(base), extra...) }

// allowed lists, for every package of sovcheck, the packages of sovcheck it
// may import, after DESIGN.md: cmd -> verify -> {attest, rebuild, sbom};
// verify -> policy; cmd -> report -> policy; everyone -> the internal
// vocabulary. A command other than verify calls its own library (rebuild,
// sbom, portfolio, data, wasm) directly; cmd never reaches into attest;
// policy and report stand below attest.
var allowed = map[string][]string{
	// The leaves.
	vocab:      {},
	reason:     {},
	boundedio:  {vocab, reason},
	anchor:     {vocab, reason},
	sandbox:    {vocab, reason},
	oci:        with(),
	buildinfo:  {},
	atomicfile: {},
	startheap:  {},
	clicore:    with(),

	// Evidence and checks.
	"wasm":            with(),
	"attest":          with(anchor, "attest/trustdoc"),
	"attest/layout":   with(anchor, "attest"),
	"attest/trustdoc": {},
	// Not attest: report reads rebuild's results, and report stands below
	// the crypto stack (TestBelowTheCryptoStack).
	"rebuild":   with(sandbox),
	"sbom":      with("wasm"),
	"data":      with("sbom"),
	"portfolio": with("sbom"),

	// Verdicts and their rendering: pure, below the crypto stack.
	"policy": {vocab, reason, anchor},
	"report": with("policy", "sbom", "rebuild", "wasm", "portfolio", "attest/trustdoc", "report/internal/sarif"),
	// The where answers and the SARIF they share with report: below
	// policy, so that sovcheck-where links neither it nor CEL.
	"report/internal/sarif": with("sbom"),
	"report/where":          with("portfolio", "sbom", "report/internal/sarif"),
	// Golden files and the SARIF schema, for report's tests.
	"report/internal/reporttest": with("report/internal/sarif"),

	// Orchestration and the command line.
	"verify": with("attest", "attest/layout", "attest/trustdoc", "rebuild", "sbom", "wasm", "policy", oci),
	cmd:      with("verify", "report", "rebuild", "sbom", "portfolio", "data", "wasm", startheap, clicore, wherecli),
	// The where question alone, for 'sovcheck portfolio where' and
	// sovcheck-where (TestWhereBinaryIsLean).
	wherecli:             with(clicore, "portfolio", "sbom", "report/where"),
	"cmd/sovcheck-where": {startheap, clicore, wherecli},

	// Fixture builders, for tests and development tools only.
	"internal/sigstoretest": with(anchor, "attest"),
	"internal/intototest":   with("attest"),
	"internal/oci/ocitest":  with(oci, "internal/sigstoretest", "attest"),
	"internal/demo":         with(anchor, "attest", "internal/sigstoretest"),

	// sovcheck's own release (make release): a development tool's library.
	"internal/release": with("attest", "rebuild", oci),

	// Development tools and this test's package.
	"internal/cmd/gendemo": {anyButCmd},
	"internal/cmd/release": {anyButCmd},
	"bench/data/gen":       {anyButCmd},
	"bench/data/snapgen":   {anyButCmd},
	"bench/data/npmport":   {anyButCmd},
	"bench/oci/gen":        {anyButCmd},
	"bench/policy":         {anyButCmd},
	"bench/sbom/gen":       {anyButCmd},
	"bench/verify/gen":     {anyButCmd},
	"bench/vulns/gen":      {anyButCmd},
	"internal/arch":        {},
}

// fixtures may be imported only by other fixtures and development tools
// (tests import them freely).
var fixtures = []string{"internal/sigstoretest", "internal/intototest", "internal/oci/ocitest", "internal/demo"}

// pending lists what goes against the rules today, with the branch that
// removes it; that branch deletes its lines when it does, and an entry that
// no longer applies fails the test. It is empty: nothing goes against the
// rules. A change that must break one for a while names it here.
//   - arrow: "from -> to"
//   - file:  a path over maxFileLines
//   - func:  "path:Func" or "path:Type.Method" over maxFuncLines
var pending = []struct{ kind, what, branch string }{}

// goPackage is what go list says of a package.
type goPackage struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("finding the module root: no go.mod above the test")
		}
		dir = parent
	}
}

func listPackages(t *testing.T, root string) []goPackage {
	t.Helper()
	c := exec.Command("go", "list", "-json", "./...")
	c.Dir = root
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("running go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages; is the module root %s right?", len(pkgs), root)
	}
	return pkgs
}

// own returns the module-relative names of the packages of sovcheck in
// imports.
func own(imports []string) []string {
	var out []string
	for _, imp := range imports {
		if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

// pendingSet returns the pending entries of kind: what -> branch.
func pendingSet(kind string) map[string]string {
	m := map[string]string{}
	for _, p := range pending {
		if p.kind == kind {
			m[p.what] = p.branch
		}
	}
	return m
}

// TestPackageArrows enforces the import table and prints how many arrows
// go against the design today.
func TestPackageArrows(t *testing.T) {
	root := moduleRoot(t)
	pend := pendingSet("arrow")
	met := map[string]bool{}
	against := 0
	for _, p := range listPackages(t, root) {
		from, _ := strings.CutPrefix(p.ImportPath, module+"/")
		allow, known := allowed[from]
		if !known {
			t.Errorf("package %s is not in the arrow table: give it its place in internal/arch", from)
			continue
		}
		for _, to := range own(p.Imports) {
			arrow := from + " -> " + to
			ok := slices.Contains(allow, to) || (slices.Contains(allow, anyButCmd) && to != cmd)
			if slices.Contains(fixtures, to) && !slices.Contains(fixtures, from) && !slices.Contains(allow, anyButCmd) {
				ok = false
			}
			if ok {
				continue
			}
			against++
			if branch, isPending := pend[arrow]; isPending {
				met[arrow] = true
				t.Logf("pending (%s): %s", branch, arrow)
				continue
			}
			t.Errorf("%s goes against the design (allowed for %s: %s)", arrow, from, strings.Join(allow, ", "))
		}
		for _, to := range own(slices.Concat(p.TestImports, p.XTestImports)) {
			if to == cmd && from != cmd {
				t.Errorf("the tests of %s import %s: nothing imports the command", from, cmd)
			}
		}
	}
	for arrow, branch := range pend {
		if !met[arrow] {
			t.Errorf("pending arrow %s (%s) is gone: delete it from the pending table", arrow, branch)
		}
	}
	t.Logf("%d project-internal import arrows go against the design", against)
}

// TestLeavesImportNothing double-checks the table for the leaves: they must
// stay importable by every package.
func TestLeavesImportNothing(t *testing.T) {
	for _, leaf := range []string{vocab, reason} {
		if len(allowed[leaf]) != 0 {
			t.Errorf("%s may import %v; a leaf imports nothing of sovcheck", leaf, allowed[leaf])
		}
	}
	for from, allow := range allowed {
		if slices.Contains(allow, cmd) {
			t.Errorf("%s may import %s; nothing imports the command", from, cmd)
		}
		if (from == "policy" || from == "report") && slices.Contains(allow, "attest") {
			t.Errorf("%s may import attest; it stands below the crypto stack", from)
		}
		if from == "policy" && slices.Contains(allow, "wasm") {
			t.Errorf("policy may import wasm; it does no I/O (the capability names are the vocabulary's)")
		}
	}
}

// cryptoStack are the packages a renderer or the policy engine must not
// reach, directly or through another package: sovcheck's signature
// verification and the Sigstore, TUF and gRPC stacks below it. An entry
// ending in "/" is a prefix (every package of a module); the others are
// exact, so that a types-only package under attest (attest/trustdoc)
// stays open to report.
var cryptoStack = []string{
	module + "/attest",
	module + "/attest/layout",
	"github.com/sigstore/sigstore-go/",
	"github.com/sigstore/sigstore/",
	"github.com/theupdateframework/",
	"google.golang.org/grpc",
	"google.golang.org/grpc/",
	"github.com/in-toto/in-toto-golang/",
}

func inCryptoStack(dep string) bool {
	for _, bad := range cryptoStack {
		if dep == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad) {
			return true
		}
	}
	return false
}

// TestBelowTheCryptoStack checks what policy and report depend on, through
// every package between: the table above only sees direct imports.
func TestBelowTheCryptoStack(t *testing.T) {
	root := moduleRoot(t)
	for _, pkg := range []string{"policy", "report"} {
		c := exec.Command("go", "list", "-deps", "./"+pkg)
		c.Dir = root
		out, err := c.Output()
		if err != nil {
			t.Fatalf("running go list -deps ./%s: %v", pkg, err)
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			dep := sc.Text()
			if strings.Contains(dep, ".") {
				n++
			}
			if inCryptoStack(dep) {
				t.Errorf("%s depends on %s: it must stand below the crypto stack", pkg, dep)
			}
		}
		t.Logf("%s depends on %d packages outside the standard library", pkg, n)
	}
}

// TestWhereBinaryIsLean checks that sovcheck-where links neither the
// crypto stack nor policy and CEL, nor anything of sovcheck's above the
// where question: their package initialisation is what makes every start
// of sovcheck slower, and sovcheck-where exists to answer without it
// (docs/startup.md).
func TestWhereBinaryIsLean(t *testing.T) {
	root := moduleRoot(t)
	c := exec.Command("go", "list", "-deps", "./cmd/sovcheck-where")
	c.Dir = root
	out, err := c.Output()
	if err != nil {
		t.Fatalf("running go list -deps ./cmd/sovcheck-where: %v", err)
	}
	heavy := []string{"cel.dev/", "github.com/asaskevich/govalidator", "github.com/go-openapi/",
		module + "/policy", module + "/verify", module + "/report", module + "/rebuild", module + "/data", module + "/attest/trustdoc"}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		dep := sc.Text()
		n++
		if inCryptoStack(dep) {
			t.Errorf("sovcheck-where depends on %s, of the crypto stack", dep)
		}
		for _, h := range heavy {
			if dep == h || strings.HasSuffix(h, "/") && strings.HasPrefix(dep, h) {
				t.Errorf("sovcheck-where depends on %s", dep)
			}
		}
	}
	if n < 50 {
		t.Fatalf("go list -deps ./cmd/sovcheck-where listed %d packages: not the binary's dependencies", n)
	}
	t.Logf("sovcheck-where depends on %d packages", n)
}

// sourceFiles returns the module-relative paths of the non-test .go files,
// outside testdata.
func sourceFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		n++
	}
	return n, s.Err()
}

// funcName is Func, or Type.Method for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch x := typ.(type) {
	case *ast.Ident:
		return x.Name + "." + fd.Name.Name
	case *ast.IndexExpr:
		return fmt.Sprint(x.X) + "." + fd.Name.Name
	case *ast.IndexListExpr:
		return fmt.Sprint(x.X) + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// hasLengthReason reports whether a line of the doc comment starts with
// lengthReason and says something after it.
func hasLengthReason(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, line := range strings.Split(doc.Text(), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), lengthReason); ok && strings.TrimSpace(rest) != "" {
			return true
		}
	}
	return false
}

// TestSizes enforces the file and function length limits.
func TestSizes(t *testing.T) {
	root := moduleRoot(t)
	files, funcs := pendingSet("file"), pendingSet("func")
	met := map[string]bool{}
	for _, rel := range sourceFiles(t, root) {
		path := filepath.Join(root, rel)
		n, err := countLines(path)
		if err != nil {
			t.Fatal(err)
		}
		if n > maxFileLines {
			if branch, ok := files[rel]; ok {
				met["file "+rel] = true
				t.Logf("pending (%s): %s has %d lines", branch, rel, n)
			} else {
				t.Errorf("%s has %d lines, want at most %d: split it along its seams", rel, n, maxFileLines)
			}
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if lines <= maxFuncLines || hasLengthReason(fd.Doc) {
				continue
			}
			key := rel + ":" + funcName(fd)
			if branch, ok := funcs[key]; ok {
				met["func "+key] = true
				t.Logf("pending (%s): %s has %d lines", branch, key, lines)
				continue
			}
			t.Errorf("%s has %d lines, want at most %d, or a doc comment line starting %q that says why", key, lines, maxFuncLines, lengthReason)
		}
	}
	for _, p := range pending {
		if (p.kind == "file" || p.kind == "func") && !met[p.kind+" "+p.what] {
			t.Errorf("pending %s %s (%s) is gone: delete it from the pending table", p.kind, p.what, p.branch)
		}
	}
}

// TestInCryptoStack is the twin of TestBelowTheCryptoStack: the packages
// it must catch are caught, the types-only ones pass.
func TestInCryptoStack(t *testing.T) {
	for dep, want := range map[string]bool{
		module + "/attest":                                 true,
		module + "/attest/layout":                          true,
		"github.com/sigstore/sigstore-go/pkg/verify":       true,
		"google.golang.org/grpc":                           true,
		"google.golang.org/grpc/codes":                     true,
		"github.com/theupdateframework/go-tuf/v2/metadata": true,
		module + "/attest/trustdoc":                        false,
		module + "/sbom":                                   false,
		"google.golang.org/protobuf/proto":                 false,
	} {
		if got := inCryptoStack(dep); got != want {
			t.Errorf("inCryptoStack(%q) = %v, want %v", dep, got, want)
		}
	}
}
