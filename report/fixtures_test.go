package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

// testBuild is the build the golden reports name: a stamped release, so
// that they show what an auditor reads (and stay the same on any Go).
var testBuild = buildinfo.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", ModifiedKnown: true, GoVersion: "go1.26.0"}

func init() { buildInfo = func() buildinfo.Info { return testBuild } }

// samplePolicy is a policy result on the first sample artifact: points,
// a penalty with SBOM evidence, a warning, a waiver and a rule that did
// not apply.
func samplePolicy(subject policy.Subject) policy.Result {
	return policy.Result{
		Policy:  policy.PolicyRef{Name: "acme-procurement", File: "procurement.yaml", SHA256: "5d41402abc4b2a76b9719d911017c592ae1b7f1d2c1c3c1d9b6a4e1f0c2d3b4a"},
		Subject: subject,
		AsOf:    "2026-06-01T00:00:00Z",
		Status:  policy.StatusPass,
		Points:  &policy.Score{Earned: 82, Maximum: 100, Pass: 70},
		Rules: []policy.RuleResult{
			{ID: "signature", Action: policy.ActionFail, Status: policy.RulePass, Message: "signed by a trusted identity",
				Evidence: []policy.Evidence{{Check: "signature"}, {Check: "identity"}}},
			{ID: "sbom.max-component-grade", Action: policy.ActionPenalize, Status: policy.RuleFail, Reason: reason.PolicyGradeExceeded, PointsLost: 18,
				Message: "1 component graded worse than D", Hint: "replace or upgrade liblzma5",
				Evidence: []policy.Evidence{{Component: "pkg:deb/debian/liblzma5@5.6.0-0.2", Label: "known-exploited", Source: "shop.cdx.json", Pointer: "/components/5", Failed: true}}},
			{ID: "licences", Action: policy.ActionWarn, Status: policy.RuleFail, Reason: reason.PolicyLicence,
				Message: "244 components with unknown licences", Hint: "record the licence as an SPDX expression",
				Evidence: unknownLicences(12), EvidenceOmitted: 232},
			{ID: "jurisdiction", Action: policy.ActionFail, Status: policy.RuleWaived, Reason: reason.PolicyJurisdiction,
				Message:  "1 component from a single foreign source, waived",
				Evidence: []policy.Evidence{{Component: "pkg:npm/lodash@4.17.20", Label: "foreign-single-source", Source: "stewards.yaml", Pointer: "/stewards/3", Failed: true, Waived: true}},
				Waivers:  []policy.WaiverNote{{Component: "pkg:npm/lodash@4.17.20", Reason: "replacement scheduled for Q3", Owner: "procurement@acme.example", Expires: "2026-09-30", Line: 41}}},
			{ID: "rebuild", Action: policy.ActionFail, Status: policy.RuleSkip, Reason: reason.PolicyNotApplicable, Message: "no rebuild is required for this artifact"},
		},
	}
}

// unknownLicences is the evidence of n components without a licence, a
// list long enough for the HTML report to fold.
func unknownLicences(n int) []policy.Evidence {
	out := []policy.Evidence{{Component: "pkg:npm/left-pad@1.3.0", Field: "licences", Failed: true}, {Component: "vendor-blob.so", Field: "licences", Failed: true}}
	for i := len(out); i < n; i++ {
		out = append(out, policy.Evidence{Component: fmt.Sprintf("pkg:golang/example.com/m%02d@v1.0.0", i), Field: "licences", Failed: true})
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleDocuments holds one of each kind of document, read as the report
// command reads them.
func sampleDocuments(t testing.TB) *Documents {
	t.Helper()
	verdicts := sampleVerdicts()
	pol := samplePolicy(verdicts[0].Subject)
	verdicts[0] = pol.Verdict(verdicts[0].Checks)
	docs := &Documents{}
	inputs := []struct {
		name string
		data []byte
	}{
		{"verify.json", mustJSON(t, NewVerifyDocument(verdicts))},
		{"rebuild.json", readTestdata(t, "rebuild.json")},
		{"labels.json", readTestdata(t, "labels.json")},
		{"portfolio.json", readTestdata(t, "portfolio.json")},
	}
	for _, in := range inputs {
		if err := Read(in.name, bytes.NewReader(in.data), docs); err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// hostile is a string an SBOM or a signer may carry to attack a report.
const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>@everyone | ** [link](javascript:alert(1)) </details>`

// hostileDocuments carries hostile strings in every kind of document.
func hostileDocuments(t testing.TB) *Documents {
	t.Helper()
	subject := policy.Subject{Name: "dist/" + hostile, Digest: map[string]string{"sha256": "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066"}}
	v := policy.Decide(subject, []policy.Check{
		{ID: "identity", Subject: subject, Status: policy.StatusFail, Required: true, Reason: "IDENTITY_MISMATCH", Message: hostile, Got: hostile, Want: "x", Hint: hostile, Evidence: hostile + ".sigstore.json"},
	})
	docs := &Documents{}
	if err := ReadDocument("verify-"+hostile+".json", mustJSON(t, NewVerifyDocument([]policy.Verdict{v})), docs); err != nil {
		t.Fatal(err)
	}
	var labels map[string]any
	if err := json.Unmarshal(readTestdata(t, "labels.json"), &labels); err != nil {
		t.Fatal(err)
	}
	labels["product"].(map[string]any)["name"] = hostile
	labels["warnings"] = []string{hostile}
	c := labels["components"].([]any)[0].(map[string]any)
	c["name"], c["upstream"], c["supplier"] = hostile, hostile, hostile
	c["labels"].([]any)[0].(map[string]any)["detail"] = hostile
	if err := ReadDocument("labels.json", mustJSON(t, labels), docs); err != nil {
		t.Fatal(err)
	}
	var portfolio map[string]any
	if err := json.Unmarshal(readTestdata(t, "portfolio.json"), &portfolio); err != nil {
		t.Fatal(err)
	}
	portfolio["upstreams"].([]any)[0].(map[string]any)["upstream"] = hostile
	portfolio["suppliers"].([]any)[0].(map[string]any)["supplier"] = hostile
	if err := ReadDocument("portfolio.json", mustJSON(t, portfolio), docs); err != nil {
		t.Fatal(err)
	}
	return docs
}
