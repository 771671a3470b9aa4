package report

import (
	"testing"

	"github.com/sovcheck/sovcheck/policy"
)

func TestExplainText(t *testing.T) {
	r := &policy.Result{
		Subject: policy.Subject{Name: "dist/tool-linux-amd64"},
		Status:  policy.StatusFail,
		Points:  &policy.Score{Earned: 85, Maximum: 100, Pass: 50},
		Rules: []policy.RuleResult{
			{ID: "sbom.forbidden-labels", Action: policy.ActionFail, Status: policy.RuleFail, Message: "forbidden labels on components (1)", Hint: "replace them",
				Evidence: []policy.Evidence{
					{Component: "pkg:deb/debian/liblzma5@5.4.1", Detail: "single-maintainer", Source: "dist/tool.cdx.json", Pointer: "/components/1", Failed: true},
					{Component: "pkg:golang/ok@v1", Source: "dist/tool.cdx.json"},
					{Component: "pkg:golang/waived@v1", Failed: true, Waived: true},
				}},
			{ID: "two-signers", Action: policy.ActionPenalize, Status: policy.RuleFail, PointsLost: 5, Message: "does not hold: size(signers) >= 2"},
			{ID: "gone", Action: policy.ActionFail, Status: policy.RuleFail, PointsLost: 10, Message: "both"},
			{ID: "fine", Action: policy.ActionFail, Status: policy.RulePass, Message: "holds"},
		},
	}
	const want = `dist/tool-linux-amd64: 85 of 100 points (pass at 50), FAIL: knocked out by sbom.forbidden-labels, gone
  knock-out  sbom.forbidden-labels: forbidden labels on components (1) (replace them)
      pkg:deb/debian/liblzma5@5.4.1  single-maintainer  at dist/tool.cdx.json#/components/1
  -5 points  two-signers: does not hold: size(signers) >= 2
  knock-out, -10 points  gone: both
`
	if got := ExplainText(r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Below the threshold alone: no knock-out to name, and no hint that
	// sends the reader to --explain while reading it.
	below := &policy.Result{Subject: policy.Subject{Name: "tool"}, Status: policy.StatusFail, Points: &policy.Score{Earned: 40, Maximum: 100, Pass: 60},
		Rules: []policy.RuleResult{{ID: policy.RulePointsPass, Action: policy.ActionFail, Status: policy.RuleFail, Message: "40 of 100 points; at least 60 needed",
			Hint: "see why each point was lost (sovcheck verify --explain)"}}}
	if got := ExplainText(below); got != "tool: 40 of 100 points (pass at 60), FAIL\n  knock-out  points.pass: 40 of 100 points; at least 60 needed\n" {
		t.Errorf("below the threshold: got %q", got)
	}
	clean := &policy.Result{Subject: policy.Subject{Name: "tool"}, Status: policy.StatusPass}
	if got := ExplainText(clean); got != "tool: PASS\n  nothing lost\n" {
		t.Errorf("clean result: got %q", got)
	}
}
