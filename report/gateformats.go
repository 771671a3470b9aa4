package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/report/internal/sarif"
)

// GateFormats lists the output formats of `sovcheck gate`.
var GateFormats = []string{"text", "json", "sarif", "junit", "markdown"}

// RenderGate writes the result of `sovcheck gate` in the named format.
// The exit code a caller gives comes from r.Passed, whatever the format.
func RenderGate(w io.Writer, format string, r *policy.GateResult) error {
	switch format {
	case "text", "":
		return WriteGateText(w, r)
	case "json":
		return gateJSON(w, r)
	case "sarif":
		return gateSARIF(w, r)
	case "junit":
		return gateJUnit(w, r)
	case "markdown":
		return gateMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(GateFormats, ", "))
}

// gateDocument is the JSON of a gate result
// (application/vnd.sovcheck.gate.v1+json).
type gateDocument struct {
	MediaType    string            `json:"mediaType"`
	Status       policy.Status     `json:"status"`
	Input        string            `json:"input"`
	Policy       gatePolicy        `json:"policy"`
	Dependencies int               `json:"dependencies"`
	Certified    int               `json:"certified"`
	Uncertified  []gateFindingJSON `json:"uncertified"`
	// Baselined are not certified either, but accepted by the baseline.
	Baseline  string            `json:"baseline,omitempty"`
	Baselined []gateFindingJSON `json:"baselined,omitempty"`
	Rejected  []policy.Check    `json:"rejected"`
	Unused    []policy.Check    `json:"unused"`
}

type gatePolicy struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

type gateFindingJSON struct {
	Dependency    string               `json:"dependency"`
	Location      string               `json:"location,omitempty"`
	Certification policy.Certification `json:"certification"`
}

func gateStatus(r *policy.GateResult) policy.Status {
	if r.Passed() {
		return policy.StatusPass
	}
	return policy.StatusFail
}

func gateJSON(w io.Writer, r *policy.GateResult) error {
	doc := gateDocument{MediaType: vocab.MediaTypeGate, Status: gateStatus(r), Input: r.Input,
		Policy:       gatePolicy{Name: r.Policy, SHA256: r.PolicySHA256},
		Dependencies: r.Dependencies, Certified: r.Dependencies - len(r.Uncertified) - len(r.Baselined),
		Uncertified: []gateFindingJSON{}, Rejected: r.Rejected, Unused: r.Unused}
	for _, f := range r.Uncertified {
		doc.Uncertified = append(doc.Uncertified, gateFindingJSON{Dependency: f.Dependency, Location: f.Location, Certification: f.Certification})
	}
	doc.Baseline = r.Baseline
	for _, f := range r.Baselined {
		doc.Baselined = append(doc.Baselined, gateFindingJSON{Dependency: f.Dependency, Location: f.Location, Certification: f.Certification})
	}
	if doc.Rejected == nil {
		doc.Rejected = []policy.Check{}
	}
	if doc.Unused == nil {
		doc.Unused = []policy.Check{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// gateLocation is where the input lists a dependency: the input file and,
// for "FILE:LINE", the line.
func gateLocation(f policy.GateFinding) sarifLocation {
	file, line := f.Location, 0
	if i := strings.LastIndexByte(f.Location, ':'); i > 0 {
		if n, err := strconv.Atoi(f.Location[i+1:]); err == nil && n > 0 {
			file, line = f.Location[:i], n
		}
	}
	phys := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}}
	if line > 0 {
		phys.Region = &sarifRegion{StartLine: line}
	}
	return sarifLocation{PhysicalLocation: phys, LogicalLocations: []sarifLogical{{Name: f.Dependency, Kind: "package"}}}
}

func gateSARIF(w io.Writer, r *policy.GateResult) error {
	s := sarif.NewBuilder()
	for _, f := range r.Uncertified {
		c := f.Certification
		if f.Location == "" {
			f.Location = r.Input
		}
		s.Add(c.Reason, describeCode(c.Reason), c.Hint, "error",
			fmt.Sprintf("%s is not certified under policy %s: %s", f.Dependency, r.Policy, c.Message),
			[]sarifLocation{gateLocation(f)}, nil, "gate", f.Dependency)
		if r.Baseline != "" {
			s.Results[len(s.Results)-1].BaselineState = "new"
		}
	}
	for _, f := range r.Baselined {
		c := f.Certification
		if f.Location == "" {
			f.Location = r.Input
		}
		s.Add(c.Reason, describeCode(c.Reason), c.Hint, "note",
			fmt.Sprintf("%s is not certified under policy %s, accepted by the baseline %s: %s", f.Dependency, r.Policy, r.Baseline, c.Message),
			[]sarifLocation{gateLocation(f)}, nil, "gate", f.Dependency)
		s.Results[len(s.Results)-1].BaselineState = "unchanged"
	}
	for _, c := range r.Rejected {
		s.Add(c.Reason, describeCode(c.Reason), c.Hint, "error", "VSA "+c.Evidence+" rejected: "+c.Message,
			[]sarifLocation{artifactLocation(c.Evidence, "")}, nil, "gate", "rejected", c.Evidence)
	}
	for _, c := range r.Unused {
		s.Add(c.Reason, describeCode(c.Reason), c.Hint, "note", "VSA "+c.Evidence+" not counted: "+c.Message,
			[]sarifLocation{artifactLocation(c.Evidence, "")}, nil, "gate", "unused", c.Evidence)
	}
	return s.Write(w, map[string]any{"input": r.Input, "policy": r.Policy, "policySHA256": r.PolicySHA256,
		"dependencies": r.Dependencies, "certified": r.Dependencies - len(r.Uncertified) - len(r.Baselined)}, buildInfo())
}

// gateJUnit writes one suite: a failed case per uncertified dependency and
// rejected VSA, a skipped one per unused VSA, and one passing case for the
// certified dependencies together (the result does not list them).
func gateJUnit(w io.Writer, r *policy.GateResult) error {
	s := junitSuite{Name: "sovcheck gate " + r.Input, Properties: &junitProperties{[]junitProperty{
		{Name: "policy", Value: r.Policy}, {Name: "policySHA256", Value: r.PolicySHA256},
	}}}
	if n := r.Dependencies - len(r.Uncertified) - len(r.Baselined); n > 0 {
		s.add(junitCase{Name: fmt.Sprintf("%d certified dependencies", n), Classname: "sovcheck.gate"})
	}
	for _, f := range r.Uncertified {
		c := f.Certification
		name := f.Dependency
		if f.Location != "" {
			name += " (" + f.Location + ")"
		}
		s.add(junitCase{Name: name, Classname: "sovcheck.gate", Failure: &junitFailure{Message: c.Reason + ": " + c.Message, Type: c.Reason,
			Text: failureText("", "", "", c.Hint)}})
	}
	for _, c := range r.Rejected {
		s.add(junitCase{Name: "VSA " + c.Evidence, Classname: "sovcheck.gate.vsa", Failure: &junitFailure{Message: c.Reason + ": " + c.Message, Type: c.Reason,
			Text: failureText("", "", "", c.Hint)}})
	}
	for _, c := range r.Unused {
		s.add(junitCase{Name: "VSA " + c.Evidence, Classname: "sovcheck.gate.vsa", Skipped: &junitSkipped{Message: c.Reason + ": " + c.Message}})
	}
	if n := len(r.Baselined); n > 0 {
		s.add(junitCase{Name: fmt.Sprintf("%d uncertified dependencies accepted by the baseline", n), Classname: "sovcheck.gate",
			Skipped: &junitSkipped{Message: "accepted by the baseline " + r.Baseline}})
	}
	out := junitSuites{Name: "sovcheck", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Suites: []junitSuite{s}}
	return writeJUnitXML(w, out)
}

// gateMarkdown writes a pull-request comment: the decision, then a table
// of what is not certified with the fix.
func gateMarkdown(w io.Writer, r *policy.GateResult) error {
	var b strings.Builder
	st := gateStatus(r)
	fmt.Fprintf(&b, "### %s sovcheck gate: %s\n\n", mdEmoji(st), st)
	fmt.Fprintf(&b, "%d of %d dependencies of %s certified under policy %s (sha256 %s)%s.\n\n",
		r.Dependencies-len(r.Uncertified)-len(r.Baselined), r.Dependencies, mdCode(r.Input), mdCode(r.Policy), mdText(r.PolicySHA256), mdText(baselineNote(r)))
	if len(r.Uncertified) > 0 {
		b.WriteString("| Dependency | Where | Reason | Fix |\n|---|---|---|---|\n")
		for _, f := range r.Uncertified {
			c := f.Certification
			fmt.Fprintf(&b, "| %s | %s | %s %s | %s |\n", mdCell(f.Dependency), mdCell(f.Location), mdCell(c.Reason), mdText(c.Message), mdText(c.Hint))
		}
		b.WriteString("\n")
	}
	if len(r.Rejected)+len(r.Unused) > 0 {
		b.WriteString("| VSA | | Reason | Detail |\n|---|---|---|---|\n")
		for _, c := range r.Rejected {
			fmt.Fprintf(&b, "| %s | ❌ rejected | %s | %s |\n", mdCell(c.Evidence), mdCell(c.Reason), mdText(c.Message))
		}
		for _, c := range r.Unused {
			fmt.Fprintf(&b, "| %s | ⚠️ not counted | %s | %s |\n", mdCell(c.Evidence), mdCell(c.Reason), mdText(c.Message))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MaxGateBaselineBytes bounds a gate baseline file.
const MaxGateBaselineBytes = 64 << 20

const hintBaseline = "give the JSON of an earlier run: sovcheck gate --format json ... > baseline.json"

// ReadGateBaseline reads the JSON of an earlier `sovcheck gate --format
// json` as a baseline: every dependency it lists, uncertified or already
// baselined, is accepted by name (a purl with its version, so a new version
// is a new dependency). Anything else is an error: a baseline that does not
// read accepts nothing silently.
func ReadGateBaseline(path string) (map[string]bool, error) {
	data, err := boundedio.ReadFile(path, MaxGateBaselineBytes)
	if err != nil {
		return nil, reason.As(fmt.Errorf("reading baseline %q: %w", path, err), reason.InputMalformed, hintBaseline)
	}
	return parseGateBaseline(data, path)
}

// parseGateBaseline parses a baseline read from path.
func parseGateBaseline(data []byte, path string) (map[string]bool, error) {
	var doc gateDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, reason.New(reason.InputMalformed, hintBaseline, "reading baseline %q: %v", path, err)
	}
	if doc.MediaType != vocab.MediaTypeGate {
		return nil, reason.Mismatch(reason.InputMalformed, hintBaseline, fmt.Sprintf("reading baseline %q: media type", path), doc.MediaType, vocab.MediaTypeGate)
	}
	accepted := map[string]bool{}
	for _, f := range append(doc.Uncertified, doc.Baselined...) {
		if f.Dependency == "" {
			return nil, reason.New(reason.InputMalformed, hintBaseline, "reading baseline %q: an entry names no dependency", path)
		}
		accepted[f.Dependency] = true
	}
	return accepted, nil
}
