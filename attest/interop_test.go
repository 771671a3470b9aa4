package attest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// interopDir holds real public bundles beside the repository (../shared);
// the tests skip when it is absent, so a bare clone still passes.
func interopDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "interop")
	if _, err := os.Stat(filepath.Join(dir, "public-good-trusted_root.json")); err != nil {
		t.Skipf("interop material not present (%v)", err)
	}
	return dir
}

const (
	goBuilderIdentity = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"
	githubIssuer      = "https://token.actions.githubusercontent.com"
	goBuilderDigest   = "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066"
)

func TestInteropGoBuilder(t *testing.T) {
	dir := interopDir(t)
	tr, err := ReadTrustedRootFile(filepath.Join(dir, "public-good-trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(Identity{Subject: goBuilderIdentity, Issuer: githubIssuer}))
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := vocab.ParseSHA256(goBuilderDigest)
	art := Artifact{Name: "binary", SHA256: digest}
	for _, tc := range []struct {
		file, tag, wantCode string
	}{
		{"go-builder-v2.1.0-push-v14.sigstore.json", "v14", ""},
		{"go-builder-v2.1.0-push-v14.sigstore.json", "v13.0.30", reason.SourceTagMismatch},
		{"go-builder-v2.1.0-push-v13.0.30.sigstore.json", "v13.0.30", ""},
		{"go-builder-v2.1.0-push-v13.0.30.sigstore.json", "v14", reason.SourceTagMismatch},
	} {
		t.Run(tc.file+"@"+tc.tag, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			bs, err := ReadBundles(f)
			if err != nil {
				t.Fatal(err)
			}
			res, findings := v.Verify(&bs[0], art)
			for _, f := range findings {
				if f.Err != nil {
					t.Fatalf("%s: %v", f.Check, f.Err)
				}
			}
			pf := CheckProvenance(res.Statement, res.Certificate, ProvenanceRequirements{SourceURI: "github.com/slsa-framework/example-package", SourceTag: tc.tag,
				BuilderID: "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml"})
			var got string
			for _, f := range pf {
				if f.Err != nil && got == "" {
					got = f.Err.Code
				}
			}
			if got != tc.wantCode {
				t.Fatalf("provenance code = %q, want %q (%+v)", got, tc.wantCode, pf)
			}
		})
	}
}

func TestInteropWrongIdentity(t *testing.T) {
	dir := interopDir(t)
	tr, err := ReadTrustedRootFile(filepath.Join(dir, "public-good-trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(Identity{Subject: "https://github.com/evil/x/.github/workflows/r.yml@refs/tags/v1", Issuer: githubIssuer}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "bcr-module.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bs, err := ReadBundles(f)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := vocab.ParseSHA256("06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b")
	res, findings := v.Verify(&bs[0], Artifact{Name: "MODULE.bazel", SHA256: digest})
	if res != nil {
		t.Fatal("verified with the wrong identity")
	}
	last := findings[len(findings)-1]
	if last.Err == nil || last.Err.Code != reason.IdentityMismatch {
		t.Fatalf("got %+v, want IDENTITY_MISMATCH", last)
	}
}
