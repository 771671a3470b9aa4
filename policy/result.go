package policy

import (
	"fmt"
	"slices"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RuleStatus is the outcome of one policy rule.
type RuleStatus string

const (
	RulePass   RuleStatus = "PASS"
	RuleFail   RuleStatus = "FAIL"
	RuleWaived RuleStatus = "WAIVED" // failed, and every failure is covered by a valid waiver
	RuleSkip   RuleStatus = "SKIP"   // not applicable to this artifact or its evidence
)

// Evidence is one item a rule read: a check, an SBOM component with a
// label or field, a data file entry, or a fact a CEL rule selected.
type Evidence struct {
	Check     string `json:"check,omitempty"`     // check id of the verdict
	Component string `json:"component,omitempty"` // purl, or name when there is none
	Label     string `json:"label,omitempty"`
	Source    string `json:"source,omitempty"`  // evidence file, SBOM file or data file name
	Pointer   string `json:"pointer,omitempty"` // JSON pointer into Source
	Field     string `json:"field,omitempty"`   // the fact read, e.g. sbom.components
	Detail    string `json:"detail,omitempty"`
	Failed    bool   `json:"failed,omitempty"` // this item is a reason the rule failed
	Waived    bool   `json:"waived,omitempty"` // a valid waiver covers this failure
}

// WaiverNote records a waiver of a rule: applied, or expired and no
// longer applying.
type WaiverNote struct {
	Component string `json:"component,omitempty"`
	Reason    string `json:"reason"`
	Owner     string `json:"owner"`
	Expires   string `json:"expires"`
	Expired   bool   `json:"expired,omitempty"`
	Line      int    `json:"line"` // where the policy grants the waiver
}

// RuleResult is the outcome of one rule, with the evidence it used.
type RuleResult struct {
	ID       string     `json:"id"`
	Action   string     `json:"action"` // fail (a knock-out), warn or penalize
	Status   RuleStatus `json:"status"`
	Severity string     `json:"severity,omitempty"`
	Reason   string     `json:"reason,omitempty"` // reason code when not PASS
	Message  string     `json:"message"`
	Hint     string     `json:"hint,omitempty"`
	// PointsLost is what the rule cost out of the maximum.
	PointsLost      int          `json:"pointsLost,omitempty"`
	Evidence        []Evidence   `json:"evidence"`
	EvidenceOmitted int          `json:"evidenceOmitted,omitempty"`
	Waivers         []WaiverNote `json:"waivers,omitempty"`
}

// Score is the points an artifact earned.
type Score struct {
	Earned  int `json:"earned"`
	Maximum int `json:"maximum"`
	Pass    int `json:"pass"` // the least points needed to pass
}

// PolicyRef names the policy a result was evaluated under.
type PolicyRef struct {
	Name   string `json:"name"` // metadata.name, or the file name
	File   string `json:"file"` // the name the file was loaded under
	SHA256 string `json:"sha256"`
}

// Result is the outcome of a policy on one artifact. It is deterministic:
// the same policy, facts and time give the same result, byte for byte
// once encoded.
type Result struct {
	Policy  PolicyRef    `json:"policy"`
	Subject Subject      `json:"subject"`
	AsOf    string       `json:"asOf"` // the evaluation time, RFC 3339 UTC
	Status  Status       `json:"status"`
	Reason  string       `json:"reason,omitempty"` // the first failing knock-out's reason
	Points  *Score       `json:"points,omitempty"` // nil when the policy gives no points
	Rules   []RuleResult `json:"rules"`
}

// Passed reports whether the policy passed.
func (r *Result) Passed() bool { return r.Status == StatusPass }

// VerificationResult is the result as a SLSA Verification Summary
// Attestation records it: PASSED or FAILED.
func (r *Result) VerificationResult() string {
	if r.Passed() {
		return vocab.VSAPassed
	}
	return vocab.VSAFailed
}

// Rule returns the result of the rule with the given id.
func (r *Result) Rule(id string) (RuleResult, bool) {
	i := slices.IndexFunc(r.Rules, func(rr RuleResult) bool { return rr.ID == id })
	if i < 0 {
		return RuleResult{}, false
	}
	return r.Rules[i], true
}

// Checks turns the rule results into checks of the verdict model, one per
// rule (id "policy:<rule id>"). A failing knock-out (action fail) is a
// required FAIL; a passing rule is a PASS; warnings, penalties, waived and
// inapplicable rules are optional SKIPs with their reason, so they show
// in the report without failing the verdict. The points are judged by the
// rule points.pass like any other knock-out.
func (r *Result) Checks() []Check {
	out := make([]Check, 0, len(r.Rules))
	for _, rr := range r.Rules {
		c := Check{ID: vocab.CheckPolicyPrefix + rr.ID, Subject: r.Subject, Message: rr.Message, Hint: rr.Hint, Evidence: r.Policy.File}
		switch {
		case rr.Status == RulePass:
			c.Status, c.Required = StatusPass, rr.Action == ActionFail
		case rr.Status == RuleFail && rr.Action == ActionFail:
			c.Status, c.Required, c.Reason = StatusFail, true, rr.Reason
		case rr.Status == RuleFail && rr.Action == ActionWarn:
			c.Status, c.Reason = StatusSkip, reason.PolicyWarning
			c.Message = fmt.Sprintf("warning (%s): %s", rr.Reason, rr.Message)
		case rr.Status == RuleFail:
			c.Status, c.Reason = StatusSkip, reason.PolicyPenalty
			c.Message = fmt.Sprintf("-%d points (%s): %s", rr.PointsLost, rr.Reason, rr.Message)
		case rr.Status == RuleWaived:
			c.Status, c.Reason = StatusSkip, reason.PolicyWaived
		default:
			c.Status, c.Reason = StatusSkip, reason.PolicyNotApplicable
		}
		out = append(out, c)
	}
	return out
}

// Verdict decides the verdict of the result's subject once: the checks
// given and the policy's own (Checks), failing closed as Decide does, so
// that the verdict passes only if the checks and the policy both pass. The
// verdict carries the result.
func (r *Result) Verdict(checks []Check) Verdict {
	v := Decide(r.Subject, append(slices.Clone(checks), r.Checks()...))
	v.Policy = r
	return v
}
