package policy

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func hostingFacts(services ...Service) *Facts {
	f := goodFacts()
	f.SBOM.Services = services
	return f
}

var (
	ovh  = Service{Ref: "billing", Name: "Billing", Provider: "OVH", Jurisdiction: "FR", Certifications: []string{"SecNumCloud"}, Pointer: "/services/0"}
	acme = Service{Ref: "mail", Name: "Mail relay", Provider: "Acme Cloud", Jurisdiction: "US", Certifications: []string{"ISO 27001"},
		Labels: []string{"unauthenticated-endpoint"}, Pointer: "/services/1"}
	anon = Service{Ref: "t", Name: "Telemetry", Pointer: "/services/2"}
)

func TestHostingProviders(t *testing.T) {
	p := mustLoad(t, "hosting:\n  allowedJurisdictions: [EU, FR]\n  requireCertifications: [SecNumCloud, EUCS]\n")
	if rr, _ := ruleResult(t, p, hostingFacts(ovh), RuleHostingProviders); rr.Status != RulePass {
		t.Errorf("sovereign provider: %s %s", rr.Status, rr.Message)
	}
	rr, res := ruleResult(t, p, hostingFacts(ovh, acme, anon), RuleHostingProviders)
	if rr.Status != RuleFail || rr.Reason != reason.HostingJurisdiction || res.Status != StatusFail {
		t.Fatalf("foreign provider: %s %s %s", rr.Status, rr.Reason, rr.Message)
	}
	if !strings.HasPrefix(rr.Message, "2 of 3 hosted services break the hosting limits: Mail relay (Acme Cloud: jurisdiction US is outside EU,FR; no SecNumCloud or EUCS certification)") {
		t.Errorf("message %q", rr.Message)
	}
	// Unknown jurisdiction passes only with allowUnknown, and never the
	// certification requirement.
	lax := mustLoad(t, "hosting:\n  allowedJurisdictions: [EU]\n  allowUnknown: true\n")
	if rr, _ := ruleResult(t, lax, hostingFacts(anon), RuleHostingProviders); rr.Status != RulePass {
		t.Errorf("allowUnknown: %s", rr.Status)
	}
	cert := mustLoad(t, "hosting:\n  requireCertifications: [C5]\n")
	if rr, _ := ruleResult(t, cert, hostingFacts(anon), RuleHostingProviders); rr.Status != RuleFail || rr.Reason != reason.HostingUncertified {
		t.Errorf("unknown provider passed a certification requirement: %s %s", rr.Status, rr.Reason)
	}
	labels := mustLoad(t, "hosting:\n  forbiddenLabels: [unauthenticated-endpoint]\n")
	if rr, _ := ruleResult(t, labels, hostingFacts(acme), RuleHostingProviders); rr.Reason != reason.HostingForbiddenLabel {
		t.Errorf("forbidden label: %s %s", rr.Status, rr.Reason)
	}
	if rr, _ := ruleResult(t, labels, hostingFacts(ovh), RuleHostingProviders); rr.Status != RulePass {
		t.Errorf("no forbidden label: %s", rr.Status)
	}
	// Points per failing service.
	pts := mustLoad(t, "points: {maximum: 100, pass: 50}\nhosting:\n  allowedJurisdictions: [EU, FR]\n  action: penalize\n  points: 30\n")
	rr, res = ruleResult(t, pts, hostingFacts(ovh, acme, anon), RuleHostingProviders)
	if rr.PointsLost != 60 || res.Points.Earned != 40 {
		t.Errorf("points lost %d, earned %d; want 60, 40", rr.PointsLost, res.Points.Earned)
	}
}

func TestHostingSectionInvalid(t *testing.T) {
	for body, want := range map[string]string{
		"hosting: {}\n": `missing required field "allowedJurisdictions"`,
		"hosting:\n  allowedJurisdictions: [Europe]\n":                              `invalid jurisdiction "Europe"`,
		"hosting:\n  forbiddenLabels: [abandoned]\n":                                `unknown service label "abandoned"`,
		"hosting:\n  allowedJurisdictions: [EU]\n  points: 3\n":                     "points given for action",
		"hosting:\n  requireCertifications: [\"\"]\n":                               "empty certification scheme",
		"hosting:\n  allowedJurisdictions: [EU]\n  action: penalize\n  points: 3\n": "penalize needs a points section",
	} {
		if _, err := Load([]byte(header+body), "test.yaml", testNow); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}
