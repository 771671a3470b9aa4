package portfolio

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// compareVersions is the one place package portfolio orders versions: in
// the ecosystem named by a purl type, with the order vulnerability
// matching uses.
func compareVersions(purlType, a, b string) (int, error) {
	return sbom.VersionOrder(purlType, a, b)
}

// Constraint is one bound of a version range: an operator (=, !=, <, <=,
// >, >=) and a version.
type Constraint struct {
	Op      string `json:"op"`
	Version string `json:"version"`
}

// Range is a conjunction of constraints, written ">=5.6.0, <5.6.2".
type Range []Constraint

// maxConstraints bounds a range.
const maxConstraints = 16

// ParseRange reads a comma-separated list of constraints.
func ParseRange(s string) (Range, error) {
	var r Range
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, reason.New(reason.PortfolioQueryInvalid, `write the range as ">=5.6.0, <5.6.2"`, "reading version range %q: an empty constraint", s)
		}
		op := ""
		for _, o := range []string{">=", "<=", "!=", "==", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, reason.New(reason.PortfolioQueryInvalid, "start each constraint with one of =, !=, <, <=, >, >=",
				"reading version range %q: constraint %q has no operator", s, part)
		}
		v := strings.TrimSpace(strings.TrimPrefix(part, op))
		if v == "" || strings.ContainsAny(v, " <>=!") {
			return nil, reason.New(reason.PortfolioQueryInvalid, `write the range as ">=5.6.0, <5.6.2"`, "reading version range %q: constraint %q has no single version", s, part)
		}
		if op == "==" {
			op = "="
		}
		r = append(r, Constraint{Op: op, Version: v})
		if len(r) > maxConstraints {
			return nil, reason.New(reason.PortfolioQueryInvalid, "split the question", "reading version range %q: more than %d constraints", s, maxConstraints)
		}
	}
	return r, nil
}

// String renders the range as it is parsed.
func (r Range) String() string {
	parts := make([]string, len(r))
	for i, c := range r {
		parts[i] = c.Op + c.Version
	}
	return strings.Join(parts, ", ")
}

// Contains reports whether version, of the ecosystem named by purlType,
// satisfies every constraint. An error means the question cannot be
// answered (no order for the ecosystem, a version that does not parse):
// the caller reports the component as undetermined, never as outside.
func (r Range) Contains(purlType, version string) (bool, error) {
	if version == "" {
		return false, fmt.Errorf("the component has no version")
	}
	for _, c := range r {
		cmp, err := compareVersions(purlType, version, c.Version)
		if err != nil {
			return false, err
		}
		ok := false
		switch c.Op {
		case "=":
			ok = cmp == 0
		case "!=":
			ok = cmp != 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
