package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/policy"
)

// WriteGateText writes the result of `sovcheck gate` for CI logs: one line per uncertified
// dependency with the fix, one per VSA that did not count, then a summary.
func WriteGateText(w io.Writer, r *policy.GateResult) error {
	var b strings.Builder
	for _, f := range r.Uncertified {
		c := f.Certification
		fmt.Fprintf(&b, "UNCERTIFIED %s", f.Dependency)
		if f.Location != "" {
			fmt.Fprintf(&b, " (%s)", f.Location)
		}
		fmt.Fprintf(&b, " [%s]: %s", c.Reason, c.Message)
		if c.Hint != "" {
			fmt.Fprintf(&b, "; fix: %s", c.Hint)
		}
		b.WriteByte('\n')
	}
	for _, c := range r.Rejected {
		fmt.Fprintf(&b, "REJECTED %s [%s]: %s", c.Evidence, c.Reason, c.Message)
		if c.Hint != "" {
			fmt.Fprintf(&b, "; fix: %s", c.Hint)
		}
		b.WriteByte('\n')
	}
	for _, c := range r.Unused {
		fmt.Fprintf(&b, "UNUSED %s [%s]: %s\n", c.Evidence, c.Reason, c.Message)
	}
	status := "PASS"
	if !r.Passed() {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %d of %d dependencies of %s certified under policy %s (sha256 %s)",
		status, r.Dependencies-len(r.Uncertified)-len(r.Baselined), r.Dependencies, r.Input, r.Policy, r.PolicySHA256)
	if n := len(r.Rejected); n > 0 {
		fmt.Fprintf(&b, "; %d VSA%s rejected", n, map[bool]string{true: "", false: "s"}[n == 1])
	}
	b.WriteString(baselineNote(r))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// baselineNote says how many uncertified dependencies the baseline
// accepted, when one was given.
func baselineNote(r *policy.GateResult) string {
	if r.Baseline == "" {
		return ""
	}
	return fmt.Sprintf("; %d uncertified accepted by the baseline %s", len(r.Baselined), r.Baseline)
}
