package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/policy"
)

// Gate is what `sovcheck gate` found for one dependency list: the
// certification status of every dependency under the policy.
type Gate struct {
	Input        string
	Policy       string // the policy's name
	PolicySHA256 string
	Dependencies int // distinct dependencies judged
	Uncertified  []GateFinding
	// Rejected are VSAs that do not verify; they fail the gate.
	Rejected []policy.Check
	// Unused are VSAs not counted.
	Unused []policy.Check
}

// GateFinding is one dependency that is not certified.
type GateFinding struct {
	Dependency    string // purl, or name@version without one
	Location      string // where the input lists it
	Certification policy.Certification
}

// Passed reports whether every dependency is certified and every VSA
// given verified.
func (r *Gate) Passed() bool { return len(r.Uncertified) == 0 && len(r.Rejected) == 0 }

// WriteGateText writes the result for CI logs: one line per uncertified
// dependency with the fix, one per VSA that did not count, then a summary.
func WriteGateText(w io.Writer, r *Gate) error {
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
		status, r.Dependencies-len(r.Uncertified), r.Dependencies, r.Input, r.Policy, r.PolicySHA256)
	if n := len(r.Rejected); n > 0 {
		fmt.Fprintf(&b, "; %d VSA%s rejected", n, map[bool]string{true: "", false: "s"}[n == 1])
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
