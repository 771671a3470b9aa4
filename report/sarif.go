package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// SARIFSchema is the JSON schema the SARIF output follows (SARIF 2.1.0
// with errata 01).
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// sarifRelated bounds the related locations (failing policy evidence) of
// one result.
const sarifRelated = 20

// mitigationLabel is the one SBOM label that lowers a risk instead of
// raising it; it is not a finding.
const mitigationLabel = "sandboxed"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Properties holds "advisoriesAsOf": how fresh the advisory data of
	// the SBOM findings and of the verdicts' checks is.
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
	// Properties name the exact build, as far as it recorded itself:
	// "build" (the line of `sovcheck version`), "commit", "modified",
	// "moduleSum".
	Properties map[string]any `json:"properties,omitempty"`
}

// sarifBuild is the driver's properties for the running build.
func sarifBuild() map[string]any {
	bi := buildInfo()
	p := map[string]any{"build": bi.String()}
	if bi.Commit != "" {
		p["commit"] = bi.Commit
	}
	if bi.ModifiedKnown {
		p["modified"] = bi.Modified
	}
	if bi.Sum != "" {
		p["moduleSum"] = bi.Sum
	}
	return p
}

type sarifRule struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	ShortDescription sarifText       `json:"shortDescription"`
	Help             sarifText       `json:"help"`
	HelpURI          string          `json:"helpUri,omitempty"`
	Properties       *sarifRuleProps `json:"properties,omitempty"`
}

// sarifRuleProps carry what GitHub code scanning reads beyond SARIF
// itself: "security-severity" (0.1-10; 9 and above is critical, 7 high,
// 4 medium, below that low) and tags.
type sarifRuleProps struct {
	SecuritySeverity string   `json:"security-severity"`
	Tags             []string `json:"tags"`
}

// docsURI is where the reason codes and labels are documented.
const docsURI = "https://" + modulePath + "/blob/main/docs/"

// ruleDocs gives a rule its documentation link and severity. A label's
// severity is ten times its default fragility weight (docs/risk.md), the
// impact labels 4.0 and systemic-fragile 7.0; a reason code's follows the
// level it is first reported at: an error 8.0, a warning 5.0, a note 2.0.
func ruleDocs(ruleID, level string) (string, *sarifRuleProps) {
	tags := []string{"security", "supply-chain"}
	if l := sbom.Label(ruleID); sbom.LabelHint(l) != "" {
		sev := 3.0
		if w, ok := sbom.DefaultConfig().Weights[l]; ok {
			sev = max(10*w, 0.1)
		}
		switch l {
		case vocab.LabelSystemicFragile:
			sev = 7
		case vocab.LabelHighBlastRadius, vocab.LabelPortfolioPervasive:
			sev = 4
		}
		return docsURI + "risk.md#fragility-label-weights", &sarifRuleProps{SecuritySeverity: strconv.FormatFloat(sev, 'f', 1, 64), Tags: append(tags, "sbom")}
	}
	sev := map[string]string{"error": "8.0", "warning": "5.0"}[level]
	return docsURI + "reasons.md", &sarifRuleProps{SecuritySeverity: cmp.Or(sev, "2.0"), Tags: tags}
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// BaselineState is "new" or "unchanged" when a baseline was given.
	BaselineState string `json:"baselineState,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// sarifBuilder collects results and the rules they use.
type sarifBuilder struct {
	results []sarifResult
	rules   map[string]sarifRule
}

// noHint is the help of a rule none of whose results carries a hint.
const noHint = "each result's message says what was found and where"

// add records a result. A rule's help is the first hint given for it.
func (s *sarifBuilder) add(ruleID, description, hint, level, message string, locs []sarifLocation, related []sarifLocation, key ...string) {
	r, ok := s.rules[ruleID]
	if !ok {
		r = sarifRule{ID: ruleID, Name: ruleName(ruleID), ShortDescription: sarifText{description}, Help: sarifText{noHint}}
		r.HelpURI, r.Properties = ruleDocs(ruleID, level)
	}
	if hint != "" && r.Help.Text == noHint {
		r.Help.Text = hint
	}
	s.rules[ruleID] = r
	sum := sha256.Sum256([]byte(strings.Join(append([]string{ruleID}, key...), "\x00")))
	s.results = append(s.results, sarifResult{RuleID: ruleID, Level: level, Message: sarifText{message}, Locations: locs, RelatedLocations: related,
		PartialFingerprints: map[string]string{"sovcheck/v1": hex.EncodeToString(sum[:16])}})
}

// SARIF writes a SARIF 2.1.0 log for code scanning. Rule ids are the
// stable reason codes (for SBOM findings, the label names); each result
// points at the evidence file or artifact it is about, or the SBOM entry.
// Passing checks and matching rebuilds are not results.
func SARIF(w io.Writer, docs *Documents, opts Options) error {
	s := &sarifBuilder{rules: map[string]sarifRule{}}
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
		s.add(id, describeCode(id), help, level, fmt.Sprintf("rebuild %s of %s: %s", r.Status, relativePath(r.Name), msg),
			[]sarifLocation{artifactLocation(r.Name, r.Digest)}, nil, "rebuild", r.Name)
	}
	for _, p := range v.Products {
		sarifProduct(s, p.Doc)
	}
	for _, p := range v.Portfolios {
		sarifPortfolio(s, p.Doc, opts.MinGrade)
		for _, f := range p.Doc.Failures {
			s.add(f.Code, describeCode(f.Code), f.Hint, "error", fmt.Sprintf("SBOM %s not read: %s", relativePath(f.Source), f.Message),
				[]sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(f.Source)}}}}, nil, "portfolio", f.Source)
		}
	}
	var props map[string]any
	if asOf := advisoriesAsOf(v.Products, v.Artifacts); len(asOf) > 0 {
		props = map[string]any{"advisoriesAsOf": asOf}
	}
	return s.write(w, props)
}

// write writes the log of one run: its rules sorted by id, each result
// pointing at its rule, and the run's properties.
func (s *sarifBuilder) write(w io.Writer, props map[string]any) error {
	ids := make([]string, 0, len(s.rules))
	for id := range s.rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	index := map[string]int{}
	rules := make([]sarifRule, 0, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, s.rules[id])
	}
	results := s.results
	if results == nil {
		results = []sarifResult{}
	}
	for i := range results {
		results[i].RuleIndex = index[results[i].RuleID]
	}
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{
		Tool:       sarifTool{Driver: sarifDriver{Name: "sovcheck", Version: buildInfo().Version, InformationURI: "https://" + modulePath, Rules: rules, Properties: sarifBuild()}},
		Results:    results,
		Properties: props,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func sarifVerdict(s *sarifBuilder, a artifactView) {
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
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(c.Evidence)}}
		}
		id := cmp.Or(c.Reason, string(c.Status))
		s.add(id, describeCode(id), c.Hint, level, msg, []sarifLocation{loc}, policyEvidence(a.Policy, c.ID),
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
		loc := sarifLocation{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(e.Source)}}}
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
func sarifProduct(s *sarifBuilder, d *sbom.Report) {
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
		s.add(string(l), "SBOM components labelled "+string(l), hint, level, msg,
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
		PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(file)}},
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
func artifactLocation(name, digest string) sarifLocation {
	name = relativePath(name)
	fq := name
	if digest != "" && digest != name {
		fq = name + "@" + digest
	}
	return sarifLocation{
		PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(name)}},
		LogicalLocations: []sarifLogical{{Name: name, FullyQualifiedName: fq, Kind: "resource"}},
	}
}

// sarifURI makes a URI reference of what the user named: a URI stays one
// (sha256:..., docker://...), a path is escaped as a relative reference.
func sarifURI(s string) string {
	if u, err := url.Parse(s); err == nil && len(u.Scheme) > 1 {
		return u.String()
	}
	return (&url.URL{Path: filepath.ToSlash(relativePath(s))}).String()
}

// relativePath keeps a SARIF log free of the machine's absolute paths,
// which code scanning cannot place in a repository and which say more
// about the machine than the finding needs: an absolute path below the
// working directory becomes relative to it, any other the file's name.
func relativePath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
			return rel
		}
	}
	return filepath.Base(p)
}

// ruleName turns SIGNATURE_INVALID into SignatureInvalid, and
// known-exploited into KnownExploited.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' || r == '/' || r == ':' }) {
		r := []rune(strings.ToLower(part))
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// describeCode turns SIGNATURE_INVALID into "signature invalid".
func describeCode(code string) string {
	return strings.ToLower(strings.ReplaceAll(code, "_", " "))
}
