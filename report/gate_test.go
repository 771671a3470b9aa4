package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

func TestWriteGateText(t *testing.T) {
	g := &policy.GateResult{Input: "go.sum", Policy: "ci", PolicySHA256: "abc", Dependencies: 3,
		Uncertified: []policy.GateFinding{{Dependency: "pkg:golang/example.com/b@v1.0.0", Location: "go.sum:3",
			Certification: policy.Certification{Reason: reason.PolicyUncertified, Message: "not on the list", Hint: "certify it"}}},
		Rejected: []policy.Check{{Evidence: "b.vsa.json", Reason: reason.SignatureInvalid, Message: "changed", Hint: "ask again"}},
		Unused:   []policy.Check{{Evidence: "c.vsa.json", Reason: reason.KeyMismatch, Message: "not trusted"}},
	}
	var out strings.Builder
	if err := WriteGateText(&out, g); err != nil {
		t.Fatal(err)
	}
	want := "UNCERTIFIED pkg:golang/example.com/b@v1.0.0 (go.sum:3) [POLICY_UNCERTIFIED]: not on the list; fix: certify it\n" +
		"REJECTED b.vsa.json [SIGNATURE_INVALID]: changed; fix: ask again\n" +
		"UNUSED c.vsa.json [KEY_MISMATCH]: not trusted\n" +
		"FAIL: 2 of 3 dependencies of go.sum certified under policy ci (sha256 abc); 1 VSA rejected\n"
	if out.String() != want {
		t.Fatalf("text:\n%s\nwant:\n%s", out.String(), want)
	}
	if g.Passed() {
		t.Fatal("a gate with an uncertified dependency passed")
	}
	g.Uncertified, g.Rejected = nil, nil
	out.Reset()
	if err := WriteGateText(&out, g); err != nil {
		t.Fatal(err)
	}
	if !g.Passed() || !strings.HasPrefix(out.String(), "UNUSED") || !strings.Contains(out.String(), "PASS: 3 of 3 dependencies") {
		t.Fatalf("passing gate:\n%s", out.String())
	}
}

// TestRenderGateFormats: every format of gate says the same: the JSON
// result, SARIF valid against the schema with each finding at its line,
// JUnit with a failure per uncertified dependency, a Markdown table.
func TestRenderGateFormats(t *testing.T) {
	g := &policy.GateResult{Input: "deps/go.sum", Policy: "ci", PolicySHA256: "abc", Dependencies: 3,
		Uncertified: []policy.GateFinding{{Dependency: "pkg:golang/example.com/b@v1.0.0", Location: "deps/go.sum:3",
			Certification: policy.Certification{Reason: reason.PolicyUncertified, Message: "not on the list", Hint: "certify it"}}},
		Rejected: []policy.Check{{Evidence: "b.vsa.json", Reason: reason.SignatureInvalid, Message: "changed", Hint: "ask again"}},
		Unused:   []policy.Check{{Evidence: "c.vsa.json", Reason: reason.KeyMismatch, Message: "not trusted"}},
	}
	render := func(format string, r *policy.GateResult) string {
		var out strings.Builder
		if err := RenderGate(&out, format, r); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	var doc gateDocument
	if err := json.Unmarshal([]byte(render("json", g)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != vocab.MediaTypeGate || doc.Status != policy.StatusFail || doc.Certified != 2 || len(doc.Uncertified) != 1 ||
		doc.Uncertified[0].Certification.Hint != "certify it" || len(doc.Rejected) != 1 || len(doc.Unused) != 1 {
		t.Errorf("json = %+v", doc)
	}
	sarif := render("sarif", g)
	if err := validateSARIF(t, sarifSchema(t), []byte(sarif)); err != nil {
		t.Errorf("gate SARIF does not validate: %v", err)
	}
	for _, want := range []string{`"uri": "deps/go.sum"`, `"startLine": 3`, `"ruleId": "POLICY_UNCERTIFIED"`, `"level": "error"`, `"ruleId": "KEY_MISMATCH"`, `"level": "note"`} {
		if !strings.Contains(sarif, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	junit := render("junit", g)
	for _, want := range []string{`tests="4" failures="2" errors="0" skipped="1"`, `<testcase name="2 certified dependencies"`, `type="POLICY_UNCERTIFIED">hint: certify it</failure>`} {
		if !strings.Contains(junit, want) {
			t.Errorf("JUnit lacks %s:\n%s", want, junit)
		}
	}
	if md := render("markdown", g); !strings.Contains(md, "### ❌ sovcheck gate: FAIL") || !strings.Contains(md, "| `pkg:golang/example.com/b@v1.0.0` | `deps/go.sum:3` | `POLICY_UNCERTIFIED` not on the list | certify it |") {
		t.Errorf("markdown:\n%s", md)
	}
	// The failure twin: a passing gate is PASS in every format, with no result.
	pass := &policy.GateResult{Input: "go.sum", Policy: "ci", PolicySHA256: "abc", Dependencies: 3}
	if s := render("json", pass); !strings.Contains(s, `"status": "PASS"`) || !strings.Contains(s, `"uncertified": []`) {
		t.Errorf("passing json:\n%s", s)
	}
	if s := render("sarif", pass); !strings.Contains(s, `"results": []`) {
		t.Errorf("passing SARIF has results:\n%s", s)
	}
	if s := render("junit", pass); !strings.Contains(s, `tests="1" failures="0"`) {
		t.Errorf("passing JUnit:\n%s", s)
	}
	if s := render("markdown", pass); !strings.Contains(s, "sovcheck gate: PASS") {
		t.Errorf("passing markdown:\n%s", s)
	}
	// With a baseline: what it accepted is a note, unchanged; the rest new.
	g.Baseline = "baseline.json"
	g.Baselined = []policy.GateFinding{{Dependency: "pkg:golang/example.com/a@v1.0.0", Location: "deps/go.sum:1",
		Certification: policy.Certification{Reason: reason.PolicyUncertified, Message: "not on the list"}}}
	g.Dependencies = 4
	sarif = render("sarif", g)
	if err := validateSARIF(t, sarifSchema(t), []byte(sarif)); err != nil {
		t.Errorf("gate SARIF with a baseline does not validate: %v", err)
	}
	if !strings.Contains(sarif, `"baselineState": "new"`) || !strings.Contains(sarif, `"baselineState": "unchanged"`) {
		t.Errorf("SARIF lacks baseline states:\n%s", sarif)
	}
	if err := json.Unmarshal([]byte(render("json", g)), &doc); err != nil || doc.Certified != 2 || len(doc.Baselined) != 1 || doc.Baseline != "baseline.json" {
		t.Errorf("json with a baseline = %+v, %v", doc, err)
	}
	if s := render("text", g); !strings.Contains(s, "FAIL: 2 of 4 dependencies of deps/go.sum certified under policy ci (sha256 abc); 1 VSA rejected; 1 uncertified accepted by the baseline baseline.json") {
		t.Errorf("text with a baseline:\n%s", s)
	}
	if err := RenderGate(&strings.Builder{}, "html", g); err == nil {
		t.Error("html accepted for gate")
	}
}
