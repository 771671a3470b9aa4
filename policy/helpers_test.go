package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// testNow is the evaluation time of every test: fixed, so golden files
// stay stable.
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const (
	testIssuer   = "https://token.actions.githubusercontent.com"
	testIdentity = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	testBuilder  = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml"
	testKeyID    = "3f4a0b9e1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
	testCertKey  = "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"
)

var testArtifactSHA = hexSHA("tool-linux-amd64 bytes")

func hexSHA(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// header starts every test policy.
const header = "apiVersion: sovcheck.dev/v1alpha1\nkind: ProcurementPolicy\n"

// mustLoad loads header+body and fails the test on any problem.
func mustLoad(t testing.TB, body string, opts ...Option) *Policy {
	t.Helper()
	p, err := Load([]byte(header+body), "test.yaml", testNow, opts...)
	if err != nil {
		t.Fatalf("loading policy: %v\n%s", err, body)
	}
	return p
}

// goodFacts are the facts of an artifact that passes every rule of the
// test policies: signed by the trusted release workflow, with provenance,
// a matching rebuild and a clean SBOM.
func goodFacts() *Facts {
	return &Facts{
		Artifact: Subject{Name: "dist/tool-linux-amd64", Digest: map[string]string{"sha256": testArtifactSHA}},
		Checks: []Check{
			{ID: "signature", Subject: Subject{Name: "dist/tool-linux-amd64"}, Status: StatusPass, Required: true, Evidence: "dist/tool-linux-amd64.sigstore.json"},
			{ID: "identity", Subject: Subject{Name: "dist/tool-linux-amd64"}, Status: StatusPass, Required: true, Evidence: "dist/tool-linux-amd64.sigstore.json"},
		},
		Signers:        []Signer{{Issuer: testIssuer, Subject: testIdentity, Evidence: "dist/tool-linux-amd64.sigstore.json"}},
		PredicateTypes: []string{vocab.PredicateSLSAProvenanceV1},
		Provenance: []Provenance{{
			PredicateType: vocab.PredicateSLSAProvenanceV1, BuilderID: testBuilder + "@refs/tags/v2.1.0",
			SourceURI: "github.com/acme/tool", SourceRef: "refs/tags/v1.2.0",
			SourceDigest: map[string]string{"gitCommit": "0123456789abcdef0123456789abcdef01234567"},
			Evidence:     "dist/tool-linux-amd64.intoto.jsonl",
		}},
		Rebuild: Rebuild{Status: RebuildMatch, Evidence: "rebuild/tool-linux-amd64.json"},
		SBOM: SBOM{Present: true, Source: "dist/tool.cdx.json", Quality: 0.95, ProductGrade: "B", Components: []Component{
			{Ref: "text", Name: "golang.org/x/text", Version: "v0.42.0", PURL: "pkg:golang/golang.org/x/text@v0.42.0",
				Jurisdiction: "US", Licence: "BSD-3-Clause", Grade: "B", Pointer: "/components/0"},
			{Ref: "lzma", Name: "liblzma5", Version: "5.4.1", PURL: "pkg:deb/debian/liblzma5@5.4.1?arch=amd64",
				Jurisdiction: "FI", Licence: "0BSD OR LicenseRef-public-domain", Grade: "C", Labels: []string{"single-maintainer"}, Pointer: "/components/1"},
			{Ref: "yaml", Name: "gopkg.in/yaml.v3", Version: "v3.0.1", PURL: "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
				Jurisdiction: "DE", Licence: "MIT AND Apache-2.0", Grade: "A", Pointer: "/components/2"},
		}, Advisories: Advisories{AsOf: "2026-10-30T08:00:00Z", Assessed: 3, Total: 3}},
		Vulnerabilities: []Vulnerability{{ID: "GHSA-0001", Component: "text", Severity: "medium", Record: "osv.zip#/GHSA-0001.json"}},
	}
}

// ruleResult evaluates and returns one rule's result, failing the test if
// the rule is absent.
func ruleResult(t *testing.T, p *Policy, f *Facts, id string) (RuleResult, *Result) {
	t.Helper()
	res := Evaluate(p, f, testNow)
	rr, ok := res.Rule(id)
	if !ok {
		var ids []string
		for _, r := range res.Rules {
			ids = append(ids, r.ID)
		}
		t.Fatalf("rule %s not evaluated; rules: %s", id, strings.Join(ids, ", "))
	}
	return rr, res
}
