package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/report/internal/sarif"
	"github.com/sovcheck/sovcheck/sbom"
)

// sarifRelated bounds the related locations (failing policy evidence) of
// one result.
const sarifRelated = 20

// mitigationLabel is the one SBOM label that lowers a risk instead of
// raising it; it is not a finding.
const mitigationLabel = "sandboxed"

// SARIF writes a SARIF 2.1.0 log for code scanning. Rule ids are the
// stable reason codes (for SBOM findings, the label names); each result
// points at the evidence file or artifact it is about, or the SBOM entry.
// Passing checks and matching rebuilds are not results.
func SARIF(w io.Writer, docs *Documents, opts Options) error {
	s := sarif.NewBuilder()
	v := newView(docs, Options{})
	for _, a := range v.Artifacts {
		sarifVerdict(s, a)
	}
	for _, r := range v.Rebuilds {
		if r.Passed() {
			continue
		}
		id, msg, help := string(rebuild.StatusMismatch), string(r.Status), "rebuild the artifact with sovcheck rebuild to see what differs"
		if len(r.Causes) > 0 {
			id = r.Causes[0].Code
		}
		if r.Reason != nil {
			id, msg, help = r.Reason.Code, r.Reason.Message, cmp.Or(r.Reason.Hint, help)
		}
		var causes []string
		for _, c := range r.Causes {
			causes = append(causes, c.What)
		}
		if len(causes) > 0 {
			msg += "; " + strings.Join(causes, "; ")
		}
		level := "error"
		if r.Status == rebuild.StatusSkip {
			level = "warning"
		}
		s.Add(id, describeCode(id), help, level, fmt.Sprintf("rebuild %s of %s: %s", r.Status, relativePath(r.Name), msg),
			[]sarifLocation{artifactLocation(r.Name, r.Digest)}, nil, "rebuild", r.Name)
	}
	for _, p := range v.Products {
		sarifProduct(s, p.Doc)
	}
	for _, p := range v.Portfolios {
		sarifPortfolio(s, p.Doc, opts.MinGrade)
		for _, f := range p.Doc.Failures {
			s.Add(f.Code, describeCode(f.Code), f.Hint, "error", fmt.Sprintf("SBOM %s not read: %s", relativePath(f.Source), f.Message),
				[]sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(f.Source)}}}}, nil, "portfolio", f.Source)
		}
	}
	var props map[string]any
	if asOf := advisoriesAsOf(v.Products, v.Artifacts); len(asOf) > 0 {
		props = map[string]any{"advisoriesAsOf": asOf}
	}
	return s.Write(w, props, buildInfo())
}

func sarifVerdict(s *sarif.Builder, a artifactView) {
	vd := a.Verdict
	for _, c := range vd.Checks {
		if c.Status == policy.StatusPass {
			continue
		}
		level := "error"
		if c.Status == policy.StatusSkip {
			level = "note"
			if c.Reason == reason.PolicyWarning || c.Reason == reason.PolicyPenalty {
				level = "warning"
			}
		}
		msg := fmt.Sprintf("%s %s of %s", c.Status, c.ID, relativePath(vd.Subject.Name))
		if c.Message != "" {
			msg += ": " + c.Message
		}
		if c.Got != "" || c.Want != "" {
			msg += fmt.Sprintf(" (got %s, want %s)", orNone(c.Got), orNone(c.Want))
		}
		if c.Hint != "" {
			msg += ". Hint: " + c.Hint
		}
		loc := artifactLocation(vd.Subject.Name, a.Digest)
		if c.Evidence != "" {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(c.Evidence)}}
		}
		id := cmp.Or(c.Reason, string(c.Status))
		s.Add(id, describeCode(id), c.Hint, level, msg, []sarifLocation{loc}, policyEvidence(a.Policy, c.ID),
			vd.Subject.Name, c.ID)
	}
}

// policyEvidence points at the failing items a policy rule named: SBOM
// entries and data file records.
func policyEvidence(r *policy.Result, checkID string) []sarifLocation {
	if r == nil || !strings.HasPrefix(checkID, vocab.CheckPolicyPrefix) {
		return nil
	}
	rr, ok := r.Rule(strings.TrimPrefix(checkID, vocab.CheckPolicyPrefix))
	if !ok {
		return nil
	}
	var out []sarifLocation
	for _, e := range rr.Evidence {
		if !e.Failed || e.Source == "" || len(out) == sarifRelated {
			continue
		}
		loc := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(e.Source)}}}
		if name := cmp.Or(e.Component, e.Check, e.Label); name != "" {
			loc.LogicalLocations = []sarifLogical{{Name: name, FullyQualifiedName: relativePath(e.Source) + "#" + e.Pointer}}
		}
		out = append(out, loc)
	}
	return out
}

// sarifProduct reports an SBOM's findings one result per label: the
// components carrying it, worst first (as the report orders them), the
// first at the result's location and the next ones as related locations,
// so that a code-scanning page lists a handful of rules per product, not
// one alert per component and label.
func sarifProduct(s *sarif.Builder, d *sbom.Report) {
	type labelled struct {
		c *sbom.ComponentResult
		f sbom.Finding
	}
	groups := map[sbom.Label][]labelled{}
	var order []sbom.Label
	for i := range d.Components {
		c := &d.Components[i]
		for _, f := range c.Labels {
			if f.Label == mitigationLabel {
				continue
			}
			if _, seen := groups[f.Label]; !seen {
				order = append(order, f.Label)
			}
			groups[f.Label] = append(groups[f.Label], labelled{c, f})
		}
	}
	product := productTitle(d.Product.Name, d.Product.Version)
	for _, l := range order {
		g := groups[l]
		slices.SortStableFunc(g, func(a, b labelled) int { return cmp.Compare(b.c.Risk, a.c.Risk) })
		worst := g[0]
		level := "note"
		switch {
		case worst.c.Grade.Rank() >= vocab.GradeRank("E"):
			level = "error"
		case worst.c.Grade.Rank() >= vocab.GradeRank("C"):
			level = "warning"
		}
		msg := fmt.Sprintf("%d component%s of %s labelled %s; worst %s (grade %s, risk %d): %s", len(g), plural(len(g)), product, l,
			worst.c.Title(), worst.c.Grade, worst.c.Risk, worst.f.Detail)
		if where := strings.TrimSpace(worst.f.Field + " " + worst.f.Record); where != "" {
			msg += " [" + worst.f.Rule + " " + where + "]"
		}
		if len(g) > 1 {
			msg += fmt.Sprintf("; the others are listed as related locations (at most %d)", sarifRelated)
		}
		var related []sarifLocation
		for _, lc := range g[1:min(len(g), sarifRelated+1)] {
			related = append(related, componentLocation(d, lc.c))
		}
		hint := sbom.LabelHint(l)
		s.Add(string(l), "SBOM components labelled "+string(l), hint, level, msg,
			[]sarifLocation{componentLocation(d, worst.c)}, related, d.Product.Source, string(l))
	}
}

// componentLocation points at a component: the line of the SBOM when the
// reader recorded one, and the component by name and JSON pointer.
func componentLocation(d *sbom.Report, c *sbom.ComponentResult) sarifLocation {
	file, line := d.Product.Source, 0
	if f, l, ok := fileLine(c.Location); ok {
		file, line = f, l
	}
	loc := sarifLocation{
		PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}},
		LogicalLocations: []sarifLogical{{Name: c.Title(), FullyQualifiedName: relativePath(d.Product.Source) + "#" + c.Location}},
	}
	if line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
	}
	return loc
}

// fileLine splits a "file:line" location.
func fileLine(loc string) (string, int, bool) {
	i := strings.LastIndexByte(loc, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(loc[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return loc[:i], n, true
}

// artifactLocation points at an artifact: the file as named, and the
// artifact by name and digest.

// describeCode turns SIGNATURE_INVALID into "signature invalid".
func describeCode(code string) string {
	return strings.ToLower(strings.ReplaceAll(code, "_", " "))
}
