package policy

import "github.com/sovcheck/sovcheck/internal/reason"

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

// Decide aggregates checks into a verdict, failing closed: the verdict passes
// only if at least one check passed, every required check passed and no
// check failed. A check with an unknown status fails, and so does a required
// check that was skipped. Checks are kept in the order given.
func Decide(subject Subject, checks []Check) Verdict {
	v := Verdict{Subject: subject, Status: StatusPass, Checks: make([]Check, 0, len(checks))}
	passed := 0
	for _, c := range checks {
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
