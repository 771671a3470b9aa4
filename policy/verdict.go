package policy

import (
	"sync/atomic"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Status is the outcome of one check or of a whole verdict. The zero value
// and any value other than the three constants count as FAIL.
type Status string

const (
	StatusPass Status = "PASS"
	StatusFail Status = "FAIL"
	StatusSkip Status = "SKIP"
)

// Known reports whether s is one of the three defined statuses.
func (s Status) Known() bool {
	return s == StatusPass || s == StatusFail || s == StatusSkip
}

// Subject names what a check or verdict is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest,omitempty"` // algorithm -> lowercase hex
}

// Check is the result of one check on one subject.
type Check struct {
	ID       string  `json:"id"`
	Subject  Subject `json:"subject"`
	Status   Status  `json:"status"`
	Required bool    `json:"required"`
	Reason   string  `json:"reason,omitempty"` // stable reason code; set for FAIL and SKIP
	Message  string  `json:"message,omitempty"`
	Hint     string  `json:"hint,omitempty"`
	Got      string  `json:"got,omitempty"`
	Want     string  `json:"want,omitempty"`
	Evidence string  `json:"evidence,omitempty"` // the evidence file the check read, as the user named it
	// AdvisoriesAsOf is how fresh the advisory data the check read is: its
	// newest "modified" (RFC 3339), or "unknown" when none states it;
	// empty when the check read no advisories.
	AdvisoriesAsOf string `json:"advisoriesAsOf,omitempty"`
	// Grade is the product grade (A to G) of the SBOM an SBOM check
	// assessed, so that a report can show it beside the verdict; empty
	// for other checks and for an SBOM without a grade.
	Grade string `json:"grade,omitempty"`
}

// Verdict is the decision for one subject.
type Verdict struct {
	Subject Subject `json:"subject"`
	Status  Status  `json:"status"`
	Reason  string  `json:"reason,omitempty"` // first failing reason, for one-line summaries
	Checks  []Check `json:"checks"`
	Policy  *Result `json:"policy,omitempty"` // the procurement policy's result, when one was evaluated
}

// Passed reports whether the verdict is a pass.
func (v Verdict) Passed() bool { return v.Status == StatusPass }

// decided counts the verdicts Decide has decided in this process.
var decided atomic.Uint64

// Decided reports how many verdicts Decide has decided in this process, so
// that a caller can show it decides each verdict once.
func Decided() uint64 { return decided.Load() }

// Settled returns the check as a verdict reads it, failing closed: a check
// with an unknown status is a FAIL, a required check that was skipped is a
// FAIL, and a FAIL without a reason is an internal error.
func (c Check) Settled() Check {
	switch {
	case !c.Status.Known():
		c.Reason = reason.StatusUnknown
		c.Message = "check ended with unknown status " + string(c.Status)
		c.Status = StatusFail
	case c.Status == StatusSkip && c.Required:
		c.Status = StatusFail
		if c.Reason == "" {
			c.Reason = reason.RequiredSkipped
		}
	}
	if c.Status == StatusFail && c.Reason == "" {
		c.Reason = reason.InternalError
	}
	return c
}

// Settle returns the checks settled (Check.Settled), in the order given,
// without deciding a verdict: what facts read before the verdict is
// decided.
func Settle(checks []Check) []Check {
	out := make([]Check, len(checks))
	for i, c := range checks {
		out[i] = c.Settled()
	}
	return out
}

// Decide aggregates checks into a verdict, failing closed: the verdict passes
// only if at least one check passed, every required check passed and no
// check failed. Each check is read settled (Check.Settled). Checks are kept
// in the order given.
func Decide(subject Subject, checks []Check) Verdict {
	decided.Add(1)
	v := Verdict{Subject: subject, Status: StatusPass, Checks: make([]Check, 0, len(checks))}
	passed := 0
	for _, c := range checks {
		c = c.Settled()
		if c.Status == StatusPass {
			passed++
		}
		if c.Status == StatusFail && v.Status == StatusPass {
			v.Status = StatusFail
			v.Reason = c.Reason
		}
		v.Checks = append(v.Checks, c)
	}
	if passed == 0 && v.Status == StatusPass {
		v.Status = StatusFail
		v.Reason = reason.NoChecks
	}
	return v
}

// AllPassed reports whether there is at least one verdict and every verdict passed.
func AllPassed(vs []Verdict) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if !v.Passed() {
			return false
		}
	}
	return true
}
