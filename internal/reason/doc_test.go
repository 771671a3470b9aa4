package reason

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// codeFiles are the files that declare reason codes, relative to the
// module root. A new file of codes is added here.
var codeFiles = []string{
	"internal/reason/codes.go",
	"internal/reason/layout.go",
	"internal/reason/oci.go",
	"internal/reason/policy.go",
	"internal/reason/portfolio.go",
	"internal/reason/rebuild.go",
	"internal/reason/rebuilders.go",
	"internal/reason/report.go",
	"internal/reason/sbom.go",
	"internal/reason/trust.go",
}

var codeValue = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

// TestEveryCodeIsDocumented keeps docs/reasons.md complete: CI gates and
// policies match on these codes, so each needs a line saying what it means.
func TestEveryCodeIsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "reasons.md"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, rel := range codeFiles {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, rel), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				code, err := strconv.Unquote(lit.Value)
				if err != nil || !codeValue.MatchString(code) {
					continue
				}
				found++
				if !strings.Contains(string(doc), "`"+code+"`") {
					t.Errorf("%s: reason code %s is not documented in docs/reasons.md", rel, code)
				}
			}
			return true
		})
	}
	if found < 50 {
		t.Fatalf("found only %d codes; is codeFiles out of date?", found)
	}
}
