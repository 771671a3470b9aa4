package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const fullCertList = `apiVersion: sovcheck.dev/v1alpha1
kind: CertificationList
entries:
  - purl: pkg:golang/golang.org/x/text
    certifier: Acme procurement office
    reference: AP-2026-001
  - purl: pkg:golang/gopkg.in/yaml.v3@v3.0.1
    expires: 2027-03-31
`

// fullPolicyBody uses every section of the policy file.
func fullPolicyBody(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf(`metadata:
  name: acme-procurement
  owner: procurement@acme.example
  expires: 2027-06-30
artifacts:
  - match: ["tool-*"]
    signature:
      identities:
        - issuer: %s
          subjectRegexp: https://github\.com/acme/tool/\.github/workflows/release\.yml@refs/tags/v.+
    attestations: [slsaprovenance1]
    provenance:
      builderIds: [%s]
      sourceRepos: [github.com/acme/tool]
      tags: ["v*"]
    rebuild:
      required: equivalent
      normalisations: [gzip-framing]
sbom:
  minQuality: 0.8
  maxProductGrade: C
  maxComponentGrade: E
  forbiddenLabels: [abandoned, systemic-fragile]
  jurisdictions:
    allowed: [EU, US, CH]
licences:
  deny: [AGPL-3.0-only, SSPL-1.0]
vulnerabilities:
  maximum: {critical: 0, high: 2}
data:
  - name: certs
    kind: certifications
    path: data/certs.yaml
    sha256: %s
certification:
  list: certs
  certifiers: ["sha256:%s"]
  requireComponents: true
points:
  maximum: 100
  pass: 60
  grades: {A: 100, B: 90, C: 80, D: 60, E: 40, F: 20, G: 0}
  penalties:
    - id: shared-uncertified
      labels: [portfolio-pervasive]
      uncertified: true
      points: 5
      max: 20
rules:
  - id: two-signers
    action: penalize
    points: 5
    severity: low
    message: two independent signers sign each release
    expr: size(signers) >= 2
  - id: no-opaque-binaries
    action: fail
    severity: high
    expr: sbom.components.all(c, !("opaque-binary" in c.labels))
waivers:
  - rule: sbom.forbidden-labels
    component: pkg:deb/debian/liblzma5
    reason: replacement by zstd scheduled for Q1
    owner: jane.doe@acme.example
    expires: 2027-01-31
  - rule: certification.components
    component: lzma
    reason: certification requested
    owner: jane.doe@acme.example
    expires: 2026-10-01
`, testIssuer, testBuilder, hexSHA(fullCertList), testCertKey)
}

// TestGolden evaluates fixed scenarios and compares the JSON results with
// golden files (go test ./policy -run Golden -update rewrites them).
func TestGolden(t *testing.T) {
	full, err := mustLoad(t, fullPolicyBody(t)).WithData("certs", []byte(fullCertList))
	if err != nil {
		t.Fatal(err)
	}
	def, err := Default(testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		p      *Policy
		mutate func(*Facts)
	}{
		{"default-pass", def, nil},
		{"default-fail", def, func(f *Facts) {
			f.Signers, f.Provenance = nil, nil
			f.Vulnerabilities = append(f.Vulnerabilities, Vulnerability{ID: "CVE-2024-3094", Component: "lzma", Severity: "critical", KnownExploited: true, Record: "kev.json#/vulnerabilities/7"})
		}},
		{"full", full, func(f *Facts) {
			f.Artifact.Name = "dist/tool-linux-amd64"
			f.SBOM.Components[1].Labels = append(f.SBOM.Components[1].Labels, "abandoned", "portfolio-pervasive")
		}},
		{"full-fail", full, func(f *Facts) {
			f.Rebuild = Rebuild{Status: RebuildMismatch, Reason: "DIGEST_MISMATCH", Causes: []string{"GZIP_ONLY", "GO_VERSION_MISMATCH"}, Evidence: "rebuild/tool.json"}
			f.SBOM.ProductGrade = "D"
			f.SBOM.Components[0].Labels = []string{"opaque-binary", "systemic-fragile"}
			f.SBOM.Components[2].Licence = "AGPL-3.0-only"
			f.Vulnerabilities = append(f.Vulnerabilities, Vulnerability{ID: "GHSA-9999", Component: "yaml", Severity: "critical", Record: "osv.zip#/GHSA-9999.json"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(Evaluate(tc.p, f, testNow)); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("result differs from %s (run with -update after review):\n%s", golden, buf.Bytes())
			}
		})
	}
}
