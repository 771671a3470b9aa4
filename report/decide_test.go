package report

import (
	"testing"

	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

func TestDecide(t *testing.T) {
	pass := policy.Subject{Name: "ok"}
	passing := policy.Decide(pass, []policy.Check{{ID: "signature", Status: policy.StatusPass, Required: true}})
	failing := policy.Decide(pass, []policy.Check{{ID: "signature", Status: policy.StatusFail, Reason: "SIGNATURE_INVALID"}})
	labels := func(grade string) LabelsDocument { return LabelsDocument{Product: Product{Grade: grade}} }
	cases := []struct {
		name     string
		docs     Documents
		minGrade string
		want     Decision
	}{
		{"nothing", Documents{}, "", Decision{Status: policy.StatusFail}},
		{"passing verdict", Documents{Verify: []VerifyDocument{NewVerifyDocument([]policy.Verdict{passing})}}, "", Decision{policy.StatusPass, 1, 0}},
		{"failing verdict", Documents{Verify: []VerifyDocument{NewVerifyDocument([]policy.Verdict{passing, failing})}}, "", Decision{policy.StatusFail, 2, 1}},
		{"empty verify result", Documents{Verify: []VerifyDocument{NewVerifyDocument(nil)}}, "", Decision{policy.StatusFail, 1, 1}},
		{"rebuild match", Documents{Rebuilds: []rebuild.Document{{Results: []rebuild.ResultRecord{{Status: rebuild.StatusMatch}}}}}, "", Decision{policy.StatusPass, 1, 0}},
		{"rebuild skip fails", Documents{Rebuilds: []rebuild.Document{{Results: []rebuild.ResultRecord{{Status: rebuild.StatusMatch}}, Modules: []rebuild.ModuleRecord{{Status: rebuild.StatusSkip}}}}}, "", Decision{policy.StatusFail, 2, 1}},
		{"empty rebuild result", Documents{Rebuilds: []rebuild.Document{{}}}, "", Decision{policy.StatusFail, 1, 1}},
		{"grades only", Documents{Labels: []LabelsDocument{labels("G")}}, "", Decision{Status: policy.StatusFail}},
		{"grade good enough", Documents{Labels: []LabelsDocument{labels("B")}}, "C", Decision{policy.StatusPass, 1, 0}},
		{"grade equal", Documents{Labels: []LabelsDocument{labels("C")}}, "C", Decision{policy.StatusPass, 1, 0}},
		{"grade worse", Documents{Labels: []LabelsDocument{labels("D")}}, "C", Decision{policy.StatusFail, 1, 1}},
		{"minimum off scale", Documents{Labels: []LabelsDocument{labels("A")}}, "Z", Decision{policy.StatusFail, 1, 1}},
		{"portfolio", Documents{Portfolios: []PortfolioDocument{{Products: []PortfolioProduct{{Grade: "A"}, {Grade: "E"}}}}}, "D", Decision{policy.StatusFail, 2, 1}},
		{"portfolio unread SBOM", Documents{Portfolios: []PortfolioDocument{{Products: []PortfolioProduct{{Grade: "A"}}, Failures: []PortfolioFailure{{Source: "x"}}}}}, "G", Decision{policy.StatusFail, 2, 1}},
		{"portfolio ungraded", Documents{Portfolios: []PortfolioDocument{{Products: []PortfolioProduct{{Grade: "G"}}, Failures: []PortfolioFailure{{Source: "x"}}}}}, "", Decision{Status: policy.StatusFail}},
	}
	for _, c := range cases {
		if got := c.docs.Decide(c.minGrade); got != c.want {
			t.Errorf("%s: Decide(%q) = %+v, want %+v", c.name, c.minGrade, got, c.want)
		}
	}
}
