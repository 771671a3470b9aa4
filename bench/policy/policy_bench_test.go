// Package policybench measures sovcheck's policy engine: loading a policy
// (YAML decoding, validation, CEL compilation) and evaluating it on a
// large product. run.sh prints the figures against the targets.
package policybench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// celRules are 20 rules of the kind procurement teams write: most of them
// walk every component, as the costliest realistic rules do.
var celRules = []string{
	`sbom.components.all(c, !("unidentifiable" in c.labels))`,
	`sbom.components.all(c, c.grade != "G")`,
	`sbom.components.all(c, !("abandoned" in c.labels) || c.grade in ["A", "B", "C"])`,
	`sbom.components.all(c, c.purl != "" || c.sha256 != "")`,
	`sbom.components.all(c, !c.licence.contains("AGPL"))`,
	`sbom.components.filter(c, "single-maintainer" in c.labels).size() < 5000`,
	`sbom.components.all(c, !("portfolio-pervasive" in c.labels && "uncertified-steward" in c.labels))`,
	`sbom.components.exists(c, c.upstream == "github.com/madler/zlib") || true`,
	`sbom.components.all(c, c.jurisdiction == "" || c.jurisdiction in ["DE", "FR", "NL", "US", "CH"])`,
	`sbom.components.all(c, size(c.labels) < 10)`,
	`sbom.components.all(c, !c.purl.startsWith("pkg:generic/"))`,
	`sbom.components.map(c, c.supplier).size() == size(sbom.components)`,
	`vulnerabilities.all(v, v.severity != "critical" || !v.knownExploited)`,
	`vulnerabilities.filter(v, v.severity == "high").size() < 1000`,
	`checks.all(c, c.status != "FAIL" || !c.required)`,
	`checks.exists(c, c.id == "signature" && c.status == "PASS")`,
	`provenance.all(p, p.sourceRef.startsWith("refs/tags/"))`,
	`signers.exists(s, s.issuer == "https://token.actions.githubusercontent.com")`,
	`rebuild.status in ["MATCH", ""]`,
	`sbom.quality >= 0.5 && now > timestamp("2026-01-01T00:00:00Z")`,
}

// policySource is the default policy with the 20 rules appended.
func policySource() []byte {
	var b strings.Builder
	b.Write(policy.DefaultSource())
	b.WriteString("rules:\n")
	for i, r := range celRules {
		fmt.Fprintf(&b, "  - id: rule-%02d\n    action: warn\n    expr: '%s'\n", i, r)
	}
	return []byte(b.String())
}

// product returns the facts of a signed artifact whose SBOM lists n
// components with labels, licences, grades and some vulnerabilities.
func product(n int) *policy.Facts {
	labels := [][]string{nil, {"single-maintainer"}, {"portfolio-pervasive", "uncertified-steward"}, {"abandoned", "high-blast-radius"}, {"known-vulnerable"}}
	licences := []string{"MIT", "Apache-2.0", "BSD-3-Clause OR MIT", "GPL-2.0-only WITH Classpath-exception-2.0", "MPL-2.0 AND MIT"}
	f := &policy.Facts{
		Artifact: policy.Subject{Name: "dist/tool", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}},
		Checks: []policy.Check{
			{ID: "signature", Status: policy.StatusPass, Required: true},
			{ID: "identity", Status: policy.StatusPass, Required: true},
		},
		Signers:        []policy.Signer{{Issuer: "https://token.actions.githubusercontent.com", Subject: "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"}},
		PredicateTypes: []string{"https://slsa.dev/provenance/v1"},
		Provenance:     []policy.Provenance{{BuilderID: "https://github.com/actions/runner", SourceURI: "github.com/acme/tool", SourceRef: "refs/tags/v1.2.0"}},
		SBOM:           policy.SBOM{Present: true, Source: "tool.cdx.json", Quality: 0.9, ProductGrade: "C"},
	}
	for i := range n {
		f.SBOM.Components = append(f.SBOM.Components, policy.Component{
			Ref: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("example.com/mod%d", i), Version: "v1.0.0",
			PURL: fmt.Sprintf("pkg:golang/example.com/mod%d@v1.0.0", i), Upstream: fmt.Sprintf("github.com/org%d/mod", i%500),
			Supplier: fmt.Sprintf("Org %d", i%500), Jurisdiction: []string{"DE", "FR", "US", ""}[i%4],
			Licence: licences[i%len(licences)], Grade: string(rune('A' + i%6)), Labels: labels[i%len(labels)],
			Pointer: fmt.Sprintf("/components/%d", i),
		})
		if i%20 == 0 {
			f.Vulnerabilities = append(f.Vulnerabilities, policy.Vulnerability{ID: fmt.Sprintf("GHSA-%04d", i), Component: fmt.Sprintf("c%d", i),
				Severity: []string{"low", "medium", "high"}[i%3]})
		}
	}
	return f
}

func BenchmarkLoadAndCompile(b *testing.B) {
	src := policySource()
	for b.Loop() {
		if _, err := policy.Load(src, "bench.yaml", now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate10k(b *testing.B) {
	p, err := policy.Load(policySource(), "bench.yaml", now)
	if err != nil {
		b.Fatal(err)
	}
	f := product(10_000)
	if res := policy.Evaluate(p, f, now); len(res.Rules) < 24 {
		b.Fatalf("only %d rules evaluated", len(res.Rules))
	}
	for b.Loop() {
		policy.Evaluate(p, f, now)
	}
}

// TestRulesHold keeps the benchmark honest: every rule compiles and runs
// to a result, none stops on an error or its cost limit.
func TestRulesHold(t *testing.T) {
	p, err := policy.Load(policySource(), "bench.yaml", now)
	if err != nil {
		t.Fatal(err)
	}
	res := policy.Evaluate(p, product(10_000), now)
	for _, rr := range res.Rules {
		if rr.Reason == reason.PolicyRuleError || rr.Reason == reason.PolicyRuleCostExceeded {
			t.Errorf("%s: %s", rr.ID, rr.Message)
		}
	}
}
