package policy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func (v *validator) rules() {
	env, err := newCELEnv()
	if err != nil {
		v.ps.at("rules", "this is a defect in sovcheck; please report it", "creating the CEL environment: %v", err)
		return
	}
	for i, r := range v.p.doc.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.ID == "":
			v.missing(path, "id", "give the rule an id, e.g. id: no-copyleft-in-core")
		case !ruleIDPattern().MatchString(r.ID):
			v.ps.at(path+".id", "use lowercase letters, digits, '.', '_' and '-'", "invalid rule id %q", r.ID)
		case reservedID(r.ID):
			v.ps.at(path+".id", "choose an id outside the reserved prefixes "+strings.Join(reservedPrefixes, ", "), "rule id %q is reserved", r.ID)
		case v.p.ruleIDs[r.ID]:
			v.ps.at(path+".id", "give each rule its own id", "rule %q defined twice", r.ID)
		default:
			v.p.ruleIDs[r.ID] = true
		}
		v.action(path, r.Action, r.Points, "give the points lost when the rule fails, e.g. points: 5", true)
		switch r.Severity {
		case "", "low", "medium", "high", "critical":
		default:
			v.ps.at(path+".severity", "use low, medium, high or critical", "unknown severity %q", r.Severity)
		}
		if strings.TrimSpace(r.Expr) == "" {
			v.missing(path, "expr", "write the condition that must hold, in CEL")
			continue
		}
		cr, xerr := compileRule(env, r, v.p.costLimit)
		if xerr != nil {
			v.ps.add(reason.PolicyInvalid, v.exprPos(path+".expr", xerr), path+".expr",
				"variables: "+celVariableNames()+"; the expression must say what must hold, as a bool", "%s", xerr.msg)
			continue
		}
		v.p.rules = append(v.p.rules, cr)
	}
}

// exprPos maps a position inside a rule's expression to the file: for a
// one-line scalar, the column within the line; for a block scalar (| or
// >), the lines below the indicator, shifted by the block's indentation.
func (v *validator) exprPos(path string, e *exprError) Pos {
	n := v.ps.nodeAt(path)
	if n == nil {
		return v.ps.posAt(path)
	}
	at := posOf(n)
	if e.line == 0 {
		return at
	}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The block's indentation is that of its first line.
		if n.Line < len(v.lines) {
			first := v.lines[n.Line]
			indent := len(first) - len(strings.TrimLeft(first, " "))
			return Pos{Line: n.Line + e.line, Column: indent + e.col + 1}
		}
		return at
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if e.line == 1 {
			return Pos{Line: at.Line, Column: at.Column + 1 + e.col}
		}
	default:
		if e.line == 1 {
			return Pos{Line: at.Line, Column: at.Column + e.col}
		}
	}
	return at
}

func celVariableNames() string {
	names := make([]string, len(celVariables))
	for i, cv := range celVariables {
		names[i] = cv.name
	}
	return strings.Join(names, ", ")
}

func reservedID(id string) bool {
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func (v *validator) waivers() {
	for i, w := range v.p.doc.Waivers {
		path := fmt.Sprintf("waivers[%d]", i)
		ok := true
		switch {
		case w.Rule == "":
			v.missing(path, "rule", "name the rule id the waiver applies to")
			ok = false
		case w.Rule == RulePolicyExpiry || w.Rule == RulePointsPass:
			v.ps.at(path+".rule", "renew the policy or change its points instead", "rule %q cannot be waived", w.Rule)
			ok = false
		case !v.p.ruleIDs[w.Rule]:
			v.ps.at(path+".rule", "rules of this policy: "+strings.Join(sortedKeys(v.p.ruleIDs), ", "), "no rule %q in this policy", w.Rule)
			ok = false
		}
		for _, f := range []struct{ name, value string }{{"reason", w.Reason}, {"owner", w.Owner}, {"expires", w.Expires}} {
			if strings.TrimSpace(f.value) == "" {
				v.missing(path, f.name, "every waiver needs a reason, an owner and an expiry date")
				ok = false
			}
		}
		until, err := parseExpiry(w.Expires)
		if w.Expires != "" && err != nil {
			v.ps.at(path+".expires", "write a date as YYYY-MM-DD", "%v", err)
			ok = false
		}
		if ok {
			v.p.waivers = append(v.p.waivers, waiver{waiverSpec: w, until: until, pos: v.ps.posAt(path)})
		}
	}
}
