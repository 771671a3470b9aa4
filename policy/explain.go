package policy

import (
	"fmt"
	"strings"
)

// Loss is one reason an artifact lost points or failed the policy.
type Loss struct {
	Rule     string `json:"rule"`
	Points   int    `json:"points"`             // points lost; 0 for a knock-out that costs none
	KnockOut bool   `json:"knockOut,omitempty"` // fails the verdict whatever the points
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	// Evidence holds the failing items only.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// String renders the loss on one line, as `sovcheck verify --explain`
// prints it.
func (l Loss) String() string {
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

// Explain lists why each point was lost and which knock-outs failed, in
// rule order. A result that lost nothing and failed nothing gives none.
func Explain(r *Result) []Loss {
	var out []Loss
	for _, rr := range r.Rules {
		knockOut := rr.Action == ActionFail && rr.Status == RuleFail
		if rr.PointsLost == 0 && !knockOut {
			continue
		}
		l := Loss{Rule: rr.ID, Points: rr.PointsLost, KnockOut: knockOut, Message: rr.Message, Hint: rr.Hint}
		for _, e := range rr.Evidence {
			if e.Failed && !e.Waived {
				l.Evidence = append(l.Evidence, e)
			}
		}
		out = append(out, l)
	}
	return out
}

// ExplainText renders Explain as lines, with the score first when the
// policy gives points.
func ExplainText(r *Result) string {
	var b strings.Builder
	if r.Points != nil {
		fmt.Fprintf(&b, "%s: %d of %d points (pass at %d), %s\n", r.Subject.Name, r.Points.Earned, r.Points.Maximum, r.Points.Pass, r.Status)
	} else {
		fmt.Fprintf(&b, "%s: %s\n", r.Subject.Name, r.Status)
	}
	losses := Explain(r)
	if len(losses) == 0 {
		b.WriteString("  nothing lost\n")
	}
	for _, l := range losses {
		b.WriteString("  " + l.String() + "\n")
		for _, e := range l.Evidence {
			b.WriteString("      " + evidenceLine(e) + "\n")
		}
	}
	return b.String()
}

func evidenceLine(e Evidence) string {
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
