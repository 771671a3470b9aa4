package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

type ruleCase struct {
	name   string
	body   string       // policy after the header
	mutate func(*Facts) // nil: the good facts
	rule   string
	want   RuleStatus
	reason string // reason code when not PASS
	msg    string // substring of the message, if set
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustLoad(t, tc.body)
			f := goodFacts()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			rr, _ := ruleResult(t, p, f, tc.rule)
			if rr.Status != tc.want || (tc.want != RulePass && rr.Reason != tc.reason) {
				t.Fatalf("%s = %s %s (%s), want %s %s", tc.rule, rr.Status, rr.Reason, rr.Message, tc.want, tc.reason)
			}
			if tc.msg != "" && !strings.Contains(rr.Message, tc.msg) {
				t.Fatalf("message %q does not contain %q", rr.Message, tc.msg)
			}
		})
	}
}

const keylessSection = `artifacts:
  - match: ["tool-*"]
    signature:
      identities:
        - issuer: ` + testIssuer + `
          subject: ` + testIdentity + `
`

func TestSignatureRule(t *testing.T) {
	regexpSection := `artifacts:
  - match: ["*"]
    signature:
      identities:
        - issuerRegexp: https://token\.actions\.githubusercontent\.com
          subjectRegexp: https://github\.com/acme/tool/\.github/workflows/release\.yml@refs/tags/v.+
`
	keySection := "artifacts:\n  - match: [\"*\"]\n    signature:\n      keys: [sha256:" + testKeyID + "]\n"
	keySigner := func(id string) func(*Facts) {
		return func(f *Facts) { f.Signers = []Signer{{KeyID: id, Evidence: "b.sigstore.json"}} }
	}
	runRuleCases(t, []ruleCase{
		{"any verified signer", "", nil, RuleSignature, RulePass, "", "1 trusted signer"},
		{"no signer", "", func(f *Facts) { f.Signers = nil }, RuleSignature, RuleFail, reason.PolicySignatureMissing, ""},
		{"identity exact", keylessSection, nil, RuleSignature, RulePass, "", ""},
		{"identity of another workflow", keylessSection, func(f *Facts) { f.Signers[0].Subject = strings.Replace(testIdentity, "release", "nightly", 1) },
			RuleSignature, RuleFail, reason.PolicySignerUntrusted, "nightly.yml"},
		{"identity from another issuer", keylessSection, func(f *Facts) { f.Signers[0].Issuer = "https://accounts.google.com" },
			RuleSignature, RuleFail, reason.PolicySignerUntrusted, ""},
		{"identity regexp", regexpSection, nil, RuleSignature, RulePass, "", ""},
		{"identity regexp matches the whole value only", regexpSection, func(f *Facts) { f.Signers[0].Subject = "evil:" + testIdentity },
			RuleSignature, RuleFail, reason.PolicySignerUntrusted, ""},
		{"key", keySection, keySigner(testKeyID), RuleSignature, RulePass, "", ""},
		{"key in upper case", keySection, keySigner(strings.ToUpper(testKeyID)), RuleSignature, RulePass, "", ""},
		{"another key", keySection, keySigner(testCertKey), RuleSignature, RuleFail, reason.PolicySignerUntrusted, "key sha256:" + testCertKey},
		{"keyless signer against a key list", keySection, nil, RuleSignature, RuleFail, reason.PolicySignerUntrusted, ""},
		{"section does not match: default is strict", keylessSection, func(f *Facts) { f.Artifact.Name = "README"; f.Signers = nil },
			RuleSignature, RuleFail, reason.PolicySignatureMissing, ""},
		{"not required", "artifacts:\n  - match: [\"*\"]\n    signature: {required: false}\n", func(f *Facts) { f.Signers = nil },
			RuleSignature, RuleSkip, reason.PolicyNotApplicable, ""},
		{"not required, but listed signers must be trusted when signed", "artifacts:\n  - match: [\"*\"]\n    signature: {required: false, keys: [\"sha256:" + testKeyID + "\"]}\n",
			nil, RuleSignature, RulePass, "", "does not require"},
	})
}

func TestAttestationRule(t *testing.T) {
	body := "artifacts:\n  - match: [\"*\"]\n    attestations: [slsaprovenance1, cyclonedx]\n"
	runRuleCases(t, []ruleCase{
		{"all present", body, func(f *Facts) { f.PredicateTypes = append(f.PredicateTypes, vocab.PredicateCycloneDX) }, RuleAttestations, RulePass, "", ""},
		{"one missing", body, nil, RuleAttestations, RuleFail, reason.PolicyAttestationMissing, vocab.PredicateCycloneDX},
		{"none", body, func(f *Facts) { f.PredicateTypes = nil }, RuleAttestations, RuleFail, reason.PolicyAttestationMissing, ""},
		{"other section requires none", "artifacts:\n  - match: [\"*.deb\"]\n    attestations: [spdx]\n  - match: [\"*\"]\n", nil, RuleAttestations, RuleSkip, reason.PolicyNotApplicable, ""},
	})
}

func TestProvenanceRule(t *testing.T) {
	body := `artifacts:
  - match: ["*"]
    provenance:
      builderIds: [` + testBuilder + `]
      sourceRepos: [https://github.com/acme/tool.git]
      tags: ["v1.*"]
      branches: [main]
`
	runRuleCases(t, []ruleCase{
		{"required by default", "", nil, RuleProvenance, RulePass, "", ""},
		{"missing", "", func(f *Facts) { f.Provenance = nil }, RuleProvenance, RuleFail, reason.PolicyProvenanceMissing, ""},
		{"constraints met", body, nil, RuleProvenance, RulePass, "", ""},
		{"builder pinned to a version", strings.Replace(body, testBuilder, testBuilder+"@refs/tags/v2.1.0", 1), nil, RuleProvenance, RulePass, "", ""},
		{"builder at another version", strings.Replace(body, testBuilder, testBuilder+"@refs/tags/v1.9.0", 1), nil, RuleProvenance, RuleFail, reason.PolicyProvenanceMismatch, "builder"},
		{"another builder", body, func(f *Facts) { f.Provenance[0].BuilderID = "https://evil.example/builder" }, RuleProvenance, RuleFail, reason.PolicyProvenanceMismatch, "builder"},
		{"another repository", body, func(f *Facts) { f.Provenance[0].SourceURI = "github.com/evil/tool" }, RuleProvenance, RuleFail, reason.PolicyProvenanceMismatch, "source"},
		{"a tag outside the pattern", body, func(f *Facts) { f.Provenance[0].SourceRef = "refs/tags/v2.0.0" }, RuleProvenance, RuleFail, reason.PolicyProvenanceMismatch, "ref"},
		{"the trusted branch", body, func(f *Facts) { f.Provenance[0].SourceRef = "refs/heads/main" }, RuleProvenance, RulePass, "", ""},
		{"another branch", body, func(f *Facts) { f.Provenance[0].SourceRef = "refs/heads/v1.x" }, RuleProvenance, RuleFail, reason.PolicyProvenanceMismatch, "ref"},
		{"one of two provenances meets the policy", body, func(f *Facts) {
			bad := f.Provenance[0]
			bad.BuilderID = "https://evil.example/builder"
			f.Provenance = append([]Provenance{bad}, f.Provenance...)
		}, RuleProvenance, RulePass, "", ""},
		{"not required and absent", "artifacts:\n  - match: [\"*\"]\n    provenance: {required: false, sourceRepos: [github.com/acme/tool]}\n",
			func(f *Facts) { f.Provenance = nil }, RuleProvenance, RulePass, "", "does not require"},
	})
}

func TestRebuildRule(t *testing.T) {
	match := "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: match}\n"
	equiv := "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: equivalent, normalisations: [gzip-framing, vcs-stamp]}\n"
	mismatch := func(causes ...string) func(*Facts) {
		return func(f *Facts) {
			f.Rebuild = Rebuild{Status: RebuildMismatch, Reason: "DIGEST_MISMATCH", Causes: causes}
		}
	}
	runRuleCases(t, []ruleCase{
		{"match", match, nil, RuleRebuild, RulePass, "", "bit for bit"},
		{"mismatch", match, mismatch("GZIP_ONLY"), RuleRebuild, RuleFail, reason.PolicyNotReproducible, ""},
		{"equivalent: allowed differences", equiv, mismatch("GZIP_ONLY", "VCS_STAMP_MISMATCH"), RuleRebuild, RulePass, "", "gzip-framing"},
		{"equivalent: a difference not allowed", equiv, mismatch("GZIP_ONLY", "GO_VERSION_MISMATCH"), RuleRebuild, RuleFail, reason.PolicyNotReproducible, ""},
		{"equivalent: unexplained mismatch", equiv, mismatch(), RuleRebuild, RuleFail, reason.PolicyNotReproducible, ""},
		{"equivalent: exact match", equiv, nil, RuleRebuild, RulePass, "", ""},
		{"skipped", match, func(f *Facts) { f.Rebuild = Rebuild{Status: RebuildSkip, Reason: "TOOLCHAIN_UNAVAILABLE"} }, RuleRebuild, RuleFail, reason.PolicyRebuildMissing, "TOOLCHAIN_UNAVAILABLE"},
		{"not attempted", match, func(f *Facts) { f.Rebuild = Rebuild{} }, RuleRebuild, RuleFail, reason.PolicyRebuildMissing, ""},
		{"required none", "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: none}\n  - match: [\"x\"]\n    rebuild: {required: match}\n",
			func(f *Facts) { f.Rebuild = Rebuild{} }, RuleRebuild, RuleSkip, reason.PolicyNotApplicable, ""},
	})
}

func TestSBOMRules(t *testing.T) {
	noSBOM := func(f *Facts) { f.SBOM = SBOM{} }
	runRuleCases(t, []ruleCase{
		{"present", "sbom: {}\n", nil, RuleSBOMRequired, RulePass, "", "3 components"},
		{"absent", "sbom: {}\n", noSBOM, RuleSBOMRequired, RuleFail, reason.PolicySBOMMissing, ""},
		{"absent, not required", "sbom: {required: false}\n", noSBOM, RuleSBOMRequired, RuleSkip, reason.PolicyNotApplicable, ""},
		{"quality", "sbom: {minQuality: 0.9}\n", nil, RuleSBOMQuality, RulePass, "", ""},
		{"quality too low", "sbom: {minQuality: 0.9}\n", func(f *Facts) { f.SBOM.Quality = 0.5 }, RuleSBOMQuality, RuleFail, reason.PolicySBOMQuality, "50%"},
		{"quality without SBOM", "sbom: {minQuality: 0.9}\n", noSBOM, RuleSBOMQuality, RuleSkip, reason.PolicyNotApplicable, "sbom.required fails"},
		{"no SBOM", "sbom: {minQuality: 0.9}\n", noSBOM, RuleSBOMRequired, RuleFail, reason.PolicySBOMMissing, "no SBOM"},
		{"quality without SBOM, not required", "sbom: {required: false, minQuality: 0.9}\n", noSBOM, RuleSBOMQuality, RuleSkip, reason.PolicyNotApplicable, ""},
		{"product grade", "sbom: {maxProductGrade: C}\n", nil, RuleProductGrade, RulePass, "", ""},
		{"product grade worse", "sbom: {maxProductGrade: C}\n", func(f *Facts) { f.SBOM.ProductGrade = "E" }, RuleProductGrade, RuleFail, reason.PolicyGradeExceeded, "E is worse than C"},
		{"product ungraded", "sbom: {maxProductGrade: C}\n", func(f *Facts) { f.SBOM.ProductGrade = "" }, RuleProductGrade, RuleFail, reason.PolicyGradeExceeded, ""},
		{"component grade", "sbom: {maxComponentGrade: C}\n", nil, RuleComponentGrade, RulePass, "", ""},
		{"component grade worse", "sbom: {maxComponentGrade: C}\n", func(f *Facts) { f.SBOM.Components[1].Grade = "F" }, RuleComponentGrade, RuleFail, reason.PolicyGradeExceeded, "liblzma5"},
		{"component ungraded", "sbom: {maxComponentGrade: C}\n", func(f *Facts) { f.SBOM.Components[2].Grade = "" }, RuleComponentGrade, RuleFail, reason.PolicyGradeExceeded, "ungraded"},
		{"labels", "sbom: {forbiddenLabels: [abandoned, systemic-fragile]}\n", nil, RuleForbiddenLabels, RulePass, "", ""},
		{"forbidden label", "sbom: {forbiddenLabels: [abandoned, single-maintainer]}\n", nil, RuleForbiddenLabels, RuleFail, reason.PolicyForbiddenLabel, "single-maintainer"},
		{"jurisdictions", "sbom: {jurisdictions: {allowed: [EU, US]}}\n", nil, RuleJurisdictions, RulePass, "", ""},
		{"jurisdiction outside", "sbom: {jurisdictions: {allowed: [EU]}}\n", nil, RuleJurisdictions, RuleFail, reason.PolicyJurisdiction, "jurisdiction US"},
		{"jurisdiction subdivision", "sbom: {jurisdictions: {allowed: [EU, US]}}\n", func(f *Facts) { f.SBOM.Components[0].Jurisdiction = "US-CA" }, RuleJurisdictions, RulePass, "", ""},
		{"jurisdiction unknown", "sbom: {jurisdictions: {allowed: [EU, US]}}\n", func(f *Facts) { f.SBOM.Components[0].Jurisdiction = "" }, RuleJurisdictions, RuleFail, reason.PolicyJurisdiction, "unknown"},
		{"jurisdiction unknown allowed", "sbom: {jurisdictions: {allowed: [EU, US], allowUnknown: true}}\n", func(f *Facts) { f.SBOM.Components[0].Jurisdiction = "" }, RuleJurisdictions, RulePass, "", ""},
	})
}

func TestLicenceRule(t *testing.T) {
	allow := "licences:\n  allow: [MIT, Apache-2.0, BSD-3-Clause, 0BSD, GPL-2.0-only WITH Classpath-exception-2.0]\n"
	deny := "licences:\n  deny: [AGPL-3.0-only, GPL-2.0-only]\n"
	lic := func(s string) func(*Facts) { return func(f *Facts) { f.SBOM.Components[0].Licence = s } }
	runRuleCases(t, []ruleCase{
		{"allowed choices", allow, nil, RuleLicences, RulePass, "", ""},
		{"not allowed", allow, lic("MPL-2.0"), RuleLicences, RuleFail, reason.PolicyLicence, "MPL-2.0 is not allowed"},
		{"AND needs both", allow, lic("MIT AND MPL-2.0"), RuleLicences, RuleFail, reason.PolicyLicence, ""},
		{"OR needs one", allow, lic("MPL-2.0 OR MIT"), RuleLicences, RulePass, "", ""},
		{"lower-case operators", allow, lic("(mpl-2.0 or mit) and apache-2.0"), RuleLicences, RulePass, "", ""},
		{"exception allowed", allow, lic("GPL-2.0-only WITH Classpath-exception-2.0"), RuleLicences, RulePass, "", ""},
		{"without the allowed exception", allow, lic("GPL-2.0-only"), RuleLicences, RuleFail, reason.PolicyLicence, ""},
		{"denied", deny, lic("AGPL-3.0-only"), RuleLicences, RuleFail, reason.PolicyLicence, "requires denied AGPL-3.0-only"},
		{"denied with any exception", deny, lic("GPL-2.0-only WITH Classpath-exception-2.0"), RuleLicences, RuleFail, reason.PolicyLicence, ""},
		{"a choice avoids the denied one", deny, lic("AGPL-3.0-only OR MIT"), RuleLicences, RulePass, "", ""},
		{"denied inside AND", deny, lic("MIT AND (AGPL-3.0-only OR GPL-2.0-only)"), RuleLicences, RuleFail, reason.PolicyLicence, ""},
		{"unknown", deny, lic("NOASSERTION"), RuleLicences, RuleFail, reason.PolicyLicence, "licence unknown"},
		{"unknown allowed", "licences: {deny: [AGPL-3.0-only], allowUnknown: true}\n", lic(""), RuleLicences, RulePass, "", ""},
		{"does not parse", deny, lic("MIT OR"), RuleLicences, RuleFail, reason.PolicyLicence, "does not parse"},
	})
}

func TestVulnerabilityRules(t *testing.T) {
	exploited := func(f *Facts) {
		f.Vulnerabilities = append(f.Vulnerabilities, Vulnerability{ID: "CVE-2024-3094", Component: "lzma", Severity: "critical", KnownExploited: true, Record: "kev.json#/vulnerabilities/12"})
	}
	runRuleCases(t, []ruleCase{
		{"none exploited", "", nil, RuleKnownExploited, RulePass, "", ""},
		{"exploited", "", exploited, RuleKnownExploited, RuleFail, reason.PolicyKnownExploited, "CVE-2024-3094"},
		{"exploited by label", "", func(f *Facts) { f.SBOM.Components[2].Labels = []string{string(vocab.LabelKnownExploited)} }, RuleKnownExploited, RuleFail, reason.PolicyKnownExploited, "yaml.v3"},
		{"no SBOM and no vulnerability data", "", func(f *Facts) { f.SBOM = SBOM{}; f.Vulnerabilities = nil }, RuleKnownExploited, RuleSkip, reason.PolicyNotApplicable, ""},
		{"no SBOM, required", "sbom: {}\n", func(f *Facts) { f.SBOM = SBOM{}; f.Vulnerabilities = nil }, RuleKnownExploited, RuleSkip, reason.PolicyNotApplicable, "sbom.required fails"},
		{"within limits", "vulnerabilities: {maximum: {critical: 0, medium: 1}}\n", nil, RuleVulnerabilityLimit, RulePass, "", "1 medium (at most 1)"},
		{"over a limit", "vulnerabilities: {maximum: {critical: 0, medium: 1}}\n", exploited, RuleVulnerabilityLimit, RuleFail, reason.PolicyVulnerabilityThreshold, "1 critical (at most 0)"},
		{"unknown severity counts as high", "vulnerabilities: {maximum: {critical: 0, high: 0}}\n", func(f *Facts) { f.Vulnerabilities[0].Severity = "moderate-ish" }, RuleVulnerabilityLimit, RuleFail, reason.PolicyVulnerabilityThreshold, "1 high (at most 0)"},
		{"unknown severity counts as the policy says", "vulnerabilities: {maximum: {critical: 0, high: 0}, unknownSeverity: medium}\n", func(f *Facts) { f.Vulnerabilities[0].Severity = "unknown" }, RuleVulnerabilityLimit, RulePass, "", "0 high (at most 0)"},
		{"unknown severity in a class of its own", "vulnerabilities: {maximum: {unknown: 0}, unknownSeverity: unknown}\n", func(f *Facts) { f.Vulnerabilities[0].Severity = "unknown" }, RuleVulnerabilityLimit, RuleFail, reason.PolicyVulnerabilityThreshold, "1 unknown (at most 0)"},
		{"no component assessed", "vulnerabilities: {maximum: {critical: 0}}\n", func(f *Facts) { f.Vulnerabilities = nil; f.SBOM.Advisories = Advisories{Total: 3} }, RuleVulnerabilityLimit, RuleFail, reason.VulnDataMissing, "0 of 3"},
		{"partly assessed passes", "vulnerabilities: {maximum: {critical: 0}}\n", func(f *Facts) { f.SBOM.Advisories.Assessed = 1 }, RuleVulnerabilityLimit, RulePass, "", ""},
		{"fresh data", "vulnerabilities: {maxDataAge: 7d}\n", nil, RuleVulnerabilityDataAge, RulePass, "", "2 days old"},
		{"stale data fails", "vulnerabilities: {maxDataAge: 1d}\n", nil, RuleVulnerabilityDataAge, RuleFail, reason.VulnDataStale, "older than 1d"},
		{"undated data fails", "vulnerabilities: {maxDataAge: 7d, staleData: fail}\n", func(f *Facts) { f.SBOM.Advisories.AsOf = "" }, RuleVulnerabilityDataAge, RuleFail, reason.VulnDataStale, "no date"},
	})
	p0 := mustLoad(t, "vulnerabilities: {maxDataAge: 7d, staleData: unassessed}\n")
	if age, mode := p0.MaxDataAge(); age != 7*24*time.Hour || mode != StaleDataUnassessed || p0.ruleIDs[RuleVulnerabilityDataAge] {
		t.Errorf("staleData unassessed: %v %q, rule registered %v", age, mode, p0.ruleIDs[RuleVulnerabilityDataAge])
	}

	// warn: the rule fails, the policy does not.
	p := mustLoad(t, "vulnerabilities: {knownExploited: warn}\n")
	f := goodFacts()
	exploited(f)
	rr, res := ruleResult(t, p, f, RuleKnownExploited)
	if rr.Status != RuleFail || rr.Action != ActionWarn || !res.Passed() {
		t.Fatalf("warn: rule %s/%s, policy %s; want FAIL/warn, PASS", rr.Status, rr.Action, res.Status)
	}
}

func TestCertificationRules(t *testing.T) {
	list := "apiVersion: sovcheck.dev/v1alpha1\nkind: CertificationList\nentries:\n" +
		"  - purl: pkg:golang/golang.org/x/text\n    certifier: Acme procurement\n    reference: AP-1\n" +
		"  - purl: pkg:deb/debian/liblzma5@5.4.1\n    expires: 2026-01-31\n" +
		"  - purl: pkg:golang/gopkg.in/yaml.v3@v3.0.1\n" +
		"  - sha256: " + testArtifactSHA + "\n"
	body := fmt.Sprintf(`data:
  - name: certs
    kind: certifications
    path: certs.yaml
    sha256: %s
certification:
  list: certs
  certifiers: ["sha256:%s"]
  requireArtifact: true
  requireComponents: true
`, hexSHA(list), testCertKey)
	load := func(t *testing.T) *Policy {
		p, err := mustLoad(t, body).WithData("certs", []byte(list))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Facts)
		rule   string
		want   RuleStatus
		reason string
		msg    string
	}{
		{"artifact listed by sha256", nil, RuleCertifiedArtifact, RulePass, "", "list"},
		{"artifact not listed", func(f *Facts) { f.Artifact.Digest["sha256"] = hexSHA("other") }, RuleCertifiedArtifact, RuleFail, reason.PolicyUncertified, ""},
		{"artifact VSA from a trusted certifier", func(f *Facts) {
			f.Artifact.Digest["sha256"] = hexSHA("other")
			f.VSAs = []VSA{{CertifierKeyID: testCertKey, Result: vocab.VSAPassed, Evidence: "tool.vsa.json"}}
		}, RuleCertifiedArtifact, RulePass, "", "vsa"},
		{"artifact VSA that failed", func(f *Facts) {
			f.Artifact.Digest["sha256"] = hexSHA("other")
			f.VSAs = []VSA{{CertifierKeyID: testCertKey, Result: vocab.VSAFailed}}
		}, RuleCertifiedArtifact, RuleFail, reason.PolicyUncertified, ""},
		{"artifact VSA from another certifier", func(f *Facts) {
			f.Artifact.Digest["sha256"] = hexSHA("other")
			f.VSAs = []VSA{{CertifierKeyID: testKeyID, Result: vocab.VSAPassed}}
		}, RuleCertifiedArtifact, RuleFail, reason.PolicyUncertified, ""},
		{"components: expired entry", nil, RuleCertifiedComponent, RuleFail, reason.PolicyUncertified, "expired on 2026-01-31"},
		{"components: VSA covers the expired entry", func(f *Facts) {
			f.SBOM.Components[1].VSAs = []VSA{{CertifierKeyID: testCertKey, Result: vocab.VSAPassed}}
		}, RuleCertifiedComponent, RulePass, "", ""},
		{"components: another version", func(f *Facts) {
			f.SBOM.Components[1].VSAs = []VSA{{CertifierKeyID: testCertKey, Result: vocab.VSAPassed}}
			f.SBOM.Components[2].PURL = "pkg:golang/gopkg.in/yaml.v3@v3.0.0"
		}, RuleCertifiedComponent, RuleFail, reason.PolicyUncertified, "yaml.v3@v3.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			rr, _ := ruleResult(t, load(t), f, tc.rule)
			if rr.Status != tc.want || rr.Reason != tc.reason {
				t.Fatalf("%s = %s %s (%s), want %s %s", tc.rule, rr.Status, rr.Reason, rr.Message, tc.want, tc.reason)
			}
			if !strings.Contains(rr.Message+rr.Evidence[0].Detail+fmt.Sprint(rr.Evidence), tc.msg) {
				t.Fatalf("result %+v does not mention %q", rr, tc.msg)
			}
		})
	}
	t.Run("list not loaded", func(t *testing.T) {
		rr, _ := ruleResult(t, mustLoad(t, body), goodFacts(), RuleCertifiedComponent)
		if rr.Status != RuleFail || rr.Reason != reason.DataNotLoaded {
			t.Fatalf("got %s %s, want FAIL %s", rr.Status, rr.Reason, reason.DataNotLoaded)
		}
	})
}

func TestPenaltiesAndPoints(t *testing.T) {
	body := `points:
  maximum: 100
  pass: 80
  grades: {A: 100, B: 90, C: 80, D: 60, E: 40, F: 20, G: 0}
  penalties:
    - id: lone
      labels: [single-maintainer]
      points: 4
    - id: capped
      labels: [single-maintainer]
      points: 30
      max: 7
`
	p := mustLoad(t, body)
	res := Evaluate(p, goodFacts(), testNow)
	if res.Points == nil || res.Points.Earned != 100-10-4-7 {
		t.Fatalf("points = %+v, want 79 earned", res.Points)
	}
	if res.Passed() {
		t.Fatal("79 points passed a policy that needs 80")
	}
	if rr, _ := res.Rule(RulePointsPass); rr.Reason != reason.PolicyPointsBelowPass {
		t.Fatalf("points.pass reason %q", rr.Reason)
	}
	// The twin: a grade-A product without the label passes.
	f := goodFacts()
	f.SBOM.ProductGrade = "A"
	f.SBOM.Components[1].Labels = nil
	res = Evaluate(p, f, testNow)
	if !res.Passed() || res.Points.Earned != 100 {
		t.Fatalf("clean product: %s with %+v, want PASS with 100", res.Status, res.Points)
	}
	// No SBOM: no grade, no grade points.
	f.SBOM = SBOM{}
	res = Evaluate(p, f, testNow)
	if rr, _ := res.Rule(RulePointsGrade); rr.Status != RuleFail || rr.PointsLost != 100 || rr.Reason != reason.PolicySBOMMissing {
		t.Fatalf("points.grade without SBOM: %+v", rr)
	}
	if res.Passed() {
		t.Fatal("an ungraded product passed on points")
	}
}

func TestCELRules(t *testing.T) {
	rule := func(action, expr string, extra string) string {
		return "points: {maximum: 10, pass: 5}\nrules:\n  - id: r\n    action: " + action + "\n    expr: '" + expr + "'\n" + extra
	}
	runRuleCases(t, []ruleCase{
		{"holds", rule("fail", `checks.exists(c, c.id == "signature" && c.status == "PASS")`, ""), nil, "r", RulePass, "", ""},
		{"does not hold", rule("fail", `checks.exists(c, c.id == "signature" && c.status == "PASS")`, ""), func(f *Facts) { f.Checks[0].Status = StatusFail },
			"r", RuleFail, reason.PolicyRuleFailed, ""},
		{"components", rule("fail", `sbom.components.all(c, c.grade in ["A", "B", "C"])`, ""), nil, "r", RulePass, "", ""},
		{"components fail", rule("fail", `sbom.components.all(c, c.grade in ["A", "B", "C"])`, ""), func(f *Facts) { f.SBOM.Components[0].Grade = "D" },
			"r", RuleFail, reason.PolicyRuleFailed, ""},
		{"message", rule("fail", `size(signers) >= 2`, "    message: two signers sign every release\n"), nil, "r", RuleFail, reason.PolicyRuleFailed, "two signers"},
		{"runtime error fails the rule", rule("fail", `provenance[3].builderId == ""`, ""), nil, "r", RuleFail, reason.PolicyRuleError, "index"},
		{"map key missing fails the rule", rule("fail", `artifact.digest["sha512"] != ""`, ""), nil, "r", RuleFail, reason.PolicyRuleError, "no such key"},
		{"now", rule("fail", `now > timestamp("2026-01-01T00:00:00Z")`, ""), nil, "r", RulePass, "", ""},
		{"strings extension", rule("fail", `artifact.name.lowerAscii().startsWith("dist/")`, ""), nil, "r", RulePass, "", ""},
	})

	t.Run("cost limit", func(t *testing.T) {
		p := mustLoad(t, rule("fail", `sbom.components.all(a, sbom.components.all(b, a.name != "" && b.name != ""))`, ""), WithCostLimit(500))
		f := goodFacts()
		for i := range 50 {
			f.SBOM.Components = append(f.SBOM.Components, Component{Name: fmt.Sprint("c", i)})
		}
		rr, res := ruleResult(t, p, f, "r")
		if rr.Status != RuleFail || rr.Reason != reason.PolicyRuleCostExceeded || res.Passed() {
			t.Fatalf("rule over its cost limit: %s %s, policy %s", rr.Status, rr.Reason, res.Status)
		}
		// Its twin under the default limit completes.
		p = mustLoad(t, rule("fail", `sbom.components.all(a, sbom.components.all(b, a.name != "" && b.name != ""))`, ""))
		if rr, _ := ruleResult(t, p, f, "r"); rr.Status != RulePass {
			t.Fatalf("under the default limit: %s %s", rr.Status, rr.Message)
		}
	})

	t.Run("actions", func(t *testing.T) {
		f := goodFacts()
		for _, tc := range []struct {
			action, extra string
			status        Status
			lost          int
		}{
			{"fail", "", StatusFail, 0},
			{"warn", "", StatusPass, 0},
			{"penalize", "    points: 3\n", StatusPass, 3},
			{"penalize", "    points: 6\n", StatusFail, 6},
		} {
			res := Evaluate(mustLoad(t, rule(tc.action, `false`, tc.extra)), f, testNow)
			rr, _ := res.Rule("r")
			if res.Status != tc.status || rr.PointsLost != tc.lost || rr.Status != RuleFail {
				t.Errorf("%s %q: policy %s, rule %s losing %d; want policy %s losing %d", tc.action, tc.extra, res.Status, rr.Status, rr.PointsLost, tc.status, tc.lost)
			}
		}
	})

	t.Run("evidence names the facts read", func(t *testing.T) {
		rr, _ := ruleResult(t, mustLoad(t, rule("fail", `sbom.components.all(c, c.grade != "G") && size(checks) > 0 && sbom.present`, "")), goodFacts(), "r")
		var fields []string
		for _, e := range rr.Evidence {
			fields = append(fields, e.Field)
		}
		if got := strings.Join(fields, ","); got != "checks,sbom.components,sbom.present" {
			t.Fatalf("evidence fields %s", got)
		}
	})
}

func TestWaivers(t *testing.T) {
	body := "sbom: {forbiddenLabels: [single-maintainer]}\nwaivers:\n"
	waiver := func(component, expires string) string {
		s := "  - rule: sbom.forbidden-labels\n    reason: replacement ordered\n    owner: jane@acme.example\n    expires: " + expires + "\n"
		if component != "" {
			s += "    component: " + component + "\n"
		}
		return s
	}
	runRuleCases(t, []ruleCase{
		{"component waiver by purl without version", body + waiver("pkg:deb/debian/liblzma5", "2026-12-31"), nil, RuleForbiddenLabels, RuleWaived, reason.PolicyWaived, "every failure is waived"},
		{"component waiver by exact purl", body + waiver("pkg:deb/debian/liblzma5@5.4.1", "2026-12-31"), nil, RuleForbiddenLabels, RuleWaived, reason.PolicyWaived, ""},
		{"component waiver by ref", body + waiver("lzma", "2026-12-31"), nil, RuleForbiddenLabels, RuleWaived, reason.PolicyWaived, ""},
		{"waiver of another version", body + waiver("pkg:deb/debian/liblzma5@5.2.0", "2026-12-31"), nil, RuleForbiddenLabels, RuleFail, reason.PolicyForbiddenLabel, ""},
		{"waiver of another component", body + waiver("pkg:golang/golang.org/x/text", "2026-12-31"), nil, RuleForbiddenLabels, RuleFail, reason.PolicyForbiddenLabel, ""},
		{"expired waiver", body + waiver("pkg:deb/debian/liblzma5", "2026-10-31"), nil, RuleForbiddenLabels, RuleFail, reason.PolicyForbiddenLabel, "expired on 2026-10-31 and no longer applies"},
		{"waiver through the end of its day", body + waiver("lzma", "2026-11-01"), nil, RuleForbiddenLabels, RuleWaived, reason.PolicyWaived, ""},
		{"rule-wide waiver", body + waiver("", "2027-01-01"), nil, RuleForbiddenLabels, RuleWaived, reason.PolicyWaived, "waived until 2027-01-01 by jane@acme.example"},
		{"waiver of a passing rule", body + waiver("", "2027-01-01"), func(f *Facts) { f.SBOM.Components[1].Labels = nil }, RuleForbiddenLabels, RulePass, "", ""},
		{"waiver of a knock-out artifact rule", "waivers:\n  - {rule: artifact.provenance, reason: vendor build, owner: bob, expires: 2026-12-01}\n",
			func(f *Facts) { f.Provenance = nil }, RuleProvenance, RuleWaived, reason.PolicyWaived, ""},
	})

	// Half waived: the other component still fails.
	p := mustLoad(t, body+waiver("lzma", "2026-12-31"))
	f := goodFacts()
	f.SBOM.Components[0].Labels = []string{"single-maintainer"}
	rr, _ := ruleResult(t, p, f, RuleForbiddenLabels)
	if rr.Status != RuleFail || !strings.Contains(rr.Message, "(1)") || len(rr.Waivers) != 1 {
		t.Fatalf("half waived: %s %q waivers %v", rr.Status, rr.Message, rr.Waivers)
	}
	// Vulnerability limits count only unwaived vulnerabilities.
	p = mustLoad(t, "vulnerabilities: {maximum: {medium: 0}}\nwaivers:\n  - {rule: vulnerabilities.maximum, component: text, reason: not reachable, owner: sec, expires: 2026-12-01}\n")
	if rr, _ := ruleResult(t, p, goodFacts(), RuleVulnerabilityLimit); rr.Status != RuleWaived {
		t.Fatalf("waived vulnerability: %s %s", rr.Status, rr.Message)
	}
}

func TestPolicyExpiresAfterLoading(t *testing.T) {
	p := mustLoad(t, "metadata: {expires: 2026-11-30}\n")
	if rr, _ := ruleResult(t, p, goodFacts(), RulePolicyExpiry); rr.Status != RulePass {
		t.Fatalf("unexpired policy: %s", rr.Status)
	}
	res := Evaluate(p, goodFacts(), testNow.AddDate(0, 1, 0))
	rr, _ := res.Rule(RulePolicyExpiry)
	if rr.Status != RuleFail || rr.Reason != reason.PolicyExpired || res.Passed() {
		t.Fatalf("expired policy: rule %s %s, policy %s", rr.Status, rr.Reason, res.Status)
	}
}

func TestArtifactSections(t *testing.T) {
	body := `artifacts:
  - match: ["*.deb"]
    signature: {required: false}
    provenance: {required: false}
  - match: ["dist/*"]
    rebuild: {required: match}
`
	p := mustLoad(t, body)
	for _, tc := range []struct {
		name      string
		rebuild   RuleStatus
		signature RuleStatus
	}{
		{"dist/tool-linux-amd64", RulePass, RulePass},
		{"pool/tool_1.2.0_amd64.deb", RuleSkip, RuleSkip},
		{"tool_1.2.0_amd64.deb", RuleSkip, RuleSkip},
		{"README", RuleSkip, RulePass}, // no section: the strict default
	} {
		f := goodFacts()
		f.Artifact.Name = tc.name
		res := Evaluate(p, f, testNow)
		rb, _ := res.Rule(RuleRebuild)
		sig, _ := res.Rule(RuleSignature)
		if rb.Status != tc.rebuild || sig.Status != tc.signature {
			t.Errorf("%s: rebuild %s, signature %s; want %s, %s", tc.name, rb.Status, sig.Status, tc.rebuild, tc.signature)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "a/b", true}, {"v1.*", "v1.2.0", true}, {"v1.*", "v2.0", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*.deb", "x.deb.sig", false}, {"*a*b", "xaxxb", true},
		{"", "", true}, {"", "a", false}, {"a*", "a", true}, {"**", "abc", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestResultIntoVerdict(t *testing.T) {
	p := mustLoad(t, "rules:\n  - {id: w, action: warn, expr: 'false'}\n")
	f := goodFacts()
	v := Decide(f.Artifact, f.Checks)
	res := Evaluate(p, NewFacts(v), testNow)
	// NewFacts carries no signers or provenance: the knock-outs fail.
	if got := res.Verdict(f.Checks); got.Passed() || got.Reason != reason.PolicySignatureMissing {
		t.Fatalf("verdict with failing policy: %s %s", got.Status, got.Reason)
	}
	res = Evaluate(p, f, testNow)
	before := Decided()
	got := res.Verdict(f.Checks)
	if n := Decided() - before; n != 1 {
		t.Fatalf("Result.Verdict decided %d verdicts, want 1", n)
	}
	if !got.Passed() {
		t.Fatalf("verdict with passing policy failed: %s", got.Reason)
	}
	var warn Check
	for _, c := range got.Checks {
		if c.ID == vocab.CheckPolicyPrefix+"w" {
			warn = c
		}
	}
	if warn.Status != StatusSkip || warn.Reason != reason.PolicyWarning || warn.Required {
		t.Fatalf("warning check %+v", warn)
	}
	if n := len(got.Checks); n != len(v.Checks)+len(res.Rules) {
		t.Fatalf("%d checks, want %d", n, len(v.Checks)+len(res.Rules))
	}
}

func TestChecksOfEachOutcome(t *testing.T) {
	p := mustLoad(t, `points: {maximum: 10, pass: 0}
sbom: {forbiddenLabels: [single-maintainer], maxComponentGrade: A}
artifacts:
  - match: ["*"]
    rebuild: {required: none}
  - match: ["other"]
    rebuild: {required: match}
rules:
  - {id: warned, action: warn, expr: 'false'}
  - {id: penalised, action: penalize, points: 2, expr: 'false'}
  - {id: held, action: penalize, points: 2, expr: 'true'}
waivers:
  - {rule: sbom.forbidden-labels, component: lzma, reason: r, owner: o, expires: 2027-01-01}
`)
	res := Evaluate(p, goodFacts(), testNow)
	want := map[string]struct {
		status   Status
		required bool
		reason   string
	}{
		"policy:artifact.signature":              {StatusPass, true, ""},
		"policy:artifact.rebuild":                {StatusSkip, false, reason.PolicyNotApplicable},
		"policy:sbom.forbidden-labels":           {StatusSkip, false, reason.PolicyWaived},
		"policy:sbom.component-grade":            {StatusFail, true, reason.PolicyGradeExceeded},
		"policy:warned":                          {StatusSkip, false, reason.PolicyWarning},
		"policy:penalised":                       {StatusSkip, false, reason.PolicyPenalty},
		"policy:held":                            {StatusPass, false, ""},
		"policy:points.pass":                     {StatusPass, true, ""},
		"policy:points.grade":                    {},
		"policy:policy.expiry":                   {StatusPass, true, ""},
		"policy:artifact.provenance":             {StatusPass, true, ""},
		"policy:sbom.required":                   {StatusPass, true, ""},
		"policy:vulnerabilities.known-exploited": {StatusPass, true, ""},
	}
	checks := res.Checks()
	for _, c := range checks {
		w, ok := want[c.ID]
		if !ok {
			t.Errorf("unexpected check %s", c.ID)
			continue
		}
		if c.Status != w.status || c.Required != w.required || c.Reason != w.reason || c.Evidence != "test.yaml" {
			t.Errorf("%s: %s required=%v %q from %q, want %s required=%v %q", c.ID, c.Status, c.Required, c.Reason, c.Evidence, w.status, w.required, w.reason)
		}
	}
	if len(checks) != len(want)-1 {
		t.Errorf("%d checks, want %d", len(checks), len(want)-1)
	}
	if res.VerificationResult() != vocab.VSAFailed {
		t.Errorf("VSA result %s", res.VerificationResult())
	}
	if v := res.Verdict(goodFacts().Checks); v.Passed() || v.Reason != reason.PolicyGradeExceeded {
		t.Errorf("verdict %s %s", v.Status, v.Reason)
	}
}

func TestEvidenceIsCapped(t *testing.T) {
	p := mustLoad(t, "sbom: {forbiddenLabels: [abandoned]}\n")
	f := goodFacts()
	for i := range MaxEvidence + 10 {
		c := Component{Name: fmt.Sprintf("lib%d", i), Version: "1.0", Labels: []string{"abandoned"}, Pointer: fmt.Sprintf("/components/%d", i+3)}
		if i%2 == 1 {
			c = Component{Ref: fmt.Sprintf("ref%d", i), Labels: []string{"abandoned"}}
		}
		f.SBOM.Components = append(f.SBOM.Components, c)
	}
	rr, _ := ruleResult(t, p, f, RuleForbiddenLabels)
	if len(rr.Evidence) != MaxEvidence || rr.EvidenceOmitted != 11 {
		t.Fatalf("%d evidence items, %d omitted; want %d and 11", len(rr.Evidence), rr.EvidenceOmitted, MaxEvidence)
	}
	for _, e := range rr.Evidence {
		if !e.Failed {
			t.Fatalf("a passing item was kept before failures: %+v", e)
		}
	}
	if rr.Evidence[0].Component != "lib0@1.0" || rr.Evidence[1].Component != "ref1" {
		t.Fatalf("component names %q, %q", rr.Evidence[0].Component, rr.Evidence[1].Component)
	}
	if !strings.HasPrefix(rr.Message, "forbidden labels on components (60): lib0@1.0 (abandoned), ref1 (abandoned), lib2@1.0 (abandoned), ...") {
		t.Fatalf("message %q", rr.Message)
	}
}

func TestEvaluateNil(t *testing.T) {
	if res := Evaluate(nil, goodFacts(), testNow); res.Passed() {
		t.Fatal("nil policy passed")
	}
	if res := Evaluate(mustLoad(t, ""), nil, testNow); res.Passed() {
		t.Fatal("nil facts passed")
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	p := mustLoad(t, fullPolicyBody(t))
	p, err := p.WithData("certs", []byte(fullCertList))
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := range 5 {
		f := goodFacts()
		f.SBOM.Components[1].Labels = append(f.SBOM.Components[1].Labels, "abandoned", "portfolio-pervasive", "uncertified-steward")
		b, err := json.Marshal(Evaluate(p, f, testNow))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatalf("run %d differs:\n%s\n%s", i, first, b)
		}
	}
}

func TestExplain(t *testing.T) {
	p := mustLoad(t, "points: {maximum: 100, pass: 50, grades: {A: 100, B: 90, C: 80, D: 60, E: 40, F: 20, G: 0}}\n"+
		"sbom: {forbiddenLabels: [single-maintainer]}\n"+
		"rules:\n  - {id: two-signers, action: penalize, points: 5, expr: 'size(signers) >= 2'}\n")
	res := Evaluate(p, goodFacts(), testNow)
	losses := Explain(res)
	if len(losses) != 3 || len(losses[0].Evidence) != 1 || losses[0].Evidence[0].Pointer != "/components/1" {
		t.Fatalf("losses %+v", losses)
	}
	for i, want := range []Loss{
		{Rule: RuleForbiddenLabels, KnockOut: true, Message: "forbidden labels on components (1)"},
		{Rule: "two-signers", Points: 5, Message: "does not hold: size(signers) >= 2"},
		{Rule: "points.grade", Points: 10, Message: "product grade B earns 90 of 100 points"},
	} {
		if l := losses[i]; l.Rule != want.Rule || l.Points != want.Points || l.KnockOut != want.KnockOut || !strings.HasPrefix(l.Message, want.Message) {
			t.Errorf("loss %d: got %+v, want %+v", i, l, want)
		}
	}
	// A clean result explains nothing.
	f := goodFacts()
	f.SBOM.Components[1].Labels = nil
	f.SBOM.ProductGrade = "A"
	f.Signers = append(f.Signers, f.Signers[0])
	if l := Explain(Evaluate(p, f, testNow)); len(l) != 0 {
		t.Fatalf("clean result lost %+v", l)
	}
}

// TestMissingSBOMIsOneFailure: without the SBOM a policy requires, the
// verdict says so once, with one hint; the rules that would read it skip,
// and the grade's points are lost without repeating the hint.
func TestMissingSBOMIsOneFailure(t *testing.T) {
	p := mustLoad(t, "sbom: {maxProductGrade: D, forbiddenLabels: [abandoned]}\nlicences: {deny: [SSPL-1.0]}\n"+
		"vulnerabilities: {knownExploited: knock-out, maximum: {critical: 0}}\npoints: {maximum: 100, pass: 60, grades: {A: 100, B: 90, C: 75, D: 60, E: 30, F: 10, G: 0}}\n")
	f := goodFacts()
	f.SBOM, f.Vulnerabilities = SBOM{}, nil
	res := Evaluate(p, f, testNow)
	if res.Passed() {
		t.Fatal("passed without the required SBOM")
	}
	var failed, hints []string
	for _, rr := range res.Rules {
		if rr.Status == RuleFail {
			failed = append(failed, rr.ID+" "+rr.Reason)
		}
		if rr.Hint != "" {
			hints = append(hints, rr.ID)
		}
	}
	if want := []string{RuleSBOMRequired + " " + reason.PolicySBOMMissing, RulePointsGrade + " " + reason.PolicySBOMMissing, RulePointsPass + " " + reason.PolicyPointsBelowPass}; !slices.Equal(failed, want) {
		t.Errorf("failed rules = %q, want %q", failed, want)
	}
	if want := []string{RuleSBOMRequired, RulePointsPass}; !slices.Equal(hints, want) {
		t.Errorf("rules with a hint = %q, want %q", hints, want)
	}
	if res.Points == nil || res.Points.Earned != 0 {
		t.Errorf("points = %+v, want 0 earned", res.Points)
	}
}
