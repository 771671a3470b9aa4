package policy

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
