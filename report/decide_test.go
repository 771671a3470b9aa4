package report

import (
	"testing"

	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

func TestDecide(t *testing.T) {
	pass := policy.Subject{Name: "ok"}
	passing := policy.Decide(pass, []policy.Check{{ID: "signature", Status: policy.StatusPass, Required: true}})
	failing := policy.Decide(pass, []policy.Check{{ID: "signature", Status: policy.StatusFail, Reason: "SIGNATURE_INVALID"}})
	labels := func(grade sbom.Grade) sbom.Report { return sbom.Report{Product: sbom.Product{Grade: grade}} }
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
		{"grades only", Documents{Labels: []sbom.Report{labels("G")}}, "", Decision{Status: policy.StatusFail}},
		{"grade good enough", Documents{Labels: []sbom.Report{labels("B")}}, "C", Decision{policy.StatusPass, 1, 0}},
		{"grade equal", Documents{Labels: []sbom.Report{labels("C")}}, "C", Decision{policy.StatusPass, 1, 0}},
		{"grade worse", Documents{Labels: []sbom.Report{labels("D")}}, "C", Decision{policy.StatusFail, 1, 1}},
		{"minimum off scale", Documents{Labels: []sbom.Report{labels("A")}}, "Z", Decision{policy.StatusFail, 1, 1}},
		{"portfolio", Documents{Portfolios: []sbom.PortfolioReport{{Products: []sbom.PortfolioProduct{{Grade: "A"}, {Grade: "E"}}}}}, "D", Decision{policy.StatusFail, 2, 1}},
		{"portfolio unread SBOM", Documents{Portfolios: []sbom.PortfolioReport{{Products: []sbom.PortfolioProduct{{Grade: "A"}}, Failures: []sbom.Failure{{Source: "x"}}}}}, "G", Decision{policy.StatusFail, 2, 1}},
		{"portfolio ungraded", Documents{Portfolios: []sbom.PortfolioReport{{Products: []sbom.PortfolioProduct{{Grade: "G"}}, Failures: []sbom.Failure{{Source: "x"}}}}}, "", Decision{Status: policy.StatusFail}},
	}
	for _, c := range cases {
		if got := c.docs.Decide(c.minGrade); got != c.want {
			t.Errorf("%s: Decide(%q) = %+v, want %+v", c.name, c.minGrade, got, c.want)
		}
	}
}
