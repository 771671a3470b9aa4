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
		fmt.Fprintf(&b, "%s: %d of %d points (pass at %d), %s\n", r.Subject.Name, r.Points.Earned, r.Points.Maximum, r.Points.Pass, r.Status)
	} else {
		fmt.Fprintf(&b, "%s: %s\n", r.Subject.Name, r.Status)
	}
	losses := policy.Explain(r)
	if len(losses) == 0 {
		b.WriteString("  nothing lost\n")
	}
	for _, l := range losses {
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
