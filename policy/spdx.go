package policy

import (
	"errors"
	"fmt"
	"strings"
)

// licenceExpr is a parsed SPDX licence expression (SPDX 2.3 annex D): a
// term, or an AND / OR of two expressions. WITH binds tighter than AND,
// which binds tighter than OR.
type licenceExpr struct {
	op          string // "" for a term, "AND" or "OR"
	term        licenceTerm
	left, right *licenceExpr
}

// licenceTerm is a simple expression: a licence id or LicenseRef, with an
// optional "+" (or later) and an optional WITH exception.
type licenceTerm struct {
	ID        string
	Plus      bool
	Exception string
}

func (t licenceTerm) String() string {
	s := t.ID
	if t.Plus {
		s += "+"
	}
	if t.Exception != "" {
		s += " WITH " + t.Exception
	}
	return s
}

func (e *licenceExpr) String() string {
	if e.op == "" {
		return e.term.String()
	}
	return "(" + e.left.String() + " " + e.op + " " + e.right.String() + ")"
}

// satisfiable reports whether a licensee can comply with e using only
// terms that ok accepts: one side of an OR suffices, both sides of an AND
// are needed.
func (e *licenceExpr) satisfiable(ok func(licenceTerm) bool) bool {
	switch e.op {
	case "AND":
		return e.left.satisfiable(ok) && e.right.satisfiable(ok)
	case "OR":
		return e.left.satisfiable(ok) || e.right.satisfiable(ok)
	}
	return ok(e.term)
}

// terms lists every term of e, left to right.
func (e *licenceExpr) terms(out []licenceTerm) []licenceTerm {
	if e.op == "" {
		return append(out, e.term)
	}
	return e.right.terms(e.left.terms(out))
}

var errLicenceEmpty = errors.New("empty licence expression")

// parseLicence parses an SPDX licence expression. Operators are accepted
// in any case, as real SBOMs write them; ids keep their spelling.
func parseLicence(s string) (*licenceExpr, error) {
	if len(s) > MaxLicenceExpressionBytes {
		return nil, fmt.Errorf("licence expression too long: got %d bytes, want at most %d", len(s), MaxLicenceExpressionBytes)
	}
	toks, err := licenceTokens(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errLicenceEmpty
	}
	p := &licenceParser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q after a complete expression", p.toks[p.i])
	}
	return e, nil
}

func licenceTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case isIDChar(c) || c == '+' || c == ':':
			j := i
			for j < len(s) && (isIDChar(s[j]) || s[j] == '+' || s[j] == ':') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return toks, nil
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

type licenceParser struct {
	toks []string
	i    int
}

func (p *licenceParser) peekOp(op string) bool {
	return p.i < len(p.toks) && strings.EqualFold(p.toks[p.i], op)
}

func (p *licenceParser) or(depth int) (*licenceExpr, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peekOp("OR") {
		p.i++
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = &licenceExpr{op: "OR", left: left, right: right}
	}
	return left, nil
}

func (p *licenceParser) and(depth int) (*licenceExpr, error) {
	left, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	for p.peekOp("AND") {
		p.i++
		right, err := p.primary(depth)
		if err != nil {
			return nil, err
		}
		left = &licenceExpr{op: "AND", left: left, right: right}
	}
	return left, nil
}

func (p *licenceParser) primary(depth int) (*licenceExpr, error) {
	if p.i >= len(p.toks) {
		return nil, errors.New("expression ends where a licence was expected")
	}
	tok := p.toks[p.i]
	if tok == "(" {
		if depth >= MaxLicenceNesting {
			return nil, fmt.Errorf("parentheses nested deeper than %d", MaxLicenceNesting)
		}
		p.i++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i] != ")" {
			return nil, errors.New("missing closing parenthesis")
		}
		p.i++
		return e, nil
	}
	if tok == ")" || isOperator(tok) {
		return nil, fmt.Errorf("unexpected %q where a licence was expected", tok)
	}
	term, err := parseLicenceTerm(tok)
	if err != nil {
		return nil, err
	}
	p.i++
	if p.peekOp("WITH") {
		p.i++
		if p.i >= len(p.toks) {
			return nil, errors.New("WITH needs an exception id")
		}
		exc := p.toks[p.i]
		if !isIDString(exc) || isOperator(exc) {
			return nil, fmt.Errorf("invalid licence exception id %q", exc)
		}
		term.Exception = exc
		p.i++
	}
	return &licenceExpr{term: term}, nil
}

func isOperator(tok string) bool {
	return strings.EqualFold(tok, "AND") || strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "WITH")
}

func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

// parseLicenceTerm parses a licence id (with optional "+") or a
// [DocumentRef-x:]LicenseRef-y reference.
func parseLicenceTerm(tok string) (licenceTerm, error) {
	if doc, ref, ok := strings.Cut(tok, ":"); ok {
		if !strings.HasPrefix(doc, "DocumentRef-") || !isIDString(strings.TrimPrefix(doc, "DocumentRef-")) ||
			!strings.HasPrefix(ref, "LicenseRef-") || !isIDString(strings.TrimPrefix(ref, "LicenseRef-")) {
			return licenceTerm{}, fmt.Errorf("invalid licence reference %q: want DocumentRef-x:LicenseRef-y", tok)
		}
		return licenceTerm{ID: tok}, nil
	}
	id, plus := strings.CutSuffix(tok, "+")
	if !isIDString(id) {
		return licenceTerm{}, fmt.Errorf("invalid licence id %q", tok)
	}
	if plus && strings.HasPrefix(id, "LicenseRef-") {
		return licenceTerm{}, fmt.Errorf("invalid licence id %q: a LicenseRef takes no \"+\"", tok)
	}
	if strings.HasPrefix(id, "LicenseRef-") && len(id) == len("LicenseRef-") {
		return licenceTerm{}, fmt.Errorf("invalid licence reference %q", tok)
	}
	return licenceTerm{ID: id, Plus: plus}, nil
}

// licenceMatcher is one entry of a policy's allow or deny list: a licence
// id, optionally with one exception. An entry without an exception covers
// the licence with any exception. "+" (or later) is ignored when matching:
// it only widens the licensee's choices.
type licenceMatcher struct {
	id        string
	exception string
}

func (m licenceMatcher) matches(t licenceTerm) bool {
	return strings.EqualFold(m.id, t.ID) && (m.exception == "" || strings.EqualFold(m.exception, t.Exception))
}

func matchesAny(ms []licenceMatcher, t licenceTerm) bool {
	for _, m := range ms {
		if m.matches(t) {
			return true
		}
	}
	return false
}

// isUnknownLicence reports whether a component's licence field says
// nothing usable.
func isUnknownLicence(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "NOASSERTION" || s == "NONE"
}
