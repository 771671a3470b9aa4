package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func loadTrustSeed(t *testing.T) *Policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "policies", "trust.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(data, "trust.yaml", testNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrustSection(t *testing.T) {
	p := loadTrustSeed(t)
	tr := p.Trust()
	if len(tr.Roots) != 2 || tr.Roots[0].Operator != "CERT-EU" || tr.Roots[0].Jurisdiction != "EU" || tr.Roots[1].Key != "roots[pgi]" {
		t.Fatalf("roots: %+v", tr.Roots)
	}
	if len(tr.Witnesses) != 2 || tr.Witnesses[1].Log != "rekor.sigstore.dev - 1193050959916656506" || tr.Witnesses[0].Quorum != 2 {
		t.Fatalf("witnesses: %+v", tr.Witnesses)
	}
	if tr.MaxAge != 7*24*time.Hour || !tr.Warn {
		t.Fatalf("age: %s warn %v", tr.MaxAge, tr.Warn)
	}
	// The first matching section decides; one without a trust rule takes
	// the default.
	for name, want := range map[string]TrustRule{
		"acme-tool":      {Kind: vocab.TrustRuleK, K: 2, Roots: []string{"eu", "pgi"}},
		"dist/acme-tool": {Kind: vocab.TrustRuleK, K: 2, Roots: []string{"eu", "pgi"}},
		"other":          {Kind: vocab.TrustRuleAny},
	} {
		got, ok := p.TrustRuleFor(name)
		if !ok || got.Kind != want.Kind || got.K != want.K || !slices.Equal(got.Roots, want.Roots) {
			t.Errorf("TrustRuleFor(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
}

func TestWithTrustFilePin(t *testing.T) {
	p := loadTrustSeed(t)
	// The twin: bytes that do not match the pin.
	_, err := p.WithTrustFile("roots[eu]", []byte("{}"))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Problems[0].Code != reason.TrustPinMismatch || fe.Problems[0].Line != 5 {
		t.Fatalf("pin mismatch: %v", err)
	}
	if _, err := p.WithTrustFile("roots[nope]", nil); reason.CodeOf(err, "") != reason.PolicyInvalid {
		t.Fatalf("unknown file: %v", err)
	}
	// Matching bytes are kept, on a copy.
	data := []byte("witness list")
	q, err := Load([]byte(header+"trust:\n  witnesses:\n    - {path: w.txt, sha256: "+sha256Hex(data)+", quorum: 1}\n"), "w.yaml", testNow)
	if err != nil {
		t.Fatal(err)
	}
	r, err := q.WithTrustFile("witnesses[0]", data)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Trust().Witnesses[0].Content) != "witness list" || q.Trust().Witnesses[0].Content != nil {
		t.Fatal("content not kept on the copy only")
	}
	if _, ok := r.TrustRuleFor("x"); ok {
		t.Fatal("a policy without roots has no trust rule")
	}
}

// FuzzLoadTrust: any trust section either loads or is rejected; a loaded
// one answers TrustRuleFor and Trust without panic, and a K rule never
// wants more distinct operators than the roots it counts have.
func FuzzLoadTrust(f *testing.F) {
	f.Add([]byte("trust:\n  roots:\n    - {name: a, path: a.json, sha256: " + sha256Hex(nil) + "}\n  rule: 1\n"))
	f.Add([]byte("trust:\n  maxTrustAge: 3d\n  staleTrust: warn\n"))
	f.Add([]byte("trust:\n  roots: [{name: a, path: a, sha256: " + sha256Hex(nil) + "}]\nartifacts:\n  - {match: [\"*\"], trust: {rule: all, roots: [a]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(append([]byte(header), data...), "fuzz.yaml", testNow)
		if err != nil {
			return
		}
		_ = p.Trust()
		for _, name := range []string{"x", "acme-tool", "a/b"} {
			r, ok := p.TrustRuleFor(name)
			if !ok {
				continue
			}
			ops := map[string]bool{}
			for _, root := range p.Trust().Roots {
				if len(r.Roots) == 0 || slices.Contains(r.Roots, root.Name) {
					ops[root.Operator] = true
				}
			}
			if r.Kind == vocab.TrustRuleK && (r.K < 1 || r.K > len(ops)) {
				t.Fatalf("rule %+v: the roots that count have %d operators", r, len(ops))
			}
		}
	})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
