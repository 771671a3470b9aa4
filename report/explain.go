package report

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/policy"
)

// ExplainText renders policy.Explain as lines, as `sovcheck verify
// --explain` prints them, with the score first when the
// policy gives points.
func ExplainText(r *policy.Result) string {
	var b strings.Builder
	if r.Points != nil {
		fmt.Fprintf(&b, "%s: %d of %d points (pass at %d), %s%s\n", r.Subject.Name, r.Points.Earned, r.Points.Maximum, r.Points.Pass, r.Status, knockOutNote(r))
	} else {
		fmt.Fprintf(&b, "%s: %s%s\n", r.Subject.Name, r.Status, knockOutNote(r))
	}
	losses := policy.Explain(r)
	if len(losses) == 0 {
		b.WriteString("  nothing lost\n")
	}
	for _, l := range losses {
		if l.Rule == policy.RulePointsPass {
			// Its hint points to this explanation; the lines above are it.
			l.Hint = ""
		}
		b.WriteString("  " + lossLine(l) + "\n")
		for _, e := range l.Evidence {
			b.WriteString("      " + evidenceLine(e) + "\n")
		}
	}
	return b.String()
}

func evidenceLine(e policy.Evidence) string {
	var parts []string
	for _, p := range []string{e.Check, e.Component, e.Detail} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	where := e.Source
	if e.Pointer != "" {
		where += "#" + e.Pointer
	}
	if where != "" {
		parts = append(parts, "at "+where)
	}
	return strings.Join(parts, "  ")
}

// lossLine renders a loss on one line.
func lossLine(l policy.Loss) string {
	what := fmt.Sprintf("-%d points", l.Points)
	if l.KnockOut {
		what = "knock-out"
		if l.Points > 0 {
			what += fmt.Sprintf(", -%d points", l.Points)
		}
	}
	s := fmt.Sprintf("%s  %s: %s", what, l.Rule, l.Message)
	if l.Hint != "" {
		s += " (" + l.Hint + ")"
	}
	return s
}

// knockOuts lists the knock-out rules that failed a policy, the points
// threshold aside: what decided a FAIL that the points do not explain.
func knockOuts(r *policy.Result) []string {
	var out []string
	for _, l := range policy.Explain(r) {
		if l.KnockOut && l.Rule != policy.RulePointsPass {
			out = append(out, l.Rule)
		}
	}
	return out
}

// knockOutNote is ": knocked out by RULE, ..." for a failed policy with
// failed knock-out rules, and empty otherwise.
func knockOutNote(r *policy.Result) string {
	if ko := knockOuts(r); len(ko) > 0 {
		return ": knocked out by " + strings.Join(ko, ", ")
	}
	return ""
}
